import { expect } from 'chai';
import { JitterBuffer, kthSmallest } from '../../../../src/media/jitter/jitter-buffer.js';
import { seededRandom as prng } from '../../../helpers/seeded-random.js';

/** The reference: sort a copy ascending and read index k (what updateTarget did before). */
function bySort(src: Float64Array, n: number, k: number): number {
  const c = Float64Array.from(src.subarray(0, n));
  c.sort();
  return c[k];
}

describe('JitterBuffer delay percentile (kthSmallest)', () => {
  it('equals sort-and-index for the 98th percentile of 8..128 values (random, ties, constant, sorted, reversed)', () => {
    const rnd = prng(7);
    const scratch = new Float64Array(128);
    let checked = 0;
    for (let n = 8; n <= 128; n++) {
      const k = Math.min(n - 1, Math.floor(n * 0.98));
      const shapes: Array<(i: number) => number> = [
        () => rnd() * 80 - 5,
        () => Math.round(rnd() * 4) * 2.5, // many ties
        () => 3,
        (i) => i * 0.5,
        (i) => (n - i) * 0.5,
        (i) => (i % 17 === 0 ? 150 + rnd() * 10 : rnd() * 3), // rare spikes: the tail is what matters
      ];
      for (const shape of shapes) {
        const src = new Float64Array(128);
        for (let i = 0; i < n; i++) src[i] = shape(i);
        // Values past n must be ignored.
        for (let i = n; i < 128; i++) src[i] = 1e9;
        expect(kthSmallest(src, n, k, scratch)).to.equal(bySort(src, n, k));
        checked++;
      }
    }
    expect(checked).to.equal(121 * 6);
  });

  it('falls back to sorting for deeper ranks (median) and still equals sort-and-index', () => {
    const rnd = prng(11);
    const scratch = new Float64Array(128);
    for (let n = 1; n <= 128; n += 7) {
      const src = new Float64Array(128);
      for (let i = 0; i < n; i++) src[i] = rnd() * 100;
      for (const k of [0, n >> 1, n - 1]) expect(kthSmallest(src, n, k, scratch)).to.equal(bySort(src, n, k));
    }
  });

  it('the adaptive target follows the transit tail: a 60 ms spike every 10th packet raises the delay, a steady stream keeps it low', () => {
    const steady = new JitterBuffer({ clockRate: 8000, frameMs: 20 });
    const spiky = new JitterBuffer({ clockRate: 8000, frameMs: 20 });
    const payload = new Uint8Array(160);
    for (let i = 0; i < 200; i++) {
      steady.push(i, i * 160, payload, 1000 + i * 20);
      spiky.push(i, i * 160, payload, 1000 + i * 20 + (i % 10 === 5 ? 60 : 0));
      // Drain what is due so the buffers keep playing.
      for (let s = steady.pop(1000 + i * 20); s.kind !== 'empty'; s = steady.pop(1000 + i * 20));
      for (let s = spiky.pop(1000 + i * 20); s.kind !== 'empty'; s = spiky.pop(1000 + i * 20));
    }
    // 98th percentile of (transit - min transit): 0 for the steady stream, 60 ms with spikes in 10 % of packets.
    expect(steady.stats.targetDelayMs).to.equal(20); // minDelay (0 + safety 10 < 20)
    expect(spiky.stats.targetDelayMs).to.equal(70); // 60 + safety 10
  });
});
