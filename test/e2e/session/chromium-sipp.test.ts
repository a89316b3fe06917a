// End to end through the whole Gateway with SIPp desk phones: Chromium (demo page, fake mic 440 Hz)
// calls a SIPp UAS answering PCMA at 30 ms with -rtp_echo (the page must hear its own 440 Hz echoed
// back through Tandem both ways), holds and resumes from the page (re-INVITEs relayed to SIPp,
// silence while held), hangs up (BYE reaches SIPp). Negative: 486 busy, CANCEL while ringing,
// an answer with a codec that was not offered (488 to the page, BYE to SIPp): no engine call leaks.
import { expect } from 'chai';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startSipp, stopAllSipp, type SippInstance } from '../../helpers/sipp.js';
import { inNetns, runMochaInNetns } from '../../helpers/netns.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { repoRoot } from '../../helpers/paths.js';
import { launchBrowser, type TestBrowser } from '../web/browser.js';
import { browserSsrcs, near, pcDump, recordPeerConnections, registerPage, startGateway, waitRemoteAudio, type GatewayHarness } from './gateway-harness.js';

const thisFile = fileURLToPath(import.meta.url);
const scenario = (name: string): string => path.join(repoRoot, 'test', 'e2e', 'session', 'sipp', name);

function engineCalls(h: GatewayHarness): number {
  return (h.gw.media?.load() ?? []).reduce((a, b) => a + b, 0);
}

async function waitFor(what: string, ok: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the page has no call in progress (a new call is refused while one is). */
async function pageIdle(page: Page): Promise<void> {
  await page.waitForFunction(() => !['calling', 'ringing', 'active', 'incoming', 'connecting'].includes((globalThis as unknown as { tandemPhone: { state: { call: string } } }).tandemPhone.state.call), null, { timeout: 10000 });
}

async function callExpectingFailure(page: Page, target: string): Promise<string | null> {
  await pageIdle(page);
  return page.evaluate(async (t) => {
    try {
      await (globalThis as unknown as { tandemPhone: { call(x: string): Promise<void> } }).tandemPhone.call(t);
      return null;
    } catch (e) {
      return String(e);
    }
  }, target);
}

if (!inNetns()) {
  describe('e2e session: Chromium ↔ Tandem ↔ SIPp (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(300000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 290000, mochaArgs: ['--timeout', '90000'] });
      if (r.code !== 0 || process.env.VERBOSE === '1') console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\b5 passing\b/);
    });
  });
} else {
  describe('e2e session: Chromium page ↔ Tandem gateway ↔ SIPp phones (netns)', function () {
    this.timeout(90000);
    let h: GatewayHarness;
    let echo: SippInstance;
    let busy: SippInstance;
    let ring: SippInstance;
    let g729: SippInstance;
    let early: SippInstance;
    let browser: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('session-sipp');
      echo = await startSipp({ scenario: scenario('uas_pcma30_echo_hold.xml'), rtpEcho: true, timeoutMs: 240000 });
      busy = await startSipp({ scenario: scenario('uas_busy.xml'), timeoutMs: 240000 });
      ring = await startSipp({ scenario: scenario('uas_cancel.xml'), timeoutMs: 240000 });
      g729 = await startSipp({ scenario: scenario('uas_g729.xml'), timeoutMs: 240000 });
      early = await startSipp({ scenario: scenario('uas_early_echo.xml'), rtpEcho: true, timeoutMs: 240000 });
      h = await startGateway([
        { name: 'echophone', contact: `sip:echo@${echo.address}`, profile: 'pcma30' },
        { name: 'busyphone', contact: `sip:busy@${busy.address}`, profile: 'deskphone' },
        { name: 'ringphone', contact: `sip:ring@${ring.address}`, profile: 'deskphone' },
        { name: 'oddphone', contact: `sip:odd@${g729.address}`, profile: 'deskphone' },
        { name: 'earlyphone', contact: `sip:early@${early.address}`, profile: 'deskphone' },
      ]);
      browser = await launchBrowser(dir, { toneHz: 440, name: 'alice' });
      await registerPage(browser.page, h, 'alice', 'alice-pw');
      await recordPeerConnections(browser.page);
    });
    after(async () => {
      await browser?.close();
      await stopAllSipp();
      await h?.stop();
      if (dir) removeTempDir(dir);
    });

    it('PCMA 30 ms SIPp echo: the page hears its own 440 Hz back; hold → silence, resume → tone; hang-up BYEs SIPp', async () => {
      const page = browser.page;
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('echophone'));
      await waitRemoteAudio(page, 'the page hears the echoed 440 Hz', (r) => r.rms > 0.02 && near(r.peakHz, 440), 10000);
      const stats = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { getStats(): Promise<unknown> } }).tandemPhone.getStats()) as { codec: { send: string } };
      expect(stats.codec.send).to.match(/^PCMA\/8000/i);
      expect(engineCalls(h)).to.equal(1);

      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hold(): Promise<void> } }).tandemPhone.hold());
      await waitRemoteAudio(page, 'silence while held', (r) => r.rms < 0.005, 8000);
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { unhold(): Promise<void> } }).tandemPhone.unhold());
      await waitRemoteAudio(page, 'the echoed 440 Hz after resume', (r) => r.rms > 0.02 && near(r.peakHz, 440), 10000).catch(async (e: unknown) => {
        for (const id of h.gw.calls?.mediaIds() ?? []) console.log('engine stats', JSON.stringify(await h.gw.media?.stats(id)));
        console.log('page pcs', JSON.stringify(await pcDump(page)));
        console.log('page events', JSON.stringify(await page.evaluate(() => (globalThis as unknown as { tandemPhone: { events: unknown[] } }).tandemPhone.events)));
        throw e;
      });
      // Across hold/resume (bridge rebuilt twice) the stream keeps the SSRC Tandem's descriptions announce.
      const ssrcs = await browserSsrcs(page);
      expect(ssrcs.announced, 'a=ssrc in Tandem\'s answer').to.have.length(1);
      expect(ssrcs.received, 'SSRC of the packets the page receives').to.deep.equal(ssrcs.announced);

      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hangup(): void } }).tandemPhone.hangup());
      const res = await echo.wait();
      expect(res.code, res.errors + res.screen.slice(-1500)).to.equal(0);
      expect(res.messages).to.match(/BYE sip:/);
      const reinvites = res.messages.match(/^INVITE sip:/gm) ?? [];
      expect(reinvites.length, 'initial INVITE + hold + resume').to.equal(3);
      expect(res.messages).to.match(/a=sendonly/);
      expect(res.messages).to.match(/a=ptime:30/);
      await waitFor('engine call closed', () => engineCalls(h) === 0);
    });

    it('486 from the phone: the page\'s call fails with Busy, no engine call left', async () => {
      const err = await callExpectingFailure(browser.page, 'busyphone');
      expect(err).to.match(/Busy/);
      const res = await busy.wait();
      expect(res.code, res.errors).to.equal(0);
      await waitFor('engine call closed', () => engineCalls(h) === 0);
      await waitFor('session ended', () => h.gw.calls?.active === 0);
    });

    it('the page cancels while the phone rings: CANCEL reaches the phone, no engine call left', async () => {
      const page = browser.page;
      await pageIdle(page);
      const before = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { events: unknown[] } }).tandemPhone.events.length);
      const failed = callExpectingFailure(page, 'ringphone');
      await page.waitForFunction((n) => (globalThis as unknown as { tandemPhone: { events: Array<{ type: string }> } }).tandemPhone.events.slice(n).some((e) => e.type === 'call-ringing'), before, { timeout: 10000 });
      expect(engineCalls(h)).to.equal(1);
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hangup(): void } }).tandemPhone.hangup());
      expect(await failed).to.not.equal(null);
      const res = await ring.wait();
      expect(res.code, res.errors + res.screen.slice(-1500)).to.equal(0);
      expect(res.messages).to.match(/^CANCEL sip:/m);
      await waitFor('engine call closed', () => engineCalls(h) === 0);
      await waitFor('session ended', () => h.gw.calls?.active === 0);
    });

    it('the phone answers with a codec that was not offered: 488 to the page, BYE to the phone, no engine call left', async () => {
      const err = await callExpectingFailure(browser.page, 'oddphone');
      expect(err).to.match(/Not Acceptable|488|Incompatible/i);
      const res = await g729.wait();
      expect(res.code, res.errors + res.screen.slice(-1500)).to.equal(0);
      expect(res.messages).to.match(/^BYE sip:/m);
      await waitFor('engine call closed', () => engineCalls(h) === 0);
      await waitFor('session ended', () => h.gw.calls?.active === 0);
    });

    it('early media: SIPp answers 183 with SDP and echoes; the page hears its own 440 Hz before the 200 OK, then the call is answered', async () => {
      const page = browser.page;
      await pageIdle(page);
      const answered = page.evaluate(() => (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('earlyphone'));
      let answeredYet = false;
      void answered.then(() => { answeredYet = true; }, () => undefined);
      await waitRemoteAudio(page, 'the echoed 440 Hz during early media', (r) => r.rms > 0.02 && near(r.peakHz, 440), 3000);
      expect(answeredYet, 'heard before the 200 OK').to.equal(false);
      expect(await page.evaluate(() => (globalThis as unknown as { tandemPhone: { state: { call: string } } }).tandemPhone.state.call)).to.not.equal('active');
      await answered;
      await waitRemoteAudio(page, 'the echoed 440 Hz after the answer', (r) => r.rms > 0.02 && near(r.peakHz, 440), 8000);
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hangup(): void } }).tandemPhone.hangup());
      const res = await early.wait();
      expect(res.code, res.errors + res.screen.slice(-1500)).to.equal(0);
      expect(res.messages).to.match(/^BYE sip:/m);
      await waitFor('engine call closed', () => engineCalls(h) === 0);
    });
  });
}
