import type { SipParseError } from '../errors.js';
import { canonicalHeaderKey } from './header-names.js';
import { DEFAULT_PARSE_LIMITS } from './parse-limits.js';
import type { SipRequest } from './sip-request.js';
import { SipResponse } from './sip-response.js';

/** Standard reason phrases (RFC 3261 §21 and common extensions). */
export const REASON_PHRASES: Readonly<Record<number, string>> = {
  100: 'Trying', 180: 'Ringing', 181: 'Call Is Being Forwarded', 182: 'Queued', 183: 'Session Progress',
  200: 'OK', 202: 'Accepted', 204: 'No Notification', 300: 'Multiple Choices', 301: 'Moved Permanently', 302: 'Moved Temporarily',
  305: 'Use Proxy', 380: 'Alternative Service', 400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable', 407: 'Proxy Authentication Required',
  408: 'Request Timeout', 410: 'Gone', 413: 'Request Entity Too Large', 414: 'Request-URI Too Long',
  415: 'Unsupported Media Type', 416: 'Unsupported URI Scheme', 420: 'Bad Extension', 421: 'Extension Required',
  423: 'Interval Too Brief', 480: 'Temporarily Unavailable', 481: 'Call/Transaction Does Not Exist',
  482: 'Loop Detected', 483: 'Too Many Hops', 484: 'Address Incomplete', 485: 'Ambiguous', 486: 'Busy Here',
  487: 'Request Terminated', 488: 'Not Acceptable Here', 491: 'Request Pending', 493: 'Undecipherable',
  500: 'Server Internal Error', 501: 'Not Implemented', 502: 'Bad Gateway', 503: 'Service Unavailable',
  504: 'Server Time-out', 505: 'Version Not Supported', 513: 'Message Too Large', 600: 'Busy Everywhere',
  603: 'Decline', 604: 'Does Not Exist Anywhere', 606: 'Not Acceptable',
};

/** Options of {@link createResponse}. */
export interface CreateResponseOptions {
  /** Reason phrase; default from {@link REASON_PHRASES}. */
  reason?: string;
  /** To tag to add when the request's To has none (ignored for 100, RFC 3261 §8.2.6.2). */
  toTag?: string;
  /** Extra headers appended in order. */
  headers?: Array<[string, string]>;
  /** Body bytes (or text, encoded as UTF-8). */
  body?: Buffer | string;
}

const COPIED = new Set(['via', 'from', 'to', 'call-id', 'cseq', 'record-route']);

/**
 * Builds a response to a request as RFC 3261 §8.2.6.2 says: Via (all, in order), From,
 * To (+ tag), Call-ID, CSeq copied; Timestamp copied for 100 (§8.2.6.1); Record-Route
 * copied for 18x/2xx of dialog-creating requests (§12.1.1). Header values are copied
 * verbatim so a malformed-but-readable request can still be answered.
 */
export function createResponse(req: SipRequest, status: number, options: CreateResponseOptions = {}): SipResponse {
  const res = new SipResponse(status, options.reason ?? REASON_PHRASES[status] ?? '');
  const dialogCreating = (req.method === 'INVITE' || req.method === 'SUBSCRIBE') && status > 100 && status < 300;
  for (const h of req.headers) {
    const key = canonicalHeaderKey(h.name);
    if (!COPIED.has(key)) {
      if (key === 'timestamp' && status === 100) res.add(h.name, h.value);
      continue;
    }
    if (key === 'record-route' && !dialogCreating) continue;
    if (key === 'to' && options.toTag && status !== 100 && !/;\s*tag\s*=/i.test(h.value)) {
      res.add(h.name, `${h.value};tag=${options.toTag}`);
      continue;
    }
    res.add(h.name, h.value);
  }
  for (const [name, value] of options.headers ?? []) res.add(name, value);
  if (options.body !== undefined) res.body = typeof options.body === 'string' ? Buffer.from(options.body, 'utf8') : options.body;
  return res;
}

/**
 * The response a UAS sends for a request that failed parsing or validation
 * (RFC 3261 §8.2 / §21.4: 400, 413, 416, 505 …), or undefined when the request cannot be
 * answered (a response, no partial message, or no Via to send it along) and must be dropped.
 * It is also dropped when the answer would itself break {@link DEFAULT_PARSE_LIMITS} (e.g. a
 * request at the header-count limit: its Vias plus the Content-Length added on serialize, or a
 * To header at the line-size limit before its tag is added).
 * Headers the request lacks (RFC 4475 §3.3.1: no From/To/Call-ID) are simply not copied.
 */
export function errorResponseFor(err: SipParseError): SipResponse | undefined {
  const req = err.partial;
  if (!req || !req.isRequest) return undefined;
  if (req.get('via') === undefined) return undefined;
  // a non-100 response carries a To tag (RFC 3261 §8.2.6.2; 32 random bits, §19.3)
  const toTag = Buffer.from(crypto.getRandomValues(new Uint8Array(4))).toString('hex');
  const res = createResponse(req as SipRequest, err.status, { reason: err.status === 400 ? `Bad Request - ${err.message}` : err.reason, toTag });
  if (res.headers.length + 1 > DEFAULT_PARSE_LIMITS.maxHeaders) return undefined;
  for (const h of res.headers) if (Buffer.byteLength(`${h.name}: ${h.value}`) > DEFAULT_PARSE_LIMITS.maxHeaderSize) return undefined;
  if (res.serialize().length > DEFAULT_PARSE_LIMITS.maxMessageSize) return undefined;
  return res;
}
