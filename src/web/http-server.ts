import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/logger.js';
import { StaticFiles } from './static-files.js';
import { buildClientConfig, hostnameFromHeader, type ClientConfigSource } from './client-config.js';

/** A component reports its health for /healthz. */
export type HealthCheck = () => { ok: boolean; detail?: Record<string, unknown> };

export interface HttpServerOptions {
  host: string;
  port: number;
  logger: Logger;
  version: string;
  /** The demo page, its bundle and /config.json (see docs/web.md); absent = /healthz only. */
  web?: WebServingOptions;
}

/** How the demo page is served (built from the `web` config section by `webServingOptions()`). */
export interface WebServingOptions {
  /** Folder with the built page (scripts/build-web.mjs output, default dist/web). */
  root: string;
  /** Also serve everything over HTTPS on `host`:`port` with this PEM pair; null = HTTP only. */
  https: { port: number; cert: string | Buffer; key: string | Buffer } | null;
  /** What /config.json tells the page. */
  client: ClientConfigSource;
}

/**
 * Content-Security-Policy of every page response: scripts and styles only from this
 * origin (no inline code), WebSocket connections anywhere (the SIP server listens on
 * another port and the user may type another URL), media from MediaStreams.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:",
  "media-src 'self' blob: mediastream:", "connect-src 'self' ws: wss:", "object-src 'none'",
  "base-uri 'none'", "frame-ancestors 'none'", "form-action 'self'",
].join('; ');

const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'microphone=(self), camera=(), geolocation=()',
  'cross-origin-opener-policy': 'same-origin',
};

/**
 * Tandem's HTTP front: `GET /healthz` (200 when every registered component is ok,
 * 503 otherwise); with `web`, the demo softphone page (static files), `/config.json`,
 * and the same over HTTPS. Later: /metrics.
 */
export class HttpServer {
  private readonly server: http.Server;
  private readonly httpsServer: https.Server | null = null;
  private readonly files: StaticFiles | null = null;
  private readonly checks = new Map<string, HealthCheck>();
  private readonly started = Date.now();
  private closed = false;

  constructor(private readonly opts: HttpServerOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res, false));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    if (opts.web) {
      this.files = new StaticFiles({ root: opts.web.root });
      if (opts.web.https) {
        this.httpsServer = https.createServer({ cert: opts.web.https.cert, key: opts.web.https.key }, (req, res) => this.handle(req, res, true));
        this.httpsServer.headersTimeout = 10_000;
        this.httpsServer.requestTimeout = 30_000;
      }
    }
  }

  /** Registers a component's health check under `name`. */
  addHealthCheck(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  /** Starts HTTP (and HTTPS when configured); resolves with the HTTP address. */
  async listen(): Promise<AddressInfo> {
    const start = (srv: http.Server | https.Server, port: number): Promise<void> => new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(port, this.opts.host, () => {
        srv.off('error', reject);
        resolve();
      });
    });
    await start(this.server, this.opts.port);
    if (this.httpsServer && this.opts.web?.https) {
      try {
        await start(this.httpsServer, this.opts.web.https.port);
      } catch (err) {
        this.server.close();
        throw err;
      }
    }
    if (this.files && !this.files.built()) {
      this.opts.logger.warn({ root: this.opts.web?.root }, 'demo page not built (run `node scripts/build-web.mjs`): GET / answers 503');
    }
    return this.server.address() as AddressInfo;
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** The HTTPS address, or null when HTTPS is not configured. */
  httpsAddress(): AddressInfo | null {
    return this.httpsServer ? (this.httpsServer.address() as AddressInfo | null) : null;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, secure: boolean): void {
    const url = (req.url ?? '/').split('?')[0];
    if (url === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
      const components: Record<string, unknown> = {};
      let ok = true;
      for (const [name, check] of this.checks) {
        try {
          const r = check();
          components[name] = { ok: r.ok, ...(r.detail ?? {}) };
          ok &&= r.ok;
        } catch (err) {
          components[name] = { ok: false, error: (err as Error).message };
          ok = false;
        }
      }
      const body = JSON.stringify({ status: ok ? 'ok' : 'degraded', version: this.opts.version, uptimeSeconds: Math.round((Date.now() - this.started) / 1000), components });
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    if (this.files && this.opts.web) {
      this.handleWeb(req, res, url, secure, this.files, this.opts.web);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }

  private handleWeb(req: http.IncomingMessage, res: http.ServerResponse, url: string, secure: boolean, files: StaticFiles, web: WebServingOptions): void {
    const plain = (status: number, text: string, extra: Record<string, string> = {}): void => {
      res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...extra });
      res.end(req.method === 'HEAD' ? undefined : text);
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      plain(405, 'method not allowed\n', { allow: 'GET, HEAD' });
      return;
    }
    if (url === '/config.json') {
      const hostname = hostnameFromHeader(req.headers.host, this.opts.host);
      const body = JSON.stringify(buildClientConfig(web.client, { hostname, secure }));
      res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    const found = files.resolve(url);
    if (found.kind === 'forbidden') {
      plain(403, 'forbidden\n');
      return;
    }
    if (found.kind === 'not-found') {
      if (url === '/' || url === '/index.html') {
        plain(503, 'the demo page is not built: run `node scripts/build-web.mjs`\n');
        return;
      }
      plain(404, 'not found\n');
      return;
    }
    files.send(req, res, found, SECURITY_HEADERS);
  }

  /** Stops listening and closes open connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const stop = async (srv: http.Server | https.Server): Promise<void> => {
      srv.closeAllConnections();
      if (!srv.listening) return;
      await new Promise<void>((resolve) => srv.close(() => resolve()));
    };
    await Promise.all([stop(this.server), ...(this.httpsServer ? [stop(this.httpsServer)] : [])]);
  }
}
