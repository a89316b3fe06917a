// Bad input at the SIP and WebSocket edges of a whole Gateway (embedded mode: udp + tcp + ws)
// while a real call is up: a raw SIP-over-WebSocket browser UA (RFC 7118 frames over `ws`, SDP a
// Chromium capture) calls an in-test UDP phone that answers PCMU and sends a 1000 Hz PCMU tone to
// the gateway's RTP port. Then malformed, truncated, oversized and codec-less messages arrive over
// UDP, TCP and WS. Checked: the status codes (RFC 3261 §8.2 / §18.1.2: 400 when a Via can be read,
// dropped otherwise; 413 / dropped / closed for oversize; 488 + Warning for an unusable SDP), the
// transport counters of `stack.stats()`, and the established call: no BYE on either leg, the
// engine still holds exactly this one call and its RTP leg keeps receiving the phone's packets.
import { expect } from 'chai';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import WebSocket from 'ws';
import { Gateway } from '../../../src/gateway.js';
import { loadConfig } from '../../../src/config/load-config.js';
import { createLogger } from '../../../src/common/logger.js';
import { ulawEncode } from '../../../src/media/codecs/g711.js';
import { generateTone } from '../../helpers/tone.js';
import { fixturesDir } from '../../helpers/paths.js';
import { startSipp, stopAllSipp } from '../../helpers/sipp.js';
import { loopbackGateway } from '../../helpers/gateway-config.js';
import { hdr, parseSip as parse, rand, type SipMsg as Msg } from '../../helpers/sip-text.js';
import { UdpPhone as BasePhone } from '../../helpers/udp-phone.js';
import { WsSipClient } from '../../helpers/ws-sip-client.js';

const REALM = 'tandem.test';
const MAX_BYTES = 4096;
const fx = (c: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
const BROWSER_OFFER = fx('w2s-offer-chromium-avp');
const PHONE_ANSWER = fx('s2w-answer-sipp-pcmu');

/** Minimal browser-side SIP-over-WebSocket UA (RFC 7118) in this test's realm: INVITE with digest, ACK, answers in-dialog requests 200. */
const WsUa = {
  open: (url: string, user: string): Promise<WsSipClient> => WsSipClient.open(url, user, { realm: REALM }),
};

/** A UDP phone: answers INVITE 200 with PCMU SDP on its own RTP socket, then streams a 1000 Hz PCMU tone to the gateway. */
class UdpPhone extends BasePhone {
  readonly rtp = dgram.createSocket('udp4');
  /** INFO requests received: Content-Type and body. */
  readonly infos: Array<{ type: string; body: string }> = [];
  /** Final responses to the INFOs this phone sent, by CSeq number. */
  readonly infoResponses = new Map<number, number>();
  private invite: { msg: Msg; addr: string; port: number } | null = null;
  private infoCseq = 1;
  private timer: NodeJS.Timeout | undefined;

  constructor() {
    super({ answer: PHONE_ANSWER });
  }

  get byes(): number {
    return this.byeLog.length;
  }

  override async start(): Promise<void> {
    await super.start();
    await new Promise<void>((resolve) => this.rtp.bind(0, '127.0.0.1', () => resolve()));
  }

  protected override onMessage(m: Msg, rinfo: dgram.RemoteInfo): void {
    if (m.status >= 200 && hdr(m, 'cseq').endsWith(' INFO')) this.infoResponses.set(Number(hdr(m, 'cseq').split(' ')[0]), m.status);
    if (m.status !== 0 || m.method === 'ACK') return;
    if (m.method === 'INFO') this.infos.push({ type: hdr(m, 'content-type'), body: m.body });
    if (m.method === 'INVITE' && !hdr(m, 'to').includes('tag=')) this.invite = { msg: m, addr: rinfo.address, port: rinfo.port };
  }

  protected override answerSdp(invite: Msg): string {
    const gwPort = Number(/m=audio (\d+)/.exec(invite.body)?.[1] ?? 0);
    const gwAddr = /c=IN IP4 (\S+)/.exec(invite.body)?.[1] ?? '127.0.0.1';
    if (gwPort > 0) this.stream(gwAddr, gwPort);
    return this.o.answer.replace('m=audio 16000', `m=audio ${this.rtp.address().port}`);
  }

  /** Sends an INFO inside the dialog of the (first) INVITE it answered; returns its CSeq number. */
  sendInfo(contentType: string, body: string): number {
    const inv = this.invite!;
    const cseq = this.infoCseq++;
    const target = /<([^>]+)>/.exec(hdr(inv.msg, 'contact'))?.[1] ?? '';
    this.sock.send([
      `INFO ${target} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${this.port};branch=z9hG4bK${rand()};rport`, 'Max-Forwards: 70',
      ...(inv.msg.headers.get('record-route') ?? []).map((r) => `Route: ${r}`),
      `From: ${hdr(inv.msg, 'to')};tag=phone1`, `To: ${hdr(inv.msg, 'from')}`, `Call-ID: ${hdr(inv.msg, 'call-id')}`, `CSeq: ${cseq} INFO`,
      `Contact: <sip:phone@127.0.0.1:${this.port}>`, `Content-Type: ${contentType}`, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
    ].join('\r\n'), inv.port, inv.addr);
    return cseq;
  }

  /** 20 ms PCMU packets of a 1000 Hz tone. */
  private stream(addr: string, port: number): void {
    if (this.timer) return;
    const pcm = generateTone({ freq: 1000, rate: 8000, durationMs: 1000, amplitude: 0.5 });
    const ulaw = new Uint8Array(pcm.length);
    ulawEncode(pcm, ulaw);
    const ssrc = 0x1234abcd;
    let seq = 1;
    let ts = 0;
    let off = 0;
    this.timer = setInterval(() => {
      const pkt = Buffer.alloc(12 + 160);
      pkt[0] = 0x80;
      pkt[1] = 0;
      pkt.writeUInt16BE(seq++ & 0xffff, 2);
      pkt.writeUInt32BE(ts >>> 0, 4);
      pkt.writeUInt32BE(ssrc, 8);
      pkt.set(ulaw.subarray(off, off + 160), 12);
      off = (off + 160) % ulaw.length;
      ts += 160;
      this.rtp.send(pkt, port, addr);
    }, 20);
  }

  override close(): void {
    if (this.timer) clearInterval(this.timer);
    this.sock.close();
    this.rtp.close();
  }
}

interface Gw { gw: Gateway; wsUrl: string; udpPort: number; tcpPort: number; stop(): Promise<void> }

async function startGw(phone: UdpPhone, opts: { phoneProfile?: string; phoneContact?: string } = {}): Promise<Gw> {
  const { sipPort, wsPort, overrides } = await loopbackGateway({ realm: REALM, tcp: true, sip: { maxMessageBytes: MAX_BYTES }, media: { rtpTimeoutSeconds: 60 } });
  const config = loadConfig({
    useDefaultFile: false,
    overrides: {
      ...overrides,
      users: [
        { name: 'alice', password: 'alice-pw' },
        { name: 'phone', password: 'phone-pw', contact: opts.phoneContact ?? `sip:phone@127.0.0.1:${phone.port}`, profile: opts.phoneProfile ?? 'deskphone' },
      ],
      profiles: [{ name: 'infophone', media: 'avp', dtmf: 'info' }],
      dialplan: { rules: [{ name: 'to phone', from: ['user'], match: 'phone', to: 'endpoint:phone' }] },
    },
  });
  const gw = new Gateway(config, createLogger({ level: config.log.level, pretty: false }));
  await gw.start();
  return { gw, wsUrl: `ws://127.0.0.1:${wsPort}`, udpPort: sipPort, tcpPort: sipPort, stop: () => gw.stop() };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A request over `transport` with a Via the gateway can answer to; `over` replaces/adds/removes header lines. */
function request(transport: 'UDP' | 'TCP' | 'WS', sentBy: string, opts: { start?: string; drop?: string[]; extra?: string[]; body?: string; contentLength?: string } = {}): string {
  const body = opts.body ?? '';
  const lines = [
    opts.start ?? `OPTIONS sip:gw@${REALM} SIP/2.0`,
    `Via: SIP/2.0/${transport} ${sentBy};branch=z9hG4bK${rand()};rport`,
    'Max-Forwards: 70',
    `From: <sip:fuzz@${REALM}>;tag=${rand()}`,
    `To: <sip:gw@${REALM}>`,
    `Call-ID: ${rand()}`,
    `CSeq: 1 ${(opts.start ?? 'OPTIONS').split(' ')[0]}`,
    ...(opts.extra ?? []),
  ].filter((l) => !(opts.drop ?? []).some((d) => l.toLowerCase().startsWith(`${d.toLowerCase()}:`)));
  return [...lines, `Content-Length: ${opts.contentLength ?? Buffer.byteLength(body)}`, '', body].join('\r\n');
}

/** Sends datagrams from one socket; collects what comes back. */
class UdpProbe {
  readonly sock = dgram.createSocket('udp4');
  readonly got: Msg[] = [];
  async open(): Promise<string> {
    await new Promise<void>((resolve) => this.sock.bind(0, '127.0.0.1', () => resolve()));
    this.sock.on('message', (b) => this.got.push(parse(b.toString('utf8'))));
    return `127.0.0.1:${this.sock.address().port}`;
  }
  send(text: string | Buffer, port: number): void {
    this.sock.send(typeof text === 'string' ? Buffer.from(text) : text, port, '127.0.0.1');
  }
  close(): void {
    this.sock.close();
  }
}

/** One TCP connection: sends bytes, returns what came back and whether the server closed it. */
async function tcpExchange(port: number, payload: (sentBy: string) => Buffer | string, waitMs = 600): Promise<{ replies: Msg[]; closed: boolean }> {
  const s = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    s.once('connect', () => resolve());
    s.once('error', reject);
  });
  let data = '';
  let closed = false;
  s.on('data', (d) => { data += d.toString('utf8'); });
  s.on('close', () => { closed = true; });
  s.on('error', () => {});
  s.write(payload(`127.0.0.1:${s.localPort}`));
  await sleep(waitMs);
  s.destroy();
  const replies = data.split(/(?=SIP\/2\.0 )/).filter((x) => x.startsWith('SIP/2.0')).map(parse);
  return { replies, closed };
}

const G729_OFFER = BROWSER_OFFER
  .replace(/m=audio 9 UDP\/TLS\/RTP\/SAVPF [0-9 ]+/, 'm=audio 9 UDP/TLS/RTP/SAVPF 18')
  .replace(/a=(rtpmap|fmtp|rtcp-fb):\d+ [^\r]*\r\n/g, '')
  .replace('a=ssrc:', 'a=rtpmap:18 G729/8000\r\na=ssrc:');
const VIDEO_OFFER = BROWSER_OFFER
  .replace(/m=audio 9 UDP\/TLS\/RTP\/SAVPF [0-9 ]+/, 'm=video 9 UDP/TLS/RTP/SAVPF 96')
  .replace(/a=(rtpmap|fmtp|rtcp-fb):\d+ [^\r]*\r\n/g, '')
  .replace('a=ssrc:', 'a=rtpmap:96 VP8/90000\r\na=ssrc:');
const BROKEN_SDP = 'v=0\r\nthis is not an SDP line\r\nm=audio notaport RTP/AVP x\r\n';

describe('e2e edge: bad SIP / WebSocket / SDP input during an established call (Gateway, raw WS browser UA, UDP phone)', function () {
  this.timeout(60000);
  let phone: UdpPhone;
  let g: Gw | undefined;
  const uas: WsSipClient[] = [];

  beforeEach(async () => {
    phone = new UdpPhone();
    await phone.start();
  });
  after(async () => {
    await stopAllSipp();
  });
  afterEach(async () => {
    await g?.stop();
    g = undefined;
    for (const u of uas.splice(0)) u.ws.terminate();
    phone.close();
  });

  it('malformed / oversized SIP over UDP, TCP and WS and codec-less / broken SDP INVITEs get 400/413/488 or are dropped and counted; the call and its media are untouched', async () => {
    g = await startGw(phone);
    const gw = g.gw;
    const stack = gw.sip!.stack;
    const ua = await WsUa.open(g.wsUrl, 'alice');
    uas.push(ua);
    const res = await ua.invite('phone', 'alice-pw', BROWSER_OFFER);
    expect(res.status, res.first).to.equal(200);
    expect(phone.invites).to.equal(1);
    const [mediaId] = gw.calls!.mediaIds();
    expect(mediaId).to.be.a('string');
    const rxPackets = async (): Promise<number> => (await gw.media!.stats(mediaId!)).rtp?.rxPackets ?? 0;
    await sleep(400);
    const rx0 = await rxPackets();
    expect(rx0, 'phone RTP reaches the gateway before the barrage').to.be.greaterThan(5);
    const before = stack.stats().transports;

    // ---- UDP -------------------------------------------------------------
    const probe = new UdpProbe();
    const sentBy = await probe.open();
    try {
      probe.send('\x00\x01garbage that is not SIP at all\r\n\r\n', g.udpPort); // no Via → dropped (§18.1.2 cannot answer)
      probe.send(request('UDP', sentBy, { start: 'THIS IS NOT A START LINE' }), g.udpPort);
      probe.send(request('UDP', sentBy, { drop: ['Call-ID'] }), g.udpPort); // missing mandatory header
      probe.send(request('UDP', sentBy, { drop: ['CSeq', 'From'] }), g.udpPort);
      probe.send(request('UDP', sentBy, { body: 'short', contentLength: '500' }), g.udpPort); // CL > datagram
      probe.send(request('UDP', sentBy, { body: 'x', contentLength: 'abc' }), g.udpPort); // CL not a number
      probe.send(request('UDP', sentBy).slice(0, 120), g.udpPort); // truncated mid-headers
      probe.send(request('UDP', sentBy, { extra: [`X-Pad: ${'a'.repeat(MAX_BYTES)}`] }), g.udpPort); // oversize datagram
      await sleep(600);
      // Bad start line, 2× missing mandatory headers, 2× bad Content-Length → 400 (a Via was readable);
      // the garbage, the truncated one (cut inside the Via) and the oversize datagram are dropped.
      expect(probe.got.map((m) => m.first).sort()).to.deep.equal([
        'SIP/2.0 400 Bad Request - Content-Length larger than the message',
        'SIP/2.0 400 Bad Request - bad Content-Length',
        'SIP/2.0 400 Bad Request - malformed request line',
        'SIP/2.0 400 Bad Request - missing call-id',
        'SIP/2.0 400 Bad Request - missing from',
      ]);
    } finally {
      probe.close();
    }
    const afterUdp = stack.stats().transports;
    expect(afterUdp.udp.malformed - before.udp.malformed, 'udp malformed').to.equal(7);
    expect(afterUdp.udp.oversize - before.udp.oversize, 'udp oversize').to.equal(1);

    // ---- TCP -------------------------------------------------------------
    const tBad = await tcpExchange(g.tcpPort, (sb) => request('TCP', sb, { drop: ['Call-ID'] }));
    expect(tBad.replies.map((m) => m.status)).to.deep.equal([400]);
    const tStart = await tcpExchange(g.tcpPort, (sb) => request('TCP', sb, { start: 'NOT/A START LINE' }));
    expect(tStart.replies.map((m) => m.status)).to.deep.equal([400]);
    const tBig = await tcpExchange(g.tcpPort, (sb) => request('TCP', sb, { extra: [`X-Pad: ${'a'.repeat(MAX_BYTES)}`] }));
    expect(tBig.closed, 'oversize over TCP closes the connection').to.equal(true);
    // docs/sip-stack.md: "Oversize stream messages close the connection" (no 413 on a stream).
    expect(tBig.replies).to.have.length(0);
    const afterTcp = stack.stats().transports;
    expect(afterTcp.tcp.malformed - before.tcp.malformed, 'tcp malformed').to.equal(2);
    expect(afterTcp.tcp.oversize - before.tcp.oversize, 'tcp oversize').to.equal(1);

    // ---- WS (a second browser connection) ---------------------------------
    const bad = await WsUa.open(g.wsUrl, 'alice');
    uas.push(bad);
    bad.ws.send('garbage garbage garbage\r\n\r\n');
    bad.ws.send(request('WS', `${bad.host}`, { drop: ['Call-ID'] }));
    bad.ws.send(request('WS', `${bad.host}`, { start: 'INVITE' }));
    bad.ws.send(request('WS', `${bad.host}`, { body: 'abc', contentLength: '99' }));
    await sleep(500);
    expect(bad.inbox.map((m) => m.status), JSON.stringify(bad.inbox.map((m) => m.first))).to.deep.equal([400, 400, 400]);
    const afterWs = stack.stats().transports;
    expect(afterWs.ws.malformed - before.ws.malformed, 'ws malformed').to.equal(4);
    // An oversize frame: ws's maxPayload (= sip.maxMessageBytes) closes the connection with 1009.
    const big = await WsUa.open(g.wsUrl, 'alice');
    uas.push(big);
    big.ws.send(request('WS', big.host, { extra: [`X-Pad: ${'a'.repeat(MAX_BYTES)}`] }));
    for (let i = 0; i < 40 && big.closeCode === null; i++) await sleep(50);
    expect(big.closeCode, 'oversize WS frame closes the connection').to.equal(1009);
    expect(stack.stats().transports.ws.oversize - before.ws.oversize, 'ws oversize counted').to.equal(1);

    // ---- SDP without a usable codec / broken SDP (on the same WS as the call) ------------
    const g729 = await ua.invite('phone', 'alice-pw', G729_OFFER);
    expect(g729.status, g729.first).to.equal(488);
    expect(hdr(g729, 'warning'), 'Warning says why').to.match(/399 .*codec/i);
    const video = await ua.invite('phone', 'alice-pw', VIDEO_OFFER);
    expect(video.status, video.first).to.equal(488);
    expect(hdr(video, 'warning')).to.match(/399 .*(audio|codec)/i);
    const broken = await ua.invite('phone', 'alice-pw', BROKEN_SDP);
    expect([400, 488], broken.first).to.include(broken.status);
    expect(hdr(broken, 'warning')).to.match(/^399 /);
    expect(phone.invites, 'no INVITE for a refused offer reached the phone').to.equal(1);

    // ---- the established call is untouched ---------------------------------
    await sleep(400);
    const rx1 = await rxPackets();
    expect(rx1 - rx0, 'phone RTP still flows through the engine').to.be.greaterThan(20);
    expect(phone.byes, 'no BYE at the phone').to.equal(0);
    expect(ua.byes, 'no BYE at the browser').to.equal(0);
    expect(ua.ws.readyState).to.equal(WebSocket.OPEN);
    expect(gw.calls!.active).to.equal(1);
    expect(gw.calls!.mediaIds()).to.deep.equal([mediaId]);
    expect(gw.media!.load().reduce((a, b) => a + b, 0), 'no leaked engine call').to.equal(1);

    // The phone's profile (deskphone) says dtmf: rfc4733 → a DTMF INFO from the browser is refused, not relayed.
    const info = await ua.inDialog(res, 'INFO', 'application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n');
    expect(info.status, info.first).to.equal(415);
    expect(hdr(info, 'warning')).to.match(/rfc4733/);
    await sleep(200);
    expect(phone.infos).to.have.length(0);
  });

  it('SIP INFO DTMF with a dtmf: info phone: browser INFO relayed to the phone, phone INFO sent to the browser as RFC 4733 (dtmf-relay and application/dtmf; 415 / 400 for other bodies)', async () => {
    g = await startGw(phone, { phoneProfile: 'infophone' });
    const ua = await WsUa.open(g.wsUrl, 'alice');
    uas.push(ua);
    const res = await ua.invite('phone', 'alice-pw', BROWSER_OFFER);
    expect(res.status, res.first).to.equal(200);

    // browser → phone
    const r1 = await ua.inDialog(res, 'INFO', 'application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n');
    expect(r1.status, r1.first).to.equal(200);
    const r2 = await ua.inDialog(res, 'INFO', 'application/dtmf-relay', 'Signal=#\r\nDuration=100\r\n');
    expect(r2.status, r2.first).to.equal(200);
    const r3 = await ua.inDialog(res, 'INFO', 'application/json', '{"digit":"5"}');
    expect(r3.status, r3.first).to.equal(415);
    expect(hdr(r3, 'accept')).to.match(/application\/dtmf-relay/);
    const r4 = await ua.inDialog(res, 'INFO', 'application/dtmf-relay', 'Signal=Z\r\nDuration=100\r\n');
    expect(r4.status, r4.first).to.equal(400);
    for (let i = 0; i < 40 && phone.infos.length < 2; i++) await sleep(50);
    expect(phone.infos).to.deep.equal([
      { type: 'application/dtmf-relay', body: 'Signal=5\r\nDuration=160\r\n' },
      { type: 'application/dtmf-relay', body: 'Signal=#\r\nDuration=100\r\n' },
    ]);

    // phone → browser: a dtmf: info phone's INFO becomes RFC 4733 packets toward the browser (engine
    // sendDtmf; 200 once the engine took it); it is no longer relayed as INFO.
    const [mediaId] = g.gw.calls!.mediaIds();
    const c1 = phone.sendInfo('application/dtmf-relay', 'Signal=9\r\nDuration=250\r\n');
    const c2 = phone.sendInfo('application/dtmf', '*');
    const c3 = phone.sendInfo('text/plain', 'hello');
    for (let i = 0; i < 40 && phone.infoResponses.size < 3; i++) await sleep(50);
    expect([phone.infoResponses.get(c1), phone.infoResponses.get(c2), phone.infoResponses.get(c3)]).to.deep.equal([200, 200, 415]);
    await sleep(800);
    // Two 250 ms digits: start + 3 updates (every 50 ms) + 3 end packets each.
    expect((await g.gw.media!.stats(mediaId!)).bridge?.rtpToWebrtc.dtmfGenerated).to.equal(14);
    let infoAtBrowser: unknown = null;
    await ua.next((m) => m.first.startsWith('INFO '), 'INFO at the browser', 300).then((m) => { infoAtBrowser = m.first; }, () => undefined);
    expect(infoAtBrowser, 'no INFO relayed to the browser').to.equal(null);

    expect(phone.byes).to.equal(0);
    expect(ua.byes).to.equal(0);
    expect(g.gw.calls!.active).to.equal(1);
  });

  it('SIPp (dtmf: info phone) sends INFO Signal=3/200 → 200, sent to the browser as RFC 4733 (no INFO at the browser); the browser\'s INFO Signal=5/160 reaches SIPp with that Signal and Duration', async () => {
    const sipp = await startSipp({ scenario: path.join(fixturesDir, 'sipp', 'edge', 'uas_info_dtmf.xml'), timeoutMs: 30000 });
    try {
      g = await startGw(phone, { phoneProfile: 'infophone', phoneContact: `sip:phone@${sipp.address}` });
      const ua = await WsUa.open(g.wsUrl, 'alice');
      uas.push(ua);
      const res = await ua.invite('phone', 'alice-pw', BROWSER_OFFER);
      expect(res.status, res.first).to.equal(200);
      const [mediaId] = g.gw.calls!.mediaIds();
      let generated = 0;
      for (let i = 0; i < 60 && generated < 7; i++) {
        await sleep(50);
        generated = (await g.gw.media!.stats(mediaId!)).bridge?.rtpToWebrtc.dtmfGenerated ?? 0;
      }
      // 200 ms digit: start + 2 updates + 3 end packets.
      expect(generated, 'RFC 4733 packets generated toward the browser').to.equal(6);
      let infoAtBrowser: unknown = null;
      await ua.next((m) => m.first.startsWith('INFO '), 'INFO from SIPp at the browser', 300).then((m) => { infoAtBrowser = m.first; }, () => undefined);
      expect(infoAtBrowser, 'no INFO relayed to the browser').to.equal(null);
      const r = await ua.inDialog(res, 'INFO', 'application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n');
      expect(r.status, r.first).to.equal(200);
      await sleep(300);
      const bye = await ua.inDialog(res, 'BYE', 'application/sdp', '');
      expect(bye.status, bye.first).to.equal(200);
      const result = await sipp.wait();
      expect(result.code, `${result.errors}\n${result.screen}`).to.equal(0);
      expect(result.stats['SuccessfulCall(C)']).to.equal('1');
    } finally {
      await sipp.cleanup();
    }
  });
});
