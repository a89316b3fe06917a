import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import type http from 'node:http';

/** Content types of the files the page build produces (anything else is application/octet-stream). */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wav': 'audio/wav',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

/** Options for {@link StaticFiles}. */
export interface StaticFilesOptions {
  /** Folder served as `/` (the page build output, e.g. dist/web). */
  root: string;
  /** `Cache-Control` for HTML (default `no-cache`: revalidated with the ETag every time). */
  htmlCacheControl?: string;
  /** `Cache-Control` for everything else (default `public, max-age=300`). */
  assetCacheControl?: string;
}

/** What {@link StaticFiles.resolve} found for a URL path. */
export type StaticLookup =
  | { kind: 'file'; file: string; size: number; mtimeMs: number; contentType: string; etag: string; cacheControl: string }
  | { kind: 'not-found' }
  | { kind: 'forbidden'; reason: string };

/**
 * Safe static file serving for the demo page: only regular files below `root`,
 * no dot files, no `..` (before or after percent-decoding), no NUL, no symlink
 * escapes (the real path must stay inside the real root). `GET` and `HEAD` only;
 * ETag / If-None-Match revalidation (RFC 9110 §8.8.3, §13.1.2).
 */
export class StaticFiles {
  private readonly root: string;
  private readonly htmlCache: string;
  private readonly assetCache: string;

  constructor(opts: StaticFilesOptions) {
    this.root = path.resolve(opts.root);
    this.htmlCache = opts.htmlCacheControl ?? 'no-cache';
    this.assetCache = opts.assetCacheControl ?? 'public, max-age=300';
  }

  /** True when the root folder exists and holds index.html (the page was built). */
  built(): boolean {
    return fs.existsSync(path.join(this.root, 'index.html'));
  }

  /** Maps a raw URL path (no query) to a file below root, refusing anything unsafe. */
  resolve(urlPath: string): StaticLookup {
    let decoded: string;
    try {
      decoded = decodeURIComponent(urlPath);
    } catch {
      return { kind: 'forbidden', reason: 'bad percent-encoding' };
    }
    if (!decoded.startsWith('/')) return { kind: 'forbidden', reason: 'not an absolute path' };
    if (decoded.includes('\0') || decoded.includes('\\')) return { kind: 'forbidden', reason: 'forbidden character' };
    const segments = decoded.split('/').filter((s) => s !== '');
    if (segments.some((s) => s === '..' || s === '.')) return { kind: 'forbidden', reason: 'dot segment' };
    if (segments.some((s) => s.startsWith('.'))) return { kind: 'not-found' };
    if (decoded.endsWith('/')) segments.push('index.html');
    const file = path.join(this.root, ...segments);
    if (file !== this.root && !file.startsWith(this.root + path.sep)) return { kind: 'forbidden', reason: 'outside root' };
    let real: string;
    let realRoot: string;
    try {
      real = fs.realpathSync(file);
      realRoot = fs.realpathSync(this.root);
    } catch {
      return { kind: 'not-found' };
    }
    if (!real.startsWith(realRoot + path.sep)) return { kind: 'forbidden', reason: 'symlink outside root' };
    let st: fs.Stats;
    try {
      st = fs.statSync(real);
    } catch {
      return { kind: 'not-found' };
    }
    if (!st.isFile()) return { kind: 'not-found' };
    const ext = path.extname(real).toLowerCase();
    const contentType = CONTENT_TYPES[ext] ?? 'application/octet-stream';
    const etag = `"${crypto.createHash('sha1').update(`${real}:${st.size}:${st.mtimeMs}`).digest('base64url').slice(0, 20)}"`;
    return {
      kind: 'file', file: real, size: st.size, mtimeMs: st.mtimeMs, contentType, etag,
      cacheControl: ext === '.html' ? this.htmlCache : this.assetCache,
    };
  }

  /**
   * Serves `found` (a `file` lookup) on `res`: 304 when If-None-Match matches,
   * otherwise 200 with the body (none for HEAD). `headers` are added (CSP, etc.).
   */
  send(req: http.IncomingMessage, res: http.ServerResponse, found: Extract<StaticLookup, { kind: 'file' }>, headers: Record<string, string>): void {
    const base = {
      ...headers,
      'content-type': found.contentType,
      'cache-control': found.cacheControl,
      etag: found.etag,
      'last-modified': new Date(found.mtimeMs).toUTCString(),
      'x-content-type-options': 'nosniff',
    };
    const inm = req.headers['if-none-match'];
    if (inm !== undefined && inm.split(',').map((s) => s.trim()).includes(found.etag)) {
      res.writeHead(304, base);
      res.end();
      return;
    }
    res.writeHead(200, { ...base, 'content-length': String(found.size) });
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = fs.createReadStream(found.file);
    stream.on('error', () => res.destroy());
    stream.pipe(res);
  }
}
