/**
 * Header names: compact forms (RFC 3261 §7.3.3 and later RFCs), canonical lookup keys,
 * and which headers are comma-separated lists (RFC 3261 §7.3.1).
 */

/** Compact form → long form. */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', u: 'allow-events',
  r: 'refer-to', b: 'referred-by', x: 'session-expires', y: 'identity', a: 'accept-contact',
};

/** Names seen → canonical key (header names are a small set; bounded so junk cannot grow it). */
const KEY_CACHE = new Map<string, string>();
const KEY_CACHE_MAX = 4096;

/** Canonical key of a header name: lower case, compact forms expanded (memoised: it runs on every header lookup). */
export function canonicalHeaderKey(name: string): string {
  const cached = KEY_CACHE.get(name);
  if (cached !== undefined) return cached;
  const lower = name.toLowerCase();
  const key = Object.hasOwn(COMPACT, lower) ? COMPACT[lower] : lower;
  if (KEY_CACHE.size < KEY_CACHE_MAX) KEY_CACHE.set(name, key);
  return key;
}

/**
 * Headers whose grammar is `#element` (comma-separated list), so that several values
 * may share one header line. Authorization-style headers, Date, From/To etc. are not.
 */
const LIST_HEADERS: ReadonlySet<string> = new Set([
  'via', 'contact', 'route', 'record-route', 'path', 'service-route', 'accept', 'accept-encoding',
  'accept-language', 'allow', 'allow-events', 'supported', 'require', 'proxy-require',
  'unsupported', 'alert-info', 'call-info', 'error-info', 'in-reply-to', 'content-encoding',
  'content-language', 'warning', 'reason', 'p-asserted-identity', 'p-preferred-identity',
  'history-info', 'accept-contact', 'reject-contact', 'request-disposition', 'security-client',
  'security-server', 'security-verify', 'privacy',
]);

/** True when the header (canonical key) is a comma-separated list. */
export function isListHeader(key: string): boolean {
  return LIST_HEADERS.has(key);
}

/** Pretty long-form names for headers the stack writes itself. */
export const HeaderName = {
  via: 'Via', from: 'From', to: 'To', callId: 'Call-ID', cseq: 'CSeq', contact: 'Contact',
  maxForwards: 'Max-Forwards', contentLength: 'Content-Length', contentType: 'Content-Type',
  route: 'Route', recordRoute: 'Record-Route',
} as const;
