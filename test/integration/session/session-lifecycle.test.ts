// CallSession / SessionFactory against a fake drachtio-srf and a counting fake media engine:
// every failure path answers A sensibly and closes the engine call exactly once (no leak).
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../../src/common/logger.js';
import type { CallSessionRequest } from '../../../src/app/calls/call-session-factory.js';
import type { CallPlan } from '../../../src/app/calls/plan-call.js';
import { BUILTIN_PROFILES } from '../../../src/app/profiles/peer-profiles.js';
import type { AllocateRequest, AllocateResult, ApplyRequest, UpdateRequest } from '../../../src/media/engine/index.js';
import type { WebRtcLocalParams } from '../../../src/media/webrtc/types.js';
import { SessionFactory, mapBLegStatus, type MediaPort } from '../../../src/session/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { FakeDialog, FakeRes, FakeReq, FakeSrf } from './session-fakes.js';

const fx = (c: string, f: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, f), 'utf8').replace(/\r?\n/g, '\r\n');
const BROWSER_OFFER = fx('w2s-offer-chromium-avp', 'input.sdp');
const PHONE_ANSWER = fx('s2w-answer-sipp-pcmu', 'input.sdp');
const PHONE_OFFER = fx('s2w-offer-sipp-uac', 'input.sdp');

const LOCAL: WebRtcLocalParams = {
  iceUfrag: 'abcd', icePwd: 'abcdefghijklmnopqrstuvwx', iceLite: false,
  candidates: [{ foundation: '1', component: 1, transport: 'udp', priority: 2130706431, address: '127.0.0.1', port: 40002, type: 'host' }],
  fingerprint: { algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':') },
  setup: 'actpass',
};

class FakeMedia implements MediaPort {
  allocated = new Set<string>();
  allocations = 0;
  closes = new Map<string, number>();
  applies = 0;
  updates: UpdateRequest[] = [];
  allocateReqs: AllocateRequest[] = [];
  applyReqs: ApplyRequest[] = [];
  failAllocate = false;
  async allocate(callId: string, req: AllocateRequest): Promise<AllocateResult> {
    if (this.failAllocate) throw new Error('no worker');
    this.allocations++;
    this.allocateReqs.push(req);
    this.allocated.add(callId);
    return { webrtc: { ...LOCAL, setup: req.offerer ? 'actpass' : 'active' }, rtp: { address: '127.0.0.1', rtpPort: 40000, rtcpPort: 40001 }, worker: 0 };
  }
  async apply(_callId: string, req: ApplyRequest): Promise<WebRtcLocalParams> {
    this.applies++;
    this.applyReqs.push(req);
    return { ...LOCAL, setup: 'active' };
  }
  /** ICE restarts asked for (`restartIce`): each one gives new local credentials, as the engine does. */
  iceRestarts = 0;
  async update(_callId: string, req: UpdateRequest): Promise<WebRtcLocalParams> {
    this.updates.push(req);
    if (req.restartIce) this.iceRestarts++;
    const ice = this.iceRestarts === 0 ? {} : { iceUfrag: `new${this.iceRestarts}`, icePwd: `newpassword${this.iceRestarts}newpassword` };
    return { ...LOCAL, ...ice, setup: 'active' };
  }
  async closeCall(callId: string): Promise<void> {
    this.closes.set(callId, (this.closes.get(callId) ?? 0) + 1);
    this.allocated.delete(callId);
  }
  totalCloses(): number {
    return [...this.closes.values()].reduce((a, b) => a + b, 0);
  }
}






function plan(a: 'webrtc' | 'sip', b: 'webrtc' | 'sip', bProfile = BUILTIN_PROFILES.deskphone): Extract<CallPlan, { ok: true }> {
  return {
    ok: true, rule: 'test', fork: 'parallel', callerId: { user: 'alice' },
    a: { kind: a, profile: a === 'webrtc' ? BUILTIN_PROFILES.browser : BUILTIN_PROFILES.deskphone },
    b: [{ kind: b, profile: b === 'webrtc' ? BUILTIN_PROFILES.browser : bProfile, uri: 'sip:deskphone@127.0.0.1:5062', media: { transcode: false, codecs: ['PCMU'] } }],
  };
}

let seq = 0;
function setup(p: Extract<CallPlan, { ok: true }>, body: string): { factory: SessionFactory; media: FakeMedia; srf: FakeSrf; req: FakeReq; res: FakeRes; request: CallSessionRequest } {
  const media = new FakeMedia();
  const srf = new FakeSrf({ answer: PHONE_ANSWER });
  const factory = new SessionFactory({ srf, media, sdpAddress: '127.0.0.1', domain: 'tandem.test' });
  const req = new FakeReq(`call-${++seq}`, body);
  const res = new FakeRes();
  const request: CallSessionRequest = { req, res, caller: { kind: 'user', user: 'alice' } as CallSessionRequest['caller'], plan: p, logger: silentLogger() };
  return { factory, media, srf, req, res, request };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('session: CallSession lifecycle (fake srf, counting fake engine)', () => {
  it('browser → phone: B answers, A gets 200 with a WebRTC answer, media applied; BYE from A BYEs B and closes media once', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([200]);
    const answer = t.res.sent[0].opts?.body ?? '';
    expect(answer).to.match(/UDP\/TLS\/RTP\/SAVPF/);
    expect(answer).to.match(/a=setup:active/);
    // The answer announces the SSRC the engine is told to send toward the browser (RFC 5576).
    const ssrc = t.media.allocateReqs[0].webrtcSsrc;
    expect(ssrc).to.be.a('number').and.greaterThan(0);
    expect([...answer.matchAll(/^a=ssrc:(\d+) /gm)].map((m) => Number(m[1]))).to.deep.equal([ssrc, ssrc]);
    expect(t.media.applyReqs[0].bridge?.webrtcSsrc).to.equal(ssrc);
    expect(t.srf.uacDialogs[0].local.sdp).to.match(/m=audio 40000 RTP\/AVP/);
    expect(t.media.applies).to.equal(1);
    expect(t.factory.active).to.equal(1);
    t.srf.uas[0].emit('destroy');
    await flush();
    expect(t.srf.uacDialogs[0].destroyed).to.have.length(1);
    expect(t.srf.uacDialogs[0].destroyed[0]?.['Reason']).to.match(/^Q\.850;cause=16/);
    expect(t.srf.uas[0].destroyed).to.have.length(0);
    expect(t.media.totalCloses()).to.equal(1);
    expect(t.media.allocated.size).to.equal(0);
    expect(t.factory.active).to.equal(0);
    // a late BYE from the other side and a late media event change nothing
    t.srf.uacDialogs[0].emit('destroy');
    t.factory.onMediaEvent([...t.media.closes.keys()][0], { kind: 'inactivity', leg: 'rtp', idleMs: 60000 });
    await flush();
    expect(t.media.totalCloses()).to.equal(1);
  });

  it('phone → browser: the browser answer becomes the SIP answer; BYE from the browser ends the phone leg', async () => {
    const t = setup(plan('sip', 'webrtc'), PHONE_OFFER);
    t.srf.uac = async () => new FakeDialog({ sdp: '' }, { sdp: fx('w2s-answer-sipp-pcmu', 'input.sdp') });
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([200]);
    expect(t.res.sent[0].opts?.body).to.match(/m=audio 40000 RTP\/AVP 0/);
    expect(t.srf.uacDialogs[0].local.sdp).to.match(/UDP\/TLS\/RTP\/SAVPF/);
    // The offer to the browser announces the SSRC the engine sends toward it.
    const ssrc = t.media.allocateReqs[0].webrtcSsrc;
    expect(t.srf.uacDialogs[0].local.sdp).to.match(new RegExp(`^a=ssrc:${String(ssrc)} cname:`, 'm'));
    expect(t.media.applyReqs[0].bridge?.webrtcSsrc).to.equal(ssrc);
    t.srf.uacDialogs[0].emit('destroy');
    await flush();
    expect(t.srf.uas[0].destroyed).to.have.length(1);
    expect(t.media.totalCloses()).to.equal(1);
  });

  it('a browser offer without audio → 488 with a Warning, engine call closed once', async () => {
    const t = setup(plan('webrtc', 'sip'), fx('err-w2s-video-only', 'input.sdp'));
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([488]);
    expect(t.res.sent[0].opts?.headers?.['Warning']).to.match(/^399 tandem "/);
    expect(t.srf.uacCalls).to.equal(0);
    expect(t.media.allocations).to.equal(1);
    expect(t.media.totalCloses()).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('B busy (486) → A gets 486; B 408 → 480; B 500 → 503; each closes media once', async () => {
    for (const [bStatus, aStatus] of [[486, 486], [408, 480], [500, 503], [603, 603]] as const) {
      const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
      t.srf.uac = async () => Promise.reject(Object.assign(new Error('failed'), { status: bStatus }));
      await t.factory.create(t.request);
      expect(t.res.sent.map((s) => s.status), `B ${bStatus}`).to.deep.equal([aStatus]);
      expect(t.media.totalCloses()).to.equal(1);
      expect(t.media.allocated.size).to.equal(0);
    }
    expect(mapBLegStatus(407)).to.equal(503);
  });

  it('CANCEL from A while B rings: B is canceled, no final response from the session (the stack sends 487), media closed once', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    let canceled = 0;
    let rejectUac: (e: unknown) => void = () => undefined;
    t.srf.uac = (progress) => new Promise((_resolve, reject) => {
      rejectUac = reject;
      progress.cbRequest?.(null, { cancel: () => { canceled++; setImmediate(() => reject(Object.assign(new Error('canceled'), { status: 487 }))); } });
      progress.cbProvisional?.({ status: 180 });
    });
    const done = t.factory.create(t.request);
    await flush();
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180]);
    t.req.emit('cancel');
    await done;
    void rejectUac;
    expect(canceled).to.equal(1);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180]);
    expect(t.media.totalCloses()).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('183 with SDP: early answer to the browser (media applied), then 200 with the same SDP answers A without re-applying', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    t.srf.uac = async (progress) => {
      progress.cbProvisional?.({ status: 183, body: PHONE_ANSWER });
      await new Promise((r) => setTimeout(r, 10));
      return new FakeDialog({ sdp: '' }, { sdp: PHONE_ANSWER });
    };
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([183, 200]);
    expect(t.res.sent[0].opts?.body).to.match(/UDP\/TLS\/RTP\/SAVPF/);
    expect(t.media.applies).to.equal(1);
    expect(t.media.updates).to.have.length(0);
  });

  it('phone → phone asks the engine for a \'rtp-rtp\' bridge; an engine without a second RTP endpoint → 503, engine call closed once (full flow: session-phone-phone.test.ts)', async () => {
    const t = setup(plan('sip', 'sip'), PHONE_OFFER);
    await t.factory.create(t.request);
    expect(t.media.allocateReqs[0]?.bridge).to.equal('rtp-rtp');
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([503]);
    expect(t.media.totalCloses()).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('engine allocation failure → 503, nothing to close', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    t.media.failAllocate = true;
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([503]);
    expect(t.media.totalCloses()).to.equal(0);
    expect(t.factory.active).to.equal(0);
  });

  it('RTP inactivity ends an answered call: BYE on both legs with a Reason, media closed once', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    await t.factory.create(t.request);
    const id = t.factory.mediaIds()[0];
    t.factory.onMediaEvent(id, { kind: 'inactivity', leg: 'rtp', idleMs: 60000 });
    t.factory.onMediaEvent(id, { kind: 'closed', reason: 'worker-crash' });
    await flush();
    expect(t.srf.uas[0].destroyed).to.have.length(1);
    expect(t.srf.uacDialogs[0].destroyed).to.have.length(1);
    expect(t.srf.uas[0].destroyed[0]?.['Reason']).to.match(/RTP inactivity/);
    expect(t.media.totalCloses()).to.equal(1);
  });

  it('hold from the browser (re-INVITE sendonly) is relayed to the phone as a re-INVITE and applied with engine.update', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    await t.factory.create(t.request);
    const phone = t.srf.uacDialogs[0];
    phone.modifyAnswer = PHONE_ANSWER.replace('a=sendrecv', 'a=recvonly');
    const res = new FakeRes();
    const hold = new FakeReq('x', BROWSER_OFFER.replace(/a=sendrecv/g, 'a=sendonly'));
    t.srf.uas[0].emit('modify', hold, res);
    for (let i = 0; i < 20 && res.sent.length === 0; i++) await flush();
    expect(res.sent.map((s) => s.status)).to.deep.equal([200]);
    expect(phone.modifies).to.have.length(1);
    expect(phone.modifies[0]).to.match(/a=sendonly/);
    expect(res.sent[0].opts?.body).to.match(/a=recvonly/);
    // While we do not send, the answer still declares our SSRC (so Chromium keeps its receive stream for it).
    const ssrc = t.media.allocateReqs[0].webrtcSsrc;
    expect(res.sent[0].opts?.body).to.match(new RegExp(`^a=ssrc:${String(ssrc)} cname:`, 'm'));
    expect(t.media.updates).to.have.length(1);
    expect(t.media.updates[0].webrtc?.direction).to.equal('recvonly');
    expect(t.media.updates[0].rtp?.direction).to.equal('sendonly');
    // a re-INVITE while another one is in progress gets 491
    const res2 = new FakeRes();
    phone.modifyAnswer = PHONE_ANSWER;
    t.srf.uas[0].emit('modify', new FakeReq('x', BROWSER_OFFER), res2);
    t.srf.uacDialogs[0].emit('modify', new FakeReq('y', PHONE_OFFER), res);
    await flush();
    expect(res.sent.map((s) => s.status)).to.include(491);
    for (let i = 0; i < 20 && res2.sent.length === 0; i++) await flush();
    expect(res2.sent.map((s) => s.status)).to.deep.equal([200]);
  });

  it('a media failure while B rings cancels B and answers A 503; media closed once', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    let canceled = 0;
    t.srf.uac = (progress) => new Promise((_resolve, reject) => {
      progress.cbRequest?.(null, { cancel: () => { canceled++; setImmediate(() => reject(Object.assign(new Error('canceled'), { status: 487 }))); } });
    });
    const done = t.factory.create(t.request);
    await flush();
    t.factory.onMediaEvent(t.factory.mediaIds()[0], { kind: 'dtls-state', state: 'failed', error: 'x' });
    await done;
    expect(canceled).to.equal(1);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([503]);
    expect(t.media.totalCloses()).to.equal(1);
  });

  it('ICE restart from the browser: new local ICE credentials from the engine, the phone is not re-INVITEd (SIP offer unchanged)', async () => {
    const t = setup(plan('webrtc', 'sip'), fx('w2s-offer-ice-restart', 'previous.sdp'));
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([200]);
    const res = new FakeRes();
    t.srf.uas[0].emit('modify', new FakeReq('x', fx('w2s-offer-ice-restart', 'input.sdp')), res);
    for (let i = 0; i < 20 && res.sent.length === 0; i++) await flush();
    expect(res.sent.map((s) => s.status)).to.deep.equal([200]);
    expect(t.srf.uacDialogs[0].modifies).to.have.length(0);
    expect(t.media.updates[0]).to.deep.equal({ restartIce: true });
    expect(t.media.updates[1].webrtc?.iceUfrag).to.be.a('string');
    expect(t.media.updates[1].rtp, 'SIP leg untouched').to.equal(undefined);
    // The answer carries the engine's new credentials (RFC 8839 §4.4.1.1.1), the fingerprint unchanged.
    const answer = String(res.sent[0].opts?.body ?? '');
    expect(answer).to.match(/^a=ice-ufrag:new1\r?$/m).and.to.match(/^a=ice-pwd:newpassword1newpassword\r?$/m);
    expect(answer).to.not.match(/a=ice-ufrag:abcd/);
    expect(answer).to.contain(`a=fingerprint:sha-256 ${LOCAL.fingerprint.value}`);
  });

  it('a re-INVITE from the phone (hold) is relayed to the browser as a WebRTC offer; the browser answer goes back as SIP', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    await t.factory.create(t.request);
    const browserDialog = t.srf.uas[0];
    browserDialog.modifyAnswer = fx('w2s-answer-sipp-pcmu', 'input.sdp').replace(/a=sendrecv/g, 'a=recvonly');
    const res = new FakeRes();
    t.srf.uacDialogs[0].emit('modify', new FakeReq('y', PHONE_ANSWER.replace('a=sendrecv', 'a=sendonly')), res);
    for (let i = 0; i < 20 && res.sent.length === 0; i++) await flush();
    expect(res.sent.map((s) => s.status), JSON.stringify(res.sent)).to.deep.equal([200]);
    expect(browserDialog.modifies).to.have.length(1);
    expect(browserDialog.modifies[0]).to.match(/a=sendonly/).and.to.match(/UDP\/TLS\/RTP\/SAVPF/);
    expect(res.sent[0].opts?.body).to.match(/RTP\/AVP/).and.to.match(/a=recvonly/);
    expect(t.media.updates).to.have.length(1);
  });

  it('factory.close() ends every call', async () => {
    const t = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    await t.factory.create(t.request);
    await t.factory.close();
    expect(t.srf.uas[0].destroyed).to.have.length(1);
    expect(t.srf.uacDialogs[0].destroyed).to.have.length(1);
    expect(t.media.totalCloses()).to.equal(1);
    const res = new FakeRes();
    await t.factory.create({ ...t.request, res });
    expect(res.sent.map((s) => s.status)).to.deep.equal([503]);
  });
  it('dtmf: info phone: engine told webrtcDtmf event; a browser RFC 4733 digit (engine dtmf event) becomes INFO dtmf-relay to the phone; rfc4733 phone: forward', async () => {
    class InfoDialog extends FakeDialog {
      infos: Array<{ method: string; headers?: Record<string, string>; body?: string }> = [];
      async request(opts: { method: 'INFO'; headers?: Record<string, string>; body?: string }): Promise<unknown> {
        this.infos.push(opts);
        return undefined;
      }
    }
    const t = setup(plan('webrtc', 'sip', { ...BUILTIN_PROFILES.deskphone, dtmf: 'info' }), BROWSER_OFFER);
    const phoneDialog = new InfoDialog({ sdp: '' }, { sdp: PHONE_ANSWER });
    t.srf.uac = async () => phoneDialog;
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([200]);
    expect(t.media.applyReqs[0]?.bridge?.webrtcDtmf).to.equal('event');
    const id = t.factory.mediaIds()[0]!;
    t.factory.onMediaEvent(id, { kind: 'dtmf', from: 'webrtc', digit: '5', durationMs: 160 });
    t.factory.onMediaEvent(id, { kind: 'dtmf', from: 'webrtc', digit: '#', durationMs: 100 });
    await flush();
    expect(phoneDialog.infos).to.deep.equal([
      { method: 'INFO', headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=5\r\nDuration=160\r\n' },
      { method: 'INFO', headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=#\r\nDuration=100\r\n' },
    ]);
    expect(t.factory.active).to.equal(1);

    const t2 = setup(plan('webrtc', 'sip'), BROWSER_OFFER);
    await t2.factory.create(t2.request);
    expect(t2.media.applyReqs[0]?.bridge?.webrtcDtmf).to.equal('forward');
  });
});
