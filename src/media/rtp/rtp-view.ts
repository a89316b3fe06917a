/**
 * Zero-copy view over an RTP packet held in a Buffer (RFC 3550 §5.1).
 * One view is reused per leg: `wrap()` validates and points it at a packet;
 * getters read straight from the buffer and setters rewrite it in place.
 * Nothing here allocates on the hot path.
 */
export class RtpView {
  private buf: Buffer = Buffer.alloc(0);
  private len = 0;
  private payOff = 0;
  private payLen = 0;

  /** Result of the last `wrap()` failure, for counters and tests. */
  lastError: 'short' | 'version' | 'csrc' | 'extension' | 'padding' | null = null;

  /**
   * Points the view at `buf[0..length)`. Returns false (and sets `lastError`)
   * when the packet is not a well-formed RTP packet: version must be 2, the
   * CSRC list and header extension (RFC 3550 §5.3.1, RFC 8285) must fit, and
   * padding (§5.1 P bit) must not exceed the payload.
   */
  wrap(buf: Buffer, length: number = buf.length): boolean {
    this.lastError = null;
    if (length < 12 || length > buf.length) return this.fail('short');
    const b0 = buf[0];
    if (b0 >> 6 !== 2) return this.fail('version');
    let off = 12 + (b0 & 0x0f) * 4;
    if (off > length) return this.fail('csrc');
    if (b0 & 0x10) {
      if (off + 4 > length) return this.fail('extension');
      const extWords = (buf[off + 2] << 8) | buf[off + 3];
      off += 4 + extWords * 4;
      if (off > length) return this.fail('extension');
    }
    let end = length;
    if (b0 & 0x20) {
      const pad = buf[length - 1];
      if (pad === 0 || end - pad < off) return this.fail('padding');
      end -= pad;
    }
    this.buf = buf;
    this.len = length;
    this.payOff = off;
    this.payLen = end - off;
    return true;
  }

  private fail(e: NonNullable<RtpView['lastError']>): false {
    this.lastError = e;
    this.len = 0;
    return false;
  }

  /** The wrapped buffer (the whole datagram). */
  get buffer(): Buffer { return this.buf; }
  /** Total packet length including padding. */
  get length(): number { return this.len; }
  get version(): number { return this.buf[0] >> 6; }
  get padding(): boolean { return (this.buf[0] & 0x20) !== 0; }
  get extension(): boolean { return (this.buf[0] & 0x10) !== 0; }
  get csrcCount(): number { return this.buf[0] & 0x0f; }
  get marker(): boolean { return (this.buf[1] & 0x80) !== 0; }
  set marker(v: boolean) { this.buf[1] = v ? this.buf[1] | 0x80 : this.buf[1] & 0x7f; }
  get payloadType(): number { return this.buf[1] & 0x7f; }
  set payloadType(pt: number) { this.buf[1] = (this.buf[1] & 0x80) | (pt & 0x7f); }
  get sequence(): number { return (this.buf[2] << 8) | this.buf[3]; }
  set sequence(v: number) { this.buf[2] = (v >> 8) & 0xff; this.buf[3] = v & 0xff; }
  get timestamp(): number { return this.buf.readUInt32BE(4); }
  set timestamp(v: number) { this.buf.writeUInt32BE(v >>> 0, 4); }
  get ssrc(): number { return this.buf.readUInt32BE(8); }
  set ssrc(v: number) { this.buf.writeUInt32BE(v >>> 0, 8); }
  /** CSRC `i` (0-based), RFC 3550 §5.1. */
  csrc(i: number): number { return this.buf.readUInt32BE(12 + i * 4); }
  /** Offset of the header extension block (profile word), or -1. */
  get extensionOffset(): number { return this.extension ? 12 + this.csrcCount * 4 : -1; }
  /** Offset of the payload (after CSRCs and extension). */
  get payloadOffset(): number { return this.payOff; }
  /** Payload length excluding padding. */
  get payloadLength(): number { return this.payLen; }
  /** Header length (== payloadOffset). */
  get headerLength(): number { return this.payOff; }
  /** A zero-copy subarray of the payload (allocates a small view object). */
  payload(): Buffer { return this.buf.subarray(this.payOff, this.payOff + this.payLen); }
}

/** Quick test used by demux: does the datagram look like RTP/RTCP v2 (RFC 3550 §5.1)? */
export function isRtpVersion2(buf: Buffer, length: number = buf.length): boolean {
  return length >= 12 && buf[0] >> 6 === 2;
}
