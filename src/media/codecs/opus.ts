/**
 * Opus for Tandem (RFC 6716 codec, RFC 7587 RTP payload): encoder, decoder
 * with FEC/PLC, and backend reporting.
 *
 * Backends:
 * - the encoder uses @evan/opus, which loads its native addon
 *   (`node/<arch>-<platform>.node`) and silently falls back to its WASM build
 *   when the addon does not load or `OPUS_FORCE_WASM` is set;
 * - the decoder always runs the WASM build (the only one exposing FEC and PLC).
 * The program logs {@link opusBackends} at startup.
 */
import { createRequire } from 'node:module';
import { Encoder } from '@evan/opus';
import { OpusWasm } from './opus-wasm.js';

export { OpusEncoder, type OpusEncoderOptions } from './opus-encoder.js';
export { OpusDecoder, type OpusDecoderOptions } from './opus-decoder.js';

/** RTP clock rate of Opus, whatever the codec's internal rate (RFC 7587 §4.1). */
export const OPUS_RTP_CLOCK = 48000;

let cached: 'native' | 'wasm' | null = null;

/**
 * Which backend @evan/opus loaded for the encoder.
 *
 * Detection: @evan/opus's `Encoder` extends the base class of whichever module
 * it required. The native module (`@evan/opus/node/index.js`) sits in the CJS
 * require cache once loaded, so requiring it again returns the same object; if
 * its `Encoder` is the parent of the exported one, the native addon is in use.
 * If it throws (no binary for this platform) or is a different object
 * (`OPUS_FORCE_WASM`), the WASM build is in use.
 */
export function opusBackend(): 'native' | 'wasm' {
  if (cached !== null) return cached;
  let backend: 'native' | 'wasm' = 'wasm';
  // With OPUS_FORCE_WASM (thread workers) @evan/opus never loads its addon; requiring the native
  // module here would load it into the thread, and a worker thread that loaded it crashes the
  // process (SIGSEGV) when it exits (worker-handle.ts).
  if (process.env.OPUS_FORCE_WASM) { cached = 'wasm'; return cached; }
  try {
    const require = createRequire(import.meta.url);
    const native = require('@evan/opus/node/index.js') as { Encoder?: unknown };
    if (native.Encoder !== undefined && Object.getPrototypeOf(Encoder) === native.Encoder) backend = 'native';
  } catch {
    backend = 'wasm';
  }
  cached = backend;
  return backend;
}

/** Backends used by the encoder and decoder, and the WASM flavour; for the startup log. */
export function opusBackends(): { encoder: 'native' | 'wasm'; decoder: 'wasm'; wasmVariant: 'simd' | 'baseline' } {
  return { encoder: opusBackend(), decoder: 'wasm', wasmVariant: OpusWasm.get().variant };
}
