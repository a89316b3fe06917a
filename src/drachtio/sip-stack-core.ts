import {
  DEFAULT_PARSE_LIMITS, SipRequest, SipResponse, SipStack, SipUri, canonicalHeaderKey, parseMessage, type ClientTransaction,
  type InboundInfo as StackInboundInfo, type SendRequestOptions, type ServerTransaction, type SipMessage, type SipStackOptions,
} from '../sip/index.js';
import type {
  CoreClientTransaction, CoreServerTransaction, InboundInfo, ListeningPoint, RespondOptions, SendOptions, SentInfo,
  SipCore, SipCoreHandler, SipTransportName,
} from './sip-core.js';
import { SipText } from './sip-text.js';

/*
 * Messages cross between src/sip's model (SipMessage) and the wire protocol's (SipText)
 * here. Both keep ordered `{name, value}` header lines, so a message is converted field by
 * field, without serialising it and parsing the text again (that round trip was a large
 * part of bench:sip's CPU per call, docs/performance.md). The result is the one the round
 * trip gave: values trimmed, Content-Length = body length (first line kept, duplicates
 * dropped, appended when absent). Anything the fast path cannot vouch for (a header name
 * that is not a token, a CR/LF in a value, a message near the parser's limits, a bad
 * status or Request-URI) takes the old round trip, so errors are the parser's, unchanged.
 */

/** RFC 3261 §25.1 token (header names, methods). */
const TOKEN = /^[A-Za-z0-9.!%*_+`'~-]+$/;
const CR_OR_LF = /[\r\n]/;
/** The request methods SipText.parse accepts in a start line. */
const SIPTEXT_METHOD = /^[A-Za-z][\w.!%*+`'~-]*$/;
/** UTF-16 length × 3 bounds the UTF-8 byte length: below these, the parser's limits cannot be hit. */
const MAX_FAST_HEADER_CHARS = Math.floor(DEFAULT_PARSE_LIMITS.maxHeaderSize / 3) - 4;
const MAX_FAST_MESSAGE_CHARS = Math.floor(DEFAULT_PARSE_LIMITS.maxMessageSize / 3);

/** @internal SipMessage → SipText (= `SipText.parse(msg.serialize().toString())`, without the round trip). */
export function toText(msg: SipMessage): SipText {
  const t = new SipText();
  if (msg instanceof SipRequest) {
    // SipText.parse only takes methods starting with a letter (RFC 4475 intmeth.dat does not):
    // such a request keeps failing the way it did (ValidationError from the round trip)
    if (!SIPTEXT_METHOD.test(msg.method)) return SipText.parse(msg.serialize().toString('utf8'));
    t.method = msg.method;
    t.uri = msg.uri;
  } else {
    const r = msg as SipResponse;
    t.status = r.status;
    t.reason = r.reason.trim();
  }
  const len = String(msg.body.length);
  let clSeen = false;
  for (const h of msg.headers) {
    if (canonicalHeaderKey(h.name) === 'content-length') {
      if (clSeen) continue;
      clSeen = true;
      t.headers.push({ name: h.name, value: len });
      continue;
    }
    t.headers.push({ name: h.name, value: h.value.trim() });
  }
  if (!clSeen) t.headers.push({ name: 'Content-Length', value: len });
  t.body = msg.body.length === 0 ? '' : msg.body.toString('utf8');
  return t;
}

/** Copies the header lines of `text` onto `msg` when the parser would accept them unchanged; false otherwise. */
function copyHeaders(text: SipText, msg: SipMessage, bodyBytes: number): boolean {
  if (text.headers.length >= DEFAULT_PARSE_LIMITS.maxHeaders) return false;
  // start line (`METHOD uri SIP/2.0` or `SIP/2.0 NNN reason`) + body + the header lines below
  let total = text.method.length + text.uri.length + text.reason.length + 16 + text.body.length;
  let clSeen = false;
  for (const h of text.headers) {
    const line = h.name.length + h.value.length + 2;
    total += line + 2;
    if (line > MAX_FAST_HEADER_CHARS || !TOKEN.test(h.name) || CR_OR_LF.test(h.value)) return false;
    if (canonicalHeaderKey(h.name) === 'content-length') {
      if (clSeen) continue;
      clSeen = true;
      msg.headers.push({ name: h.name, value: String(bodyBytes) });
      continue;
    }
    msg.headers.push({ name: h.name, value: h.value.trim() });
  }
  if (total > MAX_FAST_MESSAGE_CHARS) return false;
  if (!clSeen) msg.headers.push({ name: 'Content-Length', value: String(bodyBytes) });
  return true;
}

/** @internal SipText → SipRequest (= `parseMessage(Buffer.from(text.toString()))`, without the round trip when safe). */
export function toRequest(text: SipText): SipRequest {
  if (TOKEN.test(text.method) && text.uri.length > 0 && !/[\s<>]/.test(text.uri)) {
    let uriOk = true;
    try {
      SipUri.parse(text.uri);
    } catch {
      uriOk = false;
    }
    const body = Buffer.from(text.body, 'utf8');
    const req = new SipRequest(text.method, text.uri);
    if (uriOk && copyHeaders(text, req, body.length)) {
      req.body = body;
      return req;
    }
  }
  return parseMessage(Buffer.from(text.toString(), 'utf8')) as SipRequest;
}

/** @internal SipText → SipResponse (= `parseMessage(Buffer.from(text.toString()))`, without the round trip when safe). */
export function toResponse(text: SipText): SipResponse {
  if (text.status >= 100 && text.status <= 699 && !CR_OR_LF.test(text.reason)) {
    const body = Buffer.from(text.body, 'utf8');
    const res = new SipResponse(text.status, text.reason);
    if (copyHeaders(text, res, body.length)) {
      res.body = body;
      return res;
    }
  }
  return parseMessage(Buffer.from(text.toString(), 'utf8')) as SipResponse;
}

function inboundOf(i: StackInboundInfo): InboundInfo {
  return {
    transport: i.transport, flowId: i.flowId, remoteAddress: i.remoteAddress, remotePort: i.remotePort,
    localAddress: i.localAddress, localPort: i.localPort,
  };
}

class ServerAdapter implements CoreServerTransaction {
  readonly request: SipText;
  cancelCb: ((c: SipText, i: InboundInfo) => void) | undefined;

  constructor(readonly st: ServerTransaction, private readonly core: SipStackCore, readonly info: InboundInfo) {
    this.request = toText(st.request);
  }

  respond(response: SipText, options: RespondOptions = {}): { text: string; sent: SentInfo } {
    const res = toResponse(response);
    res.wire = undefined;
    res.captureWire = true;
    if (this.st.finalSent) {
      // a proxied 2xx retransmission (or a second 2xx of a forked call) goes out statelessly
      if (res.status >= 200 && res.status < 300) this.core.stack.transport.send(res, this.st.target, () => undefined);
    } else {
      // proxied: no To tag/Contact/dialog and no 2xx retransmission or ACK timer (RFC 3261 §16.7)
      this.st.respond(res, { proxied: options.proxied === true });
      // after a final response only an ACK timeout (a 2xx to INVITE we retransmit) still
      // needs this adapter: let the transaction, which lives 64*T1 longer, stop holding it
      if (res.status >= 200 && !(res.status < 300 && this.st.isInvite && options.proxied !== true)) this.core.forget(this.st);
    }
    // the bytes the transport just sent (serialised once), else serialise (nothing went out);
    // then let go of them (the transaction keeps `res` for its retransmissions)
    const bytes = res.wire ?? res.serialize();
    res.captureWire = false;
    res.wire = undefined;
    return { text: bytes.toString('utf8'), sent: this.core.localSide(this.info.transport, this.info.remoteAddress, this.info.remotePort) };
  }

  onCancel(cb: (c: SipText, i: InboundInfo) => void): void {
    this.cancelCb = cb;
  }
}

class ClientAdapter implements CoreClientTransaction {
  readonly request: SipText;
  readonly sent: SentInfo;
  private responseCb: ((r: SipText, i: InboundInfo) => void) | undefined;
  private failureCb: ((s: number, r: string) => void) | undefined;
  private gotFinal = false;

  constructor(private readonly ct: ClientTransaction, private readonly core: SipStackCore, proxy: boolean) {
    this.request = toText(ct.request);
    // like drachtio-server (tport_name), report the listener's address as our side
    this.sent = core.localSide(ct.target.transport, ct.sent?.remoteAddress ?? ct.target.host, ct.sent?.remotePort ?? ct.target.port);
    ct.on('response', (res) => {
      if (res.status >= 200 && this.gotFinal) return;
      if (res.status >= 200) this.gotFinal = true;
      this.responseCb?.(toText(res), res.inbound ? inboundOf(res.inbound) : this.fallbackInbound());
    });
    // a retransmitted 2xx: the stack re-sends our ACK; a proxy relays it upstream instead
    if (proxy) ct.on('retransmission', (res) => this.responseCb?.(toText(res), res.inbound ? inboundOf(res.inbound) : this.fallbackInbound()));
    ct.on('timeout', () => this.fail(408, 'Request Timeout'));
    ct.on('transportError', () => this.fail(503, 'Service Unavailable'));
  }

  private fallbackInbound(): InboundInfo {
    return {
      transport: this.sent.transport, remoteAddress: this.sent.remoteAddress, remotePort: this.sent.remotePort,
      localAddress: this.sent.localAddress, localPort: this.sent.localPort,
    };
  }

  private fail(status: number, reason: string): void {
    if (this.gotFinal) return;
    this.gotFinal = true;
    this.failureCb?.(status, reason);
  }

  onResponse(cb: (r: SipText, i: InboundInfo) => void): void {
    this.responseCb = cb;
  }

  onFailure(cb: (s: number, r: string) => void): void {
    this.failureCb = cb;
  }

  async cancel(extraHeaders: ReadonlyArray<{ name: string; value: string }>): Promise<{ text: string; sent: SentInfo } | undefined> {
    const cct = await this.core.stack.cancel(this.ct, extraHeaders.map((h) => [h.name, h.value] as [string, string]));
    if (!cct) return undefined;
    return { text: cct.request.serialize().toString('utf8'), sent: this.sent };
  }
}

/**
 * The {@link SipCore} the drachtio server runs on, over Tandem's {@link SipStack} (src/sip):
 * the stack owns transports, transactions, CANCEL matching, 2xx retransmission and the ACK
 * timer; this adapter turns its events into the drachtio layer's calls. The stack must be
 * created with `byeOnAckTimeout: false` (the drachtio layer sends that BYE itself and tells
 * the app); {@link SipStackCore.create} does so.
 */
export class SipStackCore implements SipCore {
  private handler: SipCoreHandler | undefined;
  private readonly servers = new WeakMap<ServerTransaction, ServerAdapter>();

  /** A stack set up for the drachtio layer (no stack-generated BYE on ACK timeout). */
  static create(options: Omit<SipStackOptions, 'byeOnAckTimeout'>): SipStackCore {
    return new SipStackCore(new SipStack({ ...options, byeOnAckTimeout: false }));
  }

  constructor(readonly stack: SipStack) {
    stack.on('request', (req, st) => this.deliver(req, st));
    stack.on('inDialogRequest', (req, st) => this.deliver(req, st));
    stack.on('ack', (ack, _dialog, st) => {
      // the 2xx is acknowledged: nothing reaches this INVITE's adapter any more
      if (st) this.servers.delete(st);
      if (ack.inbound) this.handler?.onRequest(toText(ack), inboundOf(ack.inbound), undefined);
    });
    stack.on('cancel', (cancel, st) => {
      const a = this.servers.get(st);
      if (a) a.cancelCb?.(toText(cancel), cancel.inbound ? inboundOf(cancel.inbound) : a.info);
    });
    stack.on('ackTimeout', (st) => {
      const a = this.servers.get(st);
      this.servers.delete(st);
      if (a) this.handler?.onAckTimeout(a);
    });
  }

  start(): Promise<void> {
    return this.stack.start();
  }

  close(): Promise<void> {
    return this.stack.close();
  }

  listeningPoints(): ListeningPoint[] {
    return this.stack.listeningPoints().map((lp) => ({ transport: lp.transport, host: lp.host, port: lp.port }));
  }

  setHandler(handler: SipCoreHandler): void {
    this.handler = handler;
  }

  /** @internal drops the adapter of a server transaction that needs none any more. */
  forget(st: ServerTransaction): void {
    this.servers.delete(st);
  }

  /** @internal our side of a message on `transport` (the listener's advertised host/port). */
  localSide(transport: SipTransportName, remoteAddress: string, remotePort: number): SentInfo {
    const lp = this.stack.transport.listenerFor(transport);
    return { transport, localAddress: lp?.host ?? '', localPort: lp?.port ?? 0, remoteAddress, remotePort };
  }

  private deliver(req: SipRequest, st: ServerTransaction): void {
    const inbound = req.inbound ? inboundOf(req.inbound) : {
      transport: st.target.transport, flowId: st.target.flowId, remoteAddress: st.target.host, remotePort: st.target.port,
      localAddress: '', localPort: 0,
    };
    const a = new ServerAdapter(st, this, inbound);
    this.servers.set(st, a);
    this.handler?.onRequest(a.request, inbound, a);
  }

  private static options(o: SendOptions): SendRequestOptions {
    const out: SendRequestOptions = {};
    if (o.destination) out.destination = o.destination;
    if (o.flowId) out.flowId = o.flowId;
    return out;
  }

  async sendRequest(request: SipText, options: SendOptions): Promise<CoreClientTransaction> {
    const ct = await this.stack.sendRequest(toRequest(request), SipStackCore.options(options));
    return new ClientAdapter(ct, this, options.proxy === true);
  }

  async sendAck(ack: SipText, options: SendOptions): Promise<{ text: string; sent: SentInfo }> {
    const req = toRequest(ack);
    req.captureWire = true;
    const s = await this.stack.sendAck(req, SipStackCore.options(options));
    const bytes = req.wire ?? req.serialize();
    req.captureWire = false;
    req.wire = undefined;
    return {
      text: bytes.toString('utf8'),
      sent: { transport: s.transport, localAddress: s.localAddress, localPort: s.localPort, remoteAddress: s.remoteAddress, remotePort: s.remotePort },
    };
  }
}
