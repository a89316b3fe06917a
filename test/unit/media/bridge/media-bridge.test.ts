import { expect } from 'chai';
import { MediaBridge } from '../../../../src/media/bridge/media-bridge.js';
import { StreamRewriter } from '../../../../src/media/bridge/stream-rewriter.js';
import { newLegCounters, type LegCounters, type MediaLeg, type PayloadFormat } from '../../../../src/media/leg.js';
import { ulawEncode, ulawDecode, ulawToAlawBuffer } from '../../../../src/media/codecs/g711.js';
import { OpusDecoder, OpusEncoder } from '../../../../src/media/codecs/opus.js';
import { RtpView } from '../../../../src/media/rtp/rtp-view.js';
import { writeRtpPacket } from '../../../../src/media/rtp/rtp-writer.js';
import { ManualClock } from '../../../helpers/manual-clock.js';
import { generateTone, toneDominates } from '../../../helpers/tone.js';

class FakeLeg implements MediaLeg {
  readonly kind = 'rtp' as const;
  readonly counters: LegCounters = newLegCounters();
  onRtp: ((packet: Buffer) => void) | null = null;
  readonly sent: Buffer[] = [];
  sendRtp(packet: Buffer): void { this.sent.push(Buffer.from(packet)); }
  close(): void { /* nothing */ }
  /** Delivers a packet as if it came from the network. */
  deliver(p: Buffer): void { this.onRtp?.(p); }
}

const PCMU_SIP: PayloadFormat[] = [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 101, name: 'telephone-event', clockRate: 8000 }, { pt: 13, name: 'CN', clockRate: 8000 }];
const PCMU_B: PayloadFormat[] = [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 96, name: 'telephone-event', clockRate: 8000 }];
const OPUS_WEB: PayloadFormat[] = [{ pt: 111, name: 'opus', clockRate: 48000, channels: 2 }, { pt: 126, name: 'telephone-event', clockRate: 48000 }];

function pkt(pt: number, seq: number, ts: number, ssrc: number, payload: Uint8Array, marker = false): Buffer {
  return Buffer.from(writeRtpPacket(Buffer.alloc(12 + payload.length), pt, seq & 0xffff, ts >>> 0, ssrc, marker, payload));
}

function ulawTone(freq: number, frameSamples: number, index: number): Uint8Array {
  const pcm = generateTone({ rate: 8000, freq, durationMs: (frameSamples / 8000) * 1000, offset: index * frameSamples });
  const out = new Uint8Array(frameSamples);
  ulawEncode(pcm, out, frameSamples);
  return out;
}

function headers(sent: Buffer[]): Array<{ pt: number; seq: number; ts: number; ssrc: number; marker: boolean; len: number }> {
  const v = new RtpView();
  return sent.map((b) => {
    expect(v.wrap(b)).to.equal(true);
    return { pt: v.payloadType, seq: v.sequence, ts: v.timestamp, ssrc: v.ssrc, marker: v.marker, len: v.payloadLength };
  });
}

function decodeUlaw(sent: Buffer[], pt = 0): Int16Array {
  const v = new RtpView();
  const parts: Int16Array[] = [];
  for (const b of sent) {
    if (!v.wrap(b) || v.payloadType !== pt) continue;
    const pcm = new Int16Array(v.payloadLength);
    ulawDecode(v.payload(), pcm, v.payloadLength);
    parts.push(pcm);
  }
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

function decodeOpus(sent: Buffer[], pt = 111): Int16Array {
  const dec = new OpusDecoder({ sampleRate: 8000 });
  const v = new RtpView();
  const parts: Int16Array[] = [];
  const buf = new Int16Array(5760);
  for (const b of sent) {
    if (!v.wrap(b) || v.payloadType !== pt) continue;
    const n = dec.decode(v.payload(), buf);
    parts.push(buf.slice(0, n));
  }
  dec.close();
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

describe('media/bridge StreamRewriter', () => {
  it('keeps seq/ts continuous and forward across a source change', () => {
    const rw = new StreamRewriter(8000, 0xabc);
    const out: Array<[number, number]> = [];
    for (let i = 0; i < 5; i++) { rw.map(1, 100 + i, 1000 + i * 160, i * 20); out.push([rw.outSeq, rw.outTs]); }
    // New SSRC with a lower seq and ts after 100 ms of silence.
    const isNew = rw.map(2, 5, 50, 180);
    out.push([rw.outSeq, rw.outTs]);
    expect(isNew).to.equal(true);
    for (let i = 1; i < out.length; i++) {
      expect((out[i][0] - out[i - 1][0]) & 0xffff).to.equal(1);
      expect(((out[i][1] - out[i - 1][1]) >>> 0)).to.be.within(1, 2000);
    }
    // 100 ms elapsed since the last packet: ts advanced by 800.
    expect((out[5][1] - out[4][1]) >>> 0).to.equal(800);
    // A reordered older packet does not move the anchor back.
    rw.map(2, 4, 50 - 160, 181);
    expect((rw.outSeq - out[5][0]) & 0xffff).to.equal(0xffff);
  });
});

describe('media/bridge MediaBridge passthrough', () => {
  it('PCMU↔PCMU: payload untouched, PT mapped, SSRC/seq/ts rewritten, DTMF PT mapped, extensions stripped', () => {
    const clock = new ManualClock();
    const a = new FakeLeg();
    const b = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: a, formats: PCMU_SIP }, b: { leg: b, formats: PCMU_B }, clock });
    expect(bridge.aToB.mode).to.equal('passthrough');
    expect(bridge.bToA.mode).to.equal('passthrough');
    const payloads: Uint8Array[] = [];
    for (let i = 0; i < 10; i++) {
      const p = ulawTone(1000, 160, i);
      payloads.push(p);
      a.deliver(pkt(0, 500 + i, 9000 + i * 160, 0x11, p));
      clock.advance(20);
    }
    // Source change (re-INVITE): new SSRC, seq/ts restart low.
    for (let i = 0; i < 5; i++) {
      a.deliver(pkt(0, 3 + i, 77 + i * 160, 0x22, ulawTone(1000, 160, 10 + i)));
      clock.advance(20);
    }
    // DTMF 101 → 96.
    a.deliver(pkt(101, 8, 77 + 5 * 160, 0x22, Uint8Array.from([5, 10, 0, 160]), true));
    // Packet with a header extension: forwarded with a clean 12-byte header.
    const ext = Buffer.concat([Buffer.from('900000090000038000000022bede0001100a0000', 'hex'), Buffer.from(ulawTone(1000, 160, 16))]);
    a.deliver(ext);
    const h = headers(b.sent);
    expect(h).to.have.length(17);
    expect(new Set(h.map((x) => x.ssrc)).size).to.equal(1);
    for (let i = 1; i < h.length; i++) expect((h[i].seq - h[i - 1].seq) & 0xffff, `seq ${i}`).to.equal(1);
    for (let i = 1; i < 15; i++) expect((h[i].ts - h[i - 1].ts) >>> 0, `ts ${i}`).to.equal(160);
    expect(h[10].marker).to.equal(true);
    expect(h[15].pt).to.equal(96);
    expect(h[15].ts).to.equal((h[14].ts + 160) >>> 0);
    expect(h[16].len).to.equal(160);
    expect(b.sent[16].length).to.equal(172);
    for (let i = 0; i < 10; i++) expect(Buffer.compare(b.sent[i].subarray(12), Buffer.from(payloads[i]))).to.equal(0);
    expect(bridge.aToB.dtmfForwarded).to.equal(1);
    expect(bridge.aToB.sourceChanges).to.equal(1);
    bridge.close();
    expect(a.onRtp).to.equal(null);
    expect(clock.pending).to.equal(0);
  });

  it('PCMU→PCMA converts by table, sample for sample; CN is dropped when the other side has none', () => {
    const clock = new ManualClock();
    const a = new FakeLeg();
    const b = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: a, formats: PCMU_SIP }, b: { leg: b, formats: [{ pt: 8, name: 'PCMA', clockRate: 8000 }] }, clock });
    expect(bridge.aToB.mode).to.equal('passthrough');
    const p = ulawTone(440, 160, 0);
    a.deliver(pkt(0, 1, 0, 1, p));
    a.deliver(pkt(13, 2, 160, 1, Uint8Array.from([40])));
    expect(b.sent).to.have.length(1);
    const expected = new Uint8Array(160);
    ulawToAlawBuffer(p, expected, 160);
    expect(Buffer.compare(b.sent[0].subarray(12), Buffer.from(expected))).to.equal(0);
    expect(b.sent[0][1] & 0x7f).to.equal(8);
    expect(bridge.aToB.cnReceived).to.equal(1);
    bridge.close();
  });

  it('PCMU passthrough with telephone-event/48000 on one side: events re-timed onto the 8 kHz timeline', () => {
    const clock = new ManualClock();
    const a = new FakeLeg();
    const b = new FakeLeg();
    const web8k: PayloadFormat[] = [{ pt: 0, name: 'PCMU', clockRate: 8000 }, { pt: 126, name: 'telephone-event', clockRate: 48000 }];
    const bridge = new MediaBridge({ a: { leg: a, formats: web8k }, b: { leg: b, formats: PCMU_SIP }, clock });
    for (let i = 0; i < 5; i++) { a.deliver(pkt(0, 10 + i, 1000 + i * 160, 3, ulawTone(1000, 160, i))); clock.advance(20); }
    for (const d of [960, 1920, 2880]) a.deliver(pkt(126, 15 + d / 960 - 1, 6000 * 6, 3, Uint8Array.from([11, d === 2880 ? 0x8a : 0x0a, d >> 8, d & 0xff]), d === 960));
    const h = headers(b.sent);
    expect(h.slice(5).map((x) => x.pt)).to.deep.equal([101, 101, 101]);
    expect(new Set(h.slice(5).map((x) => x.ts)).size).to.equal(1);
    expect(h[5].ts).to.equal(h[4].ts);
    expect(b.sent.slice(5).map((p) => p.readUInt16BE(14))).to.deep.equal([160, 320, 480]);
    for (let i = 1; i < h.length; i++) expect((h[i].seq - h[i - 1].seq) & 0xffff).to.equal(1);
    expect(bridge.aToB.dtmfForwarded).to.equal(3);
    bridge.close();
  });

  it('a rebuilt bridge (re-INVITE) continues both outgoing streams: same SSRC, seq +1, ts forward', () => {
    const clock = new ManualClock();
    const a = new FakeLeg();
    const b = new FakeLeg();
    const first = new MediaBridge({ a: { leg: a, formats: PCMU_SIP }, b: { leg: b, formats: PCMU_B }, clock });
    for (let i = 0; i < 5; i++) { a.deliver(pkt(0, i, i * 160, 1, ulawTone(1000, 160, i))); clock.advance(20); }
    first.close();
    clock.advance(100);
    // After the re-INVITE b answers PCMA (same 8 kHz clock): the stream toward b continues.
    const second = new MediaBridge({
      a: { leg: a, formats: PCMU_SIP }, b: { leg: b, formats: [{ pt: 8, name: 'PCMA', clockRate: 8000 }] }, clock, continueFrom: first,
    });
    for (let i = 0; i < 5; i++) { a.deliver(pkt(0, 900 + i, 50000 + i * 160, 2, ulawTone(1000, 160, i))); clock.advance(20); }
    const h = headers(b.sent);
    expect(new Set(h.map((x) => x.ssrc)).size).to.equal(1);
    for (let i = 1; i < h.length; i++) expect((h[i].seq - h[i - 1].seq) & 0xffff).to.equal(1);
    // 20 ms after the last packet + 100 ms pause = 120 ms = 960 samples.
    expect((h[5].ts - h[4].ts) >>> 0).to.equal(960);
    expect(h[5].marker).to.equal(true);
    second.close();
  });

  it('a rebuilt transcoding bridge continues the stream toward the browser', () => {
    const clock = new ManualClock();
    const sip = new FakeLeg();
    const web = new FakeLeg();
    const run = (bridgeFrom?: MediaBridge): MediaBridge => {
      const br = new MediaBridge({ a: { leg: sip, formats: PCMU_SIP }, b: { leg: web, formats: OPUS_WEB }, clock, continueFrom: bridgeFrom });
      for (let i = 0; i < 20; i++) { sip.deliver(pkt(0, i, i * 160, bridgeFrom ? 7 : 6, ulawTone(1000, 160, i))); clock.advance(20); }
      clock.advance(200);
      br.close();
      return br;
    };
    const first = run();
    const n = web.sent.length;
    run(first);
    const h = headers(web.sent);
    expect(new Set(h.map((x) => x.ssrc)).size).to.equal(1);
    for (let i = 1; i < h.length; i++) {
      expect((h[i].seq - h[i - 1].seq) & 0xffff).to.equal(1);
      expect((h[i].ts - h[i - 1].ts) >>> 0).to.be.within(960, 48000);
    }
    expect(h[n].marker).to.equal(true);
  });

  it('sends toward each leg with its sendSsrc (passthrough and transcode); a rebuilt bridge keeps it, a clock-rate change too', () => {
    const clock = new ManualClock();
    const sip = new FakeLeg();
    const web = new FakeLeg();
    // Passthrough PCMU both ways: each direction uses the SSRC given for its destination.
    const pass = new MediaBridge({ a: { leg: sip, formats: PCMU_SIP, sendSsrc: 0xa1b2c3d4 }, b: { leg: web, formats: PCMU_B, sendSsrc: 0x01020304 }, clock });
    for (let i = 0; i < 3; i++) {
      sip.deliver(pkt(0, i, i * 160, 0x77, ulawTone(1000, 160, i)));
      web.deliver(pkt(0, 50 + i, 999 + i * 160, 0x88, ulawTone(440, 160, i)));
      clock.advance(20);
    }
    expect(headers(web.sent).map((x) => x.ssrc)).to.deep.equal([0x01020304, 0x01020304, 0x01020304]);
    expect(headers(sip.sent).map((x) => x.ssrc)).to.deep.equal([0xa1b2c3d4, 0xa1b2c3d4, 0xa1b2c3d4]);
    pass.close();
    // Re-INVITE to Opus toward the browser (48 kHz: a new stream) still uses the announced SSRC.
    const n = web.sent.length;
    const tc = new MediaBridge({ a: { leg: sip, formats: PCMU_SIP }, b: { leg: web, formats: OPUS_WEB, sendSsrc: 0x01020304 }, clock, continueFrom: pass });
    for (let i = 0; i < 20; i++) { sip.deliver(pkt(0, 3 + i, (3 + i) * 160, 0x77, ulawTone(1000, 160, 3 + i))); clock.advance(20); }
    const opus = headers(web.sent.slice(n));
    expect(opus.length).to.be.greaterThan(5);
    expect(new Set(opus.map((x) => x.ssrc))).to.deep.equal(new Set([0x01020304]));
    expect(opus.every((x) => x.pt === 111)).to.equal(true);
    tc.close();
    // Without sendSsrc: a random SSRC, as before.
    const other = new FakeLeg();
    const rnd = new MediaBridge({ a: { leg: sip, formats: PCMU_SIP }, b: { leg: other, formats: PCMU_B }, clock });
    sip.deliver(pkt(0, 99, 99 * 160, 0x77, ulawTone(1000, 160, 0)));
    expect(headers(other.sent)[0].ssrc).to.not.equal(0x01020304);
    rnd.close();
    expect(clock.pending).to.equal(0);
  });

  it('passes opusComplexity to the Opus encoder of a transcoding direction (default 5; none in passthrough)', () => {
    const clock = new ManualClock();
    const mk = (opusComplexity?: number): MediaBridge => new MediaBridge({
      a: { leg: new FakeLeg(), formats: PCMU_SIP }, b: { leg: new FakeLeg(), formats: OPUS_WEB }, clock,
      ...(opusComplexity !== undefined ? { opusComplexity } : {}),
    });
    for (const [given, expected] of [[undefined, 5], [0, 0], [2, 2], [9, 9], [10, 10]] as const) {
      const br = mk(given);
      expect(br.aToB.mode).to.equal('transcode');
      expect(br.encoderComplexity(), `complexity ${String(given)}`).to.deep.equal({ aToB: expected, bToA: null });
      br.close();
    }
    const pass = new MediaBridge({ a: { leg: new FakeLeg(), formats: PCMU_SIP }, b: { leg: new FakeLeg(), formats: PCMU_B }, clock, opusComplexity: 9 });
    expect(pass.encoderComplexity()).to.deep.equal({ aToB: null, bToA: null });
    pass.close();
    expect(clock.pending).to.equal(0);
  });

  it('throws a typed error when a leg has no usable audio format', () => {
    expect(() => new MediaBridge({ a: { leg: new FakeLeg(), formats: [{ pt: 18, name: 'G729', clockRate: 8000 }] }, b: { leg: new FakeLeg(), formats: PCMU_B } }))
      .to.throw().with.property('code', 'ERR_MEDIA_NO_AUDIO_FORMAT');
  });
});

describe('media/bridge MediaBridge transcoding Opus ↔ G.711', () => {
  function run(opts: { sipPtime: number; lossEvery?: number; seconds?: number }) {
    const clock = new ManualClock();
    const sip = new FakeLeg();
    const web = new FakeLeg();
    const bridge = new MediaBridge({
      a: { leg: sip, formats: PCMU_SIP, ptimeMs: opts.sipPtime },
      b: { leg: web, formats: OPUS_WEB },
      clock,
    });
    const enc = new OpusEncoder({ sampleRate: 8000, frameMs: 20 });
    const sipFrame = (8000 * opts.sipPtime) / 1000;
    const seconds = opts.seconds ?? 2;
    let sipIdx = 0;
    let webIdx = 0;
    // Drive both inputs in 10 ms steps: SIP at its ptime (1000 Hz), browser at 20 ms Opus (440 Hz).
    for (let t = 0; t < seconds * 1000; t += 10) {
      if (t % opts.sipPtime === 0) {
        const drop = opts.lossEvery !== undefined && sipIdx % opts.lossEvery === opts.lossEvery - 1;
        if (!drop) sip.deliver(pkt(0, 100 + sipIdx, sipIdx * sipFrame, 0x5150, ulawTone(1000, sipFrame, sipIdx)));
        sipIdx++;
      }
      if (t % 20 === 0) {
        const pcm = generateTone({ rate: 8000, freq: 440, durationMs: 20, offset: webIdx * 160 });
        const drop = opts.lossEvery !== undefined && webIdx % opts.lossEvery === opts.lossEvery - 1;
        const p = enc.encode(pcm);
        if (!drop) web.deliver(pkt(111, 7000 + webIdx, webIdx * 960, 0xbeef, p));
        webIdx++;
      }
      clock.advance(10);
    }
    enc.close();
    return { clock, sip, web, bridge };
  }

  it('PCMU 20 ms → Opus 20 ms and back: tones dominate, timestamps/sequence continuous', () => {
    const { sip, web, bridge, clock } = run({ sipPtime: 20 });
    expect(bridge.aToB.mode).to.equal('transcode');
    expect(bridge.bToA.mode).to.equal('transcode');
    const toWeb = headers(web.sent);
    expect(toWeb.length).to.be.within(90, 101);
    for (let i = 1; i < toWeb.length; i++) {
      expect((toWeb[i].seq - toWeb[i - 1].seq) & 0xffff).to.equal(1);
      expect((toWeb[i].ts - toWeb[i - 1].ts) >>> 0).to.equal(960);
      expect(toWeb[i].pt).to.equal(111);
    }
    const heardWeb = decodeOpus(web.sent);
    expect(toneDominates(heardWeb, 8000, 1000, { candidates: [440], skipMs: 100 }).fraction).to.be.above(0.9);
    const toSip = headers(sip.sent);
    for (let i = 1; i < toSip.length; i++) expect((toSip[i].ts - toSip[i - 1].ts) >>> 0).to.equal(160);
    expect(toneDominates(decodeUlaw(sip.sent), 8000, 440, { candidates: [1000], skipMs: 100 }).fraction).to.be.above(0.9);
    bridge.close();
    expect(clock.pending).to.equal(0);
  });

  it('repacketizes to a 30 ms SIP ptime (240 samples, ts +240) with a 30 ms input', () => {
    const { sip, web, bridge } = run({ sipPtime: 30 });
    const toSip = headers(sip.sent);
    expect(toSip.every((h) => h.len === 240)).to.equal(true);
    for (let i = 1; i < toSip.length; i++) expect((toSip[i].ts - toSip[i - 1].ts) >>> 0).to.equal(240);
    expect(toneDominates(decodeUlaw(sip.sent), 8000, 440, { candidates: [1000], skipMs: 100 }).fraction).to.be.above(0.9);
    expect(toneDominates(decodeOpus(web.sent), 8000, 1000, { candidates: [440], skipMs: 100 }).fraction).to.be.above(0.9);
    bridge.close();
  });

  it('conceals losses (FEC/PLC, G.711 fade) and the tones still dominate', () => {
    const { sip, web, bridge } = run({ sipPtime: 20, lossEvery: 10, seconds: 3 });
    expect(bridge.aToB.concealed).to.be.greaterThan(5);
    expect(bridge.bToA.concealed).to.be.greaterThan(5);
    expect(sip.counters.concealed).to.equal(bridge.aToB.concealed);
    expect(toneDominates(decodeOpus(web.sent), 8000, 1000, { candidates: [440], skipMs: 100 }).fraction).to.be.above(0.7);
    expect(toneDominates(decodeUlaw(sip.sent), 8000, 440, { candidates: [1000], skipMs: 100 }).fraction).to.be.above(0.7);
    bridge.close();
  });

  it('CN from the SIP side becomes low comfort noise toward the browser, never forwarded as PT 13', () => {
    const clock = new ManualClock();
    const sip = new FakeLeg();
    const web = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: sip, formats: PCMU_SIP }, b: { leg: web, formats: OPUS_WEB }, clock });
    let seq = 1;
    for (let i = 0; i < 25; i++) { sip.deliver(pkt(0, seq++, i * 160, 9, ulawTone(1000, 160, i))); clock.advance(20); }
    const before = web.sent.length;
    for (let i = 0; i < 5; i++) { sip.deliver(pkt(13, seq++, (25 + i * 10) * 160, 9, Uint8Array.from([60]))); clock.advance(200); }
    const cnPart = web.sent.slice(before + 5);
    expect(cnPart.length).to.be.greaterThan(20);
    expect(headers(web.sent).every((h) => h.pt === 111)).to.equal(true);
    expect(bridge.aToB.cnReceived).to.equal(5);
    expect(bridge.aToB.comfortFrames).to.be.greaterThan(20);
    const noise = decodeOpus(cnPart);
    let peak = 0;
    for (const s of noise) peak = Math.max(peak, Math.abs(s));
    expect(peak).to.be.below(600);
    // Timestamps never go backwards and step by 960 while sending continuously.
    const h = headers(web.sent);
    for (let i = 1; i < h.length; i++) expect(((h[i].ts - h[i - 1].ts) >>> 0)).to.be.within(960, 48000);
    bridge.close();
  });

  it('RFC 4733 events cross with PT and clock mapping (8000 → 48000: duration ×6, one timestamp per event)', () => {
    const clock = new ManualClock();
    const sip = new FakeLeg();
    const web = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: sip, formats: PCMU_SIP }, b: { leg: web, formats: OPUS_WEB }, clock });
    for (let i = 0; i < 10; i++) { sip.deliver(pkt(0, i, i * 160, 9, ulawTone(1000, 160, i))); clock.advance(20); }
    const evTs = 10 * 160;
    for (const [d, end] of [[160, false], [320, false], [480, true], [480, true], [480, true]] as const) {
      sip.deliver(pkt(101, 10, evTs, 9, Uint8Array.from([7, end ? 0x8a : 0x0a, d >> 8, d & 0xff]), d === 160));
    }
    const ev = headers(web.sent).filter((h) => h.pt === 126);
    expect(ev).to.have.length(5);
    expect(new Set(ev.map((e) => e.ts)).size).to.equal(1);
    expect(ev[0].marker).to.equal(true);
    const durs = web.sent.filter((b) => (b[1] & 0x7f) === 126).map((b) => b.readUInt16BE(14));
    expect(durs).to.deep.equal([960, 1920, 2880, 2880, 2880]);
    expect(web.sent.filter((b) => (b[1] & 0x7f) === 126).map((b) => b[12])).to.deep.equal([7, 7, 7, 7, 7]);
    expect(bridge.aToB.dtmfForwarded).to.equal(5);
    // Browser → SIP: 48 kHz event becomes 8 kHz on PT 101.
    web.deliver(pkt(126, 1, 0, 0xbeef, Uint8Array.from([1, 0x8a, 0x0b, 0x40]), true));
    const back = sip.sent.filter((b) => (b[1] & 0x7f) === 101);
    expect(back).to.have.length(1);
    expect(back[0].readUInt16BE(14)).to.equal(480);
    bridge.close();
  });

  it('Opus DTX (timestamp jumps, sequence continuous) advances the output timestamp by the same span', () => {
    const clock = new ManualClock();
    const sip = new FakeLeg();
    const web = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: sip, formats: PCMU_SIP }, b: { leg: web, formats: OPUS_WEB }, clock });
    const enc = new OpusEncoder({ sampleRate: 8000, frameMs: 20 });
    let seq = 0;
    let ts = 0;
    const talk = (frames: number): void => {
      for (let i = 0; i < frames; i++) {
        web.deliver(pkt(111, seq++, ts, 0xbeef, enc.encode(generateTone({ rate: 8000, freq: 440, durationMs: 20, offset: seq * 160 }))));
        ts += 960;
        clock.advance(20);
      }
    };
    talk(25);
    // 300 ms of DTX: the next packet is 15 frames later in time but the next sequence number.
    clock.advance(300);
    ts += 15 * 960;
    talk(25);
    enc.close();
    const h = headers(sip.sent);
    const steps = h.slice(1).map((x, i) => (x.ts - h[i].ts) >>> 0);
    // During the gap the jitter buffer reports lost slots (concealed, then comfort noise) until it
    // pauses; the rest of the gap is skipped on the output timeline with the marker bit.
    const big = steps.filter((d) => d !== 160);
    expect(big, JSON.stringify(steps)).to.have.length(1);
    const k = steps.findIndex((d) => d !== 160) + 1;
    expect(h[k].marker).to.equal(true);
    // Output time (frames sent + skipped span) equals the input's: 65 frames of 20 ms, minus the
    // frames still in the jitter buffer at the end.
    const span = ((h[h.length - 1].ts - h[0].ts) >>> 0) / 160 + 1;
    expect(span).to.be.within(65 - 6, 65);
    // The 300 ms gap (≈ 3 of 12 blocks) is concealment/comfort noise; the talk spurts carry the tone.
    expect(toneDominates(decodeUlaw(sip.sent), 8000, 440, { skipMs: 100 }).fraction).to.be.above(0.65);
    bridge.close();
  });

  it('stops sending when the input stops (hold) and resumes with a forward timestamp jump and marker', () => {
    const clock = new ManualClock();
    const sip = new FakeLeg();
    const web = new FakeLeg();
    const bridge = new MediaBridge({ a: { leg: sip, formats: PCMU_SIP }, b: { leg: web, formats: OPUS_WEB }, clock });
    let i = 0;
    for (; i < 25; i++) { sip.deliver(pkt(0, i, i * 160, 9, ulawTone(1000, 160, i))); clock.advance(20); }
    clock.advance(2000);
    const during = web.sent.length;
    clock.advance(2000);
    expect(web.sent.length).to.equal(during);
    for (let k = 0; k < 25; k++, i++) { sip.deliver(pkt(0, i, i * 160, 9, ulawTone(1000, 160, i))); clock.advance(20); }
    const h = headers(web.sent);
    const jump = h.findIndex((x, k) => k > 0 && ((x.ts - h[k - 1].ts) >>> 0) > 960);
    expect(jump).to.be.greaterThan(0);
    expect(h[jump].marker).to.equal(true);
    expect((h[jump].ts - h[jump - 1].ts) >>> 0).to.be.within(48 * 3000, 48 * 5000);
    bridge.close();
  });
});
