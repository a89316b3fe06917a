import type { Logger } from './common/logger.js';
import type { TandemConfig } from './config/schema.js';
import { HttpServer } from './web/http-server.js';
import { version } from './common/version.js';

/**
 * The whole gateway: HTTP front, SIP server (embedded or a remote drachtio-server),
 * the drachtio-srf application and the media engine. `start()` brings them up in
 * that order; `stop()` takes them down in reverse. Both are idempotent.
 */
export class Gateway {
  readonly http: HttpServer;
  private state: 'new' | 'starting' | 'running' | 'stopping' | 'stopped' = 'new';

  constructor(readonly config: TandemConfig, readonly logger: Logger) {
    this.http = new HttpServer({ host: config.http.host, port: config.http.port, logger, version });
  }

  async start(): Promise<void> {
    if (this.state !== 'new') return;
    this.state = 'starting';
    const addr = await this.http.listen();
    this.logger.info({ host: addr.address, port: addr.port }, `HTTP listening on http://${addr.address}:${addr.port} (GET /healthz)`);
    this.http.addHealthCheck('gateway', () => ({ ok: this.state === 'running' }));
    this.state = 'running';
  }

  async stop(): Promise<void> {
    if (this.state === 'stopping' || this.state === 'stopped') return;
    this.state = 'stopping';
    await this.http.close();
    this.state = 'stopped';
    this.logger.info('stopped');
  }
}
