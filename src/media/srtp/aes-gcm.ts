import { createCipheriv, createDecipheriv } from 'node:crypto';

/** AES-GCM authentication tag length used by SRTP/SRTCP (RFC 7714 §14.2: 16 octets). */
export const GCM_TAG_LENGTH = 16;

/**
 * AES-128-GCM (NIST SP 800-38D) with a 12-byte IV and a 16-byte tag, on
 * node:crypto, for SRTP/SRTCP (RFC 7714). node:crypto cannot re-key the IV
 * of a GCM cipher, so each call creates one (`createCipheriv`, a few µs):
 * this is the fallback used when the native addon is not loaded.
 */
export class AesGcm128 {
  constructor(private readonly key: Buffer) {
    if (key.length !== 16) throw new RangeError('AES-128-GCM key must be 16 bytes');
  }

  /**
   * Encrypts `data[off, off+len)` in place with associated data `aad` and
   * writes the tag to `tagOut[tagOff, tagOff+16)`.
   */
  seal(iv: Buffer, aad: Buffer, data: Buffer, off: number, len: number, tagOut: Buffer, tagOff: number): void {
    const c = createCipheriv('aes-128-gcm', this.key, iv);
    c.setAAD(aad);
    const enc = c.update(data.subarray(off, off + len));
    c.final();
    enc.copy(data, off);
    c.getAuthTag().copy(tagOut, tagOff);
  }

  /**
   * Verifies `tag` over `aad` and `ciphertext`; returns the plaintext (a new
   * buffer) when it matches, null otherwise. The input is never modified.
   */
  open(iv: Buffer, aad: Buffer, ciphertext: Buffer, tag: Buffer): Buffer | null {
    const d = createDecipheriv('aes-128-gcm', this.key, iv);
    d.setAAD(aad);
    d.setAuthTag(tag);
    const plain = d.update(ciphertext);
    try {
      d.final();
    } catch {
      return null;
    }
    return plain;
  }
}
