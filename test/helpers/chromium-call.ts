/**
 * A real Chromium (playwright-core, /usr/bin/chromium) calling Tandem's media engine with
 * offer/answer over plain HTTP (no SIP): the page sends its WebRTC offer (RFC 8829) to POST /offer,
 * the engine answers through a bridge 'rtp' call, and the page samples getStats and a WebAudio
 * analyser once a second. Chromium's fake mic plays a WAV file.
 */
import http from 'node:http';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import sdpTransform from 'sdp-transform';
import type { AllocateResult, MediaEngine, RtpRemoteParams } from '../../src/media/engine/index.js';
import { buildLegSdp, parseRemote } from '../integration/media/webrtc/ndc-browser.js';

/** One getStats / analyser sample of the page (fields present when Chromium reports them). */
export interface ChromiumSample {
  conn: string; t: number; inPackets?: number; inLost?: number; audioLevel?: number; energy?: number; jitter?: number;
  outPackets?: number; dtls?: string; srtpCipher?: string; peakHz?: number; peakDb?: number;
  remoteInbound?: boolean; remoteLost?: number; rtt?: number;
}

/** The page: getUserMedia, one RTCPeerConnection, offer to /offer, then `samples` samples 1 s apart. */
export function statsPage(samples: number): string {
  return `<!doctype html><html><body><script>
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
  for (let i = 0; i < ${samples}; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    const s = { conn: pc.connectionState, t: performance.now() };
    (await pc.getStats()).forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'audio') Object.assign(s, { inPackets: r.packetsReceived, inLost: r.packetsLost, audioLevel: r.audioLevel, energy: r.totalAudioEnergy, jitter: r.jitter });
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
}

export interface OfferServerOptions {
  /** The HTML served on GET. */
  page: string;
  engine: MediaEngine;
  callId: string;
  /** The SIP-side parameters of the call, once the bridge is allocated (set up the phone here). */
  rtp: (alloc: AllocateResult) => RtpRemoteParams | Promise<RtpRemoteParams>;
  /** Called once the engine has applied both sides, before the answer is sent. */
  onApplied?: () => void;
}

/**
 * An HTTP server on 127.0.0.1: GET serves the page; POST takes the browser's offer, allocates `callId`
 * (bridge 'rtp', Opus only toward the browser), applies and answers with the offer's mid.
 */
export async function startOfferServer(o: OfferServerOptions): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') { res.writeHead(200, { 'content-type': 'text/html' }); res.end(o.page); return; }
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      void (async () => {
        const remote = parseRemote(body);
        const opus = remote.formats.find((f) => f.name.toLowerCase() === 'opus');
        if (!opus) throw new Error('no opus in the offer');
        const mid = String(sdpTransform.parse(body).media[0].mid ?? '0');
        const alloc = await o.engine.allocate(o.callId, { offerer: false, bridge: 'rtp' });
        const rtp = await o.rtp(alloc);
        const local = await o.engine.apply(o.callId, { webrtc: { ...remote, formats: [opus] }, rtp });
        o.onApplied?.();
        res.writeHead(200, { 'content-type': 'application/sdp' });
        res.end(buildLegSdp(local, { type: 'answer', opusPt: opus.pt }).replace('a=mid:0', `a=mid:${mid}`).replace('BUNDLE 0', `BUNDLE ${mid}`));
      })().catch((e: unknown) => { res.writeHead(500); res.end(String(e)); });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

/** Headless Chromium with a fake mic playing `wav`, loopback ICE allowed, profile under `tmp`. */
export function launchChromium(tmp: string, wav: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(path.join(tmp, 'udd'), {
    executablePath: '/usr/bin/chromium', headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
      `--use-file-for-fake-audio-capture=${wav}`, '--autoplay-policy=no-user-gesture-required',
      '--allow-loopback-in-peer-connection', '--disable-features=WebRtcHideLocalIpsWithMdns'],
  });
}

/** Opens the page on `port`, waits (up to 60 s) until it is done and returns its result. */
export async function runStatsPage(ctx: BrowserContext, port: number): Promise<{ error?: string; samples?: ChromiumSample[] }> {
  const page = ctx.pages()[0] ?? await ctx.newPage();
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() => (globalThis as unknown as { __result: { done: boolean } }).__result.done, null, { timeout: 60000 });
  return page.evaluate(() => (globalThis as unknown as { __result: { error?: string; samples?: ChromiumSample[] } }).__result);
}
