// Packet I/O micro benchmark: the engine's socket layer alone (no SRTP, no bridge), node:dgram vs
// the native UDP pump. This process is the relay under test: per call two UdpEndpoints, A (facing
// the "browser") and B (facing the "phone"); A → B and B → A forward every datagram unchanged.
// A child process plays both ends (generator + echo, 50 pps per call), so only the relay's CPU is
// measured (process.cpuUsage over the window after the warm-up). Prints ONE JSON object.
//   node bench/packet-io.js --io node|native --calls 300 --duration 10 [--warmup 2] [--peer-io native|node] [--size 172]
import { fork } from 'node:child_process';
import os from 'node:os';
import { UdpEndpoint, UdpPump, type PacketIoMode } from '../src/media/net/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : def;
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface PeerMsg { type: 'ports'; gen: number[]; echo: number[] }
interface PeerDone { type: 'done'; sent: number; received: number }

async function peerMain(): Promise<void> {
  const io = arg('peer-io', 'native') as PacketIoMode;
  const calls = Number(arg('calls', '100'));
  const size = Number(arg('size', '172'));
  const gens: UdpEndpoint[] = [];
  const echos: UdpEndpoint[] = [];
  let received = 0;
  for (let i = 0; i < calls; i++) {
    const g = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io });
    g.onMessage = () => { received++; };
    const e = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io });
    e.onMessage = (msg, addr, port) => e.send(msg, port, addr);
    gens.push(g); echos.push(e);
  }
  process.send?.({ type: 'ports', gen: gens.map((g) => g.port), echo: echos.map((e) => e.port) } satisfies PeerMsg);
  const target = await new Promise<{ relayA: number[]; durationMs: number }>((r) => process.once('message', (m) => r(m as { relayA: number[]; durationMs: number })));
  const pkt = Buffer.alloc(size, 0x55);
  pkt[0] = 0x80;
  let sent = 0;
  const t0 = performance.now();
  for (let tick = 0; performance.now() - t0 < target.durationMs; tick++) {
    for (let i = 0; i < calls; i++) { pkt.writeUInt32BE(sent, 12); gens[i].send(pkt, target.relayA[i], '127.0.0.1'); sent++; }
    const wait = t0 + (tick + 1) * 20 - performance.now();
    if (wait > 0) await sleep(wait);
  }
  await sleep(300);
  process.send?.({ type: 'done', sent, received } satisfies PeerDone);
  for (const x of [...gens, ...echos]) x.close();
  process.disconnect();
}

async function relayMain(): Promise<void> {
  const io = arg('io', 'native') as PacketIoMode;
  const calls = Number(arg('calls', '100'));
  const durationS = Number(arg('duration', '10'));
  const warmupS = Number(arg('warmup', '2'));
  const child = fork(new URL(import.meta.url), ['--peer', ...process.argv.slice(2)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ports = await new Promise<PeerMsg>((r) => child.once('message', (m) => r(m as PeerMsg)));
  let relayed = 0;
  const eps: UdpEndpoint[] = [];
  const relayA: number[] = [];
  for (let i = 0; i < calls; i++) {
    const a = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io });
    const b = await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io });
    const genPort = ports.gen[i];
    const echoPort = ports.echo[i];
    a.onMessage = (msg) => { relayed++; b.send(msg, echoPort, '127.0.0.1'); };
    b.onMessage = (msg) => { relayed++; a.send(msg, genPort, '127.0.0.1'); };
    eps.push(a, b);
    relayA.push(a.port);
  }
  const done = new Promise<PeerDone>((r) => child.on('message', (m) => { if ((m as PeerDone).type === 'done') r(m as PeerDone); }));
  child.send({ relayA, durationMs: durationS * 1000 });
  await sleep(warmupS * 1000);
  const c0 = process.cpuUsage();
  const r0 = relayed;
  const p0 = UdpPump.sharedStats();
  const t0 = performance.now();
  await sleep((durationS - warmupS - 0.5) * 1000);
  const c1 = process.cpuUsage(c0);
  const r1 = relayed - r0;
  const p1 = UdpPump.sharedStats();
  const windowS = (performance.now() - t0) / 1000;
  const d = await done;
  const cpuMs = (c1.user + c1.system) / 1000;
  console.log(JSON.stringify({
    io, calls, windowS: Number(windowS.toFixed(2)), relayedInWindow: r1,
    lossPct: Number((100 * Math.max(0, 1 - d.received / d.sent)).toFixed(3)),
    cpuUsPerDatagram: Number(((cpuMs * 1000) / r1).toFixed(3)),
    userUsPerDatagram: Number((c1.user / r1).toFixed(3)), systemUsPerDatagram: Number((c1.system / r1).toFixed(3)),
    cpuPct: Number(((100 * cpuMs) / (windowS * 1000)).toFixed(1)),
    datagramsPerBatch: p0 && p1 ? Number(((p1.rxPackets - p0.rxPackets) / Math.max(1, p1.rxBatches - p0.rxBatches)).toFixed(2)) : null,
    loadAvg1: Number(os.loadavg()[0].toFixed(2)),
  }));
  for (const e of eps) e.close();
  setTimeout(() => process.exit(0), 100).unref();
}

if (process.argv.includes('--peer')) void peerMain(); else void relayMain();
