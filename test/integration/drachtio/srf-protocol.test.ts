/**
 * Real drachtio-srf (unmodified, from node_modules) against DrachtioServer over loopback TCP,
 * with the SIP network played by an in-memory fake core.
 */
import { expect } from 'chai';
import net from 'node:net';
import Srf from 'drachtio-srf';
import { DrachtioServer } from '../../../src/drachtio/drachtio-server.js';
import { encodeFrame, FrameDecoder } from '../../../src/drachtio/framing.js';
import { FakeSipCore, type FakeServerTransaction } from './fake-sip-core.js';
import { SipText } from '../../../src/drachtio/sip-text.js';
import { asApp } from './srf-types.js';
import { ManualClock } from '../../../src/sip/index.js';

const SECRET = 'cymru';
const SDP = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n';

function invite(callId: string, extra = ''): string {
  return `INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n`
    + `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-${callId};rport=5070\r\n`
    + `From: "Alice" <sip:alice@127.0.0.1:5070>;tag=a-${callId}\r\nTo: <sip:service@127.0.0.1:5060>\r\n`
    + `Call-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\n${extra}`
    + `Content-Type: application/sdp\r\nContent-Length: ${SDP.length}\r\n\r\n${SDP}`;
}
function inDialog(method: string, callId: string, toTag: string, seq: number): string {
  return `${method} sip:service@127.0.0.1:5060 SIP/2.0\r\n`
    + `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-${callId}-${method}-${seq}\r\n`
    + `From: "Alice" <sip:alice@127.0.0.1:5070>;tag=a-${callId}\r\nTo: <sip:service@127.0.0.1:5060>;tag=${toTag}\r\n`
    + `Call-ID: ${callId}\r\nCSeq: ${seq} ${method}\r\nContent-Length: 0\r\n\r\n`;
}
const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

describe('drachtio protocol: real drachtio-srf against DrachtioServer (fake SIP network)', () => {
  let core: FakeSipCore;
  let server: DrachtioServer;
  let port: number;
  const srfs: Srf[] = [];

  beforeEach(async () => {
    core = new FakeSipCore();
    server = new DrachtioServer({ port: 0, secret: SECRET, sipStack: core });
    await server.start();
    port = server.address().port;
  });
  afterEach(async () => {
    for (const s of srfs.splice(0)) s.disconnect();
    await server.close();
  });

  async function connect(routes: (srf: Srf) => void, expectedRoutes: string[]): Promise<Srf> {
    const srf = new Srf();
    routes(srf);
    const routed = new Set<string>();
    server.on('route', (_id: number, verb: string) => routed.add(verb));
    await new Promise<void>((resolve, reject) => {
      srf.connect({ host: '127.0.0.1', port, secret: SECRET });
      srf.once('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    });
    srfs.push(srf);
    await waitFor(() => expectedRoutes.every((r) => routed.has(r)), `routes ${expectedRoutes.join(',')}`);
    return srf;
  }

  it('authenticates with the shared secret and reports hostports and a version srf accepts', async () => {
    const srf = new Srf();
    const args = await new Promise<unknown[]>((resolve) => {
      srf.connect({ host: '127.0.0.1', port, secret: SECRET });
      srf.once('connect', (...a: unknown[]) => resolve(a));
    });
    srfs.push(srf);
    expect(args[0]).to.equal(null);
    expect(args[1]).to.equal('udp/127.0.0.1:5060');
    expect(String(args[2])).to.match(/^v\d+\.\d+\.\d+/);
    expect(server.clientCount).to.equal(1);
  });

  it('rejects a wrong secret and closes the connection', async () => {
    const srf = new Srf();
    const closed = new Promise<void>((resolve) => server.once('clientClosed', () => resolve()));
    const err = await new Promise<unknown>((resolve) => {
      srf.connect({ host: '127.0.0.1', port, secret: 'wrong', reconnect: { maxAttempts: 1 } } as Srf.SrfConfig);
      srf.once('connect', (e: unknown) => resolve(e));
      srf.on('error', () => undefined);
    });
    expect(String(err)).to.match(/failed to authenticate/);
    await closed;
    expect(server.clientCount).to.equal(0);
  });

  it('answers ping with pong and closes on garbage framing (raw wire client)', async () => {
    const sock = net.connect(port, '127.0.0.1');
    const dec = new FrameDecoder();
    const got: string[] = [];
    sock.on('data', (b) => got.push(...dec.push(b)));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(encodeFrame(`a1|authenticate|${SECRET}|`) + encodeFrame('p1|ping'));
    await waitFor(() => got.length >= 2, 'auth + pong');
    expect(got[0].split('|').slice(1, 4)).to.deep.equal(['response', 'a1', 'OK']);
    expect(got[1].split('|').slice(1)).to.deep.equal(['response', 'p1', 'OK', 'pong']);
    sock.write('GET / HTTP/1.1\r\n\r\n');
    await closed;
  });

  it('refuses messages before authenticate', async () => {
    const sock = net.connect(port, '127.0.0.1');
    const dec = new FrameDecoder();
    const got: string[] = [];
    sock.on('data', (b) => got.push(...dec.push(b)));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    sock.write(encodeFrame('r1|route|invite'));
    await closed;
    expect(got[0].split('|').slice(1, 4)).to.deep.equal(['response', 'r1', 'NO']);
  });

  it('answers 503 when no app routes the method', async () => {
    await connect((srf) => asApp(srf).register((_req, res) => res.send(200)), ['register']);
    const st = core.inject(invite('norting'))!;
    expect(st.responses.map((r) => r.status)).to.deep.equal([503]);
  });

  it('UAS: srf answers an INVITE with 200 + SDP, gets the ACK and the BYE', async () => {
    let dialogDestroyed = false;
    let acked = false;
    await connect((srf) => srf.invite(async (req, res) => {
      const uas = await srf.createUAS(req, res, { localSdp: SDP });
      uas.on('ack', () => { acked = true; });
      uas.on('destroy', () => { dialogDestroyed = true; });
    }), ['invite']);
    const st = core.inject(invite('uas1')) as FakeServerTransaction;
    const ok = await st.nextResponse();
    expect(ok.status).to.equal(200);
    const toTag = /tag=([^;]+)/.exec(ok.get('to') ?? '')?.[1];
    expect(toTag, 'To tag').to.be.a('string');
    expect(ok.get('contact')).to.equal('<sip:127.0.0.1:5060>');
    expect(ok.get('content-type')).to.equal('application/sdp');
    expect(ok.body).to.equal(SDP);
    expect(ok.getAll('via')).to.deep.equal([`SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-uas1;rport=5070`]);
    core.inject(inDialog('ACK', 'uas1', toTag!, 1));
    await waitFor(() => acked, 'ack event');
    const bye = core.inject(inDialog('BYE', 'uas1', toTag!, 2))!;
    const byeOk = await bye.nextResponse();
    expect(byeOk.status).to.equal(200);
    await waitFor(() => dialogDestroyed, 'destroy event');
    expect(server.sip.stats().dialogs).to.equal(0);
  });

  it('UAS: CANCEL before answer reaches the app as req "cancel"; a late 200 is refused', async () => {
    let cancelSeen = '';
    let lateErr: unknown;
    await connect((srf) => asApp(srf).invite((req, res) => {
      res.send(180);
      req.on('cancel', (msg: { method: string }) => {
        cancelSeen = msg.method;
        res.send(200, { body: SDP }, (err: unknown) => { lateErr = err; });
      });
    }), ['invite']);
    const st = core.inject(invite('cx1')) as FakeServerTransaction;
    const ringing = await st.nextResponse();
    expect(ringing.status).to.equal(180);
    const cancel = `CANCEL sip:service@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-cx1\r\n`
      + `From: "Alice" <sip:alice@127.0.0.1:5070>;tag=a-cx1\r\nTo: <sip:service@127.0.0.1:5060>\r\nCall-ID: cx1\r\n`
      + `CSeq: 1 CANCEL\r\nContent-Length: 0\r\n\r\n`;
    st.cancel(SipText.parse(cancel));
    await waitFor(() => lateErr !== undefined, 'late 200 refused');
    expect(cancelSeen).to.equal('CANCEL');
    expect(String(lateErr)).to.match(/unknown transaction|final response already sent/);
    expect(st.responses.map((r) => r.status)).to.deep.equal([180]);
    expect(server.sip.stats().pendingIncoming).to.equal(0);
  });

  it('UAC: createUAC fills From tag/Call-ID/CSeq/Contact, ACKs the 200 with the INVITE CSeq, re-INVITE, destroy() sends BYE', async () => {
    const srf = await connect(() => undefined, []);
    const sentP = core.nextRequest();
    const uacP = srf.createUAC('sip:svc@127.0.0.1:5090', { localSdp: SDP });
    const ct = await sentP;
    const inv = ct.request;
    expect(inv.method).to.equal('INVITE');
    expect(inv.uri).to.equal('sip:svc@127.0.0.1:5090');
    expect(inv.get('from')).to.match(/^<sip:127\.0\.0\.1:5060>;tag=\w+$/);
    expect(inv.get('to')).to.equal('<sip:svc@127.0.0.1:5090>');
    expect(inv.get('call-id')).to.be.a('string').and.not.equal('');
    expect(inv.cseq().method).to.equal('INVITE');
    expect(inv.get('contact')).to.equal('<sip:127.0.0.1:5060>');
    expect(inv.get('content-type')).to.equal('application/sdp');
    expect(ct.options.destination).to.deep.equal({ transport: 'udp', host: '127.0.0.1', port: 5090 });
    ct.respond(180, 'Ringing', { toTag: 'b1', headers: { Contact: '<sip:svc@127.0.0.1:5090>' } });
    const ackP = core.nextAck();
    ct.respond(200, 'OK', { toTag: 'b1', headers: { Contact: '<sip:svc@127.0.0.1:5090>', 'Content-Type': 'application/sdp' }, body: SDP });
    const uac = await uacP;
    const ack = await ackP;
    expect(ack.method).to.equal('ACK');
    expect(ack.uri).to.equal('sip:svc@127.0.0.1:5090');
    expect(ack.cseq()).to.deep.equal({ seq: inv.cseq().seq, method: 'ACK' });
    expect(ack.get('to')).to.match(/;tag=b1$/);
    expect(uac.sip.remoteTag).to.equal('b1');
    expect((uac as unknown as { id: string }).id).to.equal(`${inv.get('call-id')};from-tag=${/tag=(\w+)/.exec(inv.get('from')!)![1]}`);
    // re-INVITE: next CSeq, Contact kept, ACK reuses the re-INVITE's CSeq
    const reInvP = core.nextRequest();
    const modified = uac.modify(SDP.replace('a=sendrecv', 'a=sendonly'));
    const reInv = await reInvP;
    expect(reInv.request.method).to.equal('INVITE');
    expect(reInv.request.cseq().seq).to.equal(inv.cseq().seq + 1);
    expect(reInv.request.get('to')).to.match(/;tag=b1$/);
    expect(reInv.request.get('contact')).to.equal('<sip:127.0.0.1:5060>');
    const ack2P = core.nextAck();
    reInv.respond(200, 'OK', { toTag: undefined, headers: { Contact: '<sip:svc@127.0.0.1:5090>', 'Content-Type': 'application/sdp' }, body: SDP });
    await modified;
    expect((await ack2P).cseq()).to.deep.equal({ seq: inv.cseq().seq + 1, method: 'ACK' });
    const byeP = core.nextRequest();
    const destroyed = uac.destroy();
    const bye = await byeP;
    expect(bye.request.method).to.equal('BYE');
    expect(bye.request.cseq().seq).to.equal(inv.cseq().seq + 2);
    expect(bye.request.get('to')).to.match(/;tag=b1$/);
    bye.respond(200, 'OK', { toTag: 'b1' });
    await destroyed;
    expect(server.sip.stats().dialogs).to.equal(0);
  });

  it('UAC 100rel: a reliable 1xx is PRACKed in the early dialog once per new RSeq (RFC 3262 §4, §7.2)', async () => {
    const srf = await connect(() => undefined, []);
    const sentP = core.nextRequest();
    const seen: string[] = [];
    const uacP = srf.createUAC('sip:svc@127.0.0.1:5090', { localSdp: SDP, headers: { Supported: '100rel' } }, {
      cbProvisional: (res: { status: number; get: (h: string) => string | undefined }) => {
        seen.push(`${res.status}:${res.get('RSeq') ?? ''}`);
      },
    });
    const ct = await sentP;
    const seq = ct.request.cseq().seq;
    const early = { Contact: '<sip:early@10.0.0.9:5070>', 'Record-Route': '<sip:p1@127.0.0.1:5099;lr>', Require: '100rel' };
    const sdp = { 'Content-Type': 'application/sdp' };
    let prackP = core.nextRequest();
    ct.respond(183, 'Session Progress', { toTag: 'r1', headers: { ...early, ...sdp, RSeq: '5' }, body: SDP });
    let prack = await prackP;
    expect(prack.request.method).to.equal('PRACK');
    expect(prack.request.uri).to.equal('sip:early@10.0.0.9:5070');
    expect(prack.request.getAll('route')).to.deep.equal(['<sip:p1@127.0.0.1:5099;lr>']);
    expect(prack.request.get('rack')).to.equal(`5 ${seq} INVITE`);
    expect(prack.request.cseq()).to.deep.equal({ seq: seq + 1, method: 'PRACK' });
    expect(prack.request.get('to')).to.match(/;tag=r1$/);
    expect(prack.request.body).to.equal('');
    expect(prack.options.destination).to.deep.equal({ transport: 'udp', host: '127.0.0.1', port: 5099 });
    prack.respond(200, 'OK', { toTag: 'r1' });
    const before = core.sentRequests.length;
    // a retransmission (same RSeq) and an out-of-order one (RSeq 7 after 5) are neither passed on nor PRACKed
    ct.respond(183, 'Session Progress', { toTag: 'r1', headers: { ...early, ...sdp, RSeq: '5' }, body: SDP });
    ct.respond(183, 'Session Progress', { toTag: 'r1', headers: { ...early, ...sdp, RSeq: '7' }, body: SDP });
    await tick(100);
    expect(core.sentRequests.length).to.equal(before);
    prackP = core.nextRequest();
    ct.respond(180, 'Ringing', { toTag: 'r1', headers: { ...early, RSeq: '6' } });
    prack = await prackP;
    expect(prack.request.get('rack')).to.equal(`6 ${seq} INVITE`);
    expect(prack.request.cseq()).to.deep.equal({ seq: seq + 2, method: 'PRACK' });
    prack.respond(200, 'OK', { toTag: 'r1' });
    const ackP = core.nextAck();
    ct.respond(200, 'OK', { toTag: 'r1', headers: { Contact: '<sip:callee@10.0.0.9:5070>', 'Record-Route': '<sip:p1@127.0.0.1:5099;lr>', ...sdp }, body: SDP });
    const uac = await uacP;
    expect((await ackP).uri).to.equal('sip:callee@10.0.0.9:5070');
    expect(seen).to.deep.equal(['183:5', '180:6']);
    const byeP = core.nextRequest();
    const destroyed = uac.destroy();
    const bye = await byeP;
    expect(bye.request.cseq()).to.deep.equal({ seq: seq + 3, method: 'BYE' });
    bye.respond(200, 'OK', { toTag: 'r1' });
    await destroyed;
    expect(server.sip.stats().dialogs).to.equal(0);
  });

  it('UAC: a rejected INVITE rejects createUAC with the status; srf\'s ACK is refused (the core ACKs non-2xx)', async () => {
    const srf = await connect(() => undefined, []);
    const sentP = core.nextRequest();
    const uacP = srf.createUAC('sip:svc@127.0.0.1:5090', { localSdp: SDP });
    const ct = await sentP;
    ct.respond(486, 'Busy Here', { toTag: 'b2' });
    const err = await uacP.catch((e: unknown) => e);
    expect((err as { status: number }).status).to.equal(486);
    await tick(50);
    expect(core.acks).to.have.length(0);
  });

  it('UAC: req.cancel() sends CANCEL for the INVITE transaction', async () => {
    const srf = await connect(() => undefined, []);
    const sentP = core.nextRequest();
    let cancelled = false;
    const uacP = asApp(srf).createUAC('sip:svc@127.0.0.1:5090', { localSdp: SDP }, {
      cbRequest: (_e: unknown, req: { cancel: (cb: (err: unknown) => void) => void }) => {
        setTimeout(() => req.cancel((err) => { cancelled = !err; }), 20);
      },
    });
    const ct = await sentP;
    ct.respond(180, 'Ringing', { toTag: 'b3' });
    await waitFor(() => ct.cancels.length === 1, 'CANCEL');
    await waitFor(() => cancelled, 'cancel callback');
    ct.respond(487, 'Request Terminated', { toTag: 'b3' });
    const err = await uacP.catch((e: unknown) => e);
    expect((err as { status: number }).status).to.equal(487);
  });

  it('routes requests round-robin between two apps that route the same method', async () => {
    const hits: string[] = [];
    await connect((srf) => asApp(srf).options((_req, res) => { hits.push('a'); res.send(200); }), ['options']);
    const b = new Srf();
    asApp(b).options((_req, res) => { hits.push('b'); res.send(200); });
    let routes = 0;
    server.on('route', () => { routes++; });
    await new Promise<void>((resolve) => { b.connect({ host: '127.0.0.1', port, secret: SECRET }); b.once('connect', () => resolve()); });
    srfs.push(b);
    await waitFor(() => routes >= 1, 'second route');
    for (let i = 0; i < 4; i++) {
      const st = core.inject(`OPTIONS sip:127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-o${i}\r\n`
        + `From: <sip:x@127.0.0.1>;tag=o${i}\r\nTo: <sip:127.0.0.1>\r\nCall-ID: opt${i}\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n`)!;
      const r = await st.nextResponse();
      expect(r.status).to.equal(200);
    }
    expect(hits.sort()).to.deep.equal(['a', 'a', 'b', 'b']);
  });

  it('emits cdr:attempt, cdr:start and cdr:stop for a UAS call', async () => {
    const cdrs: string[] = [];
    const srf = new Srf();
    srf.on('cdr:attempt', (source: string) => cdrs.push(`attempt:${source}`));
    srf.on('cdr:start', (source: string, _t: string, role: string) => cdrs.push(`start:${source}:${role}`));
    srf.on('cdr:stop', (source: string, _t: string, reason: string) => cdrs.push(`stop:${source}:${reason}`));
    srf.invite((req, res) => { void srf.createUAS(req, res, { localSdp: SDP }); });
    const routed = new Set<string>();
    server.on('route', (_id: number, v: string) => routed.add(v));
    await new Promise<void>((resolve) => { srf.connect({ host: '127.0.0.1', port, secret: SECRET }); srf.once('connect', () => resolve()); });
    srfs.push(srf);
    await waitFor(() => ['invite', 'cdr:attempt', 'cdr:start', 'cdr:stop'].every((v) => routed.has(v)), 'cdr routes');
    const st = core.inject(invite('cdr1'))!;
    const ok = await st.nextResponse();
    const toTag = /tag=([^;]+)/.exec(ok.get('to') ?? '')![1];
    core.inject(inDialog('ACK', 'cdr1', toTag, 1));
    await (core.inject(inDialog('BYE', 'cdr1', toTag, 2))!).nextResponse();
    await waitFor(() => cdrs.length >= 3, 'three cdrs');
    expect(cdrs).to.deep.equal(['attempt:network', 'start:application:uas', 'stop:network:normal-release']);
  });

  it('answers NOK to unparseable SIP from an app and keeps the connection; closes on an unknown message type', async () => {
    const sock = net.connect(port, '127.0.0.1');
    const dec = new FrameDecoder();
    const got: string[] = [];
    sock.on('data', (b) => got.push(...dec.push(b)));
    const closed = new Promise<void>((resolve) => sock.on('close', () => resolve()));
    await new Promise<void>((r) => sock.once('connect', () => r()));
    sock.write(encodeFrame(`a1|authenticate|${SECRET}|`));
    sock.write(encodeFrame('s1|sip|||\r\nthis is not SIP'));
    sock.write(encodeFrame('s2|sip|nosuchtxn|\r\nSIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n'));
    sock.write(encodeFrame('s3|sip||nosuchdialog\r\nBYE sip:placeholder SIP/2.0\r\n\r\n'));
    sock.write(encodeFrame('p1|proxy|nosuchtxn|remainInDialog|fullResponse||serial|||sip:x@127.0.0.1:5099\r\nINVITE sip:x@127.0.0.1:5099 SIP/2.0\r\n\r\n'));
    await waitFor(() => got.length >= 5, 'four answers');
    const t = got.slice(1).map((m) => m.split('\r\n')[0].split('|').slice(2));
    expect(t[0].slice(0, 2)).to.deep.equal(['s1', 'NOK']);
    expect(t[1]).to.deep.equal(['s2', 'NOK', 'Response not sent due to unknown transaction']);
    expect(t[2]).to.deep.equal(['s3', 'NOK', 'Server error: unable to find dialog for dialog id provided']);
    expect(t[3]).to.deep.equal(['p1', 'NOK', 'Unknown transaction id: nosuchtxn']);
    expect(sock.destroyed).to.equal(false);
    sock.write(encodeFrame('x1|frobnicate'));
    await closed;
    expect(got[got.length - 1].split('|').slice(2)).to.deep.equal(['x1', 'NO', 'Unknown message type']);
  });

  it('srf.proxyRequest: proxies an incoming request to its destination and reports the responses', async () => {
    let result: { connected: boolean; finalStatus: number } | undefined;
    await connect((srf) => asApp(srf).invite((req) => {
      void (srf as unknown as { proxyRequest(r: unknown, d: string, o: unknown): Promise<{ connected: boolean; finalStatus: number }> })
        .proxyRequest(req, 'sip:bob@127.0.0.1:5090', { recordRoute: true }).then((r) => { result = r; });
    }), ['invite']);
    const fwdP = core.nextRequest();
    const st = core.inject(invite('px1')) as FakeServerTransaction;
    const fwd = await fwdP;
    expect(fwd.request.uri).to.equal('sip:bob@127.0.0.1:5090');
    expect(fwd.request.get('record-route')).to.equal('<sip:127.0.0.1:5060;lr>');
    expect(fwd.request.get('max-forwards')).to.equal('69');
    expect(fwd.request.getAll('via')).to.have.length(2);
    expect(fwd.options).to.deep.include({ proxy: true });
    fwd.respond(180, 'Ringing', { toTag: 'bb' });
    fwd.respond(200, 'OK', { toTag: 'bb', headers: { Contact: '<sip:bob@127.0.0.1:5090>' } });
    await waitFor(() => result !== undefined, 'proxy result');
    expect(result).to.include({ connected: true, finalStatus: 200 });
    expect(st.responses.map((r) => r.status)).to.deep.equal([180, 200]);
    expect(st.responses[1].getAll('via')).to.deep.equal(['SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-px1;rport=5070']);
  });

  it('retransmits a reliable 183 at T1, 2*T1 until the PRACK arrives (RFC 3262 §3, manual clock)', async () => {
    await server.close();
    const clock = new ManualClock();
    server = new DrachtioServer({ port: 0, secret: SECRET, sipStack: core, clock });
    await server.start();
    port = server.address().port;
    await connect((srf) => asApp(srf).invite((_req, res) => {
      res.send(183, { headers: { Require: '100rel' }, body: SDP });
    }), ['invite']);
    const st = core.inject(invite('rel1', 'Supported: 100rel\r\n')) as FakeServerTransaction;
    const first = await st.nextResponse();
    expect(first.status).to.equal(183);
    const rseq = first.get('rseq');
    expect(rseq).to.match(/^\d+$/);
    expect(first.get('require')).to.equal('100rel');
    clock.advance(500);
    expect(st.responses.map((r) => r.status)).to.deep.equal([183, 183]);
    expect(st.responses[1].get('rseq')).to.equal(rseq);
    clock.advance(1000);
    expect(st.responses).to.have.length(3);
    const toTag = /tag=([^;]+)/.exec(first.get('to') ?? '')![1];
    const prack = core.inject(inDialog('PRACK', 'rel1', toTag, 2).replace('Content-Length: 0', `RAck: ${rseq} 1 INVITE\r\nContent-Length: 0`))!;
    const prackOk = await prack.nextResponse();
    expect(prackOk.status).to.equal(200);
    clock.advance(10000);
    expect(st.responses).to.have.length(3);
  });

  it('start() and close() are idempotent; start() after close() is refused', async () => {
    const s2 = new DrachtioServer({ port: 0, secret: SECRET, sipStack: new FakeSipCore() });
    const a = s2.start();
    expect(s2.start()).to.equal(a);
    await a;
    const c = s2.close();
    expect(s2.close()).to.equal(c);
    await c;
    await s2.start().then(() => { throw new Error('start after close resolved'); }, (e: { code?: string }) => {
      expect(e.code).to.equal('ERR_DRACHTIO_CLOSED');
    });
    const never = new DrachtioServer({ port: 0, secret: SECRET, sipStack: new FakeSipCore() });
    await never.close();
  });

  it('createUAC with an outbound proxy (bare host:port) keeps the Request-URI and sends to the proxy', async () => {
    const srf = await connect(() => undefined, []);
    const sentP = core.nextRequest();
    void asApp(srf).createUAC('sip:svc@example.com', { localSdp: SDP, proxy: '127.0.0.1:5099' }).catch(() => undefined);
    const ct = await sentP;
    expect(ct.request.uri).to.equal('sip:svc@example.com');
    expect(ct.options.destination).to.deep.equal({ transport: 'udp', host: '127.0.0.1', port: 5099 });
    ct.respond(486, 'Busy Here', { toTag: 'x' });
  });
});
