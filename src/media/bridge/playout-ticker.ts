import type { MediaClock, MediaTimer } from '../clock.js';

/**
 * One repeating playout timer per (clock, period), shared by every
 * transcoding direction of a thread. A timer per direction (two per call,
 * every 5 ms) made each worker's event loop wake up about once per
 * millisecond with a handful of timers and `setImmediate`s each time; one
 * shared timer wakes it once per period and drains every direction in one
 * deferred pass (`clock.defer`, so socket reads queued during a stall are
 * taken in first). Each direction's tick decides from `clock.now()` what is
 * due, so the common phase changes nothing in the audio.
 *
 * The timer exists only while at least one direction is subscribed, so
 * closing the last direction leaves no timer behind. A subscriber that
 * throws is counted in `errors` and does not stop the others.
 */
export class PlayoutTicker {
  private static readonly byClock = new WeakMap<MediaClock, Map<number, PlayoutTicker>>();
  /** Exceptions thrown by subscribers (caught, counted). */
  errors = 0;
  private readonly subs = new Set<() => void>();
  private timer: MediaTimer | null = null;
  private readonly fire: () => void;
  private readonly run: () => void;

  private constructor(private readonly clock: MediaClock, private readonly periodMs: number) {
    this.run = (): void => {
      for (const fn of this.subs) {
        try { fn(); } catch { this.errors++; }
      }
    };
    const run = this.run;
    this.fire = clock.defer ? (): void => { clock.defer?.(run); } : run;
  }

  /** The shared ticker of `clock` for `periodMs`. */
  static of(clock: MediaClock, periodMs: number): PlayoutTicker {
    let m = PlayoutTicker.byClock.get(clock);
    if (!m) { m = new Map(); PlayoutTicker.byClock.set(clock, m); }
    let t = m.get(periodMs);
    if (!t) { t = new PlayoutTicker(clock, periodMs); m.set(periodMs, t); }
    return t;
  }

  /** Number of subscribed callbacks. */
  get size(): number { return this.subs.size; }

  /** Calls `fn` every period until {@link remove}. */
  add(fn: () => void): void {
    this.subs.add(fn);
    if (this.timer === null) this.timer = this.clock.setTimer(this.fire, this.periodMs, true);
  }

  /** Unsubscribes `fn`; the timer stops with the last subscriber. Idempotent. */
  remove(fn: () => void): void {
    this.subs.delete(fn);
    if (this.subs.size === 0 && this.timer !== null) {
      this.clock.clearTimer(this.timer);
      this.timer = null;
    }
  }
}
