import { expect } from 'chai';
import { createFrameDecoder } from '../../../../src/media/bridge/frame-codec.js';
import { alawEncode, ulawEncode } from '../../../../src/media/codecs/g711.js';
import { generateTone, toneDominates } from '../../../helpers/tone.js';

function maxStep(x: Int16Array): number {
  let m = 0;
  for (let i = 1; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - x[i - 1]));
  return m;
}

describe('media/bridge G.711 concealment', () => {
  for (const freq of [440, 1000, 300]) {
    it(`${freq} Hz: a lost frame is bridged without clicks and the tone continues`, () => {
      const dec = createFrameDecoder('PCMU');
      const out = new Int16Array(160 * 12);
      const frame = new Int16Array(160);
      for (let i = 0; i < 12; i++) {
        if (i === 6) {
          dec.conceal(frame, 160, null);
        } else {
          const pcm = generateTone({ rate: 8000, freq, durationMs: 20, offset: i * 160 });
          const u = new Uint8Array(160);
          ulawEncode(pcm, u, 160);
          dec.decode(u, frame);
        }
        out.set(frame, i * 160);
      }
      const clean = generateTone({ rate: 8000, freq, durationMs: 240 });
      // No step larger than the clean tone's own steepest step (+ µ-law quantization slack).
      expect(maxStep(out)).to.be.below(maxStep(clean) * 1.25 + 64);
      expect(toneDominates(out, 8000, freq, { blockMs: 40 }).fraction).to.equal(1);
    });
  }

  it('a long loss fades to silence within 60 ms, and recovery cross-fades in without a click', () => {
    const dec = createFrameDecoder('PCMA');
    const frame = new Int16Array(160);
    const enc = (i: number): Uint8Array => {
      const a = new Uint8Array(160);
      alawEncode(generateTone({ rate: 8000, freq: 440, durationMs: 20, offset: i * 160 }), a, 160);
      return a;
    };
    for (let i = 0; i < 3; i++) dec.decode(enc(i), frame);
    const lost = new Int16Array(160 * 4);
    for (let k = 0; k < 4; k++) { dec.conceal(frame, 160, null); lost.set(frame, k * 160); }
    expect(Math.max(...lost.subarray(0, 80).map(Math.abs))).to.be.above(10000); // first 10 ms at full gain
    expect(Math.max(...lost.subarray(480).map(Math.abs))).to.equal(0); // silent after 60 ms
    dec.decode(enc(7), frame);
    // Starts from silence: the 4 ms cross-fade ramps in (first sample tiny, no jump to full scale).
    expect(Math.abs(frame[0])).to.be.below(1200);
    const clean = generateTone({ rate: 8000, freq: 440, durationMs: 20 });
    expect(maxStep(frame)).to.be.below(maxStep(clean) * 1.25 + 64);
  });
});
