// Two demo pages (two Chromium instances) register to Kamailio and call each other
// through it: Kamailio proxies the SIP over WebSocket, media flows browser ↔ browser on
// loopback. Checks the page's call controls and the audio: alice's fake mic plays 1 kHz,
// bob's 440 Hz; each page's analyser must hear the other's tone.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startWebServer } from '../../integration/web/web-harness.js';
import { startKamailio, type Kamailio } from './kamailio.js';
import { launchBrowser, waitForText, type TestBrowser } from './browser.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { inNetns, runMochaInNetns } from '../../helpers/netns.js';

const thisFile = fileURLToPath(import.meta.url);

interface Reading { rms: number; peakHz: number }

/** Polls the page's remote analyser until `ok` holds (or throws with the last readings). */
async function waitRemoteAudio(page: Page, what: string, ok: (r: Reading) => boolean, timeoutMs = 6000): Promise<Reading> {
  const deadline = Date.now() + timeoutMs;
  const seen: Reading[] = [];
  for (;;) {
    const r = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { getAudio(): { remote: Reading | null } } }).tandemPhone.getAudio().remote);
    const reading = r ?? { rms: 0, peakHz: 0 };
    seen.push(reading);
    // two consecutive good readings, so a transient does not pass
    if (ok(reading) && seen.length >= 2 && ok(seen[seen.length - 2])) return reading;
    if (Date.now() > deadline) throw new Error(`${what}: last readings ${JSON.stringify(seen.slice(-4))}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

const near = (hz: number, target: number): boolean => Math.abs(hz - target) <= 25;

async function state(page: Page): Promise<{ registration: string; call: string; held: boolean; remoteHeld: boolean; muted: boolean; remote: string | null }> {
  return page.evaluate(() => (globalThis as unknown as { tandemPhone: { state: { registration: string; call: string; held: boolean; remoteHeld: boolean; muted: boolean; remote: string | null } } }).tandemPhone.state);
}

if (!inNetns()) {
  describe('e2e web: two pages call each other through Kamailio (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(120000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 110000, mochaArgs: ['--timeout', '60000'] });
      if (r.code !== 0 || process.env.VERBOSE === '1') console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\b3 passing\b/);
    });
  });
} else {
  describe('e2e web: alice and bob pages call through Kamailio (netns)', function () {
    this.timeout(60000);
    let kam: Kamailio;
    let web: Awaited<ReturnType<typeof startWebServer>>;
    let alice: TestBrowser;
    let bob: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('web-call');
      kam = await startKamailio({ alice: 'alice-pw', bob: 'bob-pw' });
      web = await startWebServer({ https: false, client: { publicWsUrls: [kam.wsUrl], realm: 'tandem.test' } });
      [alice, bob] = await Promise.all([launchBrowser(dir, { toneHz: 1000, name: 'alice' }), launchBrowser(dir, { toneHz: 440, name: 'bob' })]);
      const login = async (b: TestBrowser, user: string, password: string): Promise<void> => {
        await b.page.goto(`${web.http}/`);
        await b.page.evaluate(() => (globalThis as unknown as { tandemPhone: { ready: Promise<void> } }).tandemPhone.ready);
        await b.page.evaluate(async (o) => {
          await (globalThis as unknown as { tandemPhone: { register(x: object): Promise<void> } }).tandemPhone.register(o);
        }, { wsUrl: kam.wsUrl, user, password, domain: 'tandem.test', audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
      };
      await Promise.all([login(alice, 'alice', 'alice-pw'), login(bob, 'bob', 'bob-pw')]);
    });
    after(async () => {
      await alice?.close();
      await bob?.close();
      await web?.server.close();
      await kam?.stop();
      if (dir) removeTempDir(dir);
    });

    it('call, answer from the UI, tones both ways, stats, DTMF (RFC 4733 and INFO), hold/resume, mute, hang up', async () => {
      const started = Date.now();
      expect((await state(alice.page)).registration).to.equal('registered');
      expect((await state(bob.page)).registration).to.equal('registered');

      // alice calls bob; bob's page shows the incoming call; bob answers with the button
      const incoming = bob.page.evaluate(() => (globalThis as unknown as { tandemPhone: { waitForEvent(t: string, ms: number): Promise<unknown> } }).tandemPhone.waitForEvent('call-incoming', 10000));
      const answered = alice.page.evaluate(() => (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('bob'));
      await incoming;
      await bob.page.waitForSelector('#incoming:not([hidden])');
      expect(await bob.page.textContent('#incoming-from')).to.equal('sip:alice@tandem.test');
      await bob.page.getByRole('button', { name: 'Answer' }).click();
      await answered;
      expect((await state(alice.page)).call).to.equal('active');
      await bob.page.waitForFunction(() => (globalThis as unknown as { tandemPhone: { state: { call: string } } }).tandemPhone.state.call === 'active');

      // audio: each side hears the other's tone
      const atBob = await waitRemoteAudio(bob.page, 'bob hears 1 kHz', (r) => r.rms > 0.02 && near(r.peakHz, 1000));
      const atAlice = await waitRemoteAudio(alice.page, 'alice hears 440 Hz', (r) => r.rms > 0.02 && near(r.peakHz, 440));
      expect(near(atBob.peakHz, 1000) && near(atAlice.peakHz, 440)).to.equal(true);

      // live statistics from getStats()
      const stats = await alice.page.evaluate(() => (globalThis as unknown as { tandemPhone: { getStats(): Promise<unknown> } }).tandemPhone.getStats()) as {
        codec: { send: string; receive: string }; sent: { packets: number }; received: { packets: number; lossPercent: number }; audioLevel: { remote: number }; transport: { dtlsState: string };
      };
      expect(stats.codec.send).to.match(/^opus\/48000/i);
      expect(stats.sent.packets).to.be.greaterThan(20);
      expect(stats.received.packets).to.be.greaterThan(20);
      expect(stats.audioLevel.remote).to.be.greaterThan(0.01);
      expect(stats.transport.dtlsState).to.equal('connected');
      // and the page renders them
      await waitForText(alice.page, '#st-codec', (t) => t.toLowerCase().startsWith('opus'), 3000);

      // DTMF over SIP INFO arrives at bob's page; RFC 4733 digits leave alice's RTCDTMFSender
      await alice.page.evaluate(() => (globalThis as unknown as { tandemPhone: { sendDtmf(d: string, o: object): void } }).tandemPhone.sendDtmf('12#', { transport: 'info' }));
      await bob.page.waitForFunction(() => (globalThis as unknown as { tandemPhone: { dtmfReceived: string[] } }).tandemPhone.dtmfReceived.length >= 3, null, { timeout: 5000 }).catch(async (e: unknown) => {
        const evs = async (p: Page): Promise<unknown> => p.evaluate(() => (globalThis as unknown as { tandemPhone: { events: Array<{ type: string }> } }).tandemPhone.events.filter((x) => x.type !== 'stats').slice(-15));
        console.log('diagnostics: alice events', JSON.stringify(await evs(alice.page)), '\ndiagnostics: bob events', JSON.stringify(await evs(bob.page)), '\nkamailio log tail', kam.proc.stderr.slice(-3000));
        throw e;
      });
      expect(await bob.page.evaluate(() => (globalThis as unknown as { tandemPhone: { dtmfReceived: string[] } }).tandemPhone.dtmfReceived)).to.deep.equal(['1', '2', '#']);
      await alice.page.evaluate(() => (globalThis as unknown as { tandemPhone: { sendDtmf(d: string, o: object): void } }).tandemPhone.sendDtmf('59*', { transport: 'rtp' }));
      await alice.page.waitForFunction(() => (globalThis as unknown as { tandemPhone: { dtmfSentRtp: string[] } }).tandemPhone.dtmfSentRtp.length >= 3, null, { timeout: 5000 });
      expect(await alice.page.evaluate(() => (globalThis as unknown as { tandemPhone: { dtmfSentRtp: string[] } }).tandemPhone.dtmfSentRtp)).to.deep.equal(['5', '9', '*']);

      // hold from alice's UI: both sides go quiet; resume: the tones come back
      await alice.page.getByRole('button', { name: 'Hold' }).click();
      await alice.page.waitForFunction(() => (globalThis as unknown as { tandemPhone: { state: { held: boolean } } }).tandemPhone.state.held);
      await bob.page.waitForFunction(() => (globalThis as unknown as { tandemPhone: { state: { remoteHeld: boolean } } }).tandemPhone.state.remoteHeld);
      expect(await alice.page.getAttribute('#hold', 'aria-pressed')).to.equal('true');
      await waitRemoteAudio(bob.page, 'bob hears silence while held', (r) => r.rms < 0.005);
      await waitRemoteAudio(alice.page, 'alice hears silence while holding', (r) => r.rms < 0.005);
      await alice.page.getByRole('button', { name: 'Resume' }).click();
      await bob.page.waitForFunction(() => !(globalThis as unknown as { tandemPhone: { state: { remoteHeld: boolean } } }).tandemPhone.state.remoteHeld);
      await waitRemoteAudio(bob.page, 'bob hears 1 kHz after resume', (r) => r.rms > 0.02 && near(r.peakHz, 1000));
      await waitRemoteAudio(alice.page, 'alice hears 440 Hz after resume', (r) => r.rms > 0.02 && near(r.peakHz, 440));

      // mute bob: alice hears nothing; unmute: 440 Hz again
      await bob.page.getByRole('button', { name: 'Mute' }).click();
      await waitRemoteAudio(alice.page, 'alice hears silence while bob is muted', (r) => r.rms < 0.005);
      expect(near((await waitRemoteAudio(bob.page, 'bob still hears alice', (r) => near(r.peakHz, 1000))).peakHz, 1000)).to.equal(true);
      await bob.page.getByRole('button', { name: 'Unmute' }).click();
      await waitRemoteAudio(alice.page, 'alice hears 440 Hz after unmute', (r) => r.rms > 0.02 && near(r.peakHz, 440));

      // bob hangs up from the UI; alice's page sees the BYE
      const ended = alice.page.evaluate(() => (globalThis as unknown as { tandemPhone: { waitForEvent(t: string, ms: number): Promise<{ detail?: { originator?: string } }> } }).tandemPhone.waitForEvent('call-ended', 5000));
      await bob.page.getByRole('button', { name: 'Hang up' }).click();
      expect((await ended).detail?.originator).to.equal('remote');
      expect((await state(alice.page)).call).to.be.oneOf(['ended', 'idle']);
      expect((await state(bob.page)).call).to.be.oneOf(['ended', 'idle']);
      expect([...alice.errors, ...bob.errors]).to.deep.equal([]);
      console.log(`call scenario took ${Date.now() - started} ms`);
    });

    it('a call to a user who is not registered fails with Not Found', async () => {
      const err = await alice.page.evaluate(async () => {
        try {
          await (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('carol');
          return null;
        } catch (e) {
          return String(e);
        }
      });
      expect(err).to.match(/Not Found/);
      await waitForText(alice.page, '#call-state', (t) => t.includes('Not Found'), 3000);
    });

    it('bob declines: alice\'s call fails with Busy', async () => {
      await alice.page.waitForFunction(() => (globalThis as unknown as { tandemPhone: { state: { call: string } } }).tandemPhone.state.call !== 'calling');
      const incoming = bob.page.evaluate(() => (globalThis as unknown as { tandemPhone: { waitForEvent(t: string, ms: number): Promise<unknown> } }).tandemPhone.waitForEvent('call-incoming', 10000));
      const result = alice.page.evaluate(async () => {
        try {
          await (globalThis as unknown as { tandemPhone: { call(t: string): Promise<void> } }).tandemPhone.call('bob');
          return null;
        } catch (e) {
          return String(e);
        }
      });
      await incoming;
      await bob.page.getByRole('button', { name: 'Decline' }).click();
      expect(await result).to.match(/Busy/);
    });
  });
}
