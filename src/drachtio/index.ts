export { DrachtioServer, DRACHTIO_COMPAT_VERSION, type DrachtioServerOptions } from './drachtio-server.js';
export { FrameDecoder, encodeFrame } from './framing.js';
export { DrachtioFramingError } from './errors.js';
export { SipText } from './sip-text.js';
export type {
  SipCore, SipCoreHandler, CoreClientTransaction, CoreServerTransaction, ListeningPoint, InboundInfo, SentInfo,
  SendOptions, RespondOptions, Destination, SipTransportName, DrachtioClock,
} from './sip-core.js';
export { realClock } from './sip-core.js';
export { SipStackCore } from './sip-stack-core.js';
export { SessionTimers, type SessionTimerOptions } from './session-timers.js';
export {
  parseSessionExpires, parseMinSE, formatSessionExpires, negotiateAsUas, refreshDelayMs, expiryDelayMs, RFC4028_MIN_SE,
  type SessionExpiresValue, type Refresher, type UasDecision, type UasOffer, type UasSessionTimerPolicy,
} from './session-expires.js';
