import { EventEmitter } from 'node:events';
import { SipText } from '../../../src/drachtio/sip-text.js';
import type {
  CoreClientTransaction, CoreServerTransaction, InboundInfo, ListeningPoint, SendOptions, SentInfo, SipCore, SipCoreHandler,
} from '../../../src/drachtio/sip-core.js';

export const PEER: InboundInfo = {
  transport: 'udp', remoteAddress: '127.0.0.1', remotePort: 5070, localAddress: '127.0.0.1', localPort: 5060,
};
const SENT: SentInfo = { transport: 'udp', localAddress: '127.0.0.1', localPort: 5060, remoteAddress: '127.0.0.1', remotePort: 5070 };

/** Server transaction double: records responses. */
export class FakeServerTransaction extends EventEmitter implements CoreServerTransaction {
  readonly responses: SipText[] = [];
  private cancelCb: ((c: SipText, i: InboundInfo) => void) | undefined;
  constructor(readonly request: SipText, readonly info: InboundInfo) {
    super();
  }
  respond(response: SipText, _options?: unknown): { text: string; sent: SentInfo } {
    const text = response.toString();
    this.responses.push(SipText.parse(text));
    this.emit('response', this.responses[this.responses.length - 1]);
    return { text, sent: SENT };
  }
  onCancel(cb: (c: SipText, i: InboundInfo) => void): void {
    this.cancelCb = cb;
  }
  /** The network CANCELs (the core answered 200/487 already). */
  cancel(cancel: SipText): void {
    this.cancelCb?.(cancel, this.info);
  }
  nextResponse(): Promise<SipText> {
    return new Promise((resolve) => this.once('response', resolve));
  }
}

/** Client transaction double: the test injects responses. */
export class FakeClientTransaction implements CoreClientTransaction {
  private responseCb: ((r: SipText, i: InboundInfo) => void) | undefined;
  private failureCb: ((s: number, r: string) => void) | undefined;
  readonly cancels: SipText[] = [];
  readonly sent = SENT;
  constructor(readonly request: SipText, readonly options: SendOptions) {}
  private queued: SipText[] = [];
  onResponse(cb: (r: SipText, i: InboundInfo) => void): void {
    this.responseCb = cb;
    for (const r of this.queued.splice(0)) cb(r, PEER);
  }
  onFailure(cb: (s: number, r: string) => void): void {
    this.failureCb = cb;
  }
  async cancel(extra: ReadonlyArray<{ name: string; value: string }>): Promise<{ text: string; sent: SentInfo } | undefined> {
    const c = SipText.request('CANCEL', this.request.uri);
    for (const n of ['via', 'from', 'to', 'call-id']) c.add(n, this.request.get(n) ?? '');
    c.add('CSeq', `${this.request.cseq().seq} CANCEL`);
    for (const h of extra) c.add(h.name, h.value);
    this.cancels.push(c);
    return { text: c.toString(), sent: SENT };
  }
  /** A response from the network, built from the request with the given To tag/extra headers/body. */
  respond(status: number, reason: string, opts: { toTag?: string; headers?: Record<string, string>; body?: string } = {}): SipText {
    const r = SipText.response(status, reason);
    for (const v of this.request.getAll('via')) r.add('Via', v);
    r.add('From', this.request.get('from') ?? '');
    const to = this.request.get('to') ?? '';
    r.add('To', opts.toTag ? `${to};tag=${opts.toTag}` : to);
    r.add('Call-ID', this.request.get('call-id') ?? '');
    r.add('CSeq', this.request.get('cseq') ?? '');
    for (const [k, v] of Object.entries(opts.headers ?? {})) r.add(k, v);
    r.body = opts.body ?? '';
    if (this.responseCb) this.responseCb(r, PEER);
    else this.queued.push(r);
    return r;
  }
  fail(status: number, reason: string): void {
    this.failureCb?.(status, reason);
  }
}

/** An in-memory SipCore: the test plays the network. */
export class FakeSipCore extends EventEmitter implements SipCore {
  handler: SipCoreHandler | undefined;
  readonly sentRequests: FakeClientTransaction[] = [];
  readonly acks: SipText[] = [];
  private branch = 0;
  listeningPoints(): ListeningPoint[] {
    return [{ transport: 'udp', host: '127.0.0.1', port: 5060 }];
  }
  setHandler(handler: SipCoreHandler): void {
    this.handler = handler;
  }
  async sendRequest(request: SipText, options: SendOptions): Promise<CoreClientTransaction> {
    const r = request.clone();
    r.prepend('Via', `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKfake${++this.branch};rport`);
    const ct = new FakeClientTransaction(r, options);
    this.sentRequests.push(ct);
    this.emit('request', ct);
    return ct;
  }
  async sendAck(ack: SipText, _options: SendOptions): Promise<{ text: string; sent: SentInfo }> {
    const r = ack.clone();
    r.prepend('Via', `SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKfake${++this.branch};rport`);
    this.acks.push(r);
    this.emit('ack', r);
    return { text: r.toString(), sent: SENT };
  }
  nextRequest(): Promise<FakeClientTransaction> {
    return new Promise((resolve) => this.once('request', resolve));
  }
  nextAck(): Promise<SipText> {
    return new Promise((resolve) => this.once('ack', resolve));
  }
  /** The network sends a request; returns its server transaction (undefined for ACK). */
  inject(text: string): FakeServerTransaction | undefined {
    const req = SipText.parse(text);
    const st = req.method === 'ACK' ? undefined : new FakeServerTransaction(req, PEER);
    this.handler?.onRequest(req, PEER, st);
    return st;
  }
}
