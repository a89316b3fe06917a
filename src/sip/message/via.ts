import { parseHostPort } from './sip-uri.js';
import { fail, formatParams, isToken, parseParams, skipWs, unquoteParam, type SipParams } from './syntax.js';

/**
 * One Via value (RFC 3261 §20.42, §18.2.1; RFC 3581 rport). LWS around `/` is allowed
 * (RFC 4475 §3.1.1.1).
 */
export class Via {
  /** Protocol name and version, e.g. `SIP/2.0`. */
  protocol: string;
  /** Transport, upper case as written (`UDP`, `TCP`, `TLS`, `WS`, `WSS`, `SCTP`, …). */
  transport: string;
  /** sent-by host (IPv6 in brackets). */
  host: string;
  /** sent-by port, if written. */
  port: number | undefined;
  /** Parameters (`branch`, `received`, `rport`, `maddr`, `ttl`, …), lower-case keys. */
  params: SipParams;

  constructor(init: { protocol?: string; transport: string; host: string; port?: number; params?: SipParams }) {
    this.protocol = init.protocol ?? 'SIP/2.0';
    this.transport = init.transport;
    this.host = init.host;
    this.port = init.port;
    this.params = init.params ?? new Map();
  }

  /** The branch parameter. */
  get branch(): string | undefined {
    return unquoteParam(this.params.get('branch'));
  }
  /** The received parameter (RFC 3261 §18.2.1). */
  get received(): string | undefined {
    return unquoteParam(this.params.get('received'));
  }
  /** RFC 3581: `true` when `rport` is present without value, the number when filled, else undefined. */
  get rport(): number | true | undefined {
    if (!this.params.has('rport')) return undefined;
    const v = this.params.get('rport');
    if (v === null || v === undefined) return true;
    const n = Number(v);
    return Number.isInteger(n) ? n : true;
  }
  /** The maddr parameter. */
  get maddr(): string | undefined {
    return unquoteParam(this.params.get('maddr'));
  }
  /** The ttl parameter. */
  get ttl(): number | undefined {
    const v = this.params.get('ttl');
    return v === null || v === undefined ? undefined : Number(v);
  }
  /** sent-by as `host:port` (port defaulted to 5060/5061 by transport, RFC 3261 §18.2.2). */
  get sentBy(): string {
    return `${this.host.toLowerCase()}:${this.port ?? (this.transport.toUpperCase() === 'TLS' ? 5061 : 5060)}`;
  }

  /** A deep copy. */
  clone(): Via {
    return new Via({ ...this, params: new Map(this.params) });
  }

  /** Parses one Via value (no commas). */
  static parse(text: string): Via {
    const s = text.trim();
    // sent-protocol = protocol-name SLASH protocol-version SLASH transport
    const parts: string[] = [];
    let i = 0;
    for (let k = 0; k < 3; k++) {
      i = skipWs(s, i);
      let j = i;
      while (j < s.length && s[j] !== '/' && s[j] !== ' ' && s[j] !== '\t') j++;
      const tok = s.slice(i, j);
      if (!isToken(tok)) fail('bad Via sent-protocol', { via: text });
      parts.push(tok);
      i = skipWs(s, j);
      if (k < 2) {
        if (s[i] !== '/') fail('bad Via sent-protocol', { via: text });
        i++;
      }
    }
    if (i === 0 || !(s[i - 1] === ' ' || s[i - 1] === '\t')) fail('missing sent-by in Via', { via: text });
    let j = i;
    if (s[j] === '[') {
      j = s.indexOf(']', j);
      if (j < 0) fail('bad Via host', { via: text });
    }
    while (j < s.length && s[j] !== ';' && s[j] !== ' ' && s[j] !== '\t') j++;
    const target = { host: '', port: undefined as number | undefined };
    parseHostPort(s.slice(i, j), target, text);
    const params = parseParams(s, j);
    return new Via({ protocol: `${parts[0]}/${parts[1]}`, transport: parts[2].toUpperCase(), host: target.host, port: target.port, params });
  }

  /** Serializes the Via value. */
  toString(): string {
    return `${this.protocol}/${this.transport} ${this.host}${this.port === undefined ? '' : ':' + this.port}${formatParams(this.params)}`;
  }
}
