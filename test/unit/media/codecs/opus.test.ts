import { expect } from 'chai';
import { OpusDecoder, OpusEncoder, opusBackend, opusBackends, OPUS_RTP_CLOCK } from '../../../../src/media/codecs/opus.js';
import { generateTone, rms, toneDominates } from '../../../helpers/tone.js';

const RATE = 8000;
const FRAME = 160; // 20 ms at 8 kHz

function encodeTone(enc: OpusEncoder, freq: number, frames: number): Uint8Array[] {
  const pcm = generateTone({ rate: RATE, freq, amplitude: 0.4, durationMs: frames * 20 });
  const packets: Uint8Array[] = [];
  for (let f = 0; f < frames; f++) packets.push(enc.encode(pcm.subarray(f * FRAME, (f + 1) * FRAME)));
  return packets;
}

describe('Opus wrapper', () => {
  let enc: OpusEncoder;
  let dec: OpusDecoder;
  beforeEach(() => {
    enc = new OpusEncoder({ packetLossPercent: 20 });
    dec = new OpusDecoder();
  });
  afterEach(() => {
    enc.close();
    dec.close();
  });

  it('reports the backend that loaded', () => {
    const b = opusBackend();
    expect(['native', 'wasm']).to.include(b);
    const all = opusBackends();
    expect(all.encoder).to.equal(b);
    expect(all.decoder).to.equal('wasm');
    expect(['simd', 'baseline']).to.include(all.wasmVariant);
    // On linux-x64/arm64 the package ships a native addon: it must be what loaded,
    // unless the WASM build was forced.
    if (process.env.OPUS_FORCE_WASM === undefined && ['x64', 'arm64'].includes(process.arch) && process.platform === 'linux') {
      expect(b).to.equal('native');
    }
    expect(OPUS_RTP_CLOCK).to.equal(48000);
  });

  it('applies the VoIP settings: FEC on, complexity 5 by default, configurable bitrate and loss hint', () => {
    const s = enc.settings();
    expect(s).to.include({ complexity: 5, fec: true, packetLossPercent: 20, dtx: false, bitrate: 24000 });
    const e2 = new OpusEncoder({ complexity: 9, bitrate: 16000, dtx: true, fec: false, packetLossPercent: 0 });
    expect(e2.settings()).to.include({ complexity: 9, bitrate: 16000, dtx: true, fec: false, packetLossPercent: 0 });
    e2.setBitrate(32000);
    e2.setPacketLossPercent(5);
    expect(e2.settings()).to.include({ bitrate: 32000, packetLossPercent: 5 });
    e2.close();
  });

  it('round-trips a 1 kHz tone at 8 kHz: 1 kHz dominates after encode/decode', () => {
    const packets = encodeTone(enc, 1000, 100); // 2 s
    const out = new Int16Array(RATE * 2);
    const frame = new Int16Array(FRAME * 6);
    let pos = 0;
    for (const p of packets) {
      const n = dec.decode(p, frame);
      expect(n).to.equal(FRAME);
      out.set(frame.subarray(0, n), pos);
      pos += n;
    }
    const r = toneDominates(out, RATE, 1000, { candidates: [440, 2000, 500], skipMs: 100 });
    expect(r.fraction, JSON.stringify(r)).to.be.above(0.9);
    expect(r.rms).to.be.above(3000);
  });

  it('distinguishes tones: a 440 Hz round trip is not taken for 1 kHz', () => {
    const packets = encodeTone(enc, 440, 50);
    const out = new Int16Array(FRAME * 50);
    const frame = new Int16Array(FRAME);
    packets.forEach((p, i) => {
      dec.decode(p, frame);
      out.set(frame, i * FRAME);
    });
    expect(toneDominates(out, RATE, 440, { candidates: [1000], skipMs: 100 }).fraction).to.be.above(0.9);
    expect(toneDominates(out, RATE, 1000, { candidates: [440], skipMs: 100 }).fraction).to.equal(0);
  });

  it('PLC produces a frame of the requested length that continues the tone', () => {
    const packets = encodeTone(enc, 1000, 30);
    const frame = new Int16Array(FRAME * 6);
    for (const p of packets.slice(0, 25)) dec.decode(p, frame);
    // The first concealed frame extrapolates the 1 kHz tone...
    const first = new Int16Array(FRAME);
    expect(dec.conceal(first, FRAME)).to.equal(FRAME);
    const r = toneDominates(first, RATE, 1000, { candidates: [440], blockMs: 20, minEnergyRatio: 0.5 });
    expect(r.fraction, JSON.stringify(r)).to.equal(1);
    expect(r.rms).to.be.above(2000);
    // ...then PLC fades out over further losses; any 2.5 ms multiple is accepted.
    const plc = new Int16Array(FRAME * 2);
    expect(dec.conceal(plc, 80)).to.equal(80); // 10 ms
    expect(dec.conceal(plc, FRAME * 2)).to.equal(FRAME * 2);
    expect(rms(plc)).to.be.below(r.rms);
    expect(() => dec.conceal(plc, 7)).to.throw().with.property('code', 'ERR_OPUS_BAD_FRAME');
  });

  it('FEC path: recovers a lost frame from the next packet', () => {
    const packets = encodeTone(enc, 1000, 60);
    const frame = new Int16Array(FRAME);
    const out = new Int16Array(FRAME * 60);
    // Lose every 5th packet after warm-up; recover it from its successor's FEC data.
    for (let i = 0; i < 60; i++) {
      if (i >= 10 && i % 5 === 0 && i + 1 < 60) {
        expect(dec.decodeFec(packets[i + 1], frame, FRAME)).to.equal(FRAME);
      } else {
        expect(dec.decode(packets[i], frame)).to.equal(FRAME);
      }
      out.set(frame, i * FRAME);
    }
    expect(toneDominates(out, RATE, 1000, { candidates: [440], skipMs: 100, blockMs: 20 }).fraction).to.be.above(0.9);
  });

  it('FEC data is really used: a lost tone change is recovered by FEC, not by PLC', () => {
    // 440 Hz for 40 frames, then 1000 Hz; frame 40 (the first 1000 Hz frame) is lost.
    // PLC can only extrapolate 440 Hz; FEC from packet 41 carries the 1000 Hz onset.
    const ratio1k = (x: Int16Array): number => toneDominates(x, RATE, 1000, { blockMs: 20, minEnergyRatio: 0 }).medianRatio;
    const run = (fec: boolean): { viaFec: Int16Array; viaPlc: Int16Array } => {
      const e = new OpusEncoder({ fec, packetLossPercent: 20 });
      const low = generateTone({ rate: RATE, freq: 440, amplitude: 0.4, durationMs: 800 });
      const high = generateTone({ rate: RATE, freq: 1000, amplitude: 0.4, durationMs: 200, offset: 6400 });
      const packets: Uint8Array[] = [];
      for (let f = 0; f < 40; f++) packets.push(e.encode(low.subarray(f * FRAME, (f + 1) * FRAME)));
      for (let f = 0; f < 10; f++) packets.push(e.encode(high.subarray(f * FRAME, (f + 1) * FRAME)));
      const a = new OpusDecoder();
      const b = new OpusDecoder();
      const scratch = new Int16Array(FRAME);
      for (let i = 0; i < 40; i++) {
        a.decode(packets[i], scratch);
        b.decode(packets[i], scratch);
      }
      const viaFec = new Int16Array(FRAME);
      const viaPlc = new Int16Array(FRAME);
      expect(a.decodeFec(packets[41], viaFec, FRAME)).to.equal(FRAME);
      expect(b.conceal(viaPlc, FRAME)).to.equal(FRAME);
      a.close();
      b.close();
      e.close();
      return { viaFec, viaPlc };
    };
    const withFec = run(true);
    expect(ratio1k(withFec.viaPlc)).to.be.below(0.05);
    expect(ratio1k(withFec.viaFec)).to.be.above(0.25);
    // Control: without FEC in the stream, decodeFec falls back to exactly the PLC output.
    const noFec = run(false);
    expect([...noFec.viaFec]).to.deep.equal([...noFec.viaPlc]);
  });

  it('decodes 48 kHz Opus to 8 kHz (browser stream to G.711 without a resampler)', () => {
    const e48 = new OpusEncoder({ sampleRate: 48000, bitrate: 32000 });
    const pcm = generateTone({ rate: 48000, freq: 1000, amplitude: 0.4, durationMs: 1000 });
    const out = new Int16Array(8000);
    const frame = new Int16Array(FRAME);
    for (let f = 0; f < 50; f++) {
      const n = dec.decode(e48.encode(pcm.subarray(f * 960, (f + 1) * 960)), frame);
      expect(n).to.equal(FRAME);
      out.set(frame, f * FRAME);
    }
    expect(toneDominates(out, RATE, 1000, { candidates: [440], skipMs: 100 }).fraction).to.be.above(0.9);
    e48.close();
  });

  it('rejects bad input with typed errors, and close() is idempotent', () => {
    expect(() => dec.decode(new Uint8Array(0), new Int16Array(FRAME))).to.throw().with.property('code', 'ERR_OPUS_DECODE');
    // A TOC byte announcing code 3 with an impossible frame count.
    expect(() => dec.decode(Uint8Array.of(0x03, 0x00), new Int16Array(FRAME))).to.throw().with.property('code', 'ERR_OPUS_DECODE');
    expect(() => enc.encode(new Int16Array(100))).to.throw().with.property('code', 'ERR_OPUS_BAD_FRAME');
    expect(() => new OpusDecoder({ sampleRate: 44100 as 48000 })).to.throw().with.property('code', 'ERR_OPUS_BAD_RATE');
    dec.close();
    dec.close();
    expect(() => dec.decode(Uint8Array.of(0xf8, 0xff, 0xfe), new Int16Array(FRAME))).to.throw().with.property('code', 'ERR_OPUS_CLOSED');
    enc.close();
    enc.close();
    expect(() => enc.encode(new Int16Array(FRAME))).to.throw().with.property('code', 'ERR_OPUS_CLOSED');
  });
});
