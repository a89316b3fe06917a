import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../common/logger.js';

/** A component reports its health for /healthz. */
export type HealthCheck = () => { ok: boolean; detail?: Record<string, unknown> };

export interface HttpServerOptions {
  host: string;
  port: number;
  logger: Logger;
  version: string;
}

/**
 * Tandem's HTTP front: `GET /healthz` (200 when every registered component is ok,
 * 503 otherwise). Later: the demo softphone page and /metrics.
 */
export class HttpServer {
  private readonly server: http.Server;
  private readonly checks = new Map<string, HealthCheck>();
  private readonly started = Date.now();
  private closed = false;

  constructor(private readonly opts: HttpServerOptions) {
    this.server = http.createServer((req, res) => this.handle(req, res));
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
  }

  /** Registers a component's health check under `name`. */
  addHealthCheck(name: string, check: HealthCheck): void {
    this.checks.set(name, check);
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port, this.opts.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
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
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  }

  /** Stops listening and closes open connections. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
