/**
 * Tandem's embedded SIP stack (RFC 3261, 3581, 7118, 5626 keep-alives).
 * Import everything from here; see docs/sip-stack.md.
 */
export { SipParseError, SipTransportError } from './errors.js';
export { canonicalHeaderKey, isListHeader, HeaderName } from './message/header-names.js';
export { SipMessage, type SipHeader, type InboundInfo, type TransportName } from './message/sip-message.js';
export { SipRequest } from './message/sip-request.js';
export { SipResponse } from './message/sip-response.js';
export { SipUri } from './message/sip-uri.js';
export { NameAddr } from './message/name-addr.js';
export { Via } from './message/via.js';
export { splitList, parseParams, formatParams, quote, unquoteParam, type SipParams } from './message/syntax.js';
export { parseMessage, validateMessage, type ParseOptions } from './message/parser.js';
export { DEFAULT_PARSE_LIMITS, type ParseLimits } from './message/parse-limits.js';
export { StreamFramer, type FramedItem } from './message/stream-framer.js';
export { createResponse, errorResponseFor, REASON_PHRASES, type CreateResponseOptions } from './message/responses.js';
export type { Clock, TimerHandle } from './clock.js';
export { RealClock } from './real-clock.js';
export { ManualClock } from './manual-clock.js';
export { DEFAULT_TIMERS, type TimerConfig } from './transaction/timer-config.js';
export { isReliable, type SendTarget, type SentInfo, type MessageSender } from './transaction/send-target.js';
export { ClientTransaction, type ClientTransactionState, type ClientTransactionEvents } from './transaction/client-transaction.js';
export { ServerTransaction, type ServerTransactionState, type ServerTransactionEvents, type RespondOptions } from './transaction/server-transaction.js';
export { TransactionLayer, type TransactionLayerOptions, type TransactionLayerEvents } from './transaction/transaction-layer.js';
export { MAGIC_COOKIE, newBranch, randomToken, serverKey } from './transaction/transaction-keys.js';
export { Dialog, type DialogId, type DialogState, type InDialogRequestOptions } from './dialog/dialog.js';
export { parseListenSpec, type ListenSpec } from './transport/listen-spec.js';
export {
  DEFAULT_TRANSPORT_LIMITS, type ListeningPoint, type Connection, type TransportLimits, type TlsOptions, type UpgradeInfo,
} from './transport/transport-types.js';
export { TransportLayer, type TransportLayerOptions, type TransportLayerEvents, type TransportStats } from './transport/transport-layer.js';
export { SipStack, type SipStackOptions, type SipStackEvents, type SendRequestOptions } from './sip-stack.js';
