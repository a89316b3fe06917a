import { expect } from 'chai';
import dgram from 'node:dgram';
import { RtpLeg } from '../../../../src/media/rtp-leg/rtp-leg.js';
import { PortPool } from '../../../../src/media/net/port-pool.js';
import { generateSrtpKey } from '../../../../src/media/srtp/srtp-suite.js';
import { WeriftSrtpSession } from '../../../../src/media/srtp/werift-srtp-session.js';
import { parseRtcp } from '../../../../src/media/rtp/rtcp-parse.js';
import { buildReceiverReport, buildSenderReport } from '../../../../src/media/rtp/rtcp-build.js';
import { isReceiverReport, isSenderReport } from '../../../../src/media/rtp/rtcp-types.js';
import { msToCompactNtp } from '../../../../src/media/rtp/ntp.js';
import type { PayloadFormat } from '../../../../src/media/leg.js';
import { ManualClock } from '../../../helpers/manual-clock.js';

const PCMU: PayloadFormat[] = [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 101, name: 'telephone-event', clockRate: 8000 }];

async function sock(): Promise<dgram.Socket> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  return s;
}

function rtp(seq: number, pt = 0, ssrc = 0x1111, len = 160): Buffer {
  const p = Buffer.alloc(12 + len, 0xff);
  p[0] = 0x80; p[1] = pt; p.writeUInt16BE(seq & 0xffff, 2); p.writeUInt32BE(seq * 160, 4); p.writeUInt32BE(ssrc, 8);
  return p;
}

const tick = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timeout waiting for condition');
    await tick(5);
  }
}

describe('media/rtp-leg RtpLeg', () => {
  const cleanup: Array<() => void> = [];
  afterEach(() => { for (const f of cleanup.splice(0)) f(); });

  async function setup(extra: Partial<Parameters<typeof RtpLeg.create>[0]> = {}) {
    const clock = new ManualClock();
    const pool = new PortPool({ min: 43000, max: 43999 });
    const peer = await sock();
    const peer2 = await sock();
    const leg = await RtpLeg.create({
      localAddress: '127.0.0.1', pool, clock, formats: PCMU,
      // SDP says a port nobody listens on: latching must find the real source.
      remote: { address: '127.0.0.1', port: 9 }, ...extra,
    });
    const got: Buffer[] = [];
    leg.onRtp = (p) => got.push(Buffer.from(p));
    const peerGot: Buffer[] = [];
    peer.on('message', (m) => peerGot.push(m));
    const peer2Got: Buffer[] = [];
    peer2.on('message', (m) => peer2Got.push(m));
    cleanup.push(() => { leg.close(); peer.close(); peer2.close(); });
    return { clock, pool, peer, peer2, leg, got, peerGot, peer2Got };
  }

  it('binds an even RTP port with RTCP on port+1 and releases them on close (idempotent)', async () => {
    const { leg, pool, clock } = await setup();
    expect(leg.localRtpPort % 2).to.equal(0);
    expect(leg.localRtcpPort).to.equal(leg.localRtpPort + 1);
    expect(pool.used).to.equal(1);
    expect(clock.pending).to.be.greaterThan(0);
    leg.close();
    leg.close();
    expect(pool.used).to.equal(0);
    expect(clock.pending).to.equal(0);
    leg.sendRtp(rtp(1)); // no throw after close
  });

  it('latches to the first valid source and sends there (symmetric RTP)', async () => {
    const { leg, peer, got, peerGot } = await setup();
    peer.send(rtp(1), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 1);
    expect(leg.latched).to.equal(true);
    expect(leg.rtpDestination).to.deep.equal({ address: '127.0.0.1', port: peer.address().port });
    leg.sendRtp(rtp(7, 0, 0x2222));
    await until(() => peerGot.length === 1);
    expect(peerGot[0].readUInt32BE(8)).to.equal(0x2222);
    expect(leg.counters.rxPackets).to.equal(1);
    expect(leg.counters.txPackets).to.equal(1);
  });

  it('counts unknown payload types and malformed datagrams; they never latch', async () => {
    const { leg, peer, peer2, got } = await setup();
    peer2.send(rtp(1, 18), leg.localRtpPort, '127.0.0.1');
    peer2.send(Buffer.from([0x80, 0, 0]), leg.localRtpPort, '127.0.0.1');
    peer2.send(Buffer.from('hello world, not rtp'), leg.localRtpPort, '127.0.0.1');
    const bad = rtp(2); bad[0] = 0x8f; // 15 CSRCs that are not there
    peer2.send(bad.subarray(0, 40), leg.localRtpPort, '127.0.0.1');
    await until(() => leg.counters.unknownPayloadType + leg.counters.malformed === 4);
    expect(leg.counters.unknownPayloadType).to.equal(1);
    expect(leg.counters.malformed).to.equal(3);
    expect(leg.latched).to.equal(false);
    peer.send(rtp(3), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 1);
    expect(leg.rtpDestination?.port).to.equal(peer.address().port);
  });

  it('learning mode re-latches after N consecutive packets from a new source; strict never does', async () => {
    for (const mode of ['learning', 'strict'] as const) {
      const { leg, peer, peer2, got } = await setup({ latch: mode, relatchAfter: 3, relatchIdleMs: 0 });
      peer.send(rtp(1), leg.localRtpPort, '127.0.0.1');
      await until(() => got.length === 1);
      // Interleaved packets from the old source reset the candidate count.
      for (const [s, seq] of [[peer2, 2], [peer2, 3], [peer, 4], [peer2, 5], [peer2, 6]] as const) {
        s.send(rtp(seq), leg.localRtpPort, '127.0.0.1');
        await tick(10);
      }
      await until(() => leg.counters.unexpectedSource === 4);
      expect(leg.rtpDestination?.port, mode).to.equal(peer.address().port);
      peer2.send(rtp(7), leg.localRtpPort, '127.0.0.1');
      await until(() => leg.counters.unexpectedSource + got.length === 4 + 3);
      expect(leg.rtpDestination?.port, mode).to.equal(mode === 'learning' ? peer2.address().port : peer.address().port);
      leg.close();
    }
  });

  it('learning mode does not re-latch while the latched source is still talking (relatchIdleMs)', async () => {
    const { leg, peer, peer2, got, clock } = await setup({ relatchAfter: 3, relatchIdleMs: 250 });
    peer.send(rtp(1), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 1);
    for (let i = 0; i < 20; i++) peer2.send(rtp(100 + i), leg.localRtpPort, '127.0.0.1');
    await until(() => leg.counters.unexpectedSource === 20);
    expect(leg.rtpDestination?.port).to.equal(peer.address().port);
    clock.advance(300); // the latched source fell silent
    peer2.send(rtp(200), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 2);
    expect(leg.rtpDestination?.port).to.equal(peer2.address().port);
  });

  it('SDES-SRTP: decrypts packets from an independent implementation, counts auth failures, encrypts what it sends', async () => {
    const a = generateSrtpKey();
    const b = generateSrtpKey();
    const { leg, peer, peer2, got, peerGot } = await setup({ srtp: { local: a, remote: b } });
    const peerSrtp = new WeriftSrtpSession({ local: b, remote: a });
    const wrong = new WeriftSrtpSession({ local: generateSrtpKey(), remote: a });
    peer2.send(wrong.protectRtp(rtp(1)), leg.localRtpPort, '127.0.0.1');
    peer2.send(rtp(2), leg.localRtpPort, '127.0.0.1'); // plain RTP on an SRTP leg: auth failure too
    await until(() => leg.counters.srtpAuthFailures === 2);
    expect(leg.latched).to.equal(false);
    const sent = rtp(3);
    peer.send(peerSrtp.protectRtp(sent), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 1);
    expect(got[0].equals(sent)).to.equal(true);
    leg.sendRtp(rtp(9, 0, 0x3333));
    await until(() => peerGot.length === 1);
    expect(peerGot[0].length).to.equal(12 + 160 + 10);
    expect(peerSrtp.unprotectRtp(peerGot[0])?.equals(rtp(9, 0, 0x3333))).to.equal(true);
  });

  it('reports inactivity through the injected clock, once, and re-arms when RTP resumes', async () => {
    const { leg, peer, clock, got } = await setup({ inactivityTimeoutMs: 3000 });
    const idle: number[] = [];
    leg.onInactive = (ms) => idle.push(ms);
    clock.advance(2000);
    expect(idle).to.have.length(0);
    clock.advance(1500);
    expect(idle).to.have.length(1);
    clock.advance(10000);
    expect(idle).to.have.length(1);
    peer.send(rtp(1), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 1);
    clock.advance(3500);
    expect(idle).to.have.length(2);
  });

  it('hold stops sending and delivery resumes after update()', async () => {
    const { leg, peer, peerGot } = await setup();
    leg.update({ remote: { address: '127.0.0.1', port: peer.address().port } });
    leg.sendRtp(rtp(1));
    await until(() => peerGot.length === 1);
    leg.update({ direction: 'recvonly' });
    leg.sendRtp(rtp(2));
    await tick(50);
    expect(peerGot).to.have.length(1);
    leg.update({ direction: 'sendrecv' });
    leg.sendRtp(rtp(3));
    await until(() => peerGot.length === 2);
    expect(peerGot[1].readUInt16BE(2)).to.equal(3);
  });

  it('update() with a new remote address re-arms latching; new keys take effect', async () => {
    const a = generateSrtpKey();
    const b = generateSrtpKey();
    const { leg, peer, peer2, got } = await setup({ srtp: { local: a, remote: b }, latch: 'strict' });
    peer.send(new WeriftSrtpSession({ local: b, remote: a }).protectRtp(rtp(1)), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 1);
    const b2 = generateSrtpKey();
    leg.update({ remote: { address: '127.0.0.1', port: peer2.address().port }, srtp: { local: a, remote: b2 } });
    expect(leg.latched).to.equal(false);
    peer2.send(new WeriftSrtpSession({ local: b2, remote: a }).protectRtp(rtp(2)), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 2);
    expect(leg.rtpDestination?.port).to.equal(peer2.address().port);
  });

  it('sends SR/RR + SDES on its RTCP port, and computes RTT/loss/jitter from the peer report', async () => {
    const { leg, peer, clock, got } = await setup({ rtcpIntervalMs: 5000 });
    const rtcpPeer = await sock();
    cleanup.push(() => rtcpPeer.close());
    const rtcpGot: Buffer[] = [];
    rtcpPeer.on('message', (m) => rtcpGot.push(m));
    leg.update({ remote: { address: '127.0.0.1', port: peer.address().port, rtcpPort: rtcpPeer.address().port } });
    // Receive 10 packets with one gap so the RR has loss.
    for (const s of [1, 2, 3, 5, 6, 7, 8, 9, 10, 11]) peer.send(rtp(s), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 10);
    expect(leg.counters.rxLost).to.equal(1);
    // Peer SR so our RR carries LSR/DLSR.
    const peerSr = buildSenderReport(0x1111, { ntpSec: 0xaaaa1234, ntpFrac: 0x56780000, rtpTimestamp: 0, packetCount: 10, octetCount: 1600 });
    rtcpPeer.send(peerSr, leg.localRtcpPort, '127.0.0.1');
    await until(() => leg.rtcpCounters.rtcpRx === 1);
    leg.sendRtp(rtp(100, 0, 0x4444));
    clock.advance(2600); // first report at interval/2
    await until(() => rtcpGot.length >= 1);
    const r = parseRtcp(rtcpGot[0]);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    const sr = r.packets[0];
    expect(isSenderReport(sr)).to.equal(true);
    if (!isSenderReport(sr)) return;
    expect(sr.ssrc).to.equal(0x4444);
    expect(sr.sender.packetCount).to.equal(1);
    expect(sr.reports[0].ssrc).to.equal(0x1111);
    expect(sr.reports[0].cumulativeLost).to.equal(1);
    expect(sr.reports[0].lsr).to.equal(0x12345678);
    expect(sr.reports[0].dlsr).to.be.within(Math.floor(2.5 * 65536), Math.ceil(2.7 * 65536));
    expect(r.packets[1].type).to.equal(202);
    // Peer RR about our stream with LSR = now - 150 ms, DLSR = 50 ms: RTT = 100 ms.
    const now = clock.now();
    const rr = buildReceiverReport(0x1111, [{ ssrc: 0x4444, fractionLost: 64, cumulativeLost: 3, highestSeq: 100, jitter: 80, lsr: msToCompactNtp(now - 150), dlsr: Math.round(0.05 * 65536) }]);
    rtcpPeer.send(rr, leg.localRtcpPort, '127.0.0.1');
    await until(() => leg.remoteReport !== null);
    expect(leg.remoteReport?.fractionLost).to.equal(0.25);
    expect(leg.remoteReport?.cumulativeLost).to.equal(3);
    expect(leg.remoteReport?.jitterMs).to.equal(10);
    expect(leg.remoteReport?.rttMs).to.be.within(98, 102);
    // Later reports without sending are RRs.
    clock.advance(8000);
    await until(() => rtcpGot.length >= 2);
    const r2 = parseRtcp(rtcpGot[rtcpGot.length - 1]);
    expect(r2.ok && isReceiverReport(r2.packets[0])).to.equal(true);
    // close() sends a final report with BYE (RFC 3550 §6.6).
    const n = rtcpGot.length;
    leg.close();
    await until(() => rtcpGot.length === n + 1);
    const r3 = parseRtcp(rtcpGot[n]);
    expect(r3.ok && r3.packets.map((p) => p.type)).to.deep.equal([201, 202, 203]);
  });

  it('binds udp6 for an IPv6 local address and latches an IPv6 source', async () => {
    const leg = await RtpLeg.create({ localAddress: '::1', formats: PCMU, remote: { address: '::1', port: 9 } });
    const s6 = dgram.createSocket('udp6');
    await new Promise<void>((r) => s6.bind(0, '::1', () => r()));
    cleanup.push(() => { leg.close(); s6.close(); });
    const back: Buffer[] = [];
    s6.on('message', (m) => back.push(m));
    let got = 0;
    leg.onRtp = () => { got++; };
    s6.send(rtp(1), leg.localRtpPort, '::1');
    await until(() => got === 1);
    leg.sendRtp(rtp(2));
    await until(() => back.length === 1);
    expect(leg.rtpDestination).to.deep.equal({ address: '::1', port: s6.address().port });
  });

  it('rtcp-mux: one port, RTCP demuxed by PT (RFC 5761)', async () => {
    const { leg, peer, got } = await setup({ rtcpMux: true });
    expect(leg.localRtcpPort).to.equal(leg.localRtpPort);
    peer.send(rtp(1), leg.localRtpPort, '127.0.0.1');
    peer.send(buildReceiverReport(0x1111), leg.localRtpPort, '127.0.0.1');
    await until(() => got.length === 1 && leg.rtcpCounters.rtcpRx === 1);
    expect(leg.counters.malformed).to.equal(0);
  });
});
