import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../clock.js';
import { canonicalHeaderKey } from '../message/header-names.js';
import { SipRequest } from '../message/sip-request.js';
import type { SipResponse } from '../message/sip-response.js';
import { isReliable, type MessageSender, type SendTarget, type SentInfo } from './send-target.js';
import { requestOrThrow, type Expirable, type ExpiryQueue } from './expiry-queue.js';
import type { TimerConfig } from './timer-config.js';

/** Client transaction states (RFC 3261 Figures 5 and 6; `accepted` from RFC 6026). */
export type ClientTransactionState = 'calling' | 'trying' | 'proceeding' | 'completed' | 'accepted' | 'terminated';

/** Events of a {@link ClientTransaction}. */
export type ClientTransactionEvents = {
  /** Every provisional and final response passed to the TU (retransmissions absorbed). */
  response: [res: SipResponse];
  /** A retransmitted 2xx to INVITE in Accepted state (RFC 6026): the UA core re-sends its ACK. */
  retransmission: [res: SipResponse];
  /** The request went out for the first time. */
  sent: [info: SentInfo];
  /** Timer B / Timer F fired: no final response (the TU treats it as 408, §8.1.3.1). */
  timeout: [];
  /** The transport could not send the request (the TU treats it as 503, §8.1.3.1). */
  transportError: [err: Error];
  /** The transaction ended; it is no longer matched. */
  terminated: [];
};

/**
 * A client transaction, INVITE (RFC 3261 §17.1.1, with the RFC 6026 Accepted state) or
 * non-INVITE (§17.1.2). Retransmits over unreliable transports (Timer A doubling from T1;
 * Timer E doubling capped at T2), times out with Timer B / F (64*T1), builds and sends the
 * ACK for non-2xx final responses (§17.1.1.3), and absorbs retransmitted responses (Timer
 * D / K). The id is the top Via branch + CSeq method (§17.1.3).
 */
export class ClientTransaction extends EventEmitter<ClientTransactionEvents> implements Expirable {
  readonly target: SendTarget;
  readonly id: string;
  readonly isInvite: boolean;
  state: ClientTransactionState;
  /**
   * The last response passed up. Released (undefined) once the transaction only absorbs
   * retransmissions: INVITE Accepted and non-INVITE Completed (see {@link released}).
   */
  lastResponse: SipResponse | undefined;
  /** How the request went out (after the first transmission). */
  sent: SentInfo | undefined;
  /** The transport error that ended the transaction, if any. */
  error: Error | undefined;

  private readonly clock: Clock;
  private readonly timers: TimerConfig;
  private readonly send: MessageSender;
  private readonly onTerminated: (t: ClientTransaction) => void;
  private readonly expiry: ExpiryQueue | undefined;
  private retransmitTimer: TimerHandle | undefined;
  private timeoutTimer: TimerHandle | undefined;
  private endTimer: TimerHandle | undefined;
  private interval: number;
  private ack: SipRequest | undefined;
  private req: SipRequest | undefined;

  constructor(opts: {
    request: SipRequest; target: SendTarget; id: string; clock: Clock; timers: TimerConfig; send: MessageSender;
    onTerminated: (t: ClientTransaction) => void;
    /** Shared queue for Timer M (64*T1); else a timer of its own. */
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
    this.expiry = opts.expiry;
    this.isInvite = opts.request.method === 'INVITE';
    this.state = this.isInvite ? 'calling' : 'trying';
    this.interval = this.timers.t1;
  }

  /**
   * The request. Throws `ERR_SIP_TRANSACTION_RELEASED` once the transaction only absorbs
   * retransmissions (INVITE Accepted, non-INVITE Completed): it lets go of the request, the
   * last response and the listeners of events those states never emit, so the 64*T1 an
   * Accepted transaction lasts does not keep every recent call's messages on the heap.
   */
  get request(): SipRequest {
    return requestOrThrow(this.req, this.id, this.state);
  }

  /** True once the request was released. */
  get released(): boolean {
    return this.req === undefined;
  }

  /** Sends the request and starts Timers A/B or E/F. Called once by the transaction layer. */
  start(): void {
    this.transmit(this.request);
    if (this.state === 'terminated') return; // the transport failed synchronously
    if (!isReliable(this.target.transport)) {
      this.retransmitTimer = this.clock.setTimeout(() => this.onRetransmit(), this.interval);
    }
    this.timeoutTimer = this.clock.setTimeout(() => this.onTimeout(), 64 * this.timers.t1);
  }

  /** A response matched this transaction (§17.1.3). */
  receive(res: SipResponse): void {
    const s = res.status;
    switch (this.state) {
      case 'calling':
      case 'trying':
      case 'proceeding':
        if (s < 200) {
          if (this.state === 'calling') {
            // §17.1.1.2: no more retransmissions in Proceeding; Timer B applies to Calling only.
            this.clearTimer('retransmitTimer');
            this.clearTimer('timeoutTimer');
          }
          this.state = 'proceeding';
          this.lastResponse = res;
          this.emit('response', res);
          return;
        }
        this.clearTimer('retransmitTimer');
        this.clearTimer('timeoutTimer');
        this.lastResponse = res;
        if (this.isInvite && s < 300) {
          // RFC 6026 §7.2: Accepted, Timer M = 64*T1; 2xx retransmissions go to the TU.
          this.state = 'accepted';
          if (this.expiry !== undefined && this.expiry.delayMs === 64 * this.timers.t1) this.expiry.add(this); // Timer M
          else this.endTimer = this.clock.setTimeout(() => this.terminate(), 64 * this.timers.t1);
          this.emit('response', res);
          this.release();
          return;
        }
        this.state = 'completed';
        if (this.isInvite) {
          this.ack = this.buildAck(res);
          this.transmit(this.ack);
          const d = isReliable(this.target.transport) ? 0 : this.timers.timerD;
          this.endTimer = this.clock.setTimeout(() => this.terminate(), d);
        } else {
          const k = isReliable(this.target.transport) ? 0 : this.timers.t4;
          this.endTimer = this.clock.setTimeout(() => this.terminate(), k);
        }
        this.emit('response', res);
        if (!this.isInvite) this.release();
        return;
      case 'completed':
        // retransmitted final response: re-ACK (INVITE), otherwise absorb
        if (this.isInvite && s >= 300 && this.ack) this.transmit(this.ack);
        return;
      case 'accepted':
        if (s >= 200 && s < 300) this.emit('retransmission', res);
        return;
      case 'terminated':
        return;
    }
  }

  /** @internal The shared 64*T1 queue's call: Timer M fired. */
  onExpire(): void {
    if (this.state === 'accepted') this.terminate();
  }

  /** Stops all timers and ends the transaction without further events except `terminated`. */
  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.clearTimer('retransmitTimer');
    this.clearTimer('timeoutTimer');
    this.clearTimer('endTimer');
    this.onTerminated(this);
    this.emit('terminated');
  }

  /**
   * ACK for a non-2xx final response (§17.1.1.3): same Request-URI, Call-ID, From, CSeq
   * number and top Via as the INVITE, To from the response, Route from the INVITE.
   */
  private buildAck(res: SipResponse): SipRequest {
    const ack = new SipRequest('ACK', this.request.uri);
    const vias = this.request.getAll('via');
    if (vias[0] !== undefined) ack.add('Via', vias[0]);
    for (const h of this.request.headers) {
      const key = canonicalHeaderKey(h.name);
      if (key === 'route') ack.add(h.name, h.value);
    }
    ack.add('Max-Forwards', '70');
    ack.add('From', this.request.get('from') ?? '');
    ack.add('To', res.get('to') ?? this.request.get('to') ?? '');
    ack.add('Call-ID', this.request.get('call-id') ?? '');
    ack.add('CSeq', `${this.request.cseq().seq} ACK`);
    ack.add('Content-Length', '0');
    return ack;
  }

  /**
   * Enters the absorbing part of Accepted / non-INVITE Completed: drops the request, the
   * last response and the listeners of `response`, `sent`, `timeout` and `transportError`
   * (never emitted again). Kept: `retransmission` (2xx to INVITE) and `terminated`.
   * Not done while the first send is unconfirmed (someone may still wait for `sent`).
   */
  private release(): void {
    if (this.state === 'terminated' || this.sent === undefined) return;
    this.req = undefined;
    this.lastResponse = undefined;
    this.removeAllListeners('response');
    this.removeAllListeners('sent');
    this.removeAllListeners('timeout');
    this.removeAllListeners('transportError');
    if (!this.isInvite) this.removeAllListeners('retransmission');
  }

  private transmit(msg: SipRequest): void {
    this.send(msg, this.target, (err, sent) => {
      if (!err) {
        if (msg === this.req && !this.sent && sent) {
          this.sent = sent;
          this.emit('sent', sent);
        }
        return;
      }
      if (this.state === 'terminated') return;
      if (msg === this.ack) return; // an ACK that fails is not reported (§17.1.1.3)
      this.error = err;
      this.emit('transportError', err);
      this.terminate();
    });
  }

  private onRetransmit(): void {
    this.retransmitTimer = undefined;
    if (this.state !== 'calling' && this.state !== 'trying' && this.state !== 'proceeding') return;
    this.transmit(this.request);
    if (this.isInvite) this.interval *= 2; // Timer A doubles without cap (§17.1.1.2)
    else if (this.state === 'proceeding') this.interval = this.timers.t2; // §17.1.2.2
    else this.interval = Math.min(this.interval * 2, this.timers.t2);
    this.retransmitTimer = this.clock.setTimeout(() => this.onRetransmit(), this.interval);
  }

  private onTimeout(): void {
    this.timeoutTimer = undefined;
    if (this.state !== 'calling' && this.state !== 'trying' && this.state !== 'proceeding') return;
    this.emit('timeout');
    this.terminate();
  }

  private clearTimer(name: 'retransmitTimer' | 'timeoutTimer' | 'endTimer'): void {
    const h = this[name];
    if (h !== undefined) this.clock.clearTimeout(h);
    this[name] = undefined;
  }
}
