/**
 * RFC 4028 session timers on Tandem's embedded drachtio server, with unmodified drachtio-srf
 * apps and real SIPp peers on loopback. The session timers run on a stepped clock (SIP
 * transactions on real time), so 45–60 s of session time pass in milliseconds.
 */
import { expect } from 'chai';
import path from 'node:path';
import type Srf from 'drachtio-srf';
import { DrachtioServer } from '../../../src/drachtio/drachtio-server.js';
import type { AppDialog } from '../../../src/drachtio/dialog-store.js';
import { SipStackCore } from '../../../src/drachtio/sip-stack-core.js';
import { ManualClock } from '../../../src/sip/manual-clock.js';
import { fixturesDir } from '../../helpers/paths.js';
import { asApp } from './srf-types.js';
import { connectSrf, freePort, runSipp, SDP, SECRET, sleep, waitFor, type Rig, type SippResult } from './harness.js';

interface SrfDialog {
  on(ev: 'destroy', fn: (msg: unknown, reason?: string) => void): void;
  destroy(): Promise<void>;
}

describe('RFC 4028 session timers through the embedded drachtio server (SIPp)', function () {
  this.timeout(30000);
  let rig: Rig;
  let clock: ManualClock;
  const srfs: Srf[] = [];
  const fx = (name: string): string => path.join(fixturesDir, 'sipp', 'session-timers', name);

  beforeEach(async () => {
    clock = new ManualClock(Date.now());
    const sipPort = await freePort();
    const core = SipStackCore.create({ listen: [`udp:127.0.0.1:${sipPort}`] });
    await core.start();
    const server = new DrachtioServer({ port: 0, secret: SECRET, sipStack: core, sessionTimers: { clock } });
    await server.start();
    rig = {
      core, server, sipPort, drachtioPort: server.address().port,
      async close() {
        await server.close();
        await core.close();
      },
    };
  });
  afterEach(async () => {
    for (const s of srfs.splice(0)) s.disconnect();
    await rig.close();
    expect(clock.pending, 'session timers left running').to.equal(0);
  });

  const sipp = (scenario: string, extra: string[]): { done: Promise<SippResult> } => runSipp(['-sf', fx(scenario), ...extra,
    '-m', '1', '-timeout', '15s', '-timeout_error']);
  const callSipp = async (scenario: string): Promise<{ done: Promise<SippResult> }> => sipp(scenario, [`127.0.0.1:${rig.sipPort}`,
    '-s', 'svc', '-p', String(await freePort()), '-mp', String(await freePort())]);
  const ok = (r: SippResult, who: string): void => {
    expect(r.code, `${who}: ${r.stdout.slice(-2500)}${r.stderr}`).to.equal(0);
  };
  const dialogs = (): AppDialog[] => rig.server.sip.dialogs.all();
  /** The running timer of the only dialog of `role`, once armed. */
  const armed = async (role: 'uac' | 'uas', after?: unknown): Promise<NonNullable<AppDialog['sessionTimer']>> => {
    let t: AppDialog['sessionTimer'];
    await waitFor(() => {
      t = dialogs().find((d) => d.role === role)?.sessionTimer;
      return t !== undefined && t !== after && t.handle !== undefined;
    }, `session timer of the ${role} dialog`);
    return t!;
  };

  /** A UAS app answering with {@link SDP}; records destroy reasons. */
  async function uasApp(invites: string[], destroyed: string[]): Promise<void> {
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req, res) => {
      invites.push(req.get('Session-Expires') ?? '');
      void srf.createUAS(req as never, res as never, { localSdp: SDP }).then((d) => {
        (d as unknown as SrfDialog).on('destroy', (_m, reason) => destroyed.push(reason ?? ''));
      });
    }), ['invite']));
  }

  it('(a) caller asks refresher=uas: Tandem answers Session-Expires 90;refresher=uas and re-INVITEs at 45 s, twice', async () => {
    const invites: string[] = [];
    const destroyed: string[] = [];
    await uasApp(invites, destroyed);
    const a = await callSipp('uac_refresher_uas.xml');
    const t1 = await armed('uas');
    expect(t1).to.include({ intervalSeconds: 90, weRefresh: true, minSE: 90 });
    clock.advance(44_900);
    await sleep(200);
    expect(dialogs()[0].sessionTimer, 'no refresh before half the interval').to.equal(t1);
    clock.advance(100);
    // SIPp answers the refresh with refresher=uac: Tandem keeps refreshing
    const t2 = await armed('uas', t1);
    expect(t2).to.include({ intervalSeconds: 90, weRefresh: true });
    clock.advance(45_000);
    const r = await a.done;
    ok(r, 'caller');
    await waitFor(() => destroyed.length === 1, 'destroy after the caller\'s BYE');
    expect(destroyed).to.deep.equal(['normal release']);
    expect(invites).to.deep.equal(['90;refresher=uas']);
    expect(rig.server.sip.stats().dialogs).to.equal(0);
  });

  it('(b) caller is the refresher, refreshes once by UPDATE, then goes silent: BYE at 60 s, app notified, B2BUA ends the other leg', async () => {
    const events: string[] = [];
    const bPort = await freePort();
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req, res) => {
      srf.createB2BUA(req as never, res as never, `sip:b@127.0.0.1:${bPort}`, {
        localSdpB: req.body, headers: { 'Session-Expires': '1800', Supported: 'timer' },
      } as never).then(({ uas, uac }) => {
        events.push('connected');
        (uas as unknown as SrfDialog).on('destroy', (_m, reason) => { events.push(`a-destroy:${reason ?? ''}`); void uac.destroy(); });
        (uac as unknown as SrfDialog).on('destroy', () => { events.push('b-destroy'); void uas.destroy(); });
      }).catch((err: { status?: number }) => { events.push(`failed:${err.status ?? String(err)}`); });
    }), ['invite']));
    const b = sipp('uas_timer_wait_bye.xml', ['-p', String(bPort), '-mp', String(await freePort())]);
    await sleep(300);
    const a = await callSipp('uac_refresher_uac_silent.xml');
    const ta = await armed('uas');
    expect(ta).to.include({ intervalSeconds: 90, weRefresh: false });
    // UAC side: the callee's 200 (1800;refresher=uac) makes Tandem the B leg's refresher
    expect(await armed('uac')).to.include({ intervalSeconds: 1800, weRefresh: true });
    clock.advance(50_000); // the caller's UPDATE comes ~1.5 s (real time) after its ACK
    const ta2 = await armed('uas', ta);
    expect(ta2).to.include({ intervalSeconds: 90, weRefresh: false });
    clock.advance(59_999);
    await sleep(200);
    expect(events, 'no BYE before interval − 30 s').to.deep.equal(['connected']);
    clock.advance(1);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    ok(ra, 'caller');
    ok(rb, 'callee');
    await waitFor(() => events.length >= 2, 'destroy events');
    expect(events.slice(0, 2)).to.deep.equal(['connected', 'a-destroy:Session timer expired']);
    await waitFor(() => rig.server.sip.stats().dialogs === 0, 'dialogs cleared');
  });

  it('(c) Session-Expires below Min-SE gets 422 with Min-SE: 90; the retry with 90 is answered', async () => {
    const invites: string[] = [];
    const destroyed: string[] = [];
    await uasApp(invites, destroyed);
    const a = await callSipp('uac_se_too_small.xml');
    ok(await a.done, 'caller');
    // the app never saw the refused INVITE
    expect(invites).to.deep.equal(['90']);
    await waitFor(() => destroyed.length === 1, 'destroy after BYE');
    expect(rig.server.sip.stats().dialogs).to.equal(0);
  });

  it('(d) UAC app offers Session-Expires 90: refreshes at 45 s, then the callee takes over and goes silent: BYE, app notified', async () => {
    const srf = await connectSrf(rig, () => undefined, []);
    srfs.push(srf);
    const bPort = await freePort();
    const b = sipp('uas_refresh_then_silent.xml', ['-p', String(bPort), '-mp', String(await freePort())]);
    await sleep(300);
    const uac = await srf.createUAC(`sip:b@127.0.0.1:${bPort}`, {
      localSdp: SDP, headers: { 'Session-Expires': '90', Supported: 'timer' },
    } as never) as unknown as SrfDialog;
    const reasons: string[] = [];
    uac.on('destroy', (_m, reason) => reasons.push(reason ?? ''));
    const t1 = await armed('uac');
    expect(t1).to.include({ intervalSeconds: 90, weRefresh: true });
    // srf ACKs the 200 on its own; a refresh before that ACK would be deferred (RFC 3261 §14.1)
    await waitFor(() => dialogs()[0]?.ackSeq === undefined, 'the app\'s ACK');
    clock.advance(45_000);
    const t2 = await armed('uac', t1);
    expect(t2).to.include({ intervalSeconds: 90, weRefresh: false });
    clock.advance(59_999);
    await sleep(200);
    expect(reasons).to.deep.equal([]);
    clock.advance(1);
    ok(await b.done, 'callee');
    await waitFor(() => reasons.length === 1, 'destroy');
    expect(reasons).to.deep.equal(['Session timer expired']);
    expect(rig.server.sip.stats().dialogs).to.equal(0);
  });
});
