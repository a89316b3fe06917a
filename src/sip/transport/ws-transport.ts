import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isUtf8 } from 'node:buffer';
import { WebSocketServer, type WebSocket, type RawData } from 'ws';
import { SipTransportError } from '../errors.js';
import type { SendTarget } from '../transaction/send-target.js';
import { hostFor } from './udp-transport.js';
import type { Connection, UpgradeInfo, ListeningPoint, SentInfo, TlsOptions, Transport, TransportLimits, TransportSink } from './transport-types.js';

let nextWsId = 1;

/**
 * SIP over WebSocket, RFC 7118. The handshake must offer subprotocol `sip` (§4; otherwise
 * the upgrade is refused with 400). Each frame carries exactly one message (§5.1), text or
 * binary; we send text frames unless the message is not valid UTF-8. A frame holding only
 * CRLF CRLF is a keep-alive answered with a CRLF frame (as JsSIP/SIP.js expect).
 * Only inbound connections exist (browsers do not listen): requests to a browser go back
 * over the flow it registered on.
 */
export class WsTransport implements Transport {
  readonly name: 'ws' | 'wss';
  private http: HttpServer | undefined;
  private wss: WebSocketServer | undefined;
  private lp: ListeningPoint | undefined;
  private readonly opts: {
    address: string; port: number; advertisedHost?: string; sink: TransportSink; limits: TransportLimits;
    maxMessageSize: number; tls?: TlsOptions;
  };
  private readonly conns = new Map<string, WsConnection>();

  constructor(name: 'ws' | 'wss', opts: WsTransport['opts']) {
    this.name = name;
    this.opts = opts;
    if (name === 'wss' && !opts.tls) throw new SipTransportError('ERR_SIP_TLS_CONFIG', 'wss transport needs key and cert');
  }

  get listeningPoint(): ListeningPoint {
    if (!this.lp) throw new SipTransportError('ERR_SIP_NOT_STARTED', `${this.name} transport not started`);
    return this.lp;
  }

  /** Live connections. */
  get connectionCount(): number {
    return this.conns.size;
  }

  async start(): Promise<void> {
    const http = this.name === 'wss'
      ? createHttpsServer({ key: material(this.opts.tls!.key), cert: material(this.opts.tls!.cert) })
      : createHttpServer();
    http.on('request', (_req, res) => {
      res.writeHead(426, { Connection: 'close' }).end();
    });
    this.http = http;
    const wss = new WebSocketServer({
      server: http,
      maxPayload: this.opts.maxMessageSize,
      verifyClient: (info: { req: IncomingMessage }, cb: (ok: boolean, code?: number) => void) => {
        const offered = String(info.req.headers['sec-websocket-protocol'] ?? '').split(',').map((s) => s.trim().toLowerCase());
        const ip = info.req.socket.remoteAddress ?? '';
        if (!offered.includes('sip')) cb(false, 400);
        else if (this.opts.sink.connectionsFrom(ip) >= this.opts.limits.maxConnectionsPerIp) cb(false, 503);
        else cb(true);
      },
      handleProtocols: (protocols: Set<string>) => ([...protocols].find((p) => p.toLowerCase() === 'sip') ?? false),
    });
    this.wss = wss;
    wss.on('connection', (ws: WebSocket, req: IncomingMessage) => this.adopt(ws, req));
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(this.opts.port, this.opts.address, () => {
        http.off('error', reject);
        resolve();
      });
    });
    http.on('error', () => {});
    const a = http.address();
    if (a === null || typeof a === 'string') throw new SipTransportError('ERR_SIP_BIND', 'no address');
    this.lp = { transport: this.name, address: a.address, port: a.port, host: this.opts.advertisedHost ?? hostFor(a.address) };
  }

  private adopt(ws: WebSocket, req: IncomingMessage): void {
    const sock = req.socket;
    const cookie = req.headers.cookie;
    const upgrade: UpgradeInfo = { url: req.url ?? '/', ...(typeof cookie === 'string' ? { cookie } : {}) };
    const conn = new WsConnection(
      `${this.name}|${nextWsId++}`, this.name, ws, sock.remoteAddress ?? '', sock.remotePort ?? 0, sock.localAddress ?? '', sock.localPort ?? 0, upgrade,
    );
    this.conns.set(conn.id, conn);
    const sink = this.opts.sink;
    sink.onConnection(conn);
    const source = {
      transport: this.name, flowId: conn.id, remoteAddress: conn.remoteAddress, remotePort: conn.remotePort,
      localAddress: conn.localAddress, localPort: conn.localPort,
    };
    let idle: NodeJS.Timeout | undefined;
    const touch = (): void => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => conn.close(), this.opts.limits.idleTimeoutMs);
    };
    touch();
    ws.on('message', (data: RawData) => {
      touch();
      const buf = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      if (buf.length > 0 && buf.every((b) => b === 0x0d || b === 0x0a)) {
        if (buf.length >= 4) {
          sink.onKeepAlive(this.name);
          conn.write(Buffer.from('\r\n'), () => {});
        }
        return;
      }
      sink.onMessage(buf, source);
    });
    ws.on('error', (err: Error & { code?: string }) => {
      // ws closes the connection itself (1009) on a frame over maxPayload; count it as oversize.
      if (err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') sink.onFramingError(this.name, true);
    });
    ws.on('close', () => {
      if (idle) clearTimeout(idle);
      this.conns.delete(conn.id);
      sink.onConnectionClosed(conn);
    });
  }

  send(bytes: Buffer, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void): void {
    let conn = target.flowId ? this.conns.get(target.flowId) : undefined;
    if (!conn) {
      const bare = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
      for (const c of this.conns.values()) if (c.remoteAddress === bare && c.remotePort === target.port) conn = c;
    }
    if (!conn) {
      cb(new SipTransportError('ERR_SIP_NO_FLOW', `no ${this.name} connection to ${target.host}:${target.port}`));
      return;
    }
    const c = conn;
    c.write(bytes, (err) => {
      if (err) cb(new SipTransportError('ERR_SIP_SEND', `${this.name} send failed: ${err.message}`, { cause: err }));
      else cb(undefined, { transport: this.name, localAddress: c.localAddress, localPort: c.localPort, remoteAddress: c.remoteAddress, remotePort: c.remotePort, flowId: c.id });
    });
  }

  async close(): Promise<void> {
    for (const c of [...this.conns.values()]) c.close();
    const wss = this.wss;
    const http = this.http;
    this.wss = undefined;
    this.http = undefined;
    if (wss) await new Promise<void>((resolve) => wss.close(() => resolve()));
    if (http) {
      http.closeAllConnections?.();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }
}

function material(v: string | Buffer): Buffer {
  return typeof v === 'string' ? readFileSync(v) : v;
}

class WsConnection implements Connection {
  constructor(
    readonly id: string,
    readonly transport: 'ws' | 'wss',
    private readonly ws: WebSocket,
    readonly remoteAddress: string,
    readonly remotePort: number,
    readonly localAddress: string,
    readonly localPort: number,
    readonly upgrade: UpgradeInfo,
  ) {}

  write(bytes: Buffer, cb: (err?: Error) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) {
      cb(new SipTransportError('ERR_SIP_CONNECTION_CLOSED', 'websocket closed'));
      return;
    }
    // RFC 7118 §5.1: one message per frame; text frame when the message is UTF-8.
    this.ws.send(bytes, { binary: !isUtf8(bytes) }, (err) => cb(err ?? undefined));
  }

  close(): void {
    this.ws.terminate();
  }
}
