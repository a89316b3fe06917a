import {
  RTCP_APP, RTCP_BYE, RTCP_PSFB, RTCP_RR, RTCP_RTPFB, RTCP_SDES, RTCP_SR,
  type ReportBlock, type RtcpPacket, type SdesChunk,
} from './rtcp-types.js';

/** Why a compound RTCP datagram was rejected. */
export type RtcpParseError = 'short' | 'version' | 'length' | 'first-not-report' | 'body';

export type RtcpParseResult = { ok: true; packets: RtcpPacket[] } | { ok: false; error: RtcpParseError };

function readReports(buf: Buffer, off: number, count: number, end: number): ReportBlock[] | null {
  if (off + count * 24 > end) return null;
  const out: ReportBlock[] = [];
  for (let i = 0; i < count; i++, off += 24) {
    let cum = (buf[off + 5] << 16) | (buf[off + 6] << 8) | buf[off + 7];
    if (cum & 0x800000) cum -= 0x1000000;
    out.push({
      ssrc: buf.readUInt32BE(off),
      fractionLost: buf[off + 4],
      cumulativeLost: cum,
      highestSeq: buf.readUInt32BE(off + 8),
      jitter: buf.readUInt32BE(off + 12),
      lsr: buf.readUInt32BE(off + 16),
      dlsr: buf.readUInt32BE(off + 20),
    });
  }
  return out;
}

/**
 * Parses a compound RTCP datagram (RFC 3550 §6.1): every packet must be
 * version 2, lengths must tile the datagram exactly, and (§6.1 validity
 * check) the first packet must be SR or RR. Returns a result value; never
 * throws. `requireReportFirst: false` accepts RFC 5506 reduced-size RTCP.
 */
export function parseRtcp(buf: Buffer, length: number = buf.length, requireReportFirst = true): RtcpParseResult {
  if (length < 4 || length > buf.length) return { ok: false, error: 'short' };
  const packets: RtcpPacket[] = [];
  let off = 0;
  while (off < length) {
    if (off + 4 > length) return { ok: false, error: 'length' };
    const b0 = buf[off];
    if (b0 >> 6 !== 2) return { ok: false, error: 'version' };
    const count = b0 & 0x1f;
    const pt = buf[off + 1];
    const words = (buf[off + 2] << 8) | buf[off + 3];
    const end = off + 4 + words * 4;
    if (end > length) return { ok: false, error: 'length' };
    let bodyEnd = end;
    if (b0 & 0x20) {
      // Padding only allowed in the last packet (RFC 3550 §6.4.1).
      const pad = buf[end - 1];
      if (end !== length || pad === 0 || end - pad < off + 4) return { ok: false, error: 'body' };
      bodyEnd = end - pad;
    }
    if (packets.length === 0 && requireReportFirst && pt !== RTCP_SR && pt !== RTCP_RR) {
      return { ok: false, error: 'first-not-report' };
    }
    const p = parseOne(buf, off, pt, count, bodyEnd);
    if (!p) return { ok: false, error: 'body' };
    packets.push(p);
    off = end;
  }
  return { ok: true, packets };
}

function parseOne(buf: Buffer, off: number, pt: number, count: number, end: number): RtcpPacket | null {
  const body = off + 4;
  switch (pt) {
    case RTCP_SR: {
      if (body + 24 > end) return null;
      const reports = readReports(buf, body + 24, count, end);
      if (!reports) return null;
      return {
        type: RTCP_SR,
        ssrc: buf.readUInt32BE(body),
        sender: {
          ntpSec: buf.readUInt32BE(body + 4),
          ntpFrac: buf.readUInt32BE(body + 8),
          rtpTimestamp: buf.readUInt32BE(body + 12),
          packetCount: buf.readUInt32BE(body + 16),
          octetCount: buf.readUInt32BE(body + 20),
        },
        reports,
      };
    }
    case RTCP_RR: {
      if (body + 4 > end) return null;
      const reports = readReports(buf, body + 4, count, end);
      if (!reports) return null;
      return { type: RTCP_RR, ssrc: buf.readUInt32BE(body), reports };
    }
    case RTCP_SDES: {
      const chunks: SdesChunk[] = [];
      let p = body;
      for (let c = 0; c < count; c++) {
        if (p + 4 > end) return null;
        const chunk: SdesChunk = { ssrc: buf.readUInt32BE(p), items: [] };
        p += 4;
        for (;;) {
          if (p >= end) return null;
          const t = buf[p];
          if (t === 0) {
            p += 1;
            p = (p + 3) & ~3; // chunks end on a 32-bit boundary (§6.5)
            break;
          }
          if (p + 2 > end) return null;
          const l = buf[p + 1];
          if (p + 2 + l > end) return null;
          chunk.items.push({ type: t, value: buf.toString('utf8', p + 2, p + 2 + l) });
          p += 2 + l;
        }
        chunks.push(chunk);
      }
      return { type: RTCP_SDES, chunks };
    }
    case RTCP_BYE: {
      if (body + count * 4 > end) return null;
      const ssrcs: number[] = [];
      for (let i = 0; i < count; i++) ssrcs.push(buf.readUInt32BE(body + i * 4));
      const p = body + count * 4;
      let reason: string | undefined;
      if (p < end) {
        const l = buf[p];
        if (p + 1 + l > end) return null;
        reason = buf.toString('utf8', p + 1, p + 1 + l);
      }
      return reason === undefined ? { type: RTCP_BYE, ssrcs } : { type: RTCP_BYE, ssrcs, reason };
    }
    case RTCP_APP: {
      if (body + 8 > end) return null;
      return {
        type: RTCP_APP, subtype: count, ssrc: buf.readUInt32BE(body),
        name: buf.toString('latin1', body + 4, body + 8), data: Buffer.from(buf.subarray(body + 8, end)),
      };
    }
    case RTCP_RTPFB:
    case RTCP_PSFB: {
      if (body + 8 > end) return null;
      return {
        type: pt, fmt: count, senderSsrc: buf.readUInt32BE(body), mediaSsrc: buf.readUInt32BE(body + 4),
        fci: Buffer.from(buf.subarray(body + 8, end)),
      };
    }
    default:
      if (pt < 192 || pt > 223) return null;
      return { type: pt, count, body: Buffer.from(buf.subarray(body, end)) };
  }
}
