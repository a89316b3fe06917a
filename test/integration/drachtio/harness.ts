/**
 * Test harness: a real SIP stack core + DrachtioServer on loopback, real drachtio-srf apps,
 * and SIPp processes as the network peers.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import Srf from 'drachtio-srf';
import { DrachtioServer } from '../../../src/drachtio/drachtio-server.js';
import { SipStackCore } from '../../../src/drachtio/sip-stack-core.js';

export const SECRET = 'tandem-test-secret';

/** A free UDP+TCP port on 127.0.0.1 (best effort: bind, read, release). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = dgram.createSocket('udp4');
      s.once('error', reject);
      s.bind(0, '127.0.0.1', () => {
        const p = s.address().port;
        s.close(() => resolve(p));
      });
    });
    const tcpFree = await new Promise<boolean>((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (tcpFree) return port;
  }
}

export interface Rig {
  core: SipStackCore;
  server: DrachtioServer;
  sipPort: number;
  drachtioPort: number;
  close(): Promise<void>;
}

/** SIP stack listening on udp+tcp 127.0.0.1:<free port>, drachtio server on a free port. */
export async function startRig(timers?: { t1?: number; t2?: number }): Promise<Rig> {
  const sipPort = await freePort();
  const core = SipStackCore.create({ listen: [`udp:127.0.0.1:${sipPort}`, `tcp:127.0.0.1:${sipPort}`], timers });
  await core.start();
  const server = new DrachtioServer({ port: 0, secret: SECRET, sipStack: core });
  await server.start();
  return {
    core, server, sipPort, drachtioPort: server.address().port,
    async close() {
      await server.close();
      await core.close();
    },
  };
}

/** Connects a real drachtio-srf and waits until the server has seen its routes. */
export async function connectSrf(rig: Rig, setup: (srf: Srf) => void, routes: string[]): Promise<Srf> {
  const srf = new Srf();
  setup(srf);
  const seen = new Set<string>();
  const onRoute = (_id: number, verb: string): void => { seen.add(verb); };
  rig.server.on('route', onRoute);
  await new Promise<void>((resolve, reject) => {
    srf.connect({ host: '127.0.0.1', port: rig.drachtioPort, secret: SECRET });
    srf.once('connect', (err: Error | null) => (err ? reject(err) : resolve()));
  });
  const end = Date.now() + 3000;
  while (!routes.every((r) => seen.has(r))) {
    if (Date.now() > end) throw new Error(`routes not seen: ${routes.join(',')}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  rig.server.off('route', onRoute);
  return srf;
}

export interface SippResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs SIPp to completion (killed after `timeoutMs`). */
export function runSipp(args: string[], timeoutMs = 20000): { done: Promise<SippResult>; proc: ChildProcess } {
  const proc = spawn('sipp', ['-nostdin', '-i', '127.0.0.1', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout?.on('data', (b: Buffer) => { stdout += b.toString(); });
  proc.stderr?.on('data', (b: Buffer) => { stderr += b.toString(); });
  const done = new Promise<SippResult>((resolve) => {
    const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    proc.on('exit', (code) => {
      clearTimeout(t);
      resolve({ code, stdout, stderr });
    });
  });
  return { done, proc };
}

export const SDP = 'v=0\r\no=tandem 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
  + 'm=audio 40000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n';

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function waitFor(cond: () => boolean, what: string, ms = 10000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
