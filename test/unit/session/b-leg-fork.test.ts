import { expect } from 'chai';
import type { CalleeLegPlan } from '../../../src/app/calls/plan-call.js';
import { BUILTIN_PROFILES, type PeerProfile } from '../../../src/app/profiles/peer-profiles.js';
import { silentLogger } from '../../../src/common/logger.js';
import { BLegFork, BLegForkError, planRinging, selectFinalResponse, type ForkClock } from '../../../src/session/b-leg-fork.js';
import type { ProvisionalResponse, SentInvite, SessionDialog, SessionSrf } from '../../../src/session/srf-types.js';
import { ManualClock } from '../../helpers/manual-clock.js';

const media = { transcode: false as const, codecs: ['PCMU'] };
const leg = (uri: string, over: Partial<CalleeLegPlan> = {}): CalleeLegPlan => ({ kind: 'sip', profile: BUILTIN_PROFILES.deskphone, uri, media, ...over });
const browserLeg = (uri: string): CalleeLegPlan => leg(uri, { kind: 'webrtc', profile: BUILTIN_PROFILES.browser });
const other: PeerProfile = { ...BUILTIN_PROFILES.deskphone, name: 'srtpphone', media: 'sdes' };

/** A fork clock on the test's manual clock. */
function forkClock(c: ManualClock): ForkClock {
  return { now: () => c.now(), setTimeout: (fn, ms) => c.setTimer(fn, ms, false), clearTimeout: (h) => c.clearTimer(h as ReturnType<ManualClock['setTimer']>) };
}

/** One INVITE the fake srf sent: the test answers it. */
class FakeUac {
  cancels: string[] = [];
  destroyed: string[] = [];
  private resolve!: (d: SessionDialog) => void;
  private reject!: (e: unknown) => void;
  readonly promise: Promise<SessionDialog>;
  cbProvisional: ((p: ProvisionalResponse) => void) | undefined;

  constructor(readonly uri: string, readonly sdp: string) {
    this.promise = new Promise((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
  }

  provisional(status: number, body?: string): void {
    this.cbProvisional?.({ status, ...(body !== undefined ? { body } : {}) });
  }

  answer(): void {
    const destroyed = this.destroyed;
    const dialog = {
      local: { sdp: this.sdp }, remote: { sdp: `answer of ${this.uri}` },
      on: () => dialog,
      destroy: (o?: { headers?: Record<string, string> }) => {
        destroyed.push(o?.headers?.['Reason'] ?? '');
        return Promise.resolve();
      },
      modify: () => Promise.resolve(''),
    } as SessionDialog;
    this.resolve(dialog);
  }

  fail(status: number | undefined): void {
    this.reject(status === undefined ? new Error('no route') : Object.assign(new Error(`${status}`), { status }));
  }
}

class FakeSrf implements SessionSrf {
  readonly uacs: FakeUac[] = [];
  createUAC(uri: string, opts: { localSdp: string }, progress: { cbRequest?: (err: unknown, req: SentInvite) => void; cbProvisional?: (res: ProvisionalResponse) => void }): Promise<SessionDialog> {
    const u = new FakeUac(uri, opts.localSdp);
    u.cbProvisional = progress.cbProvisional;
    this.uacs.push(u);
    progress.cbRequest?.(null, { cancel: (o) => u.cancels.push(o?.headers?.['Reason'] ?? '') });
    return u.promise;
  }

  createUAS(): Promise<SessionDialog> {
    return Promise.reject(new Error('not used'));
  }

  uac(uri: string): FakeUac {
    const u = this.uacs.find((x) => x.uri === uri);
    if (!u) throw new Error(`no INVITE to ${uri}`);
    return u;
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const uacOpts = (l: CalleeLegPlan): { localSdp: string } => ({ localSdp: `offer for ${l.uri}` });

describe('session: selectFinalResponse (RFC 3261 §16.7 step 6)', () => {
  it('a 6xx wins over everything; the first 6xx', () => {
    expect(selectFinalResponse([486, 603, 404, 600])).to.equal(603);
  });
  it('486 Busy Here beats other 4xx; other 4xx beat no-answer kinds', () => {
    expect(selectFinalResponse([480, 404, 486, 503])).to.equal(486);
    expect(selectFinalResponse([480, 488, 404])).to.equal(488);
  });
  it('no-answer kinds (480, 408, 487 of self-canceled legs) become 480; 4xx beat 5xx', () => {
    expect(selectFinalResponse([487, 408])).to.equal(480);
    expect(selectFinalResponse([503, 487])).to.equal(480);
  });
  it('5xx when there is no 4xx/6xx; no response counts as 503; 3xx last; empty → undefined', () => {
    expect(selectFinalResponse([302, 502, 503])).to.equal(502);
    expect(selectFinalResponse([undefined])).to.equal(503);
    expect(selectFinalResponse([302])).to.equal(302);
    expect(selectFinalResponse([])).to.equal(undefined);
  });
});

describe('session: planRinging', () => {
  it('parallel: one wave per profile, only the first leg\'s media kind; the rest skipped', () => {
    const b = [leg('sip:a'), browserLeg('sip:w'), leg('sip:b'), leg('sip:s', { profile: other })];
    const r = planRinging({ b, fork: 'parallel' });
    expect(r.waves.map((w) => w.legs.map((l) => l.uri))).to.deep.equal([['sip:a', 'sip:b'], ['sip:s']]);
    expect(r.waves.map((w) => w.timeoutMs)).to.deep.equal([0, 0]);
    expect(r.skipped.map((l) => l.uri)).to.deep.equal(['sip:w']);
    expect(r.policy).to.equal('hunt');
    expect(r.totalTimeoutMs).to.equal(0);
  });
  it('sequential group: one wave per member (its contacts together) with the member timeout; overall timeout kept', () => {
    const b = [leg('sip:b1', { member: 'bob' }), leg('sip:b2', { member: 'bob' }), leg('sip:c1', { member: 'carol' })];
    const r = planRinging({ b, fork: 'sequential', ring: { group: 'g', memberTimeoutMs: 5000, totalTimeoutMs: 30000 } });
    expect(r.waves.map((w) => [w.legs.map((l) => l.uri), w.timeoutMs])).to.deep.equal([[['sip:b1', 'sip:b2'], 5000], [['sip:c1'], 5000]]);
    expect(r).to.deep.include({ totalTimeoutMs: 30000, policy: 'hunt' });
  });
  it('sequential without a group (trunk failover): one leg per wave, failover policy', () => {
    const r = planRinging({ b: [leg('sip:t1'), leg('sip:t2')], fork: 'sequential' });
    expect(r.waves.map((w) => w.legs.length)).to.deep.equal([1, 1]);
    expect(r.policy).to.equal('failover');
  });
});

describe('session: BLegFork', () => {
  let clock: ManualClock;
  let srf: FakeSrf;
  beforeEach(() => {
    clock = new ManualClock();
    srf = new FakeSrf();
  });
  const fork = (o: { totalTimeoutMs?: number; policy?: 'hunt' | 'failover' } = {}): BLegFork =>
    new BLegFork({ srf, logger: silentLogger(), clock: forkClock(clock), ...o });

  it('sends one INVITE per leg at once; the first 2xx wins, the others get CANCEL (Reason: completed elsewhere); a late 2xx gets BYE', async () => {
    const f = fork();
    const p = f.ring([leg('sip:a'), leg('sip:b'), leg('sip:c')], uacOpts, () => undefined);
    expect(srf.uacs.map((u) => [u.uri, u.sdp])).to.deep.equal([['sip:a', 'offer for sip:a'], ['sip:b', 'offer for sip:b'], ['sip:c', 'offer for sip:c']]);
    srf.uac('sip:b').answer();
    const won = await p;
    expect(won.leg.uri).to.equal('sip:b');
    expect(srf.uac('sip:a').cancels).to.deep.equal(['SIP;cause=200;text="Call completed elsewhere"']);
    expect(srf.uac('sip:c').cancels).to.have.length(1);
    expect(srf.uac('sip:b').cancels).to.have.length(0);
    srf.uac('sip:c').answer(); // 200 crossed the CANCEL
    await tick();
    expect(srf.uac('sip:c').destroyed).to.have.length(1);
    srf.uac('sip:a').fail(487);
    await tick();
    expect(f.finals).to.deep.equal([]);
    expect(clock.pending).to.equal(0);
  });

  it('relays the first bare 18x and every 18x with a body; drops 100 and provisionals after the answer', async () => {
    const f = fork();
    const seen: string[] = [];
    const p = f.ring([leg('sip:a'), leg('sip:b')], uacOpts, (l, pr) => seen.push(`${l.uri} ${pr.status}${pr.body ? ' sdp' : ''}`));
    srf.uac('sip:a').provisional(100);
    srf.uac('sip:a').provisional(180);
    srf.uac('sip:b').provisional(180);
    srf.uac('sip:b').provisional(183, 'v=0');
    srf.uac('sip:a').provisional(183, 'v=0');
    srf.uac('sip:a').answer();
    await p;
    srf.uac('sip:b').provisional(183, 'v=0');
    expect(seen).to.deep.equal(['sip:a 180', 'sip:b 183 sdp', 'sip:a 183 sdp']);
  });

  it('all legs fail: rejects with the best final response (486 over 480)', async () => {
    const f = fork();
    const p = f.ring([leg('sip:a'), leg('sip:b')], uacOpts, () => undefined);
    srf.uac('sip:a').fail(480);
    await tick();
    srf.uac('sip:b').fail(486);
    const err = await p.then(() => null, (e: unknown) => e);
    expect(err).to.be.instanceOf(BLegForkError);
    expect((err as BLegForkError).status).to.equal(486);
    expect((err as BLegForkError).code).to.equal('ERR_FORK_FAILED');
    expect(f.canTryNext(err)).to.equal(true);
  });

  it('a 6xx ends the fork at once: the other pending legs get CANCEL (Reason 603), no further wave', async () => {
    const f = fork();
    const p = f.ring([leg('sip:a'), leg('sip:b')], uacOpts, () => undefined);
    srf.uac('sip:a').fail(603);
    const err = await p.then(() => null, (e: unknown) => e) as BLegForkError;
    expect(err.status).to.equal(603);
    expect(srf.uac('sip:b').cancels).to.deep.equal(['SIP;cause=603;text="Declined"']);
    expect(f.canTryNext(err)).to.equal(false);
  });

  it('cancel() (CANCEL from the caller) cancels every pending leg at once, rejects 487, and refuses further waves', async () => {
    const f = fork();
    const p = f.ring([leg('sip:a'), leg('sip:b')], uacOpts, () => undefined);
    f.cancel();
    const err = await p.then(() => null, (e: unknown) => e) as BLegForkError;
    expect(err.status).to.equal(487);
    expect(srf.uacs.map((u) => u.cancels)).to.deep.equal([['SIP;cause=487;text="Request Terminated"'], ['SIP;cause=487;text="Request Terminated"']]);
    expect(f.canTryNext(err)).to.equal(false);
    const again = await f.ring([leg('sip:c')], uacOpts, () => undefined).then(() => null, (e: unknown) => e) as BLegForkError;
    expect(again.code).to.equal('ERR_FORK_CANCELED');
    expect(srf.uacs).to.have.length(2);
  });

  it('a CANCEL wanted before the request was sent goes out when cbRequest reports it', async () => {
    let report: ((err: unknown, req: SentInvite) => void) | undefined;
    const cancels: string[] = [];
    const lateSrf: SessionSrf = {
      createUAC: (_u, _o, progress) => {
        report = progress.cbRequest;
        return new Promise<SessionDialog>(() => undefined);
      },
      createUAS: () => Promise.reject(new Error('not used')),
    };
    const f = new BLegFork({ srf: lateSrf, logger: silentLogger(), clock: forkClock(clock) });
    const p = f.ring([leg('sip:a')], uacOpts, () => undefined).catch(() => undefined);
    f.cancel();
    expect(cancels).to.have.length(0);
    report!(null, { cancel: (o) => cancels.push(o?.headers?.['Reason'] ?? '') });
    expect(cancels).to.have.length(1);
    await p;
  });

  it('a wave timeout cancels its pending legs and lets the next wave ring; a 6xx stops the hunt', async () => {
    const f = fork();
    const p1 = f.ring([leg('sip:a')], uacOpts, () => undefined, { timeoutMs: 5000 });
    clock.advance(4999);
    expect(srf.uac('sip:a').cancels).to.have.length(0);
    clock.advance(1);
    const e1 = await p1.then(() => null, (e: unknown) => e) as BLegForkError;
    expect(e1.code).to.equal('ERR_FORK_NO_ANSWER');
    expect(srf.uac('sip:a').cancels).to.deep.equal(['SIP;cause=480;text="No answer"']);
    expect(f.canTryNext(e1)).to.equal(true);
    const p2 = f.ring([leg('sip:b')], uacOpts, () => undefined, { timeoutMs: 5000 });
    srf.uac('sip:b').fail(603);
    const e2 = await p2.then(() => null, (e: unknown) => e) as BLegForkError;
    expect(f.canTryNext(e2)).to.equal(false);
    expect((f.finalError(e2) as BLegForkError).status).to.equal(603);
    expect(clock.pending).to.equal(0);
  });

  it('the overall timeout spans the waves: expiry cancels, stops the hunt and the caller gets 480', async () => {
    const f = fork({ totalTimeoutMs: 8000 });
    const p1 = f.ring([leg('sip:a')], uacOpts, () => undefined, { timeoutMs: 5000 });
    clock.advance(5000);
    const e1 = await p1.then(() => null, (e: unknown) => e);
    expect(f.canTryNext(e1)).to.equal(true);
    const p2 = f.ring([leg('sip:b')], uacOpts, () => undefined, { timeoutMs: 5000 });
    clock.advance(3000);
    const e2 = await p2.then(() => null, (e: unknown) => e) as BLegForkError;
    expect(e2.code).to.equal('ERR_FORK_TIMEOUT');
    expect(srf.uac('sip:b').cancels).to.have.length(1);
    expect(f.canTryNext(e2)).to.equal(false);
    expect((f.finalError(e2) as BLegForkError).status).to.equal(480);
    expect(clock.pending).to.equal(0);
  });

  it('failover policy (trunks): next address after 503 or no response, not after 404; the final status is the best of all', async () => {
    const f = fork({ policy: 'failover' });
    const p1 = f.ring([leg('sip:t1')], uacOpts, () => undefined);
    srf.uac('sip:t1').fail(503);
    const e1 = await p1.then(() => null, (e: unknown) => e);
    expect(f.canTryNext(e1)).to.equal(true);
    const p2 = f.ring([leg('sip:t2')], uacOpts, () => undefined);
    srf.uac('sip:t2').fail(undefined);
    const e2 = await p2.then(() => null, (e: unknown) => e);
    expect(f.canTryNext(e2)).to.equal(true);
    const p3 = f.ring([leg('sip:t3')], uacOpts, () => undefined);
    srf.uac('sip:t3').fail(404);
    const e3 = await p3.then(() => null, (e: unknown) => e);
    expect(f.canTryNext(e3)).to.equal(false);
    expect((f.finalError(e3) as BLegForkError).status).to.equal(404);
  });
});
