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
