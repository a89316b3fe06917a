import type { TransportName } from '../message/sip-message.js';
import type { SendTarget, SentInfo } from '../transaction/send-target.js';

export type { SentInfo };

/** One bound listener, as reported by {@link TransportLayer.listeners}. */
export interface ListeningPoint {
  transport: TransportName;
  /** Bound address. */
  address: string;
  /** Bound port (the real one when 0 was asked for). */
  port: number;
  /** Host to put in Via/Contact (advertised host, or the bound address). */
  host: string;
}


/** A connection (TCP, TLS, WS, WSS) known to the transport layer. */
export interface Connection {
  readonly id: string;
  readonly transport: TransportName;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  /**
   * WebSocket only (RFC 7118 §4): the HTTP upgrade request's target (path and query) and its
   * Cookie header, kept for the connection's life (browser token auth reads them).
   */
  readonly upgrade?: UpgradeInfo;
  /** Writes one serialized message (or a keep-alive). */
  write(bytes: Buffer, cb: (err?: Error) => void): void;
  /** Closes the connection. */
  close(): void;
}

/** What a WebSocket upgrade request carried (RFC 6455 §4.1): request target and Cookie header. */
export interface UpgradeInfo {
  readonly url: string;
  readonly cookie?: string;
}

/** Callbacks a transport uses to hand data to the transport layer. */
export interface TransportSink {
  /** One message's bytes (datagram, WS frame, or framed stream message). */
  onMessage(bytes: Buffer, source: InboundSource): void;
  /** A stream could not be framed any more (oversize / bad Content-Length); the connection is closed. */
  onFramingError(transport: TransportName, oversize: boolean): void;
  /** A CRLF CRLF keep-alive arrived (already answered). */
  onKeepAlive(transport: TransportName): void;
  onConnection(conn: Connection): void;
  onConnectionClosed(conn: Connection): void;
  /** Current number of connections from an IP (for the per-IP limit). */
  connectionsFrom(ip: string): number;
}

/** Where an inbound message came from and how to answer over the same way. */
export interface InboundSource {
  transport: TransportName;
  flowId: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/** A transport instance (one listener). */
export interface Transport {
  readonly name: TransportName;
  /** Set after start(). */
  readonly listeningPoint: ListeningPoint;
  start(): Promise<void>;
  /** Sends bytes to a target (opening a connection when needed). */
  send(bytes: Buffer, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void): void;
  close(): Promise<void>;
}

/** Transport limits (RFC 5626 keep-alives are always answered). */
export interface TransportLimits {
  /** Idle timeout of a connection without traffic, ms. Default 300000 (5 min). */
  idleTimeoutMs: number;
  /** Connections accepted from one IP address. Default 100. */
  maxConnectionsPerIp: number;
  /**
   * SO_RCVBUF / SO_SNDBUF asked for UDP sockets, bytes (the kernel caps it at
   * net.core.rmem_max / wmem_max). Default 4 MiB: the Linux default (~208 KiB, ~400
   * INVITEs) overflows during a short event-loop stall at a few hundred calls/s, and every
   * datagram dropped there costs a T1 retransmission. 0 keeps the system default.
   */
  udpBufferBytes: number;
}

/** Defaults of {@link TransportLimits}. */
export const DEFAULT_TRANSPORT_LIMITS: Readonly<TransportLimits> = Object.freeze({
  idleTimeoutMs: 300_000, maxConnectionsPerIp: 100, udpBufferBytes: 4 * 1024 * 1024,
});

/** TLS material: PEM paths or buffers (RFC 3261 §26.3.1: TLS for sips). */
export interface TlsOptions {
  key: string | Buffer;
  cert: string | Buffer;
  /** CA bundle for verifying peers on outbound connections. */
  ca?: string | Buffer;
  /** Verify certificates of peers we connect to. Default true. */
  rejectUnauthorized?: boolean;
}
