/**
 * RFC 4733 telephone-events (DTMF) payloads: parse, serialize, and a
 * translator between two telephone-event streams that differ in payload type
 * and clock rate (e.g. telephone-event/48000 on the WebRTC leg ↔
 * telephone-event/8000 on the SIP leg).
 *
 * Payload format (RFC 4733 §2.3): event (8 bits), E (end, 1 bit), R (reserved,
 * 1 bit), volume (6 bits), duration (16 bits, in RTP clock units). Several
 * 4-byte event blocks may share a packet (§2.5.1.5).
 *
 * Translation keeps every packet, including the three retransmissions of an
 * event's final packet (§2.5.1.4): it never merges or drops packets, it only
 * rewrites payload type, timestamp and the duration fields. All packets of one
 * event carry the event's start timestamp (§2.3.1), so the timestamp is mapped
 * with one anchored linear scale, and identical inputs give identical outputs.
 */

/** One telephone-event block (RFC 4733 §2.3). */
export interface TelephoneEvent {
  /** Event code (§3.2: 0-9 digits, 10 '*', 11 '#', 12-15 A-D, 16 flash). */
  event: number;
  /** E bit: this packet ends the event. */
  end: boolean;
  /** Volume, 0..63 (-dBm0, §2.5.2.2); 0 for events without power. */
  volume: number;
  /** Duration so far, in RTP timestamp units of the stream (0..65535). */
  duration: number;
}

const NAMES = '0123456789*#ABCD';

/** Printable name of a DTMF event code ('0'..'9', '*', '#', 'A'..'D', 'flash'), or null. */
export function dtmfEventName(event: number): string | null {
  if (event >= 0 && event < 16) return NAMES[event];
  if (event === 16) return 'flash';
  return null;
}

/** Event code of a DTMF key ('0'..'9', '*', '#', 'A'..'D'; case-insensitive), or null. */
export function dtmfEventCode(key: string): number | null {
  const i = NAMES.indexOf(key.toUpperCase());
  return key.length === 1 && i >= 0 ? i : null;
}

/**
 * Parses the event block at `offset` of a telephone-event payload, or returns
 * null when fewer than 4 bytes remain (a counted drop for the caller).
 */
export function parseTelephoneEvent(payload: Uint8Array, offset = 0): TelephoneEvent | null {
  if (offset < 0 || payload.length - offset < 4) return null;
  const b1 = payload[offset + 1];
  return {
    event: payload[offset],
    end: (b1 & 0x80) !== 0,
    volume: b1 & 0x3f,
    duration: (payload[offset + 2] << 8) | payload[offset + 3],
  };
}

/** Writes one event block at `offset` of `out`; returns the bytes written (4). R is sent as 0. */
export function writeTelephoneEvent(ev: TelephoneEvent, out: Uint8Array, offset = 0): number {
  out[offset] = ev.event & 0xff;
  out[offset + 1] = (ev.end ? 0x80 : 0) | (ev.volume & 0x3f);
  const d = Math.max(0, Math.min(0xffff, Math.round(ev.duration)));
  out[offset + 2] = d >> 8;
  out[offset + 3] = d & 0xff;
  return 4;
}

/** Options of {@link DtmfTranslator}. */
export interface DtmfTranslatorOptions {
  /** Payload type of telephone-event on the input stream. */
  inPayloadType: number;
  /** Payload type of telephone-event on the output stream. */
  outPayloadType: number;
  /** RTP clock rate of the input stream (8000 or 48000). */
  inClockRate: number;
  /** RTP clock rate of the output stream. */
  outClockRate: number;
}

/** Offset of the payload in an RTP packet (after CSRCs and header extension), or -1 if malformed. */
function payloadOffset(pkt: Uint8Array, length: number): number {
  if (length < 12 || pkt[0] >> 6 !== 2) return -1;
  let off = 12 + (pkt[0] & 0x0f) * 4;
  if (pkt[0] & 0x10) {
    if (off + 4 > length) return -1;
    off += 4 + ((pkt[off + 2] << 8) | pkt[off + 3]) * 4;
  }
  return off <= length ? off : -1;
}

/**
 * Translates telephone-event packets between payload types and clock rates.
 *
 * - duration fields are scaled by `outClockRate / inClockRate` and clamped to
 *   16 bits (an 8 kHz event longer than 1.365 s saturates at 48 kHz; such
 *   events arrive as segments per §2.5.1.3 anyway, each translated alone);
 * - timestamps: the first translated timestamp is mapped to `anchorOut`
 *   (default: the input value scaled), later ones keep their offset from it,
 *   scaled, modulo 2^32 — so all packets of an event keep one start time.
 *   Call {@link anchor} to tie the event timeline to the output audio's.
 * - payload type is replaced; marker, sequence number and SSRC are left for
 *   the stream rewriter.
 * No allocation per packet.
 */
export class DtmfTranslator {
  readonly inPayloadType: number;
  readonly outPayloadType: number;
  readonly ratio: number;
  private anchored = false;
  private inBase = 0;
  private outBase = 0;
  /** Packets translated. */
  translated = 0;
  /** Packets refused: not RTP, wrong payload type, or no complete event block. */
  malformed = 0;
  /** Duration fields clamped to 0xFFFF. */
  clamped = 0;

  constructor(options: DtmfTranslatorOptions) {
    this.inPayloadType = options.inPayloadType;
    this.outPayloadType = options.outPayloadType;
    this.ratio = options.outClockRate / options.inClockRate;
  }

  /** Ties input timestamp `inTs` to output timestamp `outTs` (e.g. from the audio path's mapping). */
  anchor(inTs: number, outTs: number): void {
    this.inBase = inTs >>> 0;
    this.outBase = outTs >>> 0;
    this.anchored = true;
  }

  /** Maps an input RTP timestamp to the output clock (see class comment). */
  mapTimestamp(inTs: number): number {
    inTs >>>= 0;
    if (!this.anchored) this.anchor(inTs, Math.round(inTs * this.ratio));
    const delta = (inTs - this.inBase) | 0; // signed 32-bit distance
    return (this.outBase + Math.round(delta * this.ratio)) >>> 0;
  }

  /** Scales every event block's duration of a payload from `src` into `out` (may be the same array). Returns bytes written, or -1. */
  translatePayload(src: Uint8Array, srcOffset: number, srcLength: number, out: Uint8Array, outOffset: number): number {
    if (srcLength < 4) return -1;
    const blocks = srcLength >> 2;
    for (let i = 0; i < blocks; i++) {
      const s = srcOffset + i * 4;
      const o = outOffset + i * 4;
      const b0 = src[s];
      const b1 = src[s + 1] & 0xbf; // R bit cleared (§2.3: sender sets 0)
      let d = Math.round((((src[s + 2] << 8) | src[s + 3]) * this.ratio));
      if (d > 0xffff) {
        d = 0xffff;
        this.clamped++;
      }
      out[o] = b0;
      out[o + 1] = b1;
      out[o + 2] = d >> 8;
      out[o + 3] = d & 0xff;
    }
    return blocks * 4;
  }

  /**
   * Translates one RTP packet (`packet[0..length)`) into `out` (may be the same
   * buffer): payload type, timestamp and durations. Returns the output length,
   * or -1 (counted in `malformed`) when it is not a telephone-event packet of
   * the input payload type. Trailing bytes that are not a full 4-byte block are
   * dropped; padding is removed.
   */
  translatePacket(packet: Uint8Array, length: number, out: Uint8Array): number {
    const off = payloadOffset(packet, length);
    if (off < 0 || (packet[1] & 0x7f) !== this.inPayloadType) {
      this.malformed++;
      return -1;
    }
    let end = length;
    if (packet[0] & 0x20) end -= packet[length - 1];
    if (end - off < 4 || out.length < end) {
      this.malformed++;
      return -1;
    }
    if (out !== packet) out.set(packet.subarray(0, off));
    out[0] &= ~0x20; // padding removed
    out[1] = (packet[1] & 0x80) | (this.outPayloadType & 0x7f);
    const inTs = ((packet[4] << 24) | (packet[5] << 16) | (packet[6] << 8) | packet[7]) >>> 0;
    const ts = this.mapTimestamp(inTs);
    out[4] = ts >>> 24;
    out[5] = (ts >>> 16) & 0xff;
    out[6] = (ts >>> 8) & 0xff;
    out[7] = ts & 0xff;
    const n = this.translatePayload(packet, off, end - off, out, off);
    this.translated++;
    return off + n;
  }
}
