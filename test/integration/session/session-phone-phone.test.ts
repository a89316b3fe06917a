// Phone → phone calls (both legs SIP/RTP) in CallSession, against a fake drachtio-srf and a counting
// fake media engine: the caller's offer is relayed to the callee with Tandem's B-leg address/ports
// and the callee's profile (plain RTP toward a desk phone even when the caller uses SDES), the
// callee's answer comes back with Tandem's A-leg ports, the caller's crypto answered with our key;
// the engine gets both RTP legs (bridge 'rtp-rtp'); 183 with SDP gives early media; BYE/CANCEL and
// re-INVITEs work either way; the engine call is closed exactly once.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../../src/common/logger.js';
import type { CallSessionRequest } from '../../../src/app/calls/call-session-factory.js';
import type { CallPlan } from '../../../src/app/calls/plan-call.js';
import { BUILTIN_PROFILES } from '../../../src/app/profiles/peer-profiles.js';
import { NO_WEBRTC_PARAMS, type AllocateRequest, type AllocateResult, type ApplyRequest, type ApplyResult, type UpdateRequest } from '../../../src/media/engine/index.js';
import { SessionFactory, type MediaPort, type ProvisionalResponse } from '../../../src/session/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { FakeDialog, FakeRes, FakeReq, FakeSrf } from './session-fakes.js';

/** The caller's INVITE / re-INVITEs as this file's tests send them (udp, to bob). */
const udpReq = (callId: string, body: string): FakeReq => new FakeReq(callId, body, 'udp', '127.0.0.1', 5060, 'sip:bob@tandem.test');


const fx = (c: string, f: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, f), 'utf8').replace(/\r?\n/g, '\r\n');
/** baresip mediaenc=srtp-mand's offer (caller) and SIPp's PCMU answer (callee, plain RTP/AVP desk phone). */
const OFFER_A = fx('s2w-offer-baresip-srtp-mand', 'input.sdp');
const ANSWER_B = fx('s2w-answer-sipp-pcmu', 'input.sdp');

class FakeMedia implements MediaPort {
  allocateReqs: AllocateRequest[] = [];
  applyReqs: ApplyRequest[] = [];
  updates: UpdateRequest[] = [];
  closes = 0;
  async allocate(_callId: string, req: AllocateRequest): Promise<AllocateResult> {
    this.allocateReqs.push(req);
    return {
      webrtc: { ...NO_WEBRTC_PARAMS }, rtp: { address: '127.0.0.1', rtpPort: 40002, rtcpPort: 40003 },
      rtpB: { address: '127.0.0.1', rtpPort: 40004, rtcpPort: 40005 }, worker: 0,
    };
  }
  async apply(_callId: string, req: ApplyRequest): Promise<ApplyResult> {
    this.applyReqs.push(req);
    return { ...NO_WEBRTC_PARAMS };
  }
  async update(_callId: string, req: UpdateRequest): Promise<ApplyResult> {
    this.updates.push(req);
    return { ...NO_WEBRTC_PARAMS };
  }
  async closeCall(): Promise<void> {
    this.closes++;
  }
}







const PLAN: Extract<CallPlan, { ok: true }> = {
  ok: true, rule: 'test', fork: 'parallel', callerId: { user: 'srtpphone' },
  a: { kind: 'sip', profile: { ...BUILTIN_PROFILES.deskphone, name: 'srtpphone', media: 'sdes' } },
  b: [{ kind: 'sip', profile: BUILTIN_PROFILES.deskphone, uri: 'sip:deskphone@127.0.0.1:5070', media: { transcode: false, codecs: ['PCMU', 'PCMA'] } }],
};

let seq = 0;
function setup(plan = PLAN): { factory: SessionFactory; media: FakeMedia; srf: FakeSrf; req: FakeReq; res: FakeRes; request: CallSessionRequest } {
  const media = new FakeMedia();
  const srf = new FakeSrf({ answer: ANSWER_B, offer: OFFER_A, ringing: true });
  const factory = new SessionFactory({ srf, media, sdpAddress: '127.0.0.1', domain: 'tandem.test' });
  const req = udpReq(`p2p-${++seq}`, OFFER_A);
  const res = new FakeRes();
  const request: CallSessionRequest = { req, res, caller: { kind: 'user', user: 'srtpphone' } as CallSessionRequest['caller'], plan, logger: silentLogger() };
  return { factory, media, srf, req, res, request };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));
const line = (sdp: string, re: RegExp): string | undefined => sdp.split('\r\n').find((l) => re.test(l));

describe('session: phone → phone (fake srf, fake engine)', () => {
  it('relays the SDES offer as plain RTP to the desk phone, relays 180, answers A with SRTP on our A-leg port; the engine gets both RTP legs', async () => {
    const t = setup();
    await t.factory.create(t.request);
    expect(t.media.allocateReqs[0]!.bridge).to.equal('rtp-rtp');
    const offer = t.srf.offers[0]!;
    expect(line(offer, /^m=audio/)).to.equal('m=audio 40004 RTP/AVP 0 8 101');
    expect(offer).to.include('c=IN IP4 127.0.0.1\r\n');
    expect(offer).to.not.include('a=crypto');
    expect(offer).to.not.include('21086');
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180, 200]);
    const answer = t.res.sent[1]!.opts?.body ?? '';
    expect(line(answer, /^m=audio/)).to.equal('m=audio 40002 RTP/SAVP 0 101');
    expect(line(answer, /^a=crypto:/)).to.match(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/);
    expect(answer).to.not.include('0uiOfF8QAHplCc51D2uga7PoFKghv5U2xyot6fy'); // A's key is not echoed
    const ap = t.media.applyReqs[0]!;
    expect(ap.rtp?.remote).to.deep.include({ address: '127.0.0.1', port: 21086 });
    expect(ap.rtpB?.remote).to.deep.include({ address: '127.0.0.1', port: 16000 });
    expect(ap.rtp?.srtp, 'SDES on the caller leg').to.not.equal(null);
    expect(ap.rtpB?.srtp, 'plain RTP on the callee leg').to.equal(null);
    expect(ap.rtp?.formats.map((f) => `${f.pt}/${f.name}/${f.ptimeMs ?? '-'}`)).to.deep.equal(['0/PCMU/20', '101/telephone-event/-']);
    expect(ap.rtpB?.formats.map((f) => `${f.pt}/${f.name}/${f.ptimeMs ?? '-'}`)).to.deep.equal(['0/PCMU/20', '126/telephone-event/-']);
    expect(ap.bridge).to.include({ rtpSendPt: 0, rtpBSendPt: 0, rtpPtimeMs: 20, rtpBPtimeMs: 20 });
    t.srf.uacDialogs[0]!.emit('destroy');
    await flush();
    expect(t.srf.uas[0]!.destroyed).to.have.length(1);
    expect(t.srf.uas[0]!.destroyed[0]?.['Reason']).to.match(/^Q\.850;cause=16/);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('183 with SDP: early media answer to A (183 with SDP), the same 200 SDP is not applied twice; BYE from the caller ends the callee leg', async () => {
    const t = setup();
    t.srf.uac = async (progress) => {
      progress.cbProvisional?.({ status: 183, body: ANSWER_B } as ProvisionalResponse);
      await new Promise((r) => setTimeout(r, 10));
      return new FakeDialog({ sdp: '' }, { sdp: ANSWER_B });
    };
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([183, 200]);
    expect(t.res.sent[0]!.opts?.body).to.include('m=audio 40002 RTP/SAVP 0 101');
    expect(t.res.sent[1]!.opts?.body).to.equal(t.res.sent[0]!.opts?.body);
    expect(t.media.applyReqs).to.have.length(1);
    expect(t.media.updates).to.have.length(0);
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
    t.req.emit('cancel');
    await done;
    expect(canceled).to.equal(1);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180]);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('parallel forking to two desk phones (BLegFork via sendB): both get the same offer, the second answers, the first gets CANCEL', async () => {
    const plan: typeof PLAN = { ...PLAN, b: [PLAN.b[0]!, { ...PLAN.b[0]!, uri: 'sip:deskphone@127.0.0.1:5072' }] };
    const t = setup(plan);
    let canceled = 0;
    let n = 0;
    t.srf.uac = (progress) => {
      const mine = ++n;
      if (mine === 1) {
        return new Promise((_resolve, reject) => {
          progress.cbRequest?.(null, { cancel: () => { canceled++; setImmediate(() => reject(Object.assign(new Error('canceled'), { status: 487 }))); } });
          progress.cbProvisional?.({ status: 180 });
        });
      }
      progress.cbRequest?.(null, { cancel: () => undefined });
      return new Promise((resolve) => setTimeout(() => resolve(new FakeDialog({ sdp: '' }, { sdp: ANSWER_B })), 10));
    };
    await t.factory.create(t.request);
    await flush();
    expect(t.srf.offers).to.have.length(2);
    expect(t.srf.offers[1]).to.equal(t.srf.offers[0]);
    expect(canceled, 'the ringing phone gets CANCEL').to.equal(1);
    expect(t.res.sent.map((s) => s.status).at(-1)).to.equal(200);
    expect(t.media.applyReqs).to.have.length(1);
    t.srf.uacDialogs.at(-1)!.emit('destroy');
    await flush();
    expect(t.media.closes).to.equal(1);
  });

  it('profiles sharing no codec (a transcoding decision): 488, nothing rung', async () => {
    const plan: typeof PLAN = { ...PLAN, b: [{ ...PLAN.b[0]!, media: { transcode: true, a: 'PCMU', b: 'opus' } }] };
    const t = setup(plan);
    await t.factory.create(t.request);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([488]);
    expect(t.srf.offers).to.have.length(0);
    expect(t.media.closes).to.equal(1);
  });

  it('hold from the callee and resume from the caller: each re-INVITE goes to the other phone with its own profile; both legs updated', async () => {
    const t = setup();
    await t.factory.create(t.request);
    const dA = t.srf.uas[0]!;
    const dB = t.srf.uacDialogs[0]!;
    // B holds (sendonly) → A gets an SDES offer (A offered RTP/SAVP) with sendonly, answers recvonly.
    dA.modifyAnswer = OFFER_A.replace('a=sendrecv', 'a=recvonly');
    const rs1 = new FakeRes();
    dB.emit('modify', udpReq('x', ANSWER_B.replace('a=sendrecv', 'a=sendonly')), rs1);
    await new Promise((r) => setTimeout(r, 10));
    expect(dA.modifies).to.have.length(1);
    expect(line(dA.modifies[0]!, /^m=audio/)).to.equal('m=audio 40002 RTP/SAVP 0 126');
    expect(dA.modifies[0]).to.include('a=sendonly\r\n').and.include('a=crypto:1 AES_CM_128_HMAC_SHA1_80');
    expect(rs1.sent.map((s) => s.status)).to.deep.equal([200]);
    expect(line(rs1.sent[0]!.opts?.body ?? '', /^m=audio/)).to.equal('m=audio 40004 RTP/AVP 0 126');
    expect(rs1.sent[0]!.opts?.body).to.include('a=recvonly\r\n');
    const u1 = t.media.updates.at(-1)!;
    expect(u1.rtpB?.direction, 'toward the holding phone: we only receive').to.equal('recvonly');
    expect(u1.rtp?.direction, 'toward the caller: we only send').to.equal('sendonly');
    expect(u1.rtp?.srtp, 'SDES kept on the caller leg').to.not.equal(null);
    // A resumes with its own re-offer → B gets a plain sendrecv offer, answers sendrecv.
    dB.modifyAnswer = ANSWER_B;
    const rs2 = new FakeRes();
    dA.emit('modify', udpReq('y', OFFER_A.replace('1677810248', '1677810250')), rs2);
    await new Promise((r) => setTimeout(r, 10));
    expect(dB.modifies).to.have.length(1);
    expect(dB.modifies[0]).to.include('a=sendrecv\r\n').and.not.include('a=crypto');
    expect(rs2.sent.map((s) => s.status)).to.deep.equal([200]);
    const u2 = t.media.updates.at(-1)!;
    expect(u2.rtp?.direction).to.equal('sendrecv');
    expect(u2.rtpB?.direction).to.equal('sendrecv');
    dA.emit('destroy');
    await flush();
    expect(t.media.closes).to.equal(1);
  });
});
