import { expect } from 'chai';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { linearToUlaw } from '../../../src/media/codecs/g711.js';
import { makeTempDir, removeTempDir } from '../../helpers/tmp.js';
import {
  blockEnergy, dominantFrequency, generateTone, goertzelPower, readWav, rms, toneDominates, writeToneWav, writeWav,
} from '../../helpers/tone.js';

describe('harness: tone, Goertzel and WAV helpers', () => {
  let dir: string;
  before(() => {
    dir = makeTempDir('tone');
  });
  after(() => removeTempDir(dir));

  it('generates a tone of the requested rate, length and amplitude', () => {
    const t = generateTone({ rate: 8000, freq: 1000, amplitude: 0.5, durationMs: 500 });
    expect(t.length).to.equal(4000);
    expect(Math.max(...t)).to.be.within(16000, 16384);
    expect(rms(t)).to.be.closeTo(16383 / Math.SQRT2, 100);
    const t48 = generateTone({ rate: 48000, freq: 440, durationMs: 20 });
    expect(t48.length).to.equal(960);
  });

  it('Goertzel power equals block energy for a pure tone and is small off-frequency', () => {
    const t = generateTone({ rate: 8000, freq: 1000, durationMs: 100 });
    const e = blockEnergy(t);
    expect(goertzelPower(t, 8000, 1000) / e).to.be.closeTo(1, 0.01);
    expect(goertzelPower(t, 8000, 440) / e).to.be.below(0.01);
    expect(dominantFrequency(t, 8000, [440, 1000, 2000])).to.equal(1000);
    expect(dominantFrequency(new Int16Array(800), 8000, [440, 1000])).to.equal(null);
  });

  it('toneDominates: tone, other tone, noise, silence and a two-tone mix', () => {
    const rate = 8000;
    const k = generateTone({ rate, freq: 1000, durationMs: 1000 });
    expect(toneDominates(k, rate, 1000, { candidates: [440] }).fraction).to.equal(1);
    expect(toneDominates(k, rate, 440, { candidates: [1000] }).fraction).to.equal(0);
    let seed = 1;
    const noise = Int16Array.from({ length: 8000 }, () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed % 20000) - 10000;
    });
    expect(toneDominates(noise, rate, 1000).fraction).to.equal(0);
    const silence = new Int16Array(8000);
    const s = toneDominates(silence, rate, 1000);
    expect(s).to.include({ fraction: 0, blocks: 10, silent: 10 });
    // Equal mix: neither tone holds 80 % of the energy.
    const mix = generateTone({ rate, freq: [1000, 440], durationMs: 1000 });
    expect(toneDominates(mix, rate, 1000).fraction).to.equal(0);
    // Half tone, half silence: fraction 0.5, silent blocks counted.
    const half = new Int16Array(8000);
    half.set(k.subarray(0, 4000));
    const h = toneDominates(half, rate, 1000);
    expect(h.fraction).to.equal(0.5);
    expect(h.silent).to.equal(5);
    expect(toneDominates(half, rate, 1000, { skipMs: 500 }).blocks).to.equal(5);
  });

  it('writes and reads back 16-bit WAV (mono, and stereo as written for Chromium)', () => {
    const t = generateTone({ rate: 8000, freq: 1000, durationMs: 300 });
    const p = path.join(dir, 'mono.wav');
    writeWav(p, t, 8000);
    const w = readWav(p);
    expect(w).to.include({ rate: 8000, channels: 1, bitsPerSample: 16, format: 1 });
    expect([...w.samples]).to.deep.equal([...t]);
    const p2 = writeToneWav(path.join(dir, 'stereo.wav'), { rate: 48000, freq: 440, durationMs: 200, channels: 2 });
    const w2 = readWav(p2);
    expect(w2).to.include({ rate: 48000, channels: 2 });
    expect(w2.samples.length).to.equal(9600);
    expect([...w2.channelData[1]]).to.deep.equal([...w2.channelData[0]]);
    expect(toneDominates(w2.samples, 48000, 440, { candidates: [1000] }).fraction).to.equal(1);
  });

  it('reads an unfinished WAV (data size 0, as left by a killed recorder), skipping extra chunks', () => {
    const t = generateTone({ rate: 8000, freq: 1000, durationMs: 100 });
    const p = path.join(dir, 'partial.wav');
    writeWav(p, t, 8000);
    const b = readFileSync(p);
    b.writeUInt32LE(0, 40); // data size never finalized
    // Insert a LIST chunk before data.
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([4, 0, 0, 0]), Buffer.from('INFO')]);
    const withList = Buffer.concat([b.subarray(0, 36), list, b.subarray(36)]);
    writeFileSync(p, withList);
    const w = readWav(p);
    expect([...w.samples]).to.deep.equal([...t]);
  });

  it('reads G.711 µ-law WAV files', () => {
    const t = generateTone({ rate: 8000, freq: 1000, durationMs: 100 });
    const hdr = Buffer.alloc(44);
    hdr.write('RIFF', 0);
    hdr.writeUInt32LE(36 + t.length, 4);
    hdr.write('WAVEfmt ', 8);
    hdr.writeUInt32LE(16, 16);
    hdr.writeUInt16LE(7, 20);
    hdr.writeUInt16LE(1, 22);
    hdr.writeUInt32LE(8000, 24);
    hdr.writeUInt32LE(8000, 28);
    hdr.writeUInt16LE(1, 32);
    hdr.writeUInt16LE(8, 34);
    hdr.write('data', 36);
    hdr.writeUInt32LE(t.length, 40);
    const p = path.join(dir, 'ulaw.wav');
    writeFileSync(p, Buffer.concat([hdr, Buffer.from(Uint8Array.from(t, (s) => linearToUlaw(s)))]));
    const w = readWav(p);
    expect(w.format).to.equal(7);
    expect(toneDominates(w.samples, 8000, 1000).fraction).to.equal(1);
  });
});
