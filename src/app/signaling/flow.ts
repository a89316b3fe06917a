import type { AppRequest } from './srf-types.js';

/**
 * Flow identity as the app sees it through drachtio: the transport and remote address/port
 * of the connection a request arrived on (drachtio meta `protocol|address|port`, which srf
 * exposes as `req.protocol`, `req.source_address`, `req.source_port`). For connection-oriented
 * transports (tcp, tls, ws, wss) that triple names one connection for as long as it is open
 * (RFC 5626 §3 "flow"); UDP has no flow.
 */
export type FlowId = string;

const STREAM = new Set(['tcp', 'tls', 'ws', 'wss']);

/** `ws:203.0.113.5:53211` for a request that came on a connection; undefined for UDP. */
export function flowOf(req: Pick<AppRequest, 'protocol' | 'source_address' | 'source_port'>): FlowId | undefined {
  const proto = String(req.protocol ?? '').toLowerCase();
  if (!STREAM.has(proto) || !req.source_address) return undefined;
  return flowKey(proto, req.source_address, Number(req.source_port));
}

/** The same key built from transport parts (what a server-side flow monitor reports). */
export function flowKey(transport: string, address: string, port: number): FlowId {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return `${transport.toLowerCase()}:${host}:${port}`;
}

/** True when the request arrived over a WebSocket (RFC 7118), i.e. from a browser. */
export function isWebSocket(req: Pick<AppRequest, 'protocol'>): boolean {
  const p = String(req.protocol ?? '').toLowerCase();
  return p === 'ws' || p === 'wss';
}

/**
 * Server-side hook: tells the app when a connection closes, so bindings made over it are
 * removed (RFC 5626 §4.4 / RFC 7118 §5). drachtio's wire protocol has no such message; in
 * embedded mode the gateway adapts the SIP transport layer's `connectionClosed` to this
 * interface. Without it, bindings of closed flows simply expire.
 */
export interface FlowMonitor {
  /** Registers `listener`; returns a function that unregisters it. */
  onFlowClosed(listener: (flow: FlowId) => void): () => void;
}

/**
 * Server-side hook: the browser token presented on the WebSocket upgrade (`?token=` or the
 * `tandem_token` cookie, see {@link TokenAuth.fromUpgrade}), by flow. drachtio's wire protocol
 * cannot carry it; in embedded mode the WebSocket transport records it at upgrade time.
 */
export interface FlowTokenSource {
  tokenFor(flow: FlowId): string | undefined;
}
