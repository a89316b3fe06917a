// Media benchmark: node-datachannel "browsers" ↔ Tandem MediaEngine (separate process, worker threads)
// ↔ raw RTP echo peers. Prints ONE JSON object.
//   npm run bench:media -- --mode transcode|relay --calls N --duration S [--workers W] [--worker-kind thread|process] [--warmup S] [--sample K] [--srtp cm|gcm|both] [--search]
//     [--packet-io native|node]  the engine's media.packetIo (default native)
//     [--peer-io node|native]    the RTP echo peers' sockets in this process (default native)
//     [--srtp-impl native|node]  the engine's media.srtpImpl (default: $SRTP_IMPL of the engine, else native)
//     [--opus-complexity N]      the engine's media.opusComplexity (default: the engine's default, 5)
//     [--aligned]                every call sends in the same ms of the 20 ms frame (default: calls spread evenly over it)
//     [--caller-mux]             all callers share one local UDP port (libjuice UDP mux): cheaper load generation
//     [--engine-cpus L] [--peer-cpus L]  pin the engine process (and its workers) / this process to CPUs L (taskset)
//     [--diag]                   add engineCounters: the engine's per-call counters summed over all calls
// relay:     browser sends PCMU → passthrough → RTP echo → passthrough → browser (DTLS-SRTP ↔ RTP, no codec work)
// transcode: browser sends Opus → decode/PCMU encode → RTP echo → PCMU decode/Opus encode → browser
// Runs itself inside a network namespace (unshare -n) when not already in one.
import { fork, spawnSync } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { linearToUlaw, ulawDecode } from '../src/media/codecs/g711.js';
import type { AllocateResult } from '../src/media/engine/index.js';
import type { WebRtcLocalParams } from '../src/media/webrtc/index.js';
import { inNetns, runCommandInNetns } from '../test/helpers/netns.js';
import { toneDominates } from '../test/helpers/tone.js';
import { UdpEndpoint } from '../src/media/net/index.js';
import type { PacketIoMode } from '../src/media/net/index.js';
import { OpusSink, OpusToneSource } from '../test/integration/media/webrtc/audio.js';
import { NdcBrowser, buildLegSdp, ndcShutdown } from '../test/integration/media/webrtc/ndc-browser.js';

const thisFile = fileURLToPath(import.meta.url);
function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : def;
}
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Mode = 'relay' | 'transcode';

interface RunResult {
  calls: number; mode: Mode; durationS: number; lossPct: number; p50AddedMs: number | null; p99AddedMs: number | null;
  cpuMsPerCallSecond: number; peersCpuMsPerCallSecond: number; cpuUserMsPerCallSecond: number; cpuSystemMsPerCallSecond: number; projectedCallsOn2Cores: number;
  cpuWindowS: number; cpuUsPerRoundTrip: number | null; warmupS: number; workerKind: string; opusComplexity: number | null; packetIo: string; srtpImpl: string; peerIo: string; loadAvg1: number; rssBytesPerCall: number; toneOk: boolean; toneFractions: number[]; setupFailures: number; srtp: string; latencyMethod: string;
  engineCounters?: Record<string, unknown>;
  engineCpus: string | null; peerCpus: string | null;
}

const NOT_COUNTERS = new Set(['worker', 'port', 'localPort', 'encoderComplexity']);

/** Sums the numeric leaves of the engine's CallStats objects (other leaves dropped). */
function sumCounters(items: Array<Record<string, unknown>>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const it of items) {
    for (const [k, v] of Object.entries(it)) {
      if (NOT_COUNTERS.has(k)) continue;
      if (typeof v === 'number') out[k] = ((out[k] as number | undefined) ?? 0) + v;
      else if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
        out[k] = sumCounters([(out[k] ?? {}) as Record<string, unknown>, v as Record<string, unknown>]);
      }
    }
  }
  return out;
}

class Host {
  // BENCH_HOST_PROF=DIR profiles the engine process and its worker threads (node --cpu-prof).
  // BENCH_HOST_PERF=1 starts it with --perf-basic-prof (JS symbols for `perf record -p <worker pids>`;
  // process workers inherit the flag), so native (codec addon, kernel) and JS time show side by side.
  readonly child = fork(new URL('./engine-host.js', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: process.env.BENCH_HOST_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_HOST_PROF]
      : process.env.BENCH_HOST_PERF ? ['--perf-basic-prof'] : [],
  });
  private next = 1;
  private readonly pending = new Map<number, { resolve(v: unknown): void; reject(e: Error): void }>();
  constructor() {
    this.child.on('message', (m: { id: number; ok: boolean; result?: unknown; error?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.ok) p.resolve(m.result); else p.reject(new Error(m.error));
    });
  }
  call<T>(op: string, ...args: unknown[]): Promise<T> {
    const id = this.next++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.child.send({ id, op, args });
    });
  }
  async stop(): Promise<void> {
    await this.call('stop').catch(() => undefined);
    await new Promise<void>((r) => { if (this.child.exitCode !== null) r(); else this.child.once('exit', () => r()); });
  }
}

interface Call {
  id: string; browser: NdcBrowser; peer: EchoPeer; sampled: boolean;
  sent: number; received: number;
  sendTimes: Float64Array; latencies: number[];
  sink: OpusSink | null; pcmuRx: Int16Array[];
  /** This call's packet buffer, rewritten in place per packet (node-datachannel copies on send). */
  pkt: Buffer;
  ssrc: number; seq: number; ts: number; toneStartAt: number; onsetAt: number;
  /** Opus packets of silence and of tone sent so far (transcode). */
  silentSent: number; toneSent: number;
  /** Offset of this call's packet clock within the 20 ms frame, in ms (0 with --aligned). */
  slotMs: number;
}

const TONE_HZ = 1000;

/** RTP echo peer (plays the SIP phone): sends back every RTP datagram, ignores RTCP. */
class EchoPeer {
  remote: { address: string; port: number } | null = null;
  private constructor(private readonly ep: UdpEndpoint) {
    ep.onMessage = (msg, address, port) => {
      if (msg.length < 12 || ((msg[1] & 0x7f) >= 72 && (msg[1] & 0x7f) <= 95)) return;
      ep.send(msg, port, address);
    };
  }
  static async bind(io: PacketIoMode): Promise<EchoPeer> {
    return new EchoPeer(await UdpEndpoint.bind({ address: '127.0.0.1', port: 0, io }));
  }
  get port(): number { return this.ep.port; }
  close(): void { this.ep.close(); }
}

/**
 * 20 ms of the 1 kHz tone in PCMU. 1 kHz at 8 kHz repeats every 8 samples and a frame is 160
 * samples, so every frame of a phase-continuous tone is this same payload: computed once, not
 * per packet (the load generator's CPU competes with the engine's on the same cores).
 */
const PCMU_TONE: Buffer = (() => {
  const b = Buffer.alloc(160);
  const step = (2 * Math.PI * TONE_HZ) / 8000;
  for (let i = 0; i < 160; i++) b[i] = linearToUlaw(Math.round(8000 * Math.sin(i * step)));
  return b;
})();

function pcmuPacket(c: Call): Buffer {
  const pkt = c.pkt;
  pkt.writeUInt16BE(c.seq & 0xffff, 2); pkt.writeUInt32BE(c.ts >>> 0, 4);
  // Tag: the call-local packet counter in the first 4 payload bytes (passthrough keeps payloads intact).
  pkt.writeUInt32BE(c.sent, 12);
  c.seq++; c.ts += 160;
  return pkt;
}

/**
 * Opus packets of the tone (and of silence), encoded ONCE at 48 kHz and replayed by every caller
 * with its own RTP header: 100 packets (2 s) of a 1 kHz tone, whose 960-sample frames are whole
 * periods, so the replay loops without a click. Encoding per caller cost the bench process
 * ≈ 10 ms of CPU per call-second, as much as the engine's whole transcode path.
 */
class OpusLoop {
  readonly tone: Buffer[] = [];
  readonly silence: Buffer[] = [];
  constructor() {
    const src = new OpusToneSource(TONE_HZ, 111, 1);
    const payload = (p: Buffer): Buffer => Buffer.from(p.subarray(12));
    for (let i = 0; i < 50; i++) this.silence.push(payload(src.nextPacket(true)));
    for (let i = 0; i < 100; i++) this.tone.push(payload(src.nextPacket(false)));
  }
  /**
   * The call's next packet behind its own header. Packets are replayed in the order they were
   * encoded (silence 0…49, then tone 0…99), so the engine's decoder sees the stream the encoder
   * made: Opus predicts band energies from the previous frame, and jumping into the middle of the
   * tone after silence would delay the onset by ≈ 100 ms. Past the first pass the tone loops over
   * its steady-state second half (50…99).
   */
  packet(c: Call, silent: boolean): Buffer {
    let body: Buffer;
    if (silent) body = this.silence[c.silentSent++ % this.silence.length];
    else {
      const k = c.toneSent++;
      const half = this.tone.length >> 1;
      body = this.tone[k < this.tone.length ? k : half + ((k - this.tone.length) % half)];
    }
    const pkt = c.pkt;
    pkt.writeUInt16BE(c.seq & 0xffff, 2); pkt.writeUInt32BE(c.ts >>> 0, 4);
    body.copy(pkt, 12);
    c.seq++; c.ts += 960;
    return pkt.subarray(0, 12 + body.length);
  }
}

function newPacketBuffer(pt: number, ssrc: number, payloadBytes: number): Buffer {
  const pkt = Buffer.alloc(12 + payloadBytes);
  pkt[0] = 0x80; pkt[1] = pt;
  pkt.writeUInt32BE(ssrc >>> 0, 8);
  return pkt;
}

/** Restricts every thread of `pid` (and what it starts later) to `cpus` (taskset list, e.g. "0" or "0-1"). */
function pin(pid: number, cpus: string): void {
  const r = spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset -c ${cpus} ${pid}: ${r.stderr || r.error?.message}`);
}

async function run(mode: Mode, calls: number, durationS: number, workers: number, sampleN: number): Promise<RunResult> {
  const host = new Host();
  // --engine-cpus / --peer-cpus: give the engine and the load generators cores of their own, so
  // the engine's capacity per core is measured without the callers competing for it.
  const engineCpus = arg('engine-cpus', '');
  const peerCpus = arg('peer-cpus', '');
  if (engineCpus) pin(host.child.pid!, engineCpus);
  if (peerCpus) pin(process.pid, peerCpus);
  const srtpProfiles = arg('srtp', 'cm') === 'gcm' ? ['AEAD_AES_128_GCM'] : arg('srtp', 'cm') === 'both' ? ['AES_CM_128_HMAC_SHA1_80', 'AEAD_AES_128_GCM'] : ['AES_CM_128_HMAC_SHA1_80'];
  const packetIo = arg('packet-io', 'native') as PacketIoMode;
  const peerIo = arg('peer-io', 'native') as PacketIoMode;
  const srtpImpl = arg('srtp-impl', '');
  const opusComplexity = arg('opus-complexity', '');
  await host.call('start', { workers, workerKind: arg('worker-kind', 'thread'), portMin: 20000, portMax: 59999, rtpTimeoutMs: 0, workerLogLevel: 'error', srtpProfiles, packetIo, ...(srtpImpl ? { srtpImpl } : {}), ...(opusComplexity ? { opusComplexity: Number(opusComplexity) } : {}) });
  const ws0 = await host.call<Array<{ packetIo?: string; srtpImpl?: string }>>('workerStats');
  const engineIo = [...new Set(ws0.map((w) => w.packetIo ?? 'node'))].join(',');
  const engineSrtp = [...new Set(ws0.map((w) => w.srtpImpl ?? 'node'))].join(',');
  const usage0 = await host.call<{ cpu: NodeJS.CpuUsage; rss: number }>('usage');
  const list: Call[] = [];
  let setupFailures = 0;
  const maxSlots = Math.ceil(durationS * 50) + 200;
  const aligned = flag('aligned');
  const callerMux = flag('caller-mux');
  const opusLoop = mode === 'transcode' ? new OpusLoop() : null;
  for (let i = 0; i < calls; i++) {
    const id = `call-${i}`;
    const browser = new NdcBrowser(id, { codec: mode === 'relay' ? 'PCMU' : 'opus', opusPt: mode === 'relay' ? 0 : 111, ...(callerMux ? { muxPort: 19000 } : {}) });
    const peer = await EchoPeer.bind(peerIo);
    const sampled = i < sampleN;
    const ssrc = 0x6000 + i;
    const c: Call = {
      id, browser, peer, sampled, sent: 0, received: 0, sendTimes: new Float64Array(maxSlots), latencies: [],
      sink: mode === 'transcode' && sampled ? new OpusSink() : null, pcmuRx: [],
      pkt: mode === 'relay' ? Buffer.concat([newPacketBuffer(0, ssrc, 0), PCMU_TONE]) : newPacketBuffer(111, ssrc, 1500),
      ssrc, seq: 1, ts: 0, toneStartAt: 0, onsetAt: 0, silentSent: 0, toneSent: 0,
      // Real phones' packet clocks are independent: spread the calls evenly over the 20 ms frame.
      slotMs: aligned ? 0 : (i * 20) / calls,
    };
    try {
      const offer = await browser.offer();
      const alloc = await host.call<AllocateResult>('allocate', id, { offerer: false, bridge: 'rtp' });
      const pt = mode === 'relay' ? 0 : 111;
      const local = await host.call<WebRtcLocalParams>('apply', id, {
        webrtc: { ...offer.remote, formats: offer.remote.formats.filter((f) => f.pt === pt) },
        rtp: { remote: { address: '127.0.0.1', port: peer.port }, formats: [{ pt: 0, name: 'PCMU', clockRate: 8000, ptimeMs: 20 }] },
      });
      peer.remote = { address: '127.0.0.1', port: alloc.rtp!.rtpPort };
      browser.answer(buildLegSdp(local, { type: 'answer', opusPt: pt, codec: mode === 'relay' ? 'PCMU' : 'opus' }), local);
      browser.onRtp = (p) => {
        c.received++;
        const now = performance.now();
        if (mode === 'relay') {
          const tag = p.readUInt32BE(12);
          if (tag < maxSlots && c.sendTimes[tag] > 0) c.latencies.push(now - c.sendTimes[tag]);
          if (c.sampled) {
            // Decode in place; the 4 tag bytes become silence (keeps the tone's phase continuous).
            const pcm = new Int16Array(p.length - 12);
            ulawDecode(p.subarray(12), pcm);
            pcm.fill(0, 0, 4);
            c.pcmuRx.push(pcm);
          }
        } else if (c.sink) {
          c.sink.push(p);
          if (c.toneStartAt > 0 && c.onsetAt === 0 && c.sink.lastFrame) {
            const frame = c.sink.lastFrame;
            let e = 0;
            for (let k = 0; k < frame.length; k++) e += frame[k] * frame[k];
            if (frame.length > 0 && Math.sqrt(e / frame.length) > 1000) c.onsetAt = now;
          }
        }
      };
      list.push(c);
    } catch {
      setupFailures++;
      browser.close();
      peer.close();
    }
  }
  // Wait for ICE/DTLS on all calls.
  const t0w = Date.now();
  while (Date.now() - t0w < 20000 && list.some((c) => c.browser.state !== 'connected')) await sleep(50);
  const live = list.filter((c) => c.browser.state === 'connected');
  setupFailures += list.length - live.length;
  await sleep(300);

  // CPU is measured after a warm-up of the media path (default 3 s): the first seconds carry
  // one-time costs per worker (V8 tiering up the libopus WASM modules and the JS hot path),
  // which made 10 s runs report ~30 % more CPU per call-second than the steady state.
  // Loss and latency still cover the whole run.
  const warmupS = Math.min(Number(arg('warmup', '3')), durationS / 2);
  const warmTicks = Math.round(warmupS * 50);
  let u1 = await host.call<{ cpu: NodeJS.CpuUsage; rss: number }>('usage');
  // this process = the callers (node-datachannel, all its threads) and the RTP echo peers
  let peers1 = process.cpuUsage();
  const rss1 = u1.rss;
  const start = performance.now();
  let cpuFrom = start;
  // transcode: sampled calls send silence, then the tone; the onset's round trip is the latency.
  // The onset comes 1 s after the warm-up (not at 1 s): the adaptive jitter buffers size
  // themselves on the first second's start-up jitter (call setup, JIT warm-up) and shrink slowly,
  // so an onset at 1 s measured that transient, not the steady state (hundreds of ms at 200 calls).
  const silenceTicks = Math.min(warmTicks + 50, Math.floor((durationS * 50) / 2));
  let ticks = 0;
  let recvAtWarm = 0;
  const end = start + durationS * 1000;
  // Calls in order of their slot within the frame; `next` is the first call of the current
  // frame not sent yet. Each wakeup sends every call whose time has come (catching up after a
  // late timer), then sleeps until the next call's time. --aligned sends all calls in one burst
  // per frame, as earlier versions of this bench did (a burst no set of real phones makes).
  const order = [...live].sort((a, b) => a.slotMs - b.slotMs);
  let next = 0;
  while (performance.now() < end) {
    const frameStart = start + ticks * 20;
    while (next < order.length && frameStart + order[next].slotMs <= performance.now()) {
      const c = order[next++];
      if (mode === 'relay') {
        // Send time taken per packet, right before it is handed to the caller's stack.
        const pkt = pcmuPacket(c);
        c.sendTimes[c.sent] = performance.now();
        if (c.browser.send(pkt)) c.sent++;
      } else {
        const tone = ticks >= silenceTicks || !c.sampled;
        if (tone && c.toneStartAt === 0 && c.sampled) c.toneStartAt = performance.now();
        if (c.browser.send(opusLoop!.packet(c, !tone))) c.sent++;
      }
    }
    if (next < order.length) {
      const wait = frameStart + order[next].slotMs - performance.now();
      if (wait > 0) await sleep(wait);
      continue;
    }
    next = 0;
    ticks++;
    if (ticks === warmTicks) {
      u1 = await host.call<{ cpu: NodeJS.CpuUsage; rss: number }>('usage'); cpuFrom = performance.now();
      peers1 = process.cpuUsage();
      recvAtWarm = live.reduce((a, c) => a + c.received, 0);
    }
    const wait = start + ticks * 20 + (order.length ? order[0].slotMs : 0) - performance.now();
    if (wait > 0) await sleep(wait);
  }
  const u2 = await host.call<{ cpu: NodeJS.CpuUsage; rss: number }>('usage');
  // --diag: the engine's own per-call counters summed over every call (where packets were lost).
  let engineCounters: Record<string, unknown> | null = null;
  if (flag('diag')) {
    const all = await Promise.all(live.map((c) => host.call<Record<string, unknown>>('stats', c.id).catch(() => null)));
    engineCounters = sumCounters(all.filter((x): x is Record<string, unknown> => x !== null));
  }
  const peers2 = process.cpuUsage(peers1);
  const recvInWindow = live.reduce((a, c) => a + c.received, 0) - recvAtWarm;
  const cpuWindowS = (performance.now() - cpuFrom) / 1000;
  await sleep(500);
  const elapsed = (performance.now() - start) / 1000;

  const sent = live.reduce((a, c) => a + c.sent, 0);
  const recv = live.reduce((a, c) => a + c.received, 0);
  const lat = live.flatMap((c) => (mode === 'relay' ? c.latencies : (c.onsetAt > 0 ? [c.onsetAt - c.toneStartAt] : [])));
  lat.sort((a, b) => a - b);
  const pct = (p: number): number | null => (lat.length ? Number(lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2)) : null);
  let toneOk = live.some((c) => c.sampled);
  const toneFractions: number[] = [];
  for (const c of live.filter((x) => x.sampled)) {
    let samples: Int16Array;
    let rate: number;
    if (mode === 'relay') {
      const n = c.pcmuRx.reduce((a, x) => a + x.length, 0);
      samples = new Int16Array(n);
      let off = 0;
      for (const x of c.pcmuRx) { samples.set(x, off); off += x.length; }
      rate = 8000;
    } else {
      samples = c.sink!.samples();
      rate = 48000;
      // From 1 s after the onset (the sink's audio starts about when the calls start sending).
      samples = samples.subarray(Math.min(samples.length, Math.round(rate * (silenceTicks / 50 + 0.5))));
    }
    const rep = toneDominates(samples.subarray(rate / 2), rate, TONE_HZ, { candidates: [440, 2000] });
    toneFractions.push(Number(rep.fraction.toFixed(2)));
    if (rep.fraction < 0.8) toneOk = false;
  }
  const userMs = (u2.cpu.user - u1.cpu.user) / 1000;
  const sysMs = (u2.cpu.system - u1.cpu.system) / 1000;
  const cpuMs = userMs + sysMs;
  const perCallS = (ms: number): number => (live.length ? Number((ms / (live.length * cpuWindowS)).toFixed(3)) : 0);
  const result: RunResult = {
    calls: live.length, mode, durationS: Number(elapsed.toFixed(2)),
    lossPct: sent === 0 ? 100 : Number((100 * Math.max(0, 1 - recv / sent)).toFixed(3)),
    p50AddedMs: pct(0.5), p99AddedMs: pct(0.99),
    cpuMsPerCallSecond: perCallS(cpuMs),
    // The load generators' own CPU over the same window: on one box, engine + peers must fit the cores.
    peersCpuMsPerCallSecond: perCallS((peers2.user + peers2.system) / 1000),
    cpuUserMsPerCallSecond: perCallS(userMs), cpuSystemMsPerCallSecond: perCallS(sysMs),
    // Engine CPU alone on 2 cores (callers and echo peers excluded): 2 × 1000 ms / cpuMsPerCallSecond.
    projectedCallsOn2Cores: cpuMs > 0 ? Math.floor(2000 / (cpuMs / (live.length * cpuWindowS))) : 0,
    cpuWindowS: Number(cpuWindowS.toFixed(2)), warmupS,
    // Engine CPU per packet that made the whole round trip in the CPU window (browser → engine →
    // echo → engine → browser: 2 receives, 2 SRTP/rewrite steps and 2 sends in the engine).
    // Unlike cpuMsPerCallSecond it does not shrink when packets are lost before the engine.
    cpuUsPerRoundTrip: recvInWindow > 0 ? Number(((cpuMs * 1000) / recvInWindow).toFixed(2)) : null,
    workerKind: arg('worker-kind', 'thread'),
    opusComplexity: arg('opus-complexity', '') ? Number(arg('opus-complexity', '')) : null,
    packetIo: engineIo, srtpImpl: engineSrtp, peerIo, engineCpus: engineCpus || null, peerCpus: peerCpus || null, loadAvg1: Number(os.loadavg()[0].toFixed(2)),
    rssBytesPerCall: live.length ? Math.round((rss1 - usage0.rss) / live.length) : 0,
    toneOk, toneFractions, setupFailures, srtp: arg('srtp', 'cm'),
    ...(engineCounters ? { engineCounters } : {}),
    latencyMethod: mode === 'relay' ? 'per-packet round trip browser→Tandem→RTP echo→Tandem→browser (payload tag), loopback'
      : 'tone-onset round trip on sampled calls (silence→1 kHz, 1 s after the warm-up), includes both jitter buffers',
  };
  for (const c of list) { c.browser.close(); c.peer.close(); }
  await host.stop();
  await sleep(300);
  return result;
}

async function main(): Promise<void> {
  if (!inNetns()) {
    const r = await runCommandInNetns([process.execPath, thisFile, ...process.argv.slice(2)], { timeoutMs: 3_600_000 });
    const line = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
    if (line) console.log(line); else { console.error(r.stdout, r.stderr); process.exitCode = 1; }
    return;
  }
  const mode = arg('mode', 'relay') as Mode;
  const calls = Number(arg('calls', '10'));
  const durationS = Number(arg('duration', '10'));
  const workers = Number(arg('workers', '2'));
  const sampleN = Math.min(calls, Number(arg('sample', '5')));
  if (!flag('search')) {
    const r = await run(mode, calls, durationS, workers, sampleN);
    await ndcShutdown();
    console.log(JSON.stringify(r));
    setTimeout(() => process.exit(0), 200).unref();
    return;
  }
  // --search: each step runs in its own process (a crashing step counts as a failed step).
  const step = (n: number): RunResult | null => {
    const args = [thisFile, '--mode', mode, '--calls', String(n), '--duration', String(durationS), '--workers', String(workers),
      '--worker-kind', arg('worker-kind', 'thread'), '--packet-io', arg('packet-io', 'native'), '--peer-io', arg('peer-io', 'native'), ...(arg('srtp-impl', '') ? ['--srtp-impl', arg('srtp-impl', '')] : []), ...(arg('opus-complexity', '') ? ['--opus-complexity', arg('opus-complexity', '')] : []), '--warmup', arg('warmup', '3'), '--sample', String(sampleN), '--srtp', arg('srtp', 'cm'),
      ...(arg('engine-cpus', '') ? ['--engine-cpus', arg('engine-cpus', '')] : []), ...(arg('peer-cpus', '') ? ['--peer-cpus', arg('peer-cpus', '')] : []),
      ...(flag('aligned') ? ['--aligned'] : []), ...(flag('caller-mux') ? ['--caller-mux'] : [])];
    const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 600_000, env: process.env });
    const line = (r.stdout ?? '').trim().split('\n').filter((l) => l.startsWith('{')).pop();
    return line ? JSON.parse(line) as RunResult : null;
  };
  const steps: Array<{ calls: number; lossPct: number | null; cpuMsPerCallSecond: number | null; toneOk: boolean | null; p99AddedMs: number | null; ok: boolean }> = [];
  let best: RunResult | null = null;
  let n = calls;
  for (let i = 0; i < 10; i++) {
    const r = step(n);
    const ok = r !== null && r.lossPct < 1 && r.setupFailures === 0 && r.toneOk;
    steps.push({ calls: n, lossPct: r?.lossPct ?? null, cpuMsPerCallSecond: r?.cpuMsPerCallSecond ?? null, toneOk: r?.toneOk ?? null, p99AddedMs: r?.p99AddedMs ?? null, ok });
    if (!ok) break;
    best = r;
    n = Math.round(n * 1.5);
  }
  const out: Record<string, unknown> = { ...(best ?? { calls: 0, mode }), maxCallsUnderOnePercentLoss: best?.calls ?? 0, searchSteps: steps };
  await ndcShutdown();
  console.log(JSON.stringify(out));
  setTimeout(() => process.exit(0), 200).unref();
}

void main();
