/**
 * Unmodified drachtio-srf apps on Tandem's embedded drachtio server and SIP stack,
 * driven by real SIPp over UDP and TCP on loopback.
 */
import { expect } from 'chai';
import path from 'node:path';
import { fixturesDir } from '../../helpers/paths.js';
import type Srf from 'drachtio-srf';
import { asApp } from './srf-types.js';
import { connectSrf, freePort, runSipp, SDP, sleep, startRig, waitFor, type Rig } from './harness.js';

describe('drachtio-srf on Tandem, driven by SIPp', function () {
  this.timeout(40000);
  let rig: Rig;
  const srfs: Srf[] = [];
  const fx = (name: string): string => path.join(fixturesDir, 'sipp', 'drachtio', name);

  beforeEach(async () => {
    rig = await startRig();
  });
  afterEach(async () => {
    for (const s of srfs.splice(0)) s.disconnect();
    await rig.close();
  });

  for (const transport of ['u1', 't1'] as const) {
    it(`UAS app answers SIPp -sn uac calls (${transport === 'u1' ? 'UDP' : 'TCP'}); SIPp hangs up with BYE`, async () => {
      let destroyed = 0;
      let answered = 0;
      srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req, res) => {
        void srf.createUAS(req as never, res as never, { localSdp: SDP }).then((uas) => {
          answered++;
          uas.on('destroy', () => { destroyed++; });
        });
      }), ['invite']));
      const sippPort = await freePort();
      const mp = await freePort();
      const { done } = runSipp(['-sn', 'uac', `127.0.0.1:${rig.sipPort}`, '-t', transport, '-p', String(sippPort),
        '-mp', String(mp), '-m', '2', '-l', '1', '-d', '200', '-timeout', '15s', '-timeout_error']);
      const r = await done;
      expect(r.code, r.stdout.slice(-2000) + r.stderr).to.equal(0);
      expect(answered).to.equal(2);
      await waitFor(() => destroyed === 2, 'two destroy events');
      expect(rig.server.sip.stats().dialogs).to.equal(0);
    });
  }

  for (const transport of ['u1', 't1'] as const) {
    it(`UAC app calls SIPp -sn uas with createUAC (${transport === 'u1' ? 'UDP' : 'TCP'}), then destroy() sends BYE`, async () => {
      const srf = await connectSrf(rig, () => undefined, []);
      srfs.push(srf);
      const sippPort = await freePort();
      const mp = await freePort();
      const { done } = runSipp(['-sn', 'uas', '-t', transport, '-p', String(sippPort), '-mp', String(mp), '-m', '1',
        '-timeout', '15s', '-timeout_error']);
      await sleep(300);
      const tp = transport === 't1' ? ';transport=tcp' : '';
      const uac = await srf.createUAC(`sip:service@127.0.0.1:${sippPort}${tp}`, { localSdp: SDP });
      expect(uac.remote.sdp).to.match(/^v=0/);
      expect(uac.sip.remoteTag).to.be.a('string').and.not.equal('');
      await uac.destroy();
      const r = await done;
      expect(r.code, r.stdout.slice(-2000) + r.stderr).to.equal(0);
      expect(rig.server.sip.stats().dialogs).to.equal(0);
    });
  }

  /** An srf B2BUA to `target`, linking hang-ups both ways. */
  async function b2bApp(target: () => string, events: string[]): Promise<void> {
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req, res) => {
      srf.createB2BUA(req as never, res as never, target(), { localSdpB: req.body })
        .then(({ uas, uac }) => {
          events.push('connected');
          uas.on('destroy', () => { events.push('a-bye'); void uac.destroy(); });
          uac.on('destroy', () => { events.push('b-bye'); void uas.destroy(); });
        })
        .catch((err: { status?: number }) => { events.push(`failed:${err.status ?? String(err)}`); });
    }), ['invite']));
  }

  it('B2BUA: 183 early media passes A<-B, 200, BYE from the caller reaches B', async () => {
    const events: string[] = [];
    const bPort = await freePort();
    await b2bApp(() => `sip:b@127.0.0.1:${bPort}`, events);
    const b = runSipp(['-sf', path.join(fixturesDir, 'sipp', 'drachtio', 'uas_183_200.xml'), '-p', String(bPort),
      '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const a = runSipp(['-sf', path.join(fixturesDir, 'sipp', 'drachtio', 'uac_expect_183.xml'), `127.0.0.1:${rig.sipPort}`,
      '-s', 'svc', '-p', String(await freePort()), '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, `A: ${ra.stdout.slice(-1500)}${ra.stderr}`).to.equal(0);
    expect(rb.code, `B: ${rb.stdout.slice(-1500)}${rb.stderr}`).to.equal(0);
    expect(events).to.deep.equal(['connected', 'a-bye']);
    await waitFor(() => rig.server.sip.stats().dialogs === 0, 'dialogs cleared');
  });

  it('B2BUA: the callee hangs up (BYE from B reaches A)', async () => {
    const events: string[] = [];
    const bPort = await freePort();
    await b2bApp(() => `sip:b@127.0.0.1:${bPort}`, events);
    const b = runSipp(['-sf', path.join(fixturesDir, 'sipp', 'drachtio', 'uas_answer_then_bye.xml'), '-p', String(bPort),
      '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const a = runSipp(['-sf', fx('uac_wait_bye.xml'), `127.0.0.1:${rig.sipPort}`, '-s', 'svc', '-p', String(await freePort()),
      '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, `A: ${ra.stdout.slice(-1500)}${ra.stderr}`).to.equal(0);
    expect(rb.code, `B: ${rb.stdout.slice(-1500)}${rb.stderr}`).to.equal(0);
    await waitFor(() => events.includes('b-bye'), 'BYE from B handled');
    expect(events.slice(0, 2)).to.deep.equal(['connected', 'b-bye']);
    await waitFor(() => rig.server.sip.stats().dialogs === 0, 'dialogs cleared');
  });

  it('B2BUA: CANCEL from the caller before answer is propagated to B (487 both sides)', async () => {
    const events: string[] = [];
    const bPort = await freePort();
    await b2bApp(() => `sip:b@127.0.0.1:${bPort}`, events);
    const b = runSipp(['-sf', path.join(fixturesDir, 'sipp', 'drachtio', 'uas_ring_until_cancel.xml'), '-p', String(bPort),
      '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const a = runSipp(['-sf', path.join(fixturesDir, 'sipp', 'drachtio', 'uac_cancel.xml'), `127.0.0.1:${rig.sipPort}`,
      '-s', 'svc', '-p', String(await freePort()), '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, `A: ${ra.stdout.slice(-1500)}${ra.stderr}`).to.equal(0);
    expect(rb.code, `B: ${rb.stdout.slice(-1500)}${rb.stderr}`).to.equal(0);
    await waitFor(() => events.length > 0, 'b2bua outcome');
    expect(events).to.deep.equal(['failed:487']);
    await waitFor(() => rig.server.sip.stats().appTransactions === 0 && rig.server.sip.stats().pendingIncoming === 0, 'no leftovers');
  });

  it('registrar and OPTIONS: srf.register and srf.options answer SIPp', async () => {
    const seen: string[] = [];
    srfs.push(await connectSrf(rig, (srf) => {
      asApp(srf).register((req, res) => {
        seen.push(`REGISTER ${req.get('Contact')}`);
        res.send(200, { headers: { Contact: `${req.get('Contact')};expires=3600`, Expires: '3600' } });
      });
      asApp(srf).options((_req, res) => {
        seen.push('OPTIONS');
        res.send(200, { headers: { Allow: 'INVITE, ACK, BYE, CANCEL, OPTIONS, INFO' } });
      });
    }, ['register', 'options']));
    const r = await runSipp(['-sf', fx('uac_register_options.xml'), `127.0.0.1:${rig.sipPort}`, '-p', String(await freePort()),
      '-m', '1', '-timeout', '15s', '-timeout_error']).done;
    expect(r.code, r.stdout.slice(-1500) + r.stderr).to.equal(0);
    expect(seen).to.have.length(2);
    expect(seen[0]).to.match(/^REGISTER <sip:alice@127\.0\.0\.1:\d+;transport=UDP>$/i);
    expect(seen[1]).to.equal('OPTIONS');
  });

  it('in-dialog INFO and re-INVITE handled by the dialog\'s info and modify handlers', async () => {
    const seen: string[] = [];
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req, res) => {
      void srf.createUAS(req as never, res as never, { localSdp: SDP }).then((uas) => {
        uas.on('info', (r: { get(h: string): string; body: string }, s: { send(n: number): void }) => {
          seen.push(`INFO ${r.get('Content-Type')} ${r.body.trim().split('\r\n')[0]}`);
          s.send(200);
        });
        uas.on('modify', (r: { body: string }, s: { send(n: number, o: unknown): void }) => {
          seen.push(`MODIFY ${/a=(sendonly|sendrecv)/.exec(r.body)?.[1]}`);
          s.send(200, { body: SDP.replace('o=tandem', 'o=tandem-modified') });
        });
        uas.on('destroy', () => seen.push('BYE'));
      });
    }), ['invite']));
    const r = await runSipp(['-sf', fx('uac_info_reinvite.xml'), `127.0.0.1:${rig.sipPort}`, '-s', 'svc',
      '-p', String(await freePort()), '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']).done;
    expect(r.code, r.stdout.slice(-2000) + r.stderr).to.equal(0);
    await waitFor(() => seen.includes('BYE'), 'BYE');
    expect(seen).to.deep.equal(['INFO application/dtmf-relay Signal=5', 'MODIFY sendonly', 'BYE']);
  });

  it('PRACK / 100rel: a reliable 183 from the app is PRACKed by SIPp, then the call is answered', async () => {
    const seen: string[] = [];
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req, res) => {
      res.send(183, { headers: { Require: '100rel' }, body: SDP }, () => seen.push('183 sent'));
      setTimeout(() => {
        void srf.createUAS(req as never, res as never, { localSdp: SDP }).then((uas) => {
          seen.push('answered');
          uas.on('destroy', () => seen.push('BYE'));
        });
      }, 400);
    }), ['invite']));
    const r = await runSipp(['-sf', fx('uac_100rel.xml'), `127.0.0.1:${rig.sipPort}`, '-s', 'svc',
      '-p', String(await freePort()), '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']).done;
    expect(r.code, r.stdout.slice(-2000) + r.stderr).to.equal(0);
    await waitFor(() => seen.includes('BYE'), 'BYE');
    expect(seen).to.deep.equal(['183 sent', 'answered', 'BYE']);
  });

  it('PRACK / 100rel as UAC: a reliable 183 with SDP from a SIPp callee is PRACKed once, then 200/ACK/BYE', async () => {
    const srf = await connectSrf(rig, () => undefined, []);
    srfs.push(srf);
    const sippPort = await freePort();
    const { done } = runSipp(['-sf', fx('uas_183_100rel.xml'), '-p', String(sippPort), '-mp', String(await freePort()),
      '-m', '1', '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const provisional: string[] = [];
    const uacP = srf.createUAC(`sip:callee@127.0.0.1:${sippPort}`, { localSdp: SDP, headers: { Supported: '100rel' } }, {
      cbProvisional: (res: { status: number; get: (h: string) => string | undefined; body: string }) => {
        provisional.push(`${res.status} rseq=${res.get('RSeq') ?? ''} sdp=${/^v=0/.test(res.body)}`);
      },
    });
    uacP.catch(() => undefined);
    // SIPp aborts the call on a missing, wrong or duplicate PRACK: fail then rather than at Timer B
    const first = await Promise.race([uacP.then(() => 'answered'), done.then((r) => `sipp exited ${r.code}: ${r.stdout.slice(-1500)}`)]);
    expect(first).to.equal('answered');
    const uac = await uacP;
    // the retransmitted (RSeq 1) and out-of-order (RSeq 3) 183s never reach the app
    expect(provisional).to.deep.equal(['183 rseq=1 sdp=true']);
    expect(uac.remote.sdp).to.match(/^v=0/);
    await uac.destroy();
    const r = await done;
    expect(r.code, r.stdout.slice(-2000) + r.stderr).to.equal(0);
    await waitFor(() => rig.server.sip.stats().dialogs === 0, 'dialogs cleared');
  });

  it('B2BUA: a reliable 183 with SDP from B is PRACKed on the B leg and relayed to A; 200, BYE from A reaches B', async () => {
    const events: string[] = [];
    const bPort = await freePort();
    await b2bApp(() => `sip:b@127.0.0.1:${bPort}`, events);
    const b = runSipp(['-sf', fx('uas_183_100rel.xml'), '-p', String(bPort), '-mp', String(await freePort()), '-m', '1',
      '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const a = runSipp(['-sf', fx('uac_expect_183.xml'), `127.0.0.1:${rig.sipPort}`, '-s', 'svc', '-p', String(await freePort()),
      '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(rb.code, `B: ${rb.stdout.slice(-1500)}${rb.stderr}`).to.equal(0);
    expect(ra.code, `A: ${ra.stdout.slice(-1500)}${ra.stderr}`).to.equal(0);
    expect(events).to.deep.equal(['connected', 'a-bye']);
    await waitFor(() => rig.server.sip.stats().dialogs === 0, 'dialogs cleared');
  });

  it('outbound digest auth: createUAC with auth answers the 401 challenge of a SIPp callee', async () => {
    const srf = await connectSrf(rig, () => undefined, []);
    srfs.push(srf);
    const bPort = await freePort();
    const b = runSipp(['-sf', fx('uas_digest_401.xml'), '-p', String(bPort), '-mp', String(await freePort()), '-m', '1',
      '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const uac = await srf.createUAC(`sip:bob@127.0.0.1:${bPort}`, {
      localSdp: SDP, auth: { username: 'alice', password: 'wonderland' },
    } as never);
    expect(uac.remote.sdp).to.contain('o=sippb');
    await uac.destroy();
    const rb = await b.done;
    expect(rb.code, rb.stdout.slice(-2000) + rb.stderr).to.equal(0);
  });

  it('outbound digest auth with a wrong password fails the call with 403', async () => {
    const srf = await connectSrf(rig, () => undefined, []);
    srfs.push(srf);
    const bPort = await freePort();
    const b = runSipp(['-sf', fx('uas_digest_401.xml'), '-p', String(bPort), '-mp', String(await freePort()), '-m', '1',
      '-timeout', '15s']);
    await sleep(300);
    const err = await srf.createUAC(`sip:bob@127.0.0.1:${bPort}`, {
      localSdp: SDP, auth: { username: 'alice', password: 'not-it' },
    } as never).then(() => undefined, (e: unknown) => e);
    expect((err as { status?: number }).status).to.equal(403);
    await b.done;
  });

  it('ACK timeout: a caller that never ACKs the 200 gets a BYE (Reason: ACK timeout); the app sees the dialog end', async () => {
    await rig.close();
    rig = await startRig({ t1: 50, t2: 400 });
    const seen: string[] = [];
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req, res) => {
      void srf.createUAS(req as never, res as never, { localSdp: SDP }).then((uas) => {
        seen.push('answered');
        (uas as unknown as { on(e: string, f: (b: unknown, r: string) => void): void })
          .on('destroy', (_bye, reason) => seen.push(`destroy:${reason}`));
      });
    }), ['invite']));
    const r = await runSipp(['-sf', fx('uac_no_ack.xml'), `127.0.0.1:${rig.sipPort}`, '-s', 'svc', '-p', String(await freePort()),
      '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']).done;
    expect(r.code, r.stdout.slice(-1500) + r.stderr).to.equal(0);
    await waitFor(() => seen.length === 2, 'destroy');
    expect(seen).to.deep.equal(['answered', 'destroy:ACK timeout']);
    expect(rig.server.sip.stats().dialogs).to.equal(0);
  });

  it('proxy: srf.proxyRequest with recordRoute relays 183/200 and routes ACK and BYE through Tandem', async () => {
    const bPort = await freePort();
    let result: { connected: boolean; finalStatus: number } | undefined;
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req) => {
      void (srf as unknown as { proxyRequest(r: unknown, d: string[], o: unknown): Promise<{ connected: boolean; finalStatus: number }> })
        .proxyRequest(req, [`sip:b@127.0.0.1:${bPort}`], { recordRoute: true })
        .then((r) => { result = r; });
    }), ['invite']));
    const b = runSipp(['-sf', fx('uas_183_200.xml'), '-p', String(bPort), '-mp', String(await freePort()), '-m', '1',
      '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const a = runSipp(['-sf', fx('uac_expect_183.xml'), `127.0.0.1:${rig.sipPort}`, '-s', 'svc', '-p', String(await freePort()),
      '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    const [ra, rb] = await Promise.all([a.done, b.done]);
    expect(ra.code, `A: ${ra.stdout.slice(-1500)}${ra.stderr}`).to.equal(0);
    expect(rb.code, `B: ${rb.stdout.slice(-1500)}${rb.stderr}`).to.equal(0);
    expect(result).to.include({ connected: true, finalStatus: 200 });
    expect(rig.server.sip.stats().dialogs).to.equal(0);
  });

  it('proxy: serial forking tries the next destination after a 486', async () => {
    const busyPort = await freePort();
    const bPort = await freePort();
    let result: { connected: boolean; finalStatus: number; responses: Array<{ msgs: Array<{ status: number }> }> } | undefined;
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req) => {
      void (srf as unknown as { proxyRequest(r: unknown, d: string[], o: unknown): Promise<typeof result> })
        .proxyRequest(req, [`sip:busy@127.0.0.1:${busyPort}`, `sip:b@127.0.0.1:${bPort}`], { recordRoute: true })
        .then((r) => { result = r; });
    }), ['invite']));
    const busy = runSipp(['-sf', fx('uas_busy.xml'), '-p', String(busyPort), '-m', '1', '-timeout', '15s', '-timeout_error']);
    const b = runSipp(['-sf', fx('uas_183_200.xml'), '-p', String(bPort), '-mp', String(await freePort()), '-m', '1',
      '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const a = runSipp(['-sf', fx('uac_expect_183.xml'), `127.0.0.1:${rig.sipPort}`, '-s', 'svc', '-p', String(await freePort()),
      '-mp', String(await freePort()), '-m', '1', '-timeout', '15s', '-timeout_error']);
    const [ra, rb, rbusy] = await Promise.all([a.done, b.done, busy.done]);
    expect(ra.code, `A: ${ra.stdout.slice(-1500)}${ra.stderr}`).to.equal(0);
    expect(rb.code, `B: ${rb.stdout.slice(-1500)}${rb.stderr}`).to.equal(0);
    expect(rbusy.code, `busy: ${rbusy.stdout.slice(-1500)}`).to.equal(0);
    expect(result).to.include({ connected: true, finalStatus: 200 });
    const statuses = result!.responses.flatMap((r) => r.msgs.map((m) => m.status));
    expect(statuses).to.deep.equal([486, 200]);
  });

  it('UAC dialog: dialog.request INFO and dialog.modify("hold") re-INVITE (then ACK), then BYE', async () => {
    const srf = await connectSrf(rig, () => undefined, []);
    srfs.push(srf);
    const bPort = await freePort();
    const b = runSipp(['-sf', fx('uas_info_reinvite.xml'), '-p', String(bPort), '-mp', String(await freePort()), '-m', '1',
      '-timeout', '15s', '-timeout_error']);
    await sleep(300);
    const uac = await srf.createUAC(`sip:bob@127.0.0.1:${bPort}`, { localSdp: SDP });
    const dlg = uac as unknown as {
      request(o: unknown): Promise<{ status: number }>; modify(s: string): Promise<string>; destroy(): Promise<unknown>;
    };
    const info = await dlg.request({ method: 'INFO', headers: { 'Content-Type': 'application/dtmf-relay' }, body: 'Signal=7\r\nDuration=160\r\n' });
    expect(info.status).to.equal(200);
    const answer = await dlg.modify('hold');
    expect(answer).to.contain('a=inactive');
    await dlg.destroy();
    const rb = await b.done;
    expect(rb.code, rb.stdout.slice(-2000) + rb.stderr).to.equal(0);
  });
});
