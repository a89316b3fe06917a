/**
 * What the drachtio wire-protocol server needs from the SIP stack (src/sip), stated as a small
 * interface so the two can be joined by an adapter (see `sip-stack-adapter.ts`) and so the
 * protocol layer can be tested with a fake core.
 *
 * Division of work (mirrors drachtio-server on top of sofia-sip's nta):
 * - the core owns transports, parsing, the four transaction state machines (RFC 3261 §17),
 *   CANCEL matching (§9.2), the Via of every outgoing request, and the retransmission of a 2xx
 *   to INVITE until ACK (§13.3.1.4), reporting an ACK timeout;
 * - the drachtio layer owns dialog bookkeeping for apps (ids, tags, route sets, CSeq), fills in
 *   From/To/Call-ID/CSeq/Contact like drachtio-server, and routes requests to apps.
 * Messages cross the boundary as {@link SipText} (what the wire protocol carries anyway).
 */
import type { SipText } from './sip-text.js';

/** SIP transports a listening point can use. */
export type SipTransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** One bound SIP listener. */
export interface ListeningPoint {
  transport: SipTransportName;
  /** Address bound (or advertised) — used in Contact/From and reported to apps. */
  host: string;
  port: number;
}

/** How a message arrived. */
export interface InboundInfo {
  transport: SipTransportName;
  /** Connection identity, for sending later requests back over the same connection. */
  flowId?: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/** Where/how the core sent a message. */
export interface SentInfo {
  transport: SipTransportName;
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

/** Explicit next hop for a request. */
export interface Destination {
  transport: SipTransportName;
  host: string;
  port: number;
}

/** Options for sending a request. `flowId` wins over `destination` when both are given. */
export interface SendOptions {
  destination?: Destination;
  flowId?: string;
  /**
   * Proxy mode (RFC 3261 §16): retransmitted 2xx responses to an INVITE are passed to
   * `onResponse` again (to be forwarded upstream) instead of being answered with our ACK.
   */
  proxy?: boolean;
}

/** Options for {@link CoreServerTransaction.respond}. */
export interface RespondOptions {
  /** A proxied response: no 2xx retransmission / ACK timer by the core (the UAS does that). */
  proxied?: boolean;
}

/** A server transaction for an incoming request (RFC 3261 §17.2). */
export interface CoreServerTransaction {
  /** The request as received (top Via carries received/rport when the core added them). */
  readonly request: SipText;
  readonly info: InboundInfo;
  /**
   * Sends a complete response (all headers already present; Content-Length is recomputed).
   * For a 2xx to INVITE the core retransmits it until the ACK arrives (then the ACK is
   * delivered through {@link SipCoreHandler.onRequest} with no transaction) or 64*T1 passes
   * ({@link SipCoreHandler.onAckTimeout}). After a 2xx was sent, another 2xx (a proxied
   * retransmission) is sent statelessly to the same place. Returns what was sent.
   */
  respond(response: SipText, options?: RespondOptions): { text: string; sent: SentInfo };
  /** Called once when a CANCEL matched this INVITE transaction; the core has already answered 200 (and 487 if no final response was sent). */
  onCancel(cb: (cancel: SipText, info: InboundInfo) => void): void;
}

/** A client transaction for a request we sent (RFC 3261 §17.1). */
export interface CoreClientTransaction {
  /** The request as sent (with the core's Via). */
  readonly request: SipText;
  readonly sent: SentInfo;
  /** Every provisional and the final response (retransmissions absorbed). */
  onResponse(cb: (response: SipText, info: InboundInfo) => void): void;
  /** Timer B/F fired, or the transport failed: the core reports a synthetic final status (408/503). */
  onFailure(cb: (status: number, reason: string) => void): void;
  /** Sends CANCEL for this INVITE (§9.1). Resolves with the CANCEL as sent, or undefined when too late. */
  cancel(extraHeaders: ReadonlyArray<{ name: string; value: string }>): Promise<{ text: string; sent: SentInfo } | undefined>;
}

/** Events the core delivers to the drachtio layer. */
export interface SipCoreHandler {
  /**
   * A request that is not a retransmission and not a CANCEL: new requests, in-dialog requests,
   * and ACKs for 2xx (those with `st` undefined).
   */
  onRequest(request: SipText, info: InboundInfo, st: CoreServerTransaction | undefined): void;
  /** No ACK came for the 2xx sent on `st` within 64*T1. */
  onAckTimeout(st: CoreServerTransaction): void;
}

/** The SIP core the drachtio server runs on. */
export interface SipCore {
  listeningPoints(): ListeningPoint[];
  setHandler(handler: SipCoreHandler): void;
  /** Sends a request statefully. The core adds the top Via (branch, rport) and Max-Forwards when absent. */
  sendRequest(request: SipText, options: SendOptions): Promise<CoreClientTransaction>;
  /** Sends an ACK for a 2xx (outside any transaction, §13.2.2.4). */
  sendAck(ack: SipText, options: SendOptions): Promise<{ text: string; sent: SentInfo }>;
}

/** Injected time source (structurally compatible with src/sip's Clock). */
export interface DrachtioClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Wall clock on Node timers. */
export const realClock: DrachtioClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};
