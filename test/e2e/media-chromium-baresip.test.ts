// End to end with two real peers: Chromium (real WebRTC stack) ↔ Tandem's WebRTC leg ↔ transcoding bridge ↔
// RTP leg ↔ baresip (a real SIP phone, called with a minimal UAC). Offer/answer with Chromium over plain HTTP
// (no SIP on the browser side). Chromium's fake mic plays 1 kHz, baresip plays 440 Hz.
// Checked: getStats (connected, DTLS, packets and packet RATE, audio level, RTCP), the page's WebAudio
// analyser peak at 440 Hz, baresip's recording (1 kHz by Goertzel), and the engine's bridge counters.
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediaEngine } from '../../src/media/engine/index.js';
import { startBaresip, stopAllBaresip, type BaresipInstance } from '../helpers/baresip.js';
import { MiniUac } from '../helpers/mini-uac.js';
import { launchChromium, runStatsPage, startOfferServer, statsPage } from '../helpers/chromium-call.js';
import { inNetns } from '../helpers/netns.js';
import { describeNetnsRerun } from '../helpers/netns-suite.js';
import { toneDominates, writeToneWav } from '../helpers/tone.js';
import { sipFormats } from '../integration/media/acceptance/support.js';

const thisFile = fileURLToPath(import.meta.url);

const PAGE = statsPage(8);

if (!inNetns()) {
  describeNetnsRerun('e2e: Chromium ↔ Tandem media ↔ baresip (re-run inside a network namespace)', thisFile, { testTimeoutMs: 180000, timeoutMs: 170000, mochaArgs: ['--timeout', '120000'], verbose: Boolean(process.env.E2E_VERBOSE) });
} else {
  describe('e2e: Chromium ↔ WebRTC leg ↔ bridge ↔ RTP leg ↔ baresip (netns)', () => {
    after(() => stopAllBaresip());

    it('tones both ways: 1 kHz from Chromium in baresip\'s recording, 440 Hz from baresip in the page; 50 packets/s toward Chromium', async function () {
      this.timeout(120000);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-chromium-bs-'));
      const wav = writeToneWav(path.join(tmp, 'tone1k.wav'), { rate: 48000, freq: 1000, durationMs: 30000, amplitude: 0.4 });
      const engine = await MediaEngine.start({ workers: 1, portMin: 49000, portMax: 49499 });
      const phone: BaresipInstance = await startBaresip({ codecs: 'PCMU', toneHz: 440, timeoutMs: 100000 });
      const uac = await MiniUac.create({ host: phone.ip, port: phone.sipPort });
      let answered = false;
      const { server, port } = await startOfferServer({
        page: PAGE, engine, callId: 'cb',
        rtp: async (alloc) => {
          const sipOffer = [
            'v=0', 'o=tandem 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
            `m=audio ${alloc.rtp!.rtpPort} RTP/AVP 0 101`,
            'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20',
            `a=rtcp:${alloc.rtp!.rtcpPort}`, 'a=sendrecv', '',
          ].join('\r\n');
          const sipAnswer = await uac.invite(phone.uri, sipOffer);
          answered = true;
          const phonePort = Number(/m=audio (\d+)/.exec(sipAnswer)?.[1]);
          const addr = /c=IN IP4 (\S+)/.exec(sipAnswer)?.[1] ?? '127.0.0.1';
          return { remote: { address: addr, port: phonePort }, formats: sipFormats('PCMU', 20) };
        },
      });
      const ctx = await launchChromium(tmp, wav);
      try {
        const r = await runStatsPage(ctx, port);
        expect(r.error, r.error).to.equal(undefined);
        const samples = r.samples ?? [];
        const st = await engine.stats('cb');
        const last = samples[samples.length - 1];
        // Packet rate toward Chromium between consecutive getStats samples (steady state: skip the first two).
        const rates = samples.slice(2).map((s, i) => {
          const prev = samples[i + 1];
          return Math.round((((s.inPackets ?? 0) - (prev.inPackets ?? 0)) * 1000) / (s.t - prev.t));
        });
        const peaks = samples.slice(2).map((s) => s.peakHz ?? 0);
        console.log('chromium↔baresip:', JSON.stringify({ last, rates, peaks, bridge: st.bridge, rtp: st.rtp }));
        expect(answered).to.equal(true);
        expect(last.conn).to.equal('connected');
        expect(last.dtls).to.equal('connected');
        expect(last.inPackets ?? 0).to.be.greaterThan(250);
        expect(last.audioLevel ?? 0).to.be.greaterThan(0.01);
        expect(last.remoteInbound, 'remote-inbound-rtp from our RTCP').to.equal(true);
        for (const pps of rates) expect(pps, `packets/s toward Chromium ${rates.join(',')}`).to.be.within(40, 60);
        expect(peaks.filter((hz) => Math.abs(hz - 440) <= 12).length, `analyser peaks ${peaks.join(',')}`).to.be.greaterThanOrEqual(4);
        expect(st.bridge?.webrtcToRtp.mode).to.equal('transcode');
        expect(st.bridge?.rtpToWebrtc.mode).to.equal('transcode');
        expect(st.webrtc.counters.srtpAuthFailures).to.equal(0);
        await uac.bye();
        await phone.stop();
        expect(phone.audioCodecs().decoder).to.equal('PCMU');
        const heard = phone.readRecording('dec');
        const rep = toneDominates(heard.samples, heard.rate, 1000, { candidates: [440], skipMs: 2000 });
        console.log('baresip recording:', JSON.stringify({ durationS: heard.durationS, ...rep }));
        expect(rep.fraction, `Chromium's 1 kHz in baresip's recording ${JSON.stringify(rep)}`).to.be.above(0.6);
      } finally {
        await ctx.close();
        server.close();
        uac.close();
        await phone.cleanup();
        await engine.close();
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}
