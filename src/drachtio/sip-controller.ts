import { randomInt } from 'node:crypto';
import type { Logger } from '../common/logger.js';
import type { ClientConnection } from './client-connection.js';
import { DialogStore, type AppDialog } from './dialog-store.js';
import { ProxyForwarder, destinationFor, routeIsUs, stripTopVia } from './proxy-forwarder.js';
import { formatSessionExpires, hasOptionTag, negotiateAsUas, parseSessionExpires } from './session-expires.js';
import { SessionTimers, type SessionTimerOptions } from './session-timers.js';
import type {
  CoreClientTransaction, CoreServerTransaction, Destination, DrachtioClock, InboundInfo, ListeningPoint, SendOptions,
  SentInfo, SipCore, SipTransportName,
} from './sip-core.js';
import {
  SipText, canonicalHeaderName, prettyHeaderName, hostPortOf, replaceHostPort, splitList, tagOf, uriOf, uriParam, withTag,
} from './sip-text.js';
import {
  CRLF, buildApiResponse, buildCdr, formatMeta, buildSentRequestResponse, buildSentResponseResponse, buildSipNotification, formatTime,
  newId, randomHex, type CdrKind, type SipMeta,
} from './wire-format.js';

/** What the controller needs from the server that owns the app connections. */
export interface ClientDirectory {
  /** Round-robin choice among authenticated clients that routed `verb` (lower case). */
  selectClient(verb: string): ClientConnection | undefined;
}

/** Methods drachtio-server offers to apps when they arrive outside a dialog. */
const ROUTABLE_OUTSIDE_DIALOG = new Set(['INVITE', 'REGISTER', 'MESSAGE', 'OPTIONS', 'INFO', 'NOTIFY', 'SUBSCRIBE', 'PUBLISH']);

/** Headers an app may not set (drachtio-server's immutable list), plus those we build ourselves. */
const IMMUTABLE = new Set(['via', 'route', 'rseq', 'record-route', 'content-length']);
const DIALOG_LEVEL = new Set(['from', 'to', 'call-id', 'cseq']);

/** An incoming request waiting for the app's response. */
interface PendingIncoming {
  txnId: string;
  st: CoreServerTransaction;
  request: SipText;
  client: ClientConnection;
  /** Tag we put in To for a new request (generated once, or chosen by the app). */
  toTag?: string;
  /** Existing dialog for in-dialog requests; would-be dialog id for new INVITE/SUBSCRIBE. */
  dialogId: string;
  inDialog: boolean;
  finalSent: boolean;
  canceled: boolean;
  rseq?: number;
  /** Retransmission of the last reliable provisional response (RFC 3262 §3). */
  relTimer?: unknown;
}

/** A request the app sent, waiting for responses. */
interface AppTransaction {
  txnId: string;
  ct: CoreClientTransaction;
  client: ClientConnection;
  method: string;
  dialogId: string;
  /** For an initial INVITE/SUBSCRIBE: the dialog being set up. */
  dialog?: AppDialog;
  canceled: boolean;
  seq: number;
}

export interface SipControllerOptions {
  core: SipCore;
  clients: ClientDirectory;
  logger: Logger;
  clock: DrachtioClock;
  /** RFC 3261 T1 in ms, for reliable provisional retransmission. Default 500. */
  t1Ms?: number;
  /** RFC 4028 session timers (Min-SE, default refresher, clock). */
  sessionTimers?: SessionTimerOptions;
}

/** Reason of the BYE sent when a session was not refreshed in time (drachtio-server's text). */
const SESSION_EXPIRED_REASON = 'SIP ;cause=200 ;text="Session timer expired"';
/** Refresh attempts answered 491 (glare) before the session is given up. */
const MAX_REFRESH_GLARE_RETRIES = 5;

/**
 * The SIP half of the drachtio server: turns app `sip` messages into SIP (filling in what
 * drachtio-server fills in) and SIP from the network into `sip` messages for apps, tracking
 * transactions by drachtio transaction id and dialogs by drachtio dialog id.
 */
export class SipController {
  readonly dialogs = new DialogStore({ onRemove: (d) => this.onDialogRemoved(d) });
  private readonly incoming = new Map<string, PendingIncoming>();
  private readonly appTxns = new Map<string, AppTransaction>();
  /**
   * Connections of registered contacts (`user@host` of the Contact → flow), like
   * drachtio-server's cacheTportForSubscription: a browser registered over WebSocket with
   * a `.invalid` contact is reached back over its connection.
   */
  private readonly regFlows = new Map<string, { flowId: string; transport: SipTransportName; expiresAt: number }>();
  private readonly core: SipCore;
  private readonly clients: ClientDirectory;
  private readonly log: Logger;
  private readonly clock: DrachtioClock;
  private readonly t1: number;
  private readonly timers: SessionTimers;
  /** Dialogs with one of our session refresh re-INVITEs in flight. */
  private readonly refreshing = new Set<AppDialog>();
  /** Dialogs whose app re-INVITE is being handed to the core (not yet in {@link appTxns}). */
  private readonly appInvitesSending = new Set<AppDialog>();

  constructor(opts: SipControllerOptions) {
    this.t1 = opts.t1Ms ?? 500;
    this.core = opts.core;
    this.clients = opts.clients;
    this.log = opts.logger;
    this.clock = opts.clock;
    this.timers = new SessionTimers({ ...opts.sessionTimers, clock: opts.sessionTimers?.clock ?? opts.clock }, {
      refresh: (d) => void this.sendSessionRefresh(d),
      expire: (d) => this.expireSession(d),
    });
    this.core.setHandler({
      onRequest: (req, info, st) => this.onNetworkRequest(req, info, st),
      onAckTimeout: (st) => this.onAckTimeout(st),
    });
  }

  /** Counts for tests and diagnostics. */
  stats(): { dialogs: number; pendingIncoming: number; appTransactions: number } {
    return { dialogs: this.dialogs.size, pendingIncoming: this.incoming.size, appTransactions: this.appTxns.size };
  }

  /** Forgets everything (server close). */
  clear(): void {
    this.regFlows.clear();
    for (const p of this.incoming.values()) this.stopReliable(p);
    this.dialogs.clear();
    this.incoming.clear();
    this.appTxns.clear();
    this.refreshing.clear();
    this.appInvitesSending.clear();
  }

  private onDialogRemoved(d: AppDialog): void {
    this.timers.disarm(d);
  }

  /** A client went away: its routes are gone; pending work for it is dropped. */
  clientGone(client: ClientConnection): void {
    for (const [id, p] of this.incoming) {
      if (p.client === client) {
        this.stopReliable(p);
        this.incoming.delete(id);
      }
    }
    for (const [id, t] of this.appTxns) {
      if (t.client === client) this.appTxns.delete(id);
    }
  }

  // ---------------------------------------------------------------- helpers

  private now(): string {
    return formatTime(this.clock.now());
  }

  private metaFromInbound(text: string, info: InboundInfo): SipMeta {
    return {
      source: 'network', bytes: Buffer.byteLength(text, 'utf8'), protocol: info.transport,
      address: info.remoteAddress, port: info.remotePort, time: this.now(),
    };
  }

  private metaFromSent(text: string, sent: SentInfo): SipMeta {
    return {
      source: 'application', bytes: Buffer.byteLength(text, 'utf8'), protocol: sent.transport,
      address: sent.localAddress, port: sent.localPort, time: this.now(),
    };
  }

  private listeningPoint(transport: SipTransportName): ListeningPoint | undefined {
    return this.core.listeningPoints().find((lp) => lp.transport === transport);
  }

  private contactFor(lp: ListeningPoint): string {
    const scheme = lp.transport === 'tls' || lp.transport === 'wss' ? 'sips' : 'sip';
    const t = lp.transport === 'udp' ? '' : `;transport=${lp.transport}`;
    return `<${scheme}:${lp.host}:${lp.port}${t}>`;
  }

  private static newTag(): string {
    return randomHex(6);
  }

  private sendCdr(kind: CdrKind, source: 'network' | 'application', extra: string | undefined, text: string): void {
    const client = this.clients.selectClient(`cdr:${kind}`);
    if (!client) return;
    client.send(buildCdr(kind, source, this.now(), extra, text));
  }

  private isLocal(dest: Destination): boolean {
    return this.core.listeningPoints().some((lp) => lp.host === dest.host && lp.port === dest.port);
  }

  /**
   * Copies app headers onto `out`, skipping what the server owns. `@localhost` in
   * From/To/Contact/P-Asserted-Identity becomes our address (drachtio-server's makeTags).
   */
  private static copyAppHeaders(app: SipText, out: SipText, lp: ListeningPoint | undefined, skip: ReadonlySet<string>): void {
    for (const h of app.headers) {
      const canon = canonicalHeaderName(h.name);
      if (IMMUTABLE.has(canon) || skip.has(canon)) continue;
      if (/[\r\n]/.test(h.value)) continue;
      let value = h.value;
      if (lp && value.includes('@localhost') && (canon === 'contact' || canon === 'p-asserted-identity')) {
        value = replaceHostPort(value, lp.host, lp.port);
      }
      out.add(prettyHeaderName(h.name), value);
    }
  }

  private static ensureContentType(out: SipText): string | undefined {
    if (out.body.length > 0 && !out.has('content-type')) {
      if (out.body.startsWith('v=0')) out.add('Content-Type', 'application/sdp');
      else return 'missing content-type';
    }
    return undefined;
  }

  // ------------------------------------------------------------ from network

  private onNetworkRequest(req: SipText, info: InboundInfo, st: CoreServerTransaction | undefined): void {
    try {
      this.handleNetworkRequest(req, info, st);
    } catch (err) {
      this.log.warn({ err, method: req.method }, 'drachtio: failed to handle incoming request');
      if (st && req.method !== 'ACK') this.respondLocally(st, 500, 'Server Internal Error');
    }
  }

  private respondLocally(st: CoreServerTransaction, status: number, reason: string, toTag?: string): void {
    const res = SipController.baseResponse(st.request, status, reason, status === 100 ? undefined : toTag ?? SipController.newTag());
    st.respond(res);
  }

  /** Response skeleton per RFC 3261 §8.2.6.2: Via, From, To (+tag), Call-ID, CSeq from the request. */
  private static baseResponse(req: SipText, status: number, reason: string, toTag: string | undefined): SipText {
    const res = SipText.response(status, reason);
    for (const v of req.getAll('via')) res.add('Via', v);
    res.add('From', req.get('from') ?? '');
    const to = req.get('to') ?? '';
    res.add('To', toTag && tagOf(to) === undefined ? withTag(to, toTag) : to);
    res.add('Call-ID', req.get('call-id') ?? '');
    res.add('CSeq', req.get('cseq') ?? '');
    return res;
  }

  private handleNetworkRequest(req: SipText, info: InboundInfo, st: CoreServerTransaction | undefined): void {
    const method = req.method.toUpperCase();
    const callId = req.get('call-id') ?? '';
    const toTag = tagOf(req.get('to'));
    const fromTag = tagOf(req.get('from')) ?? '';

    const topRoute = req.getAll('route').flatMap((v) => splitList(v))[0];
    if (topRoute && routeIsUs(topRoute, this.core.listeningPoints())) {
      void this.forwardByRoute(req, st);
      return;
    }

    if (method === 'ACK') {
      if (!toTag) return;
      const d = this.dialogs.find(callId, toTag, fromTag);
      if (!d) return;
      const text = req.toString();
      d.client.send(buildSipNotification(this.metaFromInbound(text, info), newId(), d.id, text));
      return;
    }
    if (!st) return;

    if (toTag) {
      const d = this.dialogs.find(callId, toTag, fromTag);
      if (!d) {
        this.respondLocally(st, 481, 'Call/Transaction Does Not Exist');
        return;
      }
      this.routeInDialog(d, req, info, st, method);
      return;
    }

    if (method === 'BYE' || method === 'UPDATE' || method === 'PRACK' || method === 'CANCEL') {
      this.respondLocally(st, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const client = this.clients.selectClient(method.toLowerCase());
    if (!client) {
      if (method === 'INVITE') this.sendCdr('attempt', 'network', undefined, req.toString());
      const tag = SipController.newTag();
      if (ROUTABLE_OUTSIDE_DIALOG.has(method)) {
        this.log.info({ method }, 'drachtio: no connected app routes this method; answering 503');
        this.respondLocally(st, 503, 'Service Unavailable', tag);
      } else {
        this.respondLocally(st, 405, 'Method Not Allowed', tag);
      }
      if (method === 'INVITE') {
        this.sendCdr('stop', 'application', 'call-rejected', SipController.baseResponse(req, 503, 'Service Unavailable', tag).toString());
      }
      return;
    }
    if (method === 'INVITE' && this.refuseSessionInterval(req, st)) return;
    const txnId = newId();
    const dialogCapable = method === 'INVITE' || method === 'SUBSCRIBE';
    const p: PendingIncoming = {
      txnId, st, request: req, client, dialogId: dialogCapable ? `${callId};from-tag=${fromTag}` : '',
      inDialog: false, finalSent: false, canceled: false,
    };
    this.incoming.set(txnId, p);
    if (method === 'INVITE') {
      st.onCancel((cancel, cinfo) => this.onNetworkCancel(p, cancel, cinfo));
    }
    const text = req.toString();
    client.send(buildSipNotification(this.metaFromInbound(text, info), txnId, '', text,
      { address: info.localAddress, port: info.localPort }));
    if (method === 'INVITE') this.sendCdr('attempt', 'network', undefined, text);
  }

  private onNetworkCancel(p: PendingIncoming, cancel: SipText, info: InboundInfo): void {
    if (p.finalSent) return;
    this.stopReliable(p);
    p.canceled = true;
    p.finalSent = true;
    this.incoming.delete(p.txnId);
    const early = this.dialogs.get(p.dialogId);
    if (early && early.state === 'early') this.dialogs.remove(early);
    const text = cancel.toString();
    p.client.send(buildSipNotification(this.metaFromInbound(text, info), p.txnId, p.dialogId, text));
    this.sendCdr('stop', 'network', 'call-canceled', text);
  }

  private routeInDialog(d: AppDialog, req: SipText, info: InboundInfo, st: CoreServerTransaction, method: string): void {
    if (!d.client.isOpen) {
      // the app that owned the dialog is gone: drachtio-server answers 481 (and a BYE ends the dialog)
      if (method === 'BYE') this.dialogs.remove(d);
      this.respondLocally(st, 481, 'Call/Transaction Does Not Exist');
      return;
    }
    const seq = req.cseq().seq;
    if (seq > d.remoteSeq) d.remoteSeq = seq;
    if ((method === 'INVITE' || method === 'UPDATE') && this.refuseSessionInterval(req, st, d)) return;
    if ((method === 'INVITE' || method === 'UPDATE') && req.has('contact')) {
      d.remoteTarget = uriOf(req.get('contact') ?? '');
    }
    if (method === 'PRACK') {
      const rack = /^\s*(\d+)/.exec(req.get('rack') ?? '');
      for (const inv of this.incoming.values()) {
        if (!inv.inDialog && inv.dialogId === d.id && rack && inv.rseq === Number(rack[1])) this.stopReliable(inv);
      }
    }
    const txnId = newId();
    this.incoming.set(txnId, {
      txnId, st, request: req, client: d.client, dialogId: d.id, inDialog: true, finalSent: false, canceled: false,
    });
    const text = req.toString();
    d.client.send(buildSipNotification(this.metaFromInbound(text, info), txnId, d.id, text));
    if (method === 'BYE') {
      d.terminating = true;
      this.dialogs.remove(d);
      this.sendCdr('stop', 'network', 'normal-release', text);
    }
  }

  /**
   * RFC 4028 §9 for an INVITE (or a re-INVITE / UPDATE in `d`) before the app sees it: a
   * Session-Expires below our Min-SE is answered 422 with our Min-SE (§6), a malformed
   * Session-Expires / Min-SE 400. Returns true when the request was answered here.
   */
  private refuseSessionInterval(req: SipText, st: CoreServerTransaction, d?: AppDialog): boolean {
    if (!req.has('session-expires')) return false;
    let decision;
    try {
      decision = negotiateAsUas(SessionTimers.offerOf(req, d), this.timers.policy);
    } catch {
      const res = SipController.baseResponse(st.request, 400, 'Bad Request', SipController.newTag());
      res.add('Warning', '399 tandem "malformed Session-Expires or Min-SE"');
      st.respond(res);
      return true;
    }
    if (decision.kind !== 'reject') return false;
    const res = SipController.baseResponse(st.request, 422, 'Session Interval Too Small', SipController.newTag());
    res.add('Min-SE', String(decision.minSE));
    st.respond(res);
    this.log.info({ callId: req.get('call-id'), sessionExpires: req.get('session-expires'), minSE: decision.minSE },
      'drachtio: session interval below Min-SE; answered 422');
    return true;
  }

  private onAckTimeout(st: CoreServerTransaction): void {
    const d = this.dialogs.findBySt(st);
    if (!d || d.terminating) return;
    this.log.warn({ dialogId: d.id }, 'drachtio: no ACK for 2xx; sending BYE');
    void this.sendByeForDialog(d, 'SIP ;cause=200 ;text="ACK timeout"');
  }

  /**
   * BYE generated by the server itself; the app learns of it as an `unsolicited` BYE (also
   * when the BYE could not be sent, so the app still ends the call). `cdrReason` adds a
   * `cdr:stop` with that reason.
   */
  private async sendByeForDialog(d: AppDialog, reason: string, cdrReason?: string): Promise<void> {
    d.terminating = true;
    this.dialogs.remove(d);
    const bye = this.buildInDialogRequest(d, 'BYE', undefined);
    bye.add('Reason', reason);
    let text = bye.toString();
    const lp = this.listeningPoint(d.transport);
    let sent: SentInfo = { transport: d.transport, localAddress: lp?.host ?? '', localPort: lp?.port ?? 0, remoteAddress: '', remotePort: 0 };
    try {
      const ct = await this.core.sendRequest(bye, this.sendOptionsFor(d));
      text = ct.request.toString();
      sent = ct.sent;
    } catch (err) {
      this.log.warn({ err, dialogId: d.id }, 'drachtio: failed to send BYE');
    }
    d.client.send(buildSipNotification(this.metaFromSent(text, sent), 'unsolicited', d.id, text));
    if (cdrReason) this.sendCdr('stop', 'application', cdrReason, text);
  }

  // ------------------------------------------------------- session timers (RFC 4028)

  /** Records our SDP in `d` (the body of a later session refresh), from an INVITE, ACK or response we sent. */
  private static noteLocalSdp(d: AppDialog, msg: SipText): void {
    if (msg.body.length === 0) return;
    const type = msg.get('content-type');
    if (type ? !/sdp/i.test(type) : !msg.body.startsWith('v=0')) return;
    d.localSdp = msg.body;
    d.localContentType = type ?? 'application/sdp';
  }

  /** True while an INVITE transaction runs in `d` (RFC 3261 §14.1: no second re-INVITE then). */
  private inviteInProgress(d: AppDialog): boolean {
    // our refresh in flight, or a 2xx the app has not ACKed yet
    if (this.refreshing.has(d) || this.appInvitesSending.has(d) || d.ackSeq !== undefined) return true;
    for (const p of this.incoming.values()) {
      if (p.inDialog && p.dialogId === d.id && p.request.method.toUpperCase() === 'INVITE' && !p.finalSent) return true;
    }
    for (const t of this.appTxns.values()) {
      if (t.dialogId === d.id && t.method === 'INVITE') return true;
    }
    return false;
  }

  /**
   * We are the refresher and half the interval passed: a re-INVITE with our last SDP,
   * `Session-Expires: <interval>;refresher=uac` and our Min-SE, handled here (the app does not
   * see it), as drachtio-server does. 2xx → ACK and re-arm from its Session-Expires (none: the
   * peer turned the timer off); 491 → retry in 2.1–4 s (RFC 3261 §14.1); any other failure or
   * no answer → BYE (`Session timer expired`) and the app is told.
   */
  private async sendSessionRefresh(d: AppDialog): Promise<void> {
    const timer = d.sessionTimer;
    if (!timer || d.terminating || this.dialogs.get(d.id) !== d) return;
    if (this.inviteInProgress(d)) {
      this.timers.retry(d, 2000);
      return;
    }
    const req = this.buildInDialogRequest(d, 'INVITE', undefined);
    req.add('Contact', d.localContact);
    req.add('Supported', 'timer');
    req.add('Session-Expires', formatSessionExpires(timer.intervalSeconds, 'uac'));
    req.add('Min-SE', String(timer.minSE));
    if (d.localSdp !== undefined) {
      req.add('Content-Type', d.localContentType ?? 'application/sdp');
      req.body = d.localSdp;
    }
    const seq = req.cseq().seq;
    this.refreshing.add(d);
    let ct: CoreClientTransaction;
    try {
      ct = await this.core.sendRequest(req, this.sendOptionsFor(d));
    } catch (err) {
      this.refreshing.delete(d);
      this.log.warn({ err, dialogId: d.id }, 'drachtio: could not send the session refresh; ending the dialog');
      this.expireSession(d);
      return;
    }
    this.log.debug({ dialogId: d.id, interval: timer.intervalSeconds }, 'drachtio: session refresh re-INVITE sent');
    ct.onResponse((res, info) => {
      if (res.status >= 200) void this.onRefreshAnswer(d, seq, res, info);
    });
    ct.onFailure((status) => {
      this.refreshing.delete(d);
      this.log.warn({ dialogId: d.id, status }, 'drachtio: session refresh failed; ending the dialog');
      this.expireSession(d);
    });
  }

  private async onRefreshAnswer(d: AppDialog, seq: number, res: SipText, info: InboundInfo): Promise<void> {
    this.refreshing.delete(d);
    const alive = !d.terminating && this.dialogs.get(d.id) === d;
    if (res.status >= 300) {
      if (!alive) return;
      const timer = d.sessionTimer;
      if (res.status === 491 && timer && timer.glareRetries < MAX_REFRESH_GLARE_RETRIES) {
        timer.glareRetries++;
        this.timers.retry(d, randomInt(2100, 4001));
        return;
      }
      this.log.warn({ dialogId: d.id, status: res.status }, 'drachtio: session refresh refused; ending the dialog');
      this.expireSession(d);
      return;
    }
    if (res.has('contact')) d.remoteTarget = uriOf(res.get('contact') ?? '');
    if (d.transport !== 'udp' && info.flowId) d.flowId = info.flowId;
    const ack = this.buildInDialogRequest(d, 'ACK', undefined, seq);
    try {
      await this.core.sendAck(ack, this.sendOptionsFor(d));
    } catch (err) {
      this.log.warn({ err, dialogId: d.id }, 'drachtio: could not ACK the session refresh');
    }
    if (!alive) return;
    this.sessionTimerFromAnswer(d, res, false);
  }

  /**
   * A 2xx to an INVITE/UPDATE we (or the app) sent in `d`: its Session-Expires sets the timer
   * (`refresher=uac` or none: we refresh, as drachtio-server reads it). A 2xx without one after
   * the dialog's first INVITE keeps the current timer, restarted (the session was refreshed);
   * after our own refresh it stops the timer (RFC 4028 §7.2: the peer turned it off).
   */
  private sessionTimerFromAnswer(d: AppDialog, res: SipText, keepWithoutHeader: boolean): void {
    const se = res.get('session-expires');
    if (se === undefined) {
      const t = d.sessionTimer;
      if (t && keepWithoutHeader) this.timers.arm(d, t.intervalSeconds, t.weRefresh, t.minSE);
      else if (!keepWithoutHeader) this.timers.disarm(d);
      return;
    }
    try {
      const v = parseSessionExpires(se);
      this.timers.arm(d, v.deltaSeconds, v.refresher !== 'uas', d.sessionTimer?.minSE);
    } catch {
      this.log.info({ dialogId: d.id, sessionExpires: se }, 'drachtio: malformed Session-Expires in a 2xx; no session timer');
    }
  }

  /**
   * The Session-Expires (and Require: timer) of our 2xx to an INVITE / re-INVITE / UPDATE,
   * per RFC 4028 §9, added to `res` unless the app wrote its own. Returns the timer to run
   * once the 2xx is sent: an interval and refresher, or `off` (the request had no
   * Session-Expires: a refresh without one turns the timer off).
   */
  private sessionTimerForAnswer(p: PendingIncoming, res: SipText): { intervalSeconds: number; weRefresh: boolean; minSE?: number } | 'off' | undefined {
    const d = p.inDialog ? this.dialogs.get(p.dialogId) : undefined;
    let offer;
    try {
      offer = SessionTimers.offerOf(p.request, d);
    } catch {
      return undefined;
    }
    const own = res.get('session-expires');
    if (own !== undefined) {
      let v;
      try {
        v = parseSessionExpires(own);
      } catch {
        return undefined;
      }
      // the UAS must name the refresher (§9): the UAC when it can refresh, else us
      const refresher = v.refresher ?? (offer.uacSupportsTimer ? 'uac' : 'uas');
      if (!v.refresher) res.set('Session-Expires', formatSessionExpires(v.deltaSeconds, refresher));
      if (refresher === 'uac' && !hasOptionTag(res.getAll('require'), 'timer')) res.add('Require', 'timer');
      return { intervalSeconds: v.deltaSeconds, weRefresh: refresher === 'uas', minSE: offer.minSE };
    }
    const decision = negotiateAsUas(offer, this.timers.policy);
    if (decision.kind !== 'accept') return 'off';
    res.add('Session-Expires', formatSessionExpires(decision.intervalSeconds, decision.refresher));
    if (decision.requireTimer && !hasOptionTag(res.getAll('require'), 'timer')) res.add('Require', 'timer');
    return { intervalSeconds: decision.intervalSeconds, weRefresh: decision.refresher === 'uas', minSE: offer.minSE };
  }

  /** The peer did not refresh in time (or our refresh failed): BYE, the app is told, `cdr:stop` session-expired. */
  private expireSession(d: AppDialog): void {
    if (d.terminating || this.dialogs.get(d.id) !== d) return;
    this.log.info({ dialogId: d.id, interval: d.sessionTimer?.intervalSeconds }, 'drachtio: session timer expired; sending BYE');
    void this.sendByeForDialog(d, SESSION_EXPIRED_REASON, 'session-expired');
  }

  // ------------------------------------------------------------------ from app

  /** Handles `msgId|sip|txnId|dialogId[|routeUrl]` CRLF sip from an app. */
  async onAppSip(client: ClientConnection, msgId: string, tokens: string[], payload: string): Promise<void> {
    const txnId = tokens[2] ?? '';
    const dialogId = tokens[3] ?? '';
    // srf passes createUAC's `proxy` option as given: a SIP URI or a bare host[:port]
    const rawRoute = (tokens[4] ?? '').trim();
    const routeUrl = rawRoute && !/^(sips?|tel):/i.test(rawRoute) ? `sip:${rawRoute}` : rawRoute;
    let msg: SipText;
    try {
      msg = SipText.parse(payload);
    } catch (err) {
      client.send(buildApiResponse(msgId, false, `invalid SIP message: ${(err as Error).message}`));
      return;
    }
    try {
      if (!msg.isRequest) {
        if (!txnId) {
          client.send(buildApiResponse(msgId, false, 'transaction id missing'));
          return;
        }
        this.respondToIncoming(client, msgId, txnId, msg);
      } else if (dialogId) {
        await this.sendInDialog(client, msgId, dialogId, msg);
      } else if (txnId) {
        if (msg.method.toUpperCase() === 'CANCEL') await this.sendCancel(client, msgId, txnId, msg);
        else client.send(buildApiResponse(msgId, false, 'only CANCEL may name a transaction id'));
      } else {
        const existing = msg.get('call-id') ? this.dialogs.findByCallId(msg.get('call-id') ?? '') : undefined;
        if (existing) await this.sendInDialog(client, msgId, existing.id, msg);
        else await this.sendOutsideDialog(client, msgId, msg, routeUrl);
      }
    } catch (err) {
      this.log.warn({ err }, 'drachtio: failed to process app sip message');
      client.send(buildApiResponse(msgId, false, `Server error: ${(err as Error).message}`));
    }
  }

  private respondToIncoming(client: ClientConnection, msgId: string, txnId: string, appRes: SipText): void {
    const p = this.incoming.get(txnId);
    if (!p) {
      let reason = 'Response not sent due to unknown transaction';
      if (/\bCANCEL\b/i.test(appRes.get('cseq') ?? '')) reason = '200 OK to incoming CANCEL is automatically generated by the stack';
      client.send(buildApiResponse(msgId, false, reason));
      return;
    }
    if (p.finalSent) {
      client.send(buildApiResponse(msgId, false, 'final response already sent'));
      return;
    }
    const req = p.request;
    const method = req.method.toUpperCase();
    const status = appRes.status;
    const lp = this.listeningPoint(p.st.info.transport);

    // the app may choose the To tag of a new request
    if (!p.inDialog && status !== 100 && p.toTag === undefined) {
      p.toTag = tagOf(appRes.get('to')) ?? SipController.newTag();
    }
    const res = SipController.baseResponse(req, status, appRes.reason || 'Unknown', status === 100 ? undefined : p.toTag);
    SipController.copyAppHeaders(appRes, res, lp, DIALOG_LEVEL);
    const dialogCapable = method === 'INVITE' || method === 'SUBSCRIBE';
    if (dialogCapable && status > 100 && status < 300 && !res.has('contact') && lp) {
      res.add('Contact', this.contactFor(lp));
    }
    res.body = appRes.body;
    SipController.ensureContentType(res);

    const reliable = method === 'INVITE' && !p.inDialog && status > 100 && status < 200
      && /\b100rel\b/i.test(appRes.getAll('require').join(','));
    if (reliable) {
      p.rseq = p.rseq === undefined ? randomInt(1, 2 ** 31) : p.rseq + 1;
      res.add('RSeq', String(p.rseq));
    }
    // RFC 4028 §9: a 2xx to INVITE / re-INVITE / UPDATE settles the session timer
    const sessionTimer = status >= 200 && status < 300 && (method === 'INVITE' || (p.inDialog && method === 'UPDATE'))
      ? this.sessionTimerForAnswer(p, res) : undefined;

    this.stopReliable(p);
    let answered: { text: string; sent: SentInfo };
    try {
      answered = p.st.respond(res);
    } catch (err) {
      // the transaction is gone (e.g. its transport closed): forget the request
      p.finalSent = true;
      this.incoming.delete(txnId);
      throw err;
    }
    const { text, sent } = answered;
    if (status >= 200) {
      p.finalSent = true;
      this.incoming.delete(txnId);
    }
    if ((method === 'REGISTER' || method === 'SUBSCRIBE') && status >= 200 && status < 300) this.cacheFlow(p, res);
    if (reliable) this.startReliable(p, res);

    let dialogId = '';
    if (p.inDialog) {
      dialogId = p.dialogId;
    } else if (dialogCapable) {
      dialogId = p.dialogId;
      // any 1xx with our To tag creates an early dialog (so PRACK / UPDATE route), a 2xx confirms it
      const establishes = status > 100 && status < 300;
      if (establishes) this.upsertUasDialog(p, res, status >= 200 ? 'confirmed' : 'early');
      else if (status >= 300) {
        const early = this.dialogs.get(p.dialogId);
        if (early) this.dialogs.remove(early);
      }
    }
    const dialog = method === 'INVITE' && status > 100 && status < 300 ? this.dialogs.get(p.dialogId) : undefined;
    if (dialog) SipController.noteLocalSdp(dialog, res);
    if (sessionTimer) {
      const d = this.dialogs.get(p.dialogId);
      if (d && d.state === 'confirmed' && !d.terminating) {
        if (sessionTimer === 'off') this.timers.disarm(d);
        else this.timers.arm(d, sessionTimer.intervalSeconds, sessionTimer.weRefresh, sessionTimer.minSE);
      }
    }
    client.send(buildSentResponseResponse(msgId, this.metaFromSent(text, sent), txnId, dialogId, text));
    if (method === 'INVITE' && !p.inDialog) {
      if (status >= 300) this.sendCdr('stop', 'application', 'call-rejected', text);
      else if (status >= 200) this.sendCdr('start', 'application', 'uas', text);
    }
  }

  private static aorKey(uri: string): string | undefined {
    try {
      const hp = hostPortOf(uri);
      return `${(hp.user ?? '').toLowerCase()}@${hp.host.toLowerCase()}`;
    } catch {
      return undefined;
    }
  }

  /** Remembers the connection a contact registered over (connection transports only). */
  private cacheFlow(p: PendingIncoming, res: SipText): void {
    const info = p.st.info;
    if (info.transport === 'udp' || !info.flowId) return;
    const contact = p.request.get('contact');
    if (!contact || contact.trim() === '*') return;
    const key = SipController.aorKey(uriOf(contact));
    if (!key) return;
    const m = /;\s*expires\s*=\s*(\d+)/i.exec(res.get('contact') ?? '') ?? /^\s*(\d+)/.exec(res.get('expires') ?? '')
      ?? /;\s*expires\s*=\s*(\d+)/i.exec(contact) ?? /^\s*(\d+)/.exec(p.request.get('expires') ?? '');
    const expires = m ? Number(m[1]) : 3600;
    if (expires === 0) this.regFlows.delete(key);
    else this.regFlows.set(key, { flowId: info.flowId, transport: info.transport, expiresAt: this.clock.now() + expires * 1000 });
  }

  private flowFor(uri: string): { flowId: string; transport: SipTransportName } | undefined {
    const key = SipController.aorKey(uri);
    const f = key ? this.regFlows.get(key) : undefined;
    if (!f) return undefined;
    if (f.expiresAt <= this.clock.now()) {
      this.regFlows.delete(key!);
      return undefined;
    }
    return f;
  }

  /** RFC 3262 §3: retransmit a reliable 1xx at T1, 2*T1, … until PRACK, a final response, or 64*T1. */
  private startReliable(p: PendingIncoming, res: SipText): void {
    const deadline = this.clock.now() + 64 * this.t1;
    let interval = this.t1;
    const tick = (): void => {
      p.relTimer = undefined;
      if (p.finalSent || this.clock.now() >= deadline) return;
      try {
        p.st.respond(res);
      } catch {
        return;
      }
      interval *= 2;
      p.relTimer = this.clock.setTimeout(tick, interval);
    };
    p.relTimer = this.clock.setTimeout(tick, interval);
  }

  private stopReliable(p: PendingIncoming): void {
    if (p.relTimer !== undefined) this.clock.clearTimeout(p.relTimer);
    p.relTimer = undefined;
  }

  private upsertUasDialog(p: PendingIncoming, res: SipText, state: 'early' | 'confirmed'): void {
    const req = p.request;
    const existing = this.dialogs.get(p.dialogId);
    if (existing) {
      existing.state = state;
      existing.inviteSt = p.st;
      this.dialogs.put(existing);
      return;
    }
    const info = p.st.info;
    const d: AppDialog = {
      id: p.dialogId,
      role: 'uas',
      method: req.method.toUpperCase(),
      state,
      callId: req.get('call-id') ?? '',
      localTag: p.toTag ?? '',
      remoteTag: tagOf(req.get('from')) ?? '',
      localHeader: res.get('to') ?? '',
      remoteHeader: req.get('from') ?? '',
      localSeq: randomInt(1, 2 ** 16),
      remoteSeq: req.cseq().seq,
      remoteTarget: uriOf(req.get('contact') ?? req.get('from') ?? ''),
      routeSet: req.getAll('record-route').flatMap((v) => splitList(v)),
      localContact: res.get('contact') ?? '',
      client: p.client,
      transport: info.transport,
      flowId: info.flowId,
      destination: { transport: info.transport, host: info.remoteAddress, port: info.remotePort },
      inviteSt: p.st,
    };
    this.dialogs.put(d);
  }

  private sendOptionsFor(d: AppDialog): SendOptions {
    if (d.transport !== 'udp' && d.flowId) return { flowId: d.flowId };
    const target = d.routeSet.length > 0 ? uriOf(d.routeSet[0]) : d.remoteTarget;
    try {
      const dest = destinationFor(target);
      if (d.transport !== 'udp' && !uriParam(target, 'transport')) dest.transport = d.transport;
      return { destination: dest };
    } catch {
      return d.destination ? { destination: d.destination } : {};
    }
  }

  private buildInDialogRequest(d: AppDialog, method: string, app: SipText | undefined, seq?: number): SipText {
    // RFC 3262 §7.2: a PRACK goes to the remote target of the early dialog, whatever URI the app put
    const useTarget = !app || method === 'ACK' || method === 'PRACK' || app.uri.includes('placeholder');
    const out = SipText.request(method, useTarget ? d.remoteTarget : app.uri);
    for (const r of d.routeSet) out.add('Route', r);
    out.add('From', d.localHeader);
    out.add('To', d.remoteHeader);
    out.add('Call-ID', d.callId);
    let cseq = seq;
    if (cseq === undefined) {
      d.localSeq += 1;
      cseq = d.localSeq;
    }
    out.add('CSeq', `${cseq} ${method}`);
    out.add('Max-Forwards', '70');
    return out;
  }

  private async sendInDialog(client: ClientConnection, msgId: string, dialogId: string, app: SipText): Promise<void> {
    const method = app.method.toUpperCase();
    const d = this.dialogs.get(dialogId);
    if (!d || d.terminating) {
      client.send(buildApiResponse(msgId, false, method === 'ACK'
        ? 'ACK for non-success final response is automatically generated by server'
        : 'Server error: unable to find dialog for dialog id provided'));
      return;
    }
    const lp = this.listeningPoint(d.transport);
    let seq: number | undefined;
    if (method === 'ACK') {
      if (d.ackSeq === undefined) {
        client.send(buildApiResponse(msgId, false, 'ACK for non-success responses is automatically generated by the stack'));
        return;
      }
      seq = d.ackSeq;
    }
    if (method === 'PRACK' && d.state !== 'early') {
      client.send(buildApiResponse(msgId, false, 'Server error: unable to find IIP when sending PRACK'));
      return;
    }
    const out = this.buildInDialogRequest(d, method, app, seq);
    SipController.copyAppHeaders(app, out, lp, DIALOG_LEVEL);
    // RFC 3262 §7.2: RAck names the reliable 1xx being acknowledged; filled in when the app leaves it out
    if (method === 'PRACK' && !out.has('rack') && d.reliable) out.add('RAck', d.reliable.rack);
    if ((method === 'INVITE' || method === 'SUBSCRIBE' || method === 'REFER') && !out.has('contact')) {
      out.add('Contact', d.localContact);
    }
    out.body = app.body;
    const ctErr = SipController.ensureContentType(out);
    if (ctErr) {
      client.send(buildApiResponse(msgId, false, `Server error: ${ctErr}`));
      return;
    }
    if (method === 'INVITE' || method === 'ACK') SipController.noteLocalSdp(d, out);
    const timer = d.sessionTimer;
    if (timer && (method === 'INVITE' || method === 'UPDATE') && !out.has('session-expires')) {
      // RFC 4028 §7.4: a re-INVITE/UPDATE in a timed session is a refresh and carries the timer
      out.add('Session-Expires', formatSessionExpires(timer.intervalSeconds, timer.weRefresh ? 'uac' : 'uas'));
      const supported = out.getAll('supported');
      if (supported.length === 0) out.add('Supported', 'timer');
      else if (!hasOptionTag(supported, 'timer')) out.set('Supported', `${supported.join(', ')}, timer`);
    }
    const opts = this.sendOptionsFor(d);

    if (method === 'ACK') {
      d.ackSeq = undefined;
      const { text, sent } = await this.core.sendAck(out, opts);
      client.send(buildSentRequestResponse(msgId, this.metaFromSent(text, sent), newId(), text));
      if (d.ackBye) await this.sendByeForDialog(d, 'SIP ;cause=200 ;text="ACK-BYE due to cancel race condition"');
      return;
    }
    if (method === 'BYE') d.terminating = true;
    // a session refresh falling due while this re-INVITE is being sent must wait for it (RFC 3261 §14.1)
    if (method === 'INVITE') this.appInvitesSending.add(d);
    let ct: CoreClientTransaction;
    try {
      ct = await this.core.sendRequest(out, opts);
    } finally {
      this.appInvitesSending.delete(d);
    }
    const txnId = newId();
    const t: AppTransaction = { txnId, ct, client, method, dialogId: d.id, canceled: false, seq: out.cseq().seq };
    this.appTxns.set(txnId, t);
    const text = ct.request.toString();
    client.send(buildSentRequestResponse(msgId, this.metaFromSent(text, ct.sent), txnId, text));
    if (method === 'BYE') this.sendCdr('stop', 'application', 'normal-release', text);
    this.watchAppTransaction(t, d);
  }

  private async sendOutsideDialog(client: ClientConnection, msgId: string, app: SipText, routeUrl: string): Promise<void> {
    const method = app.method.toUpperCase();
    if (method === 'ACK' || method === 'CANCEL' || method === 'PRACK') {
      client.send(buildApiResponse(msgId, false, `${method} must be sent within a transaction or dialog`));
      return;
    }
    let dest: Destination;
    const flow = routeUrl ? undefined : this.flowFor(app.uri);
    try {
      hostPortOf(app.uri);
      dest = destinationFor(routeUrl || app.uri);
      if (flow) dest.transport = flow.transport;
    } catch {
      client.send(buildApiResponse(msgId, false, `invalid request-uri: ${app.uri}`));
      return;
    }
    const lp = this.listeningPoint(dest.transport);
    if (!lp) {
      client.send(buildApiResponse(msgId, false, 'requested protocol/transport not available'));
      return;
    }
    if (this.isLocal(dest)) {
      client.send(buildApiResponse(msgId, false, 'can not send request to myself'));
      return;
    }
    const contact = this.contactFor(lp);
    const out = SipText.request(method, app.uri);
    let from = app.get('from') ?? contact;
    if (from.includes('localhost')) from = replaceHostPort(from, lp.host, lp.port);
    const fromTag = tagOf(from) ?? SipController.newTag();
    if (tagOf(from) === undefined) from = withTag(from, fromTag);
    let to = app.get('to') ?? `<${app.uri}>`;
    if (to.includes('@localhost')) to = replaceHostPort(to, lp.host, lp.port);
    const callId = app.get('call-id') ?? newId();
    const seq = (() => {
      const c = app.get('cseq');
      const m = c ? /^\s*(\d+)/.exec(c) : null;
      return m ? Number(m[1]) : randomInt(1, 2 ** 16);
    })();
    out.add('From', from);
    out.add('To', to);
    out.add('Call-ID', callId);
    out.add('CSeq', `${seq} ${method}`);
    out.add('Max-Forwards', '70');
    SipController.copyAppHeaders(app, out, lp, DIALOG_LEVEL);
    const dialogCapable = method === 'INVITE' || method === 'SUBSCRIBE';
    if (dialogCapable && !out.has('contact')) out.add('Contact', contact);
    out.body = app.body;
    const ctErr = SipController.ensureContentType(out);
    if (ctErr) {
      client.send(buildApiResponse(msgId, false, ctErr));
      return;
    }

    const ct = await this.core.sendRequest(out, flow ? { flowId: flow.flowId, destination: dest } : { destination: dest });
    const txnId = newId();
    const sentText = ct.request.toString();
    let dialog: AppDialog | undefined;
    const dialogId = dialogCapable ? `${callId};from-tag=${fromTag}` : '';
    if (dialogCapable) {
      dialog = {
        id: dialogId, role: 'uac', method, state: 'early', callId, localTag: fromTag, remoteTag: '',
        localHeader: from, remoteHeader: to, localSeq: seq, remoteSeq: 0, remoteTarget: app.uri, routeSet: [],
        localContact: ct.request.get('contact') ?? contact, client, transport: ct.sent.transport,
        destination: dest,
      };
      if (method === 'INVITE') SipController.noteLocalSdp(dialog, out);
    }
    const t: AppTransaction = { txnId, ct, client, method, dialogId, dialog, canceled: false, seq };
    this.appTxns.set(txnId, t);
    client.send(buildSentRequestResponse(msgId, this.metaFromSent(sentText, ct.sent), txnId, sentText));
    if (method === 'INVITE') this.sendCdr('attempt', 'application', undefined, sentText);
    this.watchAppTransaction(t, dialog);
  }

  /**
   * RFC 3262 §4 (UAC): a reliable provisional response (`Require: 100rel` and `RSeq`) is passed
   * to the app — whose PRACK it triggers, as with drachtio-server — only when it is the first of
   * its early dialog or carries the next RSeq; a retransmission or an out-of-order one is dropped
   * (returns false). Unreliable provisionals always pass.
   */
  private static acceptReliable(d: AppDialog, inviteSeq: number, res: SipText): boolean {
    if (!hasOptionTag(res.getAll('require'), '100rel')) return true;
    const m = /^\s*(\d{1,10})\s*$/.exec(res.get('rseq') ?? '');
    if (!m) return true;
    const rseq = Number(m[1]);
    const toTag = tagOf(res.get('to')) ?? '';
    const last = d.reliable;
    if (last && last.toTag === toTag && rseq !== last.rseq + 1) return false;
    d.reliable = { rseq, toTag, rack: `${rseq} ${inviteSeq} INVITE` };
    return true;
  }

  private watchAppTransaction(t: AppTransaction, d: AppDialog | undefined): void {
    const initial = t.dialog !== undefined;
    t.ct.onResponse((res, info) => this.onAppTxnResponse(t, d, initial, res, info));
    t.ct.onFailure((status, reason) => {
      const res = SipController.baseResponse(t.ct.request, status, reason, undefined);
      const sent = t.ct.sent;
      this.onAppTxnResponse(t, d, initial, res, {
        transport: sent.transport, remoteAddress: sent.remoteAddress, remotePort: sent.remotePort,
        localAddress: sent.localAddress, localPort: sent.localPort,
      });
    });
  }

  private onAppTxnResponse(t: AppTransaction, d: AppDialog | undefined, initial: boolean, res: SipText,
    info: InboundInfo): void {
    if (!this.appTxns.has(t.txnId)) return;
    const status = res.status;
    const isInvite = t.method === 'INVITE';
    if (initial && d && isInvite && status > 100 && status < 200 && !SipController.acceptReliable(d, t.seq, res)) return;
    if (initial && d) {
      const toTag = tagOf(res.get('to'));
      const establishes = (isInvite && status > 100 && status < 300)
        || (t.method === 'SUBSCRIBE' && status >= 200 && status < 300);
      if (establishes && toTag) {
        d.remoteTag = toTag;
        d.remoteHeader = res.get('to') ?? d.remoteHeader;
        if (res.has('contact')) d.remoteTarget = uriOf(res.get('contact') ?? '');
        d.routeSet = res.getAll('record-route').flatMap((v) => splitList(v)).reverse();
        d.state = status >= 200 ? 'confirmed' : 'early';
        d.flowId = info.flowId;
        if (isInvite && status >= 200) {
          d.ackSeq = t.seq;
          if (t.canceled) d.ackBye = true;
        }
        this.dialogs.put(d);
      } else if (status >= 300) {
        const existing = this.dialogs.get(d.id);
        if (existing === d) this.dialogs.remove(d);
      }
    } else if (d && isInvite && status >= 200 && status < 300) {
      d.ackSeq = t.seq;
      if (res.has('contact')) d.remoteTarget = uriOf(res.get('contact') ?? '');
    }
    // RFC 4028 §7.2: the 2xx to an INVITE (or a refresh) we sent sets the session timer
    if (d && d.method === 'INVITE' && (isInvite || t.method === 'UPDATE') && status >= 200 && status < 300
      && d.state === 'confirmed' && !d.terminating && this.dialogs.get(d.id) === d) {
      this.sessionTimerFromAnswer(d, res, !initial);
    }
    if (status >= 200) this.appTxns.delete(t.txnId);
    if (d && t.method === 'BYE' && status >= 200 && status !== 401 && status !== 407) {
      this.dialogs.remove(d);
    }
    const text = res.toString();
    t.client.send(buildSipNotification(this.metaFromInbound(text, info), t.txnId, t.dialogId, text));
    if (initial && isInvite) {
      if (status >= 300) this.sendCdr('stop', 'network', status === 487 ? 'call-canceled' : 'call-rejected', text);
      else if (status >= 200) this.sendCdr('start', 'network', 'uac', text);
    }
  }

  /**
   * Handles `msgId|proxy|txnId|remainInDialog|fullResponse|followRedirects|simultaneous|t1|t2|dest…`:
   * proxies the pending incoming request statefully (serial over the destinations).
   */
  async onAppProxy(client: ClientConnection, msgId: string, tokens: string[]): Promise<void> {
    const txnId = tokens[2] ?? '';
    const p = this.incoming.get(txnId);
    if (!p || p.finalSent || p.inDialog) {
      client.send(buildApiResponse(msgId, false, `Unknown transaction id: ${txnId}`));
      return;
    }
    const destinations = tokens.slice(9).filter((d) => d !== '');
    if (destinations.length === 0) {
      client.send(buildApiResponse(msgId, false, 'Invalid proxy request: not enough information provided'));
      return;
    }
    const mf = Number(p.request.get('max-forwards') ?? '70');
    if (Number.isFinite(mf) && mf <= 0) {
      this.incoming.delete(txnId);
      p.finalSent = true;
      this.respondLocally(p.st, 483, 'Too Many Hops');
      client.send(buildApiResponse(msgId, false, 'Rejected with 483 Too Many Hops due to Max-Forwards value of 0'));
      return;
    }
    const lp = this.listeningPoint(p.st.info.transport);
    if (!lp) {
      client.send(buildApiResponse(msgId, false, 'requested protocol/transport not available'));
      return;
    }
    this.incoming.delete(txnId);
    p.finalSent = true;
    const fullResponse = tokens[4] === 'fullResponse';
    const fwd = new ProxyForwarder(this.core, lp, {
      st: p.st,
      request: p.request,
      destinations,
      recordRoute: tokens[3] === 'remainInDialog',
      onFinalFromTarget: (res, info) => {
        if (!fullResponse) return;
        const text = res.toString();
        const meta = formatMeta(this.metaFromInbound(text, info));
        client.send(`${newId()}|response|${msgId}|OK|${meta}|||continue${CRLF}${text}`);
      },
      onDone: () => {
        if (fullResponse) client.send(buildApiResponse(msgId, true, 'done'));
      },
    }, this.log);
    const started = await fwd.start();
    if (!started) {
      client.send(buildApiResponse(msgId, false, 'error proxying request to destination'));
      return;
    }
    if (!fullResponse) client.send(buildApiResponse(msgId, true, 'done'));
  }

  /** A request whose top Route is us (we record-routed it): strip the Route and forward (RFC 3261 §16.4). */
  private async forwardByRoute(req: SipText, st: CoreServerTransaction | undefined): Promise<void> {
    const out = req.clone();
    const routes = out.getAll('route').flatMap((v) => splitList(v));
    out.remove('route');
    for (const r of routes.slice(1)) out.add('Route', r);
    const mf = Number(out.get('max-forwards') ?? '70');
    out.set('Max-Forwards', String(Number.isFinite(mf) ? mf - 1 : 69));
    const next = routes.length > 1 ? uriOf(routes[1]) : out.uri;
    try {
      const destination = destinationFor(next);
      if (!st) {
        await this.core.sendAck(out, { destination });
        return;
      }
      const ct = await this.core.sendRequest(out, { destination, proxy: true });
      ct.onResponse((res) => {
        if (res.status !== 100) st.respond(stripTopVia(res), { proxied: true });
      });
      ct.onFailure((status, reason) => this.respondLocally(st, status, reason));
    } catch (err) {
      this.log.warn({ err }, 'drachtio proxy: could not forward a routed request');
      if (st) this.respondLocally(st, 500, 'Server Internal Error');
    }
  }

  private async sendCancel(client: ClientConnection, msgId: string, txnId: string, app: SipText): Promise<void> {
    const t = this.appTxns.get(txnId);
    if (!t || t.method !== 'INVITE') {
      client.send(buildApiResponse(msgId, false, `unable to cancel unknown transaction id: ${txnId}`));
      return;
    }
    const extra = app.headers.filter((h) => {
      const c = canonicalHeaderName(h.name);
      return !IMMUTABLE.has(c) && !DIALOG_LEVEL.has(c) && c !== 'contact' && c !== 'max-forwards' && c !== 'content-type'
        && !/[\r\n]/.test(h.value);
    }).map((h) => ({ name: prettyHeaderName(h.name), value: h.value }));
    t.canceled = true;
    const r = await t.ct.cancel(extra);
    if (!r) {
      client.send(buildApiResponse(msgId, false, `internal server error canceling transaction id: ${txnId}`));
      return;
    }
    client.send(buildSentRequestResponse(msgId, this.metaFromSent(r.text, r.sent), newId(), r.text));
  }
}
