import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { MediaEngine, type CallEvent } from '../../../../src/media/engine/index.js';
import { inNetns } from '../../../helpers/netns.js';
import { describeNetnsRerun, liveHandles } from '../../../helpers/netns-suite.js';
import { OpusSink, OpusToneSource, toneFraction } from '../webrtc/audio.js';
import { NdcBrowser, buildLegSdp, ndcShutdown } from '../webrtc/ndc-browser.js';
import { pump, sleep, waitFor } from '../webrtc/support.js';
import { connectRtpBridge, steady } from './bridge-call.js';
import { RtpPeer } from './rtp-peer.js';

const thisFile = fileURLToPath(import.meta.url);

if (!inNetns()) {
  describeNetnsRerun('MediaEngine (integration, re-run inside a network namespace)', thisFile, { testTimeoutMs: 150000, timeoutMs: 140000 });
} else {
  describe('MediaEngine: worker threads, placement, echo calls (netns)', () => {
    after(async function () {
      this.timeout(10000);
      await ndcShutdown();
    });

    it('spreads 6 calls over 2 workers, echoes Opus tones, closes without leaks', async function () {
      this.timeout(40000);
      const handlesBefore = liveHandles();
      const events: Array<[string, CallEvent]> = [];
      const engine = await MediaEngine.start({ workers: 2, portMin: 43000, portMax: 43999, onEvent: (id, e) => events.push([id, e]) });
      const browsers: NdcBrowser[] = [];
      try {
        expect(engine.workerCount).to.equal(2);
        const calls = ['c0', 'c1', 'c2', 'c3', 'c4', 'c5'];
        for (const callId of calls) {
          const b = new NdcBrowser(callId);
          browsers.push(b);
          const offer = await b.offer();
          const alloc = await engine.allocate(callId, { offerer: false, bridge: 'echo' });
          expect(alloc.webrtc.candidates[0].address).to.equal('127.0.0.1');
          const local = await engine.apply(callId, { webrtc: offer.remote });
          b.answer(buildLegSdp(local, { type: 'answer', opusPt: 111 }), local);
        }
        expect(engine.load()).to.deep.equal([3, 3]);
        expect(new Set(calls.map((c) => engine.workerOf(c)))).to.deep.equal(new Set([0, 1]));
        await Promise.all(browsers.map((b) => b.waitConnected()));
        await waitFor(() => events.filter(([, e]) => e.kind === 'dtls-state' && e.state === 'connected').length === 6, 5000, 'DTLS on 6 calls');

        // Every call: the browser sends a tone and must hear it echoed through its worker.
        const freqs = [440, 1000, 440, 1000, 440, 1000];
        const sources = browsers.map((_, i) => new OpusToneSource(freqs[i], 111, 0x1000 + i));
        const sinks = browsers.map((b) => { const s = new OpusSink(); b.onRtp = (p) => s.push(p); return s; });
        await pump(1200, () => browsers.forEach((b, i) => b.send(sources[i].nextPacket())));
        await sleep(200);
        sinks.forEach((s, i) => {
          expect(toneFraction(s.samples(), 48000, freqs[i]), `call ${i} echo tone`).to.be.greaterThan(0.7);
        });
        const st = await engine.stats('c0');
        expect(st.webrtc.counters.rxPackets).to.be.greaterThan(40);
        expect(st.webrtc.counters.srtpAuthFailures).to.equal(0);
        const ws = await engine.workerStats();
        expect(ws.map((w) => w.calls)).to.deep.equal([3, 3]);

        await engine.closeCall('c0');
        await engine.closeCall('c0');
        expect(engine.load()).to.deep.equal([2, 3]);
      } finally {
        for (const b of browsers) b.close();
        await engine.close();
        await engine.close();
      }
      await sleep(50);
      expect(liveHandles()).to.deep.equal(handlesBefore);
      await engine.allocate('late', { offerer: false, bridge: 'echo' }).then(
        () => expect.fail('allocate after close must fail'),
        (e: { code?: string }) => expect(e.code).to.equal('ERR_MEDIA_WORKER_DOWN'),
      );
    });


    it('bridges browser (Opus, DTLS-SRTP) ↔ RTP peer (PCMU) through a transcoding bridge: tones both ways', async function () {
      this.timeout(30000);
      const engine = await MediaEngine.start({ workers: 2, portMin: 47000, portMax: 47999, opusComplexity: 3 });
      const browser = new NdcBrowser('rtp-bridge');
      const phone = await RtpPeer.bind();
      try {
        await connectRtpBridge(engine, 'br', browser, phone, {
          allocate: { webrtcSsrc: 0x5eed0001 },
          onAllocated: (alloc) => { expect(alloc.rtp).to.not.equal(null); },
        });
        const src = new OpusToneSource(440, 111, 0x4444);
        const atBrowser = new OpusSink();
        const ssrcsAtBrowser = new Set<number>();
        browser.onRtp = (p) => { ssrcsAtBrowser.add(p.readUInt32BE(8)); atBrowser.push(p); };
        await pump(2000, () => { browser.send(src.nextPacket()); phone.sendTone(1000); });
        await sleep(300);
        // Judge the steady state: skip 0.5 s of setup (ICE/DTLS, jitter-buffer fill) and the trailing 0.3 s after the senders stop.
        const atPhone = steady(phone.samples(), 8000);
        const atB = steady(atBrowser.samples(), 48000);
        expect(atPhone.length, 'audio at the RTP peer').to.be.greaterThan(8000);
        expect(atB.length, 'audio at the browser').to.be.greaterThan(48000);
        expect(toneFraction(atPhone, 8000, 440), '440 Hz at the RTP peer').to.be.greaterThan(0.8);
        expect(toneFraction(atB, 48000, 1000), '1 kHz at the browser').to.be.greaterThan(0.8);
        const st = await engine.stats('br');
        expect(st.bridge?.webrtcToRtp.mode).to.equal('transcode');
        // media.opusComplexity reaches the encoder toward the browser; the G.711 side has none.
        expect(st.bridge?.encoderComplexity).to.deep.equal({ rtpToWebrtc: 3, webrtcToRtp: null });
        // The stream toward the browser uses the SSRC the allocate request named (the one the SDP announces).
        expect([...ssrcsAtBrowser]).to.deep.equal([0x5eed0001]);
        expect(st.rtp?.rxPackets).to.be.greaterThan(50);

        // Hold through engine.update (browser leg inactive), then resume: the browser hears
        // nothing while held and the tone again after resume.
        await engine.update('br', { direction: 'inactive' });
        await sleep(100);
        const heldFrom = atBrowser.packets;
        await pump(600, () => { browser.send(src.nextPacket()); phone.sendTone(1000); });
        expect(atBrowser.packets - heldFrom, 'no audio toward a held browser').to.equal(0);
        await engine.update('br', { direction: 'sendrecv' });
        const resumedFrom = atBrowser.samples().length;
        await pump(1500, () => { browser.send(src.nextPacket()); phone.sendTone(1000); });
        await sleep(200);
        const resumed = atBrowser.samples().subarray(resumedFrom + 24000);
        expect(toneFraction(resumed, 48000, 1000), '1 kHz after resume').to.be.greaterThan(0.8);
      } finally {
        browser.close();
        phone.close();
        await engine.close();
      }
    });
  });

  describe('MediaEngine: crash handling and control-protocol errors (netns)', () => {
    it('reports calls on a crashed worker as closed and restarts the worker', async function () {
      this.timeout(20000);
      const events: Array<[string, CallEvent]> = [];
      const engine = await MediaEngine.start({ workers: 2, portMin: 44000, portMax: 44999, onEvent: (id, e) => events.push([id, e]) });
      try {
        for (const id of ['a', 'b', 'c', 'd']) await engine.allocate(id, { offerer: true, bridge: 'echo' });
        const onZero = ['a', 'b', 'c', 'd'].filter((id) => engine.workerOf(id) === 0);
        expect(onZero).to.have.length(2);
        await engine.killWorker(0);
        await waitFor(() => events.filter(([, e]) => e.kind === 'closed').length === 2, 5000, 'closed events');
        const closed = events.filter(([, e]) => e.kind === 'closed' && e.reason === 'worker-crash').map(([id]) => id).sort();
        expect(closed).to.deep.equal(onZero.sort());
        expect(engine.restarts()).to.deep.equal([1, 0]);
        expect(engine.workerOf(onZero[0])).to.equal(null);
        await engine.stats(onZero[0]).then(() => expect.fail('stats of a crashed call'), (e: { code?: string }) => expect(e.code).to.equal('ERR_MEDIA_UNKNOWN_CALL'));
        // The restarted worker takes new calls (least-loaded: worker 0 is empty now).
        const r = await engine.allocate('e', { offerer: true, bridge: 'echo' });
        expect(r.worker).to.equal(0);
        expect(engine.load()).to.deep.equal([1, 2]);
      } finally {
        await engine.close();
      }
    });

    it('times out a request to a worker that does not answer', async function () {
      const engine = await MediaEngine.start({
        workers: 1, portMin: 45100, portMax: 45199, requestTimeoutMs: 300,
        workerUrl: new URL('./silent-worker.js', import.meta.url),
      });
      try {
        const t0 = Date.now();
        await engine.allocate('t', { offerer: false, bridge: 'echo' }).then(
          () => expect.fail('must time out'),
          (e: { code?: string }) => expect(e.code).to.equal('ERR_MEDIA_WORKER_TIMEOUT'),
        );
        expect(Date.now() - t0).to.be.within(250, 2000);
        expect(engine.load()).to.deep.equal([0]);
      } finally {
        await engine.close();
      }
    });
  });
}
