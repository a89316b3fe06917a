// Bridge mode 'webrtc' (browser → browser through Tandem), real sockets inside a network
// namespace: node-datachannel "browser" A (offers; the engine answers on leg A) ↔ MediaEngine
// worker ↔ node-datachannel "browser" B (the engine offers on leg B, B answers). Tones both ways
// (440 Hz from A, 1000 Hz from B) checked by Goertzel on the decoded audio, RFC 4733 digits relayed
// with the PT mapping, the SSRC each side receives is the one we asked for, passthrough both ways.
import { expect } from 'chai';
import { fileURLToPath } from 'node:url';
import { MediaEngine, type CallEvent } from '../../../../src/media/engine/index.js';
import type { PayloadFormat } from '../../../../src/media/leg.js';
import type { WebRtcLocalParams, WebRtcRemoteParams } from '../../../../src/media/webrtc/index.js';
import { describeNetnsRerun } from '../../../helpers/netns-suite.js';
import { inNetns } from '../../../helpers/netns.js';
import { NdcBrowser, buildLegSdp, ndcShutdown, parseRemote } from '../webrtc/ndc-browser.js';
import { BROWSER_TE_PT, BrowserReceiver, BrowserStream, sleep, toneFraction, withTelephoneEvent } from './support.js';

const thisFile = fileURLToPath(import.meta.url);
const TE: PayloadFormat = { pt: BROWSER_TE_PT, name: 'telephone-event', clockRate: 48000 };

/** B answers the engine's offer (libdatachannel answers by itself once the offer is set). */
async function answerOffer(b: NdcBrowser, offerSdp: string, local: WebRtcLocalParams): Promise<WebRtcRemoteParams> {
  const gathered = new Promise<void>((resolve) => {
    b.pc.onGatheringStateChange((s) => { if (s === 'complete') resolve(); });
  });
  b.pc.setRemoteDescription(offerSdp, 'offer');
  for (const c of local.candidates) {
    b.pc.addRemoteCandidate(`a=candidate:${c.foundation} ${c.component} ${c.transport.toUpperCase()} ${c.priority} ${c.address} ${c.port} typ ${c.type}`, '0');
  }
  await Promise.race([gathered, sleep(5000)]);
  const desc = b.pc.localDescription();
  if (!desc || desc.type !== 'answer') throw new Error(`B has no answer (${desc?.type ?? 'none'})`);
  return parseRemote(desc.sdp);
}

interface Pair {
  callId: string;
  a: NdcBrowser;
  b: NdcBrowser;
  txA: BrowserStream;
  txB: BrowserStream;
  rxA: BrowserReceiver;
  rxB: BrowserReceiver;
  ssrcA: number;
  ssrcB: number;
  close(): void;
}

async function setupPair(engine: MediaEngine, callId: string, ptB = 111): Promise<Pair> {
  const a = new NdcBrowser(`${callId}-a`, { opusPt: 111 });
  const b = new NdcBrowser(`${callId}-b`, { opusPt: ptB });
  const ssrcA = 0x1000aaaa;
  const ssrcB = 0x2000bbbb;
  try {
    const offerA = await a.offer();
    const alloc = await engine.allocate(callId, { offerer: false, offererB: true, bridge: 'webrtc', webrtcSsrc: ssrcA, webrtcBSsrc: ssrcB });
    expect(alloc.webrtcB, 'second WebRTC leg').to.not.equal(undefined);
    expect(alloc.webrtcB!.setup).to.equal('actpass');
    expect(alloc.rtp).to.equal(null);
    // As the session does: Tandem offers a=setup:active toward B (it is the DTLS client on both legs).
    const offerB = withTelephoneEvent(buildLegSdp({ ...alloc.webrtcB!, setup: 'active' }, { type: 'offer', opusPt: ptB, ssrc: ssrcB }), ptB);
    const remoteB = await answerOffer(b, offerB, alloc.webrtcB!);
    const local = await engine.apply(callId, {
      webrtc: { ...offerA.remote, formats: [...offerA.remote.formats, TE] },
      webrtcB: { ...remoteB, formats: [...remoteB.formats.filter((f) => f.name !== 'telephone-event'), TE] },
      bridge: { webrtcSendPt: 111, webrtcBSendPt: ptB, webrtcDtmf: 'forward' },
    });
    expect(local.setup).to.equal('active');
    expect(remoteB.setup, 'B answers passive to our active offer').to.equal('passive');
    expect(local.webrtcB?.setup, 'we are the DTLS client on leg B').to.equal('active');
    a.answer(withTelephoneEvent(buildLegSdp(local, { type: 'answer', opusPt: 111, ssrc: ssrcA }), 111), local);
    await a.waitConnected();
    await b.waitConnected();
    const txA = new BrowserStream(a, 'opus', 440, 111);
    const txB = new BrowserStream(b, 'opus', 1000, ptB);
    const rxA = new BrowserReceiver('opus', 111);
    const rxB = new BrowserReceiver('opus', ptB);
    a.onRtp = (p) => rxA.push(p);
    b.onRtp = (p) => rxB.push(p);
    txA.start();
    txB.start();
    return {
      callId, a, b, txA, txB, rxA, rxB, ssrcA, ssrcB,
      close() {
        txA.stop();
        txB.stop();
        a.onRtp = null;
        b.onRtp = null;
        a.close();
        b.close();
      },
    };
  } catch (e) {
    a.close();
    b.close();
    throw e;
  }
}

if (!inNetns()) {
  describeNetnsRerun('engine bridge mode webrtc: browser ↔ browser (re-run inside a network namespace)', thisFile, {
    testTimeoutMs: 150000, timeoutMs: 140000, mochaArgs: ['--timeout', '40000'],
  });
} else {
  describe('engine bridge mode webrtc: two node-datachannel browsers through one engine call (netns)', () => {
    let engine: MediaEngine;
    const events: Array<{ callId: string; ev: CallEvent }> = [];
    const open: Pair[] = [];

    before(async () => {
      engine = await MediaEngine.start({ workers: 2, portMin: 43200, portMax: 43399, onEvent: (callId, ev) => events.push({ callId, ev }) });
    });
    afterEach(async () => {
      for (const p of open.splice(0)) {
        p.close();
        await engine.closeCall(p.callId);
      }
    });
    after(async function () {
      this.timeout(20000);
      await engine.close();
      await ndcShutdown();
    });

    it('tones both ways (A 440 Hz → B, B 1000 Hz → A), passthrough, our SSRCs, RFC 4733 digits relayed A → B; one worker; close idempotent', async () => {
      const p = await setupPair(engine, 'b2b-tones');
      open.push(p);
      await sleep(2500);
      const fromB = toneFraction(p.rxA.samples(), 48000, 1000, 500);
      const fromA = toneFraction(p.rxB.samples(), 48000, 440, 500);
      expect(fromB, 'A hears B\'s 1000 Hz').to.be.greaterThan(0.8);
      expect(fromA, 'B hears A\'s 440 Hz').to.be.greaterThan(0.8);
      expect([...p.rxA.ssrcs]).to.deep.equal([p.ssrcA]);
      expect([...p.rxB.ssrcs]).to.deep.equal([p.ssrcB]);
      const st = await engine.stats(p.callId);
      expect(st.bridge?.webrtcToRtp.mode).to.equal('passthrough');
      expect(st.bridge?.rtpToWebrtc.mode).to.equal('passthrough');
      expect(st.webrtc.dtlsState).to.equal('connected');
      expect(st.webrtcB?.dtlsState).to.equal('connected');
      expect(st.webrtc.counters.srtpAuthFailures + (st.webrtcB?.counters.srtpAuthFailures ?? 0)).to.equal(0);
      // RFC 4733 from A reaches B as telephone-event (126 both sides).
      p.txA.sendDigits([{ key: 7, ms: 120 }, { key: 11, ms: 100 }]);
      const t0 = Date.now();
      while (!p.txA.dtmfIdle && Date.now() - t0 < 3000) await sleep(20);
      await sleep(300);
      expect(p.rxB.keys.map((k) => k.key)).to.deep.equal(['7', '#']);
      expect(p.rxA.keys).to.have.length(0);
      // Both legs of the call live on one worker.
      expect(engine.workerOf(p.callId)).to.be.a('number');
      expect(engine.load().reduce((x, y) => x + y, 0)).to.equal(1);
      open.splice(open.indexOf(p), 1);
      p.close();
      await engine.closeCall(p.callId);
      await engine.closeCall(p.callId);
      expect(engine.load().reduce((x, y) => x + y, 0)).to.equal(0);
      expect((await engine.workerStats()).reduce((n, w) => n + w.portPairsUsed, 0), 'ports released').to.equal(0);
    });

    it('allocation: two WebRTC legs on distinct ports; restartIceB renews leg B only; webrtcB on an rtp call is refused; close frees both port pairs', async () => {
      const used = async (): Promise<number> => (await engine.workerStats()).reduce((n, w) => n + w.portPairsUsed, 0);
      const base = await used();
      const alloc = await engine.allocate('b2b-alloc', { offerer: false, bridge: 'webrtc' });
      expect(alloc.webrtcB).to.not.equal(undefined);
      expect(alloc.webrtcB!.candidates[0]!.port).to.not.equal(alloc.webrtc.candidates[0]!.port);
      expect(alloc.webrtcB!.iceUfrag).to.not.equal(alloc.webrtc.iceUfrag);
      expect(alloc.webrtcB!.setup, 'offererB defaults to !offerer').to.equal('actpass');
      expect(alloc.webrtc.setup).to.equal('active');
      expect(await used()).to.equal(base + 2);
      const r = await engine.update('b2b-alloc', { restartIceB: true });
      expect(r.iceUfrag, 'leg A keeps its credentials').to.equal(alloc.webrtc.iceUfrag);
      expect(r.webrtcB?.iceUfrag, 'leg B gets new credentials').to.not.equal(alloc.webrtcB!.iceUfrag);
      await engine.allocate('b2b-rtp', { offerer: false, bridge: 'rtp' });
      let err: unknown = null;
      try {
        await engine.apply('b2b-rtp', { webrtcB: { ...alloc.webrtc, fingerprints: [alloc.webrtc.fingerprint], setup: 'active', formats: [], direction: 'sendrecv' } });
      } catch (e) {
        err = e;
      }
      expect((err as { code?: string } | null)?.code).to.equal('ERR_MEDIA_NO_WEBRTC_B_LEG');
      await engine.closeCall('b2b-rtp');
      await engine.closeCall('b2b-alloc');
      await engine.closeCall('b2b-alloc');
      expect(await used()).to.equal(base);
    });

    it('different payload types on each leg (A opus/111, B opus/109): mapped both ways; hold from A (leg A recvonly, leg B sendonly) silences B', async () => {
      const p = await setupPair(engine, 'b2b-pt', 109);
      open.push(p);
      await sleep(2000);
      expect(toneFraction(p.rxA.samples(), 48000, 1000, 500)).to.be.greaterThan(0.8);
      expect(toneFraction(p.rxB.samples(), 48000, 440, 500)).to.be.greaterThan(0.8);
      // Hold: we only receive from A and only send to B: B gets nothing, A stops receiving.
      await engine.update(p.callId, { direction: 'recvonly' });
      await sleep(300);
      const t1 = Date.now();
      await sleep(700);
      expect(p.rxA.packetsBetween(t1, Date.now()), 'A receives nothing on hold').to.equal(0);
      expect(p.rxB.packetsBetween(t1, Date.now()), 'B still receives A').to.be.greaterThan(20);
      await engine.update(p.callId, { direction: 'sendrecv' });
      await sleep(300);
      const t2 = Date.now();
      await sleep(700);
      expect(p.rxA.packetsBetween(t2, Date.now()), 'A receives again after resume').to.be.greaterThan(20);
      expect(events.filter((e) => e.callId === p.callId && (e.ev.kind === 'error' || (e.ev.kind === 'ice-state' && e.ev.state === 'failed')))).to.have.length(0);
    });
  });
}
