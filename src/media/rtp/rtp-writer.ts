/** Fields for a fixed RTP header (RFC 3550 §5.1), no CSRCs, no extension. */
export interface RtpHeaderFields {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  marker?: boolean;
}

/**
 * Writes a 12-byte RTP header into `out` at `offset` (RFC 3550 §5.1) and
 * returns the header length. `out` is preallocated by the caller.
 */
export function writeRtpHeader(out: Buffer, offset: number, f: RtpHeaderFields): number {
  out[offset] = 0x80;
  out[offset + 1] = (f.marker ? 0x80 : 0) | (f.payloadType & 0x7f);
  out[offset + 2] = (f.sequence >> 8) & 0xff;
  out[offset + 3] = f.sequence & 0xff;
  out.writeUInt32BE(f.timestamp >>> 0, offset + 4);
  out.writeUInt32BE(f.ssrc >>> 0, offset + 8);
  return 12;
}

/**
 * Writes header + payload into `out` (preallocated, large enough) and returns
 * the subarray holding the packet. Positional arguments avoid an object per
 * packet on the hot path.
 */
export function writeRtpPacket(
  out: Buffer, payloadType: number, sequence: number, timestamp: number, ssrc: number,
  marker: boolean, payload: Uint8Array, payloadLength: number = payload.length,
): Buffer {
  out[0] = 0x80;
  out[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f);
  out[2] = (sequence >> 8) & 0xff;
  out[3] = sequence & 0xff;
  out.writeUInt32BE(timestamp >>> 0, 4);
  out.writeUInt32BE(ssrc >>> 0, 8);
  out.set(payload.subarray(0, payloadLength), 12);
  return out.subarray(0, 12 + payloadLength);
}
