/**
 * Time source for media timers, injected so tests can step time.
 * `now()` is wall-clock milliseconds (used for NTP in RTCP SR and for
 * arrival times); timers fire callbacks after `ms` (repeating when asked).
 */
export interface MediaClock {
  now(): number;
  setTimer(fn: () => void, ms: number, repeat: boolean): MediaTimer;
  clearTimer(t: MediaTimer): void;
  /**
   * Optional: runs `fn` once pending I/O callbacks have run (setImmediate).
   * Playout uses it so that, after an event-loop stall, packets already
   * queued in the socket are taken in before slots are declared lost.
   * Clocks without it (test clocks) run `fn` at once.
   */
  defer?(fn: () => void): void;
}

/** Opaque timer handle. */
export interface MediaTimer { readonly id: unknown }

/** The real clock: Date.now() and node timers (unref'd: media timers never keep the process alive). */
export const systemClock: MediaClock = {
  now: () => Date.now(),
  setTimer(fn, ms, repeat) {
    const h = repeat ? setInterval(fn, ms) : setTimeout(fn, ms);
    h.unref();
    return { id: h };
  },
  clearTimer(t) {
    const h = t.id as ReturnType<typeof setInterval>;
    clearInterval(h);
    clearTimeout(h);
  },
  defer(fn) {
    setImmediate(fn);
  },
};
