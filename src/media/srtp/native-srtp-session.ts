import { UnsupportedError } from '../../common/errors.js';
import { NATIVE_SRTP_ERRORS, loadNativeSrtp, nativeSrtpHasGcm, nativeSrtpLoadError, type NativeSrtpAddon, type NativeSrtpContext } from './native-srtp-addon.js';
import { srtcpTagLength, srtpIsAead, srtpSaltLength, srtpTagLength, type SrtpKeyMaterial } from './srtp-suite.js';
import type { SrtpDropReason, SrtpOptions, SrtpProtection, SrtpSessionKeys } from './srtp-protection.js';

function createContext(addon: NativeSrtpAddon, key: SrtpKeyMaterial, window: number): NativeSrtpContext {
  const saltLength = srtpSaltLength(key.suite);
  if (key.masterKey.length !== 16 || key.masterSalt.length !== saltLength) {
    throw new RangeError(`${key.suite} master key must be 16 bytes and salt ${saltLength} bytes`);
  }
  if (!srtpIsAead(key.suite)) return addon.srtpCreate(key.masterKey, key.masterSalt, srtpTagLength(key.suite), window);
  if (!nativeSrtpHasGcm(addon)) {
    throw new UnsupportedError('ERR_SRTP_NATIVE_UNAVAILABLE', 'the native SRTP addon predates AEAD_AES_128_GCM (rebuild it: sh scripts/build-native.sh)');
  }
  return addon.srtpCreate(key.masterKey, key.masterSalt, srtpTagLength(key.suite), window, 'aes-128-gcm');
}

/**
 * SRTP/SRTCP session (RFC 3711; AEAD_AES_128_GCM per RFC 7714) done in C by
 * Tandem's native addon (src/native/srtp.c: AES-NI/SHA-NI/PCLMULQDQ when
 * present, KDF §4.3, ROC §3.3.1, replay window §3.3.2, SRTCP index §3.4),
 * with the same semantics as
 * {@link TandemSrtpSession}. Per packet: protect allocates the output buffer
 * (callers hand it to an asynchronous send) and unprotect a view of the
 * input, decrypted in place; no crypto objects.
 * Throws UnsupportedError ERR_SRTP_NATIVE_UNAVAILABLE when the addon is not loaded.
 */
export class NativeSrtpSession implements SrtpProtection {
  readonly impl = 'native' as const;
  lastError: SrtpDropReason | null = null;
  private readonly addon: NativeSrtpAddon;
  private readonly tx: NativeSrtpContext;
  private readonly rx: NativeSrtpContext;
  private readonly txTag: number;
  /** Bytes SRTCP appends: E||index + 80-bit tag (RFC 3711 §3.4), or 16-byte tag + E||index (RFC 7714 §9). */
  private readonly txRtcpTrailer: number;

  constructor(keys: SrtpSessionKeys, opts: SrtpOptions = {}, addon: NativeSrtpAddon | null = loadNativeSrtp()) {
    if (!addon) {
      throw new UnsupportedError('ERR_SRTP_NATIVE_UNAVAILABLE', 'native SRTP is not available', { data: { reason: nativeSrtpLoadError() } });
    }
    const window = Math.max(64, Math.min(1024, opts.replayWindow ?? 128));
    if (!Number.isInteger(window)) throw new RangeError('SRTP replay window must be an integer');
    this.addon = addon;
    this.tx = createContext(addon, keys.local, window);
    this.rx = createContext(addon, keys.remote, window);
    this.txTag = srtpTagLength(keys.local.suite);
    this.txRtcpTrailer = 4 + srtcpTagLength(keys.local.suite);
  }

  /** Encrypts and authenticates (RFC 3711 §3.3); returns a new buffer with the tag appended. */
  protectRtp(packet: Buffer, length: number = packet.length): Buffer {
    const out = Buffer.allocUnsafe(length + this.txTag);
    packet.copy(out, 0, 0, length);
    const n = this.addon.srtpProtectRtp(this.tx, out, 0, length);
    if (n < 0) throw n === -5 ? new Error('native SRTP: out of memory') : new RangeError('not an RTP packet');
    return out;
  }

  /** Verifies and decrypts in place; returns a view of the plain packet or null with `lastError`. */
  unprotectRtp(packet: Buffer, length: number = packet.length): Buffer | null {
    const n = this.addon.srtpUnprotectRtp(this.rx, packet, 0, length);
    if (n < 0) { this.lastError = dropReason(n); return null; }
    this.lastError = null;
    return packet.subarray(0, n);
  }

  /** SRTCP protect (RFC 3711 §3.4, RFC 7714 §9): a new buffer with E||index and the tag. */
  protectRtcp(packet: Buffer): Buffer {
    const length = packet.length;
    if (length < 8) throw new RangeError('RTCP packet too short');
    const out = Buffer.allocUnsafe(length + this.txRtcpTrailer);
    packet.copy(out, 0, 0, length);
    const n = this.addon.srtpProtectRtcp(this.tx, out, 0, length);
    if (n < 0) throw n === -5 ? new Error('native SRTP: out of memory') : new RangeError('RTCP packet too long');
    return out;
  }

  /** SRTCP unprotect: verifies, replay-checks the index and decrypts in place (when E is set). */
  unprotectRtcp(packet: Buffer, length: number = packet.length): Buffer | null {
    const n = this.addon.srtpUnprotectRtcp(this.rx, packet, 0, length);
    if (n < 0) { this.lastError = dropReason(n); return null; }
    this.lastError = null;
    return packet.subarray(0, n);
  }

  /**
   * Releases the native state and keys now instead of at garbage collection.
   * Idempotent; the session must not be used afterwards.
   */
  close(): void {
    this.addon.srtpFree(this.tx);
    this.addon.srtpFree(this.rx);
  }
}

function dropReason(code: number): SrtpDropReason {
  const r = NATIVE_SRTP_ERRORS[-code];
  // 'nomem' (allocation of a new SSRC state failed) is counted as malformed input.
  return r === 'short' || r === 'auth' || r === 'replay' ? r : 'malformed';
}
