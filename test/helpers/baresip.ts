/**
 * baresip 1.0 as a test peer: a headless, auto-answering "desk phone" that
 * plays a WAV tone as its microphone and records what it hears.
 *
 * `startBaresip()` writes a config dir under .tmp/ (config + accounts, after
 * the team peer recipe (baresip config.example)), generates the tone WAV, starts
 * `baresip -f DIR`, and connects to its `ctrl_tcp` module (netstring-framed
 * JSON, as the team peer recipes: tools/bs_ctrl.py). Recordings come from the
 * `sndfile` module: `dump-*-dec.wav` is what baresip heard (decoded from the
 * network), `dump-*-enc.wav` what it sent.
 *
 * Pitfalls handled: baresip's TLS listener takes SIP port + 1 (ports are
 * allocated 2 apart); the stdio UI needs a terminal (not loaded; ctrl_tcp is
 * used); sndfile only finalizes WAV headers on a clean exit, so {@link
 * BaresipInstance.stop} sends `quit` first (readWav also tolerates unfinished
 * headers).
 */
import { readdirSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePorts, waitForTcpPort } from './ports.js';
import { spawnManaged, type ManagedProcess } from './proc.js';
import { makeTempDir, removeTempDir } from './tmp.js';
import { readWav, writeToneWav, type WavData } from './tone.js';

/** Options for {@link startBaresip}; every field has a default. */
export interface BaresipOptions {
  /** SIP user of the local account (`sip:<user>@ip:port`). Default 'bob'. */
  user?: string;
  /** Local IP for SIP, RTP and ctrl_tcp (`net_interface`). Default 127.0.0.1. */
  ip?: string;
  /** SIP port (TLS takes port + 1). Default: allocated. */
  sipPort?: number;
  /** ctrl_tcp port. Default: allocated. */
  ctrlPort?: number;
  /** First RTP port; baresip uses [rtpPort, rtpPort + 19]. Default: allocated. */
  rtpPort?: number;
  /** Tone the microphone plays (Hz). Default 1000. Ignored when `sourceWav` is set. */
  toneHz?: number;
  /** Use this WAV as microphone instead of a generated tone. */
  sourceWav?: string;
  /** Duration of the generated tone in s (aufile stops at end of file). Default 30. */
  toneSeconds?: number;
  /**
   * Audio codecs for the account (`audio_codecs=`, comma separated), e.g. 'PCMU', 'PCMA',
   * 'opus' (expanded to baresip's 'opus/48000/2'). Default 'PCMU'.
   */
  codecs?: string;
  /** Media encryption (`mediaenc=`): 'srtp-mand' (SDES, RTP/SAVP), 'dtls_srtp', ... Default none. */
  mediaenc?: string;
  /** Answer mode (`answermode=`). Default 'auto'. */
  answerMode?: 'auto' | 'manual' | 'early';
  /** Extra `;key=value` account parameters, e.g. 'medianat=ice'. */
  accountParams?: string[];
  /** Sample rate of source/player (and of the recordings). Default 8000. */
  sampleRate?: number;
  /** Extra config lines appended to `config`. */
  extraConfig?: string[];
  /** Hard limit; baresip is killed after this long. Default 60000 ms. */
  timeoutMs?: number;
  /** Add `-v` (verbose) to baresip's command line. Default false. */
  verbose?: boolean;
}

/** A baresip ctrl_tcp event or response (JSON object). */
export interface BaresipMessage {
  event?: boolean;
  response?: boolean;
  type?: string;
  class?: string;
  ok?: boolean;
  data?: string;
  token?: string;
  param?: string;
  peeruri?: string;
  [key: string]: unknown;
}

const MODULES = ['g711.so', 'opus.so', 'alsa.so', 'aufile.so', 'sndfile.so', 'srtp.so', 'dtls_srtp.so', 'ice.so'];

/** Builds the `config` file text (exported for inspection in tests). */
export function baresipConfig(o: {
  ip: string; sipPort: number; ctrlPort: number; rtpPort: number; sourceWav: string; recordDir: string; sampleRate: number;
  extra?: string[];
}): string {
  const lines = [
    'poll_method\tepoll',
    `sip_listen\t${o.ip}:${o.sipPort}`,
    `net_interface\t${o.ip}`,
    'call_local_timeout\t120',
    'call_max_calls\t4',
    'audio_player\talsa,null',
    `audio_source\taufile,${o.sourceWav}`,
    'audio_alert\talsa,null',
    `ausrc_srate\t${o.sampleRate}`,
    `auplay_srate\t${o.sampleRate}`,
    'ausrc_channels\t1',
    'auplay_channels\t1',
    'audio_buffer\t20-160',
    `rtp_ports\t${o.rtpPort}-${o.rtpPort + 19}`,
    'rtp_timeout\t0',
    'rtcp_mux\tno',
    'jitter_buffer_delay\t5-10',
    'rtp_stats\tyes',
    'module_path\t/usr/lib/baresip/modules',
    ...MODULES.map((m) => `module\t\t${m}`),
    'module_tmp\tuuid.so',
    'module_tmp\taccount.so',
    'module_app\tmenu.so',
    'module_app\tctrl_tcp.so',
    `ctrl_tcp_listen\t${o.ip}:${o.ctrlPort}`,
    `snd_path\t${o.recordDir}`,
    ...(o.extra ?? []),
  ];
  return `${lines.join('\n')}\n`;
}

/** A running baresip with its ctrl_tcp connection. */
export class BaresipInstance {
  /** Every event received on ctrl_tcp, in order. */
  readonly events: BaresipMessage[] = [];
  private sock: net.Socket | null = null;
  private buf = Buffer.alloc(0);
  private tokenSeq = 0;
  private readonly pending = new Map<string, (m: BaresipMessage) => void>();
  private readonly eventWaiters = new Set<(m: BaresipMessage) => void>();
  private cleaned = false;

  constructor(
    readonly proc: ManagedProcess,
    /** Config dir (config, accounts, tone.wav, rec/). */
    readonly dir: string,
    /** Where sndfile writes dump-*.wav. */
    readonly recordDir: string,
    readonly user: string,
    readonly ip: string,
    readonly sipPort: number,
    readonly ctrlPort: number,
  ) {}

  /** This phone's SIP URI, to dial it. */
  get uri(): string {
    return `sip:${this.user}@${this.ip}:${this.sipPort}`;
  }

  /** Connects to ctrl_tcp (called by startBaresip). */
  async connect(): Promise<void> {
    await waitForTcpPort(this.ctrlPort, { host: this.ip, timeoutMs: 10000 });
    const sock = net.connect({ host: this.ip, port: this.ctrlPort });
    await new Promise<void>((resolve, reject) => {
      sock.once('connect', resolve);
      sock.once('error', reject);
    });
    sock.on('error', () => undefined);
    sock.on('data', (d: Buffer) => this.onData(d));
    this.sock = sock;
  }

  private onData(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const colon = this.buf.indexOf(0x3a);
      if (colon < 0) return;
      const len = Number(this.buf.subarray(0, colon).toString('ascii'));
      if (!Number.isInteger(len) || this.buf.length < colon + 1 + len + 1) return;
      const body = this.buf.subarray(colon + 1, colon + 1 + len).toString('utf8');
      this.buf = this.buf.subarray(colon + 1 + len + 1);
      let msg: BaresipMessage;
      try {
        msg = JSON.parse(body) as BaresipMessage;
      } catch {
        continue;
      }
      if (msg.response === true && typeof msg.token === 'string' && this.pending.has(msg.token)) {
        const cb = this.pending.get(msg.token);
        this.pending.delete(msg.token);
        cb?.(msg);
      } else if (msg.event === true) {
        this.events.push(msg);
        for (const w of [...this.eventWaiters]) w(msg);
      }
    }
  }

  /**
   * Sends a ctrl_tcp command (e.g. 'dial', 'hangup', 'accept', 'quit', 'callstat')
   * and resolves with baresip's response.
   */
  command(command: string, params = '', timeoutMs = 5000): Promise<BaresipMessage> {
    const sock = this.sock;
    if (sock === null) return Promise.reject(new Error('baresip ctrl_tcp not connected'));
    const token = `t${++this.tokenSeq}`;
    const body = Buffer.from(JSON.stringify({ command, params, token }), 'utf8');
    return new Promise<BaresipMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        reject(new Error(`baresip: no response to ${command} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      sock.write(Buffer.concat([Buffer.from(`${body.length}:`, 'ascii'), body, Buffer.from(',', 'ascii')]));
    });
  }

  /** Dials a SIP URI. */
  dial(uri: string): Promise<BaresipMessage> {
    return this.command('dial', uri);
  }

  /** Hangs up the current call. */
  hangup(): Promise<BaresipMessage> {
    return this.command('hangup');
  }

  /**
   * Resolves with the first event (already received or future) of `type`
   * (e.g. 'CALL_ESTABLISHED', 'CALL_CLOSED', 'CALL_INCOMING'); rejects after `timeoutMs`.
   */
  waitForEvent(type: string, timeoutMs = 10000): Promise<BaresipMessage> {
    const seen = this.events.find((e) => e.type === type);
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise<BaresipMessage>((resolve, reject) => {
      const waiter = (m: BaresipMessage): void => {
        if (m.type !== type) return;
        clearTimeout(timer);
        this.eventWaiters.delete(waiter);
        resolve(m);
      };
      const timer = setTimeout(() => {
        this.eventWaiters.delete(waiter);
        reject(new Error(`baresip ${this.user}: no ${type} within ${timeoutMs} ms; events: ${this.events.map((e) => e.type).join(',')}`));
      }, timeoutMs);
      this.eventWaiters.add(waiter);
    });
  }

  /**
   * Codecs baresip reported choosing for the last call (from its log lines
   * "Set audio encoder/decoder: PCMU 8000Hz 1ch"), e.g. { encoder: 'PCMU', decoder: 'PCMU' }.
   */
  audioCodecs(): { encoder: string | null; decoder: string | null } {
    const pick = (kind: string): string | null => {
      const all = [...this.proc.stdout.matchAll(new RegExp(`Set audio ${kind}: (\\S+)`, 'g'))];
      return all.length === 0 ? null : all[all.length - 1][1];
    };
    return { encoder: pick('encoder'), decoder: pick('decoder') };
  }

  /** True when baresip logged that SRTP (SDES or DTLS) is enabled for the audio stream. */
  srtpEnabled(): boolean {
    return /SRTP is Enabled|DTLS-SRTP.*(established|ready)|dtls_srtp: .*(established|complete)/i.test(this.proc.stdout);
  }

  /** Paths of the sndfile recordings (`dec`: heard, `enc`: sent), oldest first. */
  recordings(kind: 'dec' | 'enc'): string[] {
    let names: string[];
    try {
      names = readdirSync(this.recordDir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.startsWith('dump-') && n.endsWith(`-${kind}.wav`))
      .map((n) => path.join(this.recordDir, n))
      .sort((a, b) => statSync(a).mtimeMs - statSync(b).mtimeMs);
  }

  /** The newest recording of `kind`, decoded; throws when there is none. */
  readRecording(kind: 'dec' | 'enc'): WavData {
    const files = this.recordings(kind);
    if (files.length === 0) throw new Error(`baresip ${this.user}: no ${kind} recording in ${this.recordDir}`);
    return readWav(files[files.length - 1]);
  }

  /**
   * Quits baresip cleanly (ctrl_tcp `quit`, so sndfile finalizes its WAVs), then
   * SIGTERM/SIGKILL if it does not exit within 3 s. Idempotent.
   */
  async stop(): Promise<void> {
    if (this.proc.running && this.sock !== null) {
      this.command('quit', '', 1000).catch(() => undefined);
      await Promise.race([this.proc.exited, new Promise((r) => setTimeout(r, 3000).unref())]);
    }
    await this.proc.stop();
    this.sock?.destroy();
    this.sock = null;
    for (const [, cb] of this.pending) cb({ response: true, ok: false, data: 'closed' });
    this.pending.clear();
  }

  /** Stops baresip and removes its dir (unless KEEP_TMP=1). Idempotent. */
  async cleanup(): Promise<void> {
    await this.stop();
    live.delete(this);
    if (!this.cleaned) {
      this.cleaned = true;
      removeTempDir(this.dir);
    }
  }
}

const live = new Set<BaresipInstance>();

/** baresip names Opus 'opus/48000/2' in audio_codecs; a bare 'opus' matches nothing there. */
function expandCodecs(codecs: string): string {
  return codecs.split(',').map((c) => (c.trim().toLowerCase() === 'opus' ? 'opus/48000/2' : c.trim())).join(',');
}

/** Starts a baresip and resolves once its ctrl_tcp is connected. */
export async function startBaresip(options: BaresipOptions = {}): Promise<BaresipInstance> {
  const ip = options.ip ?? '127.0.0.1';
  const user = options.user ?? 'bob';
  const [sipPort, ctrlPort] = options.sipPort !== undefined && options.ctrlPort !== undefined
    ? [options.sipPort, options.ctrlPort]
    : await freePorts(2, { host: ip, spacing: 2 });
  const rtpPort = options.rtpPort ?? 20000 + Math.floor(Math.random() * 2000) * 20;
  const dir = makeTempDir(`baresip-${user}`);
  const recordDir = path.join(dir, 'rec');
  mkdirSync(recordDir);
  const sampleRate = options.sampleRate ?? 8000;
  const sourceWav = options.sourceWav ?? writeToneWav(path.join(dir, 'tone.wav'), {
    rate: sampleRate, freq: options.toneHz ?? 1000, amplitude: 0.5, durationMs: (options.toneSeconds ?? 30) * 1000,
  });
  writeFileSync(path.join(dir, 'config'), baresipConfig({
    ip, sipPort, ctrlPort, rtpPort, sourceWav, recordDir, sampleRate, extra: options.extraConfig,
  }));
  const params = [
    'regint=0',
    `answermode=${options.answerMode ?? 'auto'}`,
    `audio_codecs=${expandCodecs(options.codecs ?? 'PCMU')}`,
    ...(options.mediaenc !== undefined ? [`mediaenc=${options.mediaenc}`] : []),
    ...(options.accountParams ?? []),
  ];
  writeFileSync(path.join(dir, 'accounts'), `<sip:${user}@${ip}:${sipPort}>;${params.join(';')}\n`);

  const args = ['-f', dir, ...(options.verbose === true ? ['-v'] : [])];
  const proc = spawnManaged('baresip', args, { cwd: dir, timeoutMs: options.timeoutMs ?? 60000 });
  const inst = new BaresipInstance(proc, dir, recordDir, user, ip, sipPort, ctrlPort);
  live.add(inst);
  try {
    await Promise.race([
      inst.connect(),
      proc.exited.then((r) => {
        throw new Error(`baresip exited early (${r.code}): ${r.stderr.slice(-2000)}${r.stdout.slice(-2000)}`);
      }),
    ]);
  } catch (err) {
    await inst.cleanup();
    throw err;
  }
  return inst;
}

/** Stops and cleans every baresip still running (for mocha `after`/`afterEach`). */
export async function stopAllBaresip(): Promise<void> {
  await Promise.all([...live].map((b) => b.cleanup()));
}
