// A whole Gateway (embedded SIP: udp + ws, drachtio server, media engine) with real sockets:
// a browser-side SIP-over-WebSocket client (raw RFC 7118 frames over `ws`, SDP taken from a
// Chromium capture) calls a phone (an in-test UDP SIP UA, so BYE arrival is timed exactly).
//  - the WebSocket is destroyed mid-call → the phone gets BYE within 2 s, the engine has 0 calls
//  - calls.maxDurationSeconds and media.rtpTimeoutSeconds end an answered call with BYE
//  - browser tokens (?token= / tandem_token cookie) register and call without digest; expired or
//    forged tokens get 403; digest still works.
import { expect } from 'chai';
import crypto from 'node:crypto';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { Gateway } from '../../../src/gateway.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/common/logger.js';
import { TokenAuth } from '../../../src/app/auth/token-auth.js';
import { fixturesDir } from '../../helpers/paths.js';
import { freePorts } from '../../helpers/ports.js';

const REALM = 'tandem.test';
const SECRET = 'a-test-secret-of-32-characters!!';
const fx = (c: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
const BROWSER_OFFER = fx('w2s-offer-chromium-avp');
const PHONE_ANSWER = fx('s2w-answer-sipp-pcmu');

interface Msg { first: string; status: number; headers: Map<string, string[]>; body: string; raw: string }

function parse(raw: string): Msg {
  const sep = raw.indexOf('\r\n\r\n');
  const head = sep >= 0 ? raw.slice(0, sep) : raw;
  const body = sep >= 0 ? raw.slice(sep + 4) : '';
  const lines = head.split('\r\n');
  const first = lines[0] ?? '';
  const headers = new Map<string, string[]>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i < 0) continue;
    const k = l.slice(0, i).trim().toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), l.slice(i + 1).trim()]);
  }
  const m = /^SIP\/2\.0 (\d{3})/.exec(first);
  return { first, status: m ? Number(m[1]) : 0, headers, body, raw };
}
const hdr = (m: Msg, name: string): string => (m.headers.get(name.toLowerCase()) ?? [])[0] ?? '';
const rand = (): string => crypto.randomBytes(6).toString('hex');
const md5 = (s: string): string => crypto.createHash('md5').update(s).digest('hex');

function digest(challenge: string, method: string, uri: string, user: string, password: string): string {
  const p = (k: string): string => new RegExp(`${k}="?([^",]+)"?`, 'i').exec(challenge)?.[1] ?? '';
  const realm = p('realm');
  const nonce = p('nonce');
  const qop = p('qop') ? 'auth' : '';
  const cnonce = rand();
  const ha1 = md5(`${user}:${realm}:${password}`);
  const ha2 = md5(`${method}:${uri}`);
  const response = qop ? md5(`${ha1}:${nonce}:00000001:${cnonce}:${qop}:${ha2}`) : md5(`${ha1}:${nonce}:${ha2}`);
  const opaque = p('opaque');
  return `Digest username="${user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5`
    + (qop ? `, qop=${qop}, nc=00000001, cnonce="${cnonce}"` : '') + (opaque ? `, opaque="${opaque}"` : '');
}

/** A minimal browser-side SIP-over-WebSocket UA (RFC 7118), enough for REGISTER / INVITE / ACK. */
class WsUa {
  private readonly inbox: Msg[] = [];
  private waiters: Array<() => void> = [];
  readonly ws: WebSocket;
  readonly host = `${rand()}.invalid`;
  private cseq = 1;

  private constructor(ws: WebSocket, readonly user: string) {
    this.ws = ws;
    ws.on('message', (d: Buffer) => {
      const raw = d.toString('utf8');
      if (raw.trim() === '') return;
      const m = parse(raw);
      if (m.status === 0 && !m.first.startsWith('ACK')) {
        // In-dialog requests from the gateway (BYE, re-INVITE): answer 200.
        const reply = ['SIP/2.0 200 OK', ...['via', 'from', 'to', 'call-id', 'cseq'].flatMap((h) => (m.headers.get(h) ?? []).map((v) => `${h}: ${v}`)), 'Content-Length: 0', '', ''].join('\r\n');
        ws.send(reply);
      }
      this.inbox.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(url: string, user: string, headers: Record<string, string> = {}): Promise<WsUa> {
    const ws = new WebSocket(url, 'sip', { headers });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsUa(ws, user);
  }

  async next(ok: (m: Msg) => boolean, what: string, timeoutMs = 5000): Promise<Msg> {
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

  /** Sends a request; answers a 401/407 challenge once when `password` is given; returns the final response. */
  async request(method: 'REGISTER' | 'INVITE', uri: string, opts: { password?: string; body?: string } = {}): Promise<{ res: Msg; callId: string; fromTag: string; cseq: number; branch: string }> {
    const callId = rand();
    const fromTag = rand();
    let auth = '';
    for (let attempt = 0; ; attempt++) {
      const branch = `z9hG4bK${rand()}`;
      const cseq = this.cseq++;
      const to = method === 'REGISTER' ? `<sip:${this.user}@${REALM}>` : `<${uri}>`;
      const lines = [
        `${method} ${uri} SIP/2.0`,
        `Via: SIP/2.0/WS ${this.host};branch=${branch}`,
        'Max-Forwards: 70',
        `From: <sip:${this.user}@${REALM}>;tag=${fromTag}`,
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
      if ((res.status === 401 || res.status === 407) && opts.password && attempt === 0) {
        const ch = hdr(res, res.status === 401 ? 'www-authenticate' : 'proxy-authenticate');
        auth = `${res.status === 401 ? 'Authorization' : 'Proxy-Authorization'}: ${digest(ch, method, uri, this.user, opts.password)}`;
        continue;
      }
      return { res, callId, fromTag, cseq, branch };
    }
  }

  /** ACK: for a non-2xx in the INVITE's transaction (same branch), for 2xx a new one to the Contact. */
  ack(uri: string, res: Msg, branch: string, cseq: number): void {
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

  /** Registers then calls `target`; resolves with the 2xx (ACKed) or the failure response. */
  async call(target: string, password?: string): Promise<Msg> {
    const uri = `sip:${target}@${REALM}`;
    const r = await this.request('INVITE', uri, { body: BROWSER_OFFER, ...(password ? { password } : {}) });
    if (r.res.status < 300) this.ack(uri, r.res, r.branch, r.cseq);
    return r.res;
  }
}

/** A phone: answers INVITE 200 with SDP, records when BYE arrives and its Reason, answers 200. */
class UdpPhone {
  readonly sock = dgram.createSocket('udp4');
  invites = 0;
  byes: Array<{ at: number; reason: string }> = [];
  port = 0;

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.sock.bind(0, '127.0.0.1', () => resolve()));
    this.port = this.sock.address().port;
    this.sock.on('message', (buf, rinfo) => {
      const m = parse(buf.toString('utf8'));
      const method = m.first.split(' ')[0];
      if (m.status !== 0 || method === 'ACK') return;
      const copy = ['via', 'record-route', 'from', 'call-id', 'cseq'].flatMap((h) => (m.headers.get(h) ?? []).map((v) => `${h}: ${v}`));
      let to = hdr(m, 'to');
      let body = '';
      if (method === 'INVITE') {
        if (!to.includes('tag=')) this.invites++;
        if (!to.includes('tag=')) to += ';tag=phone1';
        body = PHONE_ANSWER;
      }
      if (method === 'BYE') this.byes.push({ at: Date.now(), reason: hdr(m, 'reason') });
      const reply = [
        'SIP/2.0 200 OK', ...copy, `to: ${to}`, `Contact: <sip:phone@127.0.0.1:${this.port}>`,
        ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
      ].join('\r\n');
      this.sock.send(reply, rinfo.port, rinfo.address);
    });
  }

  close(): void {
    this.sock.close();
  }
}

interface Gw { gw: Gateway; wsUrl: string; stop(): Promise<void> }

async function startGw(phone: UdpPhone, opts: { maxDurationSeconds?: number; rtpTimeoutSeconds?: number } = {}): Promise<Gw> {
  const [sipPort, wsPort] = await freePorts(2, { spacing: 2 });
  const base = 30000 + Math.floor(Math.random() * 300) * 20;
  const config = loadConfig({
    useDefaultFile: false,
    overrides: {
      log: { level: process.env.SESSION_LOG ?? 'warn', pretty: false },
      http: { host: '127.0.0.1', port: 0 },
      sip: { listen: [`udp:127.0.0.1:${sipPort}`, `ws:127.0.0.1:${wsPort}`] },
      drachtio: { mode: 'embedded', host: '127.0.0.1', port: 0, secret: '' },
      media: { workers: 1, bindAddress: '127.0.0.1', portMin: base, portMax: base + 199, rtpTimeoutSeconds: opts.rtpTimeoutSeconds ?? 60 },
      auth: { realm: REALM, tokenSecret: SECRET },
      calls: { maxDurationSeconds: opts.maxDurationSeconds ?? 14400 },
      users: [
        { name: 'alice', password: 'alice-pw' },
        { name: 'phone', password: 'phone-pw', contact: `sip:phone@127.0.0.1:${phone.port}`, profile: 'deskphone' },
      ],
      dialplan: { rules: [{ name: 'to phone', from: ['user'], match: 'phone', to: 'endpoint:phone' }] },
    },
  });
  const gw = new Gateway(config, createLogger({ level: config.log.level, pretty: false }));
  await gw.start();
  return { gw, wsUrl: `ws://127.0.0.1:${wsPort}`, stop: () => gw.stop() };
}

const engineCalls = (g: Gw): number => (g.gw.media?.load() ?? []).reduce((a, b) => a + b, 0);

async function waitFor(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('e2e session: WebSocket drop, call limits and browser tokens (Gateway, raw SIP over WS, UDP phone)', function () {
  this.timeout(30000);
  const tokens = new TokenAuth(SECRET);
  const uas: WsUa[] = [];
  let phone: UdpPhone;
  let g: Gw | undefined;

  beforeEach(async () => {
    phone = new UdpPhone();
    await phone.start();
  });
  afterEach(async () => {
    // Stop first: open calls are BYEd (the UAs answer 200), then the sockets go.
    await g?.stop();
    g = undefined;
    for (const u of uas.splice(0)) u.ws.terminate();
    phone.close();
  });

  it('the browser WebSocket is destroyed mid-call → the phone gets BYE within 2 s; the engine and the session hold 0 calls', async () => {
    g = await startGw(phone);
    const ua = await WsUa.open(g.wsUrl, 'alice');
    uas.push(ua);
    const res = await ua.call('phone', 'alice-pw');
    expect(res.status, res.first).to.equal(200);
    expect(phone.invites).to.equal(1);
    expect(engineCalls(g)).to.equal(1);
    expect(g.gw.calls?.active).to.equal(1);
    await new Promise((r) => setTimeout(r, 300));
    expect(phone.byes).to.have.length(0);

    const droppedAt = Date.now();
    ua.ws.terminate(); // abrupt: no close frame
    await waitFor('BYE at the phone', () => phone.byes.length > 0, 4000);
    const took = phone.byes[0]!.at - droppedAt;
    expect(took).to.be.below(2000);
    expect(phone.byes[0]!.reason).to.match(/WebSocket connection closed/);
    await waitFor('engine calls released', () => engineCalls(g!) === 0 && g!.gw.calls?.active === 0, 2000);
  });

  it('calls.maxDurationSeconds ends an answered call: BYE to the phone (Reason) and to the browser, media freed', async () => {
    g = await startGw(phone, { maxDurationSeconds: 1 });
    const ua = await WsUa.open(g.wsUrl, 'alice');
    uas.push(ua);
    const t0 = Date.now();
    const res = await ua.call('phone', 'alice-pw');
    expect(res.status, res.first).to.equal(200);
    await waitFor('BYE at the phone', () => phone.byes.length > 0, 4000);
    expect(phone.byes[0]!.at - t0).to.be.within(900, 3000);
    expect(phone.byes[0]!.reason).to.match(/Maximum call duration/);
    await ua.next((m) => m.first.startsWith('BYE '), 'BYE at the browser', 3000);
    await waitFor('engine calls released', () => engineCalls(g!) === 0 && g!.gw.calls?.active === 0, 2000);
  });

  it('RTP inactivity (media.rtpTimeoutSeconds) ends an answered call with BYE on both legs', async () => {
    g = await startGw(phone, { rtpTimeoutSeconds: 1, maxDurationSeconds: 0 });
    const ua = await WsUa.open(g.wsUrl, 'alice');
    uas.push(ua);
    const res = await ua.call('phone', 'alice-pw');
    expect(res.status, res.first).to.equal(200);
    await waitFor('BYE at the phone', () => phone.byes.length > 0, 6000);
    expect(phone.byes[0]!.reason).to.match(/RTP inactivity/);
    await ua.next((m) => m.first.startsWith('BYE '), 'BYE at the browser', 3000);
    await waitFor('engine calls released', () => engineCalls(g!) === 0 && g!.gw.calls?.active === 0, 2000);
  });

  it('browser tokens: a valid ?token= registers without digest and calls; a tandem_token cookie works too; expired / forged get 403; digest still works', async () => {
    g = await startGw(phone);
    const good = tokens.issue('alice', 600);

    const viaUrl = await WsUa.open(`${g.wsUrl}/?token=${encodeURIComponent(good)}`, 'alice');
    uas.push(viaUrl);
    const reg = await viaUrl.request('REGISTER', `sip:${REALM}`);
    expect(reg.res.status, reg.res.first).to.equal(200);
    const call = await viaUrl.call('phone');
    expect(call.status, call.first).to.equal(200);
    expect(phone.invites).to.equal(1);

    const viaCookie = await WsUa.open(g.wsUrl, 'alice', { Cookie: `other=1; tandem_token=${encodeURIComponent(good)}` });
    uas.push(viaCookie);
    expect((await viaCookie.request('REGISTER', `sip:${REALM}`)).res.status).to.equal(200);

    const expired = tokens.issue('alice', -10);
    const [payload, sig] = good.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'bob', exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
    for (const bad of [expired, `${forgedPayload}.${sig}`, `${payload}.${Buffer.alloc(32).toString('base64url')}`]) {
      const ua = await WsUa.open(`${g.wsUrl}/?token=${encodeURIComponent(bad)}`, 'alice');
      uas.push(ua);
      // A bad token is refused even with a valid password: the token is the flow's identity.
      const r = await ua.request('REGISTER', `sip:${REALM}`, { password: 'alice-pw' });
      expect(r.res.status, r.res.first).to.equal(403);
      const c = await ua.call('phone', 'alice-pw');
      expect(c.status, c.first).to.equal(403);
    }
    expect(phone.invites).to.equal(1);

    const plain = await WsUa.open(g.wsUrl, 'alice');
    uas.push(plain);
    const unauth = await plain.request('REGISTER', `sip:${REALM}`);
    expect(unauth.res.status).to.equal(401);
    const dig = await plain.request('REGISTER', `sip:${REALM}`, { password: 'alice-pw' });
    expect(dig.res.status, dig.res.first).to.equal(200);
    const dcall = await plain.call('phone', 'alice-pw');
    expect(dcall.status, dcall.first).to.equal(200);
    expect(phone.invites).to.equal(2);
  });
});
