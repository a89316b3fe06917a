// CallSession forking (src/session/b-leg-fork.ts hooked into run()/sendB()) against a fake
// drachtio-srf whose INVITEs the test answers one by one, and a counting fake media engine:
// early media from one leg then the answer from another (engine.update), CANCEL from A while
// several legs ring, all legs failing (RFC 3261 §16.7 selection), sequential waves, mixed kinds.
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../../src/common/logger.js';
import type { CallSessionRequest } from '../../../src/app/calls/call-session-factory.js';
import type { CallPlan, CalleeLegPlan } from '../../../src/app/calls/plan-call.js';
import { BUILTIN_PROFILES } from '../../../src/app/profiles/peer-profiles.js';
import type { AppRequest, AppResponse } from '../../../src/app/signaling/srf-types.js';
import type { AllocateRequest, AllocateResult, ApplyRequest, UpdateRequest } from '../../../src/media/engine/index.js';
import type { WebRtcLocalParams } from '../../../src/media/webrtc/types.js';
import { SessionFactory, type MediaPort, type ProvisionalResponse, type SentInvite, type SessionDialog, type SessionSrf } from '../../../src/session/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { FakeRes, FakeReq } from './session-fakes.js';

const fx = (c: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
const BROWSER_OFFER = fx('w2s-offer-chromium-avp');
const PHONE_ANSWER = fx('s2w-answer-sipp-pcmu');
const OTHER_ANSWER = PHONE_ANSWER.replace('m=audio 16000', 'm=audio 16500');

const LOCAL: WebRtcLocalParams = {
  iceUfrag: 'abcd', icePwd: 'abcdefghijklmnopqrstuvwx', iceLite: false,
  candidates: [{ foundation: '1', component: 1, transport: 'udp', priority: 2130706431, address: '127.0.0.1', port: 40002, type: 'host' }],
  fingerprint: { algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':') },
  setup: 'actpass',
};

class FakeMedia implements MediaPort {
  applies: ApplyRequest[] = [];
  updates: UpdateRequest[] = [];
  closes = 0;
  async allocate(_id: string, req: AllocateRequest): Promise<AllocateResult> {
    return { webrtc: { ...LOCAL, setup: req.offerer ? 'actpass' : 'active' }, rtp: { address: '127.0.0.1', rtpPort: 40000, rtcpPort: 40001 }, worker: 0 };
  }
  async apply(_id: string, req: ApplyRequest): Promise<WebRtcLocalParams> {
    this.applies.push(req);
    return { ...LOCAL, setup: 'active' };
  }
  async update(_id: string, req: UpdateRequest): Promise<WebRtcLocalParams> {
    this.updates.push(req);
    return { ...LOCAL, setup: 'active' };
  }
  async closeCall(): Promise<void> {
    this.closes++;
  }
}

class FakeDialog extends EventEmitter implements SessionDialog {
  destroyed = 0;
  constructor(public local: { sdp: string }, public remote: { sdp: string }) {
    super();
  }
  async destroy(): Promise<unknown> {
    this.destroyed++;
    return undefined;
  }
  async modify(): Promise<string> {
    return '';
  }
}



/** One INVITE the session sent; the test drives its responses. */
class Uac {
  cancels = 0;
  dialog: FakeDialog | null = null;
  resolve!: (d: SessionDialog) => void;
  reject!: (e: unknown) => void;
  constructor(readonly uri: string, readonly sdp: string, readonly cbProvisional: ((p: ProvisionalResponse) => void) | undefined) {}
  provisional(status: number, body?: string): void {
    this.cbProvisional?.({ status, ...(body ? { body } : {}) });
  }
  answer(sdp = PHONE_ANSWER): void {
    this.dialog = new FakeDialog({ sdp: this.sdp }, { sdp });
    this.resolve(this.dialog);
  }
  fail(status: number): void {
    this.reject(Object.assign(new Error(String(status)), { status }));
  }
}

class FakeSrf implements SessionSrf {
  readonly uacs: Uac[] = [];
  createUAC(uri: string, opts: { localSdp: string }, progress: { cbRequest?: (err: unknown, req: SentInvite) => void; cbProvisional?: (res: ProvisionalResponse) => void }): Promise<SessionDialog> {
    const u = new Uac(uri, opts.localSdp, progress.cbProvisional);
    this.uacs.push(u);
    const p = new Promise<SessionDialog>((res, rej) => {
      u.resolve = res;
      u.reject = rej;
    });
    progress.cbRequest?.(null, { cancel: () => { u.cancels++; } });
    return p;
  }
  async createUAS(_req: AppRequest, res: AppResponse, opts: { localSdp: string }): Promise<SessionDialog> {
    res.send(200, { body: opts.localSdp });
    return new FakeDialog({ sdp: opts.localSdp }, { sdp: '' });
  }
  to(uri: string): Uac {
    const u = this.uacs.find((x) => x.uri === uri);
    if (!u) throw new Error(`no INVITE to ${uri} (sent: ${this.uacs.map((x) => x.uri).join(', ')})`);
    return u;
  }
}

const phoneLeg = (uri: string, member?: string): CalleeLegPlan => ({
  kind: 'sip', profile: BUILTIN_PROFILES.deskphone, uri, media: { transcode: false, codecs: ['PCMU'] }, ...(member ? { member } : {}),
});

function setup(b: CalleeLegPlan[], over: Partial<Extract<CallPlan, { ok: true }>> = {}): { factory: SessionFactory; media: FakeMedia; srf: FakeSrf; req: FakeReq; res: FakeRes; run: Promise<void> } {
  const media = new FakeMedia();
  const srf = new FakeSrf();
  const factory = new SessionFactory({ srf, media, sdpAddress: '127.0.0.1', domain: 'tandem.test' });
  const req = new FakeReq(`fork-${Math.random()}`, BROWSER_OFFER);
  const res = new FakeRes();
  const plan: Extract<CallPlan, { ok: true }> = { ok: true, rule: 't', fork: 'parallel', callerId: { user: 'alice' }, a: { kind: 'webrtc', profile: BUILTIN_PROFILES.browser }, b, ...over };
  const request: CallSessionRequest = { req, res, caller: { kind: 'user', user: 'alice' } as CallSessionRequest['caller'], plan, logger: silentLogger() };
  return { factory, media, srf, req, res, run: factory.create(request) };
}

const flush = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('session: forking (CallSession + BLegFork, fake srf)', () => {
  it('parallel: one INVITE per leg with the same offer; early media from one leg, the 200 from another: media updated to the winner, the early leg CANCELed', async () => {
    const t = setup([phoneLeg('sip:p1'), phoneLeg('sip:p2')]);
    await flush();
    expect(t.srf.uacs.map((u) => u.uri)).to.deep.equal(['sip:p1', 'sip:p2']);
    expect(t.srf.uacs[0]!.sdp).to.equal(t.srf.uacs[1]!.sdp);
    t.srf.to('sip:p2').provisional(180);
    t.srf.to('sip:p1').provisional(180);
    t.srf.to('sip:p1').provisional(183, PHONE_ANSWER);
    await flush();
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180, 183]);
    expect(t.media.applies).to.have.length(1);
    t.srf.to('sip:p2').answer(OTHER_ANSWER);
    await t.run;
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180, 183, 200]);
    expect(t.media.updates).to.have.length(1);
    expect(t.media.updates[0]!.rtp?.remote?.port).to.equal(16500);
    expect(t.srf.to('sip:p1').cancels).to.equal(1);
    expect(t.srf.to('sip:p2').cancels).to.equal(0);
    // p1's 200 crossed the CANCEL: BYE at once, the call stays up
    t.srf.to('sip:p1').answer();
    await flush();
    expect(t.srf.to('sip:p1').dialog!.destroyed).to.equal(1);
    expect(t.factory.active).to.equal(1);
    // BYE from the winner ends the call; media closed once
    t.srf.to('sip:p2').dialog!.emit('destroy');
    await flush();
    expect(t.factory.active).to.equal(0);
    expect(t.media.closes).to.equal(1);
  });

  it('CANCEL from A while three legs ring: every leg CANCELed, no final response from the session, media closed once', async () => {
    const t = setup([phoneLeg('sip:p1'), phoneLeg('sip:p2'), phoneLeg('sip:p3')]);
    await flush();
    for (const u of t.srf.uacs) u.provisional(180);
    t.req.emit('cancel');
    await t.run;
    expect(t.srf.uacs.map((u) => u.cancels)).to.deep.equal([1, 1, 1]);
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([180]);
    for (const u of t.srf.uacs) u.fail(487);
    await flush();
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('all legs fail: A gets the best final response (486 over 480 and 503), media closed once', async () => {
    const t = setup([phoneLeg('sip:p1'), phoneLeg('sip:p2'), phoneLeg('sip:p3')]);
    await flush();
    t.srf.to('sip:p1').fail(480);
    t.srf.to('sip:p3').fail(503);
    await flush();
    expect(t.res.sent).to.have.length(0);
    t.srf.to('sip:p2').fail(486);
    await t.run;
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([486]);
    expect(t.media.closes).to.equal(1);
  });

  it('a 603 from one leg ends the fork (RFC 3261 §16.7 step 5): the other legs get CANCEL, A gets 603, no further wave', async () => {
    const t = setup([phoneLeg('sip:p1'), phoneLeg('sip:p2'), phoneLeg('sip:s1')].map((l, i) => (i === 2 ? { ...l, profile: { ...l.profile, name: 'other' } } : l)));
    await flush();
    expect(t.srf.uacs.map((u) => u.uri)).to.deep.equal(['sip:p1', 'sip:p2']);
    t.srf.to('sip:p1').fail(603);
    await t.run;
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([603]);
    expect(t.srf.to('sip:p2').cancels).to.equal(1);
    expect(t.srf.uacs).to.have.length(2);
  });

  it('sequential group: member waves in order (a member\'s contacts together); a reject moves on, the next member answers', async () => {
    const t = setup([phoneLeg('sip:b1', 'bob'), phoneLeg('sip:b2', 'bob'), phoneLeg('sip:c1', 'carol')], {
      fork: 'sequential', ring: { group: 'g', memberTimeoutMs: 60000, totalTimeoutMs: 0 },
    });
    await flush();
    expect(t.srf.uacs.map((u) => u.uri)).to.deep.equal(['sip:b1', 'sip:b2']);
    t.srf.to('sip:b1').fail(486);
    t.srf.to('sip:b2').fail(480);
    await flush(10);
    expect(t.srf.uacs.map((u) => u.uri)).to.deep.equal(['sip:b1', 'sip:b2', 'sip:c1']);
    t.srf.to('sip:c1').answer();
    await t.run;
    expect(t.res.sent.map((s) => s.status)).to.deep.equal([200]);
    await t.factory.close();
  });

  it('mixed media kinds: only targets of the first target\'s kind are rung', async () => {
    const browserLeg: CalleeLegPlan = { kind: 'webrtc', profile: BUILTIN_PROFILES.browser, uri: 'sip:w', media: { transcode: false, codecs: ['PCMU'] } };
    const t = setup([phoneLeg('sip:p1'), browserLeg, phoneLeg('sip:p2')]);
    await flush();
    expect(t.srf.uacs.map((u) => u.uri)).to.deep.equal(['sip:p1', 'sip:p2']);
    t.srf.to('sip:p1').answer();
    await t.run;
    await t.factory.close();
    expect(t.media.closes).to.equal(1);
  });
});
