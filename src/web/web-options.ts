import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../common/errors.js';
import type { TandemConfig } from '../config/schema.js';
import type { WebServingOptions } from './http-server.js';

/** The first folder above this (compiled) file holding package.json: works from dist/ and from .build/NAME/. */
function findPackageRoot(start: string): string {
  for (let dir = start; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start, '..', '..', '..');
  }
}

/** Where scripts/build-web.mjs writes the page by default: dist/web in the package root. */
export const defaultWebRoot = path.join(findPackageRoot(path.dirname(fileURLToPath(import.meta.url))), 'dist', 'web');

/**
 * The `web` options for {@link HttpServer} from the validated config, or
 * undefined when `web.enabled` is false. Reads the HTTPS PEM files (an
 * unreadable file or only one of tlsCert/tlsKey is an `ERR_WEB_TLS` error).
 */
export function webServingOptions(config: TandemConfig, options: { version: string; root?: string }): WebServingOptions | undefined {
  const web = config.web;
  if (!web.enabled) return undefined;
  let httpsOpt: WebServingOptions['https'] = null;
  if (web.tlsCert !== '' || web.tlsKey !== '') {
    if (web.tlsCert === '' || web.tlsKey === '') {
      throw new ValidationError('ERR_WEB_TLS', 'web.tlsCert and web.tlsKey must be set together', { data: { key: web.tlsCert === '' ? 'web.tlsCert' : 'web.tlsKey' } });
    }
    const read = (key: string, file: string): Buffer => {
      try {
        return fs.readFileSync(file);
      } catch (err) {
        throw new ValidationError('ERR_WEB_TLS', `${key}: cannot read ${file}: ${(err as Error).message}`, { cause: err, data: { key, file } });
      }
    };
    httpsOpt = { port: web.httpsPort, cert: read('web.tlsCert', web.tlsCert), key: read('web.tlsKey', web.tlsKey) };
  }
  return {
    root: options.root ?? defaultWebRoot,
    https: httpsOpt,
    client: {
      publicWsUrls: web.publicWsUrls,
      sipListen: config.sip.listen,
      realm: config.auth.realm,
      iceServers: web.iceServers,
      tokenAuth: config.auth.tokenSecret !== '',
      version: options.version,
    },
  };
}
