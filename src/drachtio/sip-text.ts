import { ValidationError } from '../common/errors.js';

/** One header line as carried on the drachtio wire: name as written, unfolded value. */
export interface TextHeader {
  name: string;
  value: string;
}

const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id', m: 'contact', e: 'content-encoding', l: 'content-length', c: 'content-type',
  f: 'from', s: 'subject', k: 'supported', t: 'to', v: 'via', o: 'event', u: 'allow-events',
  r: 'refer-to', b: 'referred-by', x: 'session-expires', y: 'identity', a: 'accept-contact',
};

/** Names seen → canonical name (a small set in practice; bounded so junk cannot grow it). */
const NAME_CACHE = new Map<string, string>();
const NAME_CACHE_MAX = 4096;

/** Canonical (lower-case, long form) header name for comparisons (memoised: it runs on every header lookup). */
export function canonicalHeaderName(name: string): string {
  const cached = NAME_CACHE.get(name);
  if (cached !== undefined) return cached;
  const lower = name.trim().toLowerCase();
  const canon = Object.hasOwn(COMPACT, lower) ? COMPACT[lower] : lower;
  if (NAME_CACHE.size < NAME_CACHE_MAX) NAME_CACHE.set(name, canon);
  return canon;
}

const PRETTY: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID', cseq: 'CSeq', rack: 'RAck', rseq: 'RSeq',
  'mime-version': 'MIME-Version', 'min-se': 'Min-SE', 'sip-etag': 'SIP-ETag', 'sip-if-match': 'SIP-If-Match', 'www-authenticate': 'WWW-Authenticate',
};

/** Names seen → pretty name (memoised like {@link canonicalHeaderName}: it runs for every header an app sends). */
const PRETTY_CACHE = new Map<string, string>();

/** `content-type` → `Content-Type`, with SIP's irregular spellings (Call-ID, CSeq, RSeq…). */
export function prettyHeaderName(name: string): string {
  const cached = PRETTY_CACHE.get(name);
  if (cached !== undefined) return cached;
  const canon = canonicalHeaderName(name);
  const pretty = PRETTY[canon] ?? canon.split('-').map((p) => (p ? p[0].toUpperCase() + p.slice(1) : p)).join('-');
  if (PRETTY_CACHE.size < NAME_CACHE_MAX) PRETTY_CACHE.set(name, pretty);
  return pretty;
}

/**
 * A SIP message as text, the form in which drachtio applications send and receive SIP over
 * the wire protocol: a start line, ordered headers and a body. This is only the wire
 * protocol's view of SIP (no transactions, no transport); the SIP stack in src/sip parses
 * what goes on the network. Content-Length is recomputed on {@link toString}.
 */
export class SipText {
  method = '';
  uri = '';
  status = 0;
  reason = '';
  headers: TextHeader[] = [];
  body = '';

  get isRequest(): boolean {
    return this.method !== '';
  }

  /** Parses SIP text (CRLF or LF line ends, folded headers). Throws ValidationError. */
  static parse(text: string): SipText {
    const m = new SipText();
    let sep = text.indexOf('\r\n\r\n');
    let sepLen = 4;
    if (sep === -1) {
      const lf = text.indexOf('\n\n');
      if (lf !== -1) {
        sep = lf;
        sepLen = 2;
      }
    }
    const head = sep === -1 ? text : text.slice(0, sep);
    m.body = sep === -1 ? '' : text.slice(sep + sepLen);
    const lines = head.split(/\r?\n/);
    while (lines.length > 0 && lines[0].trim() === '') lines.shift();
    const start = lines.shift();
    if (!start) throw new ValidationError('ERR_DRACHTIO_SIP_TEXT', 'empty SIP message');
    const resp = /^SIP\/2\.0\s+(\d{3})\s*(.*)$/i.exec(start.trim());
    if (resp) {
      m.status = Number(resp[1]);
      m.reason = resp[2].trim();
    } else {
      // Method = token (RFC 3261 §25.1): it may start with any token character (RFC 4475 §3.1.1.2).
      const req = /^([\w.!%*+`'~-]+)\s+(\S+)\s+SIP\/2\.0\s*$/i.exec(start.trim());
      if (!req) throw new ValidationError('ERR_DRACHTIO_SIP_TEXT', 'invalid start line', { data: { start } });
      m.method = req[1];
      m.uri = req[2];
    }
    for (const line of lines) {
      if (line === '') continue;
      if ((line[0] === ' ' || line[0] === '\t') && m.headers.length > 0) {
        const last = m.headers[m.headers.length - 1];
        last.value = `${last.value} ${line.trim()}`;
        continue;
      }
      const colon = line.indexOf(':');
      if (colon <= 0) throw new ValidationError('ERR_DRACHTIO_SIP_TEXT', 'invalid header line', { data: { line } });
      const name = line.slice(0, colon).trim();
      if (!/^[\w.!%*+`'~-]+$/.test(name)) {
        throw new ValidationError('ERR_DRACHTIO_SIP_TEXT', 'invalid header name', { data: { name } });
      }
      m.headers.push({ name, value: line.slice(colon + 1).trim() });
    }
    return m;
  }

  static request(method: string, uri: string): SipText {
    const m = new SipText();
    m.method = method;
    m.uri = uri;
    return m;
  }

  static response(status: number, reason: string): SipText {
    const m = new SipText();
    m.status = status;
    m.reason = reason;
    return m;
  }

  clone(): SipText {
    const c = new SipText();
    c.method = this.method;
    c.uri = this.uri;
    c.status = this.status;
    c.reason = this.reason;
    c.headers = this.headers.map((h) => ({ ...h }));
    c.body = this.body;
    return c;
  }

  /** First value of a header (case-insensitive, compact forms equal long forms). */
  get(name: string): string | undefined {
    const canon = canonicalHeaderName(name);
    const hs = this.headers;
    for (let i = 0; i < hs.length; i++) if (canonicalHeaderName(hs[i].name) === canon) return hs[i].value;
    return undefined;
  }

  /** Every line of a header, in order (no comma splitting). */
  getAll(name: string): string[] {
    const canon = canonicalHeaderName(name);
    const out: string[] = [];
    const hs = this.headers;
    for (let i = 0; i < hs.length; i++) if (canonicalHeaderName(hs[i].name) === canon) out.push(hs[i].value);
    return out;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Replaces every line of `name` by one line, kept at the position of the first. */
  set(name: string, value: string): this {
    const canon = canonicalHeaderName(name);
    const idx = this.headers.findIndex((h) => canonicalHeaderName(h.name) === canon);
    if (idx === -1) {
      this.headers.push({ name, value });
      return this;
    }
    this.headers[idx] = { name: this.headers[idx].name, value };
    this.headers = this.headers.filter((h, i) => i === idx || canonicalHeaderName(h.name) !== canon);
    return this;
  }

  add(name: string, value: string): this {
    this.headers.push({ name, value });
    return this;
  }

  prepend(name: string, value: string): this {
    this.headers.unshift({ name, value });
    return this;
  }

  remove(name: string): this {
    const canon = canonicalHeaderName(name);
    this.headers = this.headers.filter((h) => canonicalHeaderName(h.name) !== canon);
    return this;
  }

  startLine(): string {
    return this.isRequest ? `${this.method} ${this.uri} SIP/2.0` : `SIP/2.0 ${this.status} ${this.reason}`;
  }

  /** Start line, headers, a recomputed Content-Length, blank line, body. */
  toString(): string {
    let out = this.startLine();
    let wroteLength = false;
    const len = this.body.length === 0 ? 0 : Buffer.byteLength(this.body, 'utf8');
    for (const h of this.headers) {
      if (canonicalHeaderName(h.name) === 'content-length') {
        if (wroteLength) continue;
        wroteLength = true;
        out += `\r\n${h.name}: ${len}`;
        continue;
      }
      out += `\r\n${h.name}: ${h.value}`;
    }
    if (!wroteLength) out += `\r\nContent-Length: ${len}`;
    return `${out}\r\n\r\n${this.body}`;
  }

  /** CSeq number and method. */
  cseq(): { seq: number; method: string } {
    const v = this.get('cseq') ?? '';
    const m = /^\s*(\d+)\s+(\S+)/.exec(v);
    if (!m) throw new ValidationError('ERR_DRACHTIO_SIP_TEXT', 'missing or invalid CSeq', { data: { cseq: v } });
    return { seq: Number(m[1]), method: m[2] };
  }
}

/** The `tag` parameter of a From/To value, if any. */
export function tagOf(nameAddr: string | undefined): string | undefined {
  if (!nameAddr) return undefined;
  const gt = nameAddr.lastIndexOf('>');
  const params = gt === -1 ? nameAddr.slice(nameAddr.indexOf(';')) : nameAddr.slice(gt + 1);
  const m = /;\s*tag\s*=\s*([^;\s,]+)/i.exec(params);
  return m ? m[1] : undefined;
}

/** `value` with `;tag=tag` added (or replaced). */
export function withTag(nameAddr: string, tag: string): string {
  const existing = tagOf(nameAddr);
  if (existing !== undefined) {
    return nameAddr.replace(/;\s*tag\s*=\s*[^;\s,]+/i, `;tag=${tag}`);
  }
  return `${nameAddr};tag=${tag}`;
}

/** The URI inside a name-addr (`"A" <sip:a@b>;tag=1` → `sip:a@b`) or addr-spec. */
export function uriOf(nameAddr: string): string {
  const lt = nameAddr.indexOf('<');
  if (lt !== -1) {
    const gt = nameAddr.indexOf('>', lt);
    return nameAddr.slice(lt + 1, gt === -1 ? undefined : gt).trim();
  }
  const semi = nameAddr.indexOf(';');
  return (semi === -1 ? nameAddr : nameAddr.slice(0, semi)).trim();
}

/** Host and port of a sip/sips URI (port undefined when absent). */
export function hostPortOf(uri: string): { scheme: string; user?: string; host: string; port?: number; params: string } {
  const m = /^(sips?|tel):(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?>]+)(?::(\d+))?([^?>]*)/i.exec(uri.trim());
  if (!m) throw new ValidationError('ERR_DRACHTIO_URI', 'invalid SIP URI', { data: { uri } });
  return { scheme: m[1].toLowerCase(), user: m[2], host: m[3], port: m[4] ? Number(m[4]) : undefined, params: m[5] ?? '' };
}

/** Value of a URI parameter (e.g. `transport`), lower-cased. */
export function uriParam(uri: string, name: string): string | undefined {
  const re = new RegExp(`;\\s*${name}\\s*=\\s*([^;?>\\s]+)`, 'i');
  const m = re.exec(uri);
  return m ? m[1].toLowerCase() : undefined;
}

/** Replaces host and port of the URI in a name-addr/addr-spec (drachtio's `localhost` rewrite). */
export function replaceHostPort(nameAddr: string, host: string, port: number): string {
  return nameAddr.replace(/(sips?:(?:[^@;?>]*@)?)(\[[^\]]+\]|[^:;?>]+)(:\d+)?/i, `$1${host}:${port}`);
}

/** Splits a header value on commas outside quotes and angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let quoted = false;
  let cur = '';
  for (const ch of value) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === '<') depth++;
    else if (!quoted && ch === '>') depth--;
    if (ch === ',' && !quoted && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}
