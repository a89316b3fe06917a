// End to end through the whole Gateway with SIPp desk phones: Chromium (demo page, fake mic 440 Hz)
// calls a SIPp UAS answering PCMA at 30 ms with -rtp_echo (the page must hear its own 440 Hz echoed
// back through Tandem both ways); digits typed on the page's dial pad reach SIPp as RFC 4733 events
// (tcpdump on lo in the namespace captures what arrives at SIPp's media port: the events and the
// PCMA audio at 30 ms); holds and resumes from the page (re-INVITEs relayed to SIPp, silence while
// held), hangs up (BYE reaches SIPp). A second PCMA 30 ms SIPp hangs up itself (BYE to the page).
// Negative: 486 busy, CANCEL while ringing, an answer with a codec that was not offered (488 to the
// page, BYE to SIPp): no engine call leaks. Trunk: a SIPp carrier demanding digest on REGISTER and
// INVITE; the page dials a national number; SIPp checks the E.164 Request-URI and
// P-Asserted-Identity (check_it), answers and echoes; the page hangs up.
import { expect } from 'chai';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { startSipp, stopAllSipp, type SippInstance } from '../../helpers/sipp.js';
import { inNetns, runMochaInNetns } from '../../helpers/netns.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import { fixturesDir, repoRoot } from '../../helpers/paths.js';
import { hdr, parseSip, type SipMsg } from '../../helpers/sip-text.js';
import { toneDominates } from '../../helpers/tone.js';
import { carrierTrunkConfig } from '../../integration/trunk/trunk-peer.js';
import { launchBrowser, type TestBrowser } from '../web/browser.js';
import { browserSsrcs, near, pcDump, recordPeerConnections, registerPage, startGateway, waitRemoteAudio, type GatewayHarness } from './gateway-harness.js';
import { engineCalls, pageCall, pageEventMark, pageHangup, pageIdle, pressKeypad, sleep, waitCallReleased, waitFor, waitPageEvent, waitTone } from './page-steps.js';
import { RtpCapture, decodeG711, telephoneEvents } from './rtp-capture.js';

const thisFile = fileURLToPath(import.meta.url);
const DIGITS = '73#*0';
const scenario = (name: string): string => path.join(repoRoot, 'test', 'e2e', 'session', 'sipp', name);

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

/** Messages SIPp received, from its -trace_msg log ("----- ... message received [N] bytes :" blocks). */
function receivedBySipp(sipp: SippInstance): SipMsg[] {
  const file = path.join(sipp.dir, 'messages.log');
  const log = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  const out: SipMsg[] = [];
  const re = /message received \[\d+\] bytes :\s*\n\n([\s\S]*?)(?=\n-{10,}|$)/g;
  for (let m = re.exec(log); m; m = re.exec(log)) out.push(parseSip(m[1]!.replace(/\r?\n/g, '\r\n')));
  return out;
}

if (!inNetns()) {
  describe('e2e session: Chromium ↔ Tandem ↔ SIPp (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(300000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 290000, mochaArgs: ['--timeout', '90000'] });
      if (r.code !== 0 || process.env.VERBOSE === '1') console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      expect(r.stdout).to.match(/\b7 passing\b/);
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
    let byer: SippInstance;
    let trunk: SippInstance;
    let browser: TestBrowser;
    let dir: string;

    before(async () => {
      dir = makeTempDir('session-sipp');
      echo = await startSipp({ scenario: scenario('uas_pcma30_echo_hold.xml'), rtpEcho: true, timeoutMs: 240000 });
      busy = await startSipp({ scenario: scenario('uas_busy.xml'), timeoutMs: 240000 });
      ring = await startSipp({ scenario: scenario('uas_cancel.xml'), timeoutMs: 240000 });
      g729 = await startSipp({ scenario: scenario('uas_g729.xml'), timeoutMs: 240000 });
      early = await startSipp({ scenario: scenario('uas_early_echo.xml'), rtpEcho: true, timeoutMs: 240000 });
      byer = await startSipp({ scenario: scenario('uas_pcma30_echo_bye.xml'), rtpEcho: true, timeoutMs: 240000 });
      // the carrier: not 127.0.0.1, so local clients are not taken for the trunk (source match)
      trunk = await startSipp({ scenario: path.join(fixturesDir, 'sipp', 'trunk', 'uas_carrier_digest.xml'), localIp: '127.0.0.2', calls: 10000, rtpEcho: true, timeoutMs: 240000 });
      h = await startGateway([
        { name: 'echophone', contact: `sip:echo@${echo.address}`, profile: 'pcma30' },
        { name: 'byephone', contact: `sip:bye@${byer.address}`, profile: 'pcma30' },
        { name: 'busyphone', contact: `sip:busy@${busy.address}`, profile: 'deskphone' },
        { name: 'ringphone', contact: `sip:ring@${ring.address}`, profile: 'deskphone' },
        { name: 'oddphone', contact: `sip:odd@${g729.address}`, profile: 'deskphone' },
        { name: 'earlyphone', contact: `sip:early@${early.address}`, profile: 'deskphone' },
      ], {
        trunks: [carrierTrunkConfig([trunk.address], 5)],
        numbering: { countryCode: '44', nationalPrefix: '0', internationalPrefix: '00' },
        rules: [{ name: 'national', from: ['user'], match: '\\+44[1-9][0-9]{6,12}', to: 'trunk:carrier' }],
      });
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

    it('PCMA 30 ms SIPp echo: the page hears its own 440 Hz back; dial-pad DTMF arrives at SIPp\'s media port as RFC 4733; hold → silence, resume → tone; hang-up BYEs SIPp', async () => {
      const page = browser.page;
      // what arrives at SIPp's media port, captured on lo (SIPp itself cannot report RFC 4733 events)
      const capture = await RtpCapture.start({ dstPort: echo.mediaPort, dir });
      let captured;
      try {
        await pageCall(page, 'echophone');
        await waitTone(page, 'the page hears the echoed 440 Hz', 440);
        const stats = await page.evaluate(() => (globalThis as unknown as { tandemPhone: { getStats(): Promise<unknown> } }).tandemPhone.getStats()) as { codec: { send: string } };
        expect(stats.codec.send).to.match(/^PCMA\/8000/i);
        expect(engineCalls(h)).to.equal(1);
        await sleep(1000);
        await pressKeypad(page, DIGITS);
        await sleep(500);

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
        await sleep(1000);

        await pageHangup(page);
        const res = await echo.wait();
        expect(res.code, res.errors + res.screen.slice(-1500)).to.equal(0);
        expect(res.messages).to.match(/BYE sip:/);
        const reinvites = res.messages.match(/^INVITE sip:/gm) ?? [];
        expect(reinvites.length, 'initial INVITE + hold + resume').to.equal(3);
        expect(res.messages).to.match(/a=sendonly/);
        expect(res.messages).to.match(/a=ptime:30/);
        await waitFor('engine call closed', () => engineCalls(h) === 0);
      } finally {
        captured = await capture.stop();
      }

      // At SIPp's media port: RFC 4733 events on the PT SIPp's answer declared (101), 8 kHz clock,
      // and PCMA (PT 8) in 30 ms packets (240 bytes) carrying the page's 440 Hz.
      const events = telephoneEvents(captured, 101);
      const report = events.map((e) => ({ digit: e.digit, ms: e.duration / 8, packets: e.packets, ended: e.ended }));
      expect(events.map((e) => e.digit), `telephone-events at SIPp: ${JSON.stringify(report)}`).to.deep.equal([...DIGITS]);
      for (const e of events) {
        expect(e.ended, `${e.digit} has an end packet`).to.equal(true);
        expect(e.duration / 8, `${e.digit} duration (ms at 8 kHz)`).to.be.within(40, 400);
      }
      const pts = [...new Set(captured.map((p) => p.pt))].sort((x, y) => x - y);
      expect(pts, 'only PCMA and telephone-event reach SIPp').to.deep.equal([8, 101]);
      const audio = captured.filter((p) => p.pt === 8);
      const sizes = audio.map((p) => p.payload.length);
      expect(sizes.filter((n) => n === 240).length / sizes.length, `30 ms packets (240 bytes): ${JSON.stringify([...new Set(sizes)])}`).to.be.above(0.95);
      const tone = toneDominates(decodeG711(audio, 'PCMA'), 8000, 440, { skipMs: 1000 });
      expect(tone.blocks, `at least 2 s of PCMA at SIPp: ${JSON.stringify(tone)}`).to.be.at.least(20);
      expect(tone.fraction, `the page's 440 Hz in the PCMA at SIPp: ${JSON.stringify(tone)}`).to.be.above(0.6);
    });

    it('PCMA 30 ms SIPp echo that hangs up itself: the page hears its 440 Hz back, then SIPp\'s BYE ends the page\'s call', async () => {
      const page = browser.page;
      await pageCall(page, 'byephone');
      const mark = await pageEventMark(page);
      await waitTone(page, 'the page hears the echoed 440 Hz', 440);
      expect(engineCalls(h)).to.equal(1);
      const ended = await waitPageEvent(page, 'call-ended', mark, 10000);
      expect(ended.originator, 'the BYE came from the phone').to.equal('remote');
      const res = await byer.wait();
      expect(res.code, res.errors + res.screen.slice(-1500)).to.equal(0);
      expect(res.messages).to.match(/^BYE sip:/m);
      expect(res.messages).to.match(/a=ptime:30/);
      await waitCallReleased(h);
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
      const mark = await pageEventMark(page);
      const failed = callExpectingFailure(page, 'ringphone');
      await waitPageEvent(page, 'call-ringing', mark);
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

    it('trunk: the page dials a national number; the SIPp carrier (digest on REGISTER and INVITE) sees the E.164 Request-URI and P-Asserted-Identity, answers, echoes the page\'s 440 Hz; the page hangs up', async () => {
      const page = browser.page;
      await waitFor('Tandem registered with the carrier (digest)', () => receivedBySipp(trunk).some((m) => m.method === 'REGISTER' && hdr(m, 'authorization') !== ''), 10000);
      const capture = await RtpCapture.start({ dstPort: trunk.mediaPort, dir });
      let captured;
      try {
        await pageCall(page, '02079460000');
        expect(engineCalls(h)).to.equal(1);
        await waitTone(page, 'the page hears its 440 Hz echoed by the carrier', 440);
        await sleep(3000);
        await pageHangup(page);
        await waitFor('BYE at the carrier', () => receivedBySipp(trunk).some((m) => m.method === 'BYE'), 8000);
        await waitCallReleased(h);
      } finally {
        captured = await capture.stop();
      }
      const got = receivedBySipp(trunk);
      const regs = got.filter((m) => m.method === 'REGISTER');
      expect(hdr(regs[0]!, 'authorization'), 'the first REGISTER carries no credentials').to.equal('');
      expect(hdr(regs.find((m) => hdr(m, 'authorization') !== '')!, 'authorization')).to.match(/username="tandem"/);
      const invites = got.filter((m) => m.method === 'INVITE');
      expect(invites, 'INVITE, then INVITE with credentials after the 401').to.have.length(2);
      expect(hdr(invites[0]!, 'authorization'), 'the first INVITE carries no credentials').to.equal('');
      expect(hdr(invites[1]!, 'authorization')).to.match(/username="tandem"/);
      expect(invites[1]!.first, 'normalized to E.164 (+44, national prefix 0 dropped)').to.equal(`INVITE sip:+442079460000@${trunk.address} SIP/2.0`);
      expect(hdr(invites[1]!, 'p-asserted-identity')).to.equal('<sip:+442071234000@tandem.test>');
      // SIPp's own checks (verifyauth, check_it on the Request-URI and P-Asserted-Identity) failed nothing
      const errLog = path.join(trunk.dir, 'errors.log');
      expect(fs.existsSync(errLog) ? fs.readFileSync(errLog, 'utf8') : '', 'SIPp errors').to.not.match(/regexp|authentication|Aborting call/i);
      // what reached the carrier's media port: PCMU carrying the page's 440 Hz
      const audio = captured.filter((p) => p.pt === 0);
      const span = audio.length > 1 ? audio[audio.length - 1]!.at - audio[0]!.at : 0;
      const seqGaps = audio.slice(1).filter((p, i) => ((p.seq - audio[i]!.seq) & 0xffff) !== 1).length;
      console.log(`      carrier capture: PTs ${JSON.stringify([...new Set(captured.map((p) => p.pt))])}, ${audio.length} PCMU packets over ${span.toFixed(0)} ms, seq gaps ${seqGaps}, sizes ${JSON.stringify([...new Set(audio.map((p) => p.payload.length))])}`);
      const tone = toneDominates(decodeG711(audio, 'PCMU'), 8000, 440, { skipMs: 500 });
      expect(tone.blocks, `at least 2 s of PCMU at the carrier: ${JSON.stringify(tone)}`).to.be.at.least(20);
      expect(tone.fraction, `the page's 440 Hz at the carrier: ${JSON.stringify(tone)}`).to.be.above(0.6);
    });
  });
}
