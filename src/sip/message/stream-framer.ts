import { SipParseError } from '../errors.js';
import { canonicalHeaderKey } from './header-names.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './parse-limits.js';
import { findHeaderEnd } from './parser.js';

/** What the framer found in the bytes. */
export type FramedItem = { kind: 'message'; bytes: Buffer } | { kind: 'ping' } | { kind: 'pong' };

/**
 * Frames SIP messages on a byte stream (TCP/TLS, RFC 3261 §18.3) by Content-Length
 * (missing Content-Length on a stream counts as 0). Recognizes the RFC 5626 §4.4.1
 * keep-alive: a CRLF CRLF between messages is a `ping` (answer with a single CRLF),
 * a lone CRLF is a `pong`.
 *
 * `push()` throws {@link SipParseError} when the stream can no longer be framed
 * (message over the limit, bad Content-Length); the connection must then be closed.
 */
export class StreamFramer {
  private buf: Buffer = Buffer.alloc(0);
  private readonly limits: ParseLimits;

  constructor(limits: Partial<ParseLimits> = {}) {
    this.limits = { ...DEFAULT_PARSE_LIMITS, ...limits };
  }

  /** Bytes buffered and not yet framed. */
  get pending(): number {
    return this.buf.length;
  }

  /** Adds bytes; returns every complete item in order. */
  push(chunk: Buffer): FramedItem[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: FramedItem[] = [];
    for (;;) {
      // keep-alives between messages (RFC 5626 §4.4.1)
      if (this.buf[0] === 0x0d || this.buf[0] === 0x0a) {
        let i = 0;
        let pairs = 0;
        while (i < this.buf.length && (this.buf[i] === 0x0d || this.buf[i] === 0x0a)) {
          if (this.buf[i] === 0x0d && this.buf[i + 1] === 0x0a) {
            pairs++;
            i += 2;
          } else if (this.buf[i] === 0x0d && i + 1 === this.buf.length) break; // lone CR: wait
          else i++;
        }
        if (i === 0) break;
        if (pairs >= 2) out.push({ kind: 'ping' });
        else if (pairs === 1) out.push({ kind: 'pong' });
        this.buf = this.buf.subarray(i);
        if (this.buf.length > 0 && this.buf[0] === 0x0d) break;
      }
      if (this.buf.length === 0) break;
      const end = findHeaderEnd(this.buf, 0);
      if (!end) {
        if (this.buf.length > this.limits.maxMessageSize) {
          throw new SipParseError('ERR_SIP_TOO_LARGE', 'header section too large on stream', { status: 413, reason: 'Request Entity Too Large' });
        }
        break;
      }
      const [headEnd, bodyStart] = end;
      const cl = contentLength(this.buf.toString('latin1', 0, headEnd));
      if (cl === null) throw new SipParseError('ERR_SIP_PARSE', 'bad Content-Length on stream');
      const total = bodyStart + cl;
      if (total > this.limits.maxMessageSize) {
        throw new SipParseError('ERR_SIP_TOO_LARGE', 'message too large on stream', { status: 413, reason: 'Request Entity Too Large' });
      }
      if (this.buf.length < total) break;
      out.push({ kind: 'message', bytes: Buffer.from(this.buf.subarray(0, total)) });
      this.buf = this.buf.subarray(total);
    }
    if (this.buf.length === 0) this.buf = Buffer.alloc(0);
    return out;
  }
}

function contentLength(head: string): number | null {
  const lines = head.split(/\r?\n/);
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    if (canonicalHeaderKey(line.slice(0, colon).trim()) !== 'content-length') continue;
    const v = line.slice(colon + 1).trim();
    return /^[0-9]{1,10}$/.test(v) ? Number(v) : null;
  }
  return 0;
}
