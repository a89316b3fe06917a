/**
 * srf.proxyRequest without Record-Route on Tandem: the proxied 2xx to INVITE is forwarded
 * once (RFC 3261 §16.7), not retransmitted by Tandem's UA core, and no ACK timer runs
 * (the ACK and the BYE go straight from caller to callee, so Tandem never sees them).
 * SIPp UAC → Tandem (drachtio-srf proxy app) → SIPp UAS, with T1 = 50 ms so 64*T1 = 3.2 s
 * passes inside the call.
 */
import { expect } from 'chai';
import path from 'node:path';
import type Srf from 'drachtio-srf';
import { fixturesDir } from '../../helpers/paths.js';
import { startSipp, stopAllSipp } from '../../helpers/sipp.js';
import { asApp } from './srf-types.js';
import { connectSrf, sleep, startRig, type Rig } from './harness.js';

/** SIPp `-trace_msg` blocks: direction and first lines of each message. */
function messages(log: string): Array<{ dir: 'sent' | 'received'; text: string }> {
  const out: Array<{ dir: 'sent' | 'received'; text: string }> = [];
  for (const block of log.split(/^-{10,}.*$/m)) {
    const m = /message (sent|received)[^\n]*bytes[^\n]*\n([\s\S]*)/.exec(block);
    if (m) out.push({ dir: m[1] as 'sent' | 'received', text: m[2].trim() });
  }
  return out;
}

function is200ToInvite(text: string): boolean {
  return /^SIP\/2\.0 200/.test(text) && /^CSeq:\s*1 INVITE/im.test(text);
}

describe('drachtio-srf proxy without Record-Route on Tandem (SIPp → Tandem → SIPp)', function () {
  this.timeout(40000);
  let rig: Rig;
  const srfs: Srf[] = [];

  beforeEach(async () => {
    rig = await startRig({ t1: 50, t2: 400 });
  });
  afterEach(async () => {
    for (const s of srfs.splice(0)) s.disconnect();
    await stopAllSipp();
    await rig.close();
  });

  it('forwards the callee\'s 200 once, without retransmitting it or waiting for an ACK (no BYE after 64*T1)', async () => {
    let result: { connected: boolean; finalStatus: number } | undefined;
    const b = await startSipp({ scenario: path.join(fixturesDir, 'sipp', 'drachtio', 'uas_proxy_direct_bye.xml'), timeoutMs: 20000 });
    srfs.push(await connectSrf(rig, (srf) => asApp(srf).invite((req) => {
      void (srf as unknown as { proxyRequest(r: unknown, d: string[], o: unknown): Promise<{ connected: boolean; finalStatus: number }> })
        .proxyRequest(req, [`sip:b@${b.address}`], { recordRoute: false })
        .then((r) => { result = r; });
    }), ['invite']));
    const a = await startSipp({
      scenario: path.join(fixturesDir, 'sipp', 'drachtio', 'uac_proxy_long_pause.xml'),
      remote: `127.0.0.1:${rig.sipPort}`, service: 'svc', timeoutMs: 20000,
    });
    // in the call, well before 64*T1: nothing waits for an ACK in Tandem
    let maxPending = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 2500) {
      maxPending = Math.max(maxPending, rig.core.stack.stats().pending2xx);
      await sleep(25);
    }
    const [ra, rb] = await Promise.all([a.wait(), b.wait()]);
    expect(ra.code, `A: ${ra.screen.slice(-1500)}${ra.errors}`).to.equal(0);
    expect(rb.code, `B: ${rb.screen.slice(-1500)}${rb.errors}`).to.equal(0);
    expect(result).to.include({ connected: true, finalStatus: 200 });

    const aMsgs = messages(ra.messages);
    const bMsgs = messages(rb.messages);
    const sentByB = bMsgs.filter((m) => m.dir === 'sent' && is200ToInvite(m.text)).length;
    const gotByA = aMsgs.filter((m) => m.dir === 'received' && is200ToInvite(m.text)).length;
    expect(sentByB).to.be.greaterThan(0);
    // every 200 A saw was one B sent (B's own retransmissions pass through statelessly): Tandem added none
    expect(gotByA).to.equal(sentByB);
    // A never got a BYE (the ACK timeout BYE of a UA core) and Tandem kept no 2xx state
    expect(aMsgs.filter((m) => m.dir === 'received' && /^BYE /.test(m.text))).to.have.length(0);
    expect(maxPending).to.equal(0);
    expect(rig.core.stack.stats().pending2xx).to.equal(0);
    expect(rig.server.sip.stats().dialogs).to.equal(0);
  });
});
