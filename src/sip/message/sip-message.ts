import { detachedString } from './detached-string.js';
import { canonicalHeaderKey, isListHeader } from './header-names.js';
import { NameAddr } from './name-addr.js';
import { fail, splitList } from './syntax.js';
import { Via } from './via.js';

/** One header line: the name as received (case and compact form kept) and its unfolded value. */
export interface SipHeader {
  name: string;
  value: string;
}

/** Where a message came from; set by the transport layer on every inbound message. */
export interface InboundInfo {
  /** Transport the message arrived on. */
  transport: TransportName;
  /** Connection / flow id: responses and later requests sent with it go back the same way. */
  flowId: string;
  remoteAddress: string;
  remotePort: number;
  localAddress: string;
  localPort: number;
}

/** Transports the stack speaks. */
export type TransportName = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

const EMPTY = Buffer.alloc(0);

/**
 * Common part of requests and responses (RFC 3261 §7): ordered headers with lookup by
 * canonical name (case-insensitive, compact forms equal long forms), and a byte body.
 */
export abstract class SipMessage {
  /** Headers in wire order. */
  headers: SipHeader[] = [];
  /** Body bytes (never decoded). */
  body: Buffer = EMPTY;
  /** Set by the transport layer on inbound messages. */
  inbound: InboundInfo | undefined;
  /**
   * Set `captureWire = true` before sending to have the transport layer keep the bytes it
   * serialises in {@link wire} (not copied by `clone`). Lets a caller that reports what was
   * sent (the drachtio layer's `Msg sent:` echo) skip a second {@link serialize}. Off by
   * default: messages live as long as their transactions (up to 64*T1), and keeping every
   * sent message's bytes (and the 8 KiB pool slabs they sit in) would grow the heap. The
   * bytes go stale if the message is changed afterwards: read them right after the send,
   * then clear both fields.
   */
  captureWire = false;
  /** The bytes of the last send while {@link captureWire} was set. */
  wire: Buffer | undefined;
  /**
   * Parse memos keyed by the exact header text they were parsed from, so the transport,
   * transaction and UA layers that each look at the top Via and the From/To tags of the
   * same message parse them once (a changed header no longer matches its key and is parsed
   * again). Callers still get fresh objects: a memoised Via is handed out as a clone.
   */
  #viaMemo: { raw: string; via: Via } | undefined;
  #fromMemo: { raw: string; tag: string | undefined } | undefined;
  #toMemo: { raw: string; tag: string | undefined } | undefined;

  /** The start line without CRLF. */
  abstract startLine(): string;
  /** True for requests. */
  abstract readonly isRequest: boolean;

  /** First value of a header (the whole line value; lists are not split). */
  get(name: string): string | undefined {
    const key = canonicalHeaderKey(name);
    for (const h of this.headers) if (canonicalHeaderKey(h.name) === key) return h.value;
    return undefined;
  }

  /** True when the header is present. */
  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /**
   * All values of a header in order. For list headers (Via, Contact, Route, …) comma-separated
   * values on one line are split (not inside quotes or `<>`); other headers give one value per line.
   */
  getAll(name: string): string[] {
    const key = canonicalHeaderKey(name);
    const split = isListHeader(key);
    const out: string[] = [];
    for (const h of this.headers) {
      if (canonicalHeaderKey(h.name) !== key) continue;
      if (split) out.push(...splitList(h.value));
      else out.push(h.value);
    }
    return out;
  }

  /** Appends a header line. */
  add(name: string, value: string): this {
    this.headers.push({ name, value });
    return this;
  }

  /** Inserts a header line before all others of the same name (or first overall if none). */
  prepend(name: string, value: string): this {
    const key = canonicalHeaderKey(name);
    const idx = this.headers.findIndex((h) => canonicalHeaderKey(h.name) === key);
    this.headers.splice(idx < 0 ? 0 : idx, 0, { name, value });
    return this;
  }

  /** Replaces all lines of a header by one line at the position of the first (or appends). */
  set(name: string, value: string): this {
    const key = canonicalHeaderKey(name);
    const idx = this.headers.findIndex((h) => canonicalHeaderKey(h.name) === key);
    if (idx < 0) return this.add(name, value);
    this.headers[idx] = { name: this.headers[idx].name, value };
    this.headers = this.headers.filter((h, i) => i === idx || canonicalHeaderKey(h.name) !== key);
    return this;
  }

  /** Removes every line of a header. */
  remove(name: string): this {
    const key = canonicalHeaderKey(name);
    this.headers = this.headers.filter((h) => canonicalHeaderKey(h.name) !== key);
    return this;
  }

  /** All Via values, top first (RFC 3261 §20.42). */
  vias(): Via[] {
    const raw = this.getAll('via');
    const out = raw.map((v) => Via.parse(v));
    if (out.length > 0) this.#viaMemo = { raw: raw[0], via: out[0].clone() };
    return out;
  }

  /** The top Via; parse error when missing. */
  topVia(): Via {
    const v = this.firstVia();
    if (v === undefined) fail('missing Via');
    const m = this.#viaMemo;
    if (m !== undefined && m.raw === v) return m.via.clone();
    const via = Via.parse(v);
    this.#viaMemo = { raw: v, via: via.clone() };
    return via;
  }

  /** `getAll('via')[0]` without splitting every Via line. */
  private firstVia(): string | undefined {
    for (const h of this.headers) {
      if (canonicalHeaderKey(h.name) !== 'via') continue;
      const v = h.value;
      return v.indexOf(',') < 0 ? v.trim() : splitList(v)[0];
    }
    return undefined;
  }

  /** Replaces the top Via value (splitting a comma-joined first line if needed). */
  setTopVia(via: Via): void {
    const idx = this.headers.findIndex((h) => canonicalHeaderKey(h.name) === 'via');
    if (idx < 0) {
      this.prepend('Via', via.toString());
      return;
    }
    const parts = splitList(this.headers[idx].value);
    parts[0] = via.toString();
    this.headers[idx] = { name: this.headers[idx].name, value: parts.join(', ') };
    const raw = this.firstVia();
    if (raw !== undefined) this.#viaMemo = { raw, via: via.clone() };
  }

  /** Removes the top Via value (a proxy or UAC receiving a response, RFC 3261 §18.1.2). */
  removeTopVia(): void {
    const idx = this.headers.findIndex((h) => canonicalHeaderKey(h.name) === 'via');
    if (idx < 0) return;
    const parts = splitList(this.headers[idx].value);
    if (parts.length <= 1) this.headers.splice(idx, 1);
    else this.headers[idx] = { name: this.headers[idx].name, value: parts.slice(1).join(', ') };
  }

  /** From (RFC 3261 §20.20). */
  from(): NameAddr {
    const raw = this.required('from');
    const na = NameAddr.parse(raw);
    this.#fromMemo = { raw, tag: na.tag };
    return na;
  }

  /** To (RFC 3261 §20.39). */
  to(): NameAddr {
    const raw = this.required('to');
    const na = NameAddr.parse(raw);
    this.#toMemo = { raw, tag: na.tag };
    return na;
  }

  /** `from().tag`, parsed once per From value (same errors as {@link from}). */
  fromTag(): string | undefined {
    const raw = this.required('from');
    const m = this.#fromMemo;
    return m !== undefined && m.raw === raw ? m.tag : this.from().tag;
  }

  /** `to().tag`, parsed once per To value (same errors as {@link to}). */
  toTag(): string | undefined {
    const raw = this.required('to');
    const m = this.#toMemo;
    return m !== undefined && m.raw === raw ? m.tag : this.to().tag;
  }

  /** Call-ID (RFC 3261 §20.8). */
  get callId(): string {
    return this.required('call-id');
  }

  /** CSeq number and method (RFC 3261 §20.16); sequence must be < 2**31. */
  cseq(): { seq: number; method: string } {
    const v = this.required('cseq');
    const m = /^([0-9]{1,10})[ \t]+([^ \t]+)$/.exec(v);
    if (!m) fail('bad CSeq', { cseq: v });
    const seq = Number(m[1]);
    if (seq > 0x7fffffff) fail('CSeq number out of range', { cseq: v });
    return { seq, method: m[2] };
  }

  /** Contact values (RFC 3261 §20.10). */
  contacts(): NameAddr[] {
    return this.getAll('contact').map((c) => NameAddr.parse(c));
  }

  /** Record-Route values in order. */
  recordRoutes(): NameAddr[] {
    return this.getAll('record-route').map((c) => NameAddr.parse(c));
  }

  /** Route values in order. */
  routes(): NameAddr[] {
    return this.getAll('route').map((c) => NameAddr.parse(c));
  }

  /** Max-Forwards (0–255), undefined when absent. */
  get maxForwards(): number | undefined {
    const v = this.get('max-forwards');
    if (v === undefined) return undefined;
    if (!/^[0-9]{1,10}$/.test(v) || Number(v) > 255) fail('bad Max-Forwards', { value: v });
    return Number(v);
  }

  /** The value of a header that must be present; parse error otherwise. */
  protected required(name: string): string {
    const v = this.get(name);
    if (v === undefined) fail(`missing ${name}`);
    return v;
  }

  /**
   * Serializes the message: start line, headers in order with their stored names,
   * Content-Length set to the body length (in place of the first Content-Length line,
   * duplicates dropped, appended if absent), empty line, body.
   */
  serialize(): Buffer {
    let head = this.startLine() + '\r\n';
    let clWritten = false;
    for (const h of this.headers) {
      if (canonicalHeaderKey(h.name) === 'content-length') {
        if (clWritten) continue;
        clWritten = true;
        head += `${h.name}: ${this.body.length}\r\n`;
        continue;
      }
      head += `${h.name}: ${h.value}\r\n`;
    }
    if (!clWritten) head += `Content-Length: ${this.body.length}\r\n`;
    head += '\r\n';
    const headBuf = Buffer.from(head, 'utf8');
    return this.body.length === 0 ? headBuf : Buffer.concat([headBuf, this.body]);
  }

  /**
   * Makes the message stop sharing memory with the text it was parsed from: every header
   * value becomes its own flat string and the parse memos are dropped. For messages kept
   * long after the call moved on (a final response a Completed transaction resends).
   */
  detachStrings(): void {
    for (const h of this.headers) {
      h.name = detachedString(h.name);
      h.value = detachedString(h.value);
    }
    this.#viaMemo = undefined;
    this.#fromMemo = undefined;
    this.#toMemo = undefined;
  }

  /** The serialized message as text (body decoded as UTF-8). */
  toString(): string {
    return this.serialize().toString('utf8');
  }
}
