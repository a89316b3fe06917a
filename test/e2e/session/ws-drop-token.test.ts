// A whole Gateway (embedded SIP: udp + ws, drachtio server, media engine) with real sockets:
// a browser-side SIP-over-WebSocket client (raw RFC 7118 frames over `ws`, SDP taken from a
// Chromium capture) calls a phone (an in-test UDP SIP UA, so BYE arrival is timed exactly).
//  - the WebSocket is destroyed mid-call → the phone gets BYE within 2 s, the engine has 0 calls
//  - calls.maxDurationSeconds and media.rtpTimeoutSeconds end an answered call with BYE
//  - browser tokens (?token= / tandem_token cookie) register and call without digest; expired or
//    forged tokens get 403; digest still works.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { Gateway } from '../../../src/gateway.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/common/logger.js';
import { TokenAuth } from '../../../src/app/auth/token-auth.js';
import { fixturesDir } from '../../helpers/paths.js';
import { loopbackGateway } from '../../helpers/gateway-config.js';
import { UdpPhone as BasePhone } from '../../helpers/udp-phone.js';
import { WsSipClient } from '../../helpers/ws-sip-client.js';

const REALM = 'tandem.test';
const SECRET = 'a-test-secret-of-32-characters!!';
const fx = (c: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
const BROWSER_OFFER = fx('w2s-offer-chromium-avp');
const PHONE_ANSWER = fx('s2w-answer-sipp-pcmu');

/** A browser-side SIP-over-WebSocket UA (RFC 7118) in this test's realm, calling with the Chromium offer. */
const WsUa = {
  open: (url: string, user: string, headers: Record<string, string> = {}): Promise<WsSipClient> => WsSipClient.open(url, user, { realm: REALM, offer: BROWSER_OFFER, headers }),
};

/** A phone: answers INVITE 200 with SDP, records when BYE arrives and its Reason, answers 200. */
class UdpPhone extends BasePhone {
  constructor() {
    super({ answer: PHONE_ANSWER });
  }

  get byes(): Array<{ at: number; reason: string }> {
    return this.byeLog;
  }
}

interface Gw { gw: Gateway; wsUrl: string; stop(): Promise<void> }

async function startGw(phone: UdpPhone, opts: { maxDurationSeconds?: number; rtpTimeoutSeconds?: number } = {}): Promise<Gw> {
  const { wsPort, overrides } = await loopbackGateway({ realm: REALM, media: { rtpTimeoutSeconds: opts.rtpTimeoutSeconds ?? 60 }, auth: { tokenSecret: SECRET } });
  const config = loadConfig({
    useDefaultFile: false,
    overrides: {
      ...overrides,
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
  const uas: WsSipClient[] = [];
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
