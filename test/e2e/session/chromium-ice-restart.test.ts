// End to end through the whole Gateway: Chromium (demo page, fake mic 440 Hz) calls a UDP phone
// written here (answers PCMU and sends a 1 kHz PCMU tone). With tones flowing both ways the page
// restarts ICE (tandemPhone.restartIce → JsSIP renegotiate with `iceRestart: true`, RFC 8445 §9):
// Tandem must answer the re-INVITE with new ice-ufrag/ice-pwd (RFC 8839 §4.4.1.1.1), must not
// re-INVITE the phone (an ICE-only change), the browser's ICE must come back to connected, DTLS
// stays up, and the tones must be heard both ways after the restart (Goertzel at the phone, the
// page's analyser), on the same engine call.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startBaresip, stopAllBaresip, type BaresipInstance } from '../../helpers/baresip.js';
import { RtpPeer } from '../../helpers/rtp-peer.js';
import { UdpPhone } from '../../helpers/udp-phone.js';
import type { SipMsg } from '../../helpers/sip-text.js';
import { toneDominates } from '../../helpers/tone.js';
import { inNetns } from '../../helpers/netns.js';
import { describeNetnsRerun } from '../../helpers/netns-suite.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { launchBrowser, type TestBrowser } from '../web/browser.js';
import { near, pcDump, recordPeerConnections, registerPage, startGateway, waitRemoteAudio, type GatewayHarness } from './gateway-harness.js';
import { pageEventMark, waitPageEvent } from './page-steps.js';

const thisFile = fileURLToPath(import.meta.url);

/** A phone answering PCMU on an RtpPeer (1 kHz tone out, what it hears decoded), counting every INVITE. */
class TonePhone extends UdpPhone {
  /** All INVITEs, re-INVITEs included. */
  allInvites = 0;

  constructor(readonly peer: RtpPeer) {
    super({ answer: '' });
  }

  protected override onMessage(m: SipMsg): void {
    if (m.method === 'INVITE') this.allInvites++;
  }

  protected override answerSdp(invite: SipMsg): string {
    const c = /^c=IN IP4 (\S+)/m.exec(invite.body);
    const port = /^m=audio (\d+)/m.exec(invite.body);
    if (c && port) this.peer.start({ address: c[1], port: Number(port[1]) });
    return [
      'v=0', 'o=tonephone 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
      `m=audio ${this.peer.port} RTP/AVP 0`, 'a=rtpmap:0 PCMU/8000', 'a=ptime:20', 'a=sendrecv', '',
    ].join('\r\n');
  }
}

/** ICE view of the page's newest RTCPeerConnection (descriptions + getStats). */
interface PcIce {
  localUfrag: string | null; remoteUfrag: string | null; remotePwd: string | null;
  iceState: string; connState: string; dtlsState: string | null;
  localCandidate: string | null; remoteCandidate: string | null; pairChanges: number | null;
  /** Tandem's description has a=ice-lite. */
  remoteLite: boolean;
}

function pcIce(page: Page): Promise<PcIce> {
  return page.evaluate(async () => {
    type R = Record<string, unknown>;
    interface Pc {
      localDescription: { sdp: string } | null; remoteDescription: { sdp: string } | null;
      iceConnectionState: string; connectionState: string;
      getStats(): Promise<{ forEach(fn: (r: R) => void): void; get(id: string): R | undefined }>;
    }
    const pcs = (globalThis as unknown as { tandemTestPcs?: Pc[] }).tandemTestPcs ?? [];
    const pc = pcs[pcs.length - 1];
    const attr = (sdp: string | undefined, name: string): string | null => new RegExp(`^a=${name}:(\\S+)`, 'm').exec(sdp ?? '')?.[1] ?? null;
    const stats = await pc.getStats();
    let transport: R | undefined;
    stats.forEach((r) => { if (r.type === 'transport') transport = r; });
    const pair = typeof transport?.selectedCandidatePairId === 'string' ? stats.get(transport.selectedCandidatePairId) : undefined;
    const cand = (id: unknown): string | null => {
      const c = typeof id === 'string' ? stats.get(id) : undefined;
      return c ? `${String(c.address ?? c.ip)}:${String(c.port)}` : null;
    };
    return {
      localUfrag: attr(pc.localDescription?.sdp, 'ice-ufrag'), remoteUfrag: attr(pc.remoteDescription?.sdp, 'ice-ufrag'),
      remotePwd: attr(pc.remoteDescription?.sdp, 'ice-pwd'), iceState: pc.iceConnectionState, connState: pc.connectionState,
      dtlsState: typeof transport?.dtlsState === 'string' ? transport.dtlsState : null,
      localCandidate: cand(pair?.localCandidateId), remoteCandidate: cand(pair?.remoteCandidateId),
      pairChanges: typeof transport?.selectedCandidatePairChanges === 'number' ? transport.selectedCandidatePairChanges : null,
      remoteLite: /^a=ice-lite/m.test(pc.remoteDescription?.sdp ?? ''),
    };
  });
}

/** Every candidate pair of the page's newest RTCPeerConnection, as getStats reports it (diagnostics on failure). */
function pcPairs(page: Page): Promise<unknown[]> {
  return page.evaluate(async () => {
    type R = Record<string, unknown>;
    interface Pc { getStats(): Promise<{ forEach(fn: (r: R) => void): void; get(id: string): R | undefined }> }
    const pcs = (globalThis as unknown as { tandemTestPcs?: Pc[] }).tandemTestPcs ?? [];
    const stats = await pcs[pcs.length - 1].getStats();
    const cand = (id: unknown): string | null => {
      const c = typeof id === 'string' ? stats.get(id) : undefined;
      return c ? `${String(c.address ?? c.ip)}:${String(c.port)}` : null;
    };
    const out: unknown[] = [];
    stats.forEach((r) => {
      if (r.type !== 'candidate-pair') return;
      out.push({
        local: cand(r.localCandidateId), remote: cand(r.remoteCandidateId), state: r.state, nominated: r.nominated,
        bytesSent: r.bytesSent, bytesReceived: r.bytesReceived, requestsSent: r.requestsSent, requestsReceived: r.requestsReceived,
        responsesSent: r.responsesSent, responsesReceived: r.responsesReceived, lastPacketSentTimestamp: r.lastPacketSentTimestamp,
        lastPacketReceivedTimestamp: r.lastPacketReceivedTimestamp,
      });
    });
    return out;
  });
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const engineCalls = (h: GatewayHarness): number => (h.gw.media?.load() ?? []).reduce((a, b) => a + b, 0);

if (!inNetns()) {
  describeNetnsRerun('e2e session: Chromium ICE restart ↔ Tandem ↔ UDP phone (re-run inside a network namespace)', thisFile, {
    testTimeoutMs: 300000, timeoutMs: 290000, mochaArgs: ['--timeout', '90000'], verbose: process.env.VERBOSE === '1',
  });
} else {
  for (const ice of ['full', 'lite'] as const) describe(`e2e session: ICE restart from the Chromium page during a call with a UDP phone, Tandem ICE ${ice} (netns)`, function () {
    this.timeout(90000);
    let h: GatewayHarness;
    let phone: TonePhone;
    let peer: RtpPeer;
    let browser: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('session-ice-restart');
      peer = await RtpPeer.create({ codec: 'PCMU', freq: 1000, amplitude: 0.4 });
      phone = new TonePhone(peer);
      await phone.start();
      h = await startGateway([{ name: 'tonephone', contact: `sip:tone@127.0.0.1:${phone.port}`, profile: 'deskphone' }], {
        ...(ice === 'lite' ? { profiles: [{ name: 'browser', media: 'webrtc', codecs: { allow: ['opus', 'PCMU', 'PCMA'], prefer: ['opus'] }, ice: 'lite' }] } : {}),
      });
      browser = await launchBrowser(dir, { toneHz: 440, name: 'alice' });
      await registerPage(browser.page, h, 'alice', 'alice-pw');
      await recordPeerConnections(browser.page);
    });
    after(async () => {
      await browser?.close();
      await h?.stop();
      phone?.close();
      await peer?.close();
      if (dir) removeTempDir(dir);
    });

    it('the page restarts ICE: the 200 carries new ice-ufrag/ice-pwd, the phone gets no re-INVITE, ICE back to connected, DTLS kept, 440 Hz at the phone and 1 kHz in the page after the restart', async () => {
      const page = browser.page;
      const diag = async (): Promise<void> => {
        for (const id of h.gw.calls?.mediaIds() ?? []) console.log('engine stats', JSON.stringify(await h.gw.media?.stats(id)));
        console.log('page pcs', JSON.stringify(await pcDump(page)));
        console.log('page events', JSON.stringify(await page.evaluate(() => (globalThis as unknown as { tandemPhone: { events: unknown[] } }).tandemPhone.events)));
      };
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('tonephone'));
      expect(phone.allInvites).to.equal(1);

      // Tones both ways before the restart.
      await waitRemoteAudio(page, 'the page hears the phone\'s 1 kHz', (r) => r.rms > 0.02 && near(r.peakHz, 1000), 10000);
      await sleep(2000);
      const toneBefore = toneDominates(peer.received, 8000, 440, { skipMs: 500, candidates: [1000] });
      expect(toneBefore.fraction, `440 Hz at the phone before: ${JSON.stringify(toneBefore)}`).to.be.greaterThan(0.6);

      const before = await pcIce(page);
      expect(before.iceState).to.be.oneOf(['connected', 'completed']);
      expect(before.remoteLite, 'a=ice-lite in Tandem\'s answer').to.equal(ice === 'lite');
      expect(before.remoteUfrag).to.be.a('string');
      const [mediaId] = h.gw.calls?.mediaIds() ?? [];
      const engineBefore = (await h.gw.media!.stats(mediaId)).webrtc;
      expect(engineBefore.ice.restarts).to.equal(0);

      // The restart: JsSIP re-INVITE with an iceRestart offer, Tandem's 200 applied.
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { restartIce(): Promise<void> } }).tandemPhone.restartIce()).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      const right = await pcIce(page);
      console.log(`      before: browser ${before.localUfrag} ↔ tandem ${before.remoteUfrag}, pair ${before.localCandidate} ↔ ${before.remoteCandidate}; answer: browser ${right.localUfrag} ↔ tandem ${right.remoteUfrag}`);
      expect(right.localUfrag, 'the browser offered new credentials').to.not.equal(before.localUfrag);
      expect(right.remoteUfrag, 'new ice-ufrag in Tandem\'s answer').to.be.a('string').and.not.equal(before.remoteUfrag);
      expect(right.remotePwd, 'new ice-pwd in Tandem\'s answer').to.be.a('string').and.not.equal(before.remotePwd);

      // The browser's ICE checks the new credentials and comes back to connected.
      let after = right;
      await waitFor('browser ICE connected again on the new credentials', async () => {
        after = await pcIce(page);
        return (after.iceState === 'connected' || after.iceState === 'completed') && after.connState === 'connected';
      }, 10000).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      await waitFor('engine: restart complete', async () => {
        const st = (await h.gw.media!.stats(mediaId)).webrtc;
        return st.ice.restarts === 1 && !st.ice.restarting;
      }, 10000).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      const pageEvents = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { events: Array<{ type: string; detail?: { state?: string } }> } }).tandemPhone.events);
      expect(pageEvents.some((e) => e.type === 'ice-restarted')).to.equal(true);

      // Audio after the restart, both ways, on a clean recording.
      const restartedAt = Date.now();
      peer.clearReceived();
      await waitRemoteAudio(page, 'the page hears the phone\'s 1 kHz after the restart', (r) => r.rms > 0.02 && near(r.peakHz, 1000), 8000).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      await sleep(Math.max(0, 3000 - (Date.now() - restartedAt)));
      const toneAfter = toneDominates(peer.received, 8000, 440, { skipMs: 200, candidates: [1000] });
      expect(toneAfter.fraction, `440 Hz at the phone after the restart: ${JSON.stringify(toneAfter)}`).to.be.greaterThan(0.6);
      for (let i = 0; i < 3; i++) {
        await sleep(500);
        const r = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { getAudio(): { remote: { rms: number; peakHz: number } | null } } }).tandemPhone.getAudio().remote);
        expect(r !== null && r.rms > 0.02 && near(r.peakHz, 1000), `1 kHz in the page after the restart: ${JSON.stringify(r)}`).to.equal(true);
      }

      // Same call: no re-INVITE toward the phone (ICE-only change), DTLS kept, nothing failed to authenticate.
      expect(phone.allInvites, 'the phone saw only the initial INVITE').to.equal(1);
      const engineAfter = (await h.gw.media!.stats(mediaId)).webrtc;
      after = await pcIce(page);
      console.log(`      after: pair ${after.localCandidate} ↔ ${after.remoteCandidate} (browser selected-pair changes ${String(after.pairChanges)}); engine selected ${JSON.stringify(engineBefore.selected)} → ${JSON.stringify(engineAfter.selected)}`);
      expect(engineAfter.iceState).to.equal('connected');
      expect(engineAfter.dtlsState).to.equal('connected');
      expect(after.dtlsState).to.equal('connected');
      expect(engineAfter.srtpProfile).to.equal(engineBefore.srtpProfile);
      expect(engineAfter.counters.srtpAuthFailures).to.equal(engineBefore.counters.srtpAuthFailures);
      expect(engineAfter.selected?.port, 'Tandem sends to the browser\'s pair of the new ICE session').to.equal(Number(after.localCandidate?.split(':').pop()));
      expect(engineCalls(h)).to.equal(1);

      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hangup(): void } }).tandemPhone.hangup());
      await waitFor('BYE at the phone', () => phone.byeLog.length > 0, 8000);
      await waitFor('engine call closed', () => engineCalls(h) === 0);
    });
  });

  describe('e2e session: ICE restart from the Chromium page as the called party (baresip calls alice; Tandem offered, ICE controlling) (netns)', function () {
    this.timeout(90000);
    let h: GatewayHarness;
    let phone: BaresipInstance;
    let browser: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('session-ice-restart-callee');
      phone = await startBaresip({ user: 'deskphone', toneHz: 1000, codecs: 'PCMU', answerMode: 'auto', accountParams: ['auth_user=deskphone', 'auth_pass=deskphone-pw'], timeoutMs: 240000 });
      h = await startGateway([{ name: 'deskphone', contact: `sip:deskphone@127.0.0.1:${phone.sipPort}`, profile: 'deskphone' }]);
      browser = await launchBrowser(dir, { toneHz: 440, name: 'alice' });
      await registerPage(browser.page, h, 'alice', 'alice-pw');
      await recordPeerConnections(browser.page);
    });
    after(async () => {
      await browser?.close();
      await stopAllBaresip();
      await h?.stop();
      if (dir) removeTempDir(dir);
    });

    it('the answering page restarts ICE: new credentials in Tandem\'s 200, ICE connected again (the role conflict resolved), DTLS kept, 440 Hz at baresip and 1 kHz in the page after the restart', async () => {
      const page = browser.page;
      const diag = async (): Promise<void> => {
        for (const id of h.gw.calls?.mediaIds() ?? []) console.log('engine stats', JSON.stringify(await h.gw.media?.stats(id)));
        console.log('page ice', JSON.stringify(await pcIce(page)));
        console.log('page candidate pairs', JSON.stringify(await pcPairs(page)));
        console.log('page pcs', JSON.stringify(await pcDump(page)));
        console.log('page events', JSON.stringify(await page.evaluate(() => (globalThis as unknown as { tandemPhone: { events: unknown[] } }).tandemPhone.events)));
        console.log('baresip events', JSON.stringify(phone.events.slice(-20)));
      };
      const mark = await pageEventMark(page);
      await phone.dial(`sip:alice@127.0.0.1:${h.sipUdpPort}`);
      await waitPageEvent(page, 'call-incoming', mark, 15000);
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { answer(): Promise<void> } }).tandemPhone.answer());
      await phone.waitForEvent('CALL_ESTABLISHED', 10000);
      await waitRemoteAudio(page, 'the page hears baresip\'s 1 kHz', (r) => r.rms > 0.02 && near(r.peakHz, 1000), 10000).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      const before = await pcIce(page);
      const [mediaId] = h.gw.calls?.mediaIds() ?? [];
      const engineBefore = (await h.gw.media!.stats(mediaId)).webrtc;
      expect(engineBefore.ice.controlling, 'Tandem offered to the browser: controlling').to.equal(true);
      await sleep(1000);

      const evBefore = phone.events.length;
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { restartIce(): Promise<void> } }).tandemPhone.restartIce()).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      const right = await pcIce(page);
      expect(right.localUfrag).to.not.equal(before.localUfrag);
      expect(right.remoteUfrag).to.be.a('string').and.not.equal(before.remoteUfrag);
      expect(right.remotePwd).to.be.a('string').and.not.equal(before.remotePwd);
      await waitFor('browser ICE connected again', async () => {
        const x = await pcIce(page);
        return (x.iceState === 'connected' || x.iceState === 'completed') && x.connState === 'connected';
      }, 10000);
      await waitFor('engine: restart complete', async () => {
        const st = (await h.gw.media!.stats(mediaId)).webrtc;
        return st.ice.restarts === 1 && !st.ice.restarting;
      }, 10000).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      const restartedAt = Date.now();
      await waitRemoteAudio(page, 'the page hears baresip\'s 1 kHz after the restart', (r) => r.rms > 0.02 && near(r.peakHz, 1000), 8000).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      await sleep(Math.max(0, 3000 - (Date.now() - restartedAt)));
      // Tandem (controlling) nominates the pair of the new ICE session; the page's getStats can
      // report its old selected pair for a moment on a loaded machine. Wait (bounded) until both
      // name the same browser candidate, then assert on that state.
      const agreeFrom = Date.now();
      await waitFor('the page and Tandem on the same pair after the restart', async () => {
        const eng = (await h.gw.media!.stats(mediaId)).webrtc;
        const pg = await pcIce(page);
        return eng.selected?.port === Number(pg.localCandidate?.split(':').pop());
      }, 10000).catch(async (e: unknown) => {
        await diag();
        throw e;
      });
      const engineAfter = (await h.gw.media!.stats(mediaId)).webrtc;
      const after = await pcIce(page);
      console.log(`      callee: pair agreement after ${Date.now() - agreeFrom} ms`);
      console.log(`      callee: pair ${before.localCandidate} → ${after.localCandidate}; engine selected ${JSON.stringify(engineBefore.selected)} → ${JSON.stringify(engineAfter.selected)}, controlling ${String(engineBefore.ice.controlling)} → ${String(engineAfter.ice.controlling)}, role switches ${engineAfter.ice.roleSwitches}`);
      // Media the browser sent on a pair Tandem does not accept (e.g. still the previous pair after Tandem switched).
      console.log(`      callee: engine unexpectedSource ${engineBefore.counters.unexpectedSource} → ${engineAfter.counters.unexpectedSource}, packets taken from the previous pair ${engineAfter.ice.previousPairPackets}, previous pair still accepted ${String(engineAfter.ice.previousPairAccepted)}, DTLS records before the answer ${engineAfter.dtlsEarlyRecords}`);
      expect(engineAfter.iceState).to.equal('connected');
      expect(engineAfter.dtlsState).to.equal('connected');
      expect(after.dtlsState).to.equal('connected');
      expect(engineAfter.counters.srtpAuthFailures).to.equal(engineBefore.counters.srtpAuthFailures);
      expect(engineAfter.selected?.port).to.equal(Number(after.localCandidate?.split(':').pop()));
      // Known gap (docs/session.md): here the phone IS re-INVITEd. The SIP offer made from the browser's
      // re-offer lists both G.711 codecs while Tandem's last SIP description was its one-codec answer,
      // so src/sdp reports the SIP side as changed. Reported, not asserted.
      const offersAtPhone = phone.events.slice(evBefore).filter((e) => e.type === 'CALL_REMOTE_SDP' && e.param === 'offer').length;
      console.log(`      re-INVITEs (SDP offers) at baresip after the restart: ${offersAtPhone}`);

      const closed = phone.waitForEvent('CALL_CLOSED', 10000);
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hangup(): void } }).tandemPhone.hangup());
      await closed;
      await waitFor('engine call closed', () => engineCalls(h) === 0);
      const rec = phone.readRecording('dec');
      const tail = toneDominates(rec.samples, rec.rate, 440, { candidates: [1000], skipMs: Math.max(0, rec.durationS * 1000 - 2500) });
      expect(tail.fraction, `baresip heard 440 Hz in the last 2.5 s (after the restart): ${JSON.stringify(tail)}`).to.be.greaterThan(0.6);
    });
  });
}
