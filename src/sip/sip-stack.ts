import { EventEmitter } from 'node:events';
import { lookup, resolveSrv } from 'node:dns/promises';
import { isIP } from 'node:net';
import { InvalidStateError } from '../common/errors.js';
import { silentLogger, type Logger } from '../common/logger.js';
import type { Clock, TimerHandle } from './clock.js';
import { Dialog, type InDialogRequestOptions } from './dialog/dialog.js';
import { SipTransportError } from './errors.js';
import type { ParseLimits } from './message/parse-limits.js';
import { createResponse, type CreateResponseOptions } from './message/responses.js';
import type { InboundInfo, SipMessage, TransportName } from './message/sip-message.js';
import { SipRequest } from './message/sip-request.js';
import type { SipResponse } from './message/sip-response.js';
import { SipUri } from './message/sip-uri.js';
import { Via } from './message/via.js';
import { RealClock } from './real-clock.js';
import type { ClientTransaction } from './transaction/client-transaction.js';
import type { Expirable } from './transaction/expiry-queue.js';
import { isReliable, type SendTarget, type SentInfo } from './transaction/send-target.js';
import type { RespondOptions, ServerTransaction } from './transaction/server-transaction.js';
import type { TimerConfig } from './transaction/timer-config.js';
import { detachedString, MAGIC_COOKIE, newBranch, randomToken } from './transaction/transaction-keys.js';
import { TransactionLayer } from './transaction/transaction-layer.js';
import type { ListenSpec } from './transport/listen-spec.js';
import { TransportLayer, type TransportStats } from './transport/transport-layer.js';
import type { ListeningPoint, TlsOptions, TransportLimits } from './transport/transport-types.js';

/** Options of {@link SipStack}. Every field but `listen` has a default. */
export interface SipStackOptions {
  /** Listeners, e.g. `['udp:127.0.0.1:5060', 'ws:0.0.0.0:8080']` (port 0 = any free port). */
  listen: Array<string | ListenSpec>;
  /** Host to advertise in Via/Contact (default: the bound address; wildcard → 127.0.0.1). */
  advertisedHost?: string;
  /** Time source for all protocol timers. Default {@link RealClock}. */
  clock?: Clock;
  /** Logger (never used per packet). Default silent. */
  logger?: Logger;
  /** T1/T2/T4/D. Default RFC 3261 values. */
  timers?: Partial<TimerConfig>;
  /** Parser limits (message size, header count/size). */
  parseLimits?: Partial<ParseLimits>;
  /** Connection limits (idle timeout, connections per IP). */
  limits?: Partial<TransportLimits>;
  /** Key and certificate for tls/wss listeners (paths or PEM buffers). */
  tls?: TlsOptions;
  /** UDP socket I/O (TransportLayerOptions.udpIo): `native` pump or `node` dgram. Default `node`. */
  udpIo?: 'native' | 'node';
  /** Send 100 Trying for INVITE at once (default true, RFC 3261 §17.2.1). */
  autoTrying?: boolean;
  /**
   * When no ACK arrives for a 2xx to INVITE within 64*T1, send BYE on the dialog
   * (as drachtio-server does). Default true. A layer that sends its own BYE on
   * `ackTimeout` (src/drachtio) sets this to false.
   */
  byeOnAckTimeout?: boolean;
  /** Name resolution for hosts in URIs (default node:dns lookup). */
  resolve?: (host: string) => Promise<string>;
  /**
   * SRV lookup (RFC 3263 §4.2) for URIs with a host name and no port (default node:dns
   * resolveSrv). Pass `async () => []` to disable.
   */
  resolveSrv?: (name: string) => Promise<Array<{ name: string; port: number; priority: number; weight: number }>>;
}

/** Where to send a request: an explicit hop, or an existing flow (connection). */
export interface SendRequestOptions {
  /** Explicit next hop (proxying, or overriding the Request-URI/Route). */
  destination?: { transport: TransportName; host: string; port: number };
  /** Flow to reuse (from {@link InboundInfo.flowId}); wins over `destination` while it is open. */
  flowId?: string;
}

/** Events of {@link SipStack}. */
export type SipStackEvents = {
  /** A new out-of-dialog request (no To tag). Answer with `st.respond(...)`. */
  request: [req: SipRequest, st: ServerTransaction];
  /** A new request with a To tag; `dialog` is the stack's dialog when it knows it (else answer 481 or handle it). */
  inDialogRequest: [req: SipRequest, st: ServerTransaction, dialog: Dialog | undefined];
  /**
   * ACK for a 2xx (outside transactions, RFC 3261 §13.3.1.4); `st` is the INVITE server
   * transaction whose 2xx it acknowledges, when that 2xx was still being retransmitted.
   */
  ack: [ack: SipRequest, dialog: Dialog | undefined, st: ServerTransaction | undefined];
  /** No ACK for the 2xx sent on `st` within 64*T1 (§13.3.1.4). */
  ackTimeout: [st: ServerTransaction, dialog: Dialog | undefined];
  /** An INVITE was cancelled (§9.2); 200/487 were already sent. */
  cancel: [cancel: SipRequest, st: ServerTransaction];
  /** A dialog ended (BYE, ACK timeout, or failure of an early dialog). */
  dialogTerminated: [dialog: Dialog];
};

interface Pending2xx {
  res: SipResponse;
  target: SendTarget;
  st: ServerTransaction;
  interval: number;
  retransmit: TimerHandle | undefined;
  deadline: TimerHandle;
}

const DIALOG_METHODS = new Set(['INVITE', 'SUBSCRIBE', 'REFER', 'NOTIFY', 'UPDATE']);

/**
 * The user-agent core on top of the transaction and transport layers (RFC 3261 §8, §12,
 * §13, §17, §18): routes incoming requests to events, retransmits 2xx to INVITE until ACK,
 * keeps dialogs, and fills in what a UA core fills in on outgoing requests (Via with
 * branch and rport, Max-Forwards 70, Call-ID, From tag, CSeq, Contact, Content-Length).
 */
export class SipStack extends EventEmitter<SipStackEvents> {
  readonly clock: Clock;
  readonly transport: TransportLayer;
  readonly transactions: TransactionLayer;
  private readonly log: Logger;
  private readonly byeOnAckTimeout: boolean;
  private readonly resolveHost: (host: string) => Promise<string>;
  private readonly resolveSrvName: NonNullable<SipStackOptions['resolveSrv']>;
  private readonly dialogs = new Map<string, Dialog>();
  /** UAC dialogs by Call-ID, so ending a call's early dialogs does not scan every dialog. */
  private readonly uacByCallId = new Map<string, Set<Dialog>>();
  private readonly pending2xx = new Map<string, Pending2xx>();
  /** ACKs we sent for 2xx, as the bytes that went out (re-sent on a 2xx retransmission). */
  private readonly sentAcks = new Map<string, RememberedAck>();
  /** 2xx that were ACKed recently (`callId|cseq`): ACK retransmissions are absorbed. */
  private readonly recentAcks = new Map<string, RememberedAck>();
  private state: 'new' | 'started' | 'closed' = 'new';

  constructor(options: SipStackOptions) {
    super();
    this.clock = options.clock ?? new RealClock();
    this.log = options.logger ?? silentLogger();
    this.byeOnAckTimeout = options.byeOnAckTimeout ?? true;
    this.resolveHost = options.resolve ?? (async (host) => (await lookup(host)).address);
    this.resolveSrvName = options.resolveSrv ?? ((name) => resolveSrv(name));
    this.transport = new TransportLayer({
      listen: options.listen, advertisedHost: options.advertisedHost, parseLimits: options.parseLimits,
      limits: options.limits, tls: options.tls, ...(options.udpIo ? { udpIo: options.udpIo } : {}),
    });
    this.transactions = new TransactionLayer({
      clock: this.clock, send: this.transport.send, timers: options.timers, autoTrying: options.autoTrying,
      prepareResponse: (st, res, opts) => this.prepareResponse(st, res, opts),
    });
    this.transport.on('message', (msg, info) => this.onMessage(msg, info));
    this.transactions.on('request', (req, st) => this.onNewRequest(req, st));
    this.transactions.on('ack', (ack) => this.onAck(ack));
    this.transactions.on('cancel', (cancel, st) => this.emit('cancel', cancel, st));
    this.transactions.on('strayResponse', (res) => this.onStrayResponse(res));
  }

  /** Binds the listeners. Idempotent; rejects with SipTransportError when a bind fails. */
  async start(): Promise<void> {
    if (this.state === 'started') return;
    if (this.state === 'closed') throw new InvalidStateError('ERR_SIP_CLOSED', 'stack was closed');
    this.state = 'started';
    await this.transport.start();
  }

  /** Stops everything: transactions, timers, listeners, connections. Idempotent. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    for (const p of this.pending2xx.values()) this.stopPending(p);
    this.pending2xx.clear();
    this.sentAcks.clear();
    this.recentAcks.clear();
    this.transactions.close();
    this.dialogs.clear();
    this.uacByCallId.clear();
    await this.transport.close();
  }

  /** Bound listeners with their real ports. */
  listeningPoints(): ListeningPoint[] {
    return this.transport.listeningPoints();
  }

  /** Counters: per transport, live transactions, dialogs, 2xx awaiting ACK. */
  stats(): { transports: Record<TransportName, TransportStats>; transactions: { clients: number; servers: number }; dialogs: number; pending2xx: number } {
    return { transports: this.transport.stats(), transactions: this.transactions.size, dialogs: this.dialogs.size, pending2xx: this.pending2xx.size };
  }

  /** A dialog by key (`callId|localTag|remoteTag`). */
  dialog(key: string): Dialog | undefined {
    return this.dialogs.get(key);
  }

  /** Builds a response to a request (RFC 3261 §8.2.6); send it with `st.respond(res)`. */
  createResponse(req: SipRequest, status: number, options: CreateResponseOptions = {}): SipResponse {
    return createResponse(req, status, options);
  }

  /**
   * Sends a request statefully. Missing headers are filled in (Via on top with a new
   * branch and `rport` unless the top Via is already ours, Max-Forwards, Call-ID, From/To,
   * From tag, CSeq, Contact for dialog-creating methods). Resolves once the request went
   * out (`ct.sent` set); rejects with SipTransportError when it could not be sent.
   * ACK for 2xx goes through {@link sendAck} instead.
   */
  async sendRequest(req: SipRequest, options: SendRequestOptions = {}): Promise<ClientTransaction> {
    this.assertStarted();
    if (req.method === 'ACK') throw new InvalidStateError('ERR_SIP_ACK_NOT_TRANSACTION', 'send ACK with sendAck()');
    const target = await this.resolveTarget(req, options);
    const lp = this.listenerFor(target.transport);
    this.fillRequest(req, lp, target.transport);
    // a BYE built outside sendInDialog (e.g. by the drachtio layer) still ends our dialog (§15.1.1)
    if (req.method === 'BYE') this.endDialogOfOutgoing(req);
    const ct = this.transactions.createClientTransaction(req, target);
    this.watchClient(ct);
    if (ct.sent) return ct;
    if (ct.state === 'terminated') throw ct.error ?? new SipTransportError('ERR_SIP_SEND', 'request could not be sent');
    return new Promise<ClientTransaction>((resolve, reject) => {
      const onSent = (): void => { ct.off('transportError', onErr); resolve(ct); };
      const onErr = (err: Error): void => { ct.off('sent', onSent); reject(err); };
      ct.once('sent', onSent);
      ct.once('transportError', onErr);
    });
  }

  /**
   * Sends an ACK for a 2xx outside any transaction (§13.2.2.4), with a new Via branch.
   * The ACK is remembered for 64*T1 and re-sent when the 2xx is retransmitted.
   */
  async sendAck(ack: SipRequest, options: SendRequestOptions = {}): Promise<SentInfo> {
    this.assertStarted();
    const target = await this.resolveTarget(ack, options);
    this.fillRequest(ack, this.listenerFor(target.transport), target.transport);
    // keep the bytes, not the request: its header values pin the 2xx text for 64*T1
    const callerCaptures = ack.captureWire;
    ack.captureWire = true;
    let sent: SentInfo;
    let bytes: Buffer | undefined;
    try {
      sent = await this.transport.sendWithInfo(ack, target);
      bytes = ack.wire;
    } finally {
      ack.captureWire = callerCaptures;
      if (!callerCaptures) ack.wire = undefined;
    }
    const key = detachedString(`${ack.callId}|${ack.cseq().seq}`);
    const entry = new RememberedAck(this.sentAcks, key, ownCopy(bytes ?? ack.serialize()), { ...target, flowId: sent.flowId });
    this.sentAcks.set(key, entry); // replaces an older one, whose expiry then does nothing
    this.transactions.expiry.add(entry);
    return sent;
  }

  /**
   * Sends CANCEL for an INVITE client transaction (§9.1): same Request-URI, Call-ID, From,
   * To, CSeq number, Route and top Via. Waits for a provisional response first (§9.1);
   * resolves undefined when a final response arrived first.
   */
  async cancel(ct: ClientTransaction, extraHeaders: Array<[string, string]> = []): Promise<ClientTransaction | undefined> {
    if (!ct.isInvite) throw new InvalidStateError('ERR_SIP_CANCEL_NON_INVITE', 'only INVITE can be cancelled');
    if (ct.state === 'calling') {
      const ok = await new Promise<boolean>((resolve) => {
        const onRes = (res: SipResponse): void => {
          ct.off('terminated', onEnd);
          resolve(res.status < 200);
        };
        const onEnd = (): void => { ct.off('response', onRes); resolve(false); };
        ct.once('response', onRes);
        ct.once('terminated', onEnd);
      });
      if (!ok) return undefined;
    }
    if (ct.state !== 'proceeding') return undefined;
    const inv = ct.request;
    const cancel = new SipRequest('CANCEL', inv.uri);
    const via = inv.getAll('via')[0];
    if (via) cancel.add('Via', via);
    for (const r of inv.getAll('route')) cancel.add('Route', r);
    cancel.add('Max-Forwards', '70');
    cancel.add('From', inv.get('from') ?? '');
    cancel.add('To', inv.get('to') ?? '');
    cancel.add('Call-ID', inv.callId);
    cancel.add('CSeq', `${inv.cseq().seq} CANCEL`);
    for (const [n, v] of extraHeaders) cancel.add(n, v);
    const cct = this.transactions.createClientTransaction(cancel, ct.sent ? { ...ct.target, flowId: ct.sent.flowId } : ct.target);
    return cct;
  }

  /**
   * Sends a request inside a dialog (§12.2.1.1), over the dialog's flow when it has one
   * (a browser behind NAT is reached over its WebSocket). ACK goes stateless.
   */
  async sendInDialog(dialog: Dialog, method: string, options: InDialogRequestOptions = {}): Promise<ClientTransaction | SentInfo> {
    const req = dialog.createRequest(method, options);
    const opts: SendRequestOptions = dialog.flowId ? { flowId: dialog.flowId } : {};
    if (method === 'BYE') this.endDialog(dialog);
    if (method === 'ACK') return this.sendAck(req, opts);
    const ct = await this.sendRequest(req, opts);
    if (method === 'INVITE' || method === 'UPDATE') ct.on('response', (res) => dialog.refreshFromResponse(res));
    return ct;
  }

  // ---- inbound ---------------------------------------------------------------

  private onMessage(msg: SipMessage, info: InboundInfo): void {
    if (this.state !== 'started') return;
    try {
      if (msg.isRequest) this.transactions.receiveRequest(msg as SipRequest, this.responseTarget(msg as SipRequest, info));
      else this.transactions.receiveResponse(msg as SipResponse);
    } catch (e) {
      // validated messages should not fail here; never let a message take the process down
      this.log.debug({ err: e }, 'sip: message handling failed');
    }
  }

  /**
   * Where responses to a request go (RFC 3261 §18.2.2, RFC 3581 §4): back over the
   * connection for reliable transports; to received/rport (or sent-by) over UDP.
   */
  private responseTarget(req: SipRequest, info: InboundInfo): SendTarget {
    if (isReliable(info.transport)) return { transport: info.transport, host: info.remoteAddress, port: info.remotePort, flowId: info.flowId };
    const via = req.topVia();
    const rport = via.rport;
    const host = via.received ?? info.remoteAddress;
    const port = typeof rport === 'number' ? rport : via.port ?? 5060;
    return { transport: 'udp', host, port, flowId: info.flowId };
  }

  private onNewRequest(req: SipRequest, st: ServerTransaction): void {
    const key = Dialog.keyOfIncoming(req);
    if (key === undefined) {
      this.emit('request', req, st);
      return;
    }
    const dialog = this.dialogs.get(key);
    if (dialog) {
      const reject = dialog.receiveRequest(req);
      if (reject) {
        st.respond(createResponse(req, reject));
        return;
      }
      if (dialog.state === 'terminated') this.endDialog(dialog);
    }
    this.emit('inDialogRequest', req, st, dialog);
  }

  private onAck(ack: SipRequest): void {
    const key = `${ack.callId}|${ack.cseq().seq}`;
    const p = this.pending2xx.get(key);
    const st = p?.st;
    if (p) {
      this.stopPending(p);
      this.pending2xx.delete(key);
      const kept = detachedString(key); // not a slice of the ACK's text
      const entry = new RememberedAck(this.recentAcks, kept, undefined, undefined);
      this.recentAcks.set(kept, entry);
      this.transactions.expiry.add(entry);
    } else if (this.recentAcks.has(key)) return; // a retransmitted ACK (§13.3.2.5 / §17.2.1)
    const dk = Dialog.keyOfIncoming(ack);
    this.emit('ack', ack, dk ? this.dialogs.get(dk) : undefined, st);
  }

  private onStrayResponse(res: SipResponse): void {
    // A 2xx retransmission after the INVITE client transaction ended: re-send our ACK.
    if (res.status < 200 || res.status >= 300) return;
    const sent = this.sentAcks.get(`${res.callId}|${res.cseq().seq}`);
    if (sent?.bytes && sent.target) this.transport.sendBytes(sent.bytes, sent.target, () => {});
  }

  // ---- server side: responses -------------------------------------------------

  /**
   * Fills in To tag and Contact, and tracks dialogs and 2xx retransmission. A proxied
   * response (RFC 3261 §16.7) is left alone: the UAS behind the proxy owns the dialog and
   * retransmits its own 2xx (RFC 6026 §8.5: the proxy forwards those statelessly).
   */
  private prepareResponse(st: ServerTransaction, res: SipResponse, options: RespondOptions): void {
    if (options.proxied === true) return;
    const req = st.request;
    if (res.status > 100) {
      try {
        if (res.toTag() === undefined && req.toTag() === undefined) {
          let tag = st.localTag;
          if (!tag) {
            tag = randomToken(10);
            st.localTag = tag;
          }
          res.set('To', `${res.get('to')};tag=${tag}`);
        }
      } catch {
        // a To that does not parse is sent as the application wrote it
      }
    }
    if (DIALOG_METHODS.has(req.method) && res.status > 100 && res.status < 300 && !res.has('contact') && req.method !== 'NOTIFY') {
      const lp = this.transport.listenerFor(req.inbound?.transport ?? 'udp');
      if (lp) res.add('Contact', contactFor(lp));
    }
    if (req.method !== 'INVITE') return;
    let toTag: string | undefined;
    try {
      toTag = res.toTag();
    } catch {
      toTag = undefined;
    }
    const dkey = toTag ? Dialog.keyOf({ callId: req.callId, localTag: toTag, remoteTag: safeTag(req) }) : undefined;
    if (res.status > 100 && res.status < 300 && dkey && req.toTag() === undefined) {
      let dialog = this.dialogs.get(dkey);
      if (!dialog) {
        dialog = Dialog.asUas(req, res);
        this.dialogs.set(dkey, dialog);
      } else if (res.status >= 200) dialog.state = 'confirmed';
    } else if (res.status >= 300 && dkey) {
      const dialog = this.dialogs.get(dkey);
      if (dialog && dialog.state === 'early') this.endDialog(dialog);
    }
    if (res.status >= 200 && res.status < 300) this.start2xx(st, res, dkey);
  }

  /** §13.3.1.4: retransmit the 2xx (T1 doubling to T2) until ACK; give up after 64*T1. */
  private start2xx(st: ServerTransaction, res: SipResponse, dkey: string | undefined): void {
    const key = `${st.request.callId}|${st.request.cseq().seq}`;
    const old = this.pending2xx.get(key);
    if (old) this.stopPending(old);
    const t = this.transactions.timers;
    const p: Pending2xx = {
      res, target: st.target, st, interval: t.t1, retransmit: undefined,
      deadline: this.clock.setTimeout(() => {
        this.stopPending(p);
        this.pending2xx.delete(key);
        const dialog = dkey ? this.dialogs.get(dkey) : undefined;
        this.emit('ackTimeout', st, dialog);
        if (dialog && this.byeOnAckTimeout && this.state === 'started') {
          this.sendInDialog(dialog, 'BYE', { headers: [['Reason', 'SIP ;cause=200 ;text="ACK timeout"']] }).catch((e: unknown) => {
            this.log.debug({ err: e }, 'sip: BYE after ACK timeout failed');
          });
        } else if (dialog) this.endDialog(dialog);
      }, 64 * t.t1),
    };
    const tick = (): void => {
      this.transport.send(p.res, p.target, () => {});
      p.interval = Math.min(p.interval * 2, t.t2);
      p.retransmit = this.clock.setTimeout(tick, p.interval);
    };
    if (!isReliable(st.target.transport)) p.retransmit = this.clock.setTimeout(tick, p.interval);
    this.pending2xx.set(key, p);
  }

  private stopPending(p: Pending2xx): void {
    if (p.retransmit !== undefined) this.clock.clearTimeout(p.retransmit);
    this.clock.clearTimeout(p.deadline);
    p.retransmit = undefined;
  }

  /** Ends the dialog an outgoing in-dialog request belongs to (local tag = From tag), if we keep it. */
  private endDialogOfOutgoing(req: SipRequest): void {
    const remoteTag = safeToTag(req);
    if (remoteTag === undefined) return;
    const dialog = this.dialogs.get(Dialog.keyOf({ callId: req.callId, localTag: safeTag(req), remoteTag }));
    if (dialog) this.endDialog(dialog);
  }

  /** A snapshot of the UAC dialogs of a Call-ID (callers may end them while iterating). */
  private uacDialogsOf(callId: string): Dialog[] {
    const set = this.uacByCallId.get(callId);
    return set ? [...set] : [];
  }

  private endDialog(dialog: Dialog): void {
    if (dialog.role === 'uac') {
      const set = this.uacByCallId.get(dialog.id.callId);
      if (set?.delete(dialog) === true && set.size === 0) this.uacByCallId.delete(dialog.id.callId);
    }
    dialog.state = 'terminated';
    if (this.dialogs.get(dialog.key) === dialog) {
      this.dialogs.delete(dialog.key);
      this.emit('dialogTerminated', dialog);
    }
  }

  // ---- client side -------------------------------------------------------------

  private watchClient(ct: ClientTransaction): void {
    const req = ct.request;
    if (req.method !== 'INVITE') return;
    const isReInvite = safeToTag(req) !== undefined;
    if (isReInvite) return;
    ct.on('response', (res) => this.onClientResponse(ct, req, res));
    this.watchClientEnd(ct, req.callId, safeTag(req));
  }

  /**
   * The listeners that outlive the request (an Accepted transaction releases it): built in
   * their own scope so their closures hold two strings, not the INVITE.
   */
  private watchClientEnd(ct: ClientTransaction, callId: string, localTag: string): void {
    ct.on('terminated', () => {
      // §13.2.2.4: early dialogs of other forks that never got a 2xx end with the transaction
      for (const d of this.uacDialogsOf(callId)) {
        if (d.state === 'early' && d.id.localTag === localTag) this.endDialog(d);
      }
    });
    ct.on('retransmission', (res) => {
      const sent = this.sentAcks.get(`${res.callId}|${res.cseq().seq}`);
      if (sent?.bytes && sent.target) this.transport.sendBytes(sent.bytes, sent.target, () => {});
    });
  }

  private onClientResponse(ct: ClientTransaction, req: SipRequest, res: SipResponse): void {
    let toTag: string | undefined;
    try {
      toTag = res.toTag();
    } catch {
      return;
    }
    if (!toTag) return;
    const key = Dialog.keyOf({ callId: req.callId, localTag: safeTag(req), remoteTag: toTag });
    const existing = this.dialogs.get(key);
    if (res.status > 100 && res.status < 300) {
      if (existing) existing.updateFromResponse(res);
      else {
        const flowId = ct.sent && ct.target.transport !== 'udp' ? ct.sent.flowId : undefined;
        const d = Dialog.asUac(req, res, flowId, ct.target.transport);
        this.dialogs.set(key, d);
        let set = this.uacByCallId.get(req.callId);
        if (!set) {
          set = new Set();
          this.uacByCallId.set(req.callId, set);
        }
        set.add(d);
      }
    } else if (res.status >= 300) {
      for (const d of this.uacDialogsOf(req.callId)) {
        if (d.state === 'early') this.endDialog(d);
      }
    }
  }

  private async resolveTarget(req: SipRequest, options: SendRequestOptions): Promise<SendTarget> {
    if (options.flowId) {
      const f = options.flowId;
      if (f.startsWith('udp|')) {
        const [, , host, port] = f.split('|');
        return { transport: 'udp', host, port: Number(port), flowId: f };
      }
      const conn = this.transport.connection(f);
      if (conn) return { transport: conn.transport, host: conn.remoteAddress, port: conn.remotePort, flowId: f };
      // the flow is gone: fall back to the destination or the URI (works for tcp/tls, not for ws)
    }
    if (options.destination) {
      const d = options.destination;
      return { transport: d.transport, host: await this.resolve(d.host), port: d.port };
    }
    const routes = req.getAll('route');
    let uri: SipUri;
    if (routes.length > 0) {
      const first = routes[0];
      const m = /<([^>]*)>/.exec(first);
      uri = SipUri.parse(m ? m[1] : first.split(';')[0]);
    } else uri = req.requestUri();
    if (!uri.isSip) throw new SipTransportError('ERR_SIP_NO_ROUTE', `cannot route to a ${uri.scheme}: URI`, { data: { uri: uri.toString() } });
    const tp = uri.transport;
    const transport: TransportName = tp === 'tcp' || tp === 'tls' || tp === 'ws' || tp === 'wss' || tp === 'udp' ? tp : uri.scheme === 'sips' ? 'tls' : 'udp';
    const maddr = uri.params.get('maddr');
    const name = maddr ?? uri.hostname;
    refuseInvalidHost(name);
    if (uri.port === undefined && !isIP(name)) {
      // RFC 3263 §4.2: a name without a port is looked up as SRV first
      const srv = await this.lookupSrv(uri.scheme === 'sips' || transport === 'tls' ? `_sips._tcp.${name}` : `_sip._${transport === 'udp' ? 'udp' : 'tcp'}.${name}`);
      if (srv) return { transport, host: await this.resolve(srv.name), port: srv.port };
    }
    const port = uri.port ?? (transport === 'tls' || transport === 'wss' ? 5061 : 5060);
    const host = await this.resolve(name);
    return { transport, host, port };
  }

  /** Best SRV record (lowest priority, then highest weight), or undefined when there is none. */
  private async lookupSrv(name: string): Promise<{ name: string; port: number } | undefined> {
    try {
      const records = await this.resolveSrvName(name);
      const best = [...records].sort((x, y) => x.priority - y.priority || y.weight - x.weight)[0];
      return best ? { name: best.name, port: best.port } : undefined;
    } catch {
      return undefined;
    }
  }

  private async resolve(host: string): Promise<string> {
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    if (isIP(bare)) return bare;
    refuseInvalidHost(bare);
    try {
      return await this.resolveHost(bare);
    } catch (e) {
      throw new SipTransportError('ERR_SIP_DNS', `cannot resolve ${bare}`, { cause: e, data: { host: bare } });
    }
  }

  private listenerFor(transport: TransportName): ListeningPoint {
    const lp = this.transport.listenerFor(transport);
    if (!lp) throw new SipTransportError('ERR_SIP_NO_TRANSPORT', `no ${transport} listener`, { data: { transport } });
    return lp;
  }

  /** Fills in what a UA core fills in (RFC 3261 §8.1.1). */
  private fillRequest(req: SipRequest, lp: ListeningPoint, transport: TransportName): void {
    const ours = this.topViaIsOurs(req);
    if (!ours) {
      const via = new Via({ transport: transport.toUpperCase(), host: lp.host, port: lp.port });
      via.params.set('branch', newBranch());
      via.params.set('rport', null);
      req.prepend('Via', via.toString());
    }
    if (!req.has('max-forwards')) req.add('Max-Forwards', '70');
    if (!req.has('to')) req.add('To', `<${req.uri}>`);
    if (!req.has('from')) req.add('From', `<sip:anonymous@${lp.host}>;tag=${randomToken(10)}`);
    else if (/;\s*tag\s*=/i.test(req.get('from') ?? '') === false) req.set('From', `${req.get('from')};tag=${randomToken(10)}`);
    if (!req.has('call-id')) req.add('Call-ID', `${randomToken(20)}@${lp.host}`);
    if (!req.has('cseq')) req.add('CSeq', `${1 + Math.floor(Math.random() * 10000)} ${req.method}`);
    if (DIALOG_METHODS.has(req.method) && !req.has('contact')) req.add('Contact', contactFor(lp));
  }

  private topViaIsOurs(req: SipRequest): boolean {
    const first = req.getAll('via')[0];
    if (first === undefined) return false;
    try {
      const via = Via.parse(first);
      if (!via.branch?.startsWith(MAGIC_COOKIE)) return false;
      return this.listeningPoints().some((lp) => lp.host.toLowerCase() === via.host.toLowerCase() && lp.port === via.port);
    } catch {
      return false;
    }
  }

  private assertStarted(): void {
    if (this.state !== 'started') throw new InvalidStateError('ERR_SIP_NOT_STARTED', 'stack is not started');
  }
}

/** Contact for a listener: `<sip:host:port;transport=x>` (RFC 3261 §8.1.1.8, RFC 7118 §5.4). */
function contactFor(lp: ListeningPoint): string {
  if (lp.transport === 'wss') return `<sips:${lp.host}:${lp.port};transport=ws>`;
  const tp = lp.transport === 'udp' ? '' : `;transport=${lp.transport}`;
  return `<sip:${lp.host}:${lp.port}${tp}>`;
}

/**
 * RFC 6761 §6.4: names under `.invalid` never resolve, and RFC 7118 §5 WebSocket clients put
 * such a name in their Via and Contact: they are reachable only over their own connection.
 * When that flow is gone, say so at once instead of asking DNS (SRV, then A) for it.
 */
function refuseInvalidHost(name: string): void {
  if (/\.invalid\.?$/i.test(name)) {
    throw new SipTransportError('ERR_SIP_FLOW_CLOSED', `${name} is reachable only over its own (WebSocket) flow, which is closed or unknown`, { data: { host: name } });
  }
}

/**
 * An ACK remembered for 64*T1 (§13.2.2.4: ours, re-sent on a 2xx retransmission; §13.3.2.5:
 * theirs, to absorb its retransmissions), on the transaction layer's shared expiry queue.
 */
class RememberedAck implements Expirable {
  constructor(
    private readonly map: Map<string, RememberedAck>, private readonly key: string,
    readonly bytes: Buffer | undefined, readonly target: SendTarget | undefined,
  ) {}

  onExpire(): void {
    if (this.map.get(this.key) === this) this.map.delete(this.key);
  }
}

/**
 * The bytes in a buffer of their own: a small Buffer from `Buffer.from(string)` sits in a
 * shared 64 KiB pool slab, and one kept for 64*T1 keeps the whole slab alive.
 */
function ownCopy(bytes: Buffer): Buffer {
  const out = Buffer.allocUnsafeSlow(bytes.length);
  bytes.copy(out);
  return out;
}

function safeTag(req: SipRequest): string {
  try {
    return req.fromTag() ?? '';
  } catch {
    return '';
  }
}

function safeToTag(req: SipRequest): string | undefined {
  try {
    return req.toTag();
  } catch {
    return undefined;
  }
}
