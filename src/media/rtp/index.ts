export { RtpView, isRtpVersion2 } from './rtp-view.js';
export { writeRtpHeader, writeRtpPacket, type RtpHeaderFields } from './rtp-writer.js';
export * from './rtcp-types.js';
export { parseRtcp, type RtcpParseResult, type RtcpParseError } from './rtcp-parse.js';
export { buildSenderReport, buildReceiverReport, buildSdesCname, buildBye, buildCompoundReport, type SendState } from './rtcp-build.js';
export { RtpReceiveStats } from './rtp-receive-stats.js';
export { msToNtp, ntpMiddle32, msToCompactNtp, type NtpTime } from './ntp.js';
