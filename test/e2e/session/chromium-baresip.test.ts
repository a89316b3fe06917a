// End to end through the whole Gateway (embedded SIP + drachtio, TandemApp, SessionFactory, media engine):
// Chromium (demo page, fake mic 440 Hz) and two baresip desk phones (static endpoints, each plays
// 1000 Hz and records what it hears): one on plain RTP/AVP PCMU, one on SDES-SRTP (RTP/SAVP,
// mediaenc=srtp-mand). For each phone, one full call: tones both ways (the page's analyser; Goertzel
// on baresip's recording), digits typed on the page's dial pad arrive at baresip as RFC 4733 events
// (its ctrl_tcp CALL_DTMF_START events and its "received event" log), hold/resume from the page and
// from the phone (audio stops, then comes back), then a hang-up; a second call in the other
// direction hangs up from the other side. The SDES calls run with the page loaded over HTTPS and
// registered over WSS (self-signed certificate).
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startBaresip, stopAllBaresip, type BaresipInstance } from '../../helpers/baresip.js';
import { toneDominates } from '../../helpers/tone.js';
import { inNetns, runMochaInNetns } from '../../helpers/netns.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { launchBrowser, type PhoneApi, type TestBrowser } from '../web/browser.js';
import { browserSsrcs, recordPeerConnections, registerPage, startGateway, type GatewayHarness } from './gateway-harness.js';
import {
  dumpCallStats, engineCalls, pageCall, pageEventMark, pageHangup, pageState, pressKeypad, sleep, waitCallReleased, waitFor,
  waitPageEvent, waitSilence, waitTone,
} from './page-steps.js';

const thisFile = fileURLToPath(import.meta.url);
const DIGITS = '19#*0';

/** Digits baresip reported receiving (ctrl_tcp CALL_DTMF_START events) since event index `from`. */
function dtmfAtPhone(phone: BaresipInstance, from: number): string {
  return phone.events.slice(from).filter((e) => e.type === 'CALL_DTMF_START').map((e) => String(e.param ?? '')).join('');
}

/** Digits in baresip's log: its audio stream prints "received event: 'X' (end=1)" when an RFC 4733 event ends. */
function dtmfInLog(phone: BaresipInstance): string {
  return [...phone.proc.stdout.matchAll(/received event: '(.)' \(end=1\)/g)].map((m) => m[1]).join('');
}

/** How much 440 Hz the last `lastMs` of baresip's newest "heard" recording hold (after the last resume). */
function tailTone(phone: BaresipInstance, lastMs: number): ReturnType<typeof toneDominates> {
  const rec = phone.readRecording('dec');
  const skipMs = Math.max(0, rec.durationS * 1000 - lastMs);
  return toneDominates(rec.samples, rec.rate, 440, { candidates: [1000], skipMs });
}

/**
 * One full call from the page to `phone` (dialled as `target`): tones both ways, dial-pad DTMF,
 * hold/resume from the page, then from the phone, and the hang-up from `hangupBy`.
 */
async function fullCall(h: GatewayHarness, page: Page, phone: BaresipInstance, target: string, hangupBy: 'page' | 'phone', o: { srtp?: boolean } = {}): Promise<void> {
  const evFrom = phone.events.length;
  const logFrom = dtmfInLog(phone).length;
  await pageCall(page, target);
  expect((await pageState(page)).call).to.equal('active');
  await phone.waitForEvent('CALL_ESTABLISHED', 10000);
  await waitTone(page, `the page hears ${target}'s 1000 Hz`, 1000).catch(async (e: unknown) => {
    await dumpCallStats(h, page);
    throw e;
  });
  expect(engineCalls(h)).to.equal(1);
  const ssrcs = await browserSsrcs(page);
  expect(ssrcs.announced, 'a=ssrc in Tandem\'s answer').to.have.length(1);
  expect(ssrcs.received, 'SSRC of the packets the page receives').to.deep.equal(ssrcs.announced);
  await sleep(1500);

  // Dial pad during the call: RFC 4733 through Tandem (WebRTC leg → SIP leg) to baresip.
  await pressKeypad(page, DIGITS);
  await waitFor(`baresip ${target} reports DTMF ${DIGITS}`, () => dtmfAtPhone(phone, evFrom).length >= DIGITS.length, 5000).catch((e: unknown) => {
    console.log('baresip events', JSON.stringify(phone.events.slice(evFrom)));
    throw e;
  });
  expect(dtmfAtPhone(phone, evFrom), 'digits in baresip\'s CALL_DTMF_START events').to.equal(DIGITS);
  expect(dtmfInLog(phone).slice(logFrom), 'digits in baresip\'s "received event" log').to.equal(DIGITS);

  // Hold from the page (a=sendonly toward the phone, which answers recvonly and goes quiet), resume.
  await page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.hold());
  expect((await pageState(page)).held).to.equal(true);
  await waitSilence(page, 'silence while the page holds');
  await page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.unhold());
  expect((await pageState(page)).held).to.equal(false);
  await waitTone(page, 'the phone\'s 1000 Hz after the page resumes', 1000);

  // Hold from the phone (baresip's hold command: re-INVITE a=sendonly through Tandem to the page), resume.
  const pageEv = await pageEventMark(page);
  const held = await phone.command('hold');
  expect(held.ok, `baresip hold: ${JSON.stringify(held)}`).to.equal(true);
  await waitPageEvent(page, 'hold', pageEv);
  expect((await pageState(page)).remoteHeld, 'the page sees the remote hold').to.equal(true);
  await waitSilence(page, 'silence while the phone holds');
  const resumed = await phone.command('resume');
  expect(resumed.ok, `baresip resume: ${JSON.stringify(resumed)}`).to.equal(true);
  await waitPageEvent(page, 'unhold', pageEv);
  expect((await pageState(page)).remoteHeld).to.equal(false);
  await waitTone(page, 'the phone\'s 1000 Hz after the phone resumes', 1000).catch(async (e: unknown) => {
    await dumpCallStats(h, page);
    throw e;
  });
  // Long enough after the last resume for baresip's recording to show the page's tone again.
  await sleep(2500);
  const ssrcsAfter = await browserSsrcs(page);
  expect(ssrcsAfter.received, 'after the re-INVITEs, the page still plays the announced SSRC').to.deep.equal(ssrcsAfter.announced);

  if (o.srtp === true) {
    const ids = h.gw.calls?.mediaIds() ?? [];
    expect(ids).to.have.length(1);
    const st = await h.gw.media?.stats(ids[0]);
    expect(st?.rtp?.srtpAuthFailures, 'SRTP from baresip authenticates').to.equal(0);
  }
  if (hangupBy === 'page') {
    const closedBefore = phone.events.filter((e) => e.type === 'CALL_CLOSED').length;
    await pageHangup(page);
    await waitFor('baresip CALL_CLOSED', () => phone.events.filter((e) => e.type === 'CALL_CLOSED').length > closedBefore, 10000);
  } else {
    const pageEv2 = await pageEventMark(page);
    await phone.hangup();
    const ended = await waitPageEvent(page, 'call-ended', pageEv2);
    expect(ended.originator, 'the page sees the phone\'s BYE').to.equal('remote');
  }
  await waitCallReleased(h);
  const rec = phone.readRecording('dec');
  const all = toneDominates(rec.samples, rec.rate, 440, { candidates: [1000], skipMs: 1500 });
  const tail = tailTone(phone, 2000);
  expect(all.fraction, `baresip ${target} heard 440 Hz during the call: ${JSON.stringify(all)}`).to.be.greaterThan(0.5);
  expect(tail.fraction, `baresip ${target} heard 440 Hz after the last resume: ${JSON.stringify(tail)}`).to.be.greaterThan(0.7);
}

/** `phone` calls alice; the page answers; tones both ways; `hangupBy` ends the call. */
async function incomingCall(h: GatewayHarness, page: Page, phone: BaresipInstance, hangupBy: 'page' | 'phone'): Promise<void> {
  const evFrom = await pageEventMark(page);
  const established = phone.events.filter((e) => e.type === 'CALL_ESTABLISHED').length;
  await phone.dial(`sip:alice@127.0.0.1:${h.sipUdpPort}`);
  await waitPageEvent(page, 'call-incoming', evFrom, 15000);
  await page.evaluate(() => (globalThis as unknown as { tandemPhone: PhoneApi }).tandemPhone.answer());
  await waitFor('baresip CALL_ESTABLISHED', () => phone.events.filter((e) => e.type === 'CALL_ESTABLISHED').length > established, 10000);
  await waitTone(page, 'the page hears the phone\'s 1000 Hz', 1000);
  // Tandem's offer announced the SSRC the bridge sends toward the page.
  const ssrcs = await browserSsrcs(page);
  expect(ssrcs.announced, 'a=ssrc in Tandem\'s offer').to.have.length(1);
  expect(ssrcs.received, 'SSRC of the packets the page receives').to.deep.equal(ssrcs.announced);
  await sleep(2500);
  const closedBefore = phone.events.filter((e) => e.type === 'CALL_CLOSED').length;
  if (hangupBy === 'phone') {
    const endFrom = await pageEventMark(page);
    await phone.hangup();
    expect((await waitPageEvent(page, 'call-ended', endFrom)).originator).to.equal('remote');
  } else {
    await pageHangup(page);
    await waitFor('baresip CALL_CLOSED', () => phone.events.filter((e) => e.type === 'CALL_CLOSED').length > closedBefore, 10000);
  }
  await waitCallReleased(h);
  const rec = phone.readRecording('dec');
  const rep = toneDominates(rec.samples, rec.rate, 440, { candidates: [1000], skipMs: 1500 });
  expect(rep.fraction, `baresip heard 440 Hz: ${JSON.stringify(rep)}`).to.be.greaterThan(0.5);
}

if (!inNetns()) {
  describe('e2e session: Chromium ↔ Tandem ↔ baresip (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(300000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 290000, mochaArgs: ['--timeout', '90000'] });
      if (r.code !== 0 || process.env.VERBOSE === '1') console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\b4 passing\b/);
    });
  });
} else {
  describe('e2e session: Chromium page ↔ Tandem gateway ↔ baresip desk phones (netns)', function () {
    this.timeout(90000);
    let h: GatewayHarness;
    let phone: BaresipInstance;
    let srtpPhone: BaresipInstance;
    let browser: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('session-e2e');
      phone = await startBaresip({ user: 'deskphone', toneHz: 1000, codecs: 'PCMU', answerMode: 'auto', accountParams: ['auth_user=deskphone', 'auth_pass=deskphone-pw'], timeoutMs: 240000 });
      srtpPhone = await startBaresip({ user: 'srtpphone', toneHz: 1000, codecs: 'PCMU', answerMode: 'auto', mediaenc: 'srtp-mand', verbose: true, accountParams: ['auth_user=srtpphone', 'auth_pass=srtpphone-pw'], timeoutMs: 240000 });
      h = await startGateway([
        { name: 'deskphone', contact: `sip:deskphone@127.0.0.1:${phone.sipPort}`, profile: 'deskphone' },
        { name: 'srtpphone', contact: `sip:srtpphone@127.0.0.1:${srtpPhone.sipPort}`, profile: 'srtpphone' },
      ], { tls: true });
      browser = await launchBrowser(dir, { toneHz: 440, name: 'alice' });
      await registerPage(browser.page, h, 'alice', 'alice-pw');
      await recordPeerConnections(browser.page);
    });
    afterEach(async () => {
      // a failed test must not leave a call that makes the next one fail too
      const st = await pageState(browser.page).catch(() => ({ call: 'idle' }));
      if (['calling', 'ringing', 'incoming', 'active'].includes(st.call)) await pageHangup(browser.page).catch(() => undefined);
      for (const p of [phone, srtpPhone]) await p.hangup().catch(() => undefined);
    });
    after(async () => {
      await browser?.close();
      await stopAllBaresip();
      await h?.stop();
      if (dir) removeTempDir(dir);
    });

    it('PCMU desk phone (RTP/AVP): the page calls; tones both ways; dial-pad DTMF reaches baresip; hold/resume from the page and from the phone; the page hangs up', async () => {
      await fullCall(h, browser.page, phone, 'deskphone', 'page');
      expect(phone.audioCodecs()).to.deep.equal({ encoder: 'PCMU', decoder: 'PCMU' });
    });

    it('PCMU desk phone calls alice; the page answers; tones both ways; the phone hangs up', async () => {
      await incomingCall(h, browser.page, phone, 'phone');
    });

    it('over HTTPS + WSS (self-signed certificate): SDES-SRTP phone (RTP/SAVP): the page calls; tones both ways; dial-pad DTMF; hold/resume both sides; the phone hangs up', async () => {
      const page = browser.page;
      await registerPage(page, h, 'alice', 'alice-pw', { secure: true });
      await recordPeerConnections(page);
      expect(page.url()).to.match(/^https:\/\/127\.0\.0\.1:\d+\/$/);
      const transport = (): ReturnType<NonNullable<GatewayHarness['gw']['sip']>['stack']['transport']['stats']> => h.gw.sip!.stack.transport.stats();
      await waitFor('the page\'s ws: connection closed', () => (transport().ws?.connections ?? 0) === 0);
      expect(transport().wss?.connections, 'the page\'s one wss: connection').to.equal(1);
      const wssBefore = transport().wss?.received ?? 0;
      await fullCall(h, page, srtpPhone, 'srtpphone', 'phone', { srtp: true });
      expect(transport().wss?.received ?? 0, 'the call\'s signaling came over WSS').to.be.greaterThan(wssBefore + 4);
      expect(srtpPhone.srtpEnabled(), 'baresip negotiated SRTP').to.equal(true);
    });

    it('over WSS: the SDES-SRTP phone calls alice; the page answers; tones both ways; the page hangs up', async () => {
      await incomingCall(h, browser.page, srtpPhone, 'page');
      expect(srtpPhone.srtpEnabled()).to.equal(true);
    });
  });
}
