/**
 * B-leg forking for the B2BUA: ringing several targets at once (RFC 3261 §16.6 done by a UAC:
 * one INVITE per target), hunting wave after wave (sequential ring groups, trunk failover), and
 * choosing the final response when every target failed (RFC 3261 §16.7 step 6).
 *
 * A "wave" is a set of B legs ringing together. Every leg of a wave gets the same SDP offer, so
 * a wave only holds legs of one media kind and one peer profile (the offer and the media
 * allocation depend on both); see {@link planRinging}.
 */
import { TandemError } from '../common/errors.js';
import type { Logger } from '../common/logger.js';
import type { CallPlan, CalleeLegPlan } from '../app/calls/plan-call.js';
import type { ProvisionalResponse, SentInvite, SessionDialog, SessionSrf, UacFailure } from './srf-types.js';

type OkPlan = Extract<CallPlan, { ok: true }>;

/** Legs ringing together, and how long they may ring before the next wave (0 = until they all fail). */
export interface RingWave {
  legs: CalleeLegPlan[];
  timeoutMs: number;
}

/** How a call's B legs are rung: waves in order, plus what the fork does between them. */
export interface RingingPlan {
  waves: RingWave[];
  /** Legs not rung: another media kind than the first target's (the call's media allocation serves one kind). */
  skipped: CalleeLegPlan[];
  /** Longest all waves together may ring, ms; 0 = no limit. */
  totalTimeoutMs: number;
  /**
   * `hunt`: the next wave is tried after any failure but a 6xx (ring groups, a user's contacts);
   * `failover`: only after 408, 480, 5xx (but 600) or no response (trunk addresses).
   */
  policy: 'hunt' | 'failover';
}

/**
 * Splits a plan's B legs into waves.
 * - Only legs of the first leg's media kind are rung (the media is allocated for that kind, e.g.
 *   a browser caller's WebRTC→RTP bridge); the others are returned in `skipped`.
 * - `parallel`: one wave per peer profile, in order of first appearance (usually one wave: a user's
 *   phones, or a group of desk phones, share a profile). No wave timeout; the group's overall
 *   timeout applies.
 * - `sequential` ring group: one wave per member (all its contacts together; split further by
 *   profile), each ringing `memberTimeoutMs`.
 * - `sequential` without a group (trunk failover): one wave per leg, no timeout.
 */
export function planRinging(plan: Pick<OkPlan, 'b' | 'fork' | 'ring'>): RingingPlan {
  const first = plan.b[0];
  const legs = first ? plan.b.filter((l) => l.kind === first.kind) : [];
  const skipped = first ? plan.b.filter((l) => l.kind !== first.kind) : [];
  const totalTimeoutMs = plan.ring?.totalTimeoutMs ?? 0;
  const byProfile = (ls: CalleeLegPlan[], timeoutMs: number): RingWave[] => {
    const waves: RingWave[] = [];
    for (const l of ls) {
      const w = waves.find((x) => x.legs[0]!.profile.name === l.profile.name);
      if (w) w.legs.push(l);
      else waves.push({ legs: [l], timeoutMs });
    }
    return waves;
  };
  if (plan.fork === 'parallel') return { waves: byProfile(legs, 0), skipped, totalTimeoutMs, policy: 'hunt' };
  if (!plan.ring) return { waves: legs.map((l) => ({ legs: [l], timeoutMs: 0 })), skipped, totalTimeoutMs, policy: 'failover' };
  const members: CalleeLegPlan[][] = [];
  for (const l of legs) {
    const last = members[members.length - 1];
    if (last && last[0]!.member === l.member) last.push(l);
    else members.push([l]);
  }
  const memberMs = plan.ring.memberTimeoutMs;
  return { waves: members.flatMap((m) => byProfile(m, memberMs)), skipped, totalTimeoutMs, policy: 'hunt' };
}

/** Rank of a failure inside 4xx: lower wins (see {@link selectFinalResponse}). */
function rank4xx(s: number): number {
  if (s === 486) return 0;
  if (s === 408 || s === 480 || s === 487) return 2;
  return 1;
}

/**
 * The final response for the caller when every forked leg failed (RFC 3261 §16.7 step 6, kept
 * simple): a 6xx wins (the first one); else a 4xx, preferring 486 Busy Here, then any other 4xx
 * (the first received: 404, 403, 488…), then no-answer kinds (480, 408, and 487 of legs Tandem
 * canceled itself) which become 480; else a 5xx (the first); else a 3xx (redirects are not
 * followed). `undefined` statuses (no response: transport failure) count as 503. Returns
 * `undefined` for an empty list.
 */
export function selectFinalResponse(statuses: ReadonlyArray<number | undefined>): number | undefined {
  const s = statuses.map((x) => (x === undefined || x < 300 ? 503 : x));
  const six = s.find((x) => x >= 600);
  if (six !== undefined) return six;
  const four = s.filter((x) => x >= 400 && x < 500);
  if (four.length > 0) {
    let best = four[0]!;
    for (const x of four) if (rank4xx(x) < rank4xx(best)) best = x;
    return rank4xx(best) === 2 ? 480 : best;
  }
  const five = s.find((x) => x >= 500);
  if (five !== undefined) return five;
  return s[0];
}

/**
 * Every leg of a wave (or of the whole fork) failed, the fork was canceled, or it ran out of time.
 * `status` is the final status chosen by {@link selectFinalResponse} (drachtio-srf's `SipError`
 * shape, so the session maps it like a single failed leg). Codes: `ERR_FORK_FAILED`,
 * `ERR_FORK_NO_ANSWER` (a wave's ring timeout), `ERR_FORK_TIMEOUT` (the overall timeout),
 * `ERR_FORK_CANCELED` (487).
 */
export class BLegForkError extends TandemError implements UacFailure {
  readonly status: number;
  constructor(code: string, message: string, status: number, data: Record<string, unknown> = {}) {
    super(code, message, { data: { ...data, status } });
    this.status = status;
  }
}

/** The time source of the fork's ring timers (injected so tests step time). */
export interface ForkClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: ForkClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Options of a {@link BLegFork}. */
export interface BLegForkOptions {
  srf: SessionSrf;
  /** The call's B-leg logger. */
  logger: Logger;
  /** From {@link RingingPlan.policy}. Default `hunt`. */
  policy?: RingingPlan['policy'];
  /** Longest all waves together may ring, ms; 0 or absent = no limit. */
  totalTimeoutMs?: number;
  /** Default: the real clock. */
  clock?: ForkClock;
}

/** The options `createUAC` gets for one leg (see `SessionSrf.createUAC`). */
export type UacOptions = Parameters<SessionSrf['createUAC']>[1];

/** The leg that answered first, with its confirmed dialog (ACKed by drachtio-srf). */
export interface ForkWinner {
  leg: CalleeLegPlan;
  dialog: SessionDialog;
}

interface Attempt {
  leg: CalleeLegPlan;
  req: SentInvite | null;
  done: boolean;
  cancel: string | null;
  cancelSent: boolean;
}

/** Reason headers (RFC 3326) on the CANCELs the fork sends. */
const CANCEL_REASON = {
  elsewhere: 'SIP;cause=200;text="Call completed elsewhere"',
  caller: 'SIP;cause=487;text="Request Terminated"',
  noAnswer: 'SIP;cause=480;text="No answer"',
  declined: 'SIP;cause=603;text="Declined"',
} as const;

/**
 * Rings B legs for one call. {@link ring} sends one INVITE per leg of a wave at once
 * (`createUAC`, keeping each sent request from `cbRequest` for CANCEL): the first 2xx wins and
 * the other pending legs get CANCEL (RFC 3261 §9.1; a 2xx that still arrives is ACKed by
 * drachtio-srf and gets BYE here); a 6xx cancels the other pending legs and ends the fork
 * (RFC 3261 §16.7 step 5); when all legs fail it rejects with the best final response.
 * Provisional responses: the first 18x without a body, and every 18x with a body (early media:
 * the session keeps the first it can use), reach `onProvisional`. {@link cancel} (CANCEL from
 * the caller, media failure) cancels every pending leg and stops further waves.
 */
export class BLegFork {
  private readonly clock: ForkClock;
  private readonly statuses: Array<number | undefined> = [];
  private canceled = false;
  private expired = false;
  private deadline: number | null = null;
  private relayedBare = false;
  private current: { cancel(reason: string): void } | null = null;

  constructor(private readonly opts: BLegForkOptions) {
    this.clock = opts.clock ?? realClock;
  }

  /** Every final status seen so far, all waves (undefined: no response). */
  get finals(): ReadonlyArray<number | undefined> {
    return this.statuses;
  }

  /**
   * Rings `legs` together. Resolves with the first leg that answers 2xx; rejects with a
   * {@link BLegForkError} when all fail, when `timeoutMs` (> 0) or the overall timeout passes
   * (pending legs get CANCEL), or when the fork is canceled.
   */
  ring(legs: readonly CalleeLegPlan[], uacOptions: (leg: CalleeLegPlan) => UacOptions,
    onProvisional: (leg: CalleeLegPlan, p: ProvisionalResponse) => void, opts: { timeoutMs?: number } = {}): Promise<ForkWinner> {
    const log = this.opts.logger;
    if (this.canceled) return Promise.reject(new BLegForkError('ERR_FORK_CANCELED', 'canceled', 487));
    const total = this.opts.totalTimeoutMs ?? 0;
    if (this.deadline === null && total > 0) this.deadline = this.clock.now() + total;
    const left = this.deadline === null ? Infinity : this.deadline - this.clock.now();
    if (left <= 0 || this.expired) {
      this.expired = true;
      return Promise.reject(new BLegForkError('ERR_FORK_TIMEOUT', 'ring timeout', selectFinalResponse([...this.statuses, 480])!));
    }
    if (legs.length === 0) return Promise.reject(new BLegForkError('ERR_FORK_FAILED', 'no target', 480));
    const waveMs = opts.timeoutMs !== undefined && opts.timeoutMs > 0 ? opts.timeoutMs : Infinity;
    const timerMs = Math.min(left, waveMs);
    return new Promise<ForkWinner>((resolve, reject) => {
      const attempts: Attempt[] = legs.map((leg) => ({ leg, req: null, done: false, cancel: null, cancelSent: false }));
      const wave: Array<number | undefined> = [];
      let settled = false;
      let timer: unknown = null;
      const settle = (): void => {
        settled = true;
        if (timer !== null) this.clock.clearTimeout(timer);
        timer = null;
        if (this.current === control) this.current = null;
      };
      const cancelPending = (reason: string): void => {
        for (const a of attempts) if (!a.done) this.cancelAttempt(a, reason);
      };
      const control = {
        cancel: (reason: string): void => {
          cancelPending(reason);
          if (settled) return;
          settle();
          reject(new BLegForkError('ERR_FORK_CANCELED', 'canceled', 487));
        },
      };
      this.current = control;
      const failIfAllDone = (): void => {
        if (settled || !attempts.every((a) => a.done)) return;
        settle();
        const status = selectFinalResponse(wave) ?? 480;
        reject(new BLegForkError('ERR_FORK_FAILED', `no target answered (${wave.map((s) => s ?? 'none').join(', ')})`, status, {
          wave: [...wave], sixxx: wave.some((s) => s !== undefined && s >= 600),
        }));
      };
      if (timerMs !== Infinity) {
        timer = this.clock.setTimeout(() => {
          timer = null;
          if (settled) return;
          const overall = this.deadline !== null && this.clock.now() >= this.deadline;
          if (overall) this.expired = true;
          log.info({ legs: attempts.filter((a) => !a.done).length, overall }, overall ? 'ring timeout: canceling the pending legs' : 'no answer in time: canceling the pending legs');
          cancelPending(CANCEL_REASON.noAnswer);
          this.statuses.push(480);
          wave.push(480);
          settle();
          reject(new BLegForkError(overall ? 'ERR_FORK_TIMEOUT' : 'ERR_FORK_NO_ANSWER', 'no answer', selectFinalResponse(wave)!, { wave: [...wave] }));
        }, timerMs);
      }
      for (const a of attempts) {
        const leg = a.leg;
        log.info({ uri: leg.uri, profile: leg.profile.name, ...(leg.member ? { member: leg.member } : {}), fork: attempts.length }, 'sending INVITE');
        let uac: Promise<SessionDialog>;
        try {
          uac = this.opts.srf.createUAC(leg.uri, uacOptions(leg), {
            cbRequest: (err, sent) => {
              if (err) return;
              a.req = sent;
              if (a.cancel !== null) this.cancelAttempt(a, a.cancel);
            },
            cbProvisional: (p) => {
              if (settled || a.done || p.status < 180) return;
              const withBody = p.body !== undefined && p.body.trim() !== '';
              if (!withBody) {
                if (this.relayedBare) return;
                this.relayedBare = true;
              }
              onProvisional(leg, p);
            },
          });
        } catch (err) {
          uac = Promise.reject(err);
        }
        uac.then((dialog) => {
          a.done = true;
          if (settled) {
            log.info({ uri: leg.uri }, 'late 2xx from a losing leg: BYE');
            dialog.destroy({ headers: { Reason: CANCEL_REASON.elsewhere } }).catch(() => undefined);
            return;
          }
          settle();
          log.info({ uri: leg.uri, ...(leg.member ? { member: leg.member } : {}) }, 'B leg answered');
          cancelPending(CANCEL_REASON.elsewhere);
          resolve({ leg, dialog });
        }, (err: unknown) => {
          a.done = true;
          const status = (err as UacFailure | undefined)?.status;
          const st = typeof status === 'number' ? status : undefined;
          if (!settled) {
            this.statuses.push(st);
            wave.push(st);
          }
          log.info({ uri: leg.uri, status: st, ...(st === undefined ? { err: err instanceof Error ? err.message : String(err) } : {}) }, 'B leg failed');
          if (!settled && st !== undefined && st >= 600) {
            // RFC 3261 §16.7 step 5: a 6xx ends the search; the other pending legs get CANCEL.
            cancelPending(CANCEL_REASON.declined);
            settle();
            reject(new BLegForkError('ERR_FORK_FAILED', `declined (${st})`, st, { wave: [...wave], sixxx: true }));
            return;
          }
          failIfAllDone();
        });
      }
    });
  }

  /** Cancels every pending leg and refuses further waves (CANCEL from the caller, media failure). Idempotent. */
  cancel(): void {
    this.canceled = true;
    this.current?.cancel(CANCEL_REASON.caller);
  }

  /** Whether the session may ring the next wave after `err` (a rejection of {@link ring}). */
  canTryNext(err: unknown): boolean {
    if (this.canceled || this.expired || !(err instanceof BLegForkError)) return false;
    if (err.code === 'ERR_FORK_CANCELED' || err.code === 'ERR_FORK_TIMEOUT') return false;
    if (err.data['sixxx'] === true || err.status >= 600) return false;
    if ((this.opts.policy ?? 'hunt') === 'hunt') return true;
    if (err.code === 'ERR_FORK_NO_ANSWER') return true;
    const wave = (err.data['wave'] as Array<number | undefined> | undefined) ?? [];
    return wave.every((s) => s === undefined || s === 408 || s === 480 || (s >= 500 && s !== 600));
  }

  /**
   * The error to fail the call with after the last wave: a {@link BLegForkError} carrying the best
   * final response of all waves (RFC 3261 §16.7); other errors unchanged.
   */
  finalError(last: unknown): unknown {
    if (!(last instanceof BLegForkError) || last.code === 'ERR_FORK_CANCELED') return last;
    const status = selectFinalResponse(this.statuses) ?? last.status;
    return new BLegForkError(last.code, last.message, status, { finals: [...this.statuses] });
  }

  private cancelAttempt(a: Attempt, reason: string): void {
    if (a.done || a.cancelSent) return;
    a.cancel = reason;
    const r = a.req;
    if (!r) return;
    a.cancelSent = true;
    this.opts.logger.info({ uri: a.leg.uri }, 'CANCEL');
    try {
      r.cancel({ headers: { Reason: reason } });
    } catch (err) {
      this.opts.logger.debug({ err: err instanceof Error ? err.message : String(err) }, 'CANCEL not sent');
    }
  }
}
