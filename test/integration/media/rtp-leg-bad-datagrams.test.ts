import { expect } from 'chai';
import dgram from 'node:dgram';
import { buildReceiverReport, buildSenderReport, buildSdesCname } from '../../../src/media/rtp/rtcp-build.js';
import type { RtpLeg } from '../../../src/media/rtp-leg/rtp-leg.js';
import { toneDominates } from '../../helpers/tone.js';
import { sleep, startCall, type Call } from './call-fixture.js';
import { seededRandom as rng } from '../../helpers/seeded-random.js';

function drops(leg: RtpLeg): number {
  const c = leg.counters;
  return c.malformed + c.unknownPayloadType + c.unexpectedSource + c.srtpAuthFailures + c.discarded;
}

/** A mix of garbage, RTP-like, mutated RTP, RTCP-on-the-RTP-port, STUN/DTLS-looking datagrams. */
function makeRtpPortJunk(r: () => number, template: Buffer): Buffer {
  const kind = Math.floor(r() * 6);
  const len = Math.floor(r() * 300);
  const b = Buffer.alloc(kind === 0 ? len : Math.max(len, 1));
  for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
  switch (kind) {
    case 1: // RTP v2 with a random PT (some negotiated), random header bits
      if (b.length >= 1) b[0] = 0x80 | (b[0] & 0x3f);
      return b;
    case 2: { // a real packet, mutated
      const m = Buffer.from(template);
      for (let k = 0; k < 1 + Math.floor(r() * 4); k++) m[Math.floor(r() * m.length)] = Math.floor(r() * 256);
      return r() < 0.3 ? m.subarray(0, Math.floor(r() * m.length)) : m;
    }
    case 3: // RTCP on the RTP port (no rtcp-mux)
      return buildReceiverReport(Math.floor(r() * 0xffffffff));
    case 4: // STUN / DTLS-looking first bytes
      if (b.length >= 1) b[0] = r() < 0.5 ? Math.floor(r() * 4) : 20 + Math.floor(r() * 44);
      return b;
    default:
      return b;
  }
}

function makeRtcpPortJunk(r: () => number): Buffer {
  const kind = Math.floor(r() * 3);
  if (kind === 0) {
    const b = Buffer.alloc(Math.floor(r() * 200));
    for (let i = 0; i < b.length; i++) b[i] = Math.floor(r() * 256);
    return b;
  }
  const good = Buffer.concat([
    buildSenderReport(1, { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 }, [{ ssrc: 9, fractionLost: 1, cumulativeLost: 2, highestSeq: 3, jitter: 4, lsr: 5, dlsr: 6 }]),
    buildSdesCname(1, 'x'),
  ]);
  for (let k = 0; k < 1 + Math.floor(r() * 3); k++) good[Math.floor(r() * good.length)] = Math.floor(r() * 256);
  return kind === 1 ? good : good.subarray(0, Math.floor(r() * good.length));
}

async function blast(target: number, count: number, make: () => Buffer): Promise<number> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()));
  let sent = 0;
  try {
    for (let i = 0; i < count; i += 100) {
      const batch: Array<Promise<void>> = [];
      for (let k = i; k < Math.min(count, i + 100); k++) {
        const buf = make();
        batch.push(new Promise<void>((res) => s.send(buf, target, '127.0.0.1', (err) => { if (!err) sent++; res(); })));
      }
      await Promise.all(batch);
      await sleep(3);
    }
  } finally {
    await new Promise<void>((res) => s.close(() => res()));
  }
  return sent;
}

describe('integration media: bad datagrams at a live RtpLeg', function () {
  this.timeout(60000);
  let call: Call | null = null;
  afterEach(async () => { await call?.close(); call = null; });

  for (const srtp of [false, true]) {
    it(`${srtp ? 'SRTP' : 'plain RTP'}: tens of thousands of random/mutated datagrams: no crash, every drop counted, the tone still dominates`, async () => {
      call = await startCall(
        { codec: 'PCMU', freq: 1000, srtp, leg: { recvBufferSize: 4 * 1024 * 1024 } },
        { codec: 'PCMU', freq: 440 });
      await sleep(500);
      const legA = call.a.leg;
      const r = rng(srtp ? 99 : 42);
      // A real packet as mutation template (what the peer sends, before SRTP).
      const template = Buffer.from('8000123400000a00cafebabe' + 'ff'.repeat(160), 'hex');
      const before = drops(legA);
      call.b.peer.clearReceived();
      const sent = await blast(legA.localRtpPort, 20000, () => makeRtpPortJunk(r, template));
      await sleep(300);
      expect(sent).to.equal(20000);
      expect(drops(legA) - before, JSON.stringify(legA.counters)).to.equal(sent);
      // RTCP port.
      const rtcpBefore = legA.rtcpCounters.rtcpMalformed + legA.rtcpCounters.rtcpAuthFailures + legA.rtcpCounters.rtcpRx;
      const rtcpRxBefore = legA.rtcpCounters.rtcpRx;
      const sentRtcp = await blast(legA.localRtcpPort, 5000, () => makeRtcpPortJunk(r));
      await sleep(300);
      const rc = legA.rtcpCounters;
      expect(rc.rtcpMalformed + rc.rtcpAuthFailures + rc.rtcpRx - rtcpBefore, JSON.stringify(rc)).to.equal(sentRtcp);
      // With SRTP nothing forged authenticates; plain RTCP that still parses after mutation is accepted (and counted).
      if (srtp) expect(rc.rtcpRx - rtcpRxBefore).to.equal(0);
      // The call survived: still latched to the real peer, audio still flows with the tone.
      expect(legA.rtpDestination?.port).to.equal(call.a.peer.port);
      await sleep(800);
      call.a.peer.stop();
      call.b.peer.stop();
      await sleep(200);
      const heard = toneDominates(call.b.peer.received, 8000, 1000, { candidates: [440] });
      expect(heard.fraction, JSON.stringify(heard)).to.be.above(0.8);
      expect(legA.counters.rxPackets).to.be.greaterThan(50);
    });
  }
});
