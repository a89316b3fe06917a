// Browser → browser calls (both legs WebRTC) in CallSession, against a fake drachtio-srf and a
// counting fake media engine: the caller's offer is relayed to the callee with Tandem's own
// B-leg ICE/DTLS, the callee's answer comes back with Tandem's A-leg ICE/DTLS, the engine gets
// both legs, BYE/CANCEL/re-INVITE work either way, and the engine call is closed exactly once.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../../src/common/logger.js';
import type { CallSessionRequest } from '../../../src/app/calls/call-session-factory.js';
import type { CallPlan } from '../../../src/app/calls/plan-call.js';
import { BUILTIN_PROFILES } from '../../../src/app/profiles/peer-profiles.js';
import type { AllocateRequest, AllocateResult, ApplyRequest, ApplyResult, UpdateRequest } from '../../../src/media/engine/index.js';
import type { WebRtcLocalParams } from '../../../src/media/webrtc/types.js';
import { SessionFactory, type MediaPort } from '../../../src/session/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { FakeRes, FakeReq, FakeSrf } from './session-fakes.js';

/** The caller's INVITE / re-INVITEs as this file's tests send them (ws, to bob). */
const wsReq = (callId: string, body: string): FakeReq => new FakeReq(callId, body, 'ws', '127.0.0.1', 5060, 'sip:bob@tandem.test');


const fx = (c: string, f: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, f), 'utf8').replace(/\r?\n/g, '\r\n');
/** Chromium's offer (caller) and Chromium's answer to the offer Tandem relays (callee; passive: Tandem offers setup active). */
const OFFER_A = fx('w2w-answer-chromium-opus', 'offer.sdp');
const ANSWER_B = fx('w2w-answer-chromium-opus', 'input.sdp').replace('a=setup:active', 'a=setup:passive');

const fp = (n: number): string => Array.from({ length: 32 }, (_, i) => ((i + n) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
const local = (ufrag: string, port: number, setup: WebRtcLocalParams['setup']): WebRtcLocalParams => ({
  iceUfrag: ufrag, icePwd: `${ufrag}pwdpwdpwdpwdpwdpwdpwd`, iceLite: false,
  candidates: [{ foundation: '1', component: 1, transport: 'udp', priority: 2130706431, address: '127.0.0.1', port, type: 'host' }],
  fingerprint: { algorithm: 'sha-256', value: fp(1) }, setup,
});

class FakeMedia implements MediaPort {
  allocateReqs: AllocateRequest[] = [];
  applyReqs: ApplyRequest[] = [];
  updates: UpdateRequest[] = [];
  closes = 0;
  async allocate(_callId: string, req: AllocateRequest): Promise<AllocateResult> {
    this.allocateReqs.push(req);
    return { webrtc: local('legA', 40002, 'active'), rtp: null, webrtcB: local('legB', 40004, 'actpass'), worker: 0 };
  }
  async apply(_callId: string, req: ApplyRequest): Promise<ApplyResult> {
    this.applyReqs.push(req);
    return { ...local('legA', 40002, 'active'), webrtcB: local('legB', 40004, 'active') };
  }
  async update(_callId: string, req: UpdateRequest): Promise<ApplyResult> {
    this.updates.push(req);
    return { ...local('legA', 40002, 'active'), webrtcB: local('legB', 40004, 'active') };
  }
  async closeCall(): Promise<void> {
    this.closes++;
  }
}






const PLAN: Extract<CallPlan, { ok: true }> = {
  ok: true, rule: 'test', fork: 'parallel', callerId: { user: 'alice' },
  a: { kind: 'webrtc', profile: BUILTIN_PROFILES.browser },
  b: [{ kind: 'webrtc', profile: BUILTIN_PROFILES.browser, uri: 'sip:bob@127.0.0.1:5062;transport=ws', media: { transcode: false, codecs: ['opus'] } }],
};

let seq = 0;
function setup(): { factory: SessionFactory; media: FakeMedia; srf: FakeSrf; req: FakeReq; res: FakeRes; request: CallSessionRequest } {
  const media = new FakeMedia();
  const srf = new FakeSrf({ answer: ANSWER_B, offer: OFFER_A, ringing: true });
  const factory = new SessionFactory({ srf, media, sdpAddress: '127.0.0.1', domain: 'tandem.test' });
  const req = wsReq(`b2b-${++seq}`, OFFER_A);
  const res = new FakeRes();
  const request: CallSessionRequest = { req, res, caller: { kind: 'user', user: 'alice' } as CallSessionRequest['caller'], plan: PLAN, logger: silentLogger() };
  return { factory, media, srf, req, res, request };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const ssrcsOf = (sdp: string): number[] => [...new Set([...sdp.matchAll(/^a=ssrc:(\d+) /gm)].map((m) => Number(m[1])))];
const line = (sdp: string, re: RegExp): string | undefined => sdp.split('\r\n').find((l) => re.test(l));

describe('session: browser → browser (fake srf, fake engine)', () => {
  it('relays the offer with our B-leg ICE/DTLS, relays 180, answers A with our A-leg ICE/DTLS; the engine gets both legs', async () => {
    const t = setup();
    await t.factory.create(t.request);
    const alloc = t.media.allocateReqs[0]!;
    expect(alloc.bridge).to.equal('webrtc');
    expect(alloc.offerer).to.equal(false);
    expect(alloc.offererB).to.equal(true);
    // Offer to B: Tandem's B-leg transport, Opus first, BUNDLE, rtcp-mux, setup active (Tandem is the DTLS client), our B SSRC.
    const offer = t.srf.offers[0]!;
    expect(line(offer, /^a=ice-ufrag:/)).to.equal('a=ice-ufrag:legB');
    expect(line(offer, /^m=audio/)).to.equal('m=audio 40004 UDP/TLS/RTP/SAVPF 111 0 8 110 126');
    expect(offer).to.include('a=group:BUNDLE 0\r\n').and.include('a=rtcp-mux\r\n').and.include('a=setup:active\r\n');
    expect(offer).to.not.include('4VQ7'); // A's ufrag is not relayed
    expect(ssrcsOf(offer)).to.deep.equal([alloc.webrtcBSsrc]);
    // 180 relayed, then 200 to A with Tandem's A-leg transport, setup active, opus + te/48000.
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180, 200]);
    const answer = t.res.sent[1]!.opts?.body ?? '';
    expect(line(answer, /^a=ice-ufrag:/)).to.equal('a=ice-ufrag:legA');
    expect(line(answer, /^m=audio/)).to.equal('m=audio 40002 UDP/TLS/RTP/SAVPF 111 110');
    expect(answer).to.include('a=setup:active\r\n').and.include('a=mid:0\r\n').and.include('a=group:BUNDLE 0\r\n');
    expect(ssrcsOf(answer)).to.deep.equal([alloc.webrtcSsrc]);
    expect(alloc.webrtcSsrc).to.not.equal(alloc.webrtcBSsrc);
    // Engine: leg A = the caller's ICE/DTLS, leg B = the callee's; Opus/111 + te/110 both sides.
    const ap = t.media.applyReqs[0]!;
    expect(ap.webrtc?.iceUfrag).to.equal('4VQ7');
    expect(ap.webrtcB?.iceUfrag).to.equal('6anx');
    expect(ap.webrtcB?.setup).to.equal('passive');
    expect(ap.webrtc?.formats.map((f) => `${f.pt}/${f.name}`)).to.deep.equal(['111/opus', '110/telephone-event']);
    expect(ap.webrtcB?.formats.map((f) => `${f.pt}/${f.name}`)).to.deep.equal(['111/opus', '110/telephone-event']);
    expect(ap.webrtc?.direction).to.equal('sendrecv');
    expect(ap.webrtcB?.direction).to.equal('sendrecv');
    expect(ap.bridge).to.include({ webrtcSendPt: 111, webrtcBSendPt: 111, webrtcSsrc: alloc.webrtcSsrc, webrtcBSsrc: alloc.webrtcBSsrc, webrtcDtmf: 'forward' });
    // BYE from the callee ends the caller's leg; media closed once.
    t.srf.uacDialogs[0]!.emit('destroy');
    await flush();
    expect(t.srf.uas[0]!.destroyed).to.have.length(1);
    expect(t.srf.uas[0]!.destroyed[0]?.['Reason']).to.match(/^Q\.850;cause=16/);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('BYE from the caller ends the callee leg', async () => {
    const t = setup();
    await t.factory.create(t.request);
    t.srf.uas[0]!.emit('destroy');
    await flush();
    expect(t.srf.uacDialogs[0]!.destroyed).to.have.length(1);
    expect(t.media.closes).to.equal(1);
  });

  it('CANCEL from the caller while the callee rings: CANCEL sent, media closed once', async () => {
    const t = setup();
    let canceled = 0;
    t.srf.uac = (progress) => new Promise((_resolve, reject) => {
      progress.cbRequest?.(null, { cancel: () => { canceled++; setImmediate(() => reject(Object.assign(new Error('canceled'), { status: 487 }))); } });
      progress.cbProvisional?.({ status: 180 });
    });
    const done = t.factory.create(t.request);
    await flush();
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180]);
    t.req.emit('cancel');
    await done;
    expect(canceled).to.equal(1);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180]);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('the callee declines (486): the caller gets 486, media closed once', async () => {
    const t = setup();
    t.srf.uac = async () => { throw Object.assign(new Error('busy'), { status: 486 }); };
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([486]);
    expect(t.media.closes).to.equal(1);
  });

  it('ICE restart from the caller: Tandem renews its A-leg ICE credentials (restartIce), the offer to the callee is unchanged but still relayed', async () => {
    const t = setup();
    await t.factory.create(t.request);
    const dA = t.srf.uas[0]!;
    const dB = t.srf.uacDialogs[0]!;
    dB.modifyAnswer = ANSWER_B;
    const rs = new FakeRes();
    dA.emit('modify', wsReq('r', OFFER_A.replace('a=ice-ufrag:4VQ7', 'a=ice-ufrag:NEW1').replace(/a=ice-pwd:\S+/, 'a=ice-pwd:restartedrestartedrestart')), rs);
    await new Promise((r) => setTimeout(r, 10));
    expect(t.media.updates[0]).to.deep.equal({ restartIce: true });
    expect(dB.modifies).to.have.length(1);
    expect(dB.modifies[0], 'same description toward B (o= version unchanged)').to.equal(t.srf.offers[0]);
    expect(rs.sent.map((x) => x.status)).to.deep.equal([200]);
    const u = t.media.updates.at(-1)!;
    expect(u.webrtc?.iceUfrag, 'A\'s new credentials applied').to.equal('NEW1');
    expect(u.webrtcB?.iceUfrag).to.equal('6anx');
  });

  it('hold from the caller and resume from the callee: each re-INVITE is relayed to the other browser, directions applied to both legs', async () => {
    const t = setup();
    await t.factory.create(t.request);
    const dA = t.srf.uas[0]!;
    const dB = t.srf.uacDialogs[0]!;
    // A holds: sendonly → B gets sendonly (same mid, our established DTLS role), answers recvonly.
    dB.modifyAnswer = ANSWER_B.replace('a=sendrecv', 'a=recvonly');
    const rs1 = new FakeRes();
    dA.emit('modify', wsReq('x', OFFER_A.replace('a=sendrecv', 'a=sendonly')), rs1);
    await new Promise((r) => setTimeout(r, 10));
    expect(dB.modifies).to.have.length(1);
    expect(dB.modifies[0]).to.include('a=sendonly\r\n').and.include('a=setup:active\r\n').and.include('a=ice-ufrag:legB\r\n');
    expect(rs1.sent.map((s) => s.status)).to.deep.equal([200]);
    expect(rs1.sent[0]!.opts?.body).to.include('a=recvonly\r\n').and.include('a=ice-ufrag:legA\r\n');
    const u1 = t.media.updates.at(-1)!;
    expect(u1.webrtc?.direction).to.equal('recvonly');
    expect(u1.webrtcB?.direction).to.equal('sendonly');
    // B resumes with its own re-offer (sendrecv) → A gets it, answers sendrecv.
    dA.modifyAnswer = OFFER_A.replace('a=setup:actpass', 'a=setup:passive');
    const rs2 = new FakeRes();
    dB.emit('modify', wsReq('y', ANSWER_B.replace('a=setup:passive', 'a=setup:actpass')), rs2);
    await new Promise((r) => setTimeout(r, 10));
    expect(dA.modifies).to.have.length(1);
    expect(dA.modifies[0]).to.include('a=sendrecv\r\n').and.include('a=setup:active\r\n').and.include('a=ice-ufrag:legA\r\n');
    expect(rs2.sent.map((s) => s.status)).to.deep.equal([200]);
    expect(rs2.sent[0]!.opts?.body).to.include('a=sendrecv\r\n').and.include('a=ice-ufrag:legB\r\n').and.include('a=setup:active\r\n');
    const u2 = t.media.updates.at(-1)!;
    expect(u2.webrtc?.direction).to.equal('sendrecv');
    expect(u2.webrtcB?.direction).to.equal('sendrecv');
    expect(u2.webrtcB?.iceUfrag).to.equal('6anx');
    t.srf.uas[0]!.emit('destroy');
    await flush();
    expect(t.media.closes).to.equal(1);
  });
});
