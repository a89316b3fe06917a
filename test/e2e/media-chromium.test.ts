// End to end: Chromium (real WebRTC stack) ↔ Tandem's WebRTC leg ↔ transcoding bridge ↔ RTP leg ↔ raw RTP phone.
// Offer/answer travel over plain HTTP (no SIP). Tones: Chromium's fake mic plays 1 kHz, the phone sends 440 Hz.
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sdpTransform from 'sdp-transform';
import { MediaEngine } from '../../src/media/engine/index.js';
import { inNetns, runMochaInNetns } from '../helpers/netns.js';
import { toneDominates, writeToneWav } from '../helpers/tone.js';
import { RtpPeer } from '../integration/media/engine/rtp-peer.js';
import { buildLegSdp, parseRemote } from '../integration/media/webrtc/ndc-browser.js';

const thisFile = fileURLToPath(import.meta.url);

const PAGE = `<!doctype html><html><body><script>
window.__result = { done: false };
async function run() {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const pc = new RTCPeerConnection({ iceServers: [] });
  stream.getTracks().forEach((t) => pc.addTrack(t, stream));
  let analyser, actx;
  pc.ontrack = (e) => {
    const ms = e.streams[0] || new MediaStream([e.track]);
    const a = new Audio(); a.srcObject = ms; a.play().catch(() => {});
    actx = new AudioContext(); const src = actx.createMediaStreamSource(ms);
    analyser = actx.createAnalyser(); analyser.fftSize = 4096; src.connect(analyser);
  };
  await pc.setLocalDescription(await pc.createOffer());
  await new Promise((r) => { if (pc.iceGatheringState === 'complete') r(); else pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r(); setTimeout(r, 3000); });
  const resp = await fetch('/offer', { method: 'POST', body: pc.localDescription.sdp });
  await pc.setRemoteDescription({ type: 'answer', sdp: await resp.text() });
  const samples = [];
  for (let i = 0; i < 7; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = { conn: pc.connectionState };
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') Object.assign(s, { inPackets: r.packetsReceived, audioLevel: r.audioLevel, energy: r.totalAudioEnergy });
      if (r.type === 'outbound-rtp' && r.kind === 'audio') s.outPackets = r.packetsSent;
      if (r.type === 'transport') Object.assign(s, { dtls: r.dtlsState, srtpCipher: r.srtpCipher });
      if (r.type === 'remote-inbound-rtp' && r.kind === 'audio') Object.assign(s, { remoteInbound: true, remoteLost: r.packetsLost, rtt: r.roundTripTime });
    });
    if (analyser) {
      const d = new Float32Array(analyser.frequencyBinCount); analyser.getFloatFrequencyData(d);
      let bi = 1; for (let k = 1; k < d.length; k++) if (d[k] > d[bi]) bi = k;
      s.peakHz = bi * actx.sampleRate / analyser.fftSize; s.peakDb = d[bi];
    }
    samples.push(s);
  }
  window.__result = { done: true, samples };
}
run().catch((e) => { window.__result = { done: true, error: String(e && e.stack || e) }; });
</script></body></html>`;

interface Sample {
  conn: string; inPackets?: number; audioLevel?: number; outPackets?: number; dtls?: string; srtpCipher?: string; peakHz?: number;
  remoteInbound?: boolean; remoteLost?: number;
}

if (!inNetns()) {
  describe('e2e: Chromium ↔ Tandem media (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(180000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 170000, mochaArgs: ['--timeout', '120000'] });
      if (r.code !== 0) console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
    });
  });
} else {
  describe('e2e: Chromium ↔ WebRTC leg ↔ bridge ↔ RTP leg ↔ RTP phone (netns)', () => {
    it('tones both ways: 1 kHz from Chromium heard by the phone, 440 Hz from the phone heard in the page', async function () {
      this.timeout(120000);
      const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'tandem-chromium-'));
      const wav = writeToneWav(path.join(tmp, 'tone1k.wav'), { rate: 48000, freq: 1000, durationMs: 20000, amplitude: 0.4 });
      const engine = await MediaEngine.start({ workers: 1, portMin: 48000, portMax: 48999 });
      const phone = await RtpPeer.bind();
      let sendTimer: NodeJS.Timeout | null = null;
      const server = http.createServer((req, res) => {
        if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'text/html' }); res.end(PAGE); return; }
        let body = '';
        req.on('data', (c: Buffer) => { body += c.toString(); });
        req.on('end', () => {
          void (async () => {
            const remote = parseRemote(body);
            const opus = remote.formats.find((f) => f.name.toLowerCase() === 'opus');
            if (!opus) throw new Error('no opus in the offer');
            const mid = String(sdpTransform.parse(body).media[0].mid ?? '0');
            const alloc = await engine.allocate('chromium', { offerer: false, bridge: 'rtp' });
            phone.remote = { address: '127.0.0.1', port: alloc.rtp!.rtpPort };
            const local = await engine.apply('chromium', {
              webrtc: { ...remote, formats: [opus] },
              rtp: { remote: { address: '127.0.0.1', port: phone.port }, formats: [{ pt: 0, name: 'PCMU', clockRate: 8000, ptimeMs: 20 }] },
            });
            sendTimer = setInterval(() => phone.sendTone(440), 20);
            res.writeHead(200, { 'content-type': 'application/sdp' });
            res.end(buildLegSdp(local, { type: 'answer', opusPt: opus.pt }).replace('a=mid:0', `a=mid:${mid}`).replace('BUNDLE 0', `BUNDLE ${mid}`));
          })().catch((e: unknown) => { res.writeHead(500); res.end(String(e)); });
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const port = (server.address() as { port: number }).port;
      const ctx = await chromium.launchPersistentContext(path.join(tmp, 'udd'), {
        executablePath: '/usr/bin/chromium', headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
          `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required',
          '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'],
      });
      try {
        const page = ctx.pages()[0] ?? await ctx.newPage();
        await page.goto(`http://127.0.0.1:${port}/`);
        await page.waitForFunction(() => (globalThis as unknown as { __result: { done: boolean } }).__result.done, null, { timeout: 60000 });
        const r = await page.evaluate(() => (globalThis as unknown as { __result: { error?: string; samples?: Sample[] } }).__result);
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
