/**
 * Shared helpers for the demo page tests: build the page once per process into
 * .tmp/, make a self-signed certificate with scripts/dev-cert.sh, and start an
 * HttpServer serving both.
 */
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { repoRoot, tmpRoot } from '../../helpers/paths.js';
import { HttpServer } from '../../../src/web/http-server.js';
import type { ClientConfigSource } from '../../../src/web/client-config.js';
import { silentLogger } from '../../../src/common/logger.js';

let built: Promise<string> | null = null;

/** Builds the page (scripts/build-web.mjs) into .tmp/web-build-PID once per process; resolves with the folder. */
export function buildPageOnce(): Promise<string> {
  built ??= (async () => {
    const outdir = path.join(tmpRoot, `web-build-${process.pid}`);
    const mod = (await import(pathToFileURL(path.join(repoRoot, 'scripts', 'build-web.mjs')).href)) as {
      buildWeb: (o: { outdir: string }) => Promise<{ outdir: string; ms: number }>;
    };
    const r = await mod.buildWeb({ outdir });
    process.once('exit', () => fs.rmSync(outdir, { recursive: true, force: true }));
    return r.outdir;
  })();
  return built;
}

let cert: { cert: Buffer; key: Buffer; dir: string } | null = null;

/** A self-signed cert for localhost/127.0.0.1 made by scripts/dev-cert.sh (once per process). */
export function devCert(): { cert: Buffer; key: Buffer; dir: string } {
  if (cert) return cert;
  const dir = path.join(tmpRoot, `web-cert-${process.pid}`);
  execFileSync('sh', [path.join(repoRoot, 'scripts', 'dev-cert.sh'), dir, 'localhost', '127.0.0.1'], { stdio: 'pipe' });
  cert = { cert: fs.readFileSync(path.join(dir, 'cert.pem')), key: fs.readFileSync(path.join(dir, 'key.pem')), dir };
  process.once('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return cert;
}

/** Options for {@link startWebServer}. */
export interface WebServerOptions {
  root?: string;
  https?: boolean;
  client?: Partial<ClientConfigSource>;
}

/** Starts an HttpServer with the page on 127.0.0.1 (HTTP and, by default, HTTPS) on free ports. */
export async function startWebServer(opts: WebServerOptions = {}): Promise<{ server: HttpServer; http: string; https: string | null }> {
  const root = opts.root ?? (await buildPageOnce());
  const c = opts.https === false ? null : devCert();
  const server = new HttpServer({
    host: '127.0.0.1', port: 0, logger: silentLogger(), version: '0.0.0-test',
    web: {
      root,
      https: c ? { port: 0, cert: c.cert, key: c.key } : null,
      client: {
        publicWsUrls: [], sipListen: ['udp:127.0.0.1:5060', 'ws:127.0.0.1:8088'], realm: 'tandem.test',
        iceServers: [], tokenAuth: false, version: '0.0.0-test', ...opts.client,
      },
    },
  });
  const a = await server.listen();
  const ha = server.httpsAddress();
  return { server, http: `http://127.0.0.1:${a.port}`, https: ha ? `https://127.0.0.1:${ha.port}` : null };
}
