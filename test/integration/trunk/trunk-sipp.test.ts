// The same Gateway against a SIPp carrier trunk (test/fixtures/sipp/trunk/uas_carrier_digest.xml):
// SIPp challenges REGISTER and INVITE (401) and verifies the digest itself (verifyauth),
// checks the E.164 Request-URI and P-Asserted-Identity (ereg check_it), answers OPTIONS; the test
// reads SIPp's -trace_msg log: REGISTER with Authorization refreshed before the 4 s expiry, and
// no internal address or header in anything the trunk received. First address dead → failover.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { Gateway } from '../../../src/gateway.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/common/logger.js';
import { fixturesDir } from '../../helpers/paths.js';
import { loopbackGateway } from '../../helpers/gateway-config.js';
import { freeUdpPort } from '../../helpers/ports.js';
import { startSipp, type SippInstance } from '../../helpers/sipp.js';
import { digestParams, hdr, md5, parseSip, rand, type SipMsg as PeerMsg } from '../../helpers/sip-text.js';
import { carrierTrunkConfig } from './trunk-peer.js';

const REALM = 'tandem.test';
const BROWSER_OFFER = fs.readFileSync(path.join(fixturesDir, 'sdp', 'w2s-offer-chromium-avp', 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');

/** Messages SIPp received, from its -trace_msg log ("----- ... message received [N] bytes :" blocks). */
function receivedBySipp(log: string): PeerMsg[] {
  const out: PeerMsg[] = [];
  const re = /message received \[\d+\] bytes :\s*\n\n([\s\S]*?)(?=\n-{10,}|$)/g;
  for (let m = re.exec(log); m; m = re.exec(log)) out.push(parseSip(m[1]!.replace(/\r?\n/g, '\r\n')));
  return out;
}

async function waitFor(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('integration trunk: SIPp carrier demanding digest (REGISTER + INVITE), failover, topology hiding', function () {
  this.timeout(40000);
  let sipp: SippInstance | undefined;
  let gw: Gateway | undefined;
  let ws: WebSocket | undefined;

  afterEach(async () => {
    await gw?.stop();
    gw = undefined;
    ws?.terminate();
    ws = undefined;
    await sipp?.cleanup();
    sipp = undefined;
  });

  it('registers with digest and refreshes; OPTIONS mark the dead first address down; the browser call reaches SIPp with E.164, PAI, digest, and nothing internal', async () => {
    sipp = await startSipp({ scenario: path.join(fixturesDir, 'sipp', 'trunk', 'uas_carrier_digest.xml'), localIp: '127.0.0.2', calls: 10000, timeoutMs: 35000 });
    const dead = await freeUdpPort('127.0.0.3');
    const { wsPort, overrides } = await loopbackGateway({ realm: REALM });
    const config = loadConfig({
      useDefaultFile: false,
      overrides: {
        ...overrides,
        users: [{ name: 'alice', password: 'alice-pw' }],
        trunks: [carrierTrunkConfig([`127.0.0.3:${dead}`, sipp.address], 1)],
        dialplan: { countryCode: '44', nationalPrefix: '0', rules: [{ name: 'uk', from: ['user'], match: '\\+44[1-9][0-9]{6,12}', to: 'trunk:carrier' }] },
      },
    });
    gw = new Gateway(config, createLogger({ level: config.log.level, pretty: false }));
    await gw.start();
    const messages = (): PeerMsg[] => receivedBySipp(fs.existsSync(path.join(sipp!.dir, 'messages.log')) ? fs.readFileSync(path.join(sipp!.dir, 'messages.log'), 'utf8') : '');
    await waitFor('two REGISTERs with Authorization at SIPp', () => messages().filter((m) => m.method === 'REGISTER' && hdr(m, 'authorization') !== '').length >= 2, 12000);

    // browser call over WebSocket (raw RFC 7118 frames, .invalid Via host like JsSIP)
    const sock = new WebSocket(`ws://127.0.0.1:${wsPort}`, 'sip');
    ws = sock;
    await new Promise<void>((resolve, reject) => {
      sock.once('open', () => resolve());
      sock.once('error', reject);
    });
    const inbox: PeerMsg[] = [];
    sock.on('message', (d: Buffer) => {
      const m = parseSip(d.toString('utf8'));
      if (m.status === 0 && m.method === 'BYE') {
        sock.send(['SIP/2.0 200 OK', ...['via', 'from', 'to', 'call-id', 'cseq'].map((h) => `${h}: ${hdr(m, h)}`), 'Content-Length: 0', '', ''].join('\r\n'));
      }
      inbox.push(m);
    });
    const host = `${rand()}.invalid`;
    const uri = `sip:02079460000@${REALM}`;
    const callId = rand();
    const send = (cseq: number, auth: string): void => {
      sock.send([
        `INVITE ${uri} SIP/2.0`, `Via: SIP/2.0/WS ${host};branch=z9hG4bK${rand()}`, 'Max-Forwards: 70',
        `From: <sip:alice@${REALM}>;tag=${rand()}`, `To: <${uri}>`, `Call-ID: ${callId}`, `CSeq: ${cseq} INVITE`,
        `Contact: <sip:alice@${host};transport=ws>`, 'User-Agent: InternalBrowserPhone/9.9', ...(auth ? [auth] : []),
        'Content-Type: application/sdp', `Content-Length: ${Buffer.byteLength(BROWSER_OFFER)}`, '', BROWSER_OFFER,
      ].join('\r\n'));
    };
    const final = async (cseq: number): Promise<PeerMsg> => {
      let m: PeerMsg | undefined;
      await waitFor(`final response to CSeq ${cseq}`, () => (m = inbox.find((x) => x.status >= 200 && hdr(x, 'cseq').startsWith(`${cseq} `))) !== undefined, 15000);
      return m!;
    };
    send(1, '');
    const ch = await final(1);
    expect(ch.status).to.equal(407);
    const p = digestParams(hdr(ch, 'proxy-authenticate').replace(/^Digest\s+/i, ''));
    const ha1 = md5(`alice:${p.get('realm')}:alice-pw`);
    const cnonce = rand();
    const qop = p.get('qop') ? 'auth' : '';
    const ha2 = md5(`INVITE:${uri}`);
    const response = qop ? md5(`${ha1}:${p.get('nonce')}:00000001:${cnonce}:auth:${ha2}`) : md5(`${ha1}:${p.get('nonce')}:${ha2}`);
    send(2, `Proxy-Authorization: Digest username="alice", realm="${p.get('realm')}", nonce="${p.get('nonce')}", uri="${uri}", response="${response}", algorithm=MD5`
      + (qop ? `, qop=auth, nc=00000001, cnonce="${cnonce}"` : '') + (p.get('opaque') ? `, opaque="${p.get('opaque')}"` : ''));
    const ok = await final(2);
    expect(ok.status, ok.first).to.equal(200);

    const got = messages();
    const regs = got.filter((m) => m.method === 'REGISTER');
    expect(hdr(regs[0]!, 'authorization'), 'the first REGISTER carries no credentials').to.equal('');
    const authed = regs.filter((m) => hdr(m, 'authorization') !== '');
    expect(digestParams(hdr(authed[0]!, 'authorization')).get('username')).to.equal('tandem');
    expect(got.some((m) => m.method === 'OPTIONS')).to.equal(true);
    const invites = got.filter((m) => m.method === 'INVITE');
    expect(invites).to.have.length(2);
    expect(hdr(invites[0]!, 'authorization'), 'the first INVITE carries no credentials').to.equal('');
    expect(hdr(invites[1]!, 'authorization')).to.match(/username="tandem"/);
    expect(invites[1]!.first).to.equal(`INVITE sip:+442079460000@${sipp.address} SIP/2.0`);
    expect(hdr(invites[1]!, 'p-asserted-identity')).to.equal(`<sip:+442071234000@${REALM}>`);
    for (const m of got) {
      expect(m.raw, m.first).to.not.include('.invalid');
      expect(m.raw).to.not.include(callId);
      expect(m.raw).to.not.include(`:${wsPort}`);
      expect(m.raw).to.not.match(/transport=ws/i);
      expect(m.raw).to.not.include('InternalBrowserPhone');
      expect(m.headers.get('via')?.length, m.first).to.equal(1);
    }
  });
});
