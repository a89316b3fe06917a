// A whole Gateway (embedded SIP udp + ws, media engine) and a carrier trunk on a real UDP socket
// (trunk-peer.ts) that demands digest on REGISTER and INVITE:
//  - Tandem registers with digest and refreshes before the (short, 4 s) granted expiry; /healthz shows it
//  - OPTIONS keep-alive marks a dead first address down; a browser call (raw SIP over WebSocket,
//    RFC 7118) to a national number goes to the second address, answers the 407 with digest, and
//    the trunk sees the E.164 Request-URI, P-Asserted-Identity and no internal address or header
//  - an INVITE to a trunk number from an unknown source is challenged and refused (403)
import { expect } from 'chai';
import dgram from 'node:dgram';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import WebSocket from 'ws';
import { Gateway } from '../../../src/gateway.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/common/logger.js';
import { fixturesDir } from '../../helpers/paths.js';
import { loopbackGateway } from '../../helpers/gateway-config.js';
import { freeUdpPort } from '../../helpers/ports.js';
import { digestAuthorization as digest, digestParams, hdr, parseSip, rand, type SipMsg as PeerMsg } from '../../helpers/sip-text.js';
import { SipInbox } from '../../helpers/ws-sip-client.js';
import { TrunkPeer, carrierTrunkConfig } from './trunk-peer.js';

const REALM = 'tandem.test';
const CARRIER_REALM = 'carrier.test';
const fx = (c: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
const BROWSER_OFFER = fx('w2s-offer-chromium-avp');
const PHONE_ANSWER = fx('s2w-answer-sipp-pcmu');

/** A SIP UA sending over WebSocket (browser side, `.invalid` Via host like JsSIP) or UDP (an outside source). */
class Ua extends SipInbox {
  readonly host: string;
  private cseq = 1;
  challenged = false;

  constructor(out: (raw: string) => void, readonly user: string, readonly via: string) {
    super(out, 8000);
    this.host = via;
  }

  /** INVITE with SDP; answers one 407 with `password`; ACKs; returns the final response and the Call-ID. */
  async invite(uri: string, password: string): Promise<{ res: PeerMsg; callId: string }> {
    const callId = rand();
    const fromTag = rand();
    const transport = this.via.startsWith('WS ') ? 'ws' : 'udp';
    let auth = '';
    for (let attempt = 0; ; attempt++) {
      const branch = `z9hG4bK${rand()}`;
      const cseq = this.cseq++;
      const lines = [
        `INVITE ${uri} SIP/2.0`, `Via: SIP/2.0/${this.via};branch=${branch}`, 'Max-Forwards: 70',
        `From: <sip:${this.user}@${REALM}>;tag=${fromTag}`, `To: <${uri}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} INVITE`,
        `Contact: <sip:${this.user}@${this.via.split(' ')[1]};transport=${transport}>`, 'User-Agent: InternalBrowserPhone/9.9',
        ...(auth ? [auth] : []), 'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(BROWSER_OFFER)}`, '', BROWSER_OFFER,
      ];
      this.out(lines.join('\r\n'));
      const res = await this.next((m) => m.status >= 200 && hdr(m, 'call-id') === callId && hdr(m, 'cseq').startsWith(`${cseq} `), 'INVITE final response', 15000);
      const two = res.status < 300;
      const target = two ? (/<([^>]+)>/.exec(hdr(res, 'contact'))?.[1] ?? uri) : uri;
      this.out([
        `ACK ${target} SIP/2.0`, `Via: SIP/2.0/${this.via};branch=${two ? `z9hG4bK${rand()}` : branch}`, 'Max-Forwards: 70',
        ...(two ? (res.headers.get('record-route') ?? []).reverse().map((r) => `Route: ${r}`) : []),
        `From: ${hdr(res, 'from')}`, `To: ${hdr(res, 'to')}`, `Call-ID: ${callId}`, `CSeq: ${cseq} ACK`, 'Content-Length: 0', '', '',
      ].join('\r\n'));
      if (res.status === 407 && attempt === 0) {
        this.challenged = true;
        auth = `Proxy-Authorization: ${digest(hdr(res, 'proxy-authenticate'), 'INVITE', uri, this.user, password)}`;
        continue;
      }
      return { res, callId };
    }
  }
}

async function healthz(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    http.get(`${url}/healthz`, (res) => {
      let data = '';
      res.on('data', (c: Buffer) => (data += c.toString('utf8')));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(data) as Record<string, unknown> }));
    }).on('error', reject);
  });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

interface Gw { gw: Gateway; wsUrl: string; httpUrl: string; sipPort: number; wsPort: number }

async function startGw(addresses: string[], opts: { optionsPingSeconds?: number } = {}): Promise<Gw> {
  const { sipPort, wsPort, overrides } = await loopbackGateway({ realm: REALM });
  const config = loadConfig({
    useDefaultFile: false,
    overrides: {
      ...overrides,
      users: [{ name: 'alice', password: 'alice-pw' }],
      trunks: [carrierTrunkConfig(addresses, opts.optionsPingSeconds ?? 1)],
      dialplan: {
        countryCode: '44', nationalPrefix: '0', internationalPrefix: '00',
        rules: [{ name: 'national', from: ['user'], match: '\\+44[1-9][0-9]{6,12}', to: 'trunk:carrier' }],
      },
    },
  });
  const gw = new Gateway(config, createLogger({ level: config.log.level, pretty: false }));
  await gw.start();
  return { gw, wsUrl: `ws://127.0.0.1:${wsPort}`, httpUrl: `http://127.0.0.1:${gw.http.address().port}`, sipPort, wsPort };
}

interface TrunkHealthDetail { registration?: { state: string; successes: number }; addresses: Array<{ address: string; up: boolean }> }
const trunkDetail = (body: Record<string, unknown>): TrunkHealthDetail | undefined =>
  ((body.components as Record<string, Record<string, TrunkHealthDetail>> | undefined)?.trunks ?? {})['carrier'];

describe('integration trunk: digest registration, OPTIONS failover, topology hiding, caller ID (Gateway + UDP carrier)', function () {
  this.timeout(40000);
  let peer: TrunkPeer;
  let g: Gw | undefined;
  const closers: Array<() => void> = [];

  beforeEach(async () => {
    peer = new TrunkPeer({ user: 'tandem', password: 'trunk-pw', realm: CARRIER_REALM, grantExpires: 4, answerSdp: PHONE_ANSWER });
    await peer.start();
  });
  afterEach(async () => {
    await g?.gw.stop();
    g = undefined;
    for (const c of closers.splice(0)) c();
    peer.close();
  });

  it('registers with digest (401 answered) and refreshes before the granted 4 s expiry; /healthz shows it', async () => {
    g = await startGw([`${peer.host}:${peer.port}`]);
    await waitFor('two authorized REGISTERs', () => peer.registered.length >= 2, 12000);
    const regs = peer.received.filter((m) => m.method === 'REGISTER');
    expect(hdr(regs[0]!, 'authorization'), 'first REGISTER has no credentials').to.equal('');
    for (const r of peer.registered) {
      const p = digestParams(hdr(r, 'authorization').replace(/^Digest\s+/i, ''));
      expect(p.get('username')).to.equal('tandem');
      expect(p.get('realm')).to.equal(CARRIER_REALM);
      expect(hdr(r, 'expires')).to.equal('60');
      expect(hdr(r, 'to')).to.equal('<sip:tandem@127.0.0.2>');
    }
    const gap = peer.registered[1]!.at - peer.registered[0]!.at;
    expect(gap, 'refresh interval (ms)').to.be.within(2500, 3900);
    const h = await healthz(g.httpUrl);
    const d = trunkDetail(h.body);
    expect(d?.registration?.state).to.equal('registered');
    expect(d?.addresses[0]?.up).to.equal(true);
    expect(peer.received.some((m) => m.method === 'OPTIONS'), 'OPTIONS keep-alive').to.equal(true);
  });

  it('first address dead → OPTIONS marks it down; a browser call to a national number goes to the second address with digest, E.164 and P-Asserted-Identity, no internal address', async () => {
    const dead = await freeUdpPort('127.0.0.3');
    g = await startGw([`127.0.0.3:${dead}`, `${peer.host}:${peer.port}`]);
    await waitFor('dead address down in /healthz', async () => {
      const d = trunkDetail((await healthz(g!.httpUrl)).body);
      return d?.addresses[0]?.up === false && d.addresses[1]?.up === true;
    }, 10000);
    const h = await healthz(g.httpUrl);
    expect(h.status, 'one address up is enough for /healthz').to.equal(200);

    const ws = new WebSocket(g.wsUrl, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    closers.push(() => ws.terminate());
    const browserHost = `${rand()}.invalid`;
    const ua = new Ua((raw) => ws.send(raw), 'alice', `WS ${browserHost}`);
    ws.on('message', (d: Buffer) => {
      const raw = d.toString('utf8');
      if (raw.trim() !== '') ua.push(parseSip(raw));
    });
    const { res, callId } = await ua.invite(`sip:02079460000@${REALM}`, 'alice-pw');
    expect(res.status, res.first).to.equal(200);

    const invites = peer.received.filter((m) => m.method === 'INVITE');
    expect(invites.length, 'INVITE without then with credentials').to.equal(2);
    expect(hdr(invites[0]!, 'proxy-authorization')).to.equal('');
    const inv = peer.answered[0]!;
    const p = digestParams(hdr(inv, 'proxy-authorization').replace(/^Digest\s+/i, ''));
    expect(p.get('username')).to.equal('tandem');
    expect(inv.first).to.equal(`INVITE sip:+442079460000@${peer.host}:${peer.port} SIP/2.0`);
    expect(hdr(inv, 'p-asserted-identity')).to.equal(`<sip:+442071234000@${REALM}>`);
    expect(hdr(inv, 'from')).to.match(/^<sip:\+442071234000@tandem\.test>;tag=/);
    // topology hiding: nothing of the browser leg or the internals reaches the carrier
    for (const m of peer.received) {
      expect(m.raw).to.not.include('.invalid');
      expect(m.raw).to.not.include(callId);
      expect(m.raw).to.not.include(`:${g.wsPort}`);
      expect(m.raw).to.not.match(/transport=ws/i);
      expect(m.raw).to.not.include('InternalBrowserPhone');
      expect(m.raw).to.not.include('alice-pw');
      expect(m.headers.get('via')?.length, `one Via: ${m.first}`).to.equal(1);
      expect(hdr(m, 'via')).to.match(new RegExp(`^SIP/2\\.0/UDP 127\\.0\\.0\\.1:${g.sipPort};`));
      expect(m.headers.has('record-route')).to.equal(false);
    }
    expect(hdr(inv, 'contact')).to.equal(`<sip:127.0.0.1:${g.sipPort}>`);
    expect(hdr(inv, 'to')).to.equal(`<sip:+442079460000@${peer.host}:${peer.port}>`);
    // registration went to the live address too
    expect(peer.registered.length).to.be.greaterThan(0);
  });

  it('no OPTIONS: the INVITE itself fails over — first address answers 503, the call goes to the second (sequential)', async () => {
    const busy = new TrunkPeer({ user: 'tandem', password: 'trunk-pw', realm: CARRIER_REALM, grantExpires: 4, answerSdp: PHONE_ANSWER, rejectInvite: 503, host: '127.0.0.3' });
    await busy.start();
    closers.push(() => busy.close());
    g = await startGw([`${busy.host}:${busy.port}`, `${peer.host}:${peer.port}`], { optionsPingSeconds: 0 });
    const ws = new WebSocket(g.wsUrl, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    closers.push(() => ws.terminate());
    const ua = new Ua((raw) => ws.send(raw), 'alice', `WS ${rand()}.invalid`);
    ws.on('message', (d: Buffer) => {
      const raw = d.toString('utf8');
      if (raw.trim() !== '') ua.push(parseSip(raw));
    });
    const { res } = await ua.invite(`sip:02079460000@${REALM}`, 'alice-pw');
    expect(res.status, res.first).to.equal(200);
    expect(busy.received.filter((m) => m.method === 'INVITE')).to.have.length(1);
    expect(busy.received.some((m) => m.method === 'OPTIONS'), 'no OPTIONS when optionsPingSeconds is 0').to.equal(false);
    expect(peer.answered).to.have.length(1);
    expect(peer.answered[0]!.first).to.equal(`INVITE sip:+442079460000@${peer.host}:${peer.port} SIP/2.0`);
  });

  it('an INVITE to a trunk number from an unknown source is challenged, never routed, and refused (403) with bad credentials', async () => {
    g = await startGw([`${peer.host}:${peer.port}`]);
    const sock = dgram.createSocket('udp4');
    // an outside source: neither a configured trunk address nor a user
    await new Promise<void>((resolve) => sock.bind(0, '127.0.0.4', () => resolve()));
    closers.push(() => sock.close());
    const port = sock.address().port;
    const ua = new Ua((raw) => sock.send(raw, g!.sipPort, '127.0.0.1'), 'mallory', `UDP 127.0.0.4:${port}`);
    sock.on('message', (b) => ua.push(parseSip(b.toString('utf8'))));
    const { res } = await ua.invite(`sip:02079460000@${REALM}`, 'guess');
    expect(res.status, res.first).to.equal(403);
    expect(ua.challenged, 'challenged first (407)').to.equal(true);
    expect(peer.received.filter((m) => m.method === 'INVITE')).to.have.length(0);
  });
});
