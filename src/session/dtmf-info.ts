import { SessionError } from './session-errors.js';

/**
 * One DTMF digit carried by a SIP INFO request (RFC 6086 framework; bodies
 * `application/dtmf-relay` — `Signal=5\r\nDuration=160` — and `application/dtmf`
 * — the bare digit). `event` is the RFC 4733 §3.2 event code (0–9, `*` 10,
 * `#` 11, `A`–`D` 12–15), `durationMs` the tone duration in milliseconds.
 */
export interface DtmfInfoDigit {
  digit: string;
  event: number;
  durationMs: number;
}

/** Duration used when an INFO body has none (`application/dtmf`, or dtmf-relay without `Duration=`). */
export const DEFAULT_INFO_DTMF_MS = 250;
/** Longest duration accepted from an INFO body; longer values are clamped (RFC 4733 §2.5.2.3 splits longer events). */
export const MAX_INFO_DTMF_MS = 8000;

const DIGITS = '0123456789*#ABCD';

/** RFC 4733 §3.2 event code of a DTMF digit (case-insensitive `a`–`d`), or -1. */
export function dtmfEventOf(digit: string): number {
  return digit.length === 1 ? DIGITS.indexOf(digit.toUpperCase()) : -1;
}

/** The DTMF digit of an RFC 4733 event code 0–15, or null. */
export function dtmfDigitOf(event: number): string | null {
  return Number.isInteger(event) && event >= 0 && event < 16 ? DIGITS[event]! : null;
}

function bad(reason: string): SessionError {
  return new SessionError('ERR_SESSION_DTMF_INFO', reason, { data: { sipStatus: 400, warning: reason } });
}

/** A digit from a `Signal=` value: the digit itself, or its event number (`10` = `*`, `11` = `#`, as some phones send). */
function signalDigit(v: string): DtmfInfoDigit['event'] {
  if (/^\d{1,2}$/.test(v)) {
    const n = Number(v);
    if (n < 16) return n;
  }
  const e = dtmfEventOf(v);
  if (e < 0) throw bad(`unknown DTMF signal "${v.slice(0, 8)}"`);
  return e;
}

/**
 * Parses the body of a SIP INFO carrying DTMF. Returns null when `contentType` is not a DTMF
 * type (the caller answers 415, RFC 6086 §4.2.2 / RFC 3261 §21.4.16); throws a `SessionError`
 * `ERR_SESSION_DTMF_INFO` (`sipStatus` 400) for a DTMF body it cannot read.
 */
export function parseDtmfInfo(contentType: string | undefined, body: string): DtmfInfoDigit | null {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type === 'application/dtmf') {
    const v = body.trim();
    if (v.length === 0) throw bad('empty application/dtmf body');
    const event = signalDigit(v);
    return { digit: dtmfDigitOf(event)!, event, durationMs: DEFAULT_INFO_DTMF_MS };
  }
  if (type !== 'application/dtmf-relay') return null;
  let event = -1;
  let durationMs = DEFAULT_INFO_DTMF_MS;
  for (const line of body.split(/\r?\n/)) {
    const i = line.indexOf('=');
    if (i < 0) continue;
    const k = line.slice(0, i).trim().toLowerCase();
    const v = line.slice(i + 1).trim();
    if (k === 'signal') event = signalDigit(v);
    else if (k === 'duration') {
      if (!/^\d{1,6}$/.test(v)) throw bad('bad Duration in dtmf-relay body');
      durationMs = Math.min(Number(v), MAX_INFO_DTMF_MS);
    }
  }
  if (event < 0) throw bad('dtmf-relay body without Signal');
  if (durationMs <= 0) durationMs = DEFAULT_INFO_DTMF_MS;
  return { digit: dtmfDigitOf(event)!, event, durationMs };
}

/** The `application/dtmf-relay` body for an RFC 4733 event of `durationMs` milliseconds: `Signal=5\r\nDuration=160\r\n`. */
export function formatDtmfRelay(event: number, durationMs: number): string {
  const digit = dtmfDigitOf(event);
  if (digit === null) throw new SessionError('ERR_SESSION_DTMF_INFO', `no DTMF digit for event ${event}`, { data: { event } });
  return `Signal=${digit}\r\nDuration=${Math.max(0, Math.round(durationMs))}\r\n`;
}
