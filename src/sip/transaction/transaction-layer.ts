import { EventEmitter } from 'node:events';
import type { Clock } from '../clock.js';
import { InvalidStateError } from '../../common/errors.js';
import { createResponse } from '../message/responses.js';
import type { SipMessage } from '../message/sip-message.js';
import type { SipRequest } from '../message/sip-request.js';
import type { SipResponse } from '../message/sip-response.js';
import { ClientTransaction } from './client-transaction.js';
import type { MessageSender, SendTarget, SentInfo } from './send-target.js';
import { ServerTransaction, type RespondOptions } from './server-transaction.js';
import { ExpiryQueue } from './expiry-queue.js';
import { DEFAULT_TIMERS, type TimerConfig } from './timer-config.js';
import { clientKeyOfRequest, clientKeyOfResponse, detachedString, randomToken, serverKey } from './transaction-keys.js';

/** Options of {@link TransactionLayer}. */
export interface TransactionLayerOptions {
  clock: Clock;
  /** Sends a message on the transport layer. */
  send: MessageSender;
  /** T1/T2/T4/D; defaults {@link DEFAULT_TIMERS}. */
  timers?: Partial<TimerConfig>;
  /**
   * Send 100 Trying for an INVITE as soon as its server transaction is created
   * (RFC 3261 §17.2.1 lets the TU send it or the transaction after 200 ms; we send it
   * at once so the client stops Timer A retransmissions early). Default true.
   */
  autoTrying?: boolean;
  /** Answer merged requests (§8.2.2.2) with 482 Loop Detected. Default true. */
  detectMergedRequests?: boolean;
  /** Called before each response of a server transaction is sent (the UA core fills in To tag, Contact). */
  prepareResponse?: (st: ServerTransaction, res: SipResponse, options: RespondOptions) => void;
}

/** Events of the {@link TransactionLayer}. */
export type TransactionLayerEvents = {
  /** A new request created a server transaction (not ACK, not CANCEL). */
  request: [req: SipRequest, st: ServerTransaction];
  /** An ACK that matched no server transaction in Completed state: ACK for a 2xx (§17.2.1, §13.3.1.4). */
  ack: [ack: SipRequest];
  /** A CANCEL matched an INVITE server transaction (already answered 200 / 487). */
  cancel: [cancel: SipRequest, st: ServerTransaction];
  /** A response that matched no client transaction (e.g. a 2xx retransmission, §17.1.1.2). */
  strayResponse: [res: SipResponse];
};

/**
 * The RFC 3261 §17 transaction layer: creates and matches client and server transactions,
 * answers CANCEL (§9.2: 200 to the CANCEL, 487 to the INVITE unless a final response was
 * sent, 481 when nothing matches), sends 100 Trying for INVITE, detects merged requests
 * (482). Malformed messages never reach it (the transport layer validates first).
 */
export class TransactionLayer extends EventEmitter<TransactionLayerEvents> {
  readonly timers: TimerConfig;
  private readonly clock: Clock;
  private readonly sendFn: MessageSender;
  private readonly autoTrying: boolean;
  private readonly detectMerged: boolean;
  private readonly prepareResponse: TransactionLayerOptions['prepareResponse'];
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly merged = new Map<string, ServerTransaction>();
  /** One timer for every 64*T1 end timer (Timers J, L, M); also used by the UA core. */
  readonly expiry: ExpiryQueue;

  constructor(options: TransactionLayerOptions) {
    super();
    this.clock = options.clock;
    this.sendFn = options.send;
    this.timers = { ...DEFAULT_TIMERS, ...options.timers };
    this.autoTrying = options.autoTrying ?? true;
    this.detectMerged = options.detectMergedRequests ?? true;
    this.prepareResponse = options.prepareResponse;
    this.expiry = new ExpiryQueue(this.clock, 64 * this.timers.t1);
  }

  /** Live client and server transactions. */
  get size(): { clients: number; servers: number } {
    return { clients: this.clients.size, servers: this.servers.size };
  }

  /** Sends a message outside any transaction (ACK for 2xx, 2xx retransmissions, stateless replies). */
  sendStateless(msg: SipMessage, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void = () => {}): void {
    this.sendFn(msg, target, cb);
  }

  /**
   * Creates and starts a client transaction for a request that already carries its Via
   * with a unique branch. ACK is never a transaction (use {@link sendStateless}).
   */
  createClientTransaction(req: SipRequest, target: SendTarget): ClientTransaction {
    const id = detachedString(clientKeyOfRequest(req));
    if (this.clients.has(id)) throw new InvalidStateError('ERR_SIP_DUPLICATE_BRANCH', 'a client transaction with this branch exists', { data: { id } });
    const ct = new ClientTransaction({
      request: req, target, id, clock: this.clock, timers: this.timers, send: this.sendFn, expiry: this.expiry,
      onTerminated: this.onClientTerminated,
    });
    this.clients.set(id, ct);
    ct.start();
    return ct;
  }

  /** A validated response from the transport layer (§17.1.3 matching). */
  receiveResponse(res: SipResponse): void {
    const ct = this.clients.get(clientKeyOfResponse(res));
    if (ct) ct.receive(res);
    else this.emit('strayResponse', res);
  }

  /**
   * A validated request from the transport layer. `source` is where responses go
   * (computed by the transport layer per §18.2.2 / RFC 3581).
   */
  receiveRequest(req: SipRequest, source: SendTarget): void {
    const key = serverKey(req);
    if (req.method === 'ACK') {
      const st = this.servers.get(key);
      if (st && st.state === 'completed' && this.ackMatchesToTag(req, st)) st.receiveAck(req);
      else if (st && st.state === 'confirmed') return; // retransmitted ACK, absorbed
      else this.emit('ack', req);
      return;
    }
    const existing = this.servers.get(key);
    if (existing) {
      existing.receiveRetransmission();
      return;
    }
    if (this.detectMerged && req.method !== 'CANCEL' && req.toTag() === undefined) {
      const mk = mergeKey(req);
      const other = this.merged.get(mk);
      if (other && other.state !== 'terminated') {
        this.sendStateless(createResponse(req, 482, { toTag: randomToken(10) }), source);
        return;
      }
    }
    const st = this.createServer(req, key, source);
    if (req.method === 'CANCEL') {
      this.handleCancel(req, st);
      return;
    }
    if (st.isInvite && this.autoTrying) st.respond(createResponse(req, 100));
    this.emit('request', req, st);
  }

  /** Terminates every transaction (timers cleared, no more sends). Idempotent. */
  close(): void {
    for (const t of [...this.clients.values()]) t.terminate();
    for (const t of [...this.servers.values()]) t.terminate();
    this.clients.clear();
    this.servers.clear();
    this.merged.clear();
    this.expiry.clear();
  }

  private createServer(req: SipRequest, rawKey: string, target: SendTarget): ServerTransaction {
    // stored keys must not pin the received message text for the transaction's lifetime
    const key = detachedString(rawKey);
    const mk = this.detectMerged && req.method !== 'CANCEL' && req.toTag() === undefined ? detachedString(mergeKey(req)) : undefined;
    const st = new ServerTransaction({
      request: req, target, id: key, clock: this.clock, timers: this.timers, send: this.sendFn, prepare: this.prepareResponse, expiry: this.expiry,
      onTerminated: this.onServerTerminated,
    });
    st.mergeKey = mk;
    this.servers.set(key, st);
    if (mk !== undefined) this.merged.set(mk, st);
    return st;
  }

  // one function for every transaction (a closure each would live as long as the transaction)
  private readonly onClientTerminated = (t: ClientTransaction): void => {
    if (this.clients.get(t.id) === t) this.clients.delete(t.id);
  };

  private readonly onServerTerminated = (t: ServerTransaction): void => {
    if (this.servers.get(t.id) === t) this.servers.delete(t.id);
    // direct delete (a scan of `merged` per termination was O(live transactions): quadratic under load)
    const mk = t.mergeKey;
    if (mk !== undefined && this.merged.get(mk) === t) this.merged.delete(mk);
  };

  private handleCancel(cancel: SipRequest, cancelSt: ServerTransaction): void {
    const invite = this.servers.get(serverKey(cancel, 'INVITE'));
    if (!invite || invite.state === 'terminated') {
      cancelSt.respond(createResponse(cancel, 481, { toTag: randomToken(10) }));
      return;
    }
    const toTag = invite.lastToTag() ?? randomToken(10);
    cancelSt.respond(createResponse(cancel, 200, { toTag }));
    if (!invite.finalSent) {
      invite.cancelled = true;
      invite.respond(createResponse(invite.request, 487, { toTag }));
      invite.emit('cancel', cancel);
      this.emit('cancel', cancel, invite);
    }
  }

  private ackMatchesToTag(ack: SipRequest, st: ServerTransaction): boolean {
    const branch = ack.topVia().branch;
    if (branch?.startsWith('z9hG4bK')) return true;
    return ack.toTag() === st.lastToTag();
  }
}

function mergeKey(req: SipRequest): string {
  const cseq = req.cseq();
  return `${req.fromTag() ?? ''}|${req.callId}|${cseq.seq}|${cseq.method}`;
}
