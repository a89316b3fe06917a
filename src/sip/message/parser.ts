import { SipParseError } from '../errors.js';
import { canonicalHeaderKey } from './header-names.js';
import { DEFAULT_PARSE_LIMITS, type ParseLimits } from './parse-limits.js';
import type { SipMessage, SipHeader } from './sip-message.js';
import { SipRequest } from './sip-request.js';
import { SipResponse } from './sip-response.js';
import { SipUri } from './sip-uri.js';
import { isToken } from './syntax.js';

/**
 * Options of {@link parseMessage}. Framing is datagram-style: a missing Content-Length
 * means "the rest of the buffer", octets after Content-Length are discarded (RFC 3261
 * §18.3, RFC 4475 §3.1.1.8), a Content-Length larger than the buffer is an error
 * (§3.1.2.2). Stream transports frame first with {@link StreamFramer}.
 */
export interface ParseOptions {
  /** Limits; defaults {@link DEFAULT_PARSE_LIMITS}. */
  limits?: Partial<ParseLimits>;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const LF2 = Buffer.from('\n\n');

/**
 * Finds the end of the header section. Returns `[headEnd, bodyStart]` or undefined.
 * Bare-LF line ends are tolerated (RFC 3261 §7.5 implementations SHOULD accept them).
 */
export function findHeaderEnd(buf: Buffer, from: number): [number, number] | undefined {
  const a = buf.indexOf(CRLF2, from);
  const b = buf.indexOf(LF2, from);
  if (a < 0 && b < 0) return undefined;
  if (b < 0 || (a >= 0 && a < b)) return [a, a + 4];
  return [b, b + 2];
}

/**
 * Parses one SIP message from bytes (RFC 3261 §7). Throws only {@link SipParseError}.
 * When the start line or a header is malformed but the header section could be read,
 * the error carries `partial` so that a 400 can still be built (RFC 4475 §3.1.2).
 *
 * Structural checks here: start line (single SP separators, token method, SIP/2.0
 * version → otherwise 505, status 100–699, Request-URI without `<>` or LWS), header
 * names are tokens, limits, Content-Length framing. Semantic checks of the mandatory
 * headers are done by {@link validateMessage}.
 */
export function parseMessage(buf: Buffer, options: ParseOptions = {}): SipRequest | SipResponse {
  const limits = fullLimits(options.limits);
  if (buf.length > limits.maxMessageSize) {
    const err = new SipParseError('ERR_SIP_TOO_LARGE', 'message too large', {
      status: 413, reason: 'Request Entity Too Large', data: { size: buf.length, limit: limits.maxMessageSize },
    });
    throw err;
  }
  let start = 0;
  while (start + 1 < buf.length && buf[start] === 0x0d && buf[start + 1] === 0x0a) start += 2;
  while (start < buf.length && buf[start] === 0x0a) start++;
  let end = findHeaderEnd(buf, start);
  // A datagram whose header section is closed only by the end of the datagram (last
  // line ends with CRLF/LF, but no empty line follows) is malformed, yet its headers can
  // be read, so the error is deferred and carries `partial` for a 400 (RFC 4475
  // Appendix A's baddn.dat is such a message).
  let unterminated: SipParseError | undefined;
  if (!end && buf.length > start && buf[buf.length - 1] === 0x0a) {
    const headEnd = buf.length - (buf.length - 2 >= start && buf[buf.length - 2] === 0x0d ? 2 : 1);
    end = [headEnd, buf.length];
    unterminated = new SipParseError('ERR_SIP_PARSE', 'no empty line after the header section');
  }
  if (!end) throw new SipParseError('ERR_SIP_PARSE', 'no empty line after the header section');
  const [headEnd, bodyStart] = end;
  const lines = buf.toString('utf8', start, headEnd).split(/\r?\n/);
  const startLine = lines[0];
  // Unfold continuation lines (RFC 3261 §7.3.1).
  const raw: string[] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if ((line[0] === ' ' || line[0] === '\t') && raw.length > 0) raw[raw.length - 1] = raw[raw.length - 1].trimEnd() + ' ' + line.trim();
    else if (line.length === 0) continue;
    else raw.push(line);
  }
  if (raw.length > limits.maxHeaders) {
    throw new SipParseError('ERR_SIP_HEADER_TOO_LARGE', 'too many headers', {
      status: 400, reason: 'Header Too Large', data: { count: raw.length, limit: limits.maxHeaders },
    });
  }
  let deferred: SipParseError | undefined = unterminated;
  const headers: SipHeader[] = [];
  for (const line of raw) {
    // UTF-8 needs at most 3 bytes per UTF-16 unit: count bytes only for lines that might be too long
    if (line.length * 3 > limits.maxHeaderSize && Buffer.byteLength(line) > limits.maxHeaderSize) {
      throw new SipParseError('ERR_SIP_HEADER_TOO_LARGE', 'header too large', {
        status: 400, reason: 'Header Too Large', data: { limit: limits.maxHeaderSize },
      });
    }
    const colon = line.indexOf(':');
    const name = colon < 0 ? '' : line.slice(0, colon).trimEnd();
    if (!isToken(name)) {
      deferred ??= new SipParseError('ERR_SIP_PARSE', 'malformed header line');
      continue;
    }
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }

  let msg: SipRequest | SipResponse;
  if (/^SIP\//i.test(startLine)) {
    const m = /^(SIP\/[0-9]+\.[0-9]+) ([0-9]{3})(?: (.*))?$/i.exec(startLine);
    if (!m) throw new SipParseError('ERR_SIP_PARSE', 'malformed status line');
    const status = Number(m[2]);
    if (status < 100 || status > 699) throw new SipParseError('ERR_SIP_PARSE', 'status code out of range', { data: { status } });
    if (m[1].toUpperCase() !== 'SIP/2.0') throw new SipParseError('ERR_SIP_VERSION', 'unsupported SIP version', { status: 505, reason: 'Version Not Supported' });
    msg = new SipResponse(status, m[3] ?? '', m[1]);
  } else {
    const parts = startLine.split(' ');
    msg = new SipRequest(parts[0] ?? '', parts[1] ?? '', parts[2] ?? 'SIP/2.0');
    if (parts.length !== 3 || !isToken(parts[0]) || parts[1].length === 0) {
      deferred = new SipParseError('ERR_SIP_PARSE', 'malformed request line');
    } else if (!/^SIP\/[0-9]+\.[0-9]+$/i.test(parts[2])) {
      deferred = new SipParseError('ERR_SIP_PARSE', 'malformed SIP version');
    } else if (parts[2].toUpperCase() !== 'SIP/2.0') {
      msg.version = 'SIP/2.0';
      deferred = new SipParseError('ERR_SIP_VERSION', 'unsupported SIP version', { status: 505, reason: 'Version Not Supported' });
    } else {
      try {
        SipUri.parse(parts[1]);
      } catch (e) {
        deferred = e instanceof SipParseError ? e : new SipParseError('ERR_SIP_PARSE', 'bad Request-URI');
      }
    }
  }
  msg.headers = headers;

  // Body framing (RFC 3261 §18.3, §20.14).
  const available = buf.length - bodyStart;
  const clValue = findContentLength(headers);
  let bodyLength = available;
  if (clValue !== undefined) {
    if (!/^[0-9]{1,10}$/.test(clValue)) {
      deferred ??= new SipParseError('ERR_SIP_PARSE', 'bad Content-Length', { data: { value: clValue } });
      bodyLength = 0;
    } else {
      const cl = Number(clValue);
      if (cl > available) {
        deferred ??= new SipParseError('ERR_SIP_PARSE', 'Content-Length larger than the message', { data: { contentLength: cl, available } });
        bodyLength = available;
      } else bodyLength = cl;
    }
  }
  msg.body = Buffer.from(buf.subarray(bodyStart, bodyStart + bodyLength));
  if (deferred) {
    if (msg.isRequest) deferred.partial = msg;
    throw deferred;
  }
  return msg;
}

/** The limits to apply: the defaults completed by `l` (no copy when `l` is already complete). */
function fullLimits(l: Partial<ParseLimits> | undefined): ParseLimits {
  if (l === undefined) return DEFAULT_PARSE_LIMITS;
  if (l.maxMessageSize !== undefined && l.maxHeaders !== undefined && l.maxHeaderSize !== undefined) return l as ParseLimits;
  return { ...DEFAULT_PARSE_LIMITS, ...l };
}

function findContentLength(headers: SipHeader[]): string | undefined {
  for (const h of headers) if (canonicalHeaderKey(h.name) === 'content-length') return h.value;
  return undefined;
}

/**
 * RFC 3261 §8.2 / §16.3 checks of the mandatory headers: exactly one From, To, Call-ID,
 * CSeq (number < 2**31, method equal to the request method), at least one Via (all
 * parseable), at most one Max-Forwards (0–255), consistent Content-Length, parseable
 * Contact values, and (requests) a Request-URI scheme the stack handles (else 416).
 * Throws {@link SipParseError} with `partial` set to the message.
 */
export function validateMessage(msg: SipMessage): void {
  try {
    validateInner(msg);
  } catch (e) {
    const err = e instanceof SipParseError ? e : new SipParseError('ERR_SIP_PARSE', 'invalid message', { cause: e });
    err.partial = msg;
    throw err;
  }
}

function validateInner(msg: SipMessage): void {
  // one pass over the headers for the counts (was one pass per header name)
  let from = 0;
  let to = 0;
  let callId = 0;
  let cseqs = 0;
  let maxForwards = 0;
  for (const h of msg.headers) {
    switch (canonicalHeaderKey(h.name)) {
      case 'from': from++; break;
      case 'to': to++; break;
      case 'call-id': callId++; break;
      case 'cseq': cseqs++; break;
      case 'max-forwards': maxForwards++; break;
      default: break;
    }
  }
  const counts: Array<[string, number]> = [['from', from], ['to', to], ['call-id', callId], ['cseq', cseqs]];
  for (const [name, n] of counts) {
    if (n !== 1) throw new SipParseError('ERR_SIP_PARSE', n === 0 ? `missing ${name}` : `more than one ${name}`);
  }
  if (maxForwards > 1) throw new SipParseError('ERR_SIP_PARSE', 'more than one Max-Forwards');
  const vias = msg.vias();
  if (vias.length === 0) throw new SipParseError('ERR_SIP_PARSE', 'missing Via');
  msg.from();
  msg.to();
  if (msg.callId.length === 0) throw new SipParseError('ERR_SIP_PARSE', 'empty Call-ID');
  const cseq = msg.cseq();
  void msg.maxForwards;
  const cls = msg.getAll('content-length');
  if (cls.some((v) => v !== cls[0])) throw new SipParseError('ERR_SIP_PARSE', 'conflicting Content-Length values');
  msg.contacts();
  if (msg instanceof SipRequest) {
    if (cseq.method !== msg.method) throw new SipParseError('ERR_SIP_PARSE', 'CSeq method does not match the request method');
    const uri = msg.requestUri();
    if (uri.scheme !== 'sip' && uri.scheme !== 'sips' && uri.scheme !== 'tel') {
      throw new SipParseError('ERR_SIP_URI_SCHEME', 'unsupported Request-URI scheme', { status: 416, reason: 'Unsupported URI Scheme' });
    }
  }
}
