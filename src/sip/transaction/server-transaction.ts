import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock.js';
import { InvalidStateError } from '../../common/errors.js';
import type { SipRequest } from '../message/sip-request.js';
import type { SipResponse } from '../message/sip-response.js';
import { isReliable, type MessageSender, type SendTarget, type SentInfo } from './send-target.js';
import { requestOrThrow, type Expirable, type ExpiryQueue } from './expiry-queue.js';
import type { TimerConfig } from './timer-config.js';

/** Options of {@link ServerTransaction.respond}. */
export interface RespondOptions {
  /**
   * A response a proxy forwards (RFC 3261 §16.7): sent as given, no 2xx retransmission
   * and no ACK timer by the UA core. Default false.
   */
  proxied?: boolean;
}

const NOT_PROXIED: RespondOptions = Object.freeze({});

/** Server transaction states (RFC 3261 Figures 7 and 8; `accepted` from RFC 6026). */
export type ServerTransactionState = 'trying' | 'proceeding' | 'completed' | 'confirmed' | 'accepted' | 'terminated';

/** Events of a {@link ServerTransaction}. */
export type ServerTransactionEvents = {
  /** The INVITE was cancelled (§9.2); the layer already answered 200 to the CANCEL and 487 to the INVITE. */
  cancel: [cancel: SipRequest];
  /** ACK for a non-2xx final response arrived (absorbed here, §17.2.1). */
  ack: [ack: SipRequest];
  /** Timer H fired: no ACK for the non-2xx final response. */
  timeout: [];
  /** A response is about to be sent (after the `prepare` hook): the UA core watches 2xx to INVITE. */
  response: [res: SipResponse];
  /** A response went out (first transmissions and retransmissions). */
  sent: [res: SipResponse, info: SentInfo];
  /** The transport failed to send a response. */
  transportError: [err: Error];
  terminated: [];
};

/**
 * A server transaction, INVITE (RFC 3261 §17.2.1 with RFC 6026 Accepted) or non-INVITE
 * (§17.2.2). Retransmissions of the request are answered with the last response;
 * non-2xx final responses to INVITE are retransmitted (Timer G from T1 doubling up to
 * T2) until ACK or Timer H (64*T1); Timers I, J and Accepted's Timer L end the
 * transaction. 2xx responses to INVITE are retransmitted by the UA core, not here.
 */
export class ServerTransaction extends EventEmitter<ServerTransactionEvents> implements Expirable {
  /** Where responses go (RFC 3261 §18.2.2 / RFC 3581 §4). */
  readonly target: SendTarget;
  readonly id: string;
  readonly isInvite: boolean;
  state: ServerTransactionState;
  /**
   * The last response sent. Released (undefined) once the transaction only absorbs
   * retransmissions: in Accepted and Confirmed (see {@link released}).
   */
  lastResponse: SipResponse | undefined;
  /** How the last response went out. */
  lastSent: SentInfo | undefined;
  /** True once CANCEL was received for this INVITE. */
  cancelled = false;
  /**
   * The To tag the UA core gives every response of this transaction that lacks one, so the
   * provisional and final responses agree (RFC 3261 §8.2.6.2). A field rather than a
   * WeakMap entry: tens of thousands of WeakMap keys make every major GC pause longer.
   */
  localTag: string | undefined;
  /** @internal The transaction layer's merged-request key (RFC 3261 §8.2.2.2), if it tracks one. */
  mergeKey: string | undefined;

  private readonly clock: Clock;
  private readonly timers: TimerConfig;
  private readonly send: MessageSender;
  private readonly onTerminated: (t: ServerTransaction) => void;
  private readonly prepare: ((st: ServerTransaction, res: SipResponse, options: RespondOptions) => void) | undefined;
  private readonly expiry: ExpiryQueue | undefined;
  private retransmitTimer: TimerHandle | undefined;
  private timeoutTimer: TimerHandle | undefined;
  private endTimer: TimerHandle | undefined;
  private interval: number;
  private req: SipRequest | undefined;
  /** Status of the final response sent (0 before). */
  private finalStatus = 0;
  /** To tag of the final response, kept when the response itself is released. */
  private releasedToTag: string | undefined;

  constructor(opts: {
    request: SipRequest; target: SendTarget; id: string; clock: Clock; timers: TimerConfig; send: MessageSender;
    onTerminated: (t: ServerTransaction) => void;
    prepare?: (st: ServerTransaction, res: SipResponse, options: RespondOptions) => void;
    /** Shared queue for the 64*T1 end timers (Timers L and J); else a timer each. */
    expiry?: ExpiryQueue;
  }) {
    super();
    this.req = opts.request;
    this.target = opts.target;
    this.id = opts.id;
    this.clock = opts.clock;
    this.timers = opts.timers;
    this.send = opts.send;
    this.onTerminated = opts.onTerminated;
    this.prepare = opts.prepare;
    this.expiry = opts.expiry;
    this.isInvite = opts.request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.interval = this.timers.t1;
  }

  /**
   * The request that created the transaction. Throws `ERR_SIP_TRANSACTION_RELEASED` once
   * the transaction is in a state where it only absorbs retransmissions (Accepted,
   * Confirmed, non-INVITE Completed): it is then released, so the 64*T1 these states last
   * do not keep every message of every recent call on the heap.
   */
  get request(): SipRequest {
    return requestOrThrow(this.req, this.id, this.state);
  }

  /** True once the request (and, except in non-INVITE Completed, the last response) was released. */
  get released(): boolean {
    return this.req === undefined;
  }

  /** True once a final response was sent. */
  get finalSent(): boolean {
    return this.finalStatus >= 200;
  }

  /** The To tag of the last response sent (also after the response was released). */
  lastToTag(): string | undefined {
    return this.lastResponse !== undefined ? tagOf(this.lastResponse) : this.releasedToTag;
  }

  /**
   * Sends a response (RFC 3261 §17.2.1 / §17.2.2). Throws {@link InvalidStateError} after
   * a final response or termination.
   *
   * With `{ proxied: true }` the response is one a proxy forwards (RFC 3261 §16.7): the UA
   * core leaves it as it is (no To tag, no Contact, no dialog) and does not retransmit a
   * 2xx to INVITE nor wait for its ACK (§16.7 step 10 / RFC 6026 §8.5: the UAS does that).
   */
  respond(res: SipResponse, options: RespondOptions = NOT_PROXIED): void {
    if (this.state !== 'trying' && this.state !== 'proceeding') {
      throw new InvalidStateError('ERR_SIP_TRANSACTION_STATE', `cannot respond in state ${this.state}`, { data: { status: res.status } });
    }
    this.prepare?.(this, res, options);
    this.lastResponse = res;
    if (res.status >= 200) this.finalStatus = res.status;
    this.emit('response', res);
    this.transmit(res);
    if (this.isTerminated()) return; // the transport failed synchronously
    const s = res.status;
    if (s < 200) {
      this.state = 'proceeding';
      return;
    }
    const reliable = isReliable(this.target.transport);
    if (this.isInvite) {
      if (s < 300) {
        this.state = 'accepted';
        this.endAfter(64 * this.timers.t1); // Timer L
        this.release(true); // RFC 6026 §8.7: Accepted absorbs INVITE retransmissions, sends nothing
        return;
      }
      this.state = 'completed';
      if (!reliable) this.retransmitTimer = this.clock.setTimeout(() => this.onTimerG(), this.interval);
      this.timeoutTimer = this.clock.setTimeout(() => this.onTimerH(), 64 * this.timers.t1);
      return;
    }
    this.state = 'completed';
    this.endAfter(reliable ? 0 : 64 * this.timers.t1); // Timer J
    this.release(false); // §17.2.2: Completed only resends the last response
  }

  /** True once the transaction ended (also right after a synchronous transport failure). */
  isTerminated(): boolean {
    return this.state === 'terminated';
  }

  /** A retransmission of the request arrived (§17.2.1, §17.2.2). */
  receiveRetransmission(): void {
    if ((this.state === 'proceeding' || this.state === 'completed') && this.lastResponse) this.transmit(this.lastResponse);
  }

  /** An ACK matched this INVITE transaction (§17.2.1). */
  receiveAck(ack: SipRequest): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.clearTimer('retransmitTimer');
    this.clearTimer('timeoutTimer');
    this.endTimer = this.clock.setTimeout(() => this.terminate(), isReliable(this.target.transport) ? 0 : this.timers.t4); // Timer I
    this.emit('ack', ack);
    this.release(true); // Confirmed absorbs ACKs only
  }

  /** Ends the transaction now. */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearTimer('retransmitTimer');
    this.clearTimer('timeoutTimer');
    this.clearTimer('endTimer');
    this.onTerminated(this);
    this.emit('terminated');
  }

  /** @internal The shared 64*T1 queue's call: Timer L (Accepted) or J (non-INVITE Completed) fired. */
  onExpire(): void {
    if (this.state === 'accepted' || (this.state === 'completed' && !this.isInvite)) this.terminate();
  }

  /** Ends the transaction in `ms` (Timers L, J): on the shared queue when it has that length. */
  private endAfter(ms: number): void {
    if (this.expiry !== undefined && ms === this.expiry.delayMs) this.expiry.add(this);
    else this.endTimer = this.clock.setTimeout(() => this.terminate(), ms);
  }

  /**
   * Lets go of the request (and the last response when `response`) once the state only
   * absorbs retransmissions. Keeps the final status and To tag (CANCEL after the final
   * response, §9.2) and the send target.
   */
  private release(response: boolean): void {
    if (this.state === 'terminated') return;
    this.req = undefined;
    if (response) {
      this.releasedToTag = this.lastToTag();
      this.lastResponse = undefined;
    } else {
      // kept for retransmissions: its values are slices of the request's text
      this.lastResponse?.detachStrings();
    }
  }

  private transmit(res: SipResponse): void {
    this.send(res, this.target, (err, sent) => {
      if (!err) {
        if (sent) {
          this.lastSent = sent;
          this.emit('sent', res, sent);
        }
        return;
      }
      if (this.state === 'terminated') return;
      this.emit('transportError', err);
      this.terminate();
    });
  }

  private onTimerG(): void {
    this.retransmitTimer = undefined;
    if (this.state !== 'completed' || !this.lastResponse) return;
    this.transmit(this.lastResponse);
    this.interval = Math.min(this.interval * 2, this.timers.t2);
    this.retransmitTimer = this.clock.setTimeout(() => this.onTimerG(), this.interval);
  }

  private onTimerH(): void {
    this.timeoutTimer = undefined;
    if (this.state !== 'completed') return;
    this.emit('timeout');
    this.terminate();
  }

  private clearTimer(name: 'retransmitTimer' | 'timeoutTimer' | 'endTimer'): void {
    const h = this[name];
    if (h !== undefined) this.clock.clearTimeout(h);
    this[name] = undefined;
  }
}

function tagOf(res: SipResponse): string | undefined {
  try {
    return res.toTag();
  } catch {
    return undefined;
  }
}
