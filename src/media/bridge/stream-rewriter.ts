import { randomBytes } from 'node:crypto';

const MAX_SEQ_JUMP = 3000;

/** Where an output stream stands: its last packet's SSRC/seq/ts and when it was sent. */
export interface OutputStreamState {
  ssrc: number;
  seq: number;
  ts: number;
  atMs: number;
  clockRate: number;
}

/**
 * Rewrites SSRC, sequence number and timestamp of a forwarded stream so the
 * receiver sees one continuous source (RFC 3550 §5.1, §8.2 for SSRC change;
 * RFC 7667 §3.2.1.1 topology "RTP translator" keeps offsets): the first
 * packet of a new input source (SSRC change, re-INVITE, or a sequence jump
 * larger than 3000) re-anchors the offsets so that the output sequence
 * continues at last+1 and the output timestamp advances by the wall time
 * elapsed (never backwards), and gets the marker bit.
 */
export class StreamRewriter {
  readonly outSsrc: number;
  private started = false;
  private inSsrc = 0;
  private lastInSeq = 0;
  private seqOff = 0;
  private tsOff = 0;
  private lastOutSeq: number;
  private lastOutTs: number;
  private lastOutAtMs = 0;
  /** Number of re-anchors (source changes) seen. */
  reanchors = 0;

  /** True once there is a previous output packet to continue from. */
  private anchored = false;

  /**
   * `continueFrom` carries on an output stream another rewriter/bridge sent
   * (same SSRC, sequence and timestamp continue; see MediaBridge `continueFrom`).
   */
  constructor(private readonly clockRate: number, outSsrc?: number, continueFrom?: OutputStreamState | null) {
    const r = randomBytes(10);
    if (continueFrom) {
      this.outSsrc = continueFrom.ssrc;
      this.lastOutSeq = continueFrom.seq;
      this.lastOutTs = continueFrom.ts;
      this.lastOutAtMs = continueFrom.atMs;
      this.anchored = true;
    } else {
      this.outSsrc = outSsrc ?? (r.readUInt32BE(0) || 1);
      this.lastOutSeq = r.readUInt16BE(4) & 0x7fff;
      this.lastOutTs = r.readUInt32BE(6) & 0x7fffffff;
    }
  }

  /** The output stream so far (last packet sent), or null before the first packet. */
  state(): OutputStreamState | null {
    return this.anchored ? { ssrc: this.outSsrc, seq: this.lastOutSeq, ts: this.lastOutTs, atMs: this.lastOutAtMs, clockRate: this.clockRate } : null;
  }

  /** Output sequence number of the last mapped packet. */
  outSeq = 0;
  /** Output timestamp of the last mapped packet. */
  outTs = 0;

  /**
   * Takes the next output sequence number for a packet the caller generates
   * (an RFC 4733 event toward this stream): later mapped packets shift by one
   * so the sequence stays continuous. Before any mapped packet, the stream is
   * anchored at (`ts`, `nowMs`) so that later events and audio move forward
   * from there. Sets and returns `outSeq`.
   */
  insertSeq(ts: number, nowMs: number): number {
    if (!this.anchored) {
      this.lastOutTs = ts;
      this.lastOutAtMs = nowMs;
      this.anchored = true;
    }
    this.seqOff = (this.seqOff + 1) & 0xffff;
    this.lastOutSeq = (this.lastOutSeq + 1) & 0xffff;
    this.outSeq = this.lastOutSeq;
    return this.outSeq;
  }

  /** The output timestamp `nowMs` corresponds to: the last packet's advanced by the wall time since it was sent. */
  tsAt(nowMs: number): number {
    if (!this.anchored) return this.lastOutTs;
    return (this.lastOutTs + Math.max(0, Math.round(((nowMs - this.lastOutAtMs) * this.clockRate) / 1000))) >>> 0;
  }

  /**
   * Maps one input packet's (ssrc, seq, ts) to the output stream: sets
   * `outSeq`/`outTs` and returns true when this packet starts a new source
   * (the caller sets the marker bit).
   */
  map(ssrc: number, seq: number, ts: number, nowMs: number): boolean {
    let newSource = !this.started || ssrc !== this.inSsrc;
    if (!newSource) {
      const d = (seq - this.lastInSeq) & 0xffff;
      if (d > MAX_SEQ_JUMP && d < 0x10000 - MAX_SEQ_JUMP) newSource = true;
    }
    if (newSource) {
      const nextSeq = (this.lastOutSeq + 1) & 0xffff;
      const elapsed = this.anchored ? Math.max(1, Math.round(((nowMs - this.lastOutAtMs) * this.clockRate) / 1000)) : 0;
      const nextTs = (this.lastOutTs + elapsed) >>> 0;
      this.seqOff = (nextSeq - seq) & 0xffff;
      this.tsOff = (nextTs - ts) >>> 0;
      this.inSsrc = ssrc;
      this.lastInSeq = seq;
      if (this.started) this.reanchors++;
      this.started = true;
      this.anchored = true;
    }
    const outSeq = (seq + this.seqOff) & 0xffff;
    const outTs = (ts + this.tsOff) >>> 0;
    // Track the newest packet (reordered older ones do not move the anchor back).
    if (newSource || ((seq - this.lastInSeq) & 0xffff) < 0x8000) {
      this.lastInSeq = seq;
      this.lastOutSeq = outSeq;
      if (((outTs - this.lastOutTs) >>> 0) < 0x80000000 || newSource) this.lastOutTs = outTs;
      this.lastOutAtMs = nowMs;
    }
    this.outSeq = outSeq;
    this.outTs = outTs;
    return newSource;
  }
}
