/**
 * Reports each RFC 4733 event once, at its end: the first packet with the E
 * bit of an event (RFC 4733 §2.5.1.4) gives the digit and its final duration;
 * the retransmitted end packets (§2.5.1.4: three in a row, same timestamp) are
 * ignored, as is a new end packet with the same event timestamp. An event
 * whose end packets are all lost is not reported. Allocation-free per packet.
 */
export class DtmfEndDetector {
  private lastEndTs = -1;
  /** Digits reported so far. */
  reported = 0;

  /**
   * `onDigit(event, durationMs)` is called once per event, with the RFC 4733
   * §3.2 event code (0–15; other events are ignored) and the duration in ms.
   */
  constructor(private readonly onDigit: (event: number, durationMs: number) => void) {}

  /** One telephone-event payload (`payload[off..off+len)`) of a packet with RTP timestamp `ts` on a `clockRate` clock. */
  onPayload(payload: Uint8Array, off: number, len: number, ts: number, clockRate: number): void {
    if (len < 4) return;
    if ((payload[off + 1]! & 0x80) === 0) return;
    if (ts === this.lastEndTs) return;
    this.lastEndTs = ts;
    const event = payload[off]!;
    if (event > 15) return;
    const duration = (payload[off + 2]! << 8) | payload[off + 3]!;
    this.reported++;
    this.onDigit(event, Math.round((duration * 1000) / clockRate));
  }
}
