import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { MediaEngine, type CallEvent } from '../../../../src/media/engine/index.js';
import { inNetns } from '../../../helpers/netns.js';
import { describeNetnsRerun, liveHandles } from '../../../helpers/netns-suite.js';
import { OpusSink, OpusToneSource, toneFraction } from '../webrtc/audio.js';
import { NdcBrowser, ndcShutdown } from '../webrtc/ndc-browser.js';
import { pump, sleep, waitFor } from '../webrtc/support.js';
import { connectRtpBridge, steady } from './bridge-call.js';
import { RtpPeer } from './rtp-peer.js';

const thisFile = fileURLToPath(import.meta.url);

if (!inNetns()) {
  describeNetnsRerun('MediaEngine with process workers (integration, re-run inside a network namespace)', thisFile, { testTimeoutMs: 100000, timeoutMs: 90000 });
} else {
  describe('MediaEngine: workerKind process (netns)', () => {
    after(async function () {
      this.timeout(10000);
      await ndcShutdown();
    });

    it('transcodes browser (Opus) ↔ RTP peer (PCMU) in a worker process with the native Opus encoder, closes without leaks', async function () {
      this.timeout(30000);
      const handlesBefore = liveHandles();
      const engine = await MediaEngine.start({ workers: 2, workerKind: 'process', portMin: 47200, portMax: 47999, opusComplexity: 8 });
      const browser = new NdcBrowser('proc-bridge');
      const phone = await RtpPeer.bind();
      try {
        expect(engine.kind).to.equal('process');
        const ws = await engine.workerStats();
        expect(ws.map((w) => w.opusEncoder)).to.deep.equal(['native', 'native']);
        // Each worker is its own process: its pid-wide CPU counters differ from ours.
        await connectRtpBridge(engine, 'pb', browser, phone);
        const src = new OpusToneSource(440, 111, 0x5555);
        const atBrowser = new OpusSink();
        browser.onRtp = (p) => atBrowser.push(p);
        await pump(2000, () => { browser.send(src.nextPacket()); phone.sendTone(1000); });
        await sleep(300);
        const atPhone = steady(phone.samples(), 8000);
        const atB = steady(atBrowser.samples(), 48000);
        expect(atPhone.length, 'audio at the RTP peer').to.be.greaterThan(8000);
        expect(atB.length, 'audio at the browser').to.be.greaterThan(48000);
        expect(toneFraction(atPhone, 8000, 440), '440 Hz at the RTP peer').to.be.greaterThan(0.8);
        expect(toneFraction(atB, 48000, 1000), '1 kHz at the browser (native Opus encoder)').to.be.greaterThan(0.8);
        const st = await engine.stats('pb');
        expect(st.bridge?.rtpToWebrtc.mode).to.equal('transcode');
        // opusComplexity crosses the process boundary (WorkerConfig in the environment) to the native encoder.
        expect(st.bridge?.encoderComplexity.rtpToWebrtc).to.equal(8);
      } finally {
        browser.close();
        phone.close();
        await engine.close();
        await engine.close();
      }
      await sleep(50);
      expect(liveHandles()).to.deep.equal(handlesBefore);
    });

    it('reports calls of a killed worker process as closed and restarts it', async function () {
      this.timeout(20000);
      const events: Array<[string, CallEvent]> = [];
      const engine = await MediaEngine.start({ workers: 2, workerKind: 'process', portMin: 44200, portMax: 44999, onEvent: (id, e) => events.push([id, e]) });
      try {
        for (const id of ['a', 'b', 'c', 'd']) await engine.allocate(id, { offerer: true, bridge: 'echo' });
        const onZero = ['a', 'b', 'c', 'd'].filter((id) => engine.workerOf(id) === 0);
        expect(onZero).to.have.length(2);
        await engine.killWorker(0);
        await waitFor(() => events.filter(([, e]) => e.kind === 'closed').length === 2, 5000, 'closed events');
        const closed = events.filter(([, e]) => e.kind === 'closed' && e.reason === 'worker-crash').map(([id]) => id).sort();
        expect(closed).to.deep.equal(onZero.sort());
        expect(engine.restarts()).to.deep.equal([1, 0]);
        const r = await engine.allocate('e', { offerer: true, bridge: 'echo' });
        expect(r.worker).to.equal(0);
        expect(engine.load()).to.deep.equal([1, 2]);
      } finally {
        await engine.close();
      }
    });
  });
}
