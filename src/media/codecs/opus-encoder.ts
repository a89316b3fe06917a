/**
 * Opus encoder (RFC 6716) for the browser leg, configured for VoIP per
 * RFC 7587: in-band FEC, packet-loss hint, optional DTX, configurable
 * complexity and bitrate. Uses @evan/opus (native addon when it loads, its
 * WASM build otherwise; see {@link opusBackend}).
 *
 * Encoding from 8 kHz PCM keeps the G.711 side free of resampling; the Opus
 * RTP clock is still 48 kHz (RFC 7587 §4.1), so the RTP timestamp advances by
 * `frameMs * 48` per packet whatever the input rate.
 */
import { Encoder } from '@evan/opus';
import { InvalidStateError, ValidationError } from '../../common/errors.js';

/** Encoder options; every field has a documented default. */
export interface OpusEncoderOptions {
  /** Input sample rate. Default 8000. */
  sampleRate?: 8000 | 12000 | 16000 | 24000 | 48000;
  /** Input channels. Default 1. */
  channels?: 1 | 2;
  /** Frame duration in ms (2.5, 5, 10, 20, 40, 60). Default 20. */
  frameMs?: number;
  /** Encoder complexity 0..10. Default 5. */
  complexity?: number;
  /** Target bitrate in bit/s (500..512000). Default 24000 (leaves room for FEC at narrowband). */
  bitrate?: number;
  /** In-band FEC (SILK LBRR, RFC 6716 §2.1.7). Default true. */
  fec?: boolean;
  /** Expected packet loss in percent (0..100), drives how much FEC is sent. Default 10. */
  packetLossPercent?: number;
  /** Discontinuous transmission (RFC 6716 §2.1.9). Default false. */
  dtx?: boolean;
}

const OPUS_SET_INBAND_FEC = 4012;
const OPUS_SET_PACKET_LOSS_PERC = 4014;
const OPUS_SET_DTX = 4016;
const OPUS_SET_COMPLEXITY = 4010;
const OPUS_SET_BITRATE = 4002;
const OPUS_SET_SIGNAL = 4024;
const OPUS_SIGNAL_VOICE = 3001;

/**
 * An Opus encoder producing one packet per {@link encode} call.
 * `close()` is idempotent; the native/WASM state is released by the GC.
 */
export class OpusEncoder {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly frameMs: number;
  /** Samples per channel expected by {@link encode}. */
  readonly frameSamples: number;
  private encoder: Encoder | null;

  constructor(options: OpusEncoderOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.channels = options.channels ?? 1;
    this.frameMs = options.frameMs ?? 20;
    if (![2.5, 5, 10, 20, 40, 60].includes(this.frameMs)) {
      throw new ValidationError('ERR_OPUS_BAD_FRAME', `unsupported Opus frame duration ${this.frameMs} ms`, {
        data: { frameMs: this.frameMs },
      });
    }
    this.frameSamples = (this.sampleRate * this.frameMs) / 1000;
    try {
      this.encoder = new Encoder({ sample_rate: this.sampleRate as 8000, channels: this.channels, application: 'voip' });
    } catch (cause) {
      throw new ValidationError('ERR_OPUS_INIT', 'Opus encoder init failed', { cause, data: { sampleRate: this.sampleRate } });
    }
    this.ctl(OPUS_SET_SIGNAL, OPUS_SIGNAL_VOICE);
    this.setComplexity(options.complexity ?? 5);
    this.setBitrate(options.bitrate ?? 24000);
    this.ctl(OPUS_SET_INBAND_FEC, (options.fec ?? true) ? 1 : 0);
    this.setPacketLossPercent(options.packetLossPercent ?? 10);
    this.ctl(OPUS_SET_DTX, options.dtx === true ? 1 : 0);
  }

  /**
   * Encodes exactly {@link frameSamples} samples per channel (interleaved) and
   * returns the packet (a fresh array: the binding allocates it). With DTX on,
   * a packet of 1-2 bytes means "silence, need not be sent" (RFC 6716 §2.1.9).
   * @throws ValidationError `ERR_OPUS_BAD_FRAME` when `pcm` has the wrong length.
   */
  encode(pcm: Int16Array): Uint8Array {
    const enc = this.open();
    if (pcm.length !== this.frameSamples * this.channels) {
      throw new ValidationError('ERR_OPUS_BAD_FRAME', `expected ${this.frameSamples * this.channels} samples, got ${pcm.length}`, {
        data: { expected: this.frameSamples * this.channels, got: pcm.length },
      });
    }
    return enc.encode(pcm);
  }

  /** Target bitrate in bit/s, clamped to 500..512000. */
  setBitrate(bps: number): void {
    this.ctl(OPUS_SET_BITRATE, Math.max(500, Math.min(512000, Math.round(bps))));
  }

  /** Complexity 0..10 (clamped). */
  setComplexity(level: number): void {
    this.ctl(OPUS_SET_COMPLEXITY, Math.max(0, Math.min(10, Math.round(level))));
  }

  /** Expected loss in percent 0..100 (clamped); e.g. from RTCP receiver reports. */
  setPacketLossPercent(percent: number): void {
    this.ctl(OPUS_SET_PACKET_LOSS_PERC, Math.max(0, Math.min(100, Math.round(percent))));
  }

  /** Current settings as libopus reports them. */
  settings(): { bitrate: number; complexity: number; fec: boolean; packetLossPercent: number; dtx: boolean } {
    const enc = this.open();
    return {
      bitrate: enc.bitrate,
      complexity: enc.complexity,
      fec: enc.inband_fec,
      packetLossPercent: enc.packet_loss,
      dtx: enc.dtx,
    };
  }

  /** Releases the encoder. Idempotent. */
  close(): void {
    this.encoder = null;
  }

  private open(): Encoder {
    if (this.encoder === null) throw new InvalidStateError('ERR_OPUS_CLOSED', 'Opus encoder is closed');
    return this.encoder;
  }

  private ctl(request: number, value: number): void {
    this.open().ctl(request, value);
  }
}
