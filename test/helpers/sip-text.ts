/**
 * SIP message text for tests that speak raw SIP (RFC 3261 §7): a forgiving parser, header
 * lookup, digest (RFC 2617 / RFC 3261 §22, MD5 with or without qop=auth) and the 200 OK a UA
 * sends to an in-dialog request.
 */
import crypto from 'node:crypto';

/** A parsed SIP message: `status` is 0 for a request, `method` is '' for a response. */
export interface SipMsg { first: string; status: number; method: string; headers: Map<string, string[]>; body: string; raw: string; at: number }

/** Parses one SIP message (CRLF line ends); header names are lower-cased, repeated headers kept in order. */
export function parseSip(raw: string): SipMsg {
  const sep = raw.indexOf('\r\n\r\n');
  const head = sep >= 0 ? raw.slice(0, sep) : raw;
  const body = sep >= 0 ? raw.slice(sep + 4) : '';
  const lines = head.split('\r\n');
  const first = lines[0] ?? '';
  const headers = new Map<string, string[]>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), l.slice(i + 1).trim()]);
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  return { first, status: m ? Number(m[1]) : 0, method: m ? '' : (first.split(' ')[0] ?? ''), headers, body, raw, at: Date.now() };
}

/** The first value of header `name` (case-insensitive), '' when absent. */
export const hdr = (m: SipMsg, name: string): string => (m.headers.get(name.toLowerCase()) ?? [])[0] ?? '';

/** 12 random hex characters (tags, Call-IDs, branches, hosts). */
export const rand = (): string => crypto.randomBytes(6).toString('hex');

/** Hex MD5 of `s`. */
export const md5 = (s: string): string => crypto.createHash('md5').update(s).digest('hex');

/** `name: value` lines of the headers `names` of `m`, every value of each, in that order. */
export function copyHeaders(m: SipMsg, names: readonly string[]): string[] {
  return names.flatMap((h) => (m.headers.get(h) ?? []).map((v) => `${h}: ${v}`));
}

/** The bodiless `200 OK` a UA answers an in-dialog request with (RFC 3261 §8.2.6: Via, From, To, Call-ID, CSeq copied). */
export function ok200(m: SipMsg): string {
  return ['SIP/2.0 200 OK', ...copyHeaders(m, ['via', 'from', 'to', 'call-id', 'cseq']), 'Content-Length: 0', '', ''].join('\r\n');
}

/** Parses `Digest k=v, k="v"` into a map. */
export function digestParams(h: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([a-zA-Z-]+)\s*=\s*(?:"([^"]*)"|([^\s,]+))/g;
  for (let m = re.exec(h); m; m = re.exec(h)) out.set(m[1]!.toLowerCase(), m[2] ?? m[3] ?? '');
  return out;
}

/** The credentials (`Digest username=…`) answering `challenge` (a WWW-/Proxy-Authenticate value), RFC 2617 §3.2.2. */
export function digestAuthorization(challenge: string, method: string, uri: string, user: string, password: string): string {
  const p = digestParams(challenge.replace(/^\s*Digest\s+/i, ''));
  const realm = p.get('realm') ?? '';
  const nonce = p.get('nonce') ?? '';
  const qop = p.get('qop') ? 'auth' : '';
  const cnonce = rand();
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = qop ? md5(`${ha1}:${nonce}:00000001:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const opaque = p.get('opaque');
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5`
    + (qop ? `, qop=${qop}, nc=00000001, cnonce="${cnonce}"` : '') + (opaque ? `, opaque="${opaque}"` : '');
}
