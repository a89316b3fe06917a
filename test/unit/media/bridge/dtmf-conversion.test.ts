import { expect } from 'chai';
import { DtmfEndDetector } from '../../../../src/media/bridge/dtmf-end-detector.js';
import { MediaBridge } from '../../../../src/media/bridge/media-bridge.js';
import { newLegCounters, type LegCounters, type MediaLeg, type PayloadFormat } from '../../../../src/media/leg.js';
import { RtpView } from '../../../../src/media/rtp/rtp-view.js';
import { writeRtpPacket } from '../../../../src/media/rtp/rtp-writer.js';
import { ManualClock } from '../../../helpers/manual-clock.js';

class FakeLeg implements MediaLeg {
  readonly kind = 'rtp' as const;
  readonly counters: LegCounters = newLegCounters();
  onRtp: ((packet: Buffer) => void) | null = null;
  readonly sent: Buffer[] = [];
  sendRtp(packet: Buffer): void { this.sent.push(Buffer.from(packet)); }
  close(): void { /* nothing */ }
  deliver(p: Buffer): void { this.onRtp?.(p); }
}

const PCMU_SIP: PayloadFormat[] = [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 101, name: 'telephone-event', clockRate: 8000 }];
const PCMU_WEB: PayloadFormat[] = [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 126, name: 'telephone-event', clockRate: 8000 }];
const OPUS_WEB: PayloadFormat[] = [{ pt: 111, name: 'opus', clockRate: 48000, channels: 2 }, { pt: 126, name: 'telephone-event', clockRate: 48000 }];

function pkt(pt: number, seq: number, ts: number, ssrc: number, payload: Uint8Array, marker = false): Buffer {
  return Buffer.from(writeRtpPacket(Buffer.alloc(12 + payload.length), pt, seq & 0xffff, ts >>> 0, ssrc, marker, payload));
}

function ev(event: number, end: boolean, duration: number): Uint8Array {
  return Uint8Array.of(event, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff);
}

/** A whole RFC 4733 digit as a sender emits it: start, updates, three end packets (same timestamp). */
function digitPackets(pt: number, event: number, seq0: number, ts: number, rate: number, durationMs: number): Buffer[] {
  const step = (50 * rate) / 1000;
  const total = (durationMs * rate) / 1000;
  const out: Buffer[] = [];
  let seq = seq0;
  for (let d = step; d < total; d += step) out.push(pkt(pt, seq++, ts, 0x1234, ev(event, false, d), d === step));
  for (let i = 0; i < 3; i++) out.push(pkt(pt, seq++, ts, 0x1234, ev(event, true, total)));
  return out;
}

interface Hdr { pt: number; seq: number; ts: number; ssrc: number; marker: boolean; event: number; end: boolean; duration: number }
function parse(sent: Buffer[]): Hdr[] {
  const v = new RtpView();
  return sent.map((b) => {
    expect(v.wrap(b)).to.equal(true);
    const p = v.payload();
    return { pt: v.payloadType, seq: v.sequence, ts: v.timestamp, ssrc: v.ssrc, marker: v.marker, event: p[0]!, end: (p[1]! & 0x80) !== 0, duration: p.length >= 4 ? (p[2]! << 8) | p[3]! : -1 };
  });
}

describe('media/bridge DtmfEndDetector', () => {
  it('reports one digit per event at its first end packet, with the duration in ms', () => {
    const got: Array<[number, number]> = [];
    const d = new DtmfEndDetector((e, ms) => got.push([e, ms]));
    for (const p of [...digitPackets(126, 1, 10, 48000, 48000, 160), ...digitPackets(126, 5, 20, 96000, 48000, 100)]) {
      d.onPayload(p, 12, p.length - 12, p.readUInt32BE(4), 48000);
    }
    expect(got).to.deep.equal([[1, 160], [5, 100]]);
    expect(d.reported).to.equal(2);
  });

  it('ignores payloads that are too short, non-DTMF events (flash) and retransmitted ends at 8 kHz', () => {
    const got: Array<[number, number]> = [];
    const d = new DtmfEndDetector((e, ms) => got.push([e, ms]));
    d.onPayload(Uint8Array.of(1, 0x80), 0, 2, 100, 8000);
    d.onPayload(ev(16, true, 800), 0, 4, 200, 8000);
    d.onPayload(ev(11, true, 1600), 0, 4, 300, 8000);
    d.onPayload(ev(11, true, 1600), 0, 4, 300, 8000);
    expect(got).to.deep.equal([[11, 200]]);
  });
});

describe('media/bridge RFC 4733 ↔ digit conversion', () => {
  for (const [name, webFormats, rate] of [['passthrough (PCMU both sides)', PCMU_WEB, 8000], ['transcoding (Opus ↔ PCMU)', OPUS_WEB, 48000]] as const) {
    it(`${name}: events from leg a are reported per digit and not forwarded when forward is false`, () => {
      const clock = new ClockWrap();
      const web = new FakeLeg();
      const sip = new FakeLeg();
      const got: Array<[number, number]> = [];
      const bridge = new MediaBridge({
        a: { leg: web, formats: webFormats }, b: { leg: sip, formats: PCMU_SIP }, clock: clock.c,
        dtmfFromA: { forward: false, onDigit: (e, ms) => got.push([e, ms]) },
      });
      for (const p of [...digitPackets(126, 1, 100, 5000, rate, 160), ...digitPackets(126, 5, 110, 5000 + rate, rate, 240)]) web.deliver(p);
      expect(got).to.deep.equal([[1, 160], [5, 240]]);
      expect(parse(sip.sent).filter((h) => h.pt === 101)).to.have.length(0);
      expect(bridge.aToB.dtmfForwarded).to.equal(0);
      bridge.close();
    });

    it(`${name}: forward true + onDigit ('both') forwards and reports`, () => {
      const clock = new ClockWrap();
      const web = new FakeLeg();
      const sip = new FakeLeg();
      const got: Array<[number, number]> = [];
      const bridge = new MediaBridge({
        a: { leg: web, formats: webFormats }, b: { leg: sip, formats: PCMU_SIP }, clock: clock.c,
        dtmfFromA: { forward: true, onDigit: (e, ms) => got.push([e, ms]) },
      });
      const pkts = digitPackets(126, 9, 100, 5000, rate, 160);
      for (const p of pkts) web.deliver(p);
      expect(got).to.deep.equal([[9, 160]]);
      const te = parse(sip.sent).filter((h) => h.pt === 101);
      expect(te).to.have.length(pkts.length);
      expect(te[te.length - 1]!.duration).to.equal(1280);
      bridge.close();
    });
  }

  it('sendDtmf toward a passthrough leg: start (M), updates every 50 ms, three E packets, one timestamp, continuous seq between audio', () => {
    const clock = new ClockWrap();
    const web = new FakeLeg();
    const sip = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: web, formats: PCMU_WEB, sendSsrc: 0xfeed }, b: { leg: sip, formats: PCMU_SIP }, clock: clock.c });
    const audio = new Uint8Array(160).fill(0xff);
    sip.deliver(pkt(0, 1000, 80000, 0x55, audio, true));
    clock.c.advance(20);
    sip.deliver(pkt(0, 1001, 80160, 0x55, audio));
    expect(bridge.sendDtmf('a', 9, 160)).to.equal(true);
    for (let t = 0; t < 10; t++) {
      clock.c.advance(20);
      sip.deliver(pkt(0, 1002 + t, 80320 + t * 160, 0x55, audio));
    }
    const all = parse(web.sent);
    for (let i = 1; i < all.length; i++) expect(all[i]!.seq).to.equal((all[i - 1]!.seq + 1) & 0xffff);
    expect(new Set(all.map((h) => h.ssrc))).to.deep.equal(new Set([0xfeed]));
    const te = all.filter((h) => h.pt === 126);
    expect(te.map((h) => [h.marker, h.end, h.duration])).to.deep.equal([
      [true, false, 400], [false, false, 800], [false, false, 1200], [false, true, 1280], [false, true, 1280], [false, true, 1280],
    ]);
    expect(te.every((h) => h.event === 9)).to.equal(true);
    const audioTs = all.filter((h) => h.pt === 0).map((h) => h.ts);
    // The event starts where the audio timeline stands (second audio packet's ts, at the same wall time).
    expect(new Set(te.map((h) => h.ts))).to.deep.equal(new Set([audioTs[1]]));
    expect(audioTs.length).to.equal(12);
    bridge.close();
  });

  it('sendDtmf toward an Opus (transcoding) leg uses telephone-event/48000 durations and the output SSRC', () => {
    const clock = new ClockWrap();
    const web = new FakeLeg();
    const sip = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: web, formats: OPUS_WEB, sendSsrc: 0xbeef }, b: { leg: sip, formats: PCMU_SIP }, clock: clock.c });
    expect(bridge.sendDtmf('a', 11, 100)).to.equal(true);
    clock.c.advance(200);
    const te = parse(web.sent).filter((h) => h.pt === 126);
    expect(te.map((h) => [h.marker, h.end, h.duration, h.event])).to.deep.equal([
      [true, false, 2400, 11], [false, true, 4800, 11], [false, true, 4800, 11], [false, true, 4800, 11],
    ]);
    expect(new Set(te.map((h) => h.ssrc))).to.deep.equal(new Set([0xbeef]));
    expect(new Set(te.map((h) => h.ts)).size).to.equal(1);
    for (let i = 1; i < te.length; i++) expect(te[i]!.seq).to.equal((te[i - 1]!.seq + 1) & 0xffff);
    bridge.close();
  });

  it('sendDtmf queues a second digit after the first and refuses a leg without telephone-event', () => {
    const clock = new ClockWrap();
    const web = new FakeLeg();
    const sip = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: web, formats: PCMU_WEB }, b: { leg: sip, formats: [{ pt: 0, name: 'PCMU', clockRate: 8000 }] }, clock: clock.c });
    expect(bridge.sendDtmf('b', 1, 100)).to.equal(false);
    bridge.sendDtmf('a', 1, 100);
    bridge.sendDtmf('a', 2, 100);
    clock.c.advance(500);
    const te = parse(web.sent);
    expect(te.map((h) => h.event)).to.deep.equal([1, 1, 1, 1, 2, 2, 2, 2]);
    expect(te.filter((h) => h.marker).length).to.equal(2);
    expect(te[4]!.ts).to.be.greaterThan(te[0]!.ts);
    bridge.close();
    expect(bridge.sendDtmf('a', 3, 100)).to.equal(false);
  });
});

class ClockWrap { readonly c = new ManualClock(); }
