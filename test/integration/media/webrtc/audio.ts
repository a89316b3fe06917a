// Test-only audio utilities: Opus tone source/sink over raw RTP; detection via test/helpers/tone.ts.
import { Decoder, Encoder } from '@evan/opus';
import { toneDominates } from '../../../helpers/tone.js';

/** Fraction of 100 ms blocks in which `freq` dominates (Goertzel, test/helpers/tone.ts). */
export function toneFraction(samples: Int16Array, rate: number, freq: number): number {
  return toneDominates(samples, rate, freq, { candidates: [440, 1000] }).fraction;
}

/** Produces 20 ms Opus RTP packets of a sine tone. */
export class OpusToneSource {
  private readonly enc = new Encoder({ channels: 1, sample_rate: 48000, application: 'audio' });
  private phase = 0;
  private seq = Math.floor(Math.random() * 65535);
  private ts = Math.floor(Math.random() * 2 ** 31);

  constructor(readonly freq: number, readonly pt: number, readonly ssrc: number, readonly amplitude = 8000) {}

  /** The next 20 ms packet; `silent` encodes silence instead (same stream state). */
  nextPacket(silent = false): Buffer {
    const pcm = new Int16Array(960);
    const step = (2 * Math.PI * this.freq) / 48000;
    const amp = silent ? 0 : this.amplitude;
    for (let i = 0; i < 960; i++) {
      pcm[i] = Math.round(amp * Math.sin(this.phase));
      this.phase += step;
    }
    this.phase %= 2 * Math.PI;
    const payload = this.enc.encode(pcm);
    const pkt = Buffer.alloc(12 + payload.length);
    pkt[0] = 0x80;
    pkt[1] = this.pt;
    pkt.writeUInt16BE(this.seq, 2);
    pkt.writeUInt32BE(this.ts >>> 0, 4);
    pkt.writeUInt32BE(this.ssrc >>> 0, 8);
    Buffer.from(payload.buffer, payload.byteOffset, payload.length).copy(pkt, 12);
    this.seq = (this.seq + 1) & 0xffff;
    this.ts = (this.ts + 960) >>> 0;
    return pkt;
  }
}

/** Collects Opus RTP packets and decodes them to 48 kHz PCM. */
export class OpusSink {
  private readonly dec = new Decoder({ channels: 1, sample_rate: 48000 });
  private readonly chunks: Int16Array[] = [];
  packets = 0;
  /** The PCM decoded from the last packet pushed (null before the first). */
  lastFrame: Int16Array | null = null;

  push(rtp: Buffer): void {
    if (rtp.length <= 12) return;
    const cc = rtp[0] & 0x0f;
    let off = 12 + cc * 4;
    if (rtp[0] & 0x10) off += 4 + rtp.readUInt16BE(off + 2) * 4;
    let end = rtp.length;
    if (rtp[0] & 0x20) end -= rtp[rtp.length - 1];
    if (off >= end) return;
    const out = this.dec.decode(rtp.subarray(off, end));
    this.packets++;
    this.lastFrame = new Int16Array(out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength));
    this.chunks.push(this.lastFrame);
  }

  samples(): Int16Array {
    const n = this.chunks.reduce((a, c) => a + c.length, 0);
    const all = new Int16Array(n);
    let off = 0;
    for (const c of this.chunks) { all.set(c, off); off += c.length; }
    return all;
  }
}
