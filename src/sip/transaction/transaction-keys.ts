import type { SipRequest } from '../message/sip-request.js';
import type { SipResponse } from '../message/sip-response.js';

export { detachedString } from '../message/detached-string.js';

/** RFC 3261 magic cookie: branches starting with it are unique per transaction (§8.1.1.7). */
export const MAGIC_COOKIE = 'z9hG4bK';

function hasCookie(branch: string | undefined): branch is string {
  return branch !== undefined && branch.startsWith(MAGIC_COOKIE) && branch.length > MAGIC_COOKIE.length;
}

/**
 * Server transaction key (RFC 3261 §17.2.3). With an RFC 3261 branch: branch + sent-by +
 * method (ACK counts as INVITE; pass `asMethod` to look up the INVITE for a CANCEL).
 * Otherwise the RFC 2543 rule: Request-URI, From tag, Call-ID, CSeq number, method and
 * top Via — plus the To tag, except for INVITE/ACK whose To tag is checked separately.
 */
export function serverKey(req: SipRequest, asMethod?: string): string {
  const via = req.topVia();
  const method = asMethod ?? (req.method === 'ACK' ? 'INVITE' : req.method);
  const branch = via.branch;
  if (hasCookie(branch)) return `${branch}|${via.sentBy}|${method}`;
  const to = method === 'INVITE' ? '' : req.toTag() ?? '';
  return `2543|${req.uri}|${req.fromTag() ?? ''}|${req.callId}|${req.cseq().seq}|${method}|${via.toString()}|${to}`;
}

/** Client transaction key of a request we send: top Via branch + CSeq method (§17.1.3). */
export function clientKeyOfRequest(req: SipRequest): string {
  return `${req.topVia().branch ?? ''}|${req.cseq().method}`;
}

/** Client transaction key of a response: top Via branch + CSeq method (§17.1.3). */
export function clientKeyOfResponse(res: SipResponse): string {
  return `${res.topVia().branch ?? ''}|${res.cseq().method}`;
}

/** A random branch with the magic cookie. */
export function newBranch(): string {
  return MAGIC_COOKIE + randomToken(16);
}

const ALPHABET = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz', 'latin1');
/** Scratch for one token: written byte by byte, read once as a flat latin1 string. */
const tokenBuf = Buffer.alloc(256);
/** Random bytes drawn in blocks (one CSPRNG call per 4 KiB instead of one per token). */
const pool = new Uint8Array(4096);
let poolPos = pool.length;

/** A random token of `n` characters from [0-9a-z] (CSPRNG, bytes taken from a pooled block). */
export function randomToken(n = 10): string {
  const len = Math.min(Math.max(0, n | 0), tokenBuf.length);
  for (let i = 0; i < len; i++) {
    if (poolPos >= pool.length) {
      crypto.getRandomValues(pool);
      poolPos = 0;
    }
    tokenBuf[i] = ALPHABET[pool[poolPos++] % 36];
  }
  // one flat string (appending characters one by one built a 10–16 node cons-string tree)
  return tokenBuf.toString('latin1', 0, len);
}
