import { fail, formatParams, type SipParams } from './syntax.js';

/**
 * A SIP, SIPS or tel URI (RFC 3261 §19.1, RFC 3966), or any other absolute URI kept
 * opaque (`scheme` + `opaque`). Escapes (`%xx`) are kept as written: the user part of
 * `sip:sips%3Auser%40example.com@example.net` is `sips%3Auser%40example.com`
 * (RFC 4475 §3.1.1.3), so re-serialization never decodes `%00` into a NUL.
 */
export class SipUri {
  /** Lower-case scheme: `sip`, `sips`, `tel`, or another scheme (then only `opaque` is set). */
  scheme: string;
  /** User part (or the telephone number for `tel:`), escapes kept; '' when absent. */
  user: string;
  /** Password, escapes kept; undefined when absent. */
  password: string | undefined;
  /** Host; IPv6 references keep their brackets (`[2001:db8::1]`). '' for tel/opaque URIs. */
  host: string;
  /** Port, or undefined when not written. */
  port: number | undefined;
  /** URI parameters (`;transport=tcp;lr`), lower-case keys. */
  params: SipParams;
  /** URI headers (`?Route=...&Subject=...`), escapes kept. */
  headers: Map<string, string>;
  /** The scheme-specific part of a URI whose scheme is not sip/sips/tel. */
  opaque: string | undefined;

  constructor(init: Partial<Pick<SipUri, 'scheme' | 'user' | 'password' | 'host' | 'port' | 'params' | 'headers' | 'opaque'>> = {}) {
    this.scheme = init.scheme ?? 'sip';
    this.user = init.user ?? '';
    this.password = init.password;
    this.host = init.host ?? '';
    this.port = init.port;
    this.params = init.params ?? new Map();
    this.headers = init.headers ?? new Map();
    this.opaque = init.opaque;
  }

  /** True for sip: and sips: URIs. */
  get isSip(): boolean {
    return this.scheme === 'sip' || this.scheme === 'sips';
  }

  /** Host without IPv6 brackets (what node:net wants). */
  get hostname(): string {
    return this.host.startsWith('[') ? this.host.slice(1, -1) : this.host;
  }

  /** Value of the `transport` parameter, lower case, if present. */
  get transport(): string | undefined {
    return this.params.get('transport')?.toLowerCase();
  }

  /** A deep copy. */
  clone(): SipUri {
    return new SipUri({ ...this, params: new Map(this.params), headers: new Map(this.headers) });
  }

  /**
   * Parses a URI (RFC 3261 §19.1.1 / §25.1). Rejects whitespace, `<`, `>` and `"` anywhere
   * (RFC 4475 §3.1.2.7, §3.1.2.8, §3.1.2.14), an empty host and a port out of range.
   */
  static parse(text: string): SipUri {
    if (text.length === 0) fail('empty URI');
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c <= 0x20 || c === 0x7f || c === 0x3c || c === 0x3e || c === 0x22) fail('illegal character in URI', { uri: text });
    }
    const colon = text.indexOf(':');
    if (colon <= 0) fail('URI has no scheme', { uri: text });
    const scheme = text.slice(0, colon).toLowerCase();
    if (!/^[a-z][a-z0-9+.-]*$/.test(scheme)) fail('bad URI scheme', { uri: text });
    const rest = text.slice(colon + 1);
    if (scheme === 'tel') {
      const semi = rest.indexOf(';');
      const uri = new SipUri({ scheme, user: semi < 0 ? rest : rest.slice(0, semi) });
      if (uri.user.length === 0) fail('empty telephone number', { uri: text });
      if (semi >= 0) parseUriParams(rest.slice(semi), uri.params);
      return uri;
    }
    if (scheme !== 'sip' && scheme !== 'sips') {
      if (rest.length === 0) fail('empty URI', { uri: text });
      return new SipUri({ scheme, opaque: rest });
    }
    const uri = new SipUri({ scheme });
    let hostPart = rest;
    const at = rest.indexOf('@');
    if (at >= 0) {
      const userinfo = rest.slice(0, at);
      hostPart = rest.slice(at + 1);
      const pc = userinfo.indexOf(':');
      // The user part may itself contain ':'? No: RFC 3261 user excludes ':'; password follows.
      uri.user = pc < 0 ? userinfo : userinfo.slice(0, pc);
      if (pc >= 0) uri.password = userinfo.slice(pc + 1);
      if (uri.user.length === 0) fail('empty user part', { uri: text });
    }
    // hostport, then ;params, then ?headers
    let end = hostPart.length;
    const q = hostPart.indexOf('?');
    let headersText: string | undefined;
    if (q >= 0) {
      headersText = hostPart.slice(q + 1);
      end = q;
    }
    let hp = hostPart.slice(0, end);
    const semi = hp.indexOf(';');
    if (semi >= 0) {
      parseUriParams(hp.slice(semi), uri.params);
      hp = hp.slice(0, semi);
    }
    parseHostPort(hp, uri, text);
    if (headersText !== undefined) {
      for (const pair of headersText.split('&')) {
        if (pair.length === 0) continue;
        const eq = pair.indexOf('=');
        if (eq <= 0) fail('bad URI header', { uri: text });
        uri.headers.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
    }
    return uri;
  }

  /** Serializes the URI (RFC 3261 §19.1.1). */
  toString(): string {
    if (this.opaque !== undefined) return `${this.scheme}:${this.opaque}`;
    if (this.scheme === 'tel') return `tel:${this.user}${formatParams(this.params)}`;
    let s = `${this.scheme}:`;
    if (this.user) s += this.password !== undefined ? `${this.user}:${this.password}@` : `${this.user}@`;
    s += this.host;
    if (this.port !== undefined) s += `:${this.port}`;
    s += formatParams(this.params);
    if (this.headers.size > 0) s += '?' + [...this.headers].map(([k, v]) => `${k}=${v}`).join('&');
    return s;
  }
}

const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*\.?$/;

/** Parses `host[:port]` into `uri.host` / `uri.port` (IPv6 references in brackets). */
export function parseHostPort(hp: string, target: { host: string; port: number | undefined }, context = hp): void {
  let host: string;
  let portText: string | undefined;
  if (hp.startsWith('[')) {
    const close = hp.indexOf(']');
    if (close < 0) fail('unterminated IPv6 reference', { at: context });
    host = hp.slice(0, close + 1);
    if (!/^\[[0-9A-Fa-f:.]+\]$/.test(host)) fail('bad IPv6 reference', { at: context });
    const after = hp.slice(close + 1);
    if (after.length > 0) {
      if (after[0] !== ':') fail('garbage after IPv6 reference', { at: context });
      portText = after.slice(1);
    }
  } else {
    const pc = hp.indexOf(':');
    host = pc < 0 ? hp : hp.slice(0, pc);
    if (pc >= 0) portText = hp.slice(pc + 1);
    if (!HOST_RE.test(host)) fail('bad host', { at: context });
  }
  target.host = host;
  if (portText !== undefined) {
    if (!/^[0-9]{1,5}$/.test(portText)) fail('bad port', { at: context });
    const port = Number(portText);
    if (port > 65535) fail('port out of range', { at: context });
    target.port = port;
  } else target.port = undefined;
}

function parseUriParams(text: string, params: SipParams): void {
  // text starts with ';'
  for (const part of text.slice(1).split(';')) {
    if (part.length === 0) continue; // `;;` in a URI is tolerated (RFC 4475 §3.1.1.1 `;unknownparam`)
    const eq = part.indexOf('=');
    if (eq === 0) fail('empty URI parameter name');
    if (eq < 0) params.set(part.toLowerCase(), null);
    else params.set(part.slice(0, eq).toLowerCase(), part.slice(eq + 1));
  }
}
