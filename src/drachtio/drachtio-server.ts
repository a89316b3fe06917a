import { EventEmitter } from 'node:events';
import { createHash, timingSafeEqual } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from '../common/logger.js';
import { silentLogger } from '../common/logger.js';
import { InvalidStateError } from '../common/errors.js';
import { ClientConnection } from './client-connection.js';
import { DrachtioFramingError } from './framing.js';
import { realClock, type DrachtioClock, type SipCore } from './sip-core.js';
import { SipController } from './sip-controller.js';
import type { SessionTimerOptions } from './session-timers.js';
import { buildControlResponse, parseClientMessage } from './wire-format.js';

/**
 * Version reported to apps in the authenticate answer. drachtio-srf parses `vX.Y.Z` and
 * enables pinging from v0.8.2 on; we report the drachtio-server protocol level we follow.
 */
export const DRACHTIO_COMPAT_VERSION = 'v0.9.4-tandem';

/** Options for {@link DrachtioServer}. */
export interface DrachtioServerOptions {
  /** Address to listen on for apps. Default `127.0.0.1`. */
  host?: string;
  /** TCP port for apps (drachtio default 9022); 0 picks a free port. */
  port: number;
  /** Shared secret apps authenticate with. */
  secret: string;
  /** The SIP core (see {@link SipCore}); `SipStackCore.create(options)` runs it on src/sip's SipStack. */
  sipStack: SipCore;
  logger?: Logger;
  clock?: DrachtioClock;
  /** TLS for the app connection (key/cert PEM). Plain TCP when absent. */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Largest wire frame accepted from an app, bytes. Default 1 MiB. */
  maxFrameBytes?: number;
  /** Close connections that have not authenticated within this time, ms. Default 10000. */
  authTimeoutMs?: number;
  /** SIP timer T1 (ms) for reliable provisional retransmission. Default 500. */
  t1Ms?: number;
  /**
   * RFC 4028 session timers of the dialogs apps hold: our Min-SE (default 90 s), the refresher
   * chosen for offers that name none (default `uac`), and a clock for the timers (default `clock`).
   */
  sessionTimers?: SessionTimerOptions;
}

/**
 * Tandem's embedded drachtio server: speaks drachtio's wire protocol (`length#message`,
 * `|`-separated meta, CRLF, SIP text) to drachtio-srf apps on TCP (or TLS), and carries
 * their SIP through the embedded SIP stack. `start()`/`close()` are idempotent.
 *
 * Events: `authenticated(clientId)`, `route(clientId, verb)`, `clientClosed(clientId)`.
 */
export class DrachtioServer extends EventEmitter {
  private readonly opts: DrachtioServerOptions;
  private readonly log: Logger;
  private readonly clock: DrachtioClock;
  private server: net.Server | undefined;
  private readonly clients = new Map<number, ClientConnection>();
  private readonly offsets = new Map<string, number>();
  private nextId = 1;
  private started: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private readonly secretDigest: Buffer;
  readonly sip: SipController;

  constructor(options: DrachtioServerOptions) {
    super();
    this.opts = options;
    this.log = options.logger ?? silentLogger();
    this.clock = options.clock ?? realClock;
    this.secretDigest = createHash('sha256').update(options.secret, 'utf8').digest();
    this.sip = new SipController({
      core: options.sipStack,
      clients: { selectClient: (verb) => this.selectClient(verb) },
      logger: this.log,
      clock: this.clock,
      t1Ms: options.t1Ms,
      ...(options.sessionTimers ? { sessionTimers: options.sessionTimers } : {}),
    });
  }

  /** Bound address once started. */
  address(): { host: string; port: number } {
    const a = this.server?.address();
    if (!a || typeof a === 'string') throw new InvalidStateError('ERR_DRACHTIO_NOT_STARTED', 'drachtio server is not listening');
    return { host: a.address, port: a.port };
  }

  /** Number of connected, authenticated apps. */
  get clientCount(): number {
    let n = 0;
    for (const c of this.clients.values()) if (c.authenticated && c.isOpen) n++;
    return n;
  }

  start(): Promise<void> {
    if (this.closing) return Promise.reject(new InvalidStateError('ERR_DRACHTIO_CLOSED', 'drachtio server was closed'));
    if (this.started) return this.started;
    this.started = new Promise<void>((resolve, reject) => {
      const onSocket = (socket: net.Socket): void => this.onConnection(socket);
      const srv = this.opts.tls
        ? tls.createServer({ key: this.opts.tls.key, cert: this.opts.tls.cert }, onSocket)
        : net.createServer(onSocket);
      this.server = srv;
      srv.once('error', reject);
      srv.listen(this.opts.port, this.opts.host ?? '127.0.0.1', () => {
        srv.off('error', reject);
        srv.on('error', (err) => this.log.error({ err }, 'drachtio listener error'));
        this.log.info({ ...this.address(), tls: !!this.opts.tls }, 'drachtio server listening');
        resolve();
      });
    });
    return this.started;
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      try {
        await this.started;
      } catch {
        // never started: nothing to close
      }
      for (const c of this.clients.values()) {
        c.close('server closing');
        c.socket.destroy();
      }
      this.clients.clear();
      this.sip.clear();
      const srv = this.server;
      if (srv && srv.listening) await new Promise<void>((resolve) => srv.close(() => resolve()));
    })();
    return this.closing;
  }

  private onConnection(socket: net.Socket): void {
    if (this.closing) {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    socket.setKeepAlive(true);
    const client = new ClientConnection(this.nextId++, socket, this.log, this.opts.maxFrameBytes ?? 1024 * 1024);
    this.clients.set(client.id, client);
    this.log.info({ client: client.remote }, 'drachtio client connected');
    const authTimer = this.clock.setTimeout(() => {
      if (!client.authenticated) client.close('authentication timeout');
    }, this.opts.authTimeoutMs ?? 10000);
    socket.on('data', (chunk: Buffer) => this.onData(client, chunk));
    socket.on('error', (err) => this.log.debug({ err, client: client.remote }, 'drachtio client socket error'));
    socket.on('close', () => {
      this.clock.clearTimeout(authTimer);
      this.clients.delete(client.id);
      this.sip.clientGone(client);
      this.emit('clientClosed', client.id);
    });
  }

  private onData(client: ClientConnection, chunk: Buffer): void {
    let messages: string[];
    try {
      messages = client.decoder.push(chunk);
    } catch (err) {
      const code = err instanceof DrachtioFramingError ? err.code : 'ERR_DRACHTIO_FRAMING';
      this.log.warn({ client: client.remote, code, err: (err as Error).message }, 'drachtio client sent invalid framing; closing');
      client.close('invalid framing');
      client.socket.destroy();
      return;
    }
    for (const m of messages) {
      if (!client.isOpen) return;
      this.onMessage(client, m);
    }
  }

  private checkSecret(candidate: string): boolean {
    const d = createHash('sha256').update(candidate, 'utf8').digest();
    return timingSafeEqual(d, this.secretDigest);
  }

  private onMessage(client: ClientConnection, raw: string): void {
    let msg;
    try {
      msg = parseClientMessage(raw);
    } catch {
      this.log.warn({ client: client.remote }, 'drachtio client sent an invalid message; closing');
      client.close('invalid message');
      return;
    }
    const { msgId, type, tokens } = msg;
    if (type === 'authenticate') {
      if (!this.checkSecret(tokens[2] ?? '')) {
        this.log.warn({ client: client.remote }, 'drachtio client failed authentication');
        client.send(buildControlResponse(msgId, false, 'incorrect secret'));
        client.close('incorrect secret');
        return;
      }
      client.authenticated = true;
      for (const t of (tokens[3] ?? '').split(',')) if (t) client.tags.add(t);
      const lps = this.opts.sipStack.listeningPoints();
      const hostports = lps.map((lp) => `${lp.transport}/${lp.host}:${lp.port}`).join(',');
      client.send(buildControlResponse(msgId, true, `${hostports}|${DRACHTIO_COMPAT_VERSION}|${hostports}`));
      this.emit('authenticated', client.id);
      return;
    }
    if (!client.authenticated) {
      client.send(buildControlResponse(msgId, false, 'not authenticated'));
      client.close('message before authenticate');
      return;
    }
    switch (type) {
      case 'ping':
        client.send(buildControlResponse(msgId, true, 'pong'));
        return;
      case 'route': {
        const verb = (tokens[2] ?? '').toLowerCase();
        if (!verb) {
          client.send(buildControlResponse(msgId, false, 'Route request includes unsupported verb'));
          return;
        }
        client.verbs.add(verb);
        client.send(buildControlResponse(msgId, true));
        this.emit('route', client.id, verb);
        return;
      }
      case 'remove_route':
        client.verbs.delete((tokens[2] ?? '').toLowerCase());
        client.send(buildControlResponse(msgId, true));
        return;
      case 'sip':
        this.sip.onAppSip(client, msgId, tokens, msg.payload)
          .catch((err: unknown) => this.log.warn({ err }, 'drachtio: sip message failed'));
        return;
      case 'proxy':
        this.sip.onAppProxy(client, msgId, tokens)
          .catch((err: unknown) => this.log.warn({ err }, 'drachtio: proxy request failed'));
        return;
      default:
        this.log.warn({ client: client.remote, type: type.slice(0, 32) }, 'drachtio client sent an unknown message type');
        client.send(buildControlResponse(msgId, false, 'Unknown message type'));
        client.close('unknown message type');
    }
  }

  /** Round-robin among authenticated clients that routed `verb`, as drachtio-server does. */
  private selectClient(verb: string): ClientConnection | undefined {
    const candidates = [...this.clients.values()].filter((c) => c.authenticated && c.isOpen && c.verbs.has(verb));
    if (candidates.length === 0) return undefined;
    const off = (this.offsets.get(verb) ?? 0) % candidates.length;
    this.offsets.set(verb, off + 1);
    return candidates[off];
  }
}
