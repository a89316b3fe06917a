import { expect } from 'chai';
import { toneDominates } from '../../helpers/tone.js';
import { resourceCounts, sleep, startCall, type Call, type SideSpec } from './call-fixture.js';

const A_HZ = 1000;
const B_HZ = 440;

async function talk(a: SideSpec, b: SideSpec, ms = 2500): Promise<Call> {
  const call = await startCall(a, b);
  await sleep(ms);
  call.a.peer.stop();
  call.b.peer.stop();
  await sleep(300);
  return call;
}

function expectTones(call: Call, minFraction: number): void {
  const atB = toneDominates(call.b.peer.received, 8000, A_HZ, { candidates: [B_HZ], skipMs: 300 });
  const atA = toneDominates(call.a.peer.received, 8000, B_HZ, { candidates: [A_HZ], skipMs: 300 });
  expect(atB.blocks, 'audio reached B').to.be.greaterThan(10);
  expect(atA.blocks, 'audio reached A').to.be.greaterThan(10);
  const ctx = JSON.stringify({ aToB: call.bridge.aToB, bToA: call.bridge.bToA });
  expect(atB.fraction, `1000 Hz at B ${JSON.stringify(atB)} ${ctx}`).to.be.above(minFraction);
  expect(atA.fraction, `440 Hz at A ${JSON.stringify(atA)} ${ctx}`).to.be.above(minFraction);
}

describe('integration media: two RtpLegs bridged on loopback, tones both ways', function () {
  this.timeout(20000);
  let call: Call | null = null;
  afterEach(async () => { await call?.close(); call = null; });

  it('PCMU passthrough', async () => {
    call = await talk({ codec: 'PCMU', freq: A_HZ }, { codec: 'PCMU', freq: B_HZ });
    expect(call.bridge.aToB.mode).to.equal('passthrough');
    expectTones(call, 0.8);
    expect(call.a.leg.counters.malformed + call.a.leg.counters.unknownPayloadType + call.a.leg.counters.unexpectedSource).to.equal(0);
  });

  it('PCMU ↔ PCMA through the G.711 tables', async () => {
    call = await talk({ codec: 'PCMU', freq: A_HZ }, { codec: 'PCMA', freq: B_HZ });
    expect(call.bridge.aToB.mode).to.equal('passthrough');
    expectTones(call, 0.8);
  });

  it('SDES-SRTP on one side (peer uses werift SRTP), plain RTP on the other', async () => {
    call = await talk({ codec: 'PCMU', freq: A_HZ, srtp: true }, { codec: 'PCMU', freq: B_HZ });
    expectTones(call, 0.8);
    expect(call.a.leg.counters.srtpAuthFailures).to.equal(0);
    expect(call.a.peer.receivedBad).to.equal(0);
  });

  it('30 ms ptime on one side (passthrough)', async () => {
    call = await talk({ codec: 'PCMU', freq: A_HZ }, { codec: 'PCMU', freq: B_HZ, ptimeMs: 30 });
    expectTones(call, 0.8);
  });

  it('Opus (20 ms) ↔ PCMU (30 ms) transcoding with repacketization', async () => {
    call = await talk({ codec: 'PCMU', freq: A_HZ, ptimeMs: 30 }, { codec: 'opus', freq: B_HZ });
    expect(call.bridge.aToB.mode).to.equal('transcode');
    expectTones(call, 0.75);
    // Toward the SIP side the bridge packetizes at 30 ms: timestamps step by 240.
    const h = call.a.peer.rxHeaders;
    let steps240 = 0;
    for (let i = 1; i < h.length; i++) if (((h[i].ts - h[i - 1].ts) >>> 0) === 240) steps240++;
    expect(steps240 / (h.length - 1)).to.be.above(0.9);
  });

  it('5% random loss + 40 ms jitter injected both ways: passthrough, the tone still dominates', async () => {
    call = await talk(
      { codec: 'PCMU', freq: A_HZ, lossRate: 0.05, jitterMs: 40, seed: 7 },
      { codec: 'PCMU', freq: B_HZ, lossRate: 0.05, jitterMs: 40, seed: 11 }, 3000);
    expectTones(call, 0.5);
    expect(call.b.leg.counters.rxLost).to.be.greaterThan(0);
  });

  it('5% random loss + 40 ms jitter injected both ways: Opus ↔ PCMU transcoding conceals, the tone still dominates', async () => {
    call = await talk(
      { codec: 'PCMU', freq: A_HZ, lossRate: 0.05, jitterMs: 40, seed: 3 },
      { codec: 'opus', freq: B_HZ, lossRate: 0.05, jitterMs: 40, seed: 5 }, 3000);
    expectTones(call, 0.5);
    expect(call.bridge.aToB.concealed + call.bridge.bToA.concealed).to.be.greaterThan(0);
  });

  it('RFC 4733 DTMF crosses PCMU (telephone-event/8000) → Opus (telephone-event/48000) as events, not audio', async () => {
    call = await startCall({ codec: 'PCMU', freq: A_HZ }, { codec: 'opus', freq: B_HZ });
    await sleep(500);
    const ts = call.a.peer.timestamp;
    for (const [i, d] of [160, 320, 480, 640, 800].entries()) {
      call.a.peer.sendDtmf(9, d, false, ts, 101, i === 0);
      await sleep(20);
    }
    for (let k = 0; k < 3; k++) call.a.peer.sendDtmf(9, 960, true, ts, 101);
    await sleep(300);
    const ev = call.b.peer.dtmf;
    expect(ev.map((e) => e.duration)).to.deep.equal([960, 1920, 2880, 3840, 4800, 5760, 5760, 5760]);
    expect(ev.every((e) => e.event === 9 && e.pt === 126)).to.equal(true);
    expect(ev.map((e) => e.end)).to.deep.equal([false, false, false, false, false, true, true, true]);
    expect(new Set(ev.map((e) => e.ts)).size).to.equal(1);
    expect(call.bridge.aToB.dtmfForwarded).to.equal(8);
  });

  it('hold stops media toward the held side, resume starts it again', async () => {
    call = await startCall({ codec: 'PCMU', freq: A_HZ }, { codec: 'PCMU', freq: B_HZ });
    await sleep(800);
    expect(call.b.peer.receivedPackets).to.be.greaterThan(20);
    call.b.leg.update({ direction: 'inactive' });
    await sleep(100);
    const held = call.b.peer.receivedPackets;
    const heldAtA = call.a.peer.receivedPackets;
    await sleep(700);
    expect(call.b.peer.receivedPackets, 'nothing sent to B on hold').to.equal(held);
    expect(call.a.peer.receivedPackets, 'nothing from B forwarded on hold').to.equal(heldAtA);
    call.b.peer.clearReceived();
    call.a.peer.clearReceived();
    call.b.leg.update({ direction: 'sendrecv' });
    await sleep(1500);
    expect(call.b.peer.receivedPackets - held).to.be.greaterThan(40);
    expectTones(call, 0.7);
  });

  it('closing under load leaks no socket or timer', async () => {
    // Let handles from earlier tests finish closing, so the baseline is stable.
    let before = resourceCounts();
    for (let i = 0; i < 20; i++) {
      await sleep(100);
      const now = resourceCounts();
      if ((now.UDPWrap ?? 0) === (before.UDPWrap ?? 0) && (now.Timeout ?? 0) === (before.Timeout ?? 0)) break;
      before = now;
    }
    const calls = await Promise.all([
      startCall({ codec: 'PCMU', freq: A_HZ }, { codec: 'PCMU', freq: B_HZ }),
      startCall({ codec: 'PCMU', freq: A_HZ, srtp: true }, { codec: 'opus', freq: B_HZ }),
      startCall({ codec: 'PCMA', freq: A_HZ, ptimeMs: 30 }, { codec: 'PCMU', freq: B_HZ, srtp: true }),
    ]);
    await sleep(800);
    const during = resourceCounts();
    expect(during.UDPWrap ?? 0).to.be.at.least((before.UDPWrap ?? 0) + 3 * 6);
    // Close while packets are in flight.
    await Promise.all(calls.map((c) => c.close()));
    for (const c of calls) { c.a.leg.close(); c.bridge.close(); }
    // Sockets close once their last datagram (the RTCP BYE) is sent: at most 200 ms.
    await sleep(300);
    const after = resourceCounts();
    expect(after.UDPWrap ?? 0, JSON.stringify({ before, after })).to.equal(before.UDPWrap ?? 0);
    expect(after.Timeout ?? 0, JSON.stringify({ before, after })).to.be.at.most(before.Timeout ?? 0);
  });
});
