// End to end: Chromium (real WebRTC stack) ↔ Tandem's WebRTC leg ↔ transcoding bridge ↔ RTP leg ↔ raw RTP phone.
// Offer/answer travel over plain HTTP (no SIP). Tones: Chromium's fake mic plays 1 kHz, the phone sends 440 Hz.
import { expect } from 'chai';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { MediaEngine } from '../../src/media/engine/index.js';
import { launchChromium, runStatsPage, startOfferServer, statsPage } from '../helpers/chromium-call.js';
import { inNetns } from '../helpers/netns.js';
import { describeNetnsRerun } from '../helpers/netns-suite.js';
import { toneDominates, writeToneWav } from '../helpers/tone.js';
import { RtpPeer } from '../integration/media/engine/rtp-peer.js';

const thisFile = fileURLToPath(import.meta.url);

const PAGE = statsPage(7);

if (!inNetns()) {
  describeNetnsRerun('e2e: Chromium ↔ Tandem media (re-run inside a network namespace)', thisFile, { testTimeoutMs: 180000, timeoutMs: 170000, mochaArgs: ['--timeout', '120000'] });
} else {
  describe('e2e: Chromium ↔ WebRTC leg ↔ bridge ↔ RTP leg ↔ RTP phone (netns)', () => {
    it('tones both ways: 1 kHz from Chromium heard by the phone, 440 Hz from the phone heard in the page', async function () {
      this.timeout(120000);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-chromium-'));
      const wav = writeToneWav(path.join(tmp, 'tone1k.wav'), { rate: 48000, freq: 1000, durationMs: 20000, amplitude: 0.4 });
      const engine = await MediaEngine.start({ workers: 1, portMin: 48000, portMax: 48999 });
      const phone = await RtpPeer.bind();
      let sendTimer: NodeJS.Timeout | null = null;
      const { server, port } = await startOfferServer({
        page: PAGE, engine, callId: 'chromium',
        rtp: (alloc) => {
          phone.remote = { address: '127.0.0.1', port: alloc.rtp!.rtpPort };
          return { remote: { address: '127.0.0.1', port: phone.port }, formats: [{ pt: 0, name: 'PCMU', clockRate: 8000, ptimeMs: 20 }] };
        },
        onApplied: () => {
          sendTimer = setInterval(() => phone.sendTone(440), 20);
        },
      });
      const ctx = await launchChromium(tmp, wav);
      try {
        const r = await runStatsPage(ctx, port);
        expect(r.error, r.error).to.equal(undefined);
        const samples = r.samples ?? [];
        const last = samples[samples.length - 1];
        console.log('chromium samples:', JSON.stringify(samples.slice(-2)));
        expect(last.conn).to.equal('connected');
        expect(last.dtls).to.equal('connected');
        expect(last.inPackets ?? 0).to.be.greaterThan(150);
        expect(last.audioLevel ?? 0).to.be.greaterThan(0.01);
        // Our RTCP reports reached Chromium (RFC 3550 RR/SR report block about its stream → remote-inbound-rtp).
        expect(last.remoteInbound, 'remote-inbound-rtp from our RTCP').to.equal(true);
        expect(last.remoteLost ?? -1).to.equal(0);
        // WebAudio analyser: 440 Hz (± one 11.7 Hz FFT bin) dominates in most of the later samples.
        const peaks = samples.slice(2).map((s) => s.peakHz ?? 0);
        expect(peaks.filter((hz) => Math.abs(hz - 440) <= 12).length, `peaks ${peaks.join(',')}`).to.be.greaterThanOrEqual(4);
        // The phone heard Chromium's 1 kHz (Goertzel on the decoded µ-law, steady state).
        const rec = phone.samples();
        expect(rec.length).to.be.greaterThan(8000 * 3);
        const rep = toneDominates(rec.subarray(8000), 8000, 1000, { candidates: [440] });
        expect(rep.fraction, JSON.stringify(rep)).to.be.greaterThan(0.8);
        const st = await engine.stats('chromium');
        expect(st.webrtc.counters.srtpAuthFailures).to.equal(0);
        expect(st.bridge?.webrtcToRtp.mode).to.equal('transcode');
      } finally {
        if (sendTimer) clearInterval(sendTimer);
        if (process.env.E2E_DEBUG) console.log('closing chromium');
        await ctx.close();
        server.close();
        phone.close();
        if (process.env.E2E_DEBUG) console.log('closing engine');
        await engine.close();
        if (process.env.E2E_DEBUG) console.log('closed');
        fs.rmSync(tmp, { recursive: true, force: true });
      }
    });
  });
}
