// Parallel ringing (B2BUA forking, RFC 3261 §16.6 style: one INVITE per target) and ring groups,
// through a whole Gateway (embedded SIP udp + ws, drachtio server, media engine) on loopback:
//  - a node-datachannel "browser" (real ICE + DTLS-SRTP, PCMU) calls over a raw SIP-over-WebSocket
//    UA (RFC 7118) a parallel group of a SIPp UAS that rings until CANCEL and an in-test UDP phone
//    that answers: SIPp gets CANCEL and answers 487, tones flow both ways (Goertzel);
//  - a user with two registered contacts (both in-test phones): one answers, the other gets CANCEL;
//    both answer at once: the late 2xx is ACKed and gets BYE;
//  - all busy → the caller gets 486 (RFC 3261 §16.7 response selection);
//  - CANCEL from the caller → every leg gets CANCEL (SIPp answers 487), the caller 487;
//  - a sequential group: the first member rings out (CANCEL after memberTimeoutSeconds) or
//    rejects, the second answers;
//  - a trunk DID (SIPp UAC from the trunk's address) routed to a group of browsers (raw WS UAs).
// After each case the engine and the session hold no call.
import { expect } from 'chai';
import dgram from 'node:dgram';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { Gateway } from '../../../src/gateway.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/common/logger.js';
import { TokenAuth } from '../../../src/app/auth/token-auth.js';
import { ulawDecode, ulawEncode } from '../../../src/media/codecs/g711.js';
import { fixturesDir, repoRoot } from '../../helpers/paths.js';
import { loopbackGateway } from '../../helpers/gateway-config.js';
import { inNetns } from '../../helpers/netns.js';
import { describeNetnsRerun } from '../../helpers/netns-suite.js';
import { startSipp, stopAllSipp, type SippInstance } from '../../helpers/sipp.js';
import { copyHeaders, digestAuthorization, hdr, parseSip, rand, type SipMsg } from '../../helpers/sip-text.js';
import { generateTone, toneDominates } from '../../helpers/tone.js';
import { WsSipClient } from '../../helpers/ws-sip-client.js';
import { NdcBrowser, ndcShutdown } from '../../integration/media/webrtc/ndc-browser.js';

const thisFile = fileURLToPath(import.meta.url);
const REALM = 'tandem.test';
const SECRET = 'a-test-secret-of-32-characters!!';
const PHONE_ANSWER = fs.readFileSync(path.join(fixturesDir, 'sdp', 's2w-answer-sipp-pcmu', 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
const SIPP_DIR = path.join(repoRoot, 'test', 'e2e', 'session', 'sipp');

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, ok: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await sleep(50);
  }
}

/** 20 ms of a PCMU tone as RTP packets, endlessly. */
class PcmuTone {
  private readonly ulaw: Uint8Array;
  private seq = 1;
  private ts = 0;
  private off = 0;

  constructor(freq: number, private readonly ssrc: number) {
    const pcm = generateTone({ freq, rate: 8000, durationMs: 1000, amplitude: 0.5 });
    this.ulaw = new Uint8Array(pcm.length);
    ulawEncode(pcm, this.ulaw);
  }

  next(): Buffer {
    const pkt = Buffer.alloc(12 + 160);
    pkt[0] = 0x80;
    pkt[1] = 0;
    pkt.writeUInt16BE(this.seq++ & 0xffff, 2);
    pkt.writeUInt32BE(this.ts >>> 0, 4);
    pkt.writeUInt32BE(this.ssrc, 8);
    pkt.set(this.ulaw.subarray(this.off, this.off + 160), 12);
    this.off = (this.off + 160) % this.ulaw.length;
    this.ts += 160;
    return pkt;
  }
}

/** Decodes the PCMU payloads (PT 0, no CSRC/extension assumed beyond the fixed header) of received RTP packets. */
class PcmuSink {
  private readonly chunks: Int16Array[] = [];
  push(pkt: Buffer): void {
    if (pkt.length <= 12 || (pkt[1]! & 0x7f) !== 0) return;
    const cc = pkt[0]! & 0x0f;
    let off = 12 + 4 * cc;
    if (pkt[0]! & 0x10) off += 4 + 4 * pkt.readUInt16BE(off + 2);
    const payload = pkt.subarray(off);
    const out = new Int16Array(payload.length);
    ulawDecode(payload, out);
    this.chunks.push(out);
  }

  samples(): Int16Array {
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const out = new Int16Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

interface PhoneBehaviour {
  /** Answer 200 this long after the 180; null: ring until CANCEL. */
  answerAfterMs: number | null;
  /** Final failure instead of answering (e.g. 486, 480). */
  reject?: number;
  /** Tone sent once answered. Default 440 Hz. */
  toneHz?: number;
  /** Answer 200 even after a CANCEL (the 2xx crosses the CANCEL, RFC 3261 §9.2). Default false. */
  answerDespiteCancel?: boolean;
}

/**
 * An in-test desk phone on UDP: 180 on INVITE, then 200 with a PCMU answer after a delay (or a
 * failure, or ringing until CANCEL → 200 + 487, RFC 3261 §9.2); streams a tone to the gateway
 * once answered and decodes what it receives; can REGISTER itself (digest) from its SIP socket.
 */
class TestPhone {
  readonly sock = dgram.createSocket('udp4');
  readonly rtp = dgram.createSocket('udp4');
  readonly sink = new PcmuSink();
  port = 0;
  invites = 0;
  cancels = 0;
  acks = 0;
  answered = false;
  readonly byes: string[] = [];
  private invite: { msg: SipMsg; port: number; addr: string } | null = null;
  private readonly seen = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private answerTimer: NodeJS.Timeout | undefined;
  private waiter: ((m: SipMsg) => void) | null = null;

  constructor(readonly name: string, private readonly b: PhoneBehaviour) {}

  async start(): Promise<void> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => this.rtp.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    this.rtp.on('message', (pkt) => this.sink.push(pkt));
    this.sock.on('message', (buf, rinfo) => this.onMessage(parseSip(buf.toString('utf8')), rinfo));
  }

  get contact(): string {
    return `sip:${this.name}@127.0.0.1:${this.port}`;
  }

  /** REGISTERs `user` with this phone's socket as contact (answers one digest challenge). */
  async register(gwPort: number, user: string, password: string): Promise<void> {
    const callId = rand();
    const uri = `sip:${REALM}`;
    let auth = '';
    for (let cseq = 1; cseq <= 2; cseq++) {
      const lines = [
        `REGISTER ${uri} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${rand()};rport`, 'Max-Forwards: 70',
        `From: <sip:${user}@${REALM}>;tag=${rand()}`, `To: <sip:${user}@${REALM}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} REGISTER`,
        `Contact: <${this.contact}>`, 'Expires: 600', ...(auth ? [auth] : []), 'Content-Length: 0', '', '',
      ];
      const res = new Promise<SipMsg>((resolve) => { this.waiter = resolve; });
      this.sock.send(lines.join('\r\n'), gwPort, '127.0.0.1');
      const r = await Promise.race([res, sleep(3000).then(() => null)]);
      if (!r) throw new Error(`${this.name}: no REGISTER response`);
      if (r.status === 200) return;
      if (r.status !== 401 || auth) throw new Error(`${this.name}: REGISTER got ${r.first}`);
      auth = `Authorization: ${digestAuthorization(hdr(r, 'www-authenticate'), 'REGISTER', uri, user, password)}`;
    }
  }

  private reply(m: SipMsg, to: { port: number; address: string }, status: string, opts: { toTag?: boolean; body?: string; cseq?: string } = {}): void {
    let toH = hdr(m, 'to');
    if (opts.toTag && !toH.includes('tag=')) toH += `;tag=${this.name}tag`;
    const body = opts.body ?? '';
    this.sock.send([
      `SIP/2.0 ${status}`, ...copyHeaders(m, ['via', 'record-route', 'from', 'call-id']), `CSeq: ${opts.cseq ?? hdr(m, 'cseq')}`, `To: ${toH}`,
      `Contact: <${this.contact}>`, ...(body ? ['Content-Type: application/sdp'] : []), `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n'), to.port, to.address);
  }

  private onMessage(m: SipMsg, rinfo: dgram.RemoteInfo): void {
    if (m.status !== 0) {
      this.waiter?.(m);
      this.waiter = null;
      return;
    }
    const to = { port: rinfo.port, address: rinfo.address };
    switch (m.method) {
      case 'INVITE': {
        if (hdr(m, 'to').includes('tag=')) {
          this.reply(m, to, '200 OK', { body: this.answerSdp() });
          return;
        }
        const key = `${hdr(m, 'call-id')} ${hdr(m, 'cseq')}`;
        if (this.seen.has(key)) return; // retransmission
        this.seen.add(key);
        this.invites++;
        this.invite = { msg: m, port: rinfo.port, addr: rinfo.address };
        this.reply(m, to, '180 Ringing', { toTag: true });
        if (this.b.reject !== undefined) {
          const st = this.b.reject;
          setTimeout(() => this.reply(m, to, `${st} ${st === 486 ? 'Busy Here' : 'Rejected'}`, { toTag: true }), 100);
        } else if (this.b.answerAfterMs !== null) {
          this.answerTimer = setTimeout(() => {
            if (this.cancels > 0 && !this.b.answerDespiteCancel) return;
            this.answered = true;
            const gwPort = Number(/m=audio (\d+)/.exec(m.body)?.[1] ?? 0);
            this.reply(m, to, '200 OK', { toTag: true, body: this.answerSdp() });
            if (gwPort > 0) this.stream(gwPort);
          }, this.b.answerAfterMs);
        }
        return;
      }
      case 'CANCEL': {
        this.cancels++;
        this.reply(m, to, '200 OK', { toTag: true });
        if (!this.answered && this.invite && !this.b.answerDespiteCancel) this.reply(this.invite.msg, to, '487 Request Terminated', { toTag: true });
        return;
      }
      case 'ACK':
        this.acks++;
        return;
      case 'BYE':
        this.byes.push(hdr(m, 'reason'));
        this.stopStream();
        this.reply(m, to, '200 OK');
        return;
      default:
        this.reply(m, to, '200 OK');
    }
  }

  private answerSdp(): string {
    return PHONE_ANSWER.replace('m=audio 16000', `m=audio ${this.rtp.address().port}`);
  }

  private stream(port: number): void {
    if (this.timer) return;
    const tone = new PcmuTone(this.b.toneHz ?? 440, 0x7e570001 + this.port);
    this.timer = setInterval(() => this.rtp.send(tone.next(), port, '127.0.0.1'), 20);
  }

  private stopStream(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  close(): void {
    this.stopStream();
    if (this.answerTimer) clearTimeout(this.answerTimer);
    this.sock.close();
    this.rtp.close();
  }
}

/**
 * A browser member on a raw SIP-over-WebSocket connection (RFC 7118): REGISTERs with a token,
 * answers INVITE with 180 and then a WebRTC answer (PCMU), or rings until CANCEL (200 + 487).
 */
class WsCallee {
  invites = 0;
  cancels = 0;
  readonly byes: string[] = [];
  private constructor(readonly ws: WebSocket, readonly user: string, private readonly answerAfterMs: number | null) {
    ws.on('message', (d: Buffer) => {
      const raw = d.toString('utf8');
      if (raw.trim() !== '') this.onMessage(parseSip(raw));
    });
    ws.on('error', () => undefined);
  }

  static async register(wsUrl: string, user: string, token: string, answerAfterMs: number | null): Promise<WsCallee> {
    const ws = new WebSocket(`${wsUrl}/?token=${encodeURIComponent(token)}`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const c = new WsCallee(ws, user, answerAfterMs);
    const host = `${rand()}.invalid`;
    const done = new Promise<SipMsg>((resolve) => { c.regWaiter = resolve; });
    ws.send([
      `REGISTER sip:${REALM} SIP/2.0`, `Via: SIP/2.0/WS ${host};branch=z9hG4bK${rand()}`, 'Max-Forwards: 70',
      `From: <sip:${user}@${REALM}>;tag=${rand()}`, `To: <sip:${user}@${REALM}>`, `Call-ID: ${rand()}`, 'CSeq: 1 REGISTER',
      `Contact: <sip:${user}@${host};transport=ws>`, 'Expires: 600', 'Content-Length: 0', '', '',
    ].join('\r\n'));
    const r = await Promise.race([done, sleep(3000).then(() => null)]);
    if (r?.status !== 200) throw new Error(`${user}: REGISTER got ${r?.first ?? 'nothing'}`);
    return c;
  }

  private regWaiter: ((m: SipMsg) => void) | null = null;
  private invite: SipMsg | null = null;
  private answered = false;
  private timer: NodeJS.Timeout | undefined;

  private reply(m: SipMsg, status: string, body = '', cseq = hdr(m, 'cseq')): void {
    let to = hdr(m, 'to');
    if (!to.includes('tag=')) to += `;tag=${this.user}tag`;
    this.ws.send([
      `SIP/2.0 ${status}`, ...copyHeaders(m, ['via', 'record-route', 'from', 'call-id']), `CSeq: ${cseq}`, `To: ${to}`,
      `Contact: <sip:${this.user}@${rand()}.invalid;transport=ws>`, ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n'));
  }

  private onMessage(m: SipMsg): void {
    if (m.status !== 0) {
      this.regWaiter?.(m);
      this.regWaiter = null;
      return;
    }
    if (m.method === 'INVITE' && !hdr(m, 'to').includes('tag=')) {
      this.invites++;
      this.invite = m;
      this.reply(m, '180 Ringing');
      if (this.answerAfterMs !== null) {
        this.timer = setTimeout(() => {
          if (this.cancels > 0) return;
          this.answered = true;
          this.reply(m, '200 OK', webrtcAnswer(m.body));
        }, this.answerAfterMs);
      }
    } else if (m.method === 'CANCEL') {
      this.cancels++;
      this.reply(m, '200 OK');
      if (!this.answered && this.invite) this.reply(this.invite, '487 Request Terminated');
    } else if (m.method === 'BYE') {
      this.byes.push(hdr(m, 'reason'));
      this.reply(m, '200 OK');
    } else if (m.method !== 'ACK') {
      this.reply(m, '200 OK');
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.ws.terminate();
  }
}

/** A browser's WebRTC answer (PCMU) to `offer`: its mid, ICE credentials and a fingerprint; no candidates (media is not checked here). */
function webrtcAnswer(offer: string): string {
  const mid = /a=mid:(\S+)/.exec(offer)?.[1] ?? '0';
  return [
    'v=0', `o=- ${Date.now()} 2 IN IP4 127.0.0.1`, 's=-', 't=0 0', `a=group:BUNDLE ${mid}`, 'a=msid-semantic: WMS',
    'm=audio 9 UDP/TLS/RTP/SAVPF 0', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
    `a=ice-ufrag:${rand().slice(0, 8)}`, `a=ice-pwd:${rand()}${rand()}`,
    'a=fingerprint:sha-256 17:78:C0:C0:AB:1E:50:6B:14:FC:96:1F:BC:DE:C3:CE:14:D0:49:BF:F3:B3:F6:A9:6E:C1:28:C8:02:A2:E8:57',
    'a=setup:active', `a=mid:${mid}`, 'a=sendrecv', 'a=rtcp-mux', 'a=rtpmap:0 PCMU/8000', 'a=ssrc:31415926 cname:callee', '',
  ].join('\r\n');
}

interface Gw { gw: Gateway; wsUrl: string; sipPort: number; stop(): Promise<void> }

interface GwSetup {
  phones?: Array<{ name: string; contact: string }>;
  users?: string[];
  groups?: Array<Record<string, unknown>>;
  rules?: Array<Record<string, unknown>>;
  trunk?: boolean;
}

async function startGw(s: GwSetup): Promise<Gw> {
  const { sipPort, wsPort, overrides } = await loopbackGateway({ realm: REALM, media: { rtpTimeoutSeconds: 60 }, auth: { tokenSecret: SECRET } });
  const config = loadConfig({
    useDefaultFile: false,
    overrides: {
      ...overrides,
      users: [
        { name: 'alice', password: 'alice-pw' },
        ...(s.users ?? []).map((u) => ({ name: u, password: `${u}-pw` })),
        ...(s.phones ?? []).map((p) => ({ name: p.name, password: `${p.name}-pw`, contact: p.contact, profile: 'deskphone' })),
      ],
      ...(s.trunk ? { trunks: [{ name: 'carrier', addresses: ['127.0.0.1'], transport: 'udp', profile: 'trunk' }] } : {}),
      groups: s.groups ?? [],
      dialplan: { rules: [...(s.rules ?? []), { name: 'local users', from: ['user'], match: '[a-z][a-z0-9]*', to: 'user:$user' }] },
    },
  });
  const gw = new Gateway(config, createLogger({ level: config.log.level, pretty: false }));
  await gw.start();
  return { gw, wsUrl: `ws://127.0.0.1:${wsPort}`, sipPort, stop: () => gw.stop() };
}

const engineCalls = (g: Gw): number => (g.gw.media?.load() ?? []).reduce((a, b) => a + b, 0);

async function noCallsLeft(g: Gw): Promise<void> {
  await waitFor(`engine and session hold 0 calls (engine ${engineCalls(g)}, session ${g.gw.calls?.active})`, () => engineCalls(g) === 0 && g.gw.calls?.active === 0, 5000);
}

/** A SIPp UAS from this folder's scenarios. */
const sippUas = (scenario: string): Promise<SippInstance> => startSipp({ scenario: path.join(SIPP_DIR, scenario), timeoutMs: 30000 });

if (!inNetns()) {
  describeNetnsRerun('e2e session: forking and ring groups (re-run inside a network namespace)', thisFile, {
    testTimeoutMs: 240000, timeoutMs: 230000, mochaArgs: ['--timeout', '40000'], verbose: process.env.VERBOSE === '1',
  });
} else {
  describe('e2e session: parallel ringing (forking) and ring groups (Gateway, SIPp, UDP phones, WS UAs, node-datachannel browser)', function () {
    this.timeout(40000);
    const tokens = new TokenAuth(SECRET);
    const closers: Array<() => void> = [];
    let g: Gw | undefined;

    afterEach(async () => {
      await g?.stop();
      g = undefined;
      for (const c of closers.splice(0)) c();
      await stopAllSipp();
    });
    after(async () => {
      await ndcShutdown();
    });

    const phone = async (name: string, b: PhoneBehaviour): Promise<TestPhone> => {
      const p = new TestPhone(name, b);
      await p.start();
      closers.push(() => p.close());
      return p;
    };
    const caller = async (gw: Gw, offer = ''): Promise<WsSipClient> => {
      const ua = await WsSipClient.open(`${gw.wsUrl}/?token=${encodeURIComponent(tokens.issue('alice', 600))}`, 'alice', { realm: REALM, offer });
      closers.push(() => ua.ws.terminate());
      return ua;
    };

    it('parallel group: both ring, the phone answers, SIPp gets CANCEL and answers 487; the caller is connected and tones flow both ways', async () => {
      const sipp = await sippUas('uas_cancel.xml');
      const p2 = await phone('d2', { answerAfterMs: 800, toneHz: 440 });
      g = await startGw({
        phones: [{ name: 'd1', contact: `sip:d1@127.0.0.1:${sipp.port}` }, { name: 'd2', contact: p2.contact }],
        groups: [{ name: 'sales', members: ['d1', 'd2'], ring: 'parallel' }],
        rules: [{ name: 'sales', from: ['user'], match: 'sales', to: 'group:sales' }],
      });
      const browser = new NdcBrowser('alice-fork', { codec: 'PCMU', ssrc: 0x0a11ce01 });
      closers.push(() => browser.close());
      const offer = await browser.offer();
      const ua = await caller(g, offer.sdp);
      const res = await ua.call('sales');
      expect(res.status, res.first).to.equal(200);
      const ringing = ua.inbox.find((m) => m.status === 180);
      expect(ringing, '180 relayed to the caller').to.not.equal(undefined);
      expect(ua.inbox.filter((m) => m.status === 180 || m.status === 183), 'one 180 for two ringing legs').to.have.length(1);
      const sippRes = await sipp.wait();
      expect(sippRes.code, `SIPp saw CANCEL and answered 487: ${sippRes.errors}`).to.equal(0);
      expect(sippRes.messages).to.match(/CANCEL sip:/);
      expect(sippRes.messages).to.match(/SIP\/2.0 487 Request Terminated/);
      expect(p2.invites).to.equal(1);
      expect(p2.cancels).to.equal(0);

      browser.pc.setRemoteDescription(res.body, 'answer');
      await browser.waitConnected();
      const atBrowser = new PcmuSink();
      browser.onRtp = (pkt) => atBrowser.push(pkt);
      const tone = new PcmuTone(1000, 0x0a11ce01);
      const pump = setInterval(() => browser.send(tone.next()), 20);
      await sleep(2500);
      clearInterval(pump);
      const heard = toneDominates(p2.sink.samples(), 8000, 1000, { candidates: [440], skipMs: 500 });
      expect(heard.fraction, `the phone heard the browser's 1000 Hz: ${JSON.stringify(heard)}`).to.be.greaterThan(0.7);
      const back = toneDominates(atBrowser.samples(), 8000, 440, { candidates: [1000], skipMs: 500 });
      expect(back.fraction, `the browser heard the phone's 440 Hz: ${JSON.stringify(back)}`).to.be.greaterThan(0.7);
      expect(engineCalls(g)).to.equal(1);
      expect(g.gw.calls?.active).to.equal(1);

      const bye = await ua.inDialog(res, 'BYE', 'text/plain', '');
      expect(bye.status).to.equal(200);
      await waitFor('BYE at the phone', () => p2.byes.length === 1);
      await noCallsLeft(g);
    });

    it('a user with two registered contacts: both ring at once, one answers, the other gets CANCEL; both answering: the late 2xx is ACKed and gets BYE', async () => {
      const ringer = await phone('bob1', { answerAfterMs: null });
      const answerer = await phone('bob2', { answerAfterMs: 500 });
      g = await startGw({ users: ['bob'] });
      await ringer.register(g.sipPort, 'bob', 'bob-pw');
      await answerer.register(g.sipPort, 'bob', 'bob-pw');
      const ua = await caller(g, fs.readFileSync(path.join(fixturesDir, 'sdp', 'w2s-offer-chromium-avp', 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n'));
      const res = await ua.call('bob');
      expect(res.status, res.first).to.equal(200);
      expect([ringer.invites, answerer.invites]).to.deep.equal([1, 1]);
      await waitFor('CANCEL at the ringing contact', () => ringer.cancels === 1);
      expect(answerer.cancels).to.equal(0);
      await ua.inDialog(res, 'BYE', 'text/plain', '');
      await noCallsLeft(g);

      // both answer (almost) at once: one wins, the other's 2xx is ACKed and BYEd
      const a1 = await phone('carol1', { answerAfterMs: 300, answerDespiteCancel: true });
      const a2 = await phone('carol2', { answerAfterMs: 300, answerDespiteCancel: true });
      await g.stop();
      g = await startGw({ users: ['carol'] });
      await a1.register(g.sipPort, 'carol', 'carol-pw');
      await a2.register(g.sipPort, 'carol', 'carol-pw');
      const ua2 = await caller(g, fs.readFileSync(path.join(fixturesDir, 'sdp', 'w2s-offer-chromium-avp', 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n'));
      const res2 = await ua2.call('carol');
      expect(res2.status, res2.first).to.equal(200);
      await waitFor('the losing 2xx gets BYE', () => a1.byes.length + a2.byes.length === 1);
      await sleep(500);
      expect(a1.byes.length + a2.byes.length, 'one BYE, to the loser only').to.equal(1);
      expect(a1.acks + a2.acks, 'both 2xx ACKed').to.be.greaterThanOrEqual(2);
      expect(engineCalls(g)).to.equal(1);
      await ua2.inDialog(res2, 'BYE', 'text/plain', '');
      await waitFor('BYE at the winner', () => a1.byes.length + a2.byes.length === 2);
      await noCallsLeft(g);
    });

    it('all busy → the caller gets 486 (486 over 480, RFC 3261 §16.7)', async () => {
      const sipp = await sippUas('uas_busy.xml');
      const p2 = await phone('d2', { answerAfterMs: null, reject: 480 });
      g = await startGw({
        phones: [{ name: 'd1', contact: `sip:d1@127.0.0.1:${sipp.port}` }, { name: 'd2', contact: p2.contact }],
        groups: [{ name: 'sales', members: ['d2', 'd1'], ring: 'parallel' }],
        rules: [{ name: 'sales', from: ['user'], match: 'sales', to: 'group:sales' }],
      });
      const ua = await caller(g, fs.readFileSync(path.join(fixturesDir, 'sdp', 'w2s-offer-chromium-avp', 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n'));
      const res = await ua.call('sales');
      expect(res.status, res.first).to.equal(486);
      expect((await sipp.wait()).code).to.equal(0);
      expect(p2.invites).to.equal(1);
      await noCallsLeft(g);
    });

    it('CANCEL from the caller → every ringing leg gets CANCEL (SIPp answers 487), the caller gets 487', async () => {
      const s1 = await sippUas('uas_cancel.xml');
      const s2 = await sippUas('uas_cancel.xml');
      g = await startGw({
        phones: [{ name: 'd1', contact: `sip:d1@127.0.0.1:${s1.port}` }, { name: 'd2', contact: `sip:d2@127.0.0.1:${s2.port}` }],
        groups: [{ name: 'sales', members: ['d1', 'd2'], ring: 'parallel' }],
        rules: [{ name: 'sales', from: ['user'], match: 'sales', to: 'group:sales' }],
      });
      const ua = await caller(g);
      const offer = fs.readFileSync(path.join(fixturesDir, 'sdp', 'w2s-offer-chromium-avp', 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
      const callId = rand();
      const branch = `z9hG4bK${rand()}`;
      const from = `<sip:alice@${REALM}>;tag=${rand()}`;
      const uri = `sip:sales@${REALM}`;
      const head = (method: string): string[] => [
        `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/WS ${ua.host};branch=${branch}`, 'Max-Forwards: 70', `From: ${from}`, `To: <${uri}>`,
        `Call-ID: ${callId}`, `CSeq: 1 ${method}`,
      ];
      ua.ws.send([...head('INVITE'), `Contact: <sip:alice@${ua.host};transport=ws>`, 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(offer)}`, '', offer].join('\r\n'));
      await ua.next((m) => m.status === 180 && hdr(m, 'call-id') === callId, '180 at the caller');
      await sleep(300); // both legs ring
      ua.ws.send([...head('CANCEL'), 'Content-Length: 0', '', ''].join('\r\n'));
      const final = await ua.next((m) => m.status >= 300 && hdr(m, 'cseq') === '1 INVITE', 'final response to the INVITE');
      expect(final.status).to.equal(487);
      const [r1, r2] = await Promise.all([s1.wait(), s2.wait()]);
      expect(r1.code, `first SIPp got CANCEL: ${r1.errors}`).to.equal(0);
      expect(r2.code, `second SIPp got CANCEL: ${r2.errors}`).to.equal(0);
      await noCallsLeft(g);
    });

    it('sequential group: the first member rings out (CANCEL after memberTimeoutSeconds), then one rejects 486, the third answers', async () => {
      const sipp = await sippUas('uas_cancel.xml');
      const busy = await phone('d2', { answerAfterMs: null, reject: 486 });
      const p3 = await phone('d3', { answerAfterMs: 200 });
      g = await startGw({
        phones: [{ name: 'd1', contact: `sip:d1@127.0.0.1:${sipp.port}` }, { name: 'd2', contact: busy.contact }, { name: 'd3', contact: p3.contact }],
        groups: [{ name: 'support', members: ['d1', 'd2', 'd3'], ring: 'sequential', memberTimeoutSeconds: 1, timeoutSeconds: 20 }],
        rules: [{ name: 'support', from: ['user'], match: 'support', to: 'group:support' }],
      });
      const ua = await caller(g, fs.readFileSync(path.join(fixturesDir, 'sdp', 'w2s-offer-chromium-avp', 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n'));
      const t0 = Date.now();
      const res = await ua.call('support');
      expect(res.status, res.first).to.equal(200);
      expect(Date.now() - t0, 'the first member rang about 1 s').to.be.within(900, 4000);
      const r1 = await sipp.wait();
      expect(r1.code, `the first member got CANCEL: ${r1.errors}`).to.equal(0);
      expect([busy.invites, p3.invites, p3.cancels]).to.deep.equal([1, 1, 0]);
      await ua.inDialog(res, 'BYE', 'text/plain', '');
      await waitFor('BYE at the answering member', () => p3.byes.length === 1);
      await noCallsLeft(g);
    });

    it('sequential group whose members all ring out: the group timeout ends the hunt with 480 and CANCELs the pending leg', async () => {
      const p1 = await phone('d1', { answerAfterMs: null });
      const p2 = await phone('d2', { answerAfterMs: null });
      g = await startGw({
        phones: [{ name: 'd1', contact: p1.contact }, { name: 'd2', contact: p2.contact }],
        groups: [{ name: 'support', members: ['d1', 'd2'], ring: 'sequential', memberTimeoutSeconds: 1, timeoutSeconds: 1 }],
        rules: [{ name: 'support', from: ['user'], match: 'support', to: 'group:support' }],
      });
      const ua = await caller(g, fs.readFileSync(path.join(fixturesDir, 'sdp', 'w2s-offer-chromium-avp', 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n'));
      const res = await ua.call('support');
      expect(res.status, res.first).to.equal(480);
      await waitFor('CANCEL at the ringing member', () => p1.cancels === 1, 2000);
      expect([p1.invites, p2.invites]).to.deep.equal([1, 0]);
      await noCallsLeft(g);
    });

    it('a trunk DID routed to a parallel group of browsers: one answers, the other gets CANCEL; the trunk caller is connected', async () => {
      g = await startGw({
        users: ['bob', 'carol'], trunk: true,
        groups: [{ name: 'desk', members: ['bob', 'carol'], ring: 'parallel' }],
        rules: [{ name: 'DID desk', from: ['trunk'], match: '\\+15550100', to: 'group:desk' }],
      });
      const bob = await WsCallee.register(g.wsUrl, 'bob', tokens.issue('bob', 600), null);
      const carol = await WsCallee.register(g.wsUrl, 'carol', tokens.issue('carol', 600), 500);
      closers.push(() => bob.close(), () => carol.close());
      const uac = await startSipp({ scenario: 'uac_pcmu_play.xml', remote: `127.0.0.1:${g.sipPort}`, service: '+15550100', timeoutMs: 30000 });
      await waitFor('the call is up', () => g!.gw.calls?.active === 1 && carol.invites === 1 && engineCalls(g!) === 1, 5000);
      await waitFor('CANCEL at the other browser', () => bob.cancels === 1, 5000);
      expect(bob.invites).to.equal(1);
      const r = await uac.wait();
      expect(r.code, `SIPp UAC call succeeded: ${r.errors}`).to.equal(0);
      expect(r.stats['SuccessfulCall(C)']).to.equal('1');
      await waitFor('BYE at the answering browser', () => carol.byes.length === 1);
      await noCallsLeft(g);
    });
  });
}
