/**
 * A small UDP impairment proxy for media tests: random loss, random delay
 * (jitter, which reorders by itself) and explicit reordering, from a seeded
 * RNG so a failing run can be replayed.
 *
 *   client ──▶ proxy.port ──(impair)──▶ upstream socket ──▶ target
 *   client ◀── proxy.port ◀──(impair)── upstream socket ◀── target
 *
 * The client is whoever last sent to `proxy.port` (latched); the target sees
 * every datagram coming from `proxy.upstreamPort`, so give the target that
 * address as its remote (e.g. an RTP leg's SDP remote, or a WebRTC answer's
 * candidate rewritten to `proxy.port` for the browser side).
 *
 * By default only RTP/RTCP datagrams (first byte 128–191, RFC 7983) are
 * impaired; STUN and DTLS pass untouched so call setup is not slowed by
 * handshake retransmissions. Set `impairAll` to impair everything.
 */
import dgram from 'node:dgram';
export { seededRandom } from './seeded-random.js';
import { seededRandom } from './seeded-random.js';

/** Impairment of one direction. */
export interface ImpairSpec {
  /** Probability to drop each datagram. Default 0. */
  lossRate?: number;
  /** Uniform extra delay in [0, jitterMs) per datagram. Default 0. */
  jitterMs?: number;
  /** Probability to hold a datagram back and send it right after the next one. Default 0. */
  reorderRate?: number;
}

/** Options of {@link ImpairProxy.create}. */
export interface ImpairProxyOptions {
  /** Where datagrams from the client go. */
  target: { address: string; port: number };
  /** Client → target impairment. Default none. */
  toTarget?: ImpairSpec;
  /** Target → client impairment. Default none. */
  toClient?: ImpairSpec;
  /** RNG seed. Default 1. */
  seed?: number;
  /** Impair STUN/DTLS too. Default false. */
  impairAll?: boolean;
  /** Bind address. Default 127.0.0.1. */
  address?: string;
}

/** Per-direction counters. */
export interface ImpairCounters { received: number; forwarded: number; dropped: number; delayed: number; reordered: number }

class Direction {
  readonly counters: ImpairCounters = { received: 0, forwarded: 0, dropped: 0, delayed: 0, reordered: 0 };
  private held: Buffer | null = null;
  constructor(
    private readonly spec: Required<ImpairSpec>,
    private readonly rand: () => number,
    private readonly impairAll: boolean,
    private readonly timers: Set<NodeJS.Timeout>,
  ) {}

  push(msg: Buffer, send: (b: Buffer) => void): void {
    this.counters.received++;
    const media = msg.length > 0 && msg[0] >= 128 && msg[0] <= 191;
    if (!media && !this.impairAll) { this.counters.forwarded++; send(msg); return; }
    const s = this.spec;
    if (s.lossRate > 0 && this.rand() < s.lossRate) { this.counters.dropped++; return; }
    if (s.reorderRate > 0 && this.held === null && this.rand() < s.reorderRate) {
      this.held = msg;
      this.counters.reordered++;
      return;
    }
    const out = (b: Buffer): void => {
      this.counters.forwarded++;
      send(b);
      const h = this.held;
      if (h !== null && h !== b) { this.held = null; this.counters.forwarded++; send(h); }
    };
    if (s.jitterMs > 0) {
      this.counters.delayed++;
      const t = setTimeout(() => { this.timers.delete(t); out(msg); }, this.rand() * s.jitterMs);
      this.timers.add(t);
    } else {
      out(msg);
    }
  }
}

/** A two-socket UDP proxy with seeded loss, jitter and reordering in each direction. */
export class ImpairProxy {
  private client: { address: string; port: number } | null = null;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly up: Direction;
  private readonly down: Direction;
  private closed = false;

  private constructor(private readonly front: dgram.Socket, private readonly upstream: dgram.Socket, private readonly opts: ImpairProxyOptions) {
    const norm = (s: ImpairSpec | undefined): Required<ImpairSpec> => ({ lossRate: s?.lossRate ?? 0, jitterMs: s?.jitterMs ?? 0, reorderRate: s?.reorderRate ?? 0 });
    const seed = opts.seed ?? 1;
    this.up = new Direction(norm(opts.toTarget), seededRandom(seed), opts.impairAll === true, this.timers);
    this.down = new Direction(norm(opts.toClient), seededRandom(seed ^ 0x5eed), opts.impairAll === true, this.timers);
    front.on('message', (msg, rinfo) => {
      this.client = { address: rinfo.address, port: rinfo.port };
      this.up.push(msg, (b) => { if (!this.closed) upstream.send(b, opts.target.port, opts.target.address); });
    });
    upstream.on('message', (msg) => {
      const c = this.client;
      if (c === null) return;
      this.down.push(msg, (b) => { if (!this.closed) front.send(b, c.port, c.address); });
    });
  }

  static async create(opts: ImpairProxyOptions): Promise<ImpairProxy> {
    const bind = async (): Promise<dgram.Socket> => {
      const s = dgram.createSocket('udp4');
      await new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.bind(0, opts.address ?? '127.0.0.1', () => { s.removeListener('error', reject); resolve(); });
      });
      s.on('error', () => undefined);
      return s;
    };
    return new ImpairProxy(await bind(), await bind(), opts);
  }

  /** The port clients send to. */
  get port(): number { return this.front.address().port; }
  /** The port the target sees datagrams from (and should send to). */
  get upstreamPort(): number { return this.upstream.address().port; }
  /** Client → target counters. */
  get toTarget(): ImpairCounters { return this.up.counters; }
  /** Target → client counters. */
  get toClient(): ImpairCounters { return this.down.counters; }

  /** Stops forwarding, cancels delayed datagrams and closes both sockets. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    await Promise.all([this.front, this.upstream].map((s) => new Promise<void>((r) => s.close(() => r()))));
  }
}
