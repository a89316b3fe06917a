import { expect } from 'chai';
import { PcmFifo } from '../../../../src/media/bridge/pcm-fifo.js';
import { createFrameEncoder } from '../../../../src/media/bridge/frame-codec.js';
import { alawDecode, ulawDecode } from '../../../../src/media/codecs/g711.js';
import { generateTone, toneDominates } from '../../../helpers/tone.js';

describe('media/bridge PcmFifo (repacketization) and the G.711 frame encoder', () => {
  it('20 ms frames in, 30 ms frames out: the samples come out unchanged and in order (1 kHz tone)', () => {
    const tone = generateTone({ rate: 8000, freq: 1000, durationMs: 1200 });
    const fifo = new PcmFifo(400); // small: forces compaction and growth
    const out = new Int16Array(tone.length);
    const frame = new Int16Array(240);
    // Input frames are views into a larger scratch buffer, as the bridge writes them (n < src.length).
    const scratch = new Int16Array(1920);
    let r = 0;
    for (let w = 0; w < tone.length; w += 160) {
      scratch.set(tone.subarray(w, w + 160));
      fifo.write(scratch, 160);
      while (fifo.length >= 240) {
        fifo.read(frame, 240);
        out.set(frame, r);
        r += 240;
      }
    }
    expect(r).to.equal(tone.length);
    expect(fifo.length).to.equal(0);
    expect(Array.from(out)).to.deep.equal(Array.from(tone));
    expect(toneDominates(out, 8000, 1000, { candidates: [440, 2000] }).fraction).to.equal(1);
  });

  it('grows past its capacity with samples pending, then drains in order', () => {
    const fifo = new PcmFifo(100);
    const a = generateTone({ rate: 8000, freq: 440, durationMs: 20 });
    const b = generateTone({ rate: 8000, freq: 440, durationMs: 20, offset: 160 });
    fifo.write(a);
    const head = new Int16Array(50);
    fifo.read(head, 50);
    fifo.write(b);
    expect(fifo.length).to.equal(270);
    const rest = new Int16Array(270);
    fifo.read(rest, 270);
    const joined = new Int16Array(320);
    joined.set(head);
    joined.set(rest, 50);
    expect(Array.from(joined)).to.deep.equal(Array.from(generateTone({ rate: 8000, freq: 440, durationMs: 40 })));
  });

  for (const law of ['PCMU', 'PCMA'] as const) {
    it(`${law} encoder: consecutive frames (output buffer reused) carry the tone`, () => {
      const enc = createFrameEncoder(law, 20);
      // 440 Hz: a 20 ms frame is not a whole number of periods, so every frame's payload differs.
      const pcm = generateTone({ rate: 8000, freq: 440, durationMs: 400 });
      const decoded = new Int16Array(pcm.length);
      const payloads: number[][] = [];
      for (let off = 0; off < pcm.length; off += 160) {
        const p = enc.encode(pcm.subarray(off, off + 160));
        expect(p.length).to.equal(160);
        payloads.push(Array.from(p)); // the caller copies before the next frame
        if (law === 'PCMU') ulawDecode(p, decoded.subarray(off, off + 160));
        else alawDecode(p, decoded.subarray(off, off + 160));
      }
      // The reused buffer was rewritten each time, not left stale.
      expect(payloads[1]).to.not.deep.equal(payloads[0]);
      expect(toneDominates(decoded, 8000, 440, { candidates: [1000, 2000] }).fraction).to.equal(1);
      enc.close();
    });
  }
});
