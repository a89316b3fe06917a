import { expect } from 'chai';
import { parseRtcp } from '../../../../src/media/rtp/rtcp-parse.js';
import { buildBye, buildReceiverReport, buildSdesCname, buildSenderReport } from '../../../../src/media/rtp/rtcp-build.js';
import {
  RTCP_APP, RTCP_BYE, RTCP_PSFB, RTCP_RR, RTCP_RTPFB, RTCP_SDES, RTCP_SR,
  type FeedbackPacket, type Goodbye, type ReceiverReport, type SenderReport, type SourceDescription, type AppPacket,
} from '../../../../src/media/rtp/rtcp-types.js';
import { RtpReceiveStats } from '../../../../src/media/rtp/rtp-receive-stats.js';
import { msToNtp, ntpMiddle32 } from '../../../../src/media/rtp/ntp.js';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

describe('media/rtp RTCP', () => {
  const block = { ssrc: 0x11223344, fractionLost: 25, cumulativeLost: -3, highestSeq: 0x00010005, jitter: 42, lsr: 0xaabbccdd, dlsr: 65536 };

  it('builds an SR with exact bytes and parses it back', () => {
    const sr = buildSenderReport(0xcafebabe, { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 }, [block]);
    expect(sr.toString('hex')).to.equal(
      '81c8000c' + 'cafebabe' + '00000001' + '00000002' + '00000003' + '00000004' + '00000005'
      + '11223344' + '19' + 'fffffd' + '00010005' + '0000002a' + 'aabbccdd' + '00010000');
    const r = parseRtcp(sr);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    const p = r.packets[0] as SenderReport;
    expect(p.type).to.equal(RTCP_SR);
    expect(p.sender).to.deep.equal({ ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 });
    expect(p.reports).to.deep.equal([block]);
  });

  it('parses a compound RR + SDES + BYE built by the builders', () => {
    const c = Buffer.concat([buildReceiverReport(7, [block]), buildSdesCname(7, 'tandem@x'), buildBye([7, 8], 'bye')]);
    const r = parseRtcp(c);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    expect(r.packets.map((p) => p.type)).to.deep.equal([RTCP_RR, RTCP_SDES, RTCP_BYE]);
    expect((r.packets[0] as ReceiverReport).reports[0]).to.deep.equal(block);
    expect((r.packets[1] as SourceDescription).chunks).to.deep.equal([{ ssrc: 7, items: [{ type: 1, value: 'tandem@x' }] }]);
    expect(r.packets[2] as Goodbye).to.deep.equal({ type: RTCP_BYE, ssrcs: [7, 8], reason: 'bye' });
  });

  it('parses APP, RTPFB (NACK) and PSFB (PLI) after an RR', () => {
    const c = hex('80c90001 00000001' + '82cc0003 00000001 54455354 01020304' + '81cd0003 00000001 00000002 00050000' + '81ce0002 00000001 00000002');
    const r = parseRtcp(c);
    expect(r.ok).to.equal(true);
    if (!r.ok) return;
    const app = r.packets[1] as AppPacket;
    expect([app.type, app.subtype, app.name, app.data.toString('hex')]).to.deep.equal([RTCP_APP, 2, 'TEST', '01020304']);
    const nack = r.packets[2] as FeedbackPacket;
    expect([nack.type, nack.fmt, nack.senderSsrc, nack.mediaSsrc, nack.fci.toString('hex')]).to.deep.equal([RTCP_RTPFB, 1, 1, 2, '00050000']);
    const pli = r.packets[3] as FeedbackPacket;
    expect([pli.type, pli.fmt, pli.fci.length]).to.deep.equal([RTCP_PSFB, 1, 0]);
  });

  it('rejects malformed compounds with a reason', () => {
    expect(parseRtcp(hex('80c9'))).to.deep.equal({ ok: false, error: 'short' });
    expect(parseRtcp(hex('40c90001 00000001'))).to.deep.equal({ ok: false, error: 'version' });
    expect(parseRtcp(hex('80c90005 00000001'))).to.deep.equal({ ok: false, error: 'length' });
    expect(parseRtcp(hex('81ca0001 00000001'))).to.deep.equal({ ok: false, error: 'first-not-report' });
    expect(parseRtcp(hex('81c90001 00000001'))).to.deep.equal({ ok: false, error: 'body' }); // RC=1 but no block
    expect(parseRtcp(hex('80c90001 00000001 81ca0002 00000001 0105')).ok).to.equal(false); // SDES item overruns
    expect(parseRtcp(hex('81ca0001 00000001'), undefined, false).ok).to.equal(false); // SDES chunk without terminator
  });

  it('never throws on random or truncated input', () => {
    const good = Buffer.concat([buildSenderReport(1, { ntpSec: 1, ntpFrac: 2, rtpTimestamp: 3, packetCount: 4, octetCount: 5 }, [block]), buildSdesCname(1, 'a'), buildBye([1])]);
    for (let i = 0; i < good.length; i++) parseRtcp(good.subarray(0, i));
    for (let i = 0; i < 20000; i++) {
      const b = Buffer.from(good);
      for (let k = 0; k < 3; k++) b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
      parseRtcp(b);
    }
  });
});

describe('media/rtp receive statistics (RFC 3550 A.1/A.3/A.8)', () => {
  it('counts loss, wrap and fraction lost', () => {
    const s = new RtpReceiveStats(8000);
    let gaps = 0;
    let seq = 65530;
    for (let i = 0; i < 20; i++) {
      if (i % 5 !== 4) gaps += Math.max(0, s.update(1, seq & 0xffff, i * 160, i * 20));
      seq++;
    }
    // 20 expected, 4 missing (the one at i=19 is the last, so only 3 gaps observed).
    expect(s.received).to.equal(16);
    expect(gaps).to.equal(3);
    const rb = s.reportBlock(400);
    expect(rb?.highestSeq).to.equal(65536 + ((65530 + 18) & 0xffff));
    expect(rb?.cumulativeLost).to.equal(3);
    expect(rb?.fractionLost).to.equal(Math.floor((3 << 8) / 19));
  });

  it('jitter is ~0 for perfectly paced packets and grows with delay variation', () => {
    const a = new RtpReceiveStats(8000);
    for (let i = 0; i < 100; i++) a.update(1, i, i * 160, i * 20);
    expect(a.jitter).to.be.below(0.001);
    const b = new RtpReceiveStats(8000);
    for (let i = 0; i < 200; i++) b.update(1, i, i * 160, i * 20 + (i % 2 ? 10 : 0));
    // |D| = 80 ts units every packet, converges to 80.
    expect(b.jitter).to.be.within(75, 81);
  });

  it('NTP middle 32 bits', () => {
    const t = msToNtp(1500);
    expect(t.sec).to.equal(2208988801);
    expect(t.frac).to.equal(0x80000000);
    expect(ntpMiddle32(t)).to.equal(((2208988801 & 0xffff) << 16 | 0x8000) >>> 0);
  });
});
