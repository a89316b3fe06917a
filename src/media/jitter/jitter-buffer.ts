/**
 * Wall-clock adaptive jitter buffer for the transcoding path.
 *
 * Each packet's arrival time is compared with its RTP timestamp (RFC 3550
 * §6.4.1 / A.8): `transit = arrival - ts / rate`. The fastest recent packet
 * (minimum transit over a sliding window) anchors the playout clock; a slot
 * with timestamp `ts` is due at `ts / rate + minTransit + delay`. The delay
 * adapts between `minDelayMs` and `maxDelayMs` toward a target taken from the
 * recent distribution of `transit - minTransit` (98th percentile, plus a
 * safety margin, never below 3x the RFC 3550 interarrival jitter), moving by
 * at most `adaptStepMs` per played slot so playout never jumps.
 *
 * Output is in sequence-number order, one slot per {@link pop}:
 * `packet` (present), `lost` (due but missing: the decoder conceals, and
 * `next` carries the following packet when already buffered, for Opus FEC),
 * or `empty` (nothing due yet, still prebuffering, or the stream paused).
 * Packets arriving after their slot was played/declared lost are `late`;
 * repeats are `duplicate`; both are counted and dropped.
 *
 * Implements the bridge's `BridgeJitterBuffer` contract (src/media/bridge/jitter-buffer.ts)
 * structurally. Time is passed in (`arrivalMs`, `nowMs`), so tests step it.
 * Per packet: no allocation once the slot buffers have grown to the packet size.
 */

/** Options; every field has a documented default. */
export interface JitterBufferOptions {
  /** RTP clock rate of the stream (8000 for G.711, 48000 for Opus). Required. */
  clockRate: number;
  /** Nominal packet duration in ms, used before the stream's own spacing is known. Default 20. */
  frameMs?: number;
  /** Lower bound of the playout delay. Default 20 ms. */
  minDelayMs?: number;
  /** Upper bound of the playout delay. Default 200 ms. */
  maxDelayMs?: number;
  /** Delay before any statistics exist. Default 60 ms. */
  initialDelayMs?: number;
  /** Margin added to the measured delay spread. Default 10 ms. */
  safetyMs?: number;
  /** Largest change of the delay per played slot. Default 2 ms. */
  adaptStepMs?: number;
  /** Packets held at most; the oldest is dropped beyond. Default 50. */
  maxPackets?: number;
  /** Window over which the fastest transit (the playout anchor) is kept. Default 4000 ms. */
  anchorWindowMs?: number;
  /** Consecutive lost slots with an empty buffer after which the stream counts as paused. Default 10. */
  pauseAfterLost?: number;
}

/** One playout slot. `payload` is valid until the next push. */
export type JitterSlot =
  | { kind: 'packet'; seq: number; timestamp: number; payload: Uint8Array }
  | { kind: 'lost'; seq: number; next: Uint8Array | null }
  | { kind: 'empty' };

/** Counters and current estimates. */
export interface JitterBufferStats {
  /** Packets accepted. */
  received: number;
  /** Packets whose slot had already been played or declared lost (dropped). */
  late: number;
  /** Repeated packets (dropped). */
  duplicates: number;
  /** Slots reported lost. */
  lost: number;
  /** Slots played from a packet. */
  played: number;
  /** Packets dropped because the buffer was full. */
  overflow: number;
  /** Re-anchorings after sequence jumps (new stream). */
  resets: number;
  /**
   * Re-anchorings of the playout clock because a packet arrived more than
   * `maxDelayMs` behind the schedule (the sender stalled, or its clock runs
   * slower than its timestamps).
   */
  reanchors: number;
  /** RFC 3550 A.8 interarrival jitter, in ms. */
  jitterMs: number;
  /** Adaptive target delay, in ms. */
  targetDelayMs: number;
  /** Current playout delay, in ms. */
  delayMs: number;
}

/** The one `empty` result: returned by most playout ticks, so it is not allocated per call. */
const EMPTY: JitterSlot = Object.freeze({ kind: 'empty' as const });

const SLOTS = 256;
const HISTORY = 128;
/** Sequence jump (either way, in packets) treated as a new stream; below SLOTS / 2. */
const RESET_JUMP = 100;

/** Largest number of top values {@link kthSmallest} tracks before it falls back to sorting. */
const TOP_MAX = 8;

/**
 * The `k`-th smallest (0-based) of `src[0..n)`: the same value as sorting a
 * copy ascending and reading index `k`. The 98th percentile of at most
 * HISTORY values sits within the top 3, so the usual path keeps the `n - k`
 * largest values in `scratch` in one pass (no sort, no allocation); a deeper
 * rank copies into `scratch` and sorts as before. `src` must not hold NaN
 * (transits are finite).
 */
export function kthSmallest(src: Float64Array, n: number, k: number, scratch: Float64Array): number {
  const m = n - k;
  if (m >= 1 && m <= TOP_MAX && scratch.length >= TOP_MAX) {
    // scratch[0..m): the m largest values seen so far, descending.
    for (let j = 0; j < m; j++) scratch[j] = -Infinity;
    const last = m - 1;
    for (let i = 0; i < n; i++) {
      const x = src[i];
      if (x <= scratch[last]) continue;
      let j = last;
      while (j > 0 && scratch[j - 1] < x) { scratch[j] = scratch[j - 1]; j--; }
      scratch[j] = x;
    }
    return scratch[last];
  }
  for (let i = 0; i < n; i++) scratch[i] = src[i];
  const view = scratch.subarray(0, n);
  view.sort();
  return view[k];
}

/** Signed difference of two 16-bit sequence numbers (a - b). */
function seqDiff(a: number, b: number): number {
  return ((a - b + 0x8000) & 0xffff) - 0x8000;
}

/** The adaptive jitter buffer; see the module comment. */
export class JitterBuffer {
  private readonly rate: number;
  private readonly frameMs: number;
  private readonly minDelay: number;
  private readonly maxDelay: number;
  private readonly initialDelay: number;
  private readonly safety: number;
  private readonly step: number;
  private readonly maxPackets: number;
  private readonly anchorWindow: number;
  private readonly pauseAfter: number;

  // Ring of held packets, indexed by seq % SLOTS.
  private readonly seqs = new Int32Array(SLOTS).fill(-1);
  private readonly extTs = new Float64Array(SLOTS);
  private readonly rtpTs = new Float64Array(SLOTS);
  private readonly lens = new Int32Array(SLOTS);
  private readonly bufs: Uint8Array[] = new Array<Uint8Array>(SLOTS);
  private count = 0;
  // Recently played seqs, to tell duplicates from late packets.
  private readonly history = new Int32Array(HISTORY).fill(-1);

  // Timestamp unwrapping.
  private refRtpTs = -1;
  private refExtTs = 0;

  // Playout state.
  private playing = false;
  private nextSeq = -1;
  private lastPlayedExtTs = 0;
  private tsStep: number;
  private lostRun = 0;

  // Timing estimates.
  private anchorCur = Infinity;
  private anchorPrev = Infinity;
  private anchorSince = -Infinity;
  private lastTransit = NaN;
  private jitter = 0; // ms
  private delay: number;
  private target: number;
  private readonly rel = new Float64Array(HISTORY);
  private readonly relScratch = new Float64Array(HISTORY);
  private relCount = 0;
  private relPos = 0;
  private sinceTarget = 0;

  private readonly counters = { received: 0, late: 0, duplicates: 0, lost: 0, played: 0, overflow: 0, resets: 0, reanchors: 0 };

  constructor(options: JitterBufferOptions) {
    this.rate = options.clockRate;
    this.frameMs = options.frameMs ?? 20;
    this.minDelay = options.minDelayMs ?? 20;
    this.maxDelay = Math.max(this.minDelay, options.maxDelayMs ?? 200);
    this.initialDelay = Math.min(this.maxDelay, Math.max(this.minDelay, options.initialDelayMs ?? 60));
    this.safety = options.safetyMs ?? 10;
    this.step = options.adaptStepMs ?? 2;
    this.maxPackets = Math.min(SLOTS - 1, options.maxPackets ?? 50);
    this.anchorWindow = options.anchorWindowMs ?? 4000;
    this.pauseAfter = options.pauseAfterLost ?? 10;
    this.tsStep = (this.rate * this.frameMs) / 1000;
    this.delay = this.initialDelay;
    this.target = this.initialDelay;
  }

  /** Packets currently held. */
  get size(): number {
    return this.count;
  }

  /** Counters and estimates (a fresh object; not for the per-packet path). */
  get stats(): JitterBufferStats {
    return { ...this.counters, jitterMs: this.jitter, targetDelayMs: this.target, delayMs: this.delay };
  }

  /**
   * Stores a packet (its payload is copied). Returns 'ok', 'late' (its slot was
   * already played out or declared lost) or 'duplicate'.
   */
  push(seq: number, timestamp: number, payload: Uint8Array, arrivalMs: number): 'ok' | 'late' | 'duplicate' {
    seq &= 0xffff;
    timestamp >>>= 0;
    if (this.nextSeq >= 0) {
      const d = seqDiff(seq, this.nextSeq);
      if (d > RESET_JUMP || d < -RESET_JUMP) {
        this.resetStream();
        this.counters.resets++;
      } else if (d < 0 && this.playing) {
        if (this.history[seq % HISTORY] === seq) {
          this.counters.duplicates++;
          return 'duplicate';
        }
        this.counters.late++;
        this.lateArrival(timestamp, arrivalMs);
        return 'late';
      }
    }
    const slot = seq % SLOTS;
    if (this.seqs[slot] === seq) {
      this.counters.duplicates++;
      return 'duplicate';
    }

    // Extended timestamp (32-bit wrap handled by the signed difference).
    let ext: number;
    if (this.refRtpTs < 0) ext = timestamp;
    else ext = this.refExtTs + ((timestamp - this.refRtpTs) | 0);
    this.refRtpTs = timestamp;
    this.refExtTs = ext;

    this.observe(ext, arrivalMs);

    if (this.seqs[slot] >= 0) this.count--; // stale occupant (far older seq)
    this.seqs[slot] = seq;
    this.extTs[slot] = ext;
    this.rtpTs[slot] = timestamp;
    let buf = this.bufs[slot];
    if (buf === undefined || buf.length < payload.length) {
      buf = new Uint8Array(Math.max(payload.length, 256));
      this.bufs[slot] = buf;
    }
    buf.set(payload);
    this.lens[slot] = payload.length;
    this.count++;
    this.counters.received++;
    if (this.nextSeq < 0 || (!this.playing && seqDiff(seq, this.nextSeq) < 0)) this.nextSeq = seq;
    while (this.count > this.maxPackets) this.dropOldest();
    return 'ok';
  }

  /**
   * A packet came after its slot was declared lost: the delay is too short for
   * this sender (e.g. its clock runs slower than its timestamps). Raise the
   * delay at once toward covering it (by up to two frames; up to `maxDelayMs`, beyond which `observe` re-anchors)
   * instead of waiting for the 2 ms-per-slot adaptation, so the next packets are
   * played rather than concealed and dropped as late too.
   */
  private lateArrival(timestamp: number, arrivalMs: number): void {
    const ext = this.refRtpTs < 0 ? timestamp : this.refExtTs + ((timestamp - this.refRtpTs) | 0);
    const transit = arrivalMs - (ext * 1000) / this.rate;
    const need = transit - this.anchor() + this.safety;
    if (need > this.delay) {
      // At most two frames per late packet: a drifting sender is covered in small steps, and a single
      // network spike does not open a long gap in the playout.
      this.delay = Math.min(this.maxDelay, this.delay + Math.min(need - this.delay, 2 * this.frameMs));
      if (this.target < this.delay) this.target = this.delay;
    }
  }

  /** Updates jitter (RFC 3550 A.8), the transit anchor and the delay target. */
  private observe(ext: number, arrivalMs: number): void {
    const transit = arrivalMs - (ext * 1000) / this.rate;
    if (!Number.isNaN(this.lastTransit)) {
      const d = Math.abs(transit - this.lastTransit);
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;

    // Sliding minimum over two windows.
    if (arrivalMs - this.anchorSince >= this.anchorWindow) {
      this.anchorPrev = this.anchorCur;
      this.anchorCur = Infinity;
      this.anchorSince = arrivalMs;
    }
    if (transit < this.anchorCur) this.anchorCur = transit;
    let anchor = Math.min(this.anchorCur, this.anchorPrev);
    if (transit - anchor > this.maxDelay) {
      // The packet is later than the largest delay we may add: the sender stalled and resumed with
      // continuous timestamps, or its clock runs slower than its timestamps. Keeping the old (smaller)
      // anchor would make every missing slot due at once (a burst of concealment faster than real time,
      // and the real packets then "late"): follow the sender instead. A one-off network spike is undone
      // by the next on-time packet (the anchor is a minimum).
      this.anchorCur = transit;
      this.anchorPrev = transit;
      this.anchorSince = arrivalMs;
      this.relCount = 0;
      this.relPos = 0;
      this.counters.reanchors++;
      anchor = transit;
    }

    this.rel[this.relPos] = transit - anchor;
    this.relPos = (this.relPos + 1) % HISTORY;
    if (this.relCount < HISTORY) this.relCount++;
    if (++this.sinceTarget >= 4 || this.relCount < 16) {
      this.sinceTarget = 0;
      this.updateTarget();
    }
  }

  private updateTarget(): void {
    if (this.relCount < 8) return;
    const n = this.relCount;
    const k = Math.min(n - 1, Math.floor(n * 0.98));
    const q = kthSmallest(this.rel, n, k, this.relScratch);
    const want = Math.max(q + this.safety, 3 * this.jitter);
    this.target = Math.min(this.maxDelay, Math.max(this.minDelay, want));
  }

  private anchor(): number {
    return Math.min(this.anchorCur, this.anchorPrev);
  }

  /** Wall-clock time (ms) at which the slot with extended timestamp `ext` is due. */
  private dueAt(ext: number): number {
    return (ext * 1000) / this.rate + this.anchor() + this.delay;
  }

  private dropOldest(): void {
    const start = this.playing ? this.nextSeq : this.oldestSeq();
    for (let i = 0; i < SLOTS && this.count > 0; i++) {
      const s = (start + i) & 0xffff;
      const slot = s % SLOTS;
      if (this.seqs[slot] === s) {
        this.seqs[slot] = -1;
        this.count--;
        this.counters.overflow++;
        if (this.playing) {
          this.markPlayed(s);
          this.nextSeq = (s + 1) & 0xffff;
        } else {
          this.nextSeq = this.count > 0 ? this.oldestSeq() : -1;
        }
        return;
      }
    }
  }

  private oldestSeq(): number {
    let best = -1;
    for (let i = 0; i < SLOTS; i++) {
      const s = this.seqs[i];
      if (s >= 0 && (best < 0 || seqDiff(s, best) < 0)) best = s;
    }
    return best;
  }

  private markPlayed(seq: number): void {
    this.history[seq % HISTORY] = seq;
  }

  /**
   * The next playout slot at wall-clock `nowMs`: one slot per call. Call it
   * on each playout tick; call again while it returns `packet`/`lost` to
   * catch up after a stall.
   */
  pop(nowMs: number): JitterSlot {
    if (this.nextSeq < 0 || (this.count === 0 && !this.playing)) return EMPTY;
    const slot = this.nextSeq % SLOTS;
    const present = this.seqs[slot] === this.nextSeq;
    if (!this.playing) {
      // Prebuffering: start when the oldest packet is due.
      if (!present || nowMs < this.dueAt(this.extTs[slot])) return EMPTY;
      this.playing = true;
      this.lostRun = 0;
    }
    const ext = present ? this.extTs[slot] : this.lastPlayedExtTs + this.tsStep;
    if (nowMs < this.dueAt(ext)) return EMPTY;

    const seq = this.nextSeq;
    this.nextSeq = (seq + 1) & 0xffff;
    this.adapt();
    if (present) {
      this.markPlayed(seq);
      const payload = this.bufs[slot].subarray(0, this.lens[slot]);
      if (this.counters.played > 0 || this.counters.lost > 0) {
        const stepTs = ext - this.lastPlayedExtTs;
        if (stepTs > 0 && stepTs <= this.rate / 5) this.tsStep = stepTs; // learn ptime (up to 200 ms)
      }
      this.lastPlayedExtTs = ext;
      this.seqs[slot] = -1;
      this.count--;
      this.counters.played++;
      this.lostRun = 0;
      return { kind: 'packet', seq, timestamp: this.rtpTs[slot], payload };
    }
    this.lastPlayedExtTs = ext;
    this.counters.lost++;
    if (this.count === 0 && ++this.lostRun >= this.pauseAfter) {
      // Nothing arrives any more: the stream paused (hold, DTX, end). Re-prebuffer on the next packet.
      this.playing = false;
      this.nextSeq = -1;
      this.lostRun = 0;
    }
    const nslot = this.nextSeq >= 0 ? this.nextSeq % SLOTS : -1;
    const next = nslot >= 0 && this.seqs[nslot] === this.nextSeq ? this.bufs[nslot].subarray(0, this.lens[nslot]) : null;
    return { kind: 'lost', seq, next };
  }

  /** Alias of {@link pop}. */
  pull(nowMs: number): JitterSlot {
    return this.pop(nowMs);
  }

  /** Moves the playout delay one step toward the target. */
  private adapt(): void {
    const d = this.target - this.delay;
    if (d > this.step) this.delay += this.step;
    else if (d < -this.step) this.delay -= this.step;
    else this.delay = this.target;
  }

  private resetStream(): void {
    this.seqs.fill(-1);
    this.history.fill(-1);
    this.count = 0;
    this.playing = false;
    this.nextSeq = -1;
    this.refRtpTs = -1;
    this.lastTransit = NaN;
    this.anchorCur = Infinity;
    this.anchorPrev = Infinity;
    this.anchorSince = -Infinity;
    this.relCount = 0;
    this.relPos = 0;
    this.lostRun = 0;
  }

  /** Forgets packets and timing (keeps counters and the delay estimate). */
  reset(): void {
    this.resetStream();
  }
}

/**
 * Factory with the shape of the bridge's `JitterBufferFactory`
 * (src/media/bridge/jitter-buffer.ts): an adaptive buffer for one decode path.
 */
export function createJitterBuffer(opts: { clockRate: number; frameMs: number }, overrides: Partial<JitterBufferOptions> = {}): JitterBuffer {
  return new JitterBuffer({ ...overrides, clockRate: opts.clockRate, frameMs: opts.frameMs });
}
