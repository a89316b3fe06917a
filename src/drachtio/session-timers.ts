import type { AppDialog, DialogSessionTimer } from './dialog-store.js';
import {
  MAX_TIMER_INTERVAL_SECONDS, RFC4028_MIN_SE, expiryDelayMs, hasOptionTag, parseMinSE, parseSessionExpires, refreshDelayMs,
  type Refresher, type UasOffer, type UasSessionTimerPolicy,
} from './session-expires.js';
import type { DrachtioClock } from './sip-core.js';
import type { SipText } from './sip-text.js';

/** Session timer settings of the embedded drachtio server (RFC 4028). */
export interface SessionTimerOptions {
  /**
   * Our minimum session interval, seconds (RFC 4028 §5). Offers below it get 422 with this
   * `Min-SE`; it is also the `Min-SE` of our refreshes. Values under 90 are raised to 90.
   * Default 90 (drachtio-server's fixed value).
   */
  minSE?: number;
  /**
   * Refresher chosen when a UAC offers `Session-Expires` without a `refresher` parameter
   * (RFC 4028 §9): `uac` (default) — the UAC refreshes when it says `Supported: timer`, else we
   * do; `uas` — we refresh; `none` — no session timer for such offers (drachtio-server's
   * default, `sip.session-timers.default-refresher`).
   */
  defaultRefresher?: Refresher | 'none';
  /** Time source for the session timers; default the server's clock (tests step it). */
  clock?: DrachtioClock;
}

/** What the timers call when they fire. */
export interface SessionTimerHandlers {
  /** We are the refresher and half the interval has passed: send the refresh. */
  refresh(d: AppDialog): void;
  /** The peer is the refresher and no refresh came in time: end the dialog. */
  expire(d: AppDialog): void;
}

/**
 * Runs the RFC 4028 timer of each confirmed INVITE dialog on an injected clock: as the
 * refresher it calls {@link SessionTimerHandlers.refresh} at half the interval (§10); otherwise
 * {@link SessionTimerHandlers.expire} at the interval minus min(32 s, interval/3) (§10).
 * Every 2xx to an INVITE/UPDATE inside the dialog re-arms it ({@link arm}); removing the dialog
 * must {@link disarm} it, so no timer outlives its dialog.
 */
export class SessionTimers {
  readonly policy: UasSessionTimerPolicy;
  private readonly clock: DrachtioClock;
  private readonly handlers: SessionTimerHandlers;

  constructor(options: SessionTimerOptions & { clock: DrachtioClock }, handlers: SessionTimerHandlers) {
    this.policy = {
      minSE: Math.max(RFC4028_MIN_SE, Math.floor(options.minSE ?? RFC4028_MIN_SE)),
      defaultRefresher: options.defaultRefresher ?? 'uac',
    };
    this.clock = options.clock;
    this.handlers = handlers;
  }

  /**
   * The session-timer part of a request a UAS answers. Throws `ValidationError`
   * (`ERR_SIP_SESSION_TIMER_HEADER`) for a malformed Session-Expires or Min-SE.
   * `d` (a dialog being refreshed) supplies the current refresher.
   */
  static offerOf(req: SipText, d?: AppDialog): UasOffer {
    const se = req.get('session-expires');
    const minSE = req.get('min-se');
    const offer: UasOffer = {
      uacSupportsTimer: hasOptionTag(req.getAll('supported'), 'timer') || hasOptionTag(req.getAll('require'), 'timer'),
    };
    if (se !== undefined) offer.sessionExpires = parseSessionExpires(se);
    if (minSE !== undefined) offer.minSE = parseMinSE(minSE);
    const t = d?.sessionTimer;
    // the sender of a request inside the dialog is its UAC: it refreshed if the peer did
    if (t) offer.current = t.weRefresh ? 'uas' : 'uac';
    return offer;
  }

  /** True when the dialog's timer is running (or its refresh is in flight). */
  static active(d: AppDialog): boolean {
    return d.sessionTimer !== undefined;
  }

  /**
   * (Re)starts the dialog's timer: a refresh is due at half the interval when `weRefresh`,
   * else the session expires at interval − min(32, interval/3). Intervals too long for a
   * timer run none (the session then never expires on our side).
   */
  arm(d: AppDialog, intervalSeconds: number, weRefresh: boolean, peerMinSE?: number): void {
    this.disarm(d);
    if (!(intervalSeconds > 0) || intervalSeconds > MAX_TIMER_INTERVAL_SECONDS) return;
    const minSE = Math.min(intervalSeconds, Math.max(this.policy.minSE, peerMinSE ?? 0));
    const delay = weRefresh ? refreshDelayMs(intervalSeconds) : expiryDelayMs(intervalSeconds);
    const state: DialogSessionTimer = { intervalSeconds, weRefresh, minSE, handle: undefined, glareRetries: 0 };
    d.sessionTimer = state;
    state.handle = this.clock.setTimeout(() => this.fire(d, state), delay);
  }

  /** Re-tries a refresh after `ms` (a glare 491, or another INVITE transaction in progress). */
  retry(d: AppDialog, ms: number): void {
    const state = d.sessionTimer;
    if (!state) return;
    if (state.handle !== undefined) this.clock.clearTimeout(state.handle);
    state.handle = this.clock.setTimeout(() => this.fire(d, state), ms);
  }

  /** Stops the dialog's timer (idempotent). */
  disarm(d: AppDialog): void {
    const state = d.sessionTimer;
    if (!state) return;
    if (state.handle !== undefined) this.clock.clearTimeout(state.handle);
    state.handle = undefined;
    d.sessionTimer = undefined;
  }

  private fire(d: AppDialog, state: DialogSessionTimer): void {
    state.handle = undefined;
    if (d.sessionTimer !== state) return;
    if (state.weRefresh) this.handlers.refresh(d);
    else this.handlers.expire(d);
  }
}
