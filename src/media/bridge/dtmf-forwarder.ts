import { DtmfTranslator } from '../dtmf/rfc4733.js';
import { writeRtpHeader } from '../rtp/rtp-writer.js';

/**
 * Re-times RFC 4733 telephone-event packets into another stream (own
 * SSRC/sequence/timeline, possibly another clock rate, e.g. 48000 ↔ 8000)
 * using src/media/dtmf's DtmfTranslator: when a new event starts (new input
 * timestamp, RFC 4733 §2.5.1.2) the translator is anchored to the output
 * stream's current timestamp, so every packet of the event, including the
 * three final retransmissions, carries that one start timestamp; durations
 * are scaled by the clock ratio. Never decoded or transcoded as audio.
 */
export class DtmfForwarder {
  private readonly tr: DtmfTranslator;
  private curInTs = -1;

  constructor(inRate: number, outRate: number, inPt: number, private readonly outPt: number) {
    this.tr = new DtmfTranslator({ inPayloadType: inPt, outPayloadType: outPt, inClockRate: inRate, outClockRate: outRate });
  }

  /** Packets translated so far. */
  get translated(): number { return this.tr.translated; }

  /**
   * Builds the output packet for one input event payload, or null when the
   * payload holds no complete event block. `outTsNow` is the output stream's
   * current timestamp, used when a new event starts.
   */
  build(payload: Uint8Array, inTs: number, marker: boolean, outTsNow: number, seq: number, ssrc: number): Buffer | null {
    if (payload.length < 4) return null;
    let start = marker;
    if (inTs !== this.curInTs) {
      this.curInTs = inTs;
      this.tr.anchor(inTs, outTsNow);
      start = true;
    }
    const out = Buffer.allocUnsafe(12 + (payload.length & ~3));
    writeRtpHeader(out, 0, { payloadType: this.outPt, sequence: seq, timestamp: this.tr.mapTimestamp(inTs), ssrc, marker: start });
    const n = this.tr.translatePayload(payload, 0, payload.length, out, 12);
    return n < 0 ? null : out.subarray(0, 12 + n);
  }
}
