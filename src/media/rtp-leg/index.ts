export { RtpLeg } from './rtp-leg.js';
export type {
  RtpLegOptions, RtpLegUpdate, RemoteEndpoint, LatchMode, LegDirection, RemoteReceptionReport, RtcpCounters,
} from './rtp-leg-options.js';
