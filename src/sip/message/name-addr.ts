import { SipUri } from './sip-uri.js';
import { fail, formatParams, isTokenChar, isWs, parseParams, quote, readQuoted, skipWs, unquoteParam, type SipParams } from './syntax.js';

/**
 * A `name-addr` or `addr-spec` with header parameters, as used by From, To, Contact,
 * Route, Record-Route, Refer-To (RFC 3261 §20.10, §25.1). For the `addr-spec` form,
 * parameters after the URI are header parameters (RFC 3261 §20.10).
 */
export class NameAddr {
  /** Display name, unquoted with escapes resolved; undefined when absent. */
  displayName: string | undefined;
  /** The URI. */
  uri: SipUri;
  /** Header parameters (`tag`, `q`, `expires`, …), lower-case keys, raw values. */
  params: SipParams;
  /** True for `Contact: *`. */
  wildcard: boolean;

  constructor(uri: SipUri, init: { displayName?: string; params?: SipParams; wildcard?: boolean } = {}) {
    this.uri = uri;
    this.displayName = init.displayName;
    this.params = init.params ?? new Map();
    this.wildcard = init.wildcard ?? false;
  }

  /** The `tag` parameter (RFC 3261 §19.3). */
  get tag(): string | undefined {
    return unquoteParam(this.params.get('tag'));
  }

  /** A parameter value with quotes removed; undefined when absent or valueless. */
  param(name: string): string | undefined {
    return unquoteParam(this.params.get(name.toLowerCase()));
  }

  /** A deep copy. */
  clone(): NameAddr {
    return new NameAddr(this.uri.clone(), { displayName: this.displayName, params: new Map(this.params), wildcard: this.wildcard });
  }

  /**
   * Parses a name-addr / addr-spec with parameters. Rejects an unterminated quoted string
   * (RFC 4475 §3.1.2.6), whitespace inside `<>` (§3.1.2.14), and an unquoted display
   * name that is not a sequence of tokens (§3.1.2.15).
   */
  static parse(text: string): NameAddr {
    const s = text.trim();
    if (s === '*') return new NameAddr(new SipUri({ scheme: 'sip' }), { wildcard: true });
    let i = 0;
    let displayName: string | undefined;
    if (s[0] === '"') {
      const q = readQuoted(s, 0);
      displayName = q.value;
      i = skipWs(s, q.end);
      if (s[i] !== '<') fail('expected "<" after display name');
    } else {
      const lt = s.indexOf('<');
      if (lt >= 0) {
        const dn = s.slice(0, lt).trim();
        for (let k = 0; k < dn.length; k++) {
          if (!isTokenChar(dn[k]) && !isWs(dn[k])) fail('display name is not a token list; it must be quoted', { text });
        }
        if (dn.length > 0) displayName = dn.replace(/[ \t]+/g, ' ');
        i = lt;
      }
    }
    if (s[i] === '<') {
      const gt = s.indexOf('>', i);
      if (gt < 0) fail('unterminated "<"');
      const uri = SipUri.parse(s.slice(i + 1, gt));
      const params = parseParams(s, gt + 1);
      return new NameAddr(uri, { displayName, params });
    }
    // addr-spec: the URI ends at the first ';' (or whitespace before it)
    let end = 0;
    while (end < s.length && s[end] !== ';' && !isWs(s[end])) end++;
    const uri = SipUri.parse(s.slice(0, end));
    const params = parseParams(s, end);
    return new NameAddr(uri, { params });
  }

  /** Serializes as name-addr (always with `<>`, which is valid for every URI). */
  toString(): string {
    if (this.wildcard) return '*';
    const dn = this.displayName === undefined ? '' : `${quote(this.displayName)} `;
    return `${dn}<${this.uri.toString()}>${formatParams(this.params)}`;
  }
}
