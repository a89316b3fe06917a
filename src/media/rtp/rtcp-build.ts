import { msToNtp } from './ntp.js';
import {
  RTCP_BYE, RTCP_RR, RTCP_SDES, RTCP_SR, SDES_CNAME, type ReportBlock, type SenderInfo,
} from './rtcp-types.js';

function writeReports(out: Buffer, off: number, reports: readonly ReportBlock[]): number {
  for (const r of reports) {
    out.writeUInt32BE(r.ssrc >>> 0, off);
    out[off + 4] = r.fractionLost & 0xff;
    const cum = Math.max(-0x800000, Math.min(0x7fffff, r.cumulativeLost)) & 0xffffff;
    out[off + 5] = (cum >> 16) & 0xff;
    out[off + 6] = (cum >> 8) & 0xff;
    out[off + 7] = cum & 0xff;
    out.writeUInt32BE(r.highestSeq >>> 0, off + 8);
    out.writeUInt32BE(r.jitter >>> 0, off + 12);
    out.writeUInt32BE(r.lsr >>> 0, off + 16);
    out.writeUInt32BE(r.dlsr >>> 0, off + 20);
    off += 24;
  }
  return off;
}

/** Builds an SR (RFC 3550 §6.4.1) with up to 31 report blocks. */
export function buildSenderReport(ssrc: number, sender: SenderInfo, reports: readonly ReportBlock[] = []): Buffer {
  const n = Math.min(reports.length, 31);
  const len = 28 + n * 24;
  const out = Buffer.alloc(len);
  out[0] = 0x80 | n;
  out[1] = RTCP_SR;
  out.writeUInt16BE(len / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  out.writeUInt32BE(sender.ntpSec >>> 0, 8);
  out.writeUInt32BE(sender.ntpFrac >>> 0, 12);
  out.writeUInt32BE(sender.rtpTimestamp >>> 0, 16);
  out.writeUInt32BE(sender.packetCount >>> 0, 20);
  out.writeUInt32BE(sender.octetCount >>> 0, 24);
  writeReports(out, 28, reports.slice(0, n));
  return out;
}

/** Builds an RR (RFC 3550 §6.4.2) with up to 31 report blocks. */
export function buildReceiverReport(ssrc: number, reports: readonly ReportBlock[] = []): Buffer {
  const n = Math.min(reports.length, 31);
  const len = 8 + n * 24;
  const out = Buffer.alloc(len);
  out[0] = 0x80 | n;
  out[1] = RTCP_RR;
  out.writeUInt16BE(len / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  writeReports(out, 8, reports.slice(0, n));
  return out;
}

/** Builds an SDES packet with one chunk carrying a CNAME (RFC 3550 §6.5.1). */
export function buildSdesCname(ssrc: number, cname: string): Buffer {
  const text = Buffer.from(cname, 'utf8').subarray(0, 255);
  const raw = 4 + 4 + 2 + text.length + 1; // header, ssrc, type+len, text, null item
  const len = (raw + 3) & ~3;
  const out = Buffer.alloc(len);
  out[0] = 0x81;
  out[1] = RTCP_SDES;
  out.writeUInt16BE(len / 4 - 1, 2);
  out.writeUInt32BE(ssrc >>> 0, 4);
  out[8] = SDES_CNAME;
  out[9] = text.length;
  text.copy(out, 10);
  return out;
}

/** Builds a BYE (RFC 3550 §6.6) for the given sources with an optional reason. */
export function buildBye(ssrcs: readonly number[], reason?: string): Buffer {
  const n = Math.min(ssrcs.length, 31);
  const r = reason === undefined ? null : Buffer.from(reason, 'utf8').subarray(0, 255);
  const raw = 4 + n * 4 + (r ? 1 + r.length : 0);
  const len = (raw + 3) & ~3;
  const out = Buffer.alloc(len);
  out[0] = 0x80 | n;
  out[1] = RTCP_BYE;
  out.writeUInt16BE(len / 4 - 1, 2);
  for (let i = 0; i < n; i++) out.writeUInt32BE(ssrcs[i] >>> 0, 4 + i * 4);
  if (r) {
    out[4 + n * 4] = r.length;
    r.copy(out, 5 + n * 4);
  }
  return out;
}

/** What a leg knows about the stream it sends, for a sender report. */
export interface SendState {
  /** SSRC of the reports (the sent stream's, or the leg's own RTCP SSRC before sending). */
  ssrc: number;
  /** Whether RTP was sent since the last report: SR when true, RR otherwise. */
  sentSinceReport: boolean;
  /** Last RTP timestamp sent, the wall time it was sent at (ms), and the clock rate. */
  rtpTs: number;
  rtpTsAtMs: number;
  clockRate: number;
  packetCount: number;
  octetCount: number;
}

/**
 * One compound RTCP report (RFC 3550 §6.1, §6.4): SR when we sent since the last
 * report (RTP timestamp extrapolated to `nowMs`), RR otherwise, with the given
 * report block, followed by SDES CNAME.
 */
export function buildCompoundReport(nowMs: number, send: SendState, block: ReportBlock | null | undefined, cname: string): Buffer {
  const blocks = block ? [block] : [];
  let head: Buffer;
  if (send.sentSinceReport) {
    const ntp = msToNtp(nowMs);
    const rtpTimestamp = (send.rtpTs + Math.round(((nowMs - send.rtpTsAtMs) * send.clockRate) / 1000)) >>> 0;
    head = buildSenderReport(send.ssrc, { ntpSec: ntp.sec, ntpFrac: ntp.frac, rtpTimestamp, packetCount: send.packetCount, octetCount: send.octetCount }, blocks);
  } else {
    head = buildReceiverReport(send.ssrc, blocks);
  }
  return Buffer.concat([head, buildSdesCname(send.ssrc, cname)]);
}
