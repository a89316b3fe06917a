import type { MediaClock, MediaTimer } from '../../src/media/clock.js';

interface Entry { id: number; at: number; ms: number; repeat: boolean; fn: () => void }

/** A MediaClock that only moves when the test calls `advance()`. */
export class ManualClock implements MediaClock {
  private t: number;
  private seq = 0;
  private readonly timers = new Map<number, Entry>();

  constructor(startMs = 1_700_000_000_000) { this.t = startMs; }

  now(): number { return this.t; }

  setTimer(fn: () => void, ms: number, repeat: boolean): MediaTimer {
    const id = ++this.seq;
    this.timers.set(id, { id, at: this.t + ms, ms, repeat, fn });
    return { id };
  }

  clearTimer(t: MediaTimer): void { this.timers.delete(t.id as number); }

  /** Number of pending timers (to assert nothing leaks after close()). */
  get pending(): number { return this.timers.size; }

  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      let next: Entry | null = null;
      for (const e of this.timers.values()) if (e.at <= end && (!next || e.at < next.at)) next = e;
      if (!next) break;
      this.t = next.at;
      if (next.repeat) next.at += Math.max(1, next.ms);
      else this.timers.delete(next.id);
      next.fn();
    }
    this.t = end;
  }
}
