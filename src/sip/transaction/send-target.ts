import type { SipMessage, TransportName } from '../message/sip-message.js';

/**
 * Where a message goes: a transport and an address, and optionally a flow (connection)
 * to reuse. For connection transports the flow wins when it is still open; otherwise a
 * connection to host:port is opened (or reused) by the transport layer.
 */
export interface SendTarget {
  transport: TransportName;
  /** IP address (already resolved). */
  host: string;
  port: number;
  /** Connection/flow to send on (from {@link InboundInfo.flowId}). */
  flowId?: string;
}

/** Where and how a message was sent. */
export interface SentInfo {
  transport: TransportName;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
  /** Flow the message went on (reuse it to reach the same peer the same way). */
  flowId: string;
}

/** Sends one message; the outcome is reported through the callback (never thrown). */
export type MessageSender = (msg: SipMessage, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void) => void;

/** True for transports that retransmit by themselves (RFC 3261 §17: reliable). */
export function isReliable(transport: TransportName): boolean {
  return transport !== 'udp';
}
