/** RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1). */
export const RTCP_SR = 200;
export const RTCP_RR = 201;
export const RTCP_SDES = 202;
export const RTCP_BYE = 203;
export const RTCP_APP = 204;
export const RTCP_RTPFB = 205;
export const RTCP_PSFB = 206;
export const RTCP_XR = 207;

/** One report block (RFC 3550 §6.4.1). */
export interface ReportBlock {
  ssrc: number;
  /** Fraction lost since the previous report, 0..255 (8-bit fixed point). */
  fractionLost: number;
  /** Cumulative lost (24-bit signed). */
  cumulativeLost: number;
  /** Extended highest sequence number received. */
  highestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (LSR). */
  lsr: number;
  /** Delay since last SR in 1/65536 s (DLSR). */
  dlsr: number;
}

/** Sender info of an SR (RFC 3550 §6.4.1). */
export interface SenderInfo {
  ntpSec: number;
  ntpFrac: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
}

export interface SenderReport { type: typeof RTCP_SR; ssrc: number; sender: SenderInfo; reports: ReportBlock[] }
export interface ReceiverReport { type: typeof RTCP_RR; ssrc: number; reports: ReportBlock[] }
export interface SdesItem { type: number; value: string }
export interface SdesChunk { ssrc: number; items: SdesItem[] }
export interface SourceDescription { type: typeof RTCP_SDES; chunks: SdesChunk[] }
export interface Goodbye { type: typeof RTCP_BYE; ssrcs: number[]; reason?: string }
export interface AppPacket { type: typeof RTCP_APP; subtype: number; ssrc: number; name: string; data: Buffer }
/** Generic feedback message (RFC 4585 §6.1): FMT, sender SSRC, media SSRC, FCI copied. */
export interface FeedbackPacket {
  type: typeof RTCP_RTPFB | typeof RTCP_PSFB;
  fmt: number;
  senderSsrc: number;
  mediaSsrc: number;
  fci: Buffer;
}
/** Any other well-framed RTCP packet (e.g. XR); kept opaque. */
export interface UnknownRtcp { type: number; count: number; body: Buffer }

export type RtcpPacket =
  | SenderReport | ReceiverReport | SourceDescription | Goodbye | AppPacket | FeedbackPacket | UnknownRtcp;

/** SDES item types (RFC 3550 §6.5). */
export const SDES_CNAME = 1;

/** Type guards (UnknownRtcp's numeric `type` defeats union narrowing). */
export function isSenderReport(p: RtcpPacket): p is SenderReport { return p.type === RTCP_SR && 'sender' in p; }
export function isReceiverReport(p: RtcpPacket): p is ReceiverReport { return p.type === RTCP_RR && 'reports' in p; }
export function isGoodbye(p: RtcpPacket): p is Goodbye { return p.type === RTCP_BYE && 'ssrcs' in p; }
