/**
 * SIPp (`sipp`, Debian sip-tester 3.6) for tests.
 *
 * `startSipp()` launches one SIPp in its own process group with a working dir
 * under .tmp/ holding its traces (stat CSV, message log, error log, screen);
 * `wait()` resolves when it exits, with the exit code and collected traces;
 * `stop()` kills it (SIGTERM, then SIGKILL). A `timeoutMs` kill is always armed,
 * so no SIPp outlives a test even when nobody calls stop(); call
 * `stopAllSipp()` in an `after` hook anyway.
 *
 * SIPp exit codes: 0 all calls succeeded, 1 at least one call failed,
 * 97 exit on internal command, 99 normal exit without calls processed,
 * 255 (-1) fatal error, 254 (-2) fatal error binding a socket.
 *
 * Scenarios: test/fixtures/sipp/ (project copies of the team peer recipes: sipp):
 * - uas_pcmu_echo.xml: answers with PCMU + telephone-event on [media_port]; use `rtpEcho: true`.
 * - uac_pcmu_play.xml: calls `service@remote`, streams `tone.pcmu` (written by
 *   this helper from `toneHz`, default 1000 Hz) as PT 0 for 4 s, then BYE.
 * - uac_dtmf_pcap.xml: calls and plays /usr/share/sip-tester/dtmf_2833_1.pcap (RFC 4733 digits).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { linearToUlaw } from '../../src/media/codecs/g711.js';
import { fixturesDir } from './paths.js';
import { freePort, freeTcpPort, freeUdpPortPair, waitForUdpPort } from './ports.js';
import { spawnManaged, type ManagedProcess } from './proc.js';
import { makeTempDir, removeTempDir } from './tmp.js';
import { generateTone } from './tone.js';

/** Options for {@link startSipp}. Ports left out are allocated. */
export interface SippOptions {
  /** Scenario file: a name in test/fixtures/sipp/ (e.g. 'uas_pcmu_echo.xml') or an absolute path. */
  scenario: string;
  /** Remote `host:port` (UAC scenarios). */
  remote?: string;
  /** Request-URI user part (`-s`). Default 'service'. */
  service?: string;
  /** Local IP for SIP and media (`-i`, `-mi`). Default 127.0.0.1. */
  localIp?: string;
  /** SIP port (`-p`). Default: allocated. */
  port?: number;
  /** Media port (`-mp`, [media_port]; even). Default: allocated. */
  mediaPort?: number;
  /** Transport (`-t`): u1 UDP, t1 TCP. Default u1. */
  transport?: 'u1' | 'un' | 't1' | 'tn';
  /** Stop after this many calls (`-m`). Default 1. */
  calls?: number;
  /** Call rate per second (`-r`). Default SIPp's (10). */
  rate?: number;
  /** Echo RTP received on the media port (`-rtp_echo`). Default false. */
  rtpEcho?: boolean;
  /** Tone written as `tone.pcmu` in SIPp's working dir (for uac_pcmu_play.xml). Default 1000 Hz. */
  toneHz?: number;
  /** Extra files to write into SIPp's working dir: name → content. */
  files?: Record<string, string | Uint8Array>;
  /** `-key name value` pairs ([name] in the scenario). */
  keys?: Record<string, string>;
  /** Extra raw arguments. */
  extraArgs?: string[];
  /** Hard limit: SIPp is killed after this long. Default 30000 ms. */
  timeoutMs?: number;
}

/** What a finished SIPp left behind. */
export interface SippResult {
  /** SIPp's exit code (null when killed by a signal). */
  code: number | null;
  timedOut: boolean;
  /** Last row of the statistics CSV (`-trace_stat`), by column name; {} if none. */
  stats: Record<string, string>;
  /** Sent/received SIP messages (`-trace_msg`). */
  messages: string;
  /** Unexpected messages (`-trace_err`). */
  errors: string;
  /** Final screen (`-trace_screen`). */
  screen: string;
  stdout: string;
  stderr: string;
}

/** A running SIPp. */
export class SippInstance {
  /** Result of the run; resolves when SIPp exits. */
  private result: Promise<SippResult> | null = null;

  constructor(
    readonly proc: ManagedProcess,
    /** Working dir (traces, tone.pcmu). Removed by {@link cleanup} unless KEEP_TMP=1. */
    readonly dir: string,
    readonly port: number,
    readonly mediaPort: number,
    readonly localIp: string,
  ) {}

  /** `ip:port` SIPp listens on (for the other side's remote). */
  get address(): string {
    return `${this.localIp}:${this.port}`;
  }

  /** Waits for SIPp to exit and collects its traces. */
  wait(): Promise<SippResult> {
    if (this.result === null) {
      this.result = this.proc.exited.then((r) => ({
        code: r.code,
        timedOut: r.timedOut,
        stats: parseStats(this.read('stat.csv')),
        messages: this.read('messages.log'),
        errors: this.read('errors.log'),
        screen: this.read('screen.log'),
        stdout: r.stdout,
        stderr: r.stderr,
      }));
    }
    return this.result;
  }

  /** Kills SIPp (if still running) and returns its result. Idempotent. */
  async stop(): Promise<SippResult> {
    await this.proc.stop();
    return this.wait();
  }

  /** Stops SIPp and removes the working dir (unless KEEP_TMP=1). Idempotent. */
  async cleanup(): Promise<void> {
    await this.stop();
    live.delete(this);
    removeTempDir(this.dir);
  }

  private read(name: string): string {
    const p = path.join(this.dir, name);
    return existsSync(p) ? readFileSync(p, 'utf8') : '';
  }
}

const live = new Set<SippInstance>();

/** Parses SIPp's `;`-separated statistics CSV: header row + last data row. */
export function parseStats(csv: string): Record<string, string> {
  const rows = csv.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  if (rows.length < 2) return {};
  const head = rows[0].split(';');
  const last = rows[rows.length - 1].split(';');
  const out: Record<string, string> = {};
  head.forEach((h, i) => {
    if (h !== '') out[h] = last[i] ?? '';
  });
  return out;
}

/** A raw 8 kHz µ-law tone file (what `rtp_stream` plays). */
export function pcmuTone(freq: number, durationMs = 2000): Uint8Array {
  const pcm = generateTone({ rate: 8000, freq, amplitude: 0.5, durationMs });
  return Uint8Array.from(pcm, (s) => linearToUlaw(s));
}

/**
 * Starts SIPp. For scenarios that begin by receiving (UAS), resolves once SIPp's
 * SIP port is bound, so a caller can be started right after.
 */
export async function startSipp(options: SippOptions): Promise<SippInstance> {
  const localIp = options.localIp ?? '127.0.0.1';
  const scenario = path.isAbsolute(options.scenario) ? options.scenario : path.join(fixturesDir, 'sipp', options.scenario);
  if (!existsSync(scenario)) throw new Error(`SIPp scenario not found: ${scenario}`);
  const port = options.port ?? (await freePort(localIp));
  const mediaPort = options.mediaPort ?? (await freeUdpPortPair(localIp));
  const controlPort = await freeTcpPort(localIp);
  const dir = makeTempDir('sipp');
  writeFileSync(path.join(dir, 'tone.pcmu'), pcmuTone(options.toneHz ?? 1000));
  for (const [name, content] of Object.entries(options.files ?? {})) writeFileSync(path.join(dir, name), content);

  const timeoutMs = options.timeoutMs ?? 30000;
  const args = [
    '-sf', scenario,
    '-i', localIp, '-p', String(port),
    '-mi', localIp, '-mp', String(mediaPort),
    '-cp', String(controlPort),
    '-t', options.transport ?? 'u1',
    '-m', String(options.calls ?? 1),
    '-s', options.service ?? 'service',
    '-nostdin',
    '-timeout', `${Math.ceil(timeoutMs / 1000)}s`, '-timeout_error',
    '-trace_stat', '-stf', path.join(dir, 'stat.csv'), '-fd', '1',
    '-trace_msg', '-message_file', path.join(dir, 'messages.log'),
    '-trace_err', '-error_file', path.join(dir, 'errors.log'),
    '-trace_screen', '-screen_file', path.join(dir, 'screen.log'),
  ];
  if (options.rate !== undefined) args.push('-r', String(options.rate));
  if (options.rtpEcho === true) args.push('-rtp_echo');
  for (const [k, v] of Object.entries(options.keys ?? {})) args.push('-key', k, v);
  args.push(...(options.extraArgs ?? []));
  if (options.remote !== undefined) args.push(options.remote);

  // The harness kill comes a little after SIPp's own -timeout, so SIPp gets to write its traces.
  const proc = spawnManaged('sipp', args, { cwd: dir, timeoutMs: timeoutMs + 3000 });
  const inst = new SippInstance(proc, dir, port, mediaPort, localIp);
  live.add(inst);
  if (options.remote === undefined) {
    try {
      await Promise.race([
        waitForUdpPort(port, { host: localIp, timeoutMs: 5000 }),
        proc.exited.then((r) => {
          throw new Error(`sipp exited early (${r.code}): ${r.stderr || r.stdout}`);
        }),
      ]);
    } catch (err) {
      await inst.cleanup();
      throw err;
    }
  }
  return inst;
}

/** Starts SIPp and waits for it to finish (UAC runs). The working dir is removed afterwards. */
export async function runSipp(options: SippOptions): Promise<SippResult> {
  const inst = await startSipp(options);
  const res = await inst.wait();
  await inst.cleanup();
  return res;
}

/** Stops and cleans every SIPp still running (for mocha `after`/`afterEach`). */
export async function stopAllSipp(): Promise<void> {
  await Promise.all([...live].map((s) => s.cleanup()));
}
