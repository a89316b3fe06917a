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
  /**
   * One direction's context from a master key/salt (RFC 3711 §4.3 KDF, kdr 0). tagLen 10 or 4; window 64..1024.
   * `cipher` 'aes-128-gcm' (addons reporting `srtpInfo().ghash`): AEAD_AES_128_GCM (RFC 7714), salt 12 bytes,
   * tagLen 16. `sessionKeys` (tests, GCM only): key/salt are the session key/salt of SRTP and SRTCP, no KDF.
   */
  srtpCreate(masterKey: Uint8Array, masterSalt: Uint8Array, tagLen: number, replayWindow: number, cipher?: NativeSrtpCipher, sessionKeys?: boolean): NativeSrtpContext;
  /** Needs `tagLen` bytes of room after the packet; returns len + tagLen, or a negative code. Throws RangeError on bad offsets. */
  srtpProtectRtp(ctx: NativeSrtpContext, u8: Uint8Array, offset: number, len: number): number;
  srtpUnprotectRtp(ctx: NativeSrtpContext, u8: Uint8Array, offset: number, len: number): number;
  /** Needs 14 bytes of room (E||index + 80-bit tag); GCM: 20 (16-byte tag + E||index). */
  srtpProtectRtcp(ctx: NativeSrtpContext, u8: Uint8Array, offset: number, len: number): number;
  srtpUnprotectRtcp(ctx: NativeSrtpContext, u8: Uint8Array, offset: number, len: number): number;
  /** Releases the context's state and keys now (idempotent); later use throws. */
  srtpFree(ctx: NativeSrtpContext): void;
  /** Which AES, SHA-1 and GHASH code new contexts use; `ghash` is absent on addons without AES-GCM. */
  srtpInfo(): { aes: 'aesni' | 'table'; sha1: 'shani' | 'c'; ghash?: 'pclmul' | 'table' };
  /** Tests: false makes new contexts use the portable C code (no AES-NI/SHA-NI/PCLMULQDQ). */
  srtpSetAccel(on: boolean): void;
  /** Tests: XORs the AES-CM keystream for `iv` (bytes 14–15 zero) into `data` (RFC 3711 §4.1.1). */
  srtpAesCmXor(key: Uint8Array, iv: Uint8Array, data: Uint8Array): void;
  /** Tests: AES-128-GCM (SP 800-38D) of `data` in place with a 12-byte IV; the 16-byte tag into `tag` (GCM addons only). */
  srtpAesGcm?(key: Uint8Array, iv: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): void;
  /** Tests: writes rtpKey16 rtpAuth20 rtpSalt14 rtcpKey16 rtcpAuth20 rtcpSalt14 into `out` (≥ 100 bytes). */
  srtpDeriveKeys(masterKey: Uint8Array, masterSalt: Uint8Array, out: Uint8Array): void;
  /** Tests: HMAC-SHA1(key, data) into out[0..20). */
  srtpHmacSha1(key: Uint8Array, data: Uint8Array, out: Uint8Array): void;
}

/** Ciphers of `srtpCreate`: AES-CM with HMAC-SHA1 (default) or AES-128-GCM (RFC 7714). */
export type NativeSrtpCipher = 'aes-cm' | 'aes-128-gcm';

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

/**
 * Whether the loaded addon does AEAD_AES_128_GCM (RFC 7714): addons built
 * before it lack `srtpInfo().ghash` (then GCM sessions use node:crypto).
 */
export function nativeSrtpHasGcm(addon: NativeSrtpAddon | null = loadNativeSrtp()): boolean {
  return addon !== null && typeof addon.srtpInfo().ghash === 'string';
}

/** Why the native SRTP did not load (null when it did or was not tried). */
export function nativeSrtpLoadError(): string | null {
  return loaded?.error ?? null;
}
