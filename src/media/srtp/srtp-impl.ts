import { loadNativeSrtp, nativeSrtpHasGcm, nativeSrtpLoadError } from './native-srtp-addon.js';
import { NativeSrtpSession } from './native-srtp-session.js';
import { srtpIsAead } from './srtp-suite.js';
import { TandemSrtpSession } from './tandem-srtp-session.js';
import type { SrtpOptions, SrtpProtection, SrtpSessionKeys } from './srtp-protection.js';

/**
 * Which code does SRTP/SRTCP for AES_CM_128_HMAC_SHA1_80/_32 and AEAD_AES_128_GCM:
 * - `native`: Tandem's C implementation in the native addon
 *   ({@link NativeSrtpSession}) when the addon loads, else `node`;
 * - `node`: {@link TandemSrtpSession} on node:crypto.
 */
export type SrtpImplMode = 'native' | 'node';

/** Outcome of {@link configureSrtpImpl}: what was asked, what is used, and why. */
export interface SrtpImplSelection {
  requested: SrtpImplMode;
  effective: SrtpImplMode;
  /** Why `native` was not used (addon missing, failing to load or without SRTP); null otherwise. */
  fallbackReason: string | null;
}

/**
 * Environment variable forcing the default selection (`node` or `native`),
 * e.g. for A/B benchmarks; read when nothing was configured. Not TANDEM_*:
 * those are config overrides.
 */
export const SRTP_IMPL_ENV = 'SRTP_IMPL';

let selection: SrtpImplSelection | null = null;

/**
 * Chooses the SRTP implementation of this JS environment (sessions created
 * afterwards use it). `native` falls back to `node` when the addon does not load.
 */
export function configureSrtpImpl(mode: SrtpImplMode): SrtpImplSelection {
  if (mode === 'node') {
    selection = { requested: mode, effective: 'node', fallbackReason: null };
  } else {
    selection = loadNativeSrtp() ? { requested: mode, effective: 'native', fallbackReason: null }
      : { requested: mode, effective: 'node', fallbackReason: nativeSrtpLoadError() ?? 'addon not loaded' };
  }
  return selection;
}

/** The SRTP implementation in use: as configured, else $SRTP_IMPL, else `native` (falling back to `node`). */
export function srtpImpl(): SrtpImplSelection {
  return selection ?? configureSrtpImpl(process.env[SRTP_IMPL_ENV] === 'node' ? 'node' : 'native');
}

/**
 * A session for `keys` with the selected implementation ({@link srtpImpl}).
 * AEAD_AES_128_GCM uses node:crypto when the loaded addon was built before
 * GCM support (see `nativeSrtpHasGcm`).
 */
export function createSrtpSession(keys: SrtpSessionKeys, opts: SrtpOptions = {}): SrtpProtection {
  if (srtpImpl().effective !== 'native') return new TandemSrtpSession(keys, opts);
  const gcm = srtpIsAead(keys.local.suite) || srtpIsAead(keys.remote.suite);
  return gcm && !nativeSrtpHasGcm() ? new TandemSrtpSession(keys, opts) : new NativeSrtpSession(keys, opts);
}
