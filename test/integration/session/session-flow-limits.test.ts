// SessionFactory/CallSession with a fake drachtio-srf, a counting fake engine and a fake
// FlowMonitor: a leg's connection closing ends the call (RFC 7118 §5), and
// calls.maxDurationSeconds ends an answered call. Each path closes the engine call once.
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../../src/common/logger.js';
import type { CallSessionRequest } from '../../../src/app/calls/call-session-factory.js';
import type { CallPlan } from '../../../src/app/calls/plan-call.js';
import { BUILTIN_PROFILES } from '../../../src/app/profiles/peer-profiles.js';
import type { FlowId, FlowMonitor } from '../../../src/app/signaling/flow.js';
import type { AppRequest, AppResponse, SendOptions } from '../../../src/app/signaling/srf-types.js';
import type { AllocateRequest, AllocateResult } from '../../../src/media/engine/index.js';
import type { WebRtcLocalParams } from '../../../src/media/webrtc/types.js';
import { SessionFactory, type MediaPort, type SessionDialog, type SessionSrf, type SentInvite, type ProvisionalResponse } from '../../../src/session/index.js';
import { fixturesDir } from '../../helpers/paths.js';
import { FakeReq } from './session-fakes.js';

const fx = (c: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, 'input.sdp'), 'utf8').replace(/\r?\n/g, '\r\n');
const BROWSER_OFFER = fx('w2s-offer-chromium-avp');
const PHONE_ANSWER = fx('s2w-answer-sipp-pcmu');
const PHONE_OFFER = fx('s2w-offer-sipp-uac');
const BROWSER_ANSWER = fx('w2s-answer-sipp-pcmu');

const LOCAL: WebRtcLocalParams = {
  iceUfrag: 'abcd', icePwd: 'abcdefghijklmnopqrstuvwx', iceLite: false,
  candidates: [{ foundation: '1', component: 1, transport: 'udp', priority: 2130706431, address: '127.0.0.1', port: 40002, type: 'host' }],
  fingerprint: { algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':') },
  setup: 'actpass',
};

class FakeMedia implements MediaPort {
  closes = 0;
  async allocate(_id: string, req: AllocateRequest): Promise<AllocateResult> {
    return { webrtc: { ...LOCAL, setup: req.offerer ? 'actpass' : 'active' }, rtp: { address: '127.0.0.1', rtpPort: 40000, rtcpPort: 40001 }, worker: 0 };
  }
  async apply(): Promise<WebRtcLocalParams> {
    return { ...LOCAL, setup: 'active' };
  }
  async update(): Promise<WebRtcLocalParams> {
    return { ...LOCAL, setup: 'active' };
  }
  async closeCall(): Promise<void> {
    this.closes++;
  }
}

class FakeDialog extends EventEmitter implements SessionDialog {
  reasons: string[] = [];
  constructor(public local: { sdp: string }, public remote: { sdp: string }) {
    super();
  }
  async destroy(opts?: { headers?: Record<string, string> }): Promise<unknown> {
    this.reasons.push(opts?.headers?.['Reason'] ?? '');
    return undefined;
  }
  async modify(): Promise<string> {
    return '';
  }
}

class FakeRes implements AppResponse {
  sent: number[] = [];
  get finalResponseSent(): boolean {
    return this.sent.some((s) => s >= 200);
  }
  send(status: number, _a?: string | SendOptions, _b?: SendOptions): void {
    this.sent.push(status);
  }
}


type Progress = { cbRequest?: (err: unknown, req: SentInvite) => void; cbProvisional?: (res: ProvisionalResponse) => void };

class FakeSrf implements SessionSrf {
  uac: (p: Progress) => Promise<SessionDialog> = async () => new FakeDialog({ sdp: '' }, { sdp: PHONE_ANSWER });
  uas: FakeDialog[] = [];
  uacDialogs: FakeDialog[] = [];
  async createUAC(_uri: string, _opts: { localSdp: string }, progress: Progress): Promise<SessionDialog> {
    const d = await this.uac(progress);
    this.uacDialogs.push(d as FakeDialog);
    return d;
  }
  async createUAS(_req: AppRequest, res: AppResponse, opts: { localSdp: string }): Promise<SessionDialog> {
    res.send(200, { body: opts.localSdp });
    const d = new FakeDialog({ sdp: opts.localSdp }, { sdp: '' });
    this.uas.push(d);
    return d;
  }
}

class FakeFlows implements FlowMonitor {
  readonly listeners = new Set<(f: FlowId) => void>();
  onFlowClosed(l: (f: FlowId) => void): () => void {
    this.listeners.add(l);
    return () => this.listeners.delete(l);
  }
  close(flow: FlowId): void {
    for (const l of this.listeners) l(flow);
  }
}

function plan(a: 'webrtc' | 'sip', bFlow?: string): Extract<CallPlan, { ok: true }> {
  const b = a === 'webrtc' ? 'sip' : 'webrtc';
  return {
    ok: true, rule: 'test', fork: 'parallel', callerId: { user: 'alice' },
    a: { kind: a, profile: a === 'webrtc' ? BUILTIN_PROFILES.browser : BUILTIN_PROFILES.deskphone },
    b: [{
      kind: b, profile: b === 'webrtc' ? BUILTIN_PROFILES.browser : BUILTIN_PROFILES.deskphone, uri: 'sip:x@127.0.0.1:5062',
      media: { transcode: false, codecs: ['PCMU'] }, ...(bFlow ? { flowId: bFlow } : {}),
    }],
  };
}

let seq = 0;
function setup(a: 'webrtc' | 'sip', opts: { maxDurationMs?: number; bFlow?: string } = {}) {
  const media = new FakeMedia();
  const srf = new FakeSrf();
  const flows = new FakeFlows();
  const factory = new SessionFactory({ srf, media, sdpAddress: '127.0.0.1', domain: 'tandem.test', flows, ...(opts.maxDurationMs ? { maxDurationMs: opts.maxDurationMs } : {}) });
  const req = a === 'webrtc' ? new FakeReq(`c${++seq}`, BROWSER_OFFER, 'ws', '10.0.0.7', 50123) : new FakeReq(`c${++seq}`, PHONE_OFFER, 'udp', '10.0.0.9', 5060);
  const res = new FakeRes();
  const request: CallSessionRequest = { req, res, caller: { kind: 'user', user: 'alice' } as CallSessionRequest['caller'], plan: plan(a, opts.bFlow), logger: silentLogger() };
  return { factory, media, srf, flows, req, res, request };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('session: connection close and maximum duration end calls (fake srf, fake flow monitor)', () => {
  it('the browser A leg\'s WebSocket closes mid-call: BYE on the phone leg (Reason), A dialog released, media closed once; other flows change nothing', async () => {
    const t = setup('webrtc');
    await t.factory.create(t.request);
    expect(t.factory.active).to.equal(1);
    t.flows.close('ws:10.0.0.7:50124');
    t.flows.close('tcp:10.0.0.7:50123');
    await sleep(5);
    expect(t.srf.uacDialogs[0].reasons).to.have.length(0);
    t.flows.close('ws:10.0.0.7:50123');
    t.flows.close('ws:10.0.0.7:50123');
    await sleep(5);
    expect(t.srf.uacDialogs[0].reasons).to.have.length(1);
    expect(t.srf.uacDialogs[0].reasons[0]).to.match(/WebSocket connection closed/);
    expect(t.srf.uas[0].reasons).to.have.length(1);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
    await t.factory.close();
  });

  it('the browser A leg\'s WebSocket closes while the phone rings: the phone INVITE is CANCELed, no final response from the session, media closed once', async () => {
    const t = setup('webrtc');
    let canceled = 0;
    let fail: (e: unknown) => void = () => undefined;
    t.srf.uac = (p) => new Promise((_resolve, reject) => {
      fail = reject;
      p.cbRequest?.(null, { cancel: () => { canceled++; fail({ status: 487 }); } });
    });
    const done = t.factory.create(t.request);
    await sleep(5);
    t.flows.close('ws:10.0.0.7:50123');
    await done;
    expect(canceled).to.equal(1);
    expect(t.res.sent).to.deep.equal([]);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('phone → browser: the browser B leg\'s registered flow closes → BYE to the phone', async () => {
    const t = setup('sip', { bFlow: 'ws:10.0.0.8:41000' });
    t.srf.uac = async () => new FakeDialog({ sdp: '' }, { sdp: BROWSER_ANSWER });
    await t.factory.create(t.request);
    expect(t.res.sent).to.deep.equal([200]);
    t.flows.close('ws:10.0.0.8:41000');
    await sleep(5);
    expect(t.srf.uas[0].reasons).to.deep.equal(['Q.850;cause=41;text="WebSocket connection closed"']);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });

  it('maxDurationMs ends an answered call with BYE on both legs; a call ended earlier leaves no timer behind', async () => {
    const t = setup('webrtc', { maxDurationMs: 60 });
    await t.factory.create(t.request);
    await sleep(20);
    expect(t.srf.uacDialogs[0].reasons).to.have.length(0);
    await sleep(80);
    expect(t.srf.uacDialogs[0].reasons[0]).to.match(/Maximum call duration/);
    expect(t.srf.uas[0].reasons[0]).to.match(/Maximum call duration/);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);

    const u = setup('webrtc', { maxDurationMs: 60 });
    await u.factory.create(u.request);
    u.srf.uas[0].emit('destroy');
    await sleep(100);
    expect(u.srf.uacDialogs[0].reasons).to.have.length(1);
    expect(u.srf.uacDialogs[0].reasons[0]).to.match(/Normal call clearing/);
    expect(u.media.closes).to.equal(1);
  });
});
