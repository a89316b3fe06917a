import { alawDecode, alawEncode, ulawDecode, ulawEncode } from '../codecs/g711.js';
import { OpusDecoder, OpusEncoder } from '../codecs/opus.js';

/** Audio codecs the bridge can decode/encode (8 kHz mono PCM in between). */
export type BridgeCodec = 'PCMU' | 'PCMA' | 'OPUS';

/** Normalizes an rtpmap encoding name; null when the bridge cannot handle it as audio. */
export function bridgeCodecOf(name: string): BridgeCodec | null {
  const n = name.toUpperCase();
  return n === 'PCMU' || n === 'PCMA' || n === 'OPUS' ? n : null;
}

/** A decoder to 8 kHz mono PCM with loss concealment. Never throws (errors → -1). */
export interface FrameDecoder {
  /** Decodes one payload; returns samples written, or -1 for a corrupt payload. */
  decode(payload: Uint8Array, out: Int16Array): number;
  /** Conceals one lost frame of `n` samples (PLC / fade); `next` enables Opus FEC. Returns samples written. */
  conceal(out: Int16Array, n: number, next: Uint8Array | null): number;
  close(): void;
}

/** An encoder from 8 kHz mono PCM frames of a fixed size. */
export interface FrameEncoder {
  /** Samples per frame this encoder consumes (8 kHz). */
  readonly frameSamples: number;
  /** Encodes one frame. The result is valid until the next call (encoders may reuse their output buffer). */
  encode(pcm: Int16Array): Uint8Array;
  /** The Opus encoder's complexity (0..10) as applied by libopus; null for G.711. */
  complexity(): number | null;
  close(): void;
}

/** Encoder settings the bridge passes down (codec-specific; ignored where they do not apply). */
export interface FrameEncoderOptions {
  /** Opus encoder complexity 0..10 (RFC 6716 leaves it to the encoder). Default 5. */
  opusComplexity?: number;
}

const HIST = 480; // 60 ms of history at 8 kHz
const MIN_LAG = 20; // 2.5 ms
const MAX_LAG = 120; // 15 ms
const XFADE = 32; // 4 ms overlap-add on recovery
const FULL_GAIN = 80; // first 10 ms concealed at full gain
const FADE = 400; // then a linear fade to silence over 50 ms

/**
 * G.711 decoder with pitch-repetition concealment in the spirit of G.711
 * Appendix I: on loss, the pitch period is estimated by autocorrelation of the
 * last 60 ms and the last period is repeated seamlessly (phase-continuous),
 * at full gain for 10 ms, then faded linearly to silence at 60 ms. When
 * packets resume, the first 4 ms cross-fade from the concealment into the
 * decoded audio, so there is no click at either frame boundary.
 */
class G711Decoder implements FrameDecoder {
  private readonly hist = new Int16Array(HIST);
  private lag = 0;
  private pos = 0;
  private concealed = 0;
  private readonly xf = new Int16Array(XFADE);

  constructor(private readonly law: 'PCMU' | 'PCMA') {}

  decode(payload: Uint8Array, out: Int16Array): number {
    const n = Math.min(payload.length, out.length);
    if (this.law === 'PCMU') ulawDecode(payload, out, n);
    else alawDecode(payload, out, n);
    if (this.concealed > 0) {
      // Cross-fade the continuation of the concealment into the new audio.
      const m = Math.min(XFADE, n);
      this.synth(this.xf, m);
      for (let i = 0; i < m; i++) {
        const w = (i + 1) / (m + 1);
        out[i] = Math.round(out[i] * w + this.xf[i] * (1 - w));
      }
      this.concealed = 0;
    }
    this.push(out, n);
    return n;
  }

  private push(src: Int16Array, n: number): void {
    if (n >= HIST) {
      this.hist.set(src.subarray(n - HIST, n));
    } else {
      this.hist.copyWithin(0, n);
      this.hist.set(src.subarray(0, n), HIST - n);
    }
  }

  private pitch(): number {
    const h = this.hist;
    const win = 160;
    let best = MIN_LAG * 2;
    let bestScore = -Infinity;
    for (let lag = MIN_LAG; lag <= MAX_LAG; lag++) {
      let xy = 0;
      let yy = 0;
      for (let i = HIST - win; i < HIST; i++) {
        const y = h[i - lag];
        xy += h[i] * y;
        yy += y * y;
      }
      const score = yy > 0 ? xy / Math.sqrt(yy) : 0;
      if (score > bestScore * 1.0001) { bestScore = score; best = lag; }
    }
    return best;
  }

  /** Continues the repeated pitch period with the fade applied. */
  private synth(out: Int16Array, n: number): void {
    const h = this.hist;
    const lag = this.lag || MIN_LAG * 2;
    for (let i = 0; i < n; i++) {
      const t = this.concealed + i;
      const g = t < FULL_GAIN ? 1 : Math.max(0, 1 - (t - FULL_GAIN) / FADE);
      out[i] = Math.round(h[HIST - lag + ((this.pos + i) % lag)] * g);
    }
  }

  conceal(out: Int16Array, n: number): number {
    if (this.concealed === 0) {
      this.lag = this.pitch();
      this.pos = 0;
    }
    this.synth(out, n);
    this.pos = (this.pos + n) % this.lag;
    this.concealed += n;
    return n;
  }

  close(): void { /* nothing to free */ }
}

/** Opus decoder at 8 kHz with FEC (when the next packet is at hand) and PLC. */
class OpusFrameDecoder implements FrameDecoder {
  private readonly dec = new OpusDecoder({ sampleRate: 8000, channels: 1 });
  decode(payload: Uint8Array, out: Int16Array): number {
    try { return this.dec.decode(payload, out); } catch { return -1; }
  }
  conceal(out: Int16Array, n: number, next: Uint8Array | null): number {
    // libopus needs a multiple of 2.5 ms (20 samples at 8 kHz).
    const m = Math.max(20, Math.round(n / 20) * 20);
    try {
      return next ? this.dec.decodeFec(next, out, m) : this.dec.conceal(out, m);
    } catch {
      out.fill(0, 0, n);
      return n;
    }
  }
  close(): void { this.dec.close(); }
}

class G711Encoder implements FrameEncoder {
  /** Reused output: the caller copies the payload into its RTP packet before the next frame. */
  private readonly out: Uint8Array;
  constructor(private readonly law: 'PCMU' | 'PCMA', readonly frameSamples: number) {
    this.out = new Uint8Array(frameSamples);
  }
  encode(pcm: Int16Array): Uint8Array {
    const out = this.out;
    if (this.law === 'PCMU') ulawEncode(pcm, out, this.frameSamples);
    else alawEncode(pcm, out, this.frameSamples);
    return out;
  }
  complexity(): null { return null; }
  close(): void { /* nothing to free */ }
}

class OpusFrameEncoder implements FrameEncoder {
  private readonly enc: OpusEncoder;
  readonly frameSamples: number;
  constructor(frameMs: number, complexity: number) {
    this.enc = new OpusEncoder({ sampleRate: 8000, channels: 1, frameMs, fec: true, packetLossPercent: 10, complexity });
    this.frameSamples = this.enc.frameSamples;
  }
  encode(pcm: Int16Array): Uint8Array { return this.enc.encode(pcm); }
  complexity(): number { return this.enc.settings().complexity; }
  close(): void { this.enc.close(); }
}

export function createFrameDecoder(codec: BridgeCodec): FrameDecoder {
  return codec === 'OPUS' ? new OpusFrameDecoder() : new G711Decoder(codec);
}

export function createFrameEncoder(codec: BridgeCodec, ptimeMs: number, opts: FrameEncoderOptions = {}): FrameEncoder {
  return codec === 'OPUS' ? new OpusFrameEncoder(ptimeMs, opts.opusComplexity ?? 5) : new G711Encoder(codec, (8000 * ptimeMs) / 1000);
}
