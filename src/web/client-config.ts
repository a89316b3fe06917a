import crypto from 'node:crypto';
import type { IceServerConfig } from '../config/schema.js';

/** What the server knows to tell the page (from the gateway config). */
export interface ClientConfigSource {
  /** Operator-set public WebSocket URLs (web.publicWsUrls); empty = derive from `sipListen`. */
  publicWsUrls: readonly string[];
  /** sip.listen entries (`ws:HOST:PORT`, `wss:HOST:PORT`, others ignored). */
  sipListen: readonly string[];
  /** SIP domain / digest realm (auth.realm). */
  realm: string;
  /** STUN/TURN servers (web.iceServers). */
  iceServers: readonly IceServerConfig[];
  /** True when browser tokens are enabled (auth.tokenSecret is set). */
  tokenAuth: boolean;
  /** Tandem version. */
  version: string;
}

/** One RTCIceServer as the browser wants it. */
export interface ClientIceServer { urls: string[]; username?: string; credential?: string }

/** The body of `GET /config.json`: everything the page needs to log in. */
export interface ClientConfig {
  /** SIP-over-WebSocket URLs (RFC 7118), best first. */
  wsUrls: string[];
  /** SIP domain for AORs (`sip:USER@domain`) and the digest realm. */
  domain: string;
  iceServers: ClientIceServer[];
  /** Whether `?token=` WebSocket authentication is accepted. */
  tokenAuth: boolean;
  version: string;
  /** Problems the page should show (e.g. an HTTPS page with no wss: listener). */
  warnings: string[];
}

/** The request facts the derivation needs. */
export interface ClientRequestInfo {
  /** Host name the browser used (from the Host header, without port). */
  hostname: string;
  /** True when the page came over HTTPS (then only wss: works: mixed content). */
  secure: boolean;
}

const HOSTNAME = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]{1,253})$/;
const WILDCARD = new Set(['0.0.0.0', '[::]', '::']);

/**
 * The host name from a Host header (RFC 9110 §7.2), validated so it can be put
 * into a URL; `fallback` when absent or odd.
 */
export function hostnameFromHeader(host: string | undefined, fallback: string): string {
  if (host === undefined) return fallback;
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:]+)(:\d{1,5})?$/.exec(host.trim());
  if (!m || !HOSTNAME.test(m[1])) return fallback;
  return m[1].toLowerCase();
}

/**
 * TURN REST API credentials (draft-uberti-behave-turn-rest-00, as coturn's
 * `use-auth-secret`): user name `EXPIRY:tandem`, password base64(HMAC-SHA1(secret, username)).
 */
export function turnRestCredential(secret: string, ttlSeconds: number, nowMs: number): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSeconds}:tandem`;
  const credential = crypto.createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

/**
 * Builds the page's configuration for one request. WebSocket URLs come from
 * `publicWsUrls` when set; otherwise from each `ws:`/`wss:` listener: a wildcard
 * bind (0.0.0.0, [::]) takes the host name the browser used, a specific bind
 * address is used as is. An HTTPS page gets wss: URLs
 * first, and a warning when only ws: exists (browsers block ws: from https pages).
 */
export function buildClientConfig(src: ClientConfigSource, req: ClientRequestInfo, nowMs = Date.now()): ClientConfig {
  const warnings: string[] = [];
  let wsUrls: string[];
  if (src.publicWsUrls.length > 0) {
    wsUrls = [...src.publicWsUrls];
  } else {
    wsUrls = [];
    for (const l of src.sipListen) {
      const m = /^(ws|wss):(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(l);
      if (!m) continue;
      const [, proto, bindHost, port] = m;
      const host = WILDCARD.has(bindHost) ? req.hostname : bindHost;
      wsUrls.push(`${proto}://${host}:${port}`);
    }
    if (wsUrls.length === 0) warnings.push('sip.listen has no ws: or wss: listener: enter a WebSocket URL by hand.');
  }
  const rank = (u: string): number => (u.startsWith('wss:') === req.secure ? 0 : 1);
  wsUrls.sort((a, b) => rank(a) - rank(b));
  if (req.secure && wsUrls.length > 0 && !wsUrls.some((u) => u.startsWith('wss:'))) {
    warnings.push('This page is served over HTTPS but no wss: URL is configured; browsers refuse ws: from HTTPS pages except to localhost.');
  }
  const iceServers = src.iceServers.map((s): ClientIceServer => {
    if (s.authSecret !== '') return { urls: [...s.urls], ...turnRestCredential(s.authSecret, s.ttlSeconds, nowMs) };
    const out: ClientIceServer = { urls: [...s.urls] };
    if (s.username !== '') out.username = s.username;
    if (s.credential !== '') out.credential = s.credential;
    return out;
  });
  return { wsUrls, domain: src.realm, iceServers, tokenAuth: src.tokenAuth, version: src.version, warnings };
}
