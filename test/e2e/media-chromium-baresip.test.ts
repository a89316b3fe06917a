// End to end with two real peers: Chromium (real WebRTC stack) ↔ Tandem's WebRTC leg ↔ transcoding bridge ↔
// RTP leg ↔ baresip (a real SIP phone, called with a minimal UAC). Offer/answer with Chromium over plain HTTP
// (no SIP on the browser side). Chromium's fake mic plays 1 kHz, baresip plays 440 Hz.
// Checked: getStats (connected, DTLS, packets and packet RATE, audio level, RTCP), the page's WebAudio
// analyser peak at 440 Hz, baresip's recording (1 kHz by Goertzel), and the engine's bridge counters.
import { expect } from 'chai';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import sdpTransform from 'sdp-transform';
import { MediaEngine } from '../../src/media/engine/index.js';
import { startBaresip, stopAllBaresip, type BaresipInstance } from '../helpers/baresip.js';
import { MiniUac } from '../helpers/mini-uac.js';
import { inNetns, runMochaInNetns } from '../helpers/netns.js';
import { toneDominates, writeToneWav } from '../helpers/tone.js';
import { sipFormats } from '../integration/media/acceptance/support.js';
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
  for (let i = 0; i < 8; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = { conn: pc.connectionState, t: performance.now() };
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') Object.assign(s, { inPackets: r.packetsReceived, inLost: r.packetsLost, audioLevel: r.audioLevel, jitter: r.jitter });
      if (r.type === 'outbound-rtp' && r.kind === 'audio') s.outPackets = r.packetsSent;
      if (r.type === 'transport') Object.assign(s, { dtls: r.dtlsState, srtpCipher: r.srtpCipher });
      if (r.type === 'remote-inbound-rtp' && r.kind === 'audio') Object.assign(s, { remoteInbound: true, remoteLost: r.packetsLost });
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
  conn: string; t: number; inPackets?: number; inLost?: number; audioLevel?: number; outPackets?: number; dtls?: string;
  srtpCipher?: string; peakHz?: number; remoteInbound?: boolean; remoteLost?: number;
}

if (!inNetns()) {
  describe('e2e: Chromium ↔ Tandem media ↔ baresip (re-run inside a network namespace)', () => {
    it('passes inside unshare -n', async function () {
      this.timeout(180000);
      const r = await runMochaInNetns([thisFile], { timeoutMs: 170000, mochaArgs: ['--timeout', '120000'] });
      if (r.code !== 0 || process.env.E2E_VERBOSE) console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
    });
  });
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
            const alloc = await engine.allocate('cb', { offerer: false, bridge: 'rtp' });
            const sipOffer = [
              'v=0', 'o=tandem 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
              `m=audio ${alloc.rtp!.rtpPort} RTP/AVP 0 101`,
              'a=rtpmap:0 PCMU/8000', 'a=rtpmap:101 telephone-event/8000', 'a=fmtp:101 0-16', 'a=ptime:20',
              `a=rtcp:${alloc.rtp!.rtcpPort}`, 'a=sendrecv', '',
            ].join('\r\n');
            const sipAnswer = await uac.invite(phone.uri, sipOffer);
            answered = true;
            const port = Number(/m=audio (\d+)/.exec(sipAnswer)?.[1]);
            const addr = /c=IN IP4 (\S+)/.exec(sipAnswer)?.[1] ?? '127.0.0.1';
            const local = await engine.apply('cb', {
              webrtc: { ...remote, formats: [opus] },
              rtp: { remote: { address: addr, port }, formats: sipFormats('PCMU', 20) },
            });
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
