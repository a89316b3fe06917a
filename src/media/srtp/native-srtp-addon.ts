import { createRequire } from 'node:module';
import { udpPumpAddonPath } from '../../native/native-addon.js';

/** Opaque SRTP context owned by the addon (freed by its finalizer or `srtpFree`). */
export type NativeSrtpContext = object & { readonly __nativeSrtpContext?: never };

/**
 * The SRTP functions of Tandem's Node-API addon (src/native/srtp.c,
 * built into tandem_udp_pump.node). Transforms work in place on
 * `u8[offset, offset+len)` and return the new length, or a negative code
 * ({@link NATIVE_SRTP_ERRORS}).
 */
export interface NativeSrtpAddon {
  /** One direction's context from a master key/salt (RFC 3711 §4.3 KDF, kdr 0). tagLen 10 or 4; window 64..1024. */
  srtpCreate(masterKey: Uint8Array, masterSalt: Uint8Array, tagLen: number, replayWindow: number): NativeSrtpContext;
  /** Needs `tagLen` bytes of room after the packet; returns len + tagLen, or a negative code. Throws RangeError on bad offsets. */
  srtpProtectRtp(ctx: NativeSrtpContext, u8: Uint8Array, offset: number, len: number): number;
  srtpUnprotectRtp(ctx: NativeSrtpContext, u8: Uint8Array, offset: number, len: number): number;
  /** Needs 14 bytes of room (E||index + 80-bit tag). */
  srtpProtectRtcp(ctx: NativeSrtpContext, u8: Uint8Array, offset: number, len: number): number;
  srtpUnprotectRtcp(ctx: NativeSrtpContext, u8: Uint8Array, offset: number, len: number): number;
  /** Releases the context's state and keys now (idempotent); later use throws. */
  srtpFree(ctx: NativeSrtpContext): void;
  /** Which AES and SHA-1 code new contexts use. */
  srtpInfo(): { aes: 'aesni' | 'table'; sha1: 'shani' | 'c' };
  /** Tests: false makes new contexts use the portable C code (no AES-NI/SHA-NI). */
  srtpSetAccel(on: boolean): void;
  /** Tests: XORs the AES-CM keystream for `iv` (bytes 14–15 zero) into `data` (RFC 3711 §4.1.1). */
  srtpAesCmXor(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
  /** Tests: writes rtpKey16 rtpAuth20 rtpSalt14 rtcpKey16 rtcpAuth20 rtcpSalt14 into `out` (≥ 100 bytes). */
  srtpDeriveKeys(masterKey: Uint8Array, masterSalt: Uint8Array, out: Uint8Array): void;
  /** Tests: HMAC-SHA1(key, data) into out[0..20). */
  srtpHmacSha1(key: Uint8Array, data: Uint8Array, out: Uint8Array): void;
}

/** Negative results of the native transforms, by code (index = -code). */
export const NATIVE_SRTP_ERRORS = [null, 'short', 'auth', 'replay', 'malformed', 'nomem'] as const;

let loaded: { addon: NativeSrtpAddon | null; error: string | null } | null = null;

/**
 * Loads the SRTP functions from the native addon once per JS environment
 * (same file as the UDP pump, see `udpPumpAddonPath()`). Returns null, with
 * the reason in {@link nativeSrtpLoadError}, when the addon is not built,
 * fails to load or predates the SRTP code.
 */
export function loadNativeSrtp(): NativeSrtpAddon | null {
  if (loaded) return loaded.addon;
  const p = udpPumpAddonPath();
  if (!p) {
    loaded = { addon: null, error: 'tandem_udp_pump.node not built (sh scripts/build-native.sh builds src/native)' };
    return null;
  }
  try {
    const m = createRequire(import.meta.url)(p) as Partial<NativeSrtpAddon>;
    const fns: Array<keyof NativeSrtpAddon> = ['srtpCreate', 'srtpProtectRtp', 'srtpUnprotectRtp', 'srtpProtectRtcp', 'srtpUnprotectRtcp', 'srtpFree', 'srtpInfo'];
    if (fns.some((f) => typeof m[f] !== 'function')) throw new Error('the addon has no SRTP functions (rebuild it: sh scripts/build-native.sh)');
    loaded = { addon: m as NativeSrtpAddon, error: null };
  } catch (e) {
    loaded = { addon: null, error: e instanceof Error ? e.message : String(e) };
  }
  return loaded.addon;
}

/** Why the native SRTP did not load (null when it did or was not tried). */
export function nativeSrtpLoadError(): string | null {
  return loaded?.error ?? null;
}
