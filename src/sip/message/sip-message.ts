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
    return this.getAll('via').map((v) => Via.parse(v));
  }

  /** The top Via; parse error when missing. */
  topVia(): Via {
    const v = this.getAll('via')[0];
    if (v === undefined) fail('missing Via');
    return Via.parse(v);
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
    return NameAddr.parse(this.required('from'));
  }

  /** To (RFC 3261 §20.39). */
  to(): NameAddr {
    return NameAddr.parse(this.required('to'));
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

  /** The serialized message as text (body decoded as UTF-8). */
  toString(): string {
    return this.serialize().toString('utf8');
  }
}
