/**
 * Opus decoder (RFC 6716) with in-band FEC recovery and packet loss
 * concealment, writing into caller buffers.
 *
 * Runs on the libopus WASM build bundled with @evan/opus (see opus-wasm.ts for
 * why not the native addon). Decoding straight to 8 kHz mono lets a browser's
 * 48 kHz Opus stream reach a G.711 leg without a resampler: libopus decodes at
 * any of 8/12/16/24/48 kHz (RFC 6716 §2; RFC 7587 §4.1 keeps the RTP clock at
 * 48 kHz regardless).
 */
import { InvalidStateError, ValidationError } from '../../common/errors.js';
import { OPUS_MAX_FRAME_SAMPLES, OPUS_MAX_PACKET, OpusWasm } from './opus-wasm.js';

/** Decoder options. */
export interface OpusDecoderOptions {
  /** Output sample rate: 8000, 12000, 16000, 24000 or 48000. Default 8000. */
  sampleRate?: 8000 | 12000 | 16000 | 24000 | 48000;
  /** Output channels (interleaved when 2). Default 1. */
  channels?: 1 | 2;
}

const OPUS_GET_LAST_PACKET_DURATION = 4039;
const OPUS_RESET_STATE = 4028;

/**
 * An Opus decoder. Every method returns the number of samples per channel
 * written to `out`. `close()` frees the decoder state and is idempotent.
 *
 * Loss handling (RFC 6716 §4.4; in-band FEC is SILK LBRR data, §4.2.4):
 * - {@link decodeFec}: packet N is lost and packet N+1 has arrived: recover N
 *   from N+1's redundancy (falls back to PLC inside libopus when N+1 carries no
 *   FEC), then decode N+1 normally with {@link decode}.
 * - {@link conceal}: nothing usable arrived: extrapolate one frame (PLC).
 */
export class OpusDecoder {
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  private readonly wasm: OpusWasm;
  private state: number;

  constructor(options: OpusDecoderOptions = {}) {
    this.sampleRate = options.sampleRate ?? 8000;
    this.channels = options.channels ?? 1;
    if (![8000, 12000, 16000, 24000, 48000].includes(this.sampleRate)) {
      throw new ValidationError('ERR_OPUS_BAD_RATE', `unsupported Opus sample rate ${this.sampleRate}`, {
        data: { sampleRate: this.sampleRate },
      });
    }
    this.wasm = OpusWasm.get();
    const x = this.wasm.exports;
    this.state = x.malloc(x.opus_decoder_get_size(this.channels));
    const rc = x.opus_decoder_init(this.state, this.sampleRate, this.channels);
    if (rc < 0) {
      x.free(this.state);
      this.state = 0;
      throw new ValidationError('ERR_OPUS_INIT', `opus_decoder_init: ${this.wasm.errorString(rc)}`, { data: { rc } });
    }
  }

  /** Samples per channel in one frame of `ms` milliseconds at this decoder's rate. */
  frameSamples(ms: number): number {
    return Math.round((this.sampleRate * ms) / 1000);
  }

  /**
   * Decodes one packet into `out` (interleaved int16). Returns samples per channel.
   * @throws ValidationError `ERR_OPUS_DECODE` for a corrupt packet or a too-small `out`.
   */
  decode(packet: Uint8Array, out: Int16Array): number {
    return this.run(packet, out, Math.min(out.length / this.channels, 5760) | 0, 0);
  }

  /**
   * Recovers a lost frame of `frameSamples` samples per channel from the FEC
   * (LBRR) data carried in `nextPacket`, the packet after the lost one.
   */
  decodeFec(nextPacket: Uint8Array, out: Int16Array, frameSamples: number): number {
    this.checkFrame(out, frameSamples);
    return this.run(nextPacket, out, frameSamples, 1);
  }

  /** Packet loss concealment: synthesizes `frameSamples` samples per channel (decode of a NULL packet). */
  conceal(out: Int16Array, frameSamples: number): number {
    this.checkFrame(out, frameSamples);
    return this.run(null, out, frameSamples, 0);
  }

  /** Duration in samples per channel of the last decoded packet (OPUS_GET_LAST_PACKET_DURATION). */
  get lastPacketDuration(): number {
    this.checkOpen();
    return this.wasm.exports.opus_decoder_ctl_get(this.state, OPUS_GET_LAST_PACKET_DURATION);
  }

  /** Resets the decoder state (e.g. after an SSRC change). */
  reset(): void {
    this.checkOpen();
    this.wasm.exports.opus_decoder_ctl_set(this.state, OPUS_RESET_STATE, 0);
  }

  /** Frees the decoder. Idempotent. */
  close(): void {
    if (this.state !== 0) {
      this.wasm.exports.free(this.state);
      this.state = 0;
    }
  }

  private checkOpen(): void {
    if (this.state === 0) throw new InvalidStateError('ERR_OPUS_CLOSED', 'Opus decoder is closed');
  }

  private checkFrame(out: Int16Array, frameSamples: number): void {
    // libopus needs a multiple of 2.5 ms for PLC/FEC.
    const quantum = this.sampleRate / 400;
    if (!Number.isInteger(frameSamples) || frameSamples <= 0 || frameSamples % quantum !== 0 ||
        frameSamples * this.channels > out.length || frameSamples > 5760) {
      throw new ValidationError('ERR_OPUS_BAD_FRAME', `bad frame size ${frameSamples}`, {
        data: { frameSamples, outLength: out.length, sampleRate: this.sampleRate },
      });
    }
  }

  private run(packet: Uint8Array | null, out: Int16Array, frameSamples: number, fec: 0 | 1): number {
    this.checkOpen();
    const x = this.wasm.exports;
    let len = 0;
    if (packet !== null) {
      len = packet.length;
      if (len === 0 || len > OPUS_MAX_PACKET) {
        throw new ValidationError('ERR_OPUS_DECODE', `bad Opus packet length ${len}`, { data: { len } });
      }
      this.wasm.bytes().set(packet, this.wasm.packetPtr);
    }
    const max = Math.min(frameSamples, OPUS_MAX_FRAME_SAMPLES / this.channels);
    const n = x.opus_decode(this.state, packet === null ? 0 : this.wasm.packetPtr, len, this.wasm.pcmPtr, max, fec);
    if (n < 0) {
      throw new ValidationError('ERR_OPUS_DECODE', `opus_decode: ${this.wasm.errorString(n)}`, {
        data: { rc: n, len, fec },
      });
    }
    const start = this.wasm.pcmPtr >> 1;
    out.set(this.wasm.samples().subarray(start, start + n * this.channels));
    return n;
  }
}
