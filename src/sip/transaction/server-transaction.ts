import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock.js';
import { InvalidStateError } from '../../common/errors.js';
import type { SipRequest } from '../message/sip-request.js';
import type { SipResponse } from '../message/sip-response.js';
import { isReliable, type MessageSender, type SendTarget, type SentInfo } from './send-target.js';
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
export class ServerTransaction extends EventEmitter<ServerTransactionEvents> {
  readonly request: SipRequest;
  /** Where responses go (RFC 3261 §18.2.2 / RFC 3581 §4). */
  readonly target: SendTarget;
  readonly id: string;
  readonly isInvite: boolean;
  state: ServerTransactionState;
  /** The last response sent. */
  lastResponse: SipResponse | undefined;
  /** How the last response went out. */
  lastSent: SentInfo | undefined;
  /** True once CANCEL was received for this INVITE. */
  cancelled = false;

  private readonly clock: Clock;
  private readonly timers: TimerConfig;
  private readonly send: MessageSender;
  private readonly onTerminated: (t: ServerTransaction) => void;
  private readonly prepare: ((st: ServerTransaction, res: SipResponse, options: RespondOptions) => void) | undefined;
  private retransmitTimer: TimerHandle | undefined;
  private timeoutTimer: TimerHandle | undefined;
  private endTimer: TimerHandle | undefined;
  private interval: number;

  constructor(opts: {
    request: SipRequest; target: SendTarget; id: string; clock: Clock; timers: TimerConfig; send: MessageSender;
    onTerminated: (t: ServerTransaction) => void;
    prepare?: (st: ServerTransaction, res: SipResponse, options: RespondOptions) => void;
  }) {
    super();
    this.request = opts.request;
    this.target = opts.target;
    this.id = opts.id;
    this.clock = opts.clock;
    this.timers = opts.timers;
    this.send = opts.send;
    this.onTerminated = opts.onTerminated;
    this.prepare = opts.prepare;
    this.isInvite = opts.request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
    this.interval = this.timers.t1;
  }

  /** True once a final response was sent. */
  get finalSent(): boolean {
    return this.lastResponse !== undefined && this.lastResponse.status >= 200;
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
        this.endTimer = this.clock.setTimeout(() => this.terminate(), 64 * this.timers.t1); // Timer L
        return;
      }
      this.state = 'completed';
      if (!reliable) this.retransmitTimer = this.clock.setTimeout(() => this.onTimerG(), this.interval);
      this.timeoutTimer = this.clock.setTimeout(() => this.onTimerH(), 64 * this.timers.t1);
      return;
    }
    this.state = 'completed';
    this.endTimer = this.clock.setTimeout(() => this.terminate(), reliable ? 0 : 64 * this.timers.t1); // Timer J
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
