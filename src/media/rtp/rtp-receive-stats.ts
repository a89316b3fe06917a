import type { ReportBlock } from './rtcp-types.js';

const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;

/**
 * Receive statistics for one source, per RFC 3550 Appendix A.1 (sequence
 * tracking), A.3 (expected/lost, fraction lost) and A.8 (interarrival jitter).
 * `arrivalMs` is the injected clock's time of arrival.
 */
export class RtpReceiveStats {
  ssrc = 0;
  private started = false;
  private maxSeq = 0;
  private cycles = 0;
  private baseSeq = 0;
  private badSeq = RTP_SEQ_MOD + 1;
  /** Packets received (A.1 `received`). */
  received = 0;
  private expectedPrior = 0;
  private receivedPrior = 0;
  private transit = 0;
  private haveTransit = false;
  /** Jitter estimate in timestamp units, as a float (A.8). */
  jitter = 0;
  /** Packets that were duplicates or too old (not counted as received). */
  duplicates = 0;
  /** Compact NTP of the last SR from this source and the local time it arrived (for LSR/DLSR). */
  lastSrCompact = 0;
  lastSrArrivalMs = -1;

  constructor(private readonly clockRate: number) {}

  /** Restarts tracking at `seq` (new source; A.1 `init_seq`). */
  reset(ssrc: number, seq: number): void {
    this.ssrc = ssrc;
    this.started = true;
    this.baseSeq = seq;
    this.maxSeq = seq;
    this.badSeq = RTP_SEQ_MOD + 1;
    this.cycles = 0;
    this.received = 0;
    this.expectedPrior = 0;
    this.receivedPrior = 0;
    this.haveTransit = false;
    this.jitter = 0;
    this.lastSrCompact = 0;
    this.lastSrArrivalMs = -1;
  }

  /**
   * Records one packet. Returns the number of packets newly detected as
   * missing (a forward gap), 0 otherwise. Duplicates/late packets return -1.
   */
  update(ssrc: number, seq: number, ts: number, arrivalMs: number): number {
    if (!this.started || ssrc !== this.ssrc) {
      this.reset(ssrc, seq);
      this.received = 1;
      this.updateJitter(ts, arrivalMs);
      return 0;
    }
    const udelta = (seq - this.maxSeq + RTP_SEQ_MOD) % RTP_SEQ_MOD;
    let gap = 0;
    if (udelta === 0) {
      this.duplicates++;
      return -1;
    } else if (udelta < MAX_DROPOUT) {
      if (seq < this.maxSeq) this.cycles += RTP_SEQ_MOD;
      gap = udelta - 1;
      this.maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // Very large jump: resync after two sequential packets (A.1).
      if (seq === this.badSeq) {
        this.reset(ssrc, seq);
        this.received = 1;
        this.updateJitter(ts, arrivalMs);
        return 0;
      }
      this.badSeq = (seq + 1) & (RTP_SEQ_MOD - 1);
      this.duplicates++;
      return -1;
    } else {
      // Reordered or duplicate older packet: counted as received (A.1).
    }
    this.received++;
    this.updateJitter(ts, arrivalMs);
    return gap;
  }

  private updateJitter(ts: number, arrivalMs: number): void {
    const arrival = (arrivalMs * this.clockRate) / 1000;
    const transit = arrival - ts;
    if (this.haveTransit) {
      let d = transit - this.transit;
      // Timestamps wrap at 2^32; bring d into a sane range.
      if (d > 0x80000000) d -= 0x100000000;
      else if (d < -0x80000000) d += 0x100000000;
      d = Math.abs(d);
      this.jitter += (d - this.jitter) / 16;
    }
    this.transit = transit;
    this.haveTransit = true;
  }

  get extendedHighestSeq(): number { return this.cycles + this.maxSeq; }
  get expected(): number { return this.started ? this.extendedHighestSeq - this.baseSeq + 1 : 0; }
  get cumulativeLost(): number { return this.expected - this.received; }

  /** Notes an SR from this source (for LSR/DLSR in our next report). */
  noteSenderReport(compactNtp: number, arrivalMs: number): void {
    this.lastSrCompact = compactNtp >>> 0;
    this.lastSrArrivalMs = arrivalMs;
  }

  /** Builds the report block and advances the interval (A.3). Null before any packet. */
  reportBlock(nowMs: number): ReportBlock | null {
    if (!this.started) return null;
    const expected = this.expected;
    const expectedInterval = expected - this.expectedPrior;
    this.expectedPrior = expected;
    const receivedInterval = this.received - this.receivedPrior;
    this.receivedPrior = this.received;
    const lostInterval = expectedInterval - receivedInterval;
    const fraction = expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval << 8) / expectedInterval);
    const dlsr = this.lastSrArrivalMs < 0 ? 0 : Math.round(((nowMs - this.lastSrArrivalMs) / 1000) * 65536);
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fraction),
      cumulativeLost: this.cumulativeLost,
      highestSeq: this.extendedHighestSeq >>> 0,
      jitter: Math.floor(this.jitter) >>> 0,
      lsr: this.lastSrCompact,
      dlsr: dlsr >>> 0,
    };
  }
}
