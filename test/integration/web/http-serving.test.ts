import { expect } from 'chai';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import path from 'node:path';
import tls from 'node:tls';
import { buildPageOnce, devCert, startWebServer } from './web-harness.js';
import { HttpServer, CONTENT_SECURITY_POLICY } from '../../../src/web/http-server.js';
import { buildClientConfig, hostnameFromHeader } from '../../../src/web/client-config.js';
import { webServingOptions } from '../../../src/web/web-options.js';
import { loadConfig, ConfigError } from '../../../src/config/load-config.js';
import { silentLogger } from '../../../src/common/logger.js';
import { TandemError } from '../../../src/common/errors.js';
import { tmpRoot } from '../../helpers/paths.js';

interface Resp { status: number; headers: http.IncomingHttpHeaders; body: string }

function get(base: string, p: string, opts: { method?: string; headers?: Record<string, string> } = {}): Promise<Resp> {
  const u = new URL(base);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request({
      host: u.hostname, port: u.port, path: p, method: opts.method ?? 'GET', headers: opts.headers,
      rejectUnauthorized: false, agent: false,
    }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends a raw request line (no client-side normalization at all) and returns the status code. */
function rawStatus(port: number, target: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1', () => s.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = '';
    s.on('data', (c: Buffer) => { data += c.toString('latin1'); });
    s.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0)));
    s.on('error', reject);
  });
}

describe('web: serving the demo page over HTTP and HTTPS', function () {
  this.timeout(20000);
  let srv: Awaited<ReturnType<typeof startWebServer>>;

  before(async () => {
    srv = await startWebServer({
      client: { sipListen: ['udp:127.0.0.1:5060', 'ws:0.0.0.0:8088', 'wss:0.0.0.0:8089'], realm: 'example.test', tokenAuth: true },
    });
  });
  after(async () => srv.server.close());

  for (const scheme of ['http', 'https'] as const) {
    it(`${scheme}: GET / is the page, with CSP and cache headers, and revalidates with the ETag`, async () => {
      const base = scheme === 'http' ? srv.http : srv.https!;
      const r = await get(base, '/');
      expect(r.status).to.equal(200);
      expect(r.headers['content-type']).to.equal('text/html; charset=utf-8');
      expect(r.headers['content-security-policy']).to.equal(CONTENT_SECURITY_POLICY);
      expect(r.headers['content-security-policy']).to.contain("script-src 'self'");
      expect(r.headers['x-content-type-options']).to.equal('nosniff');
      expect(r.headers['cache-control']).to.equal('no-cache');
      expect(r.body).to.contain('<title>Tandem softphone</title>').and.to.contain('src="app.js"');
      // nothing from another origin: no CDN, no absolute URLs for scripts or styles
      expect(r.body).to.not.match(/(src|href)="(https?:)?\/\//);
      const etag = r.headers.etag as string;
      expect(etag).to.match(/^"[^"]+"$/);
      const again = await get(base, '/', { headers: { 'if-none-match': etag } });
      expect(again.status).to.equal(304);
      expect(again.body).to.equal('');
    });

    it(`${scheme}: the bundle and stylesheet have their content types and a max-age`, async () => {
      const base = scheme === 'http' ? srv.http : srv.https!;
      const js = await get(base, '/app.js');
      expect(js.status).to.equal(200);
      expect(js.headers['content-type']).to.equal('text/javascript; charset=utf-8');
      expect(js.headers['cache-control']).to.equal('public, max-age=300');
      expect(js.body).to.contain('tandemPhone');
      expect(js.body).to.contain('JsSIP');
      expect(js.body.length).to.be.greaterThan(50000);
      const css = await get(base, '/style.css');
      expect(css.headers['content-type']).to.equal('text/css; charset=utf-8');
      const svg = await get(base, '/favicon.svg');
      expect(svg.headers['content-type']).to.equal('image/svg+xml');
      const head = await get(base, '/app.js', { method: 'HEAD' });
      expect(head.status).to.equal(200);
      expect(head.body).to.equal('');
      expect(Number(head.headers['content-length'])).to.equal(Buffer.byteLength(js.body));
    });
  }

  it('https: presents the configured certificate', async () => {
    const port = Number(new URL(srv.https!).port);
    const der = await new Promise<Buffer>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false }, () => {
        const c = s.getPeerCertificate();
        s.end();
        resolve(c.raw);
      });
      s.on('error', reject);
    });
    const expected = new crypto.X509Certificate(devCert().cert).raw;
    expect(der.equals(expected)).to.equal(true);
  });

  it('/config.json: ws URLs derived from sip.listen with the browser\'s host, wss first on HTTPS', async () => {
    const h = await get(srv.http, '/config.json', { headers: { host: 'phone.example.test:8080' } });
    expect(h.status).to.equal(200);
    expect(h.headers['content-type']).to.equal('application/json; charset=utf-8');
    expect(h.headers['cache-control']).to.equal('no-store');
    const c = JSON.parse(h.body) as { wsUrls: string[]; domain: string; iceServers: unknown[]; tokenAuth: boolean; version: string; warnings: string[] };
    expect(c).to.deep.equal({
      wsUrls: ['ws://phone.example.test:8088', 'wss://phone.example.test:8089'], domain: 'example.test',
      iceServers: [], tokenAuth: true, version: '0.0.0-test', warnings: [],
    });
    const s = JSON.parse((await get(srv.https!, '/config.json', { headers: { host: 'phone.example.test' } })).body) as { wsUrls: string[] };
    expect(s.wsUrls).to.deep.equal(['wss://phone.example.test:8089', 'ws://phone.example.test:8088']);
    // a Host header that is not a host name is not echoed into URLs
    const bad = JSON.parse((await get(srv.http, '/config.json', { headers: { host: 'evil"><script>' } })).body) as { wsUrls: string[] };
    expect(bad.wsUrls[0]).to.equal('ws://127.0.0.1:8088');
  });

  it('path traversal and hidden files are refused', async () => {
    const port = Number(new URL(srv.http).port);
    for (const target of ['/../package.json', '/%2e%2e/package.json', '/..%2fpackage.json', '/%2e%2e%2f%2e%2e%2fpackage.json',
      '/a/../../package.json', '/..\\package.json', '/%5c..%5cpackage.json', '/app.js%00.html', '/%E0%A4%A']) {
      const status = await rawStatus(port, target);
      expect(status, target).to.be.oneOf([400, 403, 404]);
    }
    expect(await rawStatus(port, '/.git/config')).to.equal(404);
    expect(await rawStatus(port, '/nonexistent.js')).to.equal(404);
    // and the real file is served when asked properly (the refusals above are not a broken server)
    expect(await rawStatus(port, '/app.js')).to.equal(200);
  });

  it('other methods get 405 with Allow', async () => {
    const r = await get(srv.http, '/', { method: 'POST' });
    expect(r.status).to.equal(405);
    expect(r.headers.allow).to.equal('GET, HEAD');
  });

  it('/healthz is still served', async () => {
    const r = await get(srv.http, '/healthz');
    expect(r.status).to.equal(200);
    expect((JSON.parse(r.body) as { status: string }).status).to.equal('ok');
  });
});

describe('web: serving edge cases', function () {
  this.timeout(20000);

  it('a symlink pointing outside the root is refused', async () => {
    const root = fs.mkdtempSync(path.join((fs.mkdirSync(tmpRoot, { recursive: true }), tmpRoot), 'web-root-'));
    try {
      fs.writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>x</title>');
      fs.symlinkSync('/etc/passwd', path.join(root, 'passwd.txt'));
      const srv = await startWebServer({ root, https: false });
      try {
        const port = Number(new URL(srv.http).port);
        expect(await rawStatus(port, '/passwd.txt')).to.equal(403);
        expect(await rawStatus(port, '/')).to.equal(200);
      } finally {
        await srv.server.close();
      }
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('an unbuilt page answers 503 with how to build it; /config.json still works', async () => {
    const srv = await startWebServer({ root: path.join(tmpRoot, 'no-such-web-root'), https: false });
    try {
      const r = await get(srv.http, '/');
      expect(r.status).to.equal(503);
      expect(r.body).to.contain('scripts/build-web.mjs');
      expect((await get(srv.http, '/config.json')).status).to.equal(200);
    } finally {
      await srv.server.close();
    }
  });

  it('without web options only /healthz exists', async () => {
    const s = new HttpServer({ host: '127.0.0.1', port: 0, logger: silentLogger(), version: 't' });
    const a = await s.listen();
    try {
      expect((await get(`http://127.0.0.1:${a.port}`, '/')).status).to.equal(404);
      expect(s.httpsAddress()).to.equal(null);
    } finally {
      await s.close();
      await s.close();
    }
  });

  it('the page builds in well under 10 s', async () => {
    const started = Date.now();
    const dir = await buildPageOnce();
    expect(fs.readdirSync(dir)).to.include.members(['index.html', 'app.js', 'style.css', 'favicon.svg']);
    expect(Date.now() - started).to.be.lessThan(10000);
  });
});

// Schema defaults (config/tandem.yaml equality is the config unit test's job).
const cfg = (env: NodeJS.ProcessEnv) => loadConfig({ env, useDefaultFile: false });

describe('web: config section and /config.json content', () => {
  it('defaults: enabled, HTTPS off without a certificate, no ICE servers', () => {
    const c = cfg({});
    expect(c.web).to.deep.equal({ enabled: true, httpsPort: 8443, tlsCert: '', tlsKey: '', publicWsUrls: [], iceServers: [] });
    const w = webServingOptions(c, { root: '/x', version: 'v' });
    expect(w?.https).to.equal(null);
    expect(w?.client.sipListen).to.deep.equal(c.sip.listen);
    expect(w?.client.realm).to.equal(c.auth.realm);
    expect(webServingOptions(cfg({ TANDEM_WEB_ENABLED: 'false' }), { version: 'v' })).to.equal(undefined);
  });

  it('environment: public WebSocket URLs are validated', () => {
    const c = cfg({ TANDEM_WEB_PUBLIC_WS_URLS: 'wss://sip.example.com:8089,ws://10.0.0.1:8088' });
    expect(c.web.publicWsUrls).to.deep.equal(['wss://sip.example.com:8089', 'ws://10.0.0.1:8088']);
    let err: unknown;
    try {
      cfg({ TANDEM_WEB_PUBLIC_WS_URLS: 'http://x' });
    } catch (e) {
      err = e;
    }
    expect(err).to.be.instanceOf(ConfigError);
    expect((err as ConfigError).data.key).to.equal('web.publicWsUrls');
  });

  it('tlsCert without tlsKey, or an unreadable file, is ERR_WEB_TLS', () => {
    const only = cfg({ TANDEM_WEB_TLS_CERT: '/nonexistent/cert.pem' });
    expect(() => webServingOptions(only, { version: 'v' })).to.throw(TandemError).with.property('code', 'ERR_WEB_TLS');
    const both = cfg({ TANDEM_WEB_TLS_CERT: '/nonexistent/cert.pem', TANDEM_WEB_TLS_KEY: '/nonexistent/key.pem' });
    expect(() => webServingOptions(both, { version: 'v' })).to.throw(/cannot read \/nonexistent\/cert.pem/);
    const ok = cfg({ TANDEM_WEB_TLS_CERT: path.join(devCert().dir, 'cert.pem'), TANDEM_WEB_TLS_KEY: path.join(devCert().dir, 'key.pem'), TANDEM_WEB_HTTPS_PORT: '0' });
    expect(webServingOptions(ok, { version: 'v' })?.https?.port).to.equal(0);
  });

  it('publicWsUrls win; an HTTPS page with only ws: gets a warning; TURN REST credentials are HMAC-SHA1', () => {
    const base = { publicWsUrls: [], sipListen: ['ws:192.0.2.7:8088'], realm: 'r', iceServers: [], tokenAuth: false, version: 'v' };
    expect(buildClientConfig({ ...base, publicWsUrls: ['wss://a.example:443/ws'] }, { hostname: 'h', secure: false }).wsUrls).to.deep.equal(['wss://a.example:443/ws']);
    const ws = buildClientConfig(base, { hostname: 'h', secure: true });
    expect(ws.wsUrls).to.deep.equal(['ws://192.0.2.7:8088']);
    expect(ws.warnings.join(' ')).to.contain('no wss: URL');
    const none = buildClientConfig({ ...base, sipListen: ['udp:127.0.0.1:5060'] }, { hostname: 'h', secure: false });
    expect(none.wsUrls).to.deep.equal([]);
    expect(none.warnings).to.have.length(1);
    const now = 1_700_000_000_000;
    const turn = buildClientConfig({
      ...base,
      iceServers: [
        { urls: ['turn:turn.example:3478?transport=udp'], username: '', credential: '', authSecret: 's3cret', ttlSeconds: 600 },
        { urls: ['stun:stun.example:3478'], username: '', credential: '', authSecret: '', ttlSeconds: 86400 },
        { urls: ['turns:t.example:5349'], username: 'u', credential: 'p', authSecret: '', ttlSeconds: 86400 },
      ],
    }, { hostname: 'h', secure: false }, now);
    const user = `${now / 1000 + 600}:tandem`;
    expect(turn.iceServers).to.deep.equal([
      { urls: ['turn:turn.example:3478?transport=udp'], username: user, credential: crypto.createHmac('sha1', 's3cret').update(user).digest('base64') },
      { urls: ['stun:stun.example:3478'] },
      { urls: ['turns:t.example:5349'], username: 'u', credential: 'p' },
    ]);
  });

  it('hostnameFromHeader keeps names and IPv6 literals, drops junk', () => {
    expect(hostnameFromHeader('Example.COM:8080', 'f')).to.equal('example.com');
    expect(hostnameFromHeader('[::1]:8080', 'f')).to.equal('[::1]');
    expect(hostnameFromHeader('a b', 'f')).to.equal('f');
    expect(hostnameFromHeader(undefined, 'f')).to.equal('f');
  });
});
