// CallSession and RFC 4028: the B leg's INVITE offers `calls.sessionExpiresSeconds`, srf answers
// session refreshes itself, and a dialog ended by the server's session-timer BYE ends the other leg.
// Fake drachtio-srf and media engine (the server side is tested in test/integration/drachtio/session-timers*.test.ts).
import { expect } from 'chai';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import { silentLogger } from '../../../src/common/logger.js';
import type { CallSessionRequest } from '../../../src/app/calls/call-session-factory.js';
import type { CallPlan } from '../../../src/app/calls/plan-call.js';
import { BUILTIN_PROFILES } from '../../../src/app/profiles/peer-profiles.js';
import type { AppRequest, AppResponse, SendOptions } from '../../../src/app/signaling/srf-types.js';
import type { AllocateResult } from '../../../src/media/engine/index.js';
import type { WebRtcLocalParams } from '../../../src/media/webrtc/types.js';
import { SessionFactory, type MediaPort, type SessionDialog, type SessionSrf } from '../../../src/session/index.js';
import { fixturesDir } from '../../helpers/paths.js';

const fx = (c: string, f: string): string => fs.readFileSync(path.join(fixturesDir, 'sdp', c, f), 'utf8').replace(/\r?\n/g, '\r\n');
const BROWSER_OFFER = fx('w2s-offer-chromium-avp', 'input.sdp');
const PHONE_ANSWER = fx('s2w-answer-sipp-pcmu', 'input.sdp');

const LOCAL: WebRtcLocalParams = {
  iceUfrag: 'abcd', icePwd: 'abcdefghijklmnopqrstuvwx', iceLite: false,
  candidates: [{ foundation: '1', component: 1, transport: 'udp', priority: 2130706431, address: '127.0.0.1', port: 40002, type: 'host' }],
  fingerprint: { algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':') },
  setup: 'actpass',
};

class Media implements MediaPort {
  closes = 0;
  async allocate(): Promise<AllocateResult> {
    return { webrtc: { ...LOCAL, setup: 'active' }, rtp: { address: '127.0.0.1', rtpPort: 40000, rtcpPort: 40001 }, worker: 0 };
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

class Dialog extends EventEmitter implements SessionDialog {
  destroyed: Array<Record<string, string> | undefined> = [];
  constructor(public local: { sdp: string }, public remote: { sdp: string }) {
    super();
  }
  async destroy(opts?: { headers?: Record<string, string> }): Promise<unknown> {
    this.destroyed.push(opts?.headers);
    return undefined;
  }
  async modify(): Promise<string> {
    return '';
  }
}

class Res implements AppResponse {
  sent: number[] = [];
  get finalResponseSent(): boolean {
    return this.sent.some((s) => s >= 200);
  }
  send(status: number, _a?: string | SendOptions, _b?: SendOptions): void {
    this.sent.push(status);
  }
}

class Req extends EventEmitter implements AppRequest {
  readonly method = 'INVITE';
  readonly uri = 'sip:x@tandem.test';
  readonly source_address = '127.0.0.1';
  readonly source_port = 5060;
  readonly protocol = 'ws';
  constructor(readonly callId: string, readonly body: string) {
    super();
  }
  get(): string | undefined {
    return undefined;
  }
  has(): boolean {
    return false;
  }
}

class Srf implements SessionSrf {
  uacHeaders: Array<Record<string, string> | undefined> = [];
  uas: Dialog[] = [];
  uac: Dialog[] = [];
  async createUAC(_uri: string, opts: { localSdp: string; headers?: Record<string, string> }): Promise<SessionDialog> {
    this.uacHeaders.push(opts.headers);
    const d = new Dialog({ sdp: opts.localSdp }, { sdp: PHONE_ANSWER });
    this.uac.push(d);
    return d;
  }
  async createUAS(_req: AppRequest, res: AppResponse, opts: { localSdp: string }): Promise<SessionDialog> {
    res.send(200, { body: opts.localSdp });
    const d = new Dialog({ sdp: opts.localSdp }, { sdp: '' });
    this.uas.push(d);
    return d;
  }
}

const plan: Extract<CallPlan, { ok: true }> = {
  ok: true, rule: 'test', fork: 'parallel', callerId: { user: 'alice' },
  a: { kind: 'webrtc', profile: BUILTIN_PROFILES.browser },
  b: [{ kind: 'sip', profile: BUILTIN_PROFILES.deskphone, uri: 'sip:deskphone@127.0.0.1:5062', media: { transcode: false, codecs: ['PCMU'] } }],
};

let seq = 0;
async function browserToPhone(sessionExpiresSeconds?: number): Promise<{ srf: Srf; media: Media; res: Res; factory: SessionFactory }> {
  const srf = new Srf();
  const media = new Media();
  const factory = new SessionFactory({
    srf, media, sdpAddress: '127.0.0.1', domain: 'tandem.test', ...(sessionExpiresSeconds === undefined ? {} : { sessionExpiresSeconds }),
  });
  const res = new Res();
  const request: CallSessionRequest = {
    req: new Req(`st-${++seq}`, BROWSER_OFFER), res, caller: { kind: 'user', user: 'alice' } as CallSessionRequest['caller'], plan, logger: silentLogger(),
  };
  await factory.create(request);
  return { srf, media, res, factory };
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('session: RFC 4028 session timer on the B leg (calls.sessionExpiresSeconds)', () => {
  it('the B-leg INVITE offers Session-Expires with Supported: timer; 0/absent offers none; below 90 is raised to 90', async () => {
    const on = await browserToPhone(1800);
    expect(on.res.sent).to.deep.equal([200]);
    expect(on.srf.uacHeaders[0]).to.include({ 'Session-Expires': '1800', Supported: 'timer' });
    for (const value of [0, undefined]) {
      const off = await browserToPhone(value);
      expect(off.srf.uacHeaders[0]).to.not.have.property('Session-Expires');
      expect(off.srf.uacHeaders[0]).to.not.have.property('Supported');
      await off.factory.close();
    }
    const low = await browserToPhone(30);
    expect(low.srf.uacHeaders[0]?.['Session-Expires']).to.equal('90');
    await on.factory.close();
    await low.factory.close();
  });

  it('listens for drachtio-srf "refresh" on both legs (srf then answers a refresh re-INVITE itself, nothing relayed)', async () => {
    const t = await browserToPhone(1800);
    expect(t.srf.uas[0].listenerCount('refresh')).to.equal(1);
    expect(t.srf.uac[0].listenerCount('refresh')).to.equal(1);
    await t.factory.close();
  });

  it('the server\'s session-timer BYE on the phone leg (destroy "Session timer expired") ends the browser leg, media closed once', async () => {
    const t = await browserToPhone(1800);
    t.srf.uac[0].emit('destroy', {}, 'Session timer expired');
    await flush();
    expect(t.srf.uas[0].destroyed).to.have.length(1);
    expect(t.srf.uac[0].destroyed).to.have.length(0);
    expect(t.media.closes).to.equal(1);
    expect(t.factory.active).to.equal(0);
  });
});
