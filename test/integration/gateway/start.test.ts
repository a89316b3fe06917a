import { expect } from 'chai';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../helpers/paths.js';

/** Every listener on a free port, so the test never collides with a running gateway. */
const FREE_PORTS = {
  TANDEM_HTTP_PORT: '0', TANDEM_DRACHTIO_PORT: '0', TANDEM_SIP_LISTEN: 'udp:127.0.0.1:0,tcp:127.0.0.1:0,ws:127.0.0.1:0', TANDEM_LOG_LEVEL: 'info',
};

const children = new Set<ChildProcess>();

/** Starts the real entry point (dist/src/main.js) as `npm start` would, on a free port. */
function startGateway(env: Record<string, string>): { child: ChildProcess; lines: string[]; ready: Promise<number> } {
  const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'src', 'main.js')], {
    env: { ...process.env, ...FREE_PORTS, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  children.add(child);
  const ready = new Promise<number>((resolve, reject) => {
    let buf = '';
    let port = 0;
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        lines.push(line);
        try {
          const j = JSON.parse(line) as { port?: number; msg?: string; http?: string };
          if (j.msg?.startsWith('HTTP listening') && j.port) port = j.port;
          if (j.msg === 'Tandem running' && port) resolve(port);
        } catch { /* not JSON */ }
      }
    });
    child.once('exit', (code) => reject(new Error(`exited ${code}`)));
  });
  return { child, lines, ready };
}

describe('gateway process: npm start entry point', function () {
  this.timeout(15000);
  afterEach(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    children.clear();
  });

  it('starts on the embedded defaults, logs where it listens, answers /healthz, stops on SIGTERM', async () => {
    const gw = startGateway({});
    const port = await gw.ready;
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { status: string; components: Record<string, { ok: boolean }> };
    expect(body.status).to.equal('ok');
    expect(body.components.gateway.ok).to.equal(true);
    expect(body.components.sip.ok).to.equal(true);
    expect(body.components.drachtio.ok, 'the app is connected to the embedded SIP server').to.equal(true);
    expect(gw.lines.some((l) => l.includes('SIP listening on udp:127.0.0.1:'))).to.equal(true);
    expect(gw.lines.some((l) => l.includes('application connected to the SIP server'))).to.equal(true);
    const code = await new Promise<number | null>((resolve) => {
      gw.child.once('exit', (c) => resolve(c));
      gw.child.kill('SIGTERM');
    });
    expect(code).to.equal(0);
    expect(gw.lines.some((l) => l.includes('"msg":"stopped"'))).to.equal(true);
  });

  it('drachtio.mode=remote: the same app runs against a separately started SIP server (tandem sip-server)', async () => {
    const secret = 'remote-mode-secret';
    const server = spawn(process.execPath, [path.join(repoRoot, 'bin', 'tandem.js'), 'sip-server', '--listen', 'udp:127.0.0.1:0', '--drachtio-port', '0', '--secret', secret], { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(server);
    try {
      const drachtioPort = await new Promise<number>((resolve, reject) => {
        let out = '';
        server.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          const m = /drachtio on [^:\s]+:(\d+)/.exec(out);
          if (m) resolve(Number(m[1]));
        });
        server.once('exit', (c) => reject(new Error(`sip-server exited ${c}`)));
      });
      const gw = startGateway({ TANDEM_DRACHTIO_MODE: 'remote', TANDEM_DRACHTIO_PORT: String(drachtioPort), TANDEM_DRACHTIO_SECRET: secret });
      const port = await gw.ready;
      const body = (await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()) as { components: Record<string, { ok: boolean }> };
      expect(body.components.drachtio.ok).to.equal(true);
      expect(body.components.sip, 'no embedded SIP server in remote mode').to.equal(undefined);
      expect(gw.lines.some((l) => l.includes('using a remote drachtio-server'))).to.equal(true);
      expect(gw.lines.join('\n')).not.to.contain(secret);
      await new Promise<void>((resolve) => { gw.child.once('exit', () => resolve()); gw.child.kill('SIGTERM'); });
    } finally {
      server.kill('SIGTERM');
    }
  });

  it('a bad config stops startup with exit code 2 and a message naming the key', async () => {
    const child = spawn(process.execPath, [path.join(repoRoot, 'dist', 'src', 'main.js')], {
      env: { ...process.env, TANDEM_MEDIA_PORT_MAX: 'lots' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).to.equal(2);
    expect(stderr).to.contain('media.portMax').and.to.contain('whole number');
  });
});
