// Bridge mode 'rtp-rtp' (phone → phone through Tandem), real UDP sockets on loopback: RtpPeer
// "phone" A ↔ MediaEngine worker (two RTP legs) ↔ RtpPeer "phone" B. Tones both ways (440 Hz from
// A, 1000 Hz from B) checked by Goertzel on the decoded audio; passthrough with SSRC rewrite on a
// shared G.711 codec, RFC 4733 relayed with PT mapping, repacketization 20 ↔ 30 ms, SDES-SRTP on
// one leg and plain RTP on the other; close is idempotent and leaves no call behind.
import { expect } from 'chai';
import { MediaEngine } from '../../../../src/media/engine/index.js';
import type { PayloadFormat } from '../../../../src/media/leg.js';
import { generateSrtpKey, type SrtpSessionKeys } from '../../../../src/media/srtp/index.js';
import { RtpPeer } from '../../../helpers/rtp-peer.js';
import { toneDominates } from '../../../helpers/tone.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Side { codec: 'PCMU' | 'PCMA'; pt: number; ptime: number; dtmfPt: number; srtp: boolean; freq: number }

async function waitFor(cond: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await sleep(20);
}

describe('media engine: phone ↔ phone (bridge rtp-rtp)', function () {
  this.timeout(30000);
  let engine: MediaEngine;
  const peers: RtpPeer[] = [];

  before(async () => {
    engine = await MediaEngine.start({ workers: 2, portMin: 46000, portMax: 46199, packetIo: 'node' });
  });
  afterEach(async () => {
    for (const p of peers.splice(0)) await p.close();
  });
  after(async () => {
    await engine.close();
  });

  async function call(callId: string, a: Side, b: Side): Promise<{ pa: RtpPeer; pb: RtpPeer }> {
    const alloc = await engine.allocate(callId, { offerer: false, bridge: 'rtp-rtp' });
    expect(alloc.rtp, 'leg A endpoint').to.not.equal(null);
    expect(alloc.rtpB, 'leg B endpoint').to.not.equal(undefined);
    expect(alloc.rtpB!.rtpPort).to.not.equal(alloc.rtp!.rtpPort);
    expect(alloc.webrtc.candidates, 'no WebRTC leg').to.deep.equal([]);
    // One key pair per SDES leg: the phone's view is the mirror of the engine's.
    const keys = (on: boolean): { engine: SrtpSessionKeys; phone: SrtpSessionKeys } | null => {
      if (!on) return null;
      const ours = generateSrtpKey();
      const theirs = generateSrtpKey();
      return { engine: { local: ours, remote: theirs }, phone: { local: theirs, remote: ours } };
    };
    const ka = keys(a.srtp);
    const kb = keys(b.srtp);
    const pa = await RtpPeer.create({
      codec: a.codec, pt: a.pt, ptimeMs: a.ptime, freq: a.freq, dtmfPt: a.dtmfPt, ...(ka ? { srtp: ka.phone } : {}),
    });
    const pb = await RtpPeer.create({
      codec: b.codec, pt: b.pt, ptimeMs: b.ptime, freq: b.freq, dtmfPt: b.dtmfPt, ...(kb ? { srtp: kb.phone } : {}),
    });
    peers.push(pa, pb);
    const fmts = (s: Side): PayloadFormat[] => [
      { pt: s.pt, name: s.codec, clockRate: 8000, ptimeMs: s.ptime }, { pt: s.dtmfPt, name: 'telephone-event', clockRate: 8000 },
    ];
    await engine.apply(callId, {
      rtp: { remote: { address: '127.0.0.1', port: pa.port, rtcpPort: pa.port + 1 }, formats: fmts(a), srtp: ka?.engine ?? null, direction: 'sendrecv' },
      rtpB: { remote: { address: '127.0.0.1', port: pb.port, rtcpPort: pb.port + 1 }, formats: fmts(b), srtp: kb?.engine ?? null, direction: 'sendrecv' },
      bridge: { rtpSendPt: a.pt, rtpPtimeMs: a.ptime, rtpBSendPt: b.pt, rtpBPtimeMs: b.ptime, rtpBSsrc: 0x2000bbbb },
    });
    pa.start({ address: '127.0.0.1', port: alloc.rtp!.rtpPort });
    pb.start({ address: '127.0.0.1', port: alloc.rtpB!.rtpPort });
    return { pa, pb };
  }

  function expectTones(pa: RtpPeer, pb: RtpPeer, fa: number, fb: number): void {
    const atA = toneDominates(pa.received, 8000, fb, { candidates: [fa], skipMs: 200 });
    const atB = toneDominates(pb.received, 8000, fa, { candidates: [fb], skipMs: 200 });
    expect(atA.fraction, `A hears B's ${fb} Hz (${JSON.stringify(atA)})`).to.be.above(0.8);
    expect(atB.fraction, `B hears A's ${fa} Hz (${JSON.stringify(atB)})`).to.be.above(0.8);
  }

  it('PCMU both sides, plain RTP: passthrough both ways, tones, SSRC rewrite, RFC 4733 PT mapping', async () => {
    const { pa, pb } = await call('p2p-plain',
      { codec: 'PCMU', pt: 0, ptime: 20, dtmfPt: 101, srtp: false, freq: 440 },
      { codec: 'PCMU', pt: 0, ptime: 20, dtmfPt: 126, srtp: false, freq: 1000 });
    await sleep(1500);
    // a digit from A (PT 101) reaches B as PT 126
    for (let i = 0; i < 3; i++) pa.sendDtmf(5, 160 * (i + 1), false);
    for (let i = 0; i < 3; i++) pa.sendDtmf(5, 800, true);
    await waitFor(() => pb.dtmf.some((d) => d.end), 2000);
    const st = await engine.stats('p2p-plain');
    expectTones(pa, pb, 440, 1000);
    expect(st.bridge?.webrtcToRtp.mode).to.equal('passthrough');
    expect(st.bridge?.rtpToWebrtc.mode).to.equal('passthrough');
    expect(st.rtpB, 'second RTP leg counters').to.not.equal(undefined);
    expect(pb.rxHeaders.every((h) => h.ssrc === 0x2000bbbb), 'B receives our SSRC').to.equal(true);
    const digits = pb.dtmf.filter((d) => d.end);
    expect(digits.length, 'digit relayed to B').to.be.greaterThan(0);
    expect(digits[0]!.event).to.equal(5);
    expect(digits[0]!.pt).to.equal(126);
    await engine.closeCall('p2p-plain');
    await engine.closeCall('p2p-plain');
  });

  it('SDES-SRTP on A, plain RTP on B, PCMA 20 ms ↔ 30 ms: repacketized, tones both ways', async () => {
    const { pa, pb } = await call('p2p-srtp',
      { codec: 'PCMA', pt: 8, ptime: 20, dtmfPt: 101, srtp: true, freq: 440 },
      { codec: 'PCMA', pt: 8, ptime: 30, dtmfPt: 101, srtp: false, freq: 1000 });
    await sleep(2000);
    const st = await engine.stats('p2p-srtp');
    expectTones(pa, pb, 440, 1000);
    expect(st.rtp?.srtpAuthFailures).to.equal(0);
    expect(pa.receivedBad, 'A decrypts everything').to.equal(0);
    expect(st.bridge?.webrtcToRtp.mode, 'A→B repacketized to 30 ms').to.equal('transcode');
    const gaps = pb.rxHeaders.slice(5).map((h, i, arr) => (i === 0 ? 240 : (h.ts - arr[i - 1]!.ts) >>> 0));
    expect(gaps.filter((g) => g === 240).length / gaps.length, 'B gets 30 ms packets').to.be.above(0.9);
    await engine.closeCall('p2p-srtp');
  });

  it('hold (re-INVITE sendonly) stops media toward the held phone; close leaves no call', async () => {
    const { pa, pb } = await call('p2p-hold',
      { codec: 'PCMU', pt: 0, ptime: 20, dtmfPt: 101, srtp: false, freq: 440 },
      { codec: 'PCMU', pt: 0, ptime: 20, dtmfPt: 101, srtp: false, freq: 1000 });
    await sleep(600);
    // B puts the call on hold (a=sendonly from B): nothing more toward B (recvonly on leg B), B's audio still reaches A
    await engine.update('p2p-hold', { rtpB: { direction: 'recvonly' }, rtp: { direction: 'sendonly' } });
    await sleep(200);
    const before = pb.receivedPackets;
    await sleep(600);
    expect(pb.receivedPackets - before, 'nothing toward the held phone').to.equal(0);
    await engine.update('p2p-hold', { rtpB: { direction: 'sendrecv' }, rtp: { direction: 'sendrecv' } });
    pa.clearReceived();
    pb.clearReceived();
    await sleep(1200);
    expectTones(pa, pb, 440, 1000);
    await engine.closeCall('p2p-hold');
    expect(engine.load().reduce((x, y) => x + y, 0)).to.equal(0);
    const ws = await engine.workerStats();
    expect(ws.reduce((n, w) => n + w.calls, 0), 'no call left in the workers').to.equal(0);
    expect(ws.reduce((n, w) => n + w.portPairsUsed, 0), 'every port pair released').to.equal(0);
  });
});
