// Acceptance of the media plane END TO END THROUGH THE ENGINE: node-datachannel (the browser)
// ↔ MediaEngine worker (WebRTC leg ↔ bridge ↔ RTP leg) ↔ raw RTP phone / baresip, real sockets,
// inside a network namespace. Tones by frequency both ways: the browser sends 440 Hz, the phone 1000 Hz.
import { expect } from 'chai';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { DtmfDetector, type DtmfKeyPress } from '../../../../src/media/dtmf/dtmf-detector.js';
import { MediaEngine, type CallStats } from '../../../../src/media/engine/index.js';
import type { LegCounters } from '../../../../src/media/leg.js';
import { decodeSdesKey, encodeSdesKey, generateSrtpKey } from '../../../../src/media/srtp/srtp-suite.js';
import { startBaresip, stopAllBaresip } from '../../../helpers/baresip.js';
import { seededRandom } from '../../../helpers/impair.js';
import { MiniUac } from '../../../helpers/mini-uac.js';
import { startSipp, stopAllSipp } from '../../../helpers/sipp.js';
import { inNetns, runMochaInNetns } from '../../../helpers/netns.js';
import { buildLegSdp, NdcBrowser, ndcShutdown } from '../webrtc/ndc-browser.js';
import { JunkGen } from './junk.js';
import {
  BROWSER_TE_PT, BrowserReceiver, BrowserStream, SIP_TE_PT, liveHandles, setupCall, sipFormats, sleep, toneFraction,
  udpRcvbufErrors, withTelephoneEvent, type TestCall,
} from './support.js';

const thisFile = fileURLToPath(import.meta.url);

/** Drops a leg counted: every rejection increments exactly one of these. */
function drops(c: LegCounters): number {
  return c.malformed + c.unexpectedSource + c.srtpAuthFailures + c.unknownPayloadType + c.discarded;
}

/** Key presses the phone received (its raw telephone-event records run through src/media/dtmf's detector). */
function phoneKeys(records: Array<{ event: number; end: boolean; duration: number; ts: number }>): DtmfKeyPress[] {
  const det = new DtmfDetector(8000);
  const out: DtmfKeyPress[] = [];
  for (const r of records) {
    const k = det.feed(r.ts, Uint8Array.from([r.event, (r.end ? 0x80 : 0) | 10, r.duration >> 8, r.duration & 0xff]));
    if (k) out.push(k);
  }
  return out;
}

const DIGITS = [{ key: 1, ms: 120 }, { key: 5, ms: 80 }, { key: 9, ms: 160 }, { key: 11, ms: 100 }];
const DIGIT_NAMES = ['1', '5', '9', '#'];

if (!inNetns()) {
  describe('media acceptance through the engine (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(240000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 230000, mochaArgs: ['--timeout', '60000'] });
      if (r.code !== 0 || process.env.ACCEPTANCE_VERBOSE) console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      // exit 0 alone would also pass a run that executed no test
      expect(r.stdout).to.match(/\b[1-9]\d* passing\b/);
      expect(r.stdout).to.not.match(/\d+ failing/);
    });
  });
} else {
  describe('media acceptance: browser ↔ engine (WebRTC leg ↔ bridge ↔ RTP leg) ↔ phone (netns)', () => {
    let engine: MediaEngine;
    const open: TestCall[] = [];
    const evidence: Record<string, unknown> = {};

    before(async () => {
      engine = await MediaEngine.start({ workers: 2, portMin: 42000, portMax: 42999 });
    });
    afterEach(async () => {
      for (const c of open.splice(0)) {
        await c.close();
        await engine.closeCall(c.callId);
      }
    });
    after(async function () {
      this.timeout(20000);
      await engine.close();
      await stopAllBaresip();
      await stopAllSipp();
      await ndcShutdown();
      console.log('ACCEPTANCE EVIDENCE', JSON.stringify(evidence));
    });

    async function call(spec: Parameters<typeof setupCall>[1]): Promise<TestCall> {
      const c = await setupCall(engine, spec);
      open.push(c);
      return c;
    }

    it('1+5+7: Opus ↔ PCMU transcoding: tones both ways, DTMF digits both ways (48000 ↔ 8000), hold then resume via engine.update', async () => {
      const c = await call({ callId: 'opus-pcmu', browserCodec: 'opus', sipCodec: 'PCMU' });
      await sleep(2000);
      const t1 = Date.now();
      const st = await engine.stats(c.callId);
      expect(st.bridge?.webrtcToRtp.mode).to.equal('transcode');
      expect(st.bridge?.rtpToWebrtc.mode).to.equal('transcode');
      const atPhone = toneFraction(c.phone.received, 8000, 440, 500);
      const atBrowser = toneFraction(c.rx.samples(), 48000, 1000, 500);
      // 50 packets/s toward the browser (20 ms Opus frames), not more (the ~274 pps report).
      const browserPps = c.rx.packetsBetween(t1 - 1000, t1);
      evidence.transcodePcmu = { atPhone, atBrowser, browserPps };
      expect(atPhone, '440 Hz at the phone').to.be.above(0.8);
      expect(atBrowser, '1000 Hz at the browser').to.be.above(0.8);
      expect(browserPps).to.be.within(44, 56);

      // DTMF browser → phone (telephone-event/48000 → /8000) and phone → browser (/8000 → /48000).
      c.tx.sendDigits(DIGITS);
      for (const d of DIGITS) {
        const ts0 = c.phone.timestamp;
        const total = d.ms * 8;
        for (let dur = 160, first = true; ; dur += 160, first = false) {
          const end = dur >= total;
          c.phone.sendDtmf(d.key, Math.min(dur, total), end, ts0, SIP_TE_PT, first);
          if (end) { for (let k = 0; k < 2; k++) c.phone.sendDtmf(d.key, total, true, ts0, SIP_TE_PT); break; }
          await sleep(20);
        }
        await sleep(100);
      }
      const t0 = Date.now();
      while (!c.tx.dtmfIdle && Date.now() - t0 < 3000) await sleep(20);
      await sleep(300);
      const heardByPhone = phoneKeys(c.phone.dtmf);
      const heardByBrowser = c.rx.keys;
      evidence.dtmf = {
        atPhone: heardByPhone.map((k) => [k.key, k.durationMs]),
        atBrowser: heardByBrowser.map((k) => [k.key, k.durationMs]),
        phonePts: [...new Set(c.phone.dtmf.map((d) => d.pt))],
      };
      expect(heardByPhone.map((k) => k.key)).to.deep.equal(DIGIT_NAMES);
      expect(heardByBrowser.map((k) => k.key)).to.deep.equal(DIGIT_NAMES);
      heardByPhone.forEach((k, i) => expect(k.durationMs, `phone digit ${k.key}`).to.be.closeTo(DIGITS[i].ms, 10));
      heardByBrowser.forEach((k, i) => expect(k.durationMs, `browser digit ${k.key}`).to.be.closeTo(DIGITS[i].ms, 10));
      const st2 = await engine.stats(c.callId);
      expect(st2.bridge?.webrtcToRtp.dtmfForwarded).to.be.greaterThan(0);
      expect(st2.bridge?.rtpToWebrtc.dtmfForwarded).to.be.greaterThan(0);

      // Hold (both legs inactive), then resume.
      await engine.update(c.callId, { direction: 'inactive', rtp: { direction: 'inactive' } });
      await sleep(200);
      const rxB = c.rx.packets;
      const rxP = c.phone.receivedPackets;
      await sleep(1000);
      const heldB = c.rx.packets - rxB;
      const heldP = c.phone.receivedPackets - rxP;
      const phoneSsrcs = new Set(c.phone.rxHeaders.filter((h) => h.pt === 0).map((h) => h.ssrc));
      await engine.update(c.callId, { direction: 'sendrecv', rtp: { direction: 'sendrecv' } });
      c.phone.clearReceived();
      c.rx.clear();
      await sleep(2000);
      const resumedPhone = toneFraction(c.phone.received, 8000, 440, 500);
      const resumedBrowser = toneFraction(c.rx.samples(), 48000, 1000, 500);
      const phoneSsrcsAfter = new Set(c.phone.rxHeaders.filter((h) => h.pt === 0).map((h) => h.ssrc));
      evidence.hold = {
        heldPacketsAtBrowser: heldB, heldPacketsAtPhone: heldP, resumedPhone, resumedBrowser,
        browserSsrcs: [...c.rx.ssrcs], phoneSsrcs: [...phoneSsrcs, ...phoneSsrcsAfter],
      };
      // The re-offers rebuilt the bridge; both outgoing streams continue (one SSRC each for the whole call).
      expect(c.rx.ssrcs.size, 'one SSRC toward the browser across hold/resume').to.equal(1);
      expect(new Set([...phoneSsrcs, ...phoneSsrcsAfter]).size, 'one SSRC toward the phone across hold/resume').to.equal(1);
      expect(heldB, 'RTP toward the browser during hold').to.equal(0);
      expect(heldP, 'RTP toward the phone during hold').to.equal(0);
      expect(resumedPhone, '440 Hz at the phone after resume').to.be.above(0.8);
      expect(resumedBrowser, '1000 Hz at the browser after resume').to.be.above(0.8);
    });

    it('regression (~274 packets/s report): a phone whose clock is 10 % slow and stalls 1 s: ~50 packets/s toward the browser, tone intact', async () => {
      const c = await call({ callId: 'slow-phone', browserCodec: 'opus', sipCodec: 'PCMU', phoneManual: true });
      // 20 ms frames every 22 ms (a drifting timer, as setInterval under load), with a 1 s stall after 1 s.
      const t0 = Date.now();
      let sent = 0;
      const dueAt = (k: number): number => t0 + k * 22 + (k >= 45 ? 1000 : 0);
      while (Date.now() - t0 < 4000) {
        while (dueAt(sent) <= Date.now()) { c.phone.sendFrame(); sent++; }
        await sleep(5);
      }
      await sleep(300);
      const arrivals = c.rx.arrivals;
      const perSecond: number[] = [];
      for (let t = t0 + 1000; t + 1000 <= t0 + 4300; t += 250) perSecond.push(c.rx.packetsBetween(t, t + 1000));
      const st = await engine.stats(c.callId);
      const atBrowser = toneFraction(c.rx.samples(), 48000, 1000, 500);
      evidence.slowPhone = { sent, received: arrivals.length, perSecond, atBrowser, bridge: st.bridge?.rtpToWebrtc };
      expect(Math.max(...perSecond), `packets/s toward the browser ${perSecond.join(',')}`).to.be.at.most(55);
      expect(atBrowser, '1000 Hz at the browser').to.be.above(0.6);
    });

    it('1+4: Opus ↔ PCMA with 30 ms ptime on the SIP side: tones both ways, 30 ms packets toward the phone', async () => {
      const c = await call({ callId: 'opus-pcma30', browserCodec: 'opus', sipCodec: 'PCMA', sipPtimeMs: 30 });
      await sleep(2000);
      const atPhone = toneFraction(c.phone.received, 8000, 440, 500);
      const atBrowser = toneFraction(c.rx.samples(), 48000, 1000, 500);
      const audio = c.phone.rxHeaders.filter((h) => h.pt === 8);
      const steps = audio.slice(1).map((h, i) => (h.ts - audio[i].ts) >>> 0);
      const step240 = steps.filter((s) => s === 240).length / steps.length;
      const st = await engine.stats(c.callId);
      evidence.pcma30 = { atPhone, atBrowser, step240, packets: audio.length, mode: st.bridge?.webrtcToRtp.mode };
      expect(st.bridge?.webrtcToRtp.mode).to.equal('transcode');
      expect(atPhone, '440 Hz at the phone (PCMA)').to.be.above(0.8);
      expect(atBrowser, '1000 Hz at the browser').to.be.above(0.8);
      expect(step240, 'timestamp step of 240 (30 ms at 8 kHz)').to.be.above(0.95);
    });

    it('2: PCMU passthrough (the browser offers PCMU): no decode in the bridge, tones both ways', async () => {
      const c = await call({ callId: 'pcmu-pass', browserCodec: 'PCMU', sipCodec: 'PCMU' });
      await sleep(2000);
      const st = await engine.stats(c.callId);
      const atPhone = toneFraction(c.phone.received, 8000, 440, 500);
      const atBrowser = toneFraction(c.rx.samples(), 8000, 1000, 500);
      evidence.passthrough = { atPhone, atBrowser, aToB: st.bridge?.webrtcToRtp, bToA: st.bridge?.rtpToWebrtc };
      expect(st.bridge?.webrtcToRtp.mode).to.equal('passthrough');
      expect(st.bridge?.rtpToWebrtc.mode).to.equal('passthrough');
      expect(st.bridge?.webrtcToRtp.concealed).to.equal(0);
      expect(st.bridge?.rtpToWebrtc.concealed).to.equal(0);
      expect(atPhone).to.be.above(0.8);
      expect(atBrowser).to.be.above(0.8);
    });

    it('6: 5 % loss, 40 ms jitter and reordering on each side (impairment proxies): the tones still dominate', async () => {
      const imp = { lossRate: 0.05, jitterMs: 40, reorderRate: 0.02 };
      const c = await call({ callId: 'impaired', browserCodec: 'opus', sipCodec: 'PCMU', impairBrowser: imp, impairSip: imp, seed: 7 });
      await sleep(3000);
      const st = await engine.stats(c.callId);
      const rec = c.phone.received;
      const atPhone = toneFraction(rec, 8000, 440, 700);
      const atBrowser = toneFraction(c.rx.samples(), 48000, 1000, 700);
      const [sip, web] = c.proxies.length === 2 ? [c.proxies[0], c.proxies[1]] : [c.proxies[0], c.proxies[0]];
      evidence.impaired = {
        atPhone, atBrowser, sipProxy: { toEngine: sip.toTarget, toPhone: sip.toClient }, webProxy: { toEngine: web.toTarget, toBrowser: web.toClient },
        rtpRxLost: st.rtp?.rxLost, webrtcRxLost: st.webrtc.counters.rxLost, concealedTowardPhone: st.bridge?.webrtcToRtp.concealed,
      };
      for (const p of c.proxies) {
        expect(p.toTarget.dropped, 'loss injected toward the engine').to.be.greaterThan(0);
        expect(p.toClient.dropped, 'loss injected toward the peer').to.be.greaterThan(0);
      }
      expect(st.rtp?.rxLost).to.be.greaterThan(0);
      expect(st.webrtc.counters.rxLost).to.be.greaterThan(0);
      // A block with a lost 20 ms frame at the raw phone (silence placed by timestamp) holds < 80 % of the tone;
      // 5 % loss hits ~23 % of 100 ms blocks, so "dominates" is judged at 60 % of blocks.
      expect(atPhone, '440 Hz at the phone under impairment').to.be.above(0.6);
      expect(atBrowser, '1000 Hz at the browser under impairment').to.be.above(0.6);
    });

    it('9: 100,000 random and mutated datagrams at the WebRTC port and the RTP/RTCP ports during a call: no crash, tones intact, memory flat, every drop counted', async function () {
      this.timeout(120000);
      const c = await call({ callId: 'junk', browserCodec: 'opus', sipCodec: 'PCMU', srtp: true });
      await sleep(800);
      const webrtcPort = c.local.candidates[0].port;
      const st0 = await engine.stats(c.callId);
      const worker = st0.worker;
      const ws0 = (await engine.workerStats())[worker];
      const rcvbuf0 = await udpRcvbufErrors();
      const selected0 = st0.webrtc.selected;
      const w0 = drops(st0.webrtc.counters);
      const r0 = drops(st0.rtp!);
      c.phone.clearReceived();
      c.rx.clear();
      const blaster = dgram.createSocket('udp4');
      await new Promise<void>((r) => blaster.bind(0, '127.0.0.1', () => r()));
      const gens = {
        webrtc: new JunkGen(seededRandom(1), c.local.iceUfrag),
        rtp: new JunkGen(seededRandom(2), c.local.iceUfrag),
        rtcp: new JunkGen(seededRandom(3), c.local.iceUfrag),
      };
      const sent = { webrtc: 0, rtp: 0, rtcp: 0 };
      const ports = { webrtc: webrtcPort, rtp: c.rtpPorts.rtpPort, rtcp: c.rtpPorts.rtcpPort };
      const TOTAL = 100000;
      const BATCH = 100;
      let st: CallStats = st0;
      const t0 = Date.now();
      try {
        for (let i = 0; i < TOTAL; i += BATCH) {
          const batch: Array<Promise<void>> = [];
          for (let k = i; k < i + BATCH; k++) {
            // 40 % WebRTC port, 40 % RTP port, 20 % RTCP port.
            const target = k % 5 < 2 ? 'webrtc' : k % 5 < 4 ? 'rtp' : 'rtcp';
            const buf = gens[target].next();
            batch.push(new Promise<void>((res, rej) => blaster.send(buf, ports[target], '127.0.0.1', (err) => { if (err) rej(err); else { sent[target]++; res(); } })));
          }
          await Promise.all(batch);
          // Pace on the worker: wait until this batch is counted (keeps the socket buffers from overflowing).
          const tw = Date.now();
          for (;;) {
            st = await engine.stats(c.callId);
            if (drops(st.webrtc.counters) - w0 >= sent.webrtc && drops(st.rtp!) - r0 >= sent.rtp + sent.rtcp) break;
            if (Date.now() - tw > 3000) break;
            await sleep(1);
          }
        }
      } finally {
        blaster.close();
      }
      const blastMs = Date.now() - t0;
      await sleep(500);
      st = await engine.stats(c.callId);
      const rcvbuf = (await udpRcvbufErrors()) - rcvbuf0;
      const ws1 = (await engine.workerStats())[worker];
      const atPhone = toneFraction(c.phone.received, 8000, 440, 300);
      const atBrowser = toneFraction(c.rx.samples(), 48000, 1000, 300);
      const wDrops = drops(st.webrtc.counters) - w0;
      const rDrops = drops(st.rtp!) - r0;
      evidence.badDatagrams = {
        sent, blastMs, kernelRcvbufErrors: rcvbuf, webrtcDrops: wDrops, rtpDrops: rDrops,
        kinds: { webrtc: gens.webrtc.byKind, rtp: gens.rtp.byKind, rtcp: gens.rtcp.byKind },
        webrtcCounters: st.webrtc.counters, rtpCounters: st.rtp, iceBadAuth: st.webrtc.ice.requestsBadAuth,
        heapBefore: ws0.heapUsed, heapAfter: ws1.heapUsed, rssBefore: ws0.rss, rssAfter: ws1.rss, atPhone, atBrowser,
      };
      expect(sent.webrtc + sent.rtp + sent.rtcp).to.equal(TOTAL);
      expect(rcvbuf, 'no datagram lost in the kernel (the accounting below is exact)').to.equal(0);
      // Every datagram came from a stranger's 5-tuple: none can be valid (media only from the ICE-selected pair /
      // the latched SRTP source, STUN needs our password), so each is exactly one counted drop.
      expect(wDrops, `WebRTC leg drops ${JSON.stringify(st.webrtc.counters)}`).to.equal(sent.webrtc);
      expect(rDrops, `RTP leg drops ${JSON.stringify(st.rtp)}`).to.equal(sent.rtp + sent.rtcp);
      // The call is unaffected: same selected pair, DTLS up, tones both ways through the blast.
      expect(st.webrtc.selected).to.deep.equal(selected0);
      expect(st.webrtc.dtlsState).to.equal('connected');
      expect(st.rtp!.rxPackets - st0.rtp!.rxPackets).to.be.greaterThan(50);
      expect(atPhone, '440 Hz at the phone during the blast').to.be.above(0.8);
      expect(atBrowser, '1000 Hz at the browser during the blast').to.be.above(0.8);
      expect(ws1.heapUsed - ws0.heapUsed, 'worker heap growth').to.be.below(16 * 1024 * 1024);
      expect(ws1.rss - ws0.rss, 'process RSS growth').to.be.below(64 * 1024 * 1024);
    });

    it('SIPp as the phone (-rtp_echo): the browser\'s Opus 440 Hz and its DTMF digits come back through PCMU and SIPp', async () => {
      const sipp = await startSipp({ scenario: 'uas_pcmu_echo.xml', rtpEcho: true, timeoutMs: 20000 });
      const callId = 'sipp-echo';
      const browser = new NdcBrowser(callId);
      const tx = new BrowserStream(browser, 'opus', 440, 111);
      const rx = new BrowserReceiver('opus', 111);
      try {
        const offer = await browser.offer();
        await engine.allocate(callId, { offerer: false, bridge: 'rtp' });
        const local = await engine.apply(callId, {
          webrtc: { ...offer.remote, formats: [...offer.remote.formats, { pt: BROWSER_TE_PT, name: 'telephone-event', clockRate: 48000 }] },
          rtp: { remote: { address: '127.0.0.1', port: sipp.mediaPort }, formats: sipFormats('PCMU', 20) },
        });
        browser.answer(withTelephoneEvent(buildLegSdp(local, { type: 'answer', opusPt: 111 }), 111), local);
        await browser.waitConnected();
        browser.onRtp = (p) => rx.push(p);
        tx.start();
        await sleep(1800);
        // Judge the echoed tone before the digits (audio toward SIP may pause while an event plays).
        const echoed = toneFraction(rx.samples(), 48000, 440, 700);
        tx.sendDigits([{ key: 3, ms: 100 }, { key: 10, ms: 140 }]);
        const t0 = Date.now();
        while (!tx.dtmfIdle && Date.now() - t0 < 3000) await sleep(20);
        await sleep(500);
        tx.stop();
        const st = await engine.stats(callId);
        evidence.sippEcho = { echoed, keys: rx.keys.map((k) => [k.key, k.durationMs]), rtp: st.rtp };
        expect(st.rtp!.rxPackets, 'SIPp echoed RTP').to.be.greaterThan(50);
        expect(echoed, '440 Hz back at the browser through SIPp').to.be.above(0.8);
        expect(rx.keys.map((k) => k.key)).to.deep.equal(['3', '*']);
        rx.keys.forEach((k, i) => expect(k.durationMs).to.be.closeTo([100, 140][i], 10));
      } finally {
        tx.stop();
        browser.onRtp = null;
        browser.close();
        await engine.closeCall(callId);
        await sipp.cleanup();
      }
    });

    it('3: SDES-SRTP against baresip (mediaenc=srtp-mand): browser (Opus) ↔ engine ↔ baresip (PCMU/SAVP), tones both ways', async function () {
      this.timeout(40000);
      const phone = await startBaresip({ codecs: 'PCMU', mediaenc: 'srtp-mand', toneHz: 1000, timeoutMs: 35000 });
      const browser = new NdcBrowser('bs-srtp');
      const uac = await MiniUac.create({ host: phone.ip, port: phone.sipPort });
      const callId = 'baresip-srtp';
      const tx = new BrowserStream(browser, 'opus', 440, 111);
      const rx = new BrowserReceiver('opus', 111);
      try {
        const offer = await browser.offer();
        const alloc = await engine.allocate(callId, { offerer: false, bridge: 'rtp' });
        const ours = generateSrtpKey('AES_CM_128_HMAC_SHA1_80');
        const sdp = [
          'v=0', 'o=tandem 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
          `m=audio ${alloc.rtp!.rtpPort} RTP/SAVP 0 101`,
          'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20',
          `a=rtcp:${alloc.rtp!.rtcpPort}`, `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${encodeSdesKey(ours)}`, 'a=sendrecv', '',
        ].join('\r\n');
        const answer = await uac.invite(phone.uri, sdp);
        const port = Number(/m=audio (\d+)/.exec(answer)?.[1]);
        const crypto = /a=crypto:\d+ (AES_CM_128_HMAC_SHA1_(?:80|32)) inline:([A-Za-z0-9+/=]+)/.exec(answer);
        expect(crypto, `answer has a=crypto:\n${answer}`).to.not.equal(null);
        const suite = crypto![1] as 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
        const local = await engine.apply(callId, {
          webrtc: { ...offer.remote, formats: [...offer.remote.formats, { pt: BROWSER_TE_PT, name: 'telephone-event', clockRate: 48000 }] },
          rtp: {
            remote: { address: '127.0.0.1', port }, formats: sipFormats('PCMU', 20),
            srtp: { local: { ...ours, suite }, remote: decodeSdesKey(suite, crypto![2]) },
          },
        });
        browser.answer(withTelephoneEvent(buildLegSdp(local, { type: 'answer', opusPt: 111 }), 111), local);
        await browser.waitConnected();
        browser.onRtp = (p) => rx.push(p);
        const s0 = await engine.stats(callId);
        tx.start();
        await sleep(3500);
        tx.stop();
        const st = await engine.stats(callId);
        const atBrowser = toneFraction(rx.samples(), 48000, 1000, 500);
        await uac.bye();
        await sleep(200);
        await phone.stop();
        const heard = phone.readRecording('dec');
        const atPhone = toneFraction(heard.samples, heard.rate, 440, 1000);
        evidence.baresipSdes = {
          atBrowser, atPhone, srtpEnabled: phone.srtpEnabled(), suite, rtp: st.rtp,
          authFailuresAfterKeys: st.rtp!.srtpAuthFailures - s0.rtp!.srtpAuthFailures, codecs: phone.audioCodecs(),
        };
        expect(phone.srtpEnabled(), 'baresip reports SRTP').to.equal(true);
        expect(st.rtp!.srtpAuthFailures - s0.rtp!.srtpAuthFailures, 'no SRTP auth failures once keyed').to.equal(0);
        expect(st.rtp!.rxPackets).to.be.greaterThan(100);
        expect(st.bridge?.webrtcToRtp.mode).to.equal('transcode');
        expect(atBrowser, "baresip's 1000 Hz at the browser").to.be.above(0.8);
        expect(atPhone, "the browser's 440 Hz in baresip's recording").to.be.above(0.6);
      } finally {
        tx.stop();
        browser.onRtp = null;
        browser.close();
        uac.close();
        await engine.closeCall(callId);
        await phone.cleanup();
      }
    });
  });

  describe('media acceptance: close under load (netns)', () => {
    after(async function () {
      this.timeout(10000);
      await ndcShutdown();
    });

    it('8: 12 live calls (transcoding and passthrough) closed at once: port pool back to full, no socket, timer or worker left', async function () {
      this.timeout(60000);
      await sleep(1); // mocha arms this test's own timer once the test function has returned its promise
      const handlesBefore = liveHandles();
      const timersBefore = process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length;
      const engine = await MediaEngine.start({ workers: 2, portMin: 41000, portMax: 41199 });
      const calls: TestCall[] = [];
      try {
        const ws0 = await engine.workerStats();
        for (let i = 0; i < 12; i++) {
          calls.push(await setupCall(engine, { callId: `load${i}`, browserCodec: i % 2 === 0 ? 'opus' : 'PCMU', sipCodec: 'PCMU', srtp: i % 3 === 0 }));
        }
        await sleep(1500);
        const ws1 = await engine.workerStats();
        expect(ws1.reduce((a, w) => a + w.calls, 0)).to.equal(12);
        expect(ws1.reduce((a, w) => a + w.portPairsUsed, 0), 'a WebRTC pair and an RTP pair per call').to.equal(24);
        for (const c of calls) {
          expect(c.rx.packets, `${c.callId}: audio at the browser`).to.be.greaterThan(20);
          expect(c.phone.receivedPackets, `${c.callId}: audio at the phone`).to.be.greaterThan(20);
        }
        // Close every call at once while media is flowing.
        await Promise.all(calls.map((c) => engine.closeCall(c.callId)));
        const ws2 = await engine.workerStats();
        expect(ws2.map((w) => w.calls)).to.deep.equal([0, 0]);
        expect(ws2.map((w) => w.portPairsUsed), 'port pools back to full').to.deep.equal([0, 0]);
        expect(ws2.map((w) => w.portPairsCapacity)).to.deep.equal(ws0.map((w) => w.portPairsCapacity));
        // After the last in-flight datagrams, nothing more comes from the closed calls.
        await sleep(250);
        const rx = calls.map((c) => c.phone.receivedPackets);
        await sleep(300);
        expect(calls.map((c) => c.phone.receivedPackets), 'nothing sent after close').to.deep.equal(rx);
      } finally {
        for (const c of calls) await c.close();
        await engine.close();
      }
      await sleep(100);
      expect(liveHandles(), 'no socket or worker left').to.deep.equal(handlesBefore);
      expect(process.getActiveResourcesInfo().filter((t) => t === 'Timeout').length, 'no timer left').to.equal(timersBefore);
    });
  });
}
