import type { MediaClock } from '../clock.js';
import type { MediaLeg } from '../leg.js';
import { alawToUlawBuffer, ulawToAlawBuffer } from '../codecs/g711.js';
import { RtpView } from '../rtp/rtp-view.js';
import { writeRtpPacket } from '../rtp/rtp-writer.js';
import type { BridgeDirectionCounters } from './bridge-options.js';
import type { ResolvedSide } from './resolved-side.js';
import { StreamRewriter, type OutputStreamState } from './stream-rewriter.js';
import { DtmfForwarder } from './dtmf-forwarder.js';
import { DtmfEndDetector } from './dtmf-end-detector.js';
import type { DtmfInOptions } from './bridge-options.js';
import { writeRtpHeader } from '../rtp/rtp-writer.js';

/**
 * Forwards one direction without decoding: same codec (or µ-law ↔ A-law by
 * table, sample for sample), PT mapped to the destination's numbers, a clean
 * 12-byte header (CSRCs, extensions and padding are not forwarded) with
 * SSRC/seq/ts rewritten by a StreamRewriter. RFC 4733 events pass with PT
 * mapping when the destination has telephone-event at the audio clock rate,
 * otherwise they are re-timed (DtmfForwarder); CN passes only when the
 * destination negotiated CN.
 */
export class PassthroughDirection {
  private readonly view = new RtpView();
  private readonly rw: StreamRewriter;
  private readonly dtmf = new Map<number, DtmfForwarder>();
  private readonly dtmfForward: boolean;
  private readonly dtmfDetector: DtmfEndDetector | null;

  constructor(
    private readonly from: ResolvedSide,
    private readonly to: ResolvedSide,
    private readonly toLeg: MediaLeg,
    private readonly clock: MediaClock,
    readonly counters: BridgeDirectionCounters,
    continueFrom: OutputStreamState | null = null,
    outSsrc?: number,
    dtmfIn?: DtmfInOptions,
  ) {
    this.dtmfForward = dtmfIn?.forward ?? true;
    this.dtmfDetector = dtmfIn?.onDigit ? new DtmfEndDetector(dtmfIn.onDigit) : null;
    this.rw = new StreamRewriter(to.sendClockRate, outSsrc, continueFrom && continueFrom.clockRate === to.sendClockRate ? continueFrom : null);
  }

  /** No encoder in passthrough. */
  encoderComplexity(): null { return null; }

  /** The output stream's position, for a bridge that continues it. */
  outputState(): OutputStreamState | null { return this.rw.state(); }

  onPacket(pkt: Buffer): void {
    const c = this.counters;
    const v = this.view;
    if (!v.wrap(pkt)) { c.unsupported++; return; }
    const info = this.from.byPt[v.payloadType];
    if (!info) { c.unsupported++; return; }
    c.packetsIn++;
    let outPt: number;
    let convert: 0 | 1 | 2 = 0; // 1: µ→A, 2: A→µ
    if (info.kind === 'audio') {
      if (info.clockRate !== this.to.sendClockRate) { c.unsupported++; return; }
      if (info.codec === this.to.sendCodec) convert = 0;
      else if (info.codec === 'PCMU' && this.to.sendCodec === 'PCMA') convert = 1;
      else if (info.codec === 'PCMA' && this.to.sendCodec === 'PCMU') convert = 2;
      else { c.unsupported++; return; }
      outPt = this.to.sendPt;
    } else if (info.kind === 'dtmf') {
      this.dtmfDetector?.onPayload(pkt, v.payloadOffset, v.payloadLength, v.timestamp, info.clockRate);
      if (!this.dtmfForward) return;
      const pt = info.clockRate === this.to.sendClockRate ? this.to.dtmfPtByRate.get(info.clockRate) : undefined;
      if (pt === undefined) { this.forwardDtmfRetimed(v, pkt, info.clockRate); return; }
      outPt = pt;
    } else {
      c.cnReceived++;
      if (this.to.cnPt === null) return;
      outPt = this.to.cnPt;
    }
    const newSource = this.rw.map(v.ssrc, v.sequence, v.timestamp, this.clock.now());
    if (newSource && this.rw.reanchors > c.sourceChanges) c.sourceChanges = this.rw.reanchors;
    const len = v.payloadLength;
    const out = Buffer.allocUnsafe(12 + len);
    const payload = pkt.subarray(v.payloadOffset, v.payloadOffset + len);
    writeRtpPacket(out, outPt, this.rw.outSeq, this.rw.outTs, this.rw.outSsrc, v.marker || newSource, payload, len);
    if (convert === 1) ulawToAlawBuffer(payload, out.subarray(12), len);
    else if (convert === 2) alawToUlawBuffer(payload, out.subarray(12), len);
    if (info.kind === 'dtmf') c.dtmfForwarded++;
    c.packetsOut++;
    c.bytesOut += out.length;
    this.toLeg.sendRtp(out);
  }

  /**
   * telephone-event whose clock differs from the audio clock (e.g. /48000
   * beside PCMU): re-timed by a DtmfForwarder onto the output audio timeline,
   * toward the destination's telephone-event (any rate).
   */
  private forwardDtmfRetimed(v: RtpView, pkt: Buffer, inRate: number): void {
    const c = this.counters;
    const first = this.to.dtmfPtByRate.entries().next();
    if (first.done) { c.dtmfDropped++; return; }
    const [outRate, outPt] = this.to.dtmfPtByRate.has(this.to.sendClockRate)
      ? [this.to.sendClockRate, this.to.dtmfPtByRate.get(this.to.sendClockRate) as number]
      : first.value;
    let f = this.dtmf.get(v.payloadType);
    if (!f) { f = new DtmfForwarder(inRate, outRate, v.payloadType, outPt); this.dtmf.set(v.payloadType, f); }
    const lastTs = this.rw.outTs;
    this.rw.map(v.ssrc, v.sequence, v.timestamp, this.clock.now());
    const out = f.build(pkt.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength), v.timestamp, v.marker, lastTs, this.rw.outSeq, this.rw.outSsrc);
    if (!out) { c.dtmfDropped++; return; }
    c.dtmfForwarded++;
    c.packetsOut++;
    c.bytesOut += out.length;
    this.toLeg.sendRtp(out);
  }

  /** DtmfOutput: where an event generated now starts on the output timeline. */
  dtmfStartTs(nowMs: number): number { return this.rw.tsAt(nowMs); }

  /** DtmfOutput: one generated telephone-event packet on the output stream (next sequence number). */
  sendDtmfPacket(pt: number, marker: boolean, ts: number, payload: Uint8Array): void {
    const out = Buffer.allocUnsafe(12 + payload.length);
    writeRtpHeader(out, 0, { payloadType: pt, sequence: this.rw.insertSeq(ts, this.clock.now()), timestamp: ts, ssrc: this.rw.outSsrc, marker });
    out.set(payload, 12);
    this.counters.dtmfGenerated++;
    this.counters.packetsOut++;
    this.counters.bytesOut += out.length;
    this.toLeg.sendRtp(out);
  }

  close(): void { /* no resources */ }
}
