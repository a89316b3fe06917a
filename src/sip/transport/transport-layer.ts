import { EventEmitter } from 'node:events';
import { SipParseError, SipTransportError } from '../errors.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from '../message/parse-limits.js';
import { parseMessage, validateMessage } from '../message/parser.js';
import { errorResponseFor } from '../message/responses.js';
import type { InboundInfo, SipMessage, TransportName } from '../message/sip-message.js';
import type { SendTarget } from '../transaction/send-target.js';
import { parseListenSpec, type ListenSpec } from './listen-spec.js';
import { StreamTransport } from './stream-transport.js';
import {
  DEFAULT_TRANSPORT_LIMITS, type Connection, type InboundSource, type ListeningPoint, type SentInfo, type TlsOptions,
  type Transport, type TransportLimits, type TransportSink, type UpgradeInfo,
} from './transport-types.js';
import { UdpTransport } from './udp-transport.js';
import { NativeUdpTransport } from './native-udp-transport.js';
import { parseIpv4 } from '../../native/ipv4.js';
import { udpPumpLoadError } from '../../native/native-addon.js';
import { WsTransport } from './ws-transport.js';

/** Counters of one transport kind. */
export interface TransportStats {
  received: number;
  sent: number;
  /** Messages dropped or answered with an error because they did not parse/validate. */
  malformed: number;
  /** Messages dropped because they were over the size limit. */
  oversize: number;
  keepAlives: number;
  /** Live connections (0 for UDP). */
  connections: number;
}

/** Options of {@link TransportLayer}. */
export interface TransportLayerOptions {
  /** Listeners: `udp:127.0.0.1:5060`, `tcp:…`, `tls:…`, `ws:…`, `wss:…` (port 0 = any). */
  listen: Array<string | ListenSpec>;
  /** Host advertised in Via/Contact for every listener without its own (default: bound address). */
  advertisedHost?: string;
  /** Parser limits; defaults {@link DEFAULT_PARSE_LIMITS}. */
  parseLimits?: Partial<ParseLimits>;
  /** Connection limits; defaults {@link DEFAULT_TRANSPORT_LIMITS}. */
  limits?: Partial<TransportLimits>;
  /** Needed for tls and wss listeners. */
  tls?: TlsOptions;
  /**
   * UDP socket I/O: `native` = the native pump (src/native: recvmmsg/sendmmsg batches) for
   * IPv4 listeners when its addon loads, node:dgram otherwise; `node` = node:dgram. Default `node`
   * (the gateway passes `sip.packetIo`, default native). See {@link TransportLayer.udpIo}.
   */
  udpIo?: 'native' | 'node';
}

/** Events of the {@link TransportLayer}. */
export type TransportLayerEvents = {
  /** A parsed, validated message; requests already carry received/rport (RFC 3581). */
  message: [msg: SipMessage, info: InboundInfo];
  /** A connection closed (flows through it are gone). */
  connectionClosed: [flowId: string];
};

/**
 * The transport layer (RFC 3261 §18): owns the listeners, frames and parses inbound
 * bytes, answers unparseable requests with 400/413/505 (or drops them, counting), stamps
 * `received`/`rport` on requests (RFC 3261 §18.2.1, RFC 3581 §4) and sends messages to a
 * {@link SendTarget}, reusing the flow (connection) when one is given.
 */
export class TransportLayer extends EventEmitter<TransportLayerEvents> implements TransportSink {
  private readonly transports: Transport[] = [];
  private readonly parseLimits: ParseLimits;
  private readonly limits: TransportLimits;
  private readonly specs: ListenSpec[];
  private readonly counters = new Map<TransportName, TransportStats>();
  private readonly perIp = new Map<string, number>();
  private readonly connections = new Map<string, Connection>();
  private readonly options: TransportLayerOptions;
  private started = false;
  private closed = false;

  constructor(options: TransportLayerOptions) {
    super();
    this.options = options;
    this.parseLimits = { ...DEFAULT_PARSE_LIMITS, ...options.parseLimits };
    this.limits = { ...DEFAULT_TRANSPORT_LIMITS, ...options.limits };
    this.specs = options.listen.map(parseListenSpec);
    for (const t of ['udp', 'tcp', 'tls', 'ws', 'wss'] as const) {
      this.counters.set(t, { received: 0, sent: 0, malformed: 0, oversize: 0, keepAlives: 0, connections: 0 });
    }
  }

  /** Binds every listener. Rejects (and closes what was opened) when one cannot bind. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    for (const spec of this.specs) {
      const common = { address: spec.address, port: spec.port, advertisedHost: spec.advertisedHost ?? this.options.advertisedHost, sink: this as TransportSink };
      let t: Transport;
      if (spec.transport === 'udp') {
        const udp = { ...common, maxMessageSize: this.parseLimits.maxMessageSize, bufferBytes: this.limits.udpBufferBytes };
        const native = this.options.udpIo === 'native' && NativeUdpTransport.canServe(spec.address);
        if (this.options.udpIo === 'native' && !native && this.udpFallback === null) {
          this.udpFallback = parseIpv4(spec.address) < 0 ? `IPv6 listener ${spec.address}` : (udpPumpLoadError() ?? 'native UDP pump not available');
        }
        t = native ? new NativeUdpTransport(udp) : new UdpTransport(udp);
      }
      else if (spec.transport === 'tcp' || spec.transport === 'tls') t = new StreamTransport(spec.transport, { ...common, limits: this.limits, parseLimits: this.parseLimits, tls: this.options.tls });
      else t = new WsTransport(spec.transport, { ...common, limits: this.limits, maxMessageSize: this.parseLimits.maxMessageSize, tls: this.options.tls });
      this.transports.push(t);
    }
    try {
      for (const t of this.transports) await t.start();
    } catch (e) {
      await this.close();
      throw new SipTransportError('ERR_SIP_BIND', `cannot bind SIP listener: ${(e as Error).message}`, { cause: e });
    }
  }

  /** UDP I/O of the listeners: 'native', 'node', or 'native,node' when some fell back. */
  get udpIo(): string {
    const kinds = new Set(this.transports.filter((t) => t.name === 'udp').map((t) => (t instanceof NativeUdpTransport ? 'native' : 'node')));
    return [...kinds].join(',');
  }

  /** Why a UDP listener asked to be native is on node:dgram (null when none fell back). */
  udpFallback: string | null = null;

  /** Bound listeners (real ports). */
  listeningPoints(): ListeningPoint[] {
    return this.transports.map((t) => t.listeningPoint);
  }

  /** The listener used for a transport (the first of that kind), if any. */
  listenerFor(transport: TransportName): ListeningPoint | undefined {
    return this.transports.find((t) => t.name === transport)?.listeningPoint;
  }

  /** Counters per transport. */
  stats(): Record<TransportName, TransportStats> {
    const out = {} as Record<TransportName, TransportStats>;
    for (const [k, v] of this.counters) out[k] = { ...v };
    return out;
  }

  /** The connection behind a flow id, if still open. */
  connection(flowId: string): Connection | undefined {
    return this.connections.get(flowId);
  }

  /** Sends a message (MessageSender signature for the transaction layer). */
  send = (msg: SipMessage, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void): void => {
    const bytes = msg.serialize();
    if (msg.captureWire) msg.wire = bytes;
    this.sendBytes(bytes, target, cb);
  };

  /** Sends a message and reports how it went out. */
  sendWithInfo(msg: SipMessage, target: SendTarget): Promise<SentInfo> {
    return new Promise((resolve, reject) => {
      const bytes = msg.serialize();
      if (msg.captureWire) msg.wire = bytes;
      this.sendBytes(bytes, target, (err, sent) => (err || !sent ? reject(err ?? new SipTransportError('ERR_SIP_SEND', 'send failed')) : resolve(sent)));
    });
  }

  /** Sends raw bytes to a target. */
  sendBytes(bytes: Buffer, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void): void {
    const t = this.pick(target);
    if (!t) {
      cb(new SipTransportError('ERR_SIP_NO_TRANSPORT', `no ${target.transport} listener`, { data: { transport: target.transport } }));
      return;
    }
    t.send(bytes, target, (err, sent) => {
      if (!err) this.counters.get(t.name)!.sent++;
      cb(err, sent);
    });
  }

  private pick(target: SendTarget): Transport | undefined {
    if (target.flowId?.startsWith('udp|')) {
      const port = Number(target.flowId.split('|')[1]);
      const t = this.transports.find((x) => x.name === 'udp' && x.listeningPoint.port === port);
      if (t) return t;
    }
    if (target.flowId) {
      const conn = this.connections.get(target.flowId);
      if (conn) return this.transports.find((x) => x.name === conn.transport);
    }
    return this.transports.find((x) => x.name === target.transport);
  }

  /** Closes every listener and connection. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(this.transports.map((t) => t.close().catch(() => {})));
  }

  // ---- TransportSink -------------------------------------------------------

  /** @internal */
  onMessage(bytes: Buffer, source: InboundSource): void {
    const c = this.counters.get(source.transport)!;
    c.received++;
    let msg: SipMessage;
    try {
      msg = parseMessage(bytes, { limits: this.parseLimits });
      validateMessage(msg);
    } catch (e) {
      if (e instanceof SipParseError && e.code === 'ERR_SIP_TOO_LARGE') c.oversize++;
      else c.malformed++;
      if (e instanceof SipParseError) {
        const res = errorResponseFor(e);
        if (res) this.sendBytes(res.serialize(), { transport: source.transport, host: source.remoteAddress, port: source.remotePort, flowId: source.flowId }, () => {});
      }
      return;
    }
    if (msg.isRequest) stampReceived(msg, source.remoteAddress, source.remotePort);
    const info: InboundInfo = { ...source };
    msg.inbound = info;
    this.emit('message', msg, info);
  }

  /** @internal */
  onFramingError(transport: TransportName, oversize: boolean): void {
    const c = this.counters.get(transport)!;
    if (oversize) c.oversize++;
    else c.malformed++;
  }

  /** @internal */
  onKeepAlive(transport: TransportName): void {
    this.counters.get(transport)!.keepAlives++;
  }

  /** @internal */
  onConnection(conn: Connection): void {
    this.connections.set(conn.id, conn);
    this.perIp.set(conn.remoteAddress, (this.perIp.get(conn.remoteAddress) ?? 0) + 1);
    this.counters.get(conn.transport)!.connections++;
  }

  /** @internal */
  onConnectionClosed(conn: Connection): void {
    if (!this.connections.delete(conn.id)) return;
    const n = (this.perIp.get(conn.remoteAddress) ?? 1) - 1;
    if (n <= 0) this.perIp.delete(conn.remoteAddress);
    else this.perIp.set(conn.remoteAddress, n);
    this.counters.get(conn.transport)!.connections--;
    this.emit('connectionClosed', conn.id);
  }

  /**
   * The WebSocket upgrade (request target, Cookie) of an open connection, by flow id
   * (RFC 7118 §4); undefined for other transports or closed connections.
   */
  upgradeOf(flowId: string): UpgradeInfo | undefined {
    return this.connections.get(flowId)?.upgrade;
  }

  /** @internal */
  connectionsFrom(ip: string): number {
    return this.perIp.get(ip) ?? 0;
  }
}

/**
 * RFC 3261 §18.2.1 and RFC 3581 §4: add `received` when the sent-by host is not the
 * source address (always when `rport` is present), and fill `rport` with the source port.
 */
function stampReceived(msg: SipMessage, address: string, port: number): void {
  const via = msg.topVia();
  const bare = via.host.startsWith('[') ? via.host.slice(1, -1) : via.host;
  const hasRport = via.params.has('rport');
  if (bare !== address || hasRport) via.params.set('received', address);
  if (hasRport) via.params.set('rport', String(port));
  msg.setTopVia(via);
}
