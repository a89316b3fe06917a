/** Classification of a datagram on a shared media port. */
export const enum PacketKind {
  Stun = 1,
  Dtls = 2,
  Rtp = 3,
  Rtcp = 4,
  Unknown = 0,
}

/**
 * Classifies a datagram by its first byte (RFC 7983 §7): 0–3 STUN,
 * 20–63 DTLS, 128–191 RTP/RTCP; RTP and RTCP are told apart by the second
 * byte (RFC 5761 §4: payload types 192–223 are RTCP: 64–95 with the marker bit).
 * Everything else (ZRTP 16–19, TURN channels 64–79, garbage) is Unknown.
 */
export function classifyPacket(buf: Buffer, length: number = buf.length): PacketKind {
  if (length < 1) return PacketKind.Unknown;
  const b = buf[0];
  if (b <= 3) return length >= 20 ? PacketKind.Stun : PacketKind.Unknown;
  if (b >= 20 && b <= 63) return PacketKind.Dtls;
  if (b >= 128 && b <= 191) {
    if (length < 4) return PacketKind.Unknown;
    const pt = buf[1];
    if (pt >= 192 && pt <= 223) return length >= 8 ? PacketKind.Rtcp : PacketKind.Unknown;
    return length >= 12 ? PacketKind.Rtp : PacketKind.Unknown;
  }
  return PacketKind.Unknown;
}
