// End to end through the whole Gateway (embedded SIP + drachtio, TandemApp, SessionFactory, media engine):
// Chromium (demo page, fake mic 440 Hz) registers as alice over WebSocket and calls a baresip desk phone
// (static endpoint, plays 1000 Hz and records) on plain RTP/AVP PCMU; tones are checked both ways
// (the page's analyser; Goertzel on baresip's recording). Then baresip calls alice and the page answers.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { startBaresip, stopAllBaresip, type BaresipInstance } from '../../helpers/baresip.js';
import { toneDominates } from '../../helpers/tone.js';
import { inNetns, runMochaInNetns } from '../../helpers/netns.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { api, launchBrowser, type TestBrowser } from '../web/browser.js';
import { browserSsrcs, near, recordPeerConnections, registerPage, startGateway, waitRemoteAudio, type GatewayHarness } from './gateway-harness.js';

const thisFile = fileURLToPath(import.meta.url);

async function engineCalls(h: GatewayHarness): Promise<number> {
  return (h.gw.media?.load() ?? []).reduce((a, b) => a + b, 0);
}

async function waitFor(what: string, ok: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

if (!inNetns()) {
  describe('e2e session: Chromium ↔ Tandem ↔ baresip (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(300000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 290000, mochaArgs: ['--timeout', '90000'] });
      if (r.code !== 0 || process.env.VERBOSE === '1') console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\b3 passing\b/);
    });
  });
} else {
  describe('e2e session: Chromium page ↔ Tandem gateway ↔ baresip desk phone (netns)', function () {
    this.timeout(90000);
    let h: GatewayHarness;
    let phone: BaresipInstance;
    let srtpPhone: BaresipInstance;
    let browser: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('session-e2e');
      phone = await startBaresip({ user: 'deskphone', toneHz: 1000, codecs: 'PCMU', answerMode: 'auto', accountParams: ['auth_user=deskphone', 'auth_pass=deskphone-pw'] });
      srtpPhone = await startBaresip({ user: 'srtpphone', toneHz: 1000, codecs: 'PCMU', answerMode: 'auto', mediaenc: 'srtp-mand', verbose: true });
      h = await startGateway([
        { name: 'deskphone', contact: `sip:deskphone@127.0.0.1:${phone.sipPort}`, profile: 'deskphone' },
        { name: 'srtpphone', contact: `sip:srtpphone@127.0.0.1:${srtpPhone.sipPort}`, profile: 'srtpphone' },
      ]);
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

    it('browser calls the desk phone (PCMU, RTP/AVP): 1000 Hz heard in the page, 440 Hz recorded by baresip; hang-up from the page BYEs the phone', async () => {
      const page = browser.page;
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('deskphone'));
      expect(await page.evaluate(() => (globalThis as unknown as { tandemPhone: { state: { call: string } } }).tandemPhone.state.call)).to.equal('active');
      await phone.waitForEvent('CALL_ESTABLISHED', 10000);
      const heard = await waitRemoteAudio(page, 'the page hears the phone\'s 1000 Hz', (r) => r.rms > 0.02 && near(r.peakHz, 1000), 10000).catch(async (e: unknown) => {
        for (const id of h.gw.calls?.mediaIds() ?? []) console.log('engine stats', JSON.stringify(await h.gw.media?.stats(id)));
        console.log('page stats', JSON.stringify(await page.evaluate(() => (globalThis as unknown as { tandemPhone: { getStats(): Promise<unknown> } }).tandemPhone.getStats())));
        throw e;
      });
      expect(near(heard.peakHz, 1000)).to.equal(true);
      expect(await engineCalls(h)).to.equal(1);
      // Tandem's answer announces the SSRC its bridge actually sends with (RFC 5576), and the page's track plays it.
      const ssrcs = await browserSsrcs(page);
      expect(ssrcs.announced, 'a=ssrc in Tandem\'s answer').to.have.length(1);
      expect(ssrcs.received, 'SSRC of the packets the page receives').to.deep.equal(ssrcs.announced);
      await new Promise((r) => setTimeout(r, 3000));
      const closed = phone.waitForEvent('CALL_CLOSED', 10000);
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hangup(): void } }).tandemPhone.hangup());
      await closed;
      await waitFor('engine call closed', async () => (await engineCalls(h)) === 0);
      await waitFor('session ended', async () => h.gw.calls?.active === 0);
      const rec = phone.readRecording('dec');
      const rep = toneDominates(rec.samples, rec.rate, 440, { candidates: [1000], skipMs: 1500 });
      expect(rep.fraction, `baresip heard 440 Hz: ${JSON.stringify(rep)}`).to.be.greaterThan(0.5);
    });

    it('the desk phone calls alice; the page answers; tones both ways; the phone hangs up and the page sees the BYE', async () => {
      const page = browser.page;
      const incoming = page.evaluate(() => (globalThis as unknown as { tandemPhone: { waitForEvent(t: string, ms: number): Promise<unknown> } }).tandemPhone.waitForEvent('call-incoming', 15000));
      await phone.dial(`sip:alice@127.0.0.1:${h.sipUdpPort}`);
      await incoming;
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { answer(): Promise<void> } }).tandemPhone.answer());
      await phone.waitForEvent('CALL_ESTABLISHED', 10000);
      await waitRemoteAudio(page, 'the page hears 1000 Hz', (r) => r.rms > 0.02 && near(r.peakHz, 1000), 10000);
      // Tandem's offer announced the SSRC the bridge sends toward the page.
      const ssrcs = await browserSsrcs(page);
      expect(ssrcs.announced, 'a=ssrc in Tandem\'s offer').to.have.length(1);
      expect(ssrcs.received, 'SSRC of the packets the page receives').to.deep.equal(ssrcs.announced);
      await new Promise((r) => setTimeout(r, 3000));
      const ended = page.evaluate(() => (globalThis as unknown as { tandemPhone: { waitForEvent(t: string, ms: number): Promise<{ detail?: { originator?: string } }> } }).tandemPhone.waitForEvent('call-ended', 10000));
      await phone.hangup();
      expect((await ended).detail?.originator).to.equal('remote');
      await waitFor('engine call closed', async () => (await engineCalls(h)) === 0);
      const recs = phone.recordings('dec');
      expect(recs.length).to.be.greaterThan(0);
      const rec = phone.readRecording('dec');
      const rep = toneDominates(rec.samples, rec.rate, 440, { candidates: [1000], skipMs: 1500 });
      expect(rep.fraction, `baresip heard 440 Hz: ${JSON.stringify(rep)}`).to.be.greaterThan(0.5);
      void api;
    });

    it('browser calls an SDES-SRTP desk phone (baresip mediaenc=srtp-mand, RTP/SAVP): tones both ways', async () => {
      const page = browser.page;
      await page.waitForFunction(() => (globalThis as unknown as { tandemPhone: { state: { call: string } } }).tandemPhone.state.call === 'idle', null, { timeout: 10000 });
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('srtpphone'));
      await srtpPhone.waitForEvent('CALL_ESTABLISHED', 10000);
      await waitRemoteAudio(page, 'the page hears the SRTP phone\'s 1000 Hz', (r) => r.rms > 0.02 && near(r.peakHz, 1000), 10000);
      expect(srtpPhone.srtpEnabled(), 'baresip negotiated SRTP').to.equal(true);
      await new Promise((r) => setTimeout(r, 3000));
      const ids = h.gw.calls?.mediaIds() ?? [];
      expect(ids).to.have.length(1);
      const st = await h.gw.media?.stats(ids[0]);
      expect(st?.rtp?.srtpAuthFailures, 'SRTP from baresip authenticates').to.equal(0);
      const closed = srtpPhone.waitForEvent('CALL_CLOSED', 10000);
      await page.evaluate(() => (globalThis as unknown as { tandemPhone: { hangup(): void } }).tandemPhone.hangup());
      await closed;
      await waitFor('engine call closed', async () => (await engineCalls(h)) === 0);
      const rec = srtpPhone.readRecording('dec');
      const rep = toneDominates(rec.samples, rec.rate, 440, { candidates: [1000], skipMs: 1500 });
      expect(rep.fraction, `SRTP baresip heard 440 Hz: ${JSON.stringify(rep)}`).to.be.greaterThan(0.5);
    });
  });
}
