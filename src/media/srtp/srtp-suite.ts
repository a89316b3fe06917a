import { randomBytes } from 'node:crypto';
import { ValidationError } from '../../common/errors.js';

/** SDES crypto suites supported (RFC 4568 §6.2). */
export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';

export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

/** Master key + salt for one direction (RFC 3711 §8.2, RFC 4568 §6.1). */
export interface SrtpKeyMaterial {
  suite: SrtpSuite;
  /** 16-byte AES-128 master key (a Buffer, or a Uint8Array after a worker postMessage). */
  masterKey: Uint8Array;
  /** 14-byte master salt. */
  masterSalt: Uint8Array;
}

/** SRTP auth tag length in bytes for a suite (RFC 4568 §6.2.1/§6.2.2). */
export function srtpTagLength(suite: SrtpSuite): number {
  return suite === 'AES_CM_128_HMAC_SHA1_32' ? 4 : 10;
}

/** SRTCP always uses an 80-bit tag for these suites (RFC 4568 §6.2.2). */
export const SRTCP_TAG_LENGTH = 10;

/**
 * Decodes the base64 key||salt of an SDES `inline:` key parameter
 * (RFC 4568 §6.1; the caller strips `|lifetime|MKI`). Throws ValidationError.
 */
export function decodeSdesKey(suite: SrtpSuite, base64: string): SrtpKeyMaterial {
  const raw = /^[A-Za-z0-9+/]+={0,2}$/.test(base64) ? Buffer.from(base64, 'base64') : Buffer.alloc(0);
  if (raw.length !== 30) {
    throw new ValidationError('ERR_SRTP_BAD_KEY', 'SDES inline key must be 30 bytes of base64', { data: { suite, length: raw.length } });
  }
  return { suite, masterKey: Buffer.from(raw.subarray(0, 16)), masterSalt: Buffer.from(raw.subarray(16, 30)) };
}

/** Encodes key material as the base64 used after `inline:` (RFC 4568 §6.1). */
export function encodeSdesKey(k: SrtpKeyMaterial): string {
  return Buffer.concat([Buffer.from(k.masterKey), Buffer.from(k.masterSalt)]).toString('base64');
}

/** Fresh random key material for our side of an SDES offer/answer. */
export function generateSrtpKey(suite: SrtpSuite = 'AES_CM_128_HMAC_SHA1_80'): SrtpKeyMaterial {
  const r = randomBytes(30);
  return { suite, masterKey: r.subarray(0, 16), masterSalt: r.subarray(16, 30) };
}
