/**
 * RFC 4028 (SIP session timers): the `Session-Expires` / `Min-SE` header values and the
 * choice a UAS makes when it answers an offer (§9). Pure functions, no I/O.
 */
import { ValidationError } from '../common/errors.js';
import { splitList } from './sip-text.js';

/** Who refreshes the session, in the terms of the request that negotiated it (RFC 4028 §4). */
export type Refresher = 'uac' | 'uas';

/** A parsed `Session-Expires` value (RFC 4028 §4). */
export interface SessionExpiresValue {
  /** Session interval, seconds. */
  deltaSeconds: number;
  /** The `refresher` parameter, when present with a valid value. */
  refresher?: Refresher;
}

/** The smallest session interval RFC 4028 allows anyone to demand (§4, §5: 90 s). */
export const RFC4028_MIN_SE = 90;

/** Longest interval a timer is run for: Node timers hold at most 2^31-1 ms (~24.8 days). */
export const MAX_TIMER_INTERVAL_SECONDS = Math.floor((2 ** 31 - 1) / 1000);

const DELTA = /^\d{1,10}$/;

function deltaOf(text: string, header: string): number {
  const t = text.trim();
  if (!DELTA.test(t)) throw new ValidationError('ERR_SIP_SESSION_TIMER_HEADER', `malformed ${header}`, { data: { value: text } });
  return Number(t);
}

/**
 * Parses `delta-seconds *(SEMI se-params)` (RFC 4028 §4). A `refresher` other than `uac` /
 * `uas` is ignored like any generic parameter. Throws `ValidationError`
 * (`ERR_SIP_SESSION_TIMER_HEADER`) when the delta is not a number.
 */
export function parseSessionExpires(value: string): SessionExpiresValue {
  const [delta, ...params] = value.split(';');
  const out: SessionExpiresValue = { deltaSeconds: deltaOf(delta, 'Session-Expires') };
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    if (p.slice(0, eq).trim().toLowerCase() !== 'refresher') continue;
    const r = p.slice(eq + 1).trim().toLowerCase();
    if (r === 'uac' || r === 'uas') out.refresher = r;
  }
  return out;
}

/** Parses `Min-SE: delta-seconds *(SEMI generic-param)` (RFC 4028 §5). Throws like {@link parseSessionExpires}. */
export function parseMinSE(value: string): number {
  return deltaOf(value.split(';')[0], 'Min-SE');
}

/** `1800;refresher=uac`. */
export function formatSessionExpires(deltaSeconds: number, refresher: Refresher): string {
  return `${deltaSeconds};refresher=${refresher}`;
}

/** True when an option-tag list (Supported / Require header lines) names `tag` (case-insensitive). */
export function hasOptionTag(lines: readonly string[], tag: string): boolean {
  const want = tag.toLowerCase();
  return lines.some((line) => splitList(line).some((t) => t.trim().toLowerCase() === want));
}

/** The UAS's policy for offers (see {@link negotiateAsUas}). */
export interface UasSessionTimerPolicy {
  /** Our minimum interval, seconds (≥ 90). Shorter offers are refused with 422. */
  minSE: number;
  /**
   * Refresher when the offer names none: `uac` (the UAC refreshes when it supports timer, else
   * we do), `uas` (we refresh), `none` (run no session timer for such offers).
   */
  defaultRefresher: Refresher | 'none';
}

/** What the UAC's request says about session timers. */
export interface UasOffer {
  sessionExpires?: SessionExpiresValue;
  /** `Min-SE` of the request, seconds. */
  minSE?: number;
  /** The request lists `timer` in Supported (or Require). */
  uacSupportsTimer: boolean;
  /**
   * For a refresh inside a dialog: the side refreshing so far, in the terms of this request
   * (`uac` = the sender of this request). Kept when the request names no refresher.
   */
  current?: Refresher;
}

/** The UAS's decision for a request (RFC 4028 §9). */
export type UasDecision =
  | { kind: 'none' }
  | { kind: 'reject'; minSE: number }
  | { kind: 'accept'; intervalSeconds: number; refresher: Refresher; requireTimer: boolean };

/**
 * RFC 4028 §9 for a UAS answering a request: no `Session-Expires` → no timer; an interval
 * below our minimum → reject with 422 and our `Min-SE` (§6); otherwise accept the interval
 * unchanged (a UAS must not raise it), keep the UAC's refresher, or choose one when it named
 * none: `uas` when the UAC did not say `Supported: timer` (it could not refresh), else the
 * current refresher of the dialog, else the policy's default. `Require: timer` goes into the
 * 2xx whenever the UAC supports timer or is the refresher (§9).
 */
export function negotiateAsUas(offer: UasOffer, policy: UasSessionTimerPolicy): UasDecision {
  const se = offer.sessionExpires;
  if (!se) return { kind: 'none' };
  const ourMin = Math.max(RFC4028_MIN_SE, policy.minSE);
  if (se.deltaSeconds < ourMin) return { kind: 'reject', minSE: ourMin };
  let refresher: Refresher;
  if (se.refresher) refresher = se.refresher;
  else if (!offer.current && policy.defaultRefresher === 'none') return { kind: 'none' };
  else if (!offer.uacSupportsTimer) refresher = 'uas';
  else refresher = offer.current ?? (policy.defaultRefresher === 'none' ? 'uas' : policy.defaultRefresher);
  return { kind: 'accept', intervalSeconds: se.deltaSeconds, refresher, requireTimer: offer.uacSupportsTimer || refresher === 'uac' };
}

/** When the refresher sends its refresh: half the interval (RFC 4028 §10), ms. */
export function refreshDelayMs(intervalSeconds: number): number {
  return Math.round(intervalSeconds * 500);
}

/**
 * When the other side gives up on a session that was not refreshed: the interval minus
 * min(32 s, interval/3) (RFC 4028 §10), ms.
 */
export function expiryDelayMs(intervalSeconds: number): number {
  return Math.round((intervalSeconds - Math.min(32, intervalSeconds / 3)) * 1000);
}
