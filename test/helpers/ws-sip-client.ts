/**
 * A minimal browser-side SIP-over-WebSocket UA (RFC 7118) for tests: raw frames over `ws`,
 * REGISTER / INVITE with one digest retry (RFC 3261 §22.2), ACK (§17.1.1.3 / §13.2.2.4),
 * in-dialog requests, and a 200 to every in-dialog request from the gateway (BYE, re-INVITE, INFO).
 */
import WebSocket from 'ws';
import { digestAuthorization, hdr, ok200, parseSip, rand, type SipMsg } from './sip-text.js';

/**
 * What arrives at a raw SIP UA, whatever the transport: `push` each parsed message; requests
 * (but ACK) are answered 200 through `out`; `next` waits for a message matching a predicate.
 */
export class SipInbox {
  readonly inbox: SipMsg[] = [];
  private waiters: Array<() => void> = [];
  /** BYE requests received (each answered 200). */
  byes = 0;

  /** @param defaultTimeoutMs how long `next` waits by default (5000 ms). */
  constructor(protected readonly out: (raw: string) => void, private readonly defaultTimeoutMs = 5000) {}

  push(m: SipMsg): void {
    if (m.status === 0 && m.method !== 'ACK') {
      if (m.method === 'BYE') this.byes++;
      this.out(ok200(m));
    }
    this.inbox.push(m);
    this.wake();
  }

  /** Wakes every `next` waiting (to re-check its condition). */
  protected wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  /** Takes the first message (arrived or arriving within `timeoutMs`) for which `ok` holds. */
  async next(ok: (m: SipMsg) => boolean, what: string, timeoutMs = this.defaultTimeoutMs): Promise<SipMsg> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(ok);
      if (i >= 0) return this.inbox.splice(i, 1)[0]!;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timeout waiting for ${what}; got ${this.inbox.map((m) => m.first).join(' | ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

export interface WsSipClientOptions {
  /** The user's domain in From / To / request URIs. */
  realm: string;
  /** SDP offer `call` sends. Default: none (use `invite` with a body). */
  offer?: string;
  /** HTTP headers of the WebSocket upgrade (e.g. Cookie). Default: none. */
  headers?: Record<string, string>;
}

/** The browser-side UA over one WebSocket; Via host is a random `.invalid` name, as JsSIP does. */
export class WsSipClient extends SipInbox {
  readonly host = `${rand()}.invalid`;
  /** The WebSocket close code once closed. */
  closeCode: number | null = null;
  private cseq = 1;

  private constructor(readonly ws: WebSocket, readonly user: string, private readonly o: WsSipClientOptions) {
    super((raw) => ws.send(raw));
    ws.on('message', (d: Buffer) => {
      const raw = d.toString('utf8');
      if (raw.trim() === '') return;
      this.push(parseSip(raw));
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake();
    });
    ws.on('error', () => {});
  }

  /** Opens `url` with subprotocol `sip` and resolves once open. */
  static async open(url: string, user: string, o: WsSipClientOptions): Promise<WsSipClient> {
    const ws = new WebSocket(url, 'sip', { headers: o.headers ?? {} });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsSipClient(ws, user, o);
  }

  /** Sends a request; answers a 401/407 challenge once when `password` is given; ACKs a failed INVITE; returns the final response. */
  async request(method: 'REGISTER' | 'INVITE', uri: string, opts: { password?: string; body?: string } = {}): Promise<{ res: SipMsg; callId: string; fromTag: string; cseq: number; branch: string }> {
    const callId = rand();
    const fromTag = rand();
    let auth = '';
    for (let attempt = 0; ; attempt++) {
      const branch = `z9hG4bK${rand()}`;
      const cseq = this.cseq++;
      const to = method === 'REGISTER' ? `<sip:${this.user}@${this.o.realm}>` : `<${uri}>`;
      const lines = [
        `${method} ${uri} SIP/2.0`,
        `Via: SIP/2.0/WS ${this.host};branch=${branch}`,
        'Max-Forwards: 70',
        `From: <sip:${this.user}@${this.o.realm}>;tag=${fromTag}`,
        `To: ${to}`,
        `Call-ID: ${callId}`,
        `CSeq: ${cseq} ${method}`,
        `Contact: <sip:${this.user}@${this.host};transport=ws>`,
        ...(method === 'REGISTER' ? ['Expires: 600'] : []),
        ...(auth ? [auth] : []),
        ...(opts.body ? ['Content-Type: application/sdp'] : []),
        `Content-Length: ${Buffer.byteLength(opts.body ?? '')}`,
        '',
        opts.body ?? '',
      ];
      this.ws.send(lines.join('\r\n'));
      const res = await this.next((m) => m.status >= 200 && hdr(m, 'call-id') === callId && hdr(m, 'cseq').startsWith(`${cseq} `), `${method} final response`);
      if (method === 'INVITE' && res.status >= 300) this.ack(uri, res, branch, cseq);
      if ((res.status === 401 || res.status === 407) && opts.password !== undefined && attempt === 0) {
        const ch = hdr(res, res.status === 401 ? 'www-authenticate' : 'proxy-authenticate');
        auth = `${res.status === 401 ? 'Authorization' : 'Proxy-Authorization'}: ${digestAuthorization(ch, method, uri, this.user, opts.password)}`;
        continue;
      }
      return { res, callId, fromTag, cseq, branch };
    }
  }

  /** ACK: for a non-2xx in the INVITE's transaction (same branch), for 2xx a new one to the Contact. */
  ack(uri: string, res: SipMsg, branch: string, cseq: number): void {
    const two = res.status < 300;
    const target = two ? (/<([^>]+)>/.exec(hdr(res, 'contact'))?.[1] ?? uri) : uri;
    const lines = [
      `ACK ${target} SIP/2.0`,
      `Via: SIP/2.0/WS ${this.host};branch=${two ? `z9hG4bK${rand()}` : branch}`,
      'Max-Forwards: 70',
      ...(two ? (res.headers.get('record-route') ?? []).reverse().map((r) => `Route: ${r}`) : []),
      `From: ${hdr(res, 'from')}`,
      `To: ${hdr(res, 'to')}`,
      `Call-ID: ${hdr(res, 'call-id')}`,
      `CSeq: ${cseq} ACK`,
      'Content-Length: 0',
      '',
      '',
    ];
    this.ws.send(lines.join('\r\n'));
  }

  /** INVITEs `sip:target@realm` with `body` (answering one challenge when `password` is given); ACKs; resolves with the final response. */
  async invite(target: string, password: string | undefined, body: string): Promise<SipMsg> {
    const uri = `sip:${target}@${this.o.realm}`;
    const r = await this.request('INVITE', uri, { body, ...(password !== undefined ? { password } : {}) });
    if (r.res.status < 300) this.ack(uri, r.res, r.branch, r.cseq);
    return r.res;
  }

  /** Calls `target` with the configured offer; resolves with the 2xx (ACKed) or the failure response. */
  async call(target: string, password?: string): Promise<SipMsg> {
    return this.invite(target, password, this.o.offer ?? '');
  }

  /** Sends a request inside the dialog of an answered INVITE (`res` its 200); resolves with the final response. */
  async inDialog(res: SipMsg, method: string, contentType: string, body: string): Promise<SipMsg> {
    const cseq = this.cseq++;
    const target = /<([^>]+)>/.exec(hdr(res, 'contact'))?.[1] ?? '';
    const callId = hdr(res, 'call-id');
    this.ws.send([
      `${method} ${target} SIP/2.0`, `Via: SIP/2.0/WS ${this.host};branch=z9hG4bK${rand()}`, 'Max-Forwards: 70',
      ...(res.headers.get('record-route') ?? []).reverse().map((r) => `Route: ${r}`),
      `From: ${hdr(res, 'from')}`, `To: ${hdr(res, 'to')}`, `Call-ID: ${callId}`, `CSeq: ${cseq} ${method}`,
      `Content-Type: ${contentType}`, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n'));
    return this.next((m) => m.status >= 200 && hdr(m, 'call-id') === callId && hdr(m, 'cseq') === `${cseq} ${method}`, `${method} final response`);
  }
}
