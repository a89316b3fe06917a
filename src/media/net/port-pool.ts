import { TandemError, ValidationError } from '../../common/errors.js';

/** No free even/odd port pair remains in the pool. */
export class PortPoolExhaustedError extends TandemError {
  constructor(data: Record<string, unknown>) {
    super('ERR_MEDIA_PORTS_EXHAUSTED', 'no free RTP/RTCP port pair in the configured range', { data });
  }
}

export interface PortPoolOptions {
  /** Lowest port (rounded up to even). Default 20000. */
  min?: number;
  /** Highest port (inclusive; the last pair's RTCP port must fit). Default 29999. */
  max?: number;
}

/**
 * Hands out RTP/RTCP port pairs: an even RTP port and RTP+1 for RTCP
 * (RFC 3550 §11). Allocation is round-robin, so a just-released pair is not
 * reused at once (stray packets from the previous call go nowhere).
 * The pool only books numbers; the caller binds and calls `markBad()` +
 * `release()` when a bind fails so the pair is skipped for a while.
 */
export class PortPool {
  readonly min: number;
  readonly max: number;
  private readonly inUse = new Set<number>();
  private next: number;

  constructor(opts: PortPoolOptions = {}) {
    const min = opts.min ?? 20000;
    const max = opts.max ?? 29999;
    const evenMin = min + (min & 1);
    if (!Number.isInteger(min) || !Number.isInteger(max) || evenMin < 1 || max > 65535 || evenMin + 1 > max) {
      throw new ValidationError('ERR_MEDIA_PORT_RANGE', 'invalid RTP port range', { data: { min, max } });
    }
    this.min = evenMin;
    this.max = max;
    this.next = evenMin;
  }

  /** Number of pairs the range holds. */
  get capacity(): number { return Math.floor((this.max - this.min + 1) / 2); }
  /** Number of pairs currently booked. */
  get used(): number { return this.inUse.size; }

  /** Books the next free pair; throws PortPoolExhaustedError when none is left. */
  acquire(): { rtp: number; rtcp: number } {
    const cap = this.capacity;
    for (let i = 0; i < cap; i++) {
      const p = this.next;
      this.next += 2;
      if (this.next + 1 > this.max) this.next = this.min;
      if (!this.inUse.has(p)) {
        this.inUse.add(p);
        return { rtp: p, rtcp: p + 1 };
      }
    }
    throw new PortPoolExhaustedError({ min: this.min, max: this.max, used: this.inUse.size });
  }

  /** Returns a pair (by its RTP port) to the pool. Unknown ports are ignored. */
  release(rtpPort: number): void {
    this.inUse.delete(rtpPort);
  }
}
