// Browser → browser through the whole Gateway (embedded SIP + drachtio, TandemApp, SessionFactory,
// media engine bridge mode 'webrtc'): two Chromium instances with the demo page register as alice
// (fake mic 440 Hz) and bob (fake mic 1000 Hz) over WebSocket; alice calls bob, bob answers from
// the page's UI; Tandem terminates ICE/DTLS-SRTP on both browser legs and relays the media between
// them. Checked in each page: the remote analyser hears the other side's tone, getStats shows
// Opus and the SSRC Tandem announced; hold/resume from either side; hang-up from one side ends
// the other; CANCEL while ringing; the engine call is released every time.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { inNetns } from '../../helpers/netns.js';
import { describeNetnsRerun } from '../../helpers/netns-suite.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { launchBrowser, type PhoneApi, type TestBrowser } from '../web/browser.js';
import { browserSsrcs, pcDump, recordPeerConnections, registerPage, startGateway, type GatewayHarness } from './gateway-harness.js';
import {
  dumpCallStats, engineCalls, pageEventMark, pageHangup, pageIdle, pageState, sleep, waitCallReleased, waitPageEvent, waitSilence, waitTone,
} from './page-steps.js';

const thisFile = fileURLToPath(import.meta.url);

/** `from` calls `target`; `to`'s page shows the incoming call and answers with its Answer button. */
async function callAndAnswer(from: Page, to: Page, target: string, caller: string): Promise<void> {
  await pageIdle(from);
  await pageIdle(to);
  const mark = await pageEventMark(to);
  const answered = from.evaluate((t) => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.call(t), target);
  await waitPageEvent(to, 'call-incoming', mark, 15000);
  await to.waitForSelector('#incoming:not([hidden])');
  expect(await to.textContent('#incoming-from')).to.equal(`sip:${caller}@tandem.test`);
  await to.getByRole('button', { name: 'Answer' }).click();
  await answered;
  expect((await pageState(from)).call).to.equal('active');
  await to.waitForFunction(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.state.call === 'active');
}

interface PageStats { codec: { send: string; receive: string }; received: { packets: number }; transport: { dtlsState: string } }
const pageStats = (p: Page): Promise<PageStats> => p.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.getStats()) as Promise<PageStats>;

if (!inNetns()) {
  describeNetnsRerun('e2e session: Chromium ↔ Tandem ↔ Chromium (re-run inside a network namespace)', thisFile, {
    testTimeoutMs: 300000, timeoutMs: 290000, mochaArgs: ['--timeout', '90000'], verbose: process.env.VERBOSE === '1',
  });
} else {
  describe('e2e session: two Chromium pages call each other through Tandem, media anchored in Tandem (netns)', function () {
    this.timeout(90000);
    let h: GatewayHarness;
    let alice: TestBrowser;
    let bob: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('session-b2b');
      h = await startGateway([]);
      [alice, bob] = await Promise.all([launchBrowser(dir, { toneHz: 440, name: 'alice' }), launchBrowser(dir, { toneHz: 1000, name: 'bob' })]);
      await Promise.all([registerPage(alice.page, h, 'alice', 'alice-pw'), registerPage(bob.page, h, 'bob', 'bob-pw')]);
      await Promise.all([recordPeerConnections(alice.page), recordPeerConnections(bob.page)]);
    });
    afterEach(async () => {
      for (const b of [alice, bob]) {
        const st = await pageState(b.page).catch(() => ({ call: 'idle' }));
        if (['calling', 'ringing', 'incoming', 'active'].includes(st.call)) await pageHangup(b.page).catch(() => undefined);
      }
    });
    after(async () => {
      await alice?.close();
      await bob?.close();
      await h?.stop();
      if (dir) removeTempDir(dir);
    });

    it('alice calls bob, bob answers from the UI: tones both ways, Opus, announced SSRCs; hold/resume from each side; alice hangs up, bob\'s call ends', async () => {
      await callAndAnswer(alice.page, bob.page, 'bob', 'alice');
      expect(engineCalls(h)).to.equal(1);
      await waitTone(alice.page, 'alice hears bob\'s 1000 Hz', 1000).catch(async (e: unknown) => {
        await dumpCallStats(h, alice.page);
        await dumpCallStats(h, bob.page);
        console.log('bob pcs', JSON.stringify(await pcDump(bob.page)));
        throw e;
      });
      await waitTone(bob.page, 'bob hears alice\'s 440 Hz', 440).catch(async (e: unknown) => {
        await dumpCallStats(h, bob.page);
        throw e;
      });
      // Media is anchored in Tandem: one engine call with two WebRTC legs, Opus passed through.
      const id = h.gw.calls!.mediaIds()[0]!;
      const st = await h.gw.media!.stats(id);
      expect(st.webrtcB, 'second WebRTC leg').to.not.equal(undefined);
      expect(st.webrtc.dtlsState).to.equal('connected');
      expect(st.webrtcB?.dtlsState).to.equal('connected');
      expect(st.bridge?.webrtcToRtp.mode).to.equal('passthrough');
      expect(st.bridge?.rtpToWebrtc.mode).to.equal('passthrough');
      expect(st.webrtc.counters.srtpAuthFailures + (st.webrtcB?.counters.srtpAuthFailures ?? 0)).to.equal(0);
      expect(st.webrtc.selected?.port, 'alice\'s media goes to Tandem, not to bob').to.be.a('number');
      for (const p of [alice.page, bob.page]) {
        const s = await pageStats(p);
        expect(s.codec.send).to.match(/^opus\/48000/i);
        expect(s.codec.receive).to.match(/^opus\/48000/i);
        expect(s.transport.dtlsState).to.equal('connected');
        const ssrcs = await browserSsrcs(p);
        expect(ssrcs.announced, 'one a=ssrc in Tandem\'s description').to.have.length(1);
        expect(ssrcs.received, 'the page plays the SSRC Tandem announced').to.deep.equal(ssrcs.announced);
      }
      // The two pages see different Tandem SSRCs (one stream per leg, re-originated by Tandem).
      expect((await browserSsrcs(alice.page)).announced).to.not.deep.equal((await browserSsrcs(bob.page)).announced);

      // Hold from alice: re-INVITE relayed to bob; both sides silent; resume: tones again.
      const bobMark = await pageEventMark(bob.page);
      await alice.page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.hold());
      expect((await pageState(alice.page)).held).to.equal(true);
      await waitPageEvent(bob.page, 'hold', bobMark);
      expect((await pageState(bob.page)).remoteHeld, 'bob sees the remote hold').to.equal(true);
      await waitSilence(bob.page, 'bob hears silence while alice holds');
      await waitSilence(alice.page, 'alice hears silence while holding');
      await alice.page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.unhold());
      await waitPageEvent(bob.page, 'unhold', bobMark);
      await waitTone(bob.page, 'bob hears 440 Hz after alice resumes', 440);
      await waitTone(alice.page, 'alice hears 1000 Hz after she resumes', 1000);

      // Hold from bob (the callee's re-INVITE goes the other way), resume.
      const aliceMark = await pageEventMark(alice.page);
      await bob.page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.hold());
      await waitPageEvent(alice.page, 'hold', aliceMark);
      expect((await pageState(alice.page)).remoteHeld, 'alice sees the remote hold').to.equal(true);
      await waitSilence(alice.page, 'alice hears silence while bob holds');
      await bob.page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.unhold());
      await waitPageEvent(alice.page, 'unhold', aliceMark);
      await waitTone(alice.page, 'alice hears 1000 Hz after bob resumes', 1000);
      await waitTone(bob.page, 'bob hears 440 Hz after he resumes', 440);
      for (const p of [alice.page, bob.page]) {
        const ssrcs = await browserSsrcs(p);
        expect(ssrcs.received, 'after the re-INVITEs, the page still plays the announced SSRC').to.deep.equal(ssrcs.announced);
      }

      // alice hangs up: bob's page sees the BYE; the engine call is released.
      const endMark = await pageEventMark(bob.page);
      await pageHangup(alice.page);
      expect((await waitPageEvent(bob.page, 'call-ended', endMark)).originator, 'bob sees alice\'s BYE').to.equal('remote');
      await waitCallReleased(h);
      expect([...alice.errors, ...bob.errors]).to.deep.equal([]);
    });

    it('bob calls alice, alice answers from the UI: tones both ways; bob (the caller) is hung up on by alice', async () => {
      await callAndAnswer(bob.page, alice.page, 'alice', 'bob');
      await waitTone(bob.page, 'bob hears alice\'s 440 Hz', 440);
      await waitTone(alice.page, 'alice hears bob\'s 1000 Hz', 1000);
      await sleep(500);
      const endMark = await pageEventMark(bob.page);
      await pageHangup(alice.page);
      expect((await waitPageEvent(bob.page, 'call-ended', endMark)).originator, 'bob sees the BYE from alice (the callee)').to.equal('remote');
      await waitCallReleased(h);
    });

    it('alice hangs up while bob\'s page rings: CANCEL reaches bob, nothing left in the engine', async () => {
      await pageIdle(alice.page);
      await pageIdle(bob.page);
      const mark = await pageEventMark(bob.page);
      const result = alice.page.evaluate(async () => {
        try {
          await (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.call('bob');
          return 'answered';
        } catch (e) {
          return String(e);
        }
      });
      await waitPageEvent(bob.page, 'call-incoming', mark, 15000);
      await pageHangup(alice.page);
      expect(await result).to.not.equal('answered');
      expect((await waitPageEvent(bob.page, 'call-failed', mark)).cause, 'bob\'s page sees the CANCEL').to.equal('Canceled');
      expect((await pageState(bob.page)).call).to.be.oneOf(['ended', 'idle']);
      await waitCallReleased(h);
    });
  });
}
