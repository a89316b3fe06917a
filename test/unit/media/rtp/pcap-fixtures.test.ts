import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { RtpView } from '../../../../src/media/rtp/rtp-view.js';
import { writeRtpPacket } from '../../../../src/media/rtp/rtp-writer.js';
import { classifyPacket, PacketKind } from '../../../../src/media/net/demux.js';

/** UDP payloads of a classic libpcap file (Ethernet or Linux cooked, IPv4). */
function udpPayloads(file: string): Buffer[] {
  const b = readFileSync(file);
  const le = b.readUInt32LE(0) === 0xa1b2c3d4;
  const u32 = (o: number): number => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linktype = u32(20);
  const l2 = linktype === 1 ? 14 : linktype === 113 ? 16 : 0;
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= b.length;) {
    const incl = u32(off + 8);
    const frame = b.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ip = frame.subarray(l2);
    if (ip.length < 20 || ip[0] >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0] & 0x0f) * 4);
    out.push(Buffer.from(udp.subarray(8, udp.readUInt16BE(4))));
  }
  return out;
}

describe('media/rtp binary fixtures (SIPp sample captures)', () => {
  it('g711a.pcap: every packet is RTP PT 8, 30 ms (240 samples) steps, and re-writes to the same bytes', () => {
    const pkts = udpPayloads('/usr/share/sip-tester/g711a.pcap');
    expect(pkts.length).to.be.greaterThan(100);
    const v = new RtpView();
    let prev: { seq: number; ts: number; ssrc: number } | null = null;
    for (const p of pkts) {
      expect(classifyPacket(p)).to.equal(PacketKind.Rtp);
      expect(v.wrap(p)).to.equal(true);
      expect(v.payloadType).to.equal(8);
      expect(v.payloadLength).to.equal(240);
      if (prev) {
        expect((v.sequence - prev.seq) & 0xffff).to.equal(1);
        expect((v.timestamp - prev.ts) >>> 0).to.equal(240);
        expect(v.ssrc).to.equal(prev.ssrc);
      }
      prev = { seq: v.sequence, ts: v.timestamp, ssrc: v.ssrc };
      const again = writeRtpPacket(Buffer.alloc(p.length), v.payloadType, v.sequence, v.timestamp, v.ssrc, v.marker, v.payload());
      expect(again.equals(p)).to.equal(true);
    }
  });

  it('dtmf_2833_1.pcap: telephone-event packets for digit 1 share one timestamp per event', () => {
    const pkts = udpPayloads('/usr/share/sip-tester/dtmf_2833_1.pcap');
    expect(pkts.length).to.be.greaterThan(0);
    const v = new RtpView();
    const ts = new Set<number>();
    for (const p of pkts) {
      expect(v.wrap(p)).to.equal(true);
      expect(v.payloadLength).to.equal(4);
      expect(v.payload()[0]).to.equal(1);
      ts.add(v.timestamp);
    }
    expect(ts.size).to.equal(1);
  });
});
