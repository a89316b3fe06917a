/**
 * Direct binding to the libopus WebAssembly build shipped inside @evan/opus
 * (`wasm/simd.wasm`, or `wasm/opus.wasm` where SIMD is not available).
 *
 * Why: neither @evan/opus's native addon nor its JS wrapper exposes the
 * `decode_fec` flag of `opus_decode()` or a NULL packet (RFC 6716 §4.4 packet
 * loss concealment), and both allocate a fresh output array per call. Tandem's
 * decoder needs FEC and PLC on the same decoder state as normal decoding, so
 * it calls `opus_decode` on this instance itself, writing into caller buffers.
 *
 * One instance per process, created lazily on first use. Scratch areas for one
 * packet and one PCM frame are shared by every decoder (JS is single threaded).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The part of the WebAssembly global used here (lib ES2023 has no WebAssembly typings). */
interface WasmGlobal {
  validate(bytes: Uint8Array): boolean;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmGlobal }).WebAssembly;

/** libopus entry points exported by the @evan/opus WASM build (pointers are byte offsets). */
export interface OpusWasmExports {
  memory: { buffer: ArrayBuffer };
  malloc(size: number): number;
  free(ptr: number): void;
  opus_strerror(code: number): number;
  opus_decoder_get_size(channels: number): number;
  opus_decoder_init(st: number, fs: number, channels: number): number;
  opus_decode(st: number, data: number, len: number, pcm: number, frameSize: number, decodeFec: number): number;
  opus_decoder_ctl_set(st: number, request: number, value: number): number;
  opus_decoder_ctl_get(st: number, request: number): number;
  opus_encoder_get_size(channels: number): number;
  opus_encoder_init(st: number, fs: number, channels: number, application: number): number;
  opus_encode(st: number, pcm: number, frameSize: number, data: number, maxBytes: number): number;
  opus_encoder_ctl_set(st: number, request: number, value: number): number;
  opus_encoder_ctl_get(st: number, request: number): number;
}

/** Largest Opus packet we accept (RFC 6716 §3.4 R5 allows up to 1275 bytes per frame, 120 ms). */
export const OPUS_MAX_PACKET = 4000;
/** Largest PCM frame: 120 ms at 48 kHz, stereo. */
export const OPUS_MAX_FRAME_SAMPLES = 5760 * 2;

/** The loaded instance with its shared scratch areas. */
export class OpusWasm {
  readonly exports: OpusWasmExports;
  /** 'simd' or 'baseline': which of the two bundled builds was loaded. */
  readonly variant: 'simd' | 'baseline';
  /** Byte offset of the shared packet scratch area (OPUS_MAX_PACKET bytes). */
  readonly packetPtr: number;
  /** Byte offset of the shared PCM scratch area (OPUS_MAX_FRAME_SAMPLES int16). */
  readonly pcmPtr: number;
  private buffer: ArrayBuffer;
  private u8: Uint8Array;
  private i16: Int16Array;

  private constructor() {
    const require = createRequire(import.meta.url);
    // Smallest module using a SIMD instruction (v128.const); valid only where SIMD is supported.
    const simdProbe = Uint8Array.of(0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20,
      0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 11);
    const simd = WA.validate(simdProbe);
    this.variant = simd ? 'simd' : 'baseline';
    const file = require.resolve(`@evan/opus/wasm/${simd ? 'simd' : 'opus'}.wasm`);
    const module = new WA.Module(readFileSync(file));
    const noop = (): number => 0;
    const instance = new WA.Instance(module, {
      wasi_snapshot_preview1: { fd_seek: noop, fd_write: noop, fd_close: noop, proc_exit: noop },
      env: { emscripten_notify_memory_growth: () => this.refreshViews() },
    });
    this.exports = instance.exports as unknown as OpusWasmExports;
    this.buffer = this.exports.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.i16 = new Int16Array(this.buffer);
    this.packetPtr = this.exports.malloc(OPUS_MAX_PACKET);
    this.pcmPtr = this.exports.malloc(OPUS_MAX_FRAME_SAMPLES * 2);
    this.refreshViews();
  }

  private static instance: OpusWasm | null = null;

  /** The process-wide instance (compiled on first call, ~10-30 ms). */
  static get(): OpusWasm {
    if (OpusWasm.instance === null) OpusWasm.instance = new OpusWasm();
    return OpusWasm.instance;
  }

  private refreshViews(): void {
    // Called from the growth hook and defensively before each use: views over a
    // detached buffer would silently read zeros.
    if (this.u8 !== undefined && this.buffer === this.exports.memory.buffer) return;
    this.buffer = this.exports.memory.buffer;
    this.u8 = new Uint8Array(this.buffer);
    this.i16 = new Int16Array(this.buffer);
  }

  /** Byte view of the whole WASM memory (re-created after memory growth). */
  bytes(): Uint8Array {
    this.refreshViews();
    return this.u8;
  }

  /** Int16 view of the whole WASM memory (re-created after memory growth). */
  samples(): Int16Array {
    this.refreshViews();
    return this.i16;
  }

  /** libopus's message for a negative return code. */
  errorString(code: number): string {
    const ptr = this.exports.opus_strerror(code);
    const u8 = this.bytes();
    let end = ptr;
    while (end < u8.length && u8[end] !== 0 && end - ptr < 200) end++;
    return Buffer.from(u8.subarray(ptr, end)).toString('latin1');
  }
}
