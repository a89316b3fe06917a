import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DtmfDetector } from '../../../../src/media/dtmf/dtmf-detector.js';
import {
  DtmfTranslator, dtmfEventCode, dtmfEventName, parseTelephoneEvent, writeTelephoneEvent,
} from '../../../../src/media/dtmf/rfc4733.js';

// SIPp's RFC 2833/4733 captures (Debian sip-tester) as fixtures.
const PCAP_DIR = '/usr/share/sip-tester';

interface RtpPacket {
  bytes: Uint8Array;
  pt: number;
  marker: boolean;
  seq: number;
  ts: number;
  payload: Uint8Array;
}

/** Tiny pcap reader: classic pcap, Ethernet / Linux cooked / BSD loopback, IPv4 + UDP → RTP. */
function readPcapRtp(file: string): RtpPacket[] {
  const d = readFileSync(file);
  const magic = d.readUInt32LE(0);
  const le = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!le && d.readUInt32BE(0) !== 0xa1b2c3d4 && d.readUInt32BE(0) !== 0xa1b23c4d) throw new Error(`${file}: not a pcap`);
  const u32 = (o: number): number => (le ? d.readUInt32LE(o) : d.readUInt32BE(o));
  const linktype = u32(20);
  const l2 = linktype === 1 ? 14 : linktype === 113 ? 16 : linktype === 0 ? 4 : 0;
  const out: RtpPacket[] = [];
  let off = 24;
  while (off + 16 <= d.length) {
    const incl = u32(off + 8);
    const pkt = d.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    const ip = pkt.subarray(l2);
    if (ip.length < 28 || ip[0] >> 4 !== 4 || ip[9] !== 17) continue;
    const udp = ip.subarray((ip[0] & 15) * 4);
    const rtp = new Uint8Array(udp.subarray(8, udp.readUInt16BE(4)));
    if (rtp.length < 12 || rtp[0] >> 6 !== 2) continue;
    const hl = 12 + (rtp[0] & 15) * 4;
    out.push({
      bytes: rtp,
      pt: rtp[1] & 0x7f,
      marker: (rtp[1] & 0x80) !== 0,
      seq: (rtp[2] << 8) | rtp[3],
      ts: ((rtp[4] << 24) | (rtp[5] << 16) | (rtp[6] << 8) | rtp[7]) >>> 0,
      payload: rtp.subarray(hl),
    });
  }
  return out;
}

const DIGITS: Array<[string, string]> = [
  ...'0123456789'.split('').map((c): [string, string] => [c, c]),
  ['star', '*'],
  ['pound', '#'],
];

describe('RFC 4733 telephone-events', () => {
  describe('parse / serialize', () => {
    it('parses and writes event blocks (E bit, volume, duration; R cleared)', () => {
      const p = Uint8Array.of(11, 0x80 | 0x40 | 10, 0x08, 0xc0);
      expect(parseTelephoneEvent(p)).to.deep.equal({ event: 11, end: true, volume: 10, duration: 2240 });
      const out = new Uint8Array(4);
      writeTelephoneEvent({ event: 11, end: true, volume: 10, duration: 2240 }, out);
      expect([...out]).to.deep.equal([11, 0x8a, 0x08, 0xc0]);
      writeTelephoneEvent({ event: 1, end: false, volume: 63, duration: 1e6 }, out);
      expect(parseTelephoneEvent(out)).to.deep.equal({ event: 1, end: false, volume: 63, duration: 0xffff });
      expect(parseTelephoneEvent(Uint8Array.of(1, 2, 3))).to.equal(null);
      expect(parseTelephoneEvent(p, 1)).to.equal(null);
    });

    it('names DTMF events (RFC 4733 §3.2)', () => {
      expect(dtmfEventName(0)).to.equal('0');
      expect(dtmfEventName(10)).to.equal('*');
      expect(dtmfEventName(11)).to.equal('#');
      expect(dtmfEventName(15)).to.equal('D');
      expect(dtmfEventName(16)).to.equal('flash');
      expect(dtmfEventName(40)).to.equal(null);
      expect(dtmfEventCode('#')).to.equal(11);
      expect(dtmfEventCode('a')).to.equal(12);
      expect(dtmfEventCode('x')).to.equal(null);
    });
  });

  describe('SIPp capture fixtures', () => {
    for (const [file, key] of DIGITS) {
      it(`dtmf_2833_${file}.pcap carries one '${key}' event with three end packets`, () => {
        const pkts = readPcapRtp(`${PCAP_DIR}/dtmf_2833_${file}.pcap`).filter((p) => p.pt === 101);
        expect(pkts.length).to.equal(10);
        const events = pkts.map((p) => parseTelephoneEvent(p.payload));
        for (const ev of events) expect(ev?.event).to.equal(dtmfEventCode(key));
        expect(pkts[0].marker).to.equal(true);
        expect(new Set(pkts.map((p) => p.ts)).size).to.equal(1); // one start timestamp
        expect(events.filter((e) => e?.end).length).to.equal(3);
        const durations = events.map((e) => e?.duration ?? -1);
        for (let i = 1; i < durations.length; i++) expect(durations[i]).to.be.at.least(durations[i - 1]);
        const det = new DtmfDetector(8000);
        const presses = pkts.map((p) => det.feed(p.ts, p.payload)).filter((x) => x !== null);
        expect(presses).to.have.length(1);
        expect(presses[0]).to.include({ key, durationMs: 280, volume: 10 });
      });
    }
  });

  describe('DtmfTranslator', () => {
    const one = readPcapRtp(`${PCAP_DIR}/dtmf_2833_1.pcap`).filter((p) => p.pt === 101);
    const pound = readPcapRtp(`${PCAP_DIR}/dtmf_2833_pound.pcap`).filter((p) => p.pt === 101);

    it('maps telephone-event/8000 PT 101 to telephone-event/48000 PT 110, keeping every packet', () => {
      const tr = new DtmfTranslator({ inPayloadType: 101, outPayloadType: 110, inClockRate: 8000, outClockRate: 48000 });
      const outs = one.map((p) => {
        const out = new Uint8Array(p.bytes.length);
        const n = tr.translatePacket(p.bytes, p.bytes.length, out);
        expect(n).to.equal(p.bytes.length);
        return out;
      });
      expect(outs).to.have.length(10);
      expect(tr.translated).to.equal(10);
      outs.forEach((o, i) => {
        expect(o[1] & 0x7f).to.equal(110);
        expect((o[1] & 0x80) !== 0).to.equal(one[i].marker);
        expect([...o.subarray(2, 4)]).to.deep.equal([...one[i].bytes.subarray(2, 4)]); // seq untouched
        expect([...o.subarray(8, 12)]).to.deep.equal([...one[i].bytes.subarray(8, 12)]); // SSRC untouched
        const ev = parseTelephoneEvent(o, 12);
        const orig = parseTelephoneEvent(one[i].payload);
        expect(ev?.event).to.equal(orig?.event);
        expect(ev?.end).to.equal(orig?.end);
        expect(ev?.volume).to.equal(orig?.volume);
        expect(ev?.duration).to.equal((orig?.duration ?? 0) * 6);
      });
      // All packets of the event share one (scaled) start timestamp.
      const ts = outs.map((o) => ((o[4] << 24) | (o[5] << 16) | (o[6] << 8) | o[7]) >>> 0);
      expect(new Set(ts).size).to.equal(1);
      expect(ts[0]).to.equal(one[0].ts * 6);
      // The three end retransmissions survive as three identical packets.
      expect(outs.slice(7).map((o) => Buffer.from(o).toString('hex'))).to.deep.equal(Array(3).fill(Buffer.from(outs[7]).toString('hex')));
    });

    it('round-trips 8000 → 48000 → 8000 to the original bytes', () => {
      const up = new DtmfTranslator({ inPayloadType: 101, outPayloadType: 110, inClockRate: 8000, outClockRate: 48000 });
      const down = new DtmfTranslator({ inPayloadType: 110, outPayloadType: 101, inClockRate: 48000, outClockRate: 8000 });
      for (const p of [...one, ...pound]) {
        const buf = new Uint8Array(p.bytes);
        expect(up.translatePacket(buf, buf.length, buf)).to.equal(buf.length); // in place
        expect(down.translatePacket(buf, buf.length, buf)).to.equal(buf.length);
        expect(Buffer.from(buf).toString('hex')).to.equal(Buffer.from(p.bytes).toString('hex'));
      }
    });

    it('keeps the timestamp distance between events, scaled, from an explicit anchor (with 32-bit wrap)', () => {
      const tr = new DtmfTranslator({ inPayloadType: 101, outPayloadType: 96, inClockRate: 8000, outClockRate: 48000 });
      tr.anchor(one[0].ts, 0xfffffff0);
      expect(tr.mapTimestamp(one[0].ts)).to.equal(0xfffffff0);
      expect(tr.mapTimestamp(pound[0].ts)).to.equal((0xfffffff0 + (pound[0].ts - one[0].ts) * 6) >>> 0);
      expect(tr.mapTimestamp(one[0].ts - 160)).to.equal((0xfffffff0 - 960) >>> 0);
    });

    it('clamps durations that overflow 16 bits at the higher rate', () => {
      const tr = new DtmfTranslator({ inPayloadType: 101, outPayloadType: 110, inClockRate: 8000, outClockRate: 48000 });
      const src = Uint8Array.of(5, 10, 0x4e, 0x20); // 20000 units = 2.5 s
      const out = new Uint8Array(4);
      expect(tr.translatePayload(src, 0, 4, out, 0)).to.equal(4);
      expect(parseTelephoneEvent(out)?.duration).to.equal(0xffff);
      expect(tr.clamped).to.equal(1);
    });

    it('refuses audio, wrong payload types and malformed packets (counted)', () => {
      const tr = new DtmfTranslator({ inPayloadType: 101, outPayloadType: 110, inClockRate: 8000, outClockRate: 48000 });
      const audio = readPcapRtp(`${PCAP_DIR}/g711a.pcap`)[0];
      expect(audio.pt).to.equal(8);
      const out = new Uint8Array(2000);
      expect(tr.translatePacket(audio.bytes, audio.bytes.length, out)).to.equal(-1);
      expect(tr.translatePacket(one[0].bytes, 14, out)).to.equal(-1); // payload cut short
      expect(tr.translatePacket(Uint8Array.of(0x00, 101, 0, 0), 4, out)).to.equal(-1); // not RTP
      const bad = new Uint8Array(one[0].bytes);
      bad[0] = 0x80 | 0x0f; // 15 CSRCs: header longer than the packet
      expect(tr.translatePacket(bad, bad.length, out)).to.equal(-1);
      expect(tr.malformed).to.equal(4);
      expect(tr.translated).to.equal(0);
    });
  });
});
