import { readFileSync } from 'node:fs';
import { createServer, connect as netConnect, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, connect as tlsConnect, type TLSSocket } from 'node:tls';
import { SipParseError, SipTransportError } from '../errors.js';
import type { ParseLimits } from '../message/parse-limits.js';
import { StreamFramer } from '../message/stream-framer.js';
import type { SendTarget } from '../transaction/send-target.js';
import { hostFor } from './udp-transport.js';
import type { Connection, ListeningPoint, SentInfo, TlsOptions, Transport, TransportLimits, TransportSink } from './transport-types.js';

const CRLF = Buffer.from('\r\n');
let nextConnectionId = 1;

/**
 * SIP over TCP or TLS (RFC 3261 §18, §26). Messages are framed by Content-Length; a
 * CRLF CRLF keep-alive is answered with CRLF (RFC 5626 §4.4.1). Connections opened to a
 * target are reused for later messages to the same address; inbound connections are
 * reused too (a request to the remote's address:port goes back over it). Idle connections
 * are closed after `idleTimeoutMs`; more than `maxConnectionsPerIp` from one IP are refused.
 */
export class StreamTransport implements Transport {
  readonly name: 'tcp' | 'tls';
  private server: Server | undefined;
  private lp: ListeningPoint | undefined;
  private readonly opts: {
    address: string; port: number; advertisedHost?: string; sink: TransportSink; limits: TransportLimits;
    parseLimits: ParseLimits; tls?: TlsOptions;
  };
  private readonly conns = new Map<string, StreamConnection>();
  /** `host|port` → connection, for reuse. */
  private readonly byRemote = new Map<string, StreamConnection>();
  private readonly pendingConnects = new Map<string, Array<(c: StreamConnection | Error) => void>>();
  private closed = false;

  constructor(name: 'tcp' | 'tls', opts: StreamTransport['opts']) {
    this.name = name;
    this.opts = opts;
    if (name === 'tls' && !opts.tls) throw new SipTransportError('ERR_SIP_TLS_CONFIG', 'tls transport needs key and cert');
  }

  get listeningPoint(): ListeningPoint {
    if (!this.lp) throw new SipTransportError('ERR_SIP_NOT_STARTED', `${this.name} transport not started`);
    return this.lp;
  }

  /** Live connections of this transport. */
  get connectionCount(): number {
    return this.conns.size;
  }

  async start(): Promise<void> {
    const onSocket = (socket: Socket): void => {
      const ip = socket.remoteAddress ?? '';
      if (this.closed || this.opts.sink.connectionsFrom(ip) >= this.opts.limits.maxConnectionsPerIp) {
        socket.destroy();
        return;
      }
      this.adopt(socket);
    };
    const server = this.name === 'tls'
      ? createTlsServer({ key: material(this.opts.tls!.key), cert: material(this.opts.tls!.cert) }, onSocket)
      : createServer(onSocket);
    server.on('tlsClientError', () => { /* handshake failures: the socket is destroyed by node */ });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port, this.opts.address, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', () => { /* accept errors do not stop the server */ });
    const a = server.address();
    if (a === null || typeof a === 'string') throw new SipTransportError('ERR_SIP_BIND', 'no address');
    this.lp = { transport: this.name, address: a.address, port: a.port, host: this.opts.advertisedHost ?? hostFor(a.address) };
  }

  send(bytes: Buffer, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void): void {
    const write = (conn: StreamConnection): void => {
      conn.write(bytes, (err) => {
        if (err) cb(new SipTransportError('ERR_SIP_SEND', `${this.name} send failed: ${err.message}`, { cause: err }));
        else cb(undefined, conn.sentInfo());
      });
    };
    if (target.flowId) {
      const c = this.conns.get(target.flowId);
      if (c) {
        write(c);
        return;
      }
    }
    this.connectionTo(target.host, target.port, (c) => {
      if (c instanceof Error) cb(c);
      else write(c);
    });
  }

  /** Finds or opens a connection to host:port. */
  private connectionTo(host: string, port: number, cb: (c: StreamConnection | Error) => void): void {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    const key = `${bare}|${port}`;
    const existing = this.byRemote.get(key);
    if (existing) {
      cb(existing);
      return;
    }
    if (this.closed) {
      cb(new SipTransportError('ERR_SIP_TRANSPORT_CLOSED', `${this.name} transport closed`));
      return;
    }
    const waiting = this.pendingConnects.get(key);
    if (waiting) {
      waiting.push(cb);
      return;
    }
    this.pendingConnects.set(key, [cb]);
    const done = (c: StreamConnection | Error): void => {
      const list = this.pendingConnects.get(key) ?? [];
      this.pendingConnects.delete(key);
      for (const f of list) f(c);
    };
    const socket: Socket | TLSSocket = this.name === 'tls'
      ? tlsConnect({
        host: bare, port, servername: /^[0-9.]+$|:/.test(bare) ? undefined : bare,
        ca: this.opts.tls?.ca ? material(this.opts.tls.ca) : undefined,
        rejectUnauthorized: this.opts.tls?.rejectUnauthorized ?? true,
      })
      : netConnect({ host: bare, port });
    const onError = (err: Error): void => done(new SipTransportError('ERR_SIP_CONNECT', `${this.name} connect to ${bare}:${port} failed: ${err.message}`, { cause: err }));
    socket.once('error', onError);
    socket.once(this.name === 'tls' ? 'secureConnect' : 'connect', () => {
      socket.off('error', onError);
      done(this.adopt(socket));
    });
  }

  private adopt(socket: Socket): StreamConnection {
    const conn = new StreamConnection(`${this.name}|${nextConnectionId++}`, this.name, socket, this.opts.parseLimits, this.opts.sink, () => {
      this.conns.delete(conn.id);
      const key = `${conn.remoteAddress}|${conn.remotePort}`;
      if (this.byRemote.get(key) === conn) this.byRemote.delete(key);
      this.opts.sink.onConnectionClosed(conn);
    });
    this.conns.set(conn.id, conn);
    this.byRemote.set(`${conn.remoteAddress}|${conn.remotePort}`, conn);
    socket.setTimeout(this.opts.limits.idleTimeoutMs, () => conn.close());
    this.opts.sink.onConnection(conn);
    return conn;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of [...this.conns.values()]) c.close();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

function material(v: string | Buffer): Buffer {
  return typeof v === 'string' ? readFileSync(v) : v;
}

class StreamConnection implements Connection {
  readonly id: string;
  readonly transport: 'tcp' | 'tls';
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly localAddress: string;
  readonly localPort: number;
  private readonly socket: Socket;
  private readonly framer: StreamFramer;
  private open = true;

  constructor(id: string, transport: 'tcp' | 'tls', socket: Socket, limits: ParseLimits, sink: TransportSink, onClose: () => void) {
    this.id = id;
    this.transport = transport;
    this.socket = socket;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.localAddress = socket.localAddress ?? '';
    this.localPort = socket.localPort ?? 0;
    this.framer = new StreamFramer(limits);
    const source = {
      transport, flowId: id, remoteAddress: this.remoteAddress, remotePort: this.remotePort,
      localAddress: this.localAddress, localPort: this.localPort,
    };
    socket.on('data', (chunk: Buffer) => {
      let items;
      try {
        items = this.framer.push(chunk);
      } catch (e) {
        sink.onFramingError(transport, e instanceof SipParseError && e.code === 'ERR_SIP_TOO_LARGE');
        this.close();
        return;
      }
      for (const item of items) {
        if (item.kind === 'ping') {
          sink.onKeepAlive(transport);
          this.write(CRLF, () => {});
        } else if (item.kind === 'message') sink.onMessage(item.bytes, source);
      }
    });
    socket.on('error', () => { /* followed by close */ });
    socket.on('close', () => {
      this.open = false;
      onClose();
    });
  }

  sentInfo(): SentInfo {
    return {
      transport: this.transport, localAddress: this.localAddress, localPort: this.localPort,
      remoteAddress: this.remoteAddress, remotePort: this.remotePort, flowId: this.id,
    };
  }

  write(bytes: Buffer, cb: (err?: Error) => void): void {
    if (!this.open || this.socket.destroyed) {
      cb(new SipTransportError('ERR_SIP_CONNECTION_CLOSED', 'connection closed'));
      return;
    }
    this.socket.write(bytes, (err) => cb(err ?? undefined));
  }

  close(): void {
    this.socket.destroy();
  }
}
