/**
 * Test audio: tone generation, WAV read/write, and Goertzel tone detection.
 *
 * Assert on audio, not on packets: send a known tone (e.g. 1000 Hz one way,
 * 440 Hz the other) and check with {@link toneDominates} that the tone
 * dominates what arrived. The block analysis mirrors
 * the team peer recipes: tools/wav_tone.py: 100 ms blocks, a block counts when the
 * tone holds more than 80 % of the block's energy (and, here, also beats every
 * other candidate frequency).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { alawToLinear, ulawToLinear } from '../../src/media/codecs/g711.js';

/** Options for {@link generateTone}. */
export interface ToneOptions {
  /** Sample rate in Hz. Default 8000. */
  rate?: number;
  /** Tone frequency in Hz, or several frequencies summed (amplitude is split evenly). Default 1000. */
  freq?: number | number[];
  /** Peak amplitude as a fraction of full scale (0..1). Default 0.5. */
  amplitude?: number;
  /** Duration in ms. Default 1000. */
  durationMs?: number;
  /** Start phase offset in samples (to continue a tone across frames). Default 0. */
  offset?: number;
}

/** A sine tone as 16-bit mono PCM. */
export function generateTone(options: ToneOptions = {}): Int16Array {
  const rate = options.rate ?? 8000;
  const freqs = Array.isArray(options.freq) ? options.freq : [options.freq ?? 1000];
  const amp = ((options.amplitude ?? 0.5) * 32767) / freqs.length;
  const n = Math.round((rate * (options.durationMs ?? 1000)) / 1000);
  const offset = options.offset ?? 0;
  const out = new Int16Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    for (const f of freqs) v += Math.sin((2 * Math.PI * f * (i + offset)) / rate);
    out[i] = Math.round(amp * v);
  }
  return out;
}

/**
 * Writes 16-bit PCM as a canonical WAV file. `samples` is interleaved when
 * `channels` > 1. With `channels` > 1 and mono input, the mono signal is
 * duplicated into every channel.
 */
export function writeWav(path: string, samples: Int16Array, rate: number, channels = 1, monoInput = channels > 1): void {
  const frames = monoInput ? samples.length : samples.length / channels;
  const dataBytes = frames * channels * 2;
  const buf = Buffer.alloc(44 + dataBytes);
  buf.write('RIFF', 0, 'ascii');
  buf.writeUInt32LE(36 + dataBytes, 4);
  buf.write('WAVE', 8, 'ascii');
  buf.write('fmt ', 12, 'ascii');
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(channels, 22);
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * channels * 2, 28);
  buf.writeUInt16LE(channels * 2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36, 'ascii');
  buf.writeUInt32LE(dataBytes, 40);
  let o = 44;
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      buf.writeInt16LE(monoInput ? samples[f] : samples[f * channels + c], o);
      o += 2;
    }
  }
  writeFileSync(path, buf);
}

/**
 * Writes a tone WAV, e.g. for baresip's `audio_source aufile,...` (mono 8 kHz)
 * or Chromium's `--use-file-for-fake-audio-capture` (48 kHz works best).
 * Returns the path.
 */
export function writeToneWav(path: string, options: ToneOptions & { channels?: number } = {}): string {
  const rate = options.rate ?? 8000;
  writeWav(path, generateTone({ ...options, rate }), rate, options.channels ?? 1, true);
  return path;
}

/** A decoded WAV file. */
export interface WavData {
  rate: number;
  channels: number;
  /** Bits per sample in the file (16 for PCM16, 8 for G.711, 32 for float). */
  bitsPerSample: number;
  /** WAVE format tag: 1 PCM, 3 float, 6 A-law, 7 µ-law (0xFFFE resolved to its subformat). */
  format: number;
  /** First channel as 16-bit PCM. */
  samples: Int16Array;
  /** All channels, each as 16-bit PCM. */
  channelData: Int16Array[];
  /** Duration in seconds. */
  durationS: number;
}

/**
 * Reads a WAV file: 16-bit PCM, 8-bit unsigned PCM, 32-bit float, G.711 A-law/µ-law,
 * WAVE_FORMAT_EXTENSIBLE wrappers of those. Walks RIFF chunks (skips LIST/fact/PEAK).
 * Tolerates a data chunk whose size field was never finalized (0 or past the end
 * of the file, as libsndfile leaves it when baresip is killed): reads to end of file.
 */
export function readWav(path: string): WavData {
  const b = readFileSync(path);
  if (b.length < 12 || b.toString('ascii', 0, 4) !== 'RIFF' || b.toString('ascii', 8, 12) !== 'WAVE') {
    throw new Error(`${path}: not a RIFF/WAVE file`);
  }
  let off = 12;
  let format = 0;
  let channels = 0;
  let rate = 0;
  let bits = 0;
  let data: Buffer | null = null;
  while (off + 8 <= b.length) {
    const id = b.toString('ascii', off, off + 4);
    let size = b.readUInt32LE(off + 4);
    const body = off + 8;
    if (id === 'fmt ') {
      format = b.readUInt16LE(body);
      channels = b.readUInt16LE(body + 2);
      rate = b.readUInt32LE(body + 4);
      bits = b.readUInt16LE(body + 14);
      if (format === 0xfffe && size >= 40) format = b.readUInt16LE(body + 24); // SubFormat GUID's first 2 bytes
    } else if (id === 'data') {
      if (size === 0 || size === 0xffffffff || body + size > b.length) size = b.length - body;
      data = b.subarray(body, body + size);
      break;
    }
    off = body + size + (size & 1);
  }
  if (data === null || channels === 0 || rate === 0) throw new Error(`${path}: no fmt or data chunk`);
  const bytesPer = bits / 8;
  const frames = Math.floor(data.length / (bytesPer * channels));
  const channelData = Array.from({ length: channels }, () => new Int16Array(frames));
  for (let f = 0; f < frames; f++) {
    for (let c = 0; c < channels; c++) {
      const p = (f * channels + c) * bytesPer;
      let v: number;
      if (format === 1 && bits === 16) v = data.readInt16LE(p);
      else if (format === 1 && bits === 8) v = (data[p] - 128) << 8;
      else if (format === 1 && bits === 24) v = data.readIntLE(p, 3) >> 8;
      else if (format === 1 && bits === 32) v = data.readInt32LE(p) >> 16;
      else if (format === 3 && bits === 32) v = Math.max(-32768, Math.min(32767, Math.round(data.readFloatLE(p) * 32767)));
      else if (format === 6 && bits === 8) v = alawToLinear(data[p]);
      else if (format === 7 && bits === 8) v = ulawToLinear(data[p]);
      else throw new Error(`${path}: unsupported WAV format ${format}/${bits} bit`);
      channelData[c][f] = v;
    }
  }
  return { rate, channels, bitsPerSample: bits, format, samples: channelData[0], channelData, durationS: frames / rate };
}

/**
 * Goertzel power of `freq` over `samples[start, end)`, normalized as `2|X(f)|²/N`
 * so that, for a pure tone on the analysis frequency, it equals the block energy
 * `Σx²`. Compare it with {@link blockEnergy} to get the fraction of the energy at `freq`.
 */
export function goertzelPower(samples: ArrayLike<number>, rate: number, freq: number, start = 0, end = samples.length): number {
  const n = end - start;
  if (n <= 0) return 0;
  const k = 2 * Math.cos((2 * Math.PI * freq) / rate);
  let s1 = 0;
  let s2 = 0;
  for (let i = start; i < end; i++) {
    const s0 = samples[i] + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  return ((s1 * s1 + s2 * s2 - k * s1 * s2) * 2) / n;
}

/** Σx² over `samples[start, end)`. */
export function blockEnergy(samples: ArrayLike<number>, start = 0, end = samples.length): number {
  let e = 0;
  for (let i = start; i < end; i++) e += samples[i] * samples[i];
  return e;
}

/** RMS of the whole signal. */
export function rms(samples: ArrayLike<number>): number {
  return samples.length === 0 ? 0 : Math.sqrt(blockEnergy(samples) / samples.length);
}

/** The candidate frequency with the most Goertzel power over the whole signal, or null for digital silence. */
export function dominantFrequency(samples: ArrayLike<number>, rate: number, candidates: readonly number[]): number | null {
  let best: number | null = null;
  let bestP = 0;
  for (const f of candidates) {
    const p = goertzelPower(samples, rate, f);
    if (p > bestP) {
      bestP = p;
      best = f;
    }
  }
  return best;
}

/** Options for {@link toneDominates}. */
export interface ToneCheckOptions {
  /** Other frequencies `freq` must beat in every counted block. Default [] (energy test only). */
  candidates?: readonly number[];
  /** Block length in ms. Default 100. */
  blockMs?: number;
  /** Fraction of block energy the tone must hold. Default 0.8 (as wav_tone.py). */
  minEnergyRatio?: number;
  /** Blocks quieter than this RMS count as silent (never dominated). Default 10. */
  silenceRms?: number;
  /** Skip this much audio at the start (call setup, jitter buffer fill). Default 0. */
  skipMs?: number;
}

/** Result of {@link toneDominates}. */
export interface ToneReport {
  /** Fraction of all blocks (silent ones included) dominated by the tone. */
  fraction: number;
  blocks: number;
  dominated: number;
  silent: number;
  /** Median over non-silent blocks of (tone power / block energy). */
  medianRatio: number;
  /** RMS of the analysed part. */
  rms: number;
}

/**
 * Splits the signal into blocks (100 ms by default) and reports the fraction of
 * blocks in which `freq` carries more than `minEnergyRatio` of the energy and
 * more power than each of `candidates`. Typical assertion:
 * `expect(toneDominates(rec, 8000, 1000, { candidates: [440] }).fraction).to.be.above(0.5)`.
 */
export function toneDominates(samples: ArrayLike<number>, rate: number, freq: number, options: ToneCheckOptions = {}): ToneReport {
  const n = Math.max(1, Math.round((rate * (options.blockMs ?? 100)) / 1000));
  const minRatio = options.minEnergyRatio ?? 0.8;
  const silenceE = n * (options.silenceRms ?? 10) ** 2;
  const others = (options.candidates ?? []).filter((f) => f !== freq);
  const begin = Math.min(samples.length, Math.round((rate * (options.skipMs ?? 0)) / 1000));
  let blocks = 0;
  let dominated = 0;
  let silent = 0;
  const ratios: number[] = [];
  for (let i = begin; i + n <= samples.length; i += n) {
    blocks++;
    const e = blockEnergy(samples, i, i + n);
    if (e < silenceE) {
      silent++;
      continue;
    }
    const p = goertzelPower(samples, rate, freq, i, i + n);
    const ratio = p / e;
    ratios.push(ratio);
    if (ratio <= minRatio) continue;
    if (others.every((f) => goertzelPower(samples, rate, f, i, i + n) < p)) dominated++;
  }
  ratios.sort((a, b) => a - b);
  let total = 0;
  for (let i = begin; i < samples.length; i++) total += samples[i] * samples[i];
  return {
    fraction: blocks === 0 ? 0 : dominated / blocks,
    blocks,
    dominated,
    silent,
    medianRatio: ratios.length === 0 ? 0 : ratios[ratios.length >> 1],
    rms: samples.length > begin ? Math.sqrt(total / (samples.length - begin)) : 0,
  };
}
