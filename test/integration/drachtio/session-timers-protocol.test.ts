/**
 * RFC 4028 session timers in the embedded drachtio server, edge cases: real drachtio-srf over
 * loopback TCP, the SIP network played by the in-memory fake core, session time on a stepped clock.
 */
import { expect } from 'chai';
import Srf from 'drachtio-srf';
import { DrachtioServer } from '../../../src/drachtio/drachtio-server.js';
import type { SessionTimerOptions } from '../../../src/drachtio/session-timers.js';
import { ManualClock } from '../../../src/sip/manual-clock.js';
import { FakeSipCore, type FakeClientTransaction, type FakeServerTransaction } from './fake-sip-core.js';
import type { SipText } from '../../../src/drachtio/sip-text.js';

const SECRET = 'cymru';
const SDP = 'v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\na=sendrecv\r\n';
const PEER_SDP = SDP.replace('o=- 7 7', 'o=peer 1 1').replace('4000', '5000');

function invite(callId: string, extra: string): string {
  return `INVITE sip:service@127.0.0.1:5060 SIP/2.0\r\n`
    + `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-${callId};rport=5070\r\n`
    + `From: <sip:alice@127.0.0.1:5070>;tag=a-${callId}\r\nTo: <sip:service@127.0.0.1:5060>\r\n`
    + `Call-ID: ${callId}\r\nCSeq: 1 INVITE\r\nContact: <sip:alice@127.0.0.1:5070>\r\nMax-Forwards: 70\r\n${extra}`
    + `Content-Type: application/sdp\r\nContent-Length: ${PEER_SDP.length}\r\n\r\n${PEER_SDP}`;
}
function inDialog(method: string, callId: string, toTag: string, seq: number, extra = '', body = ''): string {
  return `${method} sip:service@127.0.0.1:5060 SIP/2.0\r\n`
    + `Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-${callId}-${method}-${seq}\r\n`
    + `From: <sip:alice@127.0.0.1:5070>;tag=a-${callId}\r\nTo: <sip:service@127.0.0.1:5060>;tag=${toTag}\r\n`
    + `Call-ID: ${callId}\r\nCSeq: ${seq} ${method}\r\nContact: <sip:alice@127.0.0.1:5070>\r\n${extra}`
    + `${body ? 'Content-Type: application/sdp\r\n' : ''}Content-Length: ${body.length}\r\n\r\n${body}`;
}
const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await tick(10);
  }
}

interface Dlg {
  on(ev: string, fn: (...a: never[]) => void): void;
  modify(sdp: string): Promise<string>;
  destroy(): Promise<void>;
}

describe('RFC 4028 session timers: drachtio-srf against DrachtioServer (fake SIP network, stepped clock)', () => {
  let core: FakeSipCore;
  let server: DrachtioServer;
  let clock: ManualClock;
  const srfs: Srf[] = [];

  async function start(timers: SessionTimerOptions = {}): Promise<void> {
    core = new FakeSipCore();
    clock = new ManualClock(Date.now());
    server = new DrachtioServer({ port: 0, secret: SECRET, sipStack: core, sessionTimers: { clock, ...timers } });
    await server.start();
  }
  afterEach(async () => {
    for (const s of srfs.splice(0)) s.disconnect();
    await server.close();
    expect(clock.pending, 'session timers left running').to.equal(0);
  });

  async function connect(setup: (srf: Srf) => void, routes: string[]): Promise<Srf> {
    const srf = new Srf();
    setup(srf);
    const routed = new Set<string>();
    server.on('route', (_id: number, verb: string) => routed.add(verb));
    await new Promise<void>((resolve, reject) => {
      srf.connect({ host: '127.0.0.1', port: server.address().port, secret: SECRET });
      srf.once('connect', (err: Error | null) => (err ? reject(err) : resolve()));
    });
    srfs.push(srf);
    await waitFor(() => routes.every((r) => routed.has(r)), `routes ${routes.join(',')}`);
    return srf;
  }

  /** A UAS app; returns the list of destroy reasons and of INVITEs the app saw. */
  async function uasApp(): Promise<{ reasons: string[]; invites: number; dialogs: Dlg[] }> {
    const out = { reasons: [] as string[], invites: 0, dialogs: [] as Dlg[] };
    await connect((srf) => srf.invite((req, res) => {
      out.invites++;
      void srf.createUAS(req, res, { localSdp: SDP }).then((d) => {
        const dlg = d as unknown as Dlg;
        out.dialogs.push(dlg);
        dlg.on('destroy', (_m: never, reason: never) => out.reasons.push(reason));
      });
    }), ['invite']);
    return out;
  }

  /** The first response on `st` (422/400 are sent synchronously, inside inject()). */
  const answerOf = (st: FakeServerTransaction): Promise<SipText> => (st.responses.length > 0 ? Promise.resolve(st.responses[0]) : st.nextResponse());

  /** Sends an INVITE, returns the final response and its To tag; ACKs a 200. */
  async function call(callId: string, extra: string): Promise<{ ok: SipText; toTag: string }> {
    const st = core.inject(invite(callId, extra)) as FakeServerTransaction;
    const ok = await answerOf(st);
    const toTag = /tag=([^;]+)/.exec(ok.get('to') ?? '')?.[1] ?? '';
    if (ok.status === 200) core.inject(inDialog('ACK', callId, toTag, 1));
    return { ok, toTag };
  }

  it('answers per RFC 4028 §9: refresher=uac + Require: timer when the UAC supports timer and named none; uas without Supported', async () => {
    await start();
    const app = await uasApp();
    const a = await call('neg1', 'Supported: timer, 100rel\r\nSession-Expires: 1800\r\nMin-SE: 120\r\n');
    expect(a.ok.get('session-expires')).to.equal('1800;refresher=uac');
    expect(a.ok.get('require')).to.equal('timer');
    const b = await call('neg2', 'Session-Expires: 600\r\n');
    expect(b.ok.get('session-expires')).to.equal('600;refresher=uas');
    expect(b.ok.has('require')).to.equal(false);
    const c = await call('neg3', 'Supported: timer\r\n');
    expect(c.ok.has('session-expires'), 'no offer, no timer').to.equal(false);
    expect(server.sip.dialogs.all().map((d) => d.sessionTimer && { i: d.sessionTimer.intervalSeconds, us: d.sessionTimer.weRefresh, m: d.sessionTimer.minSE }))
      .to.deep.equal([{ i: 1800, us: false, m: 120 }, { i: 600, us: true, m: 90 }, undefined]);
    await waitFor(() => app.dialogs.length === 3, 'dialogs');
    for (const d of app.dialogs) {
      const byeP = core.nextRequest();
      const done = d.destroy();
      (await byeP).respond(200, 'OK');
      await done;
    }
  });

  it('defaultRefresher "none" (drachtio-server\'s default) declines refresher-less offers; an explicit refresher is kept', async () => {
    await start({ defaultRefresher: 'none' });
    await uasApp();
    const a = await call('none1', 'Supported: timer\r\nSession-Expires: 1800\r\n');
    expect(a.ok.has('session-expires')).to.equal(false);
    const b = await call('none2', 'Supported: timer\r\nSession-Expires: 1800;refresher=uac\r\n');
    expect(b.ok.get('session-expires')).to.equal('1800;refresher=uac');
    server.sip.clear();
  });

  it('a malformed Session-Expires gets 400 and never reaches the app; Min-SE policy above 90 is used in the 422', async () => {
    await start({ minSE: 300 });
    const app = await uasApp();
    const bad = await call('bad1', 'Session-Expires: soon\r\n');
    expect(bad.ok.status).to.equal(400);
    const small = await call('small1', 'Supported: timer\r\nSession-Expires: 200\r\n');
    expect(small.ok.status).to.equal(422);
    expect(small.ok.reason).to.equal('Session Interval Too Small');
    expect(small.ok.get('min-se')).to.equal('300');
    expect(app.invites).to.equal(0);
  });

  it('in-dialog: a refresh below Min-SE gets 422 (timer kept); a re-INVITE refresh restarts it; one without Session-Expires stops it', async () => {
    await start();
    const app = await uasApp();
    const { toTag } = await call('ind1', 'Supported: timer\r\nSession-Expires: 90;refresher=uac\r\n');
    const d = server.sip.dialogs.all()[0];
    const t0 = d.sessionTimer;
    expect(t0).to.include({ intervalSeconds: 90, weRefresh: false });
    clock.advance(40_000);
    const small = core.inject(inDialog('UPDATE', 'ind1', toTag, 2, 'Supported: timer\r\nSession-Expires: 30\r\n'))!;
    const r422 = await answerOf(small);
    expect(r422.status).to.equal(422);
    expect(r422.get('min-se')).to.equal('90');
    expect(d.sessionTimer).to.equal(t0);
    // a peer refresh by re-INVITE (same SDP version): srf answers it itself; the 2xx carries the timer
    const re = core.inject(inDialog('INVITE', 'ind1', toTag, 3, 'Supported: timer\r\nSession-Expires: 90\r\n', PEER_SDP))!;
    const ok = await re.nextResponse();
    expect(ok.status).to.equal(200);
    expect(ok.get('session-expires'), 'current refresher kept').to.equal('90;refresher=uac');
    expect(ok.get('require')).to.equal('timer');
    core.inject(inDialog('ACK', 'ind1', toTag, 3));
    expect(d.sessionTimer).to.not.equal(t0);
    clock.advance(59_000);
    expect(app.reasons, 'restarted at the refresh').to.deep.equal([]);
    const upd = core.inject(inDialog('UPDATE', 'ind1', toTag, 4))!;
    expect((await answerOf(upd)).has('session-expires')).to.equal(false);
    expect(d.sessionTimer, 'a refresh without Session-Expires turns the timer off').to.equal(undefined);
    expect(clock.pending).to.equal(0);
    server.sip.clear();
  });

  it('we refresh: re-INVITE with our SDP; 491 → retried 2.1–4 s later; 2xx → ACK, re-armed; 481 → BYE, app told "Session timer expired"', async () => {
    await start();
    const app = await uasApp();
    await call('ref1', 'Supported: timer\r\nSession-Expires: 120;refresher=uas\r\n');
    const d = server.sip.dialogs.all()[0];
    expect(d.sessionTimer).to.include({ intervalSeconds: 120, weRefresh: true });
    let reqP = core.nextRequest();
    clock.advance(60_000);
    let ct: FakeClientTransaction = await reqP;
    expect(ct.request.method).to.equal('INVITE');
    expect(ct.request.get('session-expires')).to.equal('120;refresher=uac');
    expect(ct.request.get('min-se')).to.equal('90');
    expect(ct.request.get('supported')).to.equal('timer');
    expect(ct.request.get('contact')).to.equal('<sip:127.0.0.1:5060>');
    expect(ct.request.body).to.equal(SDP);
    expect(ct.request.uri).to.equal('sip:alice@127.0.0.1:5070');
    ct.respond(491, 'Request Pending');
    await tick();
    reqP = core.nextRequest();
    clock.advance(2_099);
    await tick();
    expect(core.sentRequests.length, 'not before 2.1 s').to.equal(1);
    clock.advance(1_901);
    ct = await reqP;
    expect(ct.request.cseq().seq).to.equal(core.sentRequests[0].request.cseq().seq + 1);
    const ackP = core.nextAck();
    ct.respond(200, 'OK', { headers: { Contact: '<sip:alice@127.0.0.1:5071>', 'Session-Expires': '120;refresher=uac', 'Content-Type': 'application/sdp' }, body: PEER_SDP });
    const ack = await ackP;
    expect(ack.cseq()).to.deep.equal({ seq: ct.request.cseq().seq, method: 'ACK' });
    expect(ack.uri, 'target refreshed by the 2xx Contact').to.equal('sip:alice@127.0.0.1:5071');
    await waitFor(() => d.sessionTimer?.handle !== undefined, 're-armed');
    reqP = core.nextRequest();
    clock.advance(60_000);
    ct = await reqP;
    const byeP = core.nextRequest();
    ct.respond(481, 'Call/Transaction Does Not Exist');
    const bye = await byeP;
    expect(bye.request.method).to.equal('BYE');
    expect(bye.request.get('reason')).to.equal('SIP ;cause=200 ;text="Session timer expired"');
    bye.respond(200, 'OK');
    await waitFor(() => app.reasons.length === 1, 'destroy');
    expect(app.reasons).to.deep.equal(['Session timer expired']);
    expect(server.sip.stats().dialogs).to.equal(0);
  });

  it('a refresh that gets no answer (timeout) ends the dialog; a 2xx without Session-Expires stops the timer', async () => {
    await start();
    const app = await uasApp();
    await call('to1', 'Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n');
    await call('to2', 'Supported: timer\r\nSession-Expires: 90;refresher=uas\r\n');
    const [d1, d2] = server.sip.dialogs.all();
    const sent: FakeClientTransaction[] = [];
    core.on('request', (ct: FakeClientTransaction) => sent.push(ct));
    clock.advance(45_000);
    await waitFor(() => sent.length === 2, 'two refreshes');
    const byCall = (id: string): FakeClientTransaction => sent.find((c) => c.request.get('call-id') === id)!;
    byCall('to2').respond(200, 'OK', { headers: { Contact: '<sip:alice@127.0.0.1:5070>' } });
    await waitFor(() => core.acks.length === 1, 'ACK of the refresh');
    expect(d2.sessionTimer).to.equal(undefined);
    byCall('to1').fail(408, 'Request Timeout');
    await waitFor(() => sent.some((c) => c.request.method === 'BYE'), 'BYE');
    const bye = sent.find((c) => c.request.method === 'BYE')!;
    expect(bye.request.get('call-id')).to.equal('to1');
    bye.respond(200, 'OK');
    await waitFor(() => app.reasons.length === 1, 'destroy');
    expect(app.reasons).to.deep.equal(['Session timer expired']);
    expect(server.sip.dialogs.all()).to.deep.equal([d2]);
    expect(d1.terminating).to.equal(true);
    server.sip.clear();
  });

  it('UAC app: the session timer rides on its re-INVITE (Session-Expires + Supported added) and the refresh waits for it', async () => {
    await start();
    const srf = await connect(() => undefined, []);
    const sentP = core.nextRequest();
    const uacP = srf.createUAC('sip:svc@127.0.0.1:5090', { localSdp: SDP, headers: { 'Session-Expires': '1800', Supported: 'timer' } } as never);
    const ct = await sentP;
    expect(ct.request.get('session-expires')).to.equal('1800');
    const ackP = core.nextAck();
    ct.respond(200, 'OK', { toTag: 'b1', headers: { Contact: '<sip:svc@127.0.0.1:5090>', 'Content-Type': 'application/sdp', Require: 'timer', 'Session-Expires': '1800;refresher=uac' }, body: PEER_SDP });
    const uac = await uacP as unknown as Dlg;
    await ackP;
    const d = server.sip.dialogs.all()[0];
    expect(d.sessionTimer).to.include({ intervalSeconds: 1800, weRefresh: true });
    const reP = core.nextRequest();
    const newSdp = SDP.replace('o=- 7 7', 'o=- 7 8').replace('a=sendrecv', 'a=sendonly');
    const modified = uac.modify(newSdp);
    const re = await reP;
    expect(re.request.get('session-expires')).to.equal('1800;refresher=uac');
    expect(re.request.get('supported')).to.equal('timer');
    // the refresh falls due while the app's re-INVITE is pending: deferred
    clock.advance(900_000);
    await tick();
    expect(core.sentRequests.length).to.equal(2);
    re.respond(200, 'OK', { headers: { Contact: '<sip:svc@127.0.0.1:5090>', 'Content-Type': 'application/sdp' }, body: PEER_SDP });
    await modified;
    await waitFor(() => d.sessionTimer?.handle !== undefined && d.ackSeq === undefined, 'timer restarted after the app\'s ACK');
    const refreshP = core.nextRequest();
    clock.advance(900_000);
    const refresh = await refreshP;
    expect(refresh.request.body, 'the refresh carries the SDP the app sent last').to.equal(newSdp);
    refresh.respond(200, 'OK', { headers: { Contact: '<sip:svc@127.0.0.1:5090>', 'Session-Expires': '1800;refresher=uac' } });
    await waitFor(() => d.sessionTimer?.handle !== undefined, 're-armed');
    const byeP = core.nextRequest();
    const done = uac.destroy();
    (await byeP).respond(200, 'OK');
    await done;
    expect(d.sessionTimer).to.equal(undefined);
  });
});
