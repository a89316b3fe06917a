// SIP signaling benchmark: SIPp UAC (-sn uac) → Tandem (SipStackCore + DrachtioServer) →
// drachtio-srf B2BUA (srf.createB2BUA, SDP passed through, no media) → SIPp UAS (-sn uas), UDP.
// Prints ONE JSON object.
//   npm run bench:sip -- [--rate R] [--duration S] [--search] [--layout split|single]
//                        [--call-ms 1000] [--profile DIR]
//   --rate R        call attempts per second for a single run (default 100)
//   --duration S    seconds of call placement (default 60)
//   --search        coarse rate steps (15 s trials) up to the first failing one, a refinement
//                   step, then a --duration confirmation at the best rate → maxSustainedCps
//   --layout split  (default) gateway process + srf app process; `single`: both in one process
//   --sip-io native (default) the gateway's SIP UDP on the native pump (sip.packetIo); `node`: node:dgram
//   --profile DIR   run the gateway process under `node --cpu-prof` (profile written to DIR)
//   --steps a,b,..  rates tried by --search (default 50,100,150,200,300,400,500,600,800,1000,1200)
//   --trial-duration S  seconds per --search step (default 15); --keep keeps SIPp's traces in /tmp
// Every process (2 Node children, 2 SIPp) is killed at the end; every trial is time-bounded.
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { arg, type Stall } from './sip/ipc.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const flag = (name: string): boolean => process.argv.includes(`--${name}`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const CLK_TCK = 100;

interface TrialResult {
  rate: number; durationS: number; callsAttempted: number; callsSucceeded: number; callsFailed: number;
  cpsAchieved: number; tandemCpuPct: number; srfCpuPct: number; sippCpuPct: number;
  /** Gateway process CPU (user+system) per successful call, ms: the figure of merit on a shared box. */
  tandemCpuMsPerCall: number | null; srfCpuMsPerCall: number | null;
  /** The kernel (system time) part of tandemCpuMsPerCall. */
  tandemSysMsPerCall: number | null;
  p50SetupMs: number | null; p99SetupMs: number | null; layout: string; sippExit: number | null;
  retransmissions: number; app?: unknown; stack?: unknown;
  /** The gateway's SIP UDP I/O: 'native' (pump) or 'node' (dgram), from --sip-io. */
  sipIo?: string | null;
  /** Event-loop stalls ≥ 50 ms and GC pauses ≥ 20 ms per Node process, seconds after the UAC started (worst 20). */
  stalls?: { gateway: StallOut[]; app: StallOut[] };
  /** Largest V8 heapUsed sampled once a second in each Node process (bytes). */
  maxHeapUsed?: { gateway: number | null; app: number | null };
}

const numOrNull = (v: unknown): number | null => (typeof v === 'number' ? v : null);

interface StallOut { atS: number; ms: number; kind: string }

/** The worst `n` stalls reported by a child, timed from `t0` (epoch ms), in time order. */
function stallsFrom(stop: Record<string, unknown> | undefined, t0: number, n = 20): StallOut[] {
  const list = Array.isArray(stop?.stalls) ? (stop.stalls as Stall[]) : [];
  return list.filter((s) => s.at >= t0).sort((a, b) => b.ms - a.ms).slice(0, n)
    .map((s) => ({ atS: Number(((s.at - t0) / 1000).toFixed(1)), ms: s.ms, kind: s.kind })).sort((a, b) => a.atS - b.atS);
}

/** utime+stime of a process in seconds (0 once it is gone). */
function cpuSeconds(pid: number | undefined): number {
  return sysAndUser(pid).total;
}

/** utime, stime and their sum in seconds (0 once the process is gone). */
function sysAndUser(pid: number | undefined): { user: number; sys: number; total: number } {
  if (pid === undefined) return { user: 0, sys: 0, total: 0 };
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const user = Number(f[11]) / CLK_TCK; // fields 14 and 15 of stat(5)
    const sys = Number(f[12]) / CLK_TCK;
    return { user, sys, total: user + sys };
  } catch {
    return { user: 0, sys: 0, total: 0 };
  }
}

async function freeUdpPort(): Promise<number> {
  const dgram = await import('node:dgram');
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
}

function waitMessage<T>(child: ChildProcess, type: string, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => { cleanup(); reject(new Error(`child did not send ${type} within ${ms} ms`)); }, ms);
    const onMsg = (m: { type?: string }): void => {
      if (m.type === type) { cleanup(); resolve(m as T); }
    };
    const onExit = (code: number | null): void => { cleanup(); reject(new Error(`child exited (${code}) before ${type}`)); };
    const cleanup = (): void => { clearTimeout(t); child.off('message', onMsg); child.off('exit', onExit); };
    child.on('message', onMsg);
    child.once('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

async function kill(child: ChildProcess | undefined, graceMs = 3000): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited(child);
  clearTimeout(t);
}

async function stopNode(child: ChildProcess | undefined): Promise<Record<string, unknown> | undefined> {
  if (!child || child.exitCode !== null) return undefined;
  const stopped = waitMessage<Record<string, unknown>>(child, 'stopped', 10000).catch(() => undefined);
  child.send({ type: 'stop' });
  const r = await stopped;
  const t = setTimeout(() => child.kill('SIGKILL'), 10000);
  await exited(child);
  clearTimeout(t);
  return r;
}

function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Last row of SIPp's `;`-separated stat CSV, by column. */
function lastStatRow(file: string): Record<string, string> {
  if (!existsSync(file)) return {};
  const rows = readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  if (rows.length < 2) return {};
  const head = rows[0].split(';');
  const last = rows[rows.length - 1].split(';');
  const out: Record<string, string> = {};
  head.forEach((h, i) => { if (h !== '') out[h] = last[i] ?? ''; });
  return out;
}

/** One trial at a fixed rate. */
async function trial(rate: number, durationS: number, opts: { layout: 'split' | 'single'; callMs: number; sipIo: 'native' | 'node'; profileDir?: string }): Promise<TrialResult> {
  let sipIoUsed: string | null = null;
  const dir = mkdtempSync(path.join(tmpdir(), 'tandem-bench-sip-'));
  const secret = 'bench-secret';
  const uasPort = await freeUdpPort();
  const uacPort = await freeUdpPort();
  const total = Math.max(1, Math.round(rate * durationS));
  let gateway: ChildProcess | undefined;
  let app: ChildProcess | undefined;
  let uas: ChildProcess | undefined;
  let uac: ChildProcess | undefined;
  const target = `sip:svc@127.0.0.1:${uasPort}`;
  try {
    const sippCommon = ['-i', '127.0.0.1', '-nostdin', '-buff_size', '8388608', '-max_socket', '1000'];
    uas = spawn('sipp', ['-sn', 'uas', '-p', String(uasPort), ...sippCommon, '-l', '1000000', '-timeout', `${durationS + 60}s`,
      '-trace_err', '-error_file', path.join(dir, 'uas-errors.log'), '-trace_screen', '-screen_file', path.join(dir, 'uas-screen.log')],
      { cwd: dir, stdio: 'ignore' });
    const execArgv = opts.profileDir ? ['--cpu-prof', '--cpu-prof-dir', opts.profileDir] : [];
    gateway = fork(path.join(here, 'sip', 'gateway.js'), ['--secret', secret, '--sip-io', opts.sipIo, ...(opts.layout === 'single' ? ['--with-app', target] : [])],
      { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const ready = await waitMessage<{ sipPort: number; drachtioPort: number; udpIo?: string }>(gateway, 'ready', 15000);
    sipIoUsed = ready.udpIo ?? null;
    if (opts.layout === 'split') {
      app = fork(path.join(here, 'sip', 'b2bua-app.js'), ['--drachtio-port', String(ready.drachtioPort), '--secret', secret, '--target', target],
        { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
      await waitMessage(app, 'ready', 15000);
    }
    await sleep(300);
    const stat = path.join(dir, 'uac-stat.csv');
    const cpu0 = { gw: cpuSeconds(gateway.pid), app: cpuSeconds(app?.pid), uas: cpuSeconds(uas.pid) };
    const gwSys0 = sysAndUser(gateway.pid).sys;
    const t0 = Date.now();
    uac = spawn('sipp', [
      '-sn', 'uac', `127.0.0.1:${ready.sipPort}`, '-s', 'svc', '-p', String(uacPort), ...sippCommon,
      '-r', String(rate), '-rp', '1000', '-d', String(opts.callMs), '-m', String(total), '-l', String(Math.max(100, rate * 20)),
      '-recv_timeout', '10000', '-timeout', `${durationS + 40}s`,
      '-trace_stat', '-stf', stat, '-fd', '5', '-trace_rtt', '-rtt_freq', '50', '-trace_screen', '-screen_file', path.join(dir, 'uac-screen.log'),
      '-trace_err', '-error_file', path.join(dir, 'uac-errors.log'),
    ], { cwd: dir, stdio: 'ignore' });
    // SIPp's -timeout bounds it; this is the backstop
    const backstop = setTimeout(() => uac?.kill('SIGKILL'), (durationS + 50) * 1000);
    let cpuUac = 0;
    const pollUac = setInterval(() => { cpuUac = Math.max(cpuUac, cpuSeconds(uac?.pid)); }, 250);
    const sippExit = await exited(uac);
    clearTimeout(backstop);
    clearInterval(pollUac);
    const wallS = (Date.now() - t0) / 1000;
    const cpu1 = { gw: cpuSeconds(gateway.pid), app: cpuSeconds(app?.pid), uas: cpuSeconds(uas.pid) };
    const gwSys1 = sysAndUser(gateway.pid).sys;

    const row = lastStatRow(stat);
    const attempted = Number(row['TotalCallCreated'] ?? row['OutgoingCall(C)'] ?? 0);
    const ok = Number(row['SuccessfulCall(C)'] ?? 0);
    const failed = Number(row['FailedCall(C)'] ?? 0);
    const retrans = Number(row['Retransmissions(C)'] ?? 0);
    // every response time SIPp logged (INVITE sent → 200 received, rtd on the 200)
    const rtts: Array<{ at: number; ms: number }> = [];
    for (const f of readdirSync(dir).filter((n) => n.endsWith('_rtt.csv'))) {
      for (const line of readFileSync(path.join(dir, f), 'utf8').split('\n')) {
        const p = line.trim().split(';');
        if (p.length >= 2 && /^[0-9.]+$/.test(p[0]) && /^[0-9.]+$/.test(p[1])) rtts.push({ at: Number(p[0]), ms: Number(p[1]) });
      }
    }
    const sorted = rtts.map((r) => r.ms).sort((a, b) => a - b);
    const ats = rtts.map((r) => r.at).sort((a, b) => a - b);
    const spanS = ats.length > 1 ? (ats[ats.length - 1] - ats[0]) / 1000 : durationS;
    // setups per second over the window in which 200s arrived (the placement window)
    const cpsAchieved = spanS > 0 ? (ats.length - 1) / spanS : 0;
    const pct = (s: number): number => Number((100 * s / wallS).toFixed(1));
    const appStop = await stopNode(app);
    const gwStop = await stopNode(gateway);
    return {
      rate, durationS, callsAttempted: attempted, callsSucceeded: ok, callsFailed: failed + Math.max(0, total - ok - failed),
      cpsAchieved: Number(cpsAchieved.toFixed(1)),
      tandemCpuPct: pct(cpu1.gw - cpu0.gw), srfCpuPct: pct(cpu1.app - cpu0.app), sippCpuPct: pct(cpuUac + cpu1.uas - cpu0.uas),
      tandemCpuMsPerCall: ok > 0 ? Number((1000 * (cpu1.gw - cpu0.gw) / ok).toFixed(3)) : null,
      srfCpuMsPerCall: ok > 0 && app ? Number((1000 * (cpu1.app - cpu0.app) / ok).toFixed(3)) : null,
      tandemSysMsPerCall: ok > 0 ? Number((1000 * (gwSys1 - gwSys0) / ok).toFixed(3)) : null,
      p50SetupMs: percentile(sorted, 0.5), p99SetupMs: percentile(sorted, 0.99), layout: opts.layout, sippExit,
      retransmissions: retrans, sipIo: sipIoUsed, app: gwStop?.app ?? appStop?.app, stack: gwStop?.stack,
      stalls: { gateway: stallsFrom(gwStop, t0), app: stallsFrom(appStop ?? gwStop, t0) },
      maxHeapUsed: { gateway: numOrNull(gwStop?.maxHeapUsed), app: numOrNull((appStop ?? gwStop)?.maxHeapUsed) },
    };
  } finally {
    await kill(uac);
    await kill(uas);
    await kill(app);
    await kill(gateway);
    if (!flag('keep')) rmSync(dir, { recursive: true, force: true });
  }
}

function passed(r: TrialResult): boolean {
  return r.callsFailed === 0 && r.callsSucceeded === Math.round(r.rate * r.durationS) && r.cpsAchieved >= 0.95 * r.rate;
}

async function main(): Promise<void> {
  const layout = arg('layout', 'split') === 'single' ? 'single' : 'split';
  const callMs = Number(arg('call-ms', '1000'));
  const sipIo = arg('sip-io', 'native') === 'node' ? 'node' : 'native';
  const durationS = Number(arg('duration', '60'));
  const profileDir = arg('profile', '') || undefined;
  const machine = {
    nproc: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', ramGiB: Number((totalmem() / 2 ** 30).toFixed(1)), node: process.version,
    date: new Date().toISOString(),
  };
  const log = (o: unknown): void => { process.stderr.write(`${JSON.stringify(o)}\n`); };
  if (!flag('search')) {
    const r = await trial(Number(arg('rate', '100')), durationS, { layout, callMs, sipIo, profileDir });
    console.log(JSON.stringify({ ...r, passed: passed(r), machine }));
    return;
  }
  const trialS = Number(arg('trial-duration', '15'));
  const steps = arg('steps', '50,100,150,200,300,400,500,600,800,1000,1200').split(',').map(Number);
  let best = 0;
  let firstFail: number | undefined;
  const trials: TrialResult[] = [];
  for (const rate of steps) {
    const r = await trial(rate, trialS, { layout, callMs, sipIo });
    trials.push(r);
    log({ trial: rate, passed: passed(r), ok: r.callsSucceeded, failed: r.callsFailed, cps: r.cpsAchieved, p99: r.p99SetupMs, cpu: [r.tandemCpuPct, r.srfCpuPct, r.sippCpuPct], msPerCall: r.tandemCpuMsPerCall });
    if (!passed(r)) { firstFail = rate; break; }
    best = rate;
  }
  if (firstFail !== undefined && best > 0) {
    const mid = Math.round((best + firstFail) / 2 / 10) * 10;
    if (mid > best && mid < firstFail) {
      const r = await trial(mid, trialS, { layout, callMs, sipIo });
      trials.push(r);
      log({ trial: mid, passed: passed(r), ok: r.callsSucceeded, failed: r.callsFailed, cps: r.cpsAchieved, p99: r.p99SetupMs });
      if (passed(r)) best = mid;
    }
  }
  // confirmation at the best rate; step down 10% (at most twice) when it fails
  let confirmed: TrialResult | undefined;
  for (let i = 0, rate = best; i < 3 && rate > 0; i++, rate = Math.floor(rate * 0.9)) {
    const r = await trial(rate, durationS, { layout, callMs, sipIo, profileDir });
    log({ confirm: rate, passed: passed(r), ok: r.callsSucceeded, failed: r.callsFailed, cps: r.cpsAchieved });
    confirmed = r;
    if (passed(r)) break;
  }
  const maxSustainedCps = confirmed && passed(confirmed) ? confirmed.rate : 0;
  console.log(JSON.stringify({
    ...(confirmed ?? trials[trials.length - 1]), maxSustainedCps, firstFailingRate: firstFail ?? null,
    trials: trials.map((t) => ({ rate: t.rate, passed: passed(t), callsFailed: t.callsFailed, cpsAchieved: t.cpsAchieved, p99SetupMs: t.p99SetupMs, tandemCpuPct: t.tandemCpuPct, tandemCpuMsPerCall: t.tandemCpuMsPerCall, srfCpuPct: t.srfCpuPct, sippCpuPct: t.sippCpuPct })),
    machine,
  }));
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:sip failed: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exitCode = 1;
});
