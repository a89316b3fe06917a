import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../common/errors.js';

/**
 * SRTP crypto suites supported: the AES-CM/HMAC-SHA1 suites of RFC 4568
 * §6.2 and AEAD_AES_128_GCM (RFC 7714; the SDES suite name of §14.1 and the
 * DTLS-SRTP profile SRTP_AEAD_AES_128_GCM of §14.2).
 */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32' | 'AEAD_AES_128_GCM';

export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32', 'AEAD_AES_128_GCM'];

/** Master key + salt for one direction (RFC 3711 §8.2, RFC 4568 §6.1, RFC 7714 §12). */
export interface SrtpKeyMaterial {
  suite: SrtpSuite;
  /** 16-byte AES-128 master key (a Buffer, or a Uint8Array after a worker postMessage). */
  masterKey: Uint8Array;
  /** Master salt: 14 bytes, 12 for AEAD_AES_128_GCM ({@link srtpSaltLength}). */
  masterSalt: Uint8Array;
}

/** True for the AEAD suite (RFC 7714): AES-GCM, no separate auth key. */
export function srtpIsAead(suite: SrtpSuite): boolean {
  return suite === 'AEAD_AES_128_GCM';
}

/** SRTP auth tag length in bytes for a suite (RFC 4568 §6.2.1/§6.2.2; RFC 7714 §14.2: 16). */
export function srtpTagLength(suite: SrtpSuite): number {
  return suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : suite === 'AEAD_AES_128_GCM' ? 16 : 10;
}

/** SRTCP always uses an 80-bit tag for the AES-CM suites (RFC 4568 §6.2.2). */
export const SRTCP_TAG_LENGTH = 10;

/** SRTCP tag length: 10 for the AES-CM suites, 16 for AEAD_AES_128_GCM (RFC 7714 §9). */
export function srtcpTagLength(suite: SrtpSuite): number {
  return srtpIsAead(suite) ? 16 : SRTCP_TAG_LENGTH;
}

/** Master (and session) salt length: 14 bytes, 12 for AEAD_AES_128_GCM (RFC 7714 §12, §14.2). */
export function srtpSaltLength(suite: SrtpSuite): number {
  return srtpIsAead(suite) ? 12 : 14;
}

/**
 * Decodes the base64 key||salt of an SDES `inline:` key parameter
 * (RFC 4568 §6.1; the caller strips `|lifetime|MKI`): 30 bytes, 28 for
 * AEAD_AES_128_GCM (RFC 7714 §14.1). Throws ValidationError.
 */
export function decodeSdesKey(suite: SrtpSuite, base64: string): SrtpKeyMaterial {
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, 'base64') : Buffer.alloc(0);
  const total = 16 + srtpSaltLength(suite);
  if (raw.length !== total) {
    throw new ValidationError('ERR_SRTP_BAD_KEY', `SDES inline key must be ${total} bytes of base64`, { data: { suite, length: raw.length } });
  }
  return { suite, masterKey: Buffer.from(raw.subarray(0, 16)), masterSalt: Buffer.from(raw.subarray(16, total)) };
}

/** Encodes key material as the base64 used after `inline:` (RFC 4568 §6.1). */
export function encodeSdesKey(k: SrtpKeyMaterial): string {
  return Buffer.concat([Buffer.from(k.masterKey), Buffer.from(k.masterSalt)]).toString('base64');
}

/** Fresh random key material for our side of an SDES offer/answer. */
export function generateSrtpKey(suite: SrtpSuite = 'AES_CM_128_HMAC_SHA1_80'): SrtpKeyMaterial {
  const total = 16 + srtpSaltLength(suite);
  const r = randomBytes(total);
  return { suite, masterKey: r.subarray(0, 16), masterSalt: r.subarray(16, total) };
}
