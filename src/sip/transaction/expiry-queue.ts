import type { Clock, TimerHandle } from '../clock.js';
import { InvalidStateError } from '../../common/errors.js';
import type { SipRequest } from '../message/sip-request.js';

/** Something an {@link ExpiryQueue} tells when its time is up. */
export interface Expirable {
  /** Called once, `delayMs` after {@link ExpiryQueue.add}. Must check whether it still applies. */
  onExpire(): void;
}

/**
 * Many timeouts of one fixed length (64*T1: RFC 3261 Timers J and L / RFC 6026 Timer M,
 * remembered ACKs) behind a single clock timer. Since every entry waits the same time, the
 * queue is in deadline order and each entry costs two array slots, where a timer per entry
 * costs a Timeout object, a closure and its context: at 1 000 calls/s some 150 000 of them
 * live at once, and the major GC marks them all.
 *
 * Entries cannot be cancelled: {@link Expirable.onExpire} checks whether the thing still
 * applies (a transaction that ended early ignores it). Exceptions thrown by an entry are
 * swallowed so the rest still expire.
 */
export class ExpiryQueue {
  private items: Array<Expirable | undefined> = [];
  private dues: number[] = [];
  private head = 0;
  private timer: TimerHandle | undefined;

  constructor(private readonly clock: Clock, readonly delayMs: number) {}

  /** Entries waiting. */
  get size(): number {
    return this.items.length - this.head;
  }

  /** Calls `item.onExpire()` in `delayMs`. */
  add(item: Expirable): void {
    this.items.push(item);
    this.dues.push(this.clock.now() + this.delayMs);
    if (this.timer === undefined) this.arm();
  }

  /** Drops every entry without calling it. */
  clear(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.items = [];
    this.dues = [];
    this.head = 0;
  }

  private arm(): void {
    const wait = Math.max(0, this.dues[this.head] - this.clock.now());
    this.timer = this.clock.setTimeout(() => this.run(), wait);
  }

  private run(): void {
    this.timer = undefined;
    const now = this.clock.now();
    while (this.head < this.items.length && this.dues[this.head] <= now) {
      const item = this.items[this.head];
      this.items[this.head] = undefined;
      this.head++;
      try {
        item?.onExpire();
      } catch {
        // one entry's failure must not stop the others from expiring
      }
    }
    if (this.head >= 1024 && this.head * 2 >= this.items.length) {
      this.items = this.items.slice(this.head);
      this.dues = this.dues.slice(this.head);
      this.head = 0;
    }
    if (this.head < this.items.length) this.arm();
    else if (this.head > 0) {
      this.items = [];
      this.dues = [];
      this.head = 0;
    }
  }
}

/**
 * The request of a transaction, or `ERR_SIP_TRANSACTION_RELEASED` when the transaction let
 * go of it on entering a state that only absorbs retransmissions (and then waits on an
 * {@link ExpiryQueue}).
 */
export function requestOrThrow(req: SipRequest | undefined, id: string, state: string): SipRequest {
  if (req === undefined) throw new InvalidStateError('ERR_SIP_TRANSACTION_RELEASED', `transaction ${id} released its request (state ${state})`);
  return req;
}
