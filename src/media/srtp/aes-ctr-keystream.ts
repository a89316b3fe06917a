import { createCipheriv, type Cipheriv } from 'node:crypto';

/**
 * AES-128 counter-mode keystream (RFC 3711 §4.1.1) from one reusable
 * AES-ECB cipher: counter blocks are written into a preallocated buffer and
 * encrypted in one `update()` call. node:crypto has no way to re-key the IV
 * of a CTR cipher, and `createCipheriv` per packet costs ~10 µs; this costs ~1 µs.
 */
export class AesCtrKeystream {
  private readonly ecb: Cipheriv;
  private counters = Buffer.alloc(16 * 96);

  constructor(key: Buffer) {
    this.ecb = createCipheriv('aes-128-ecb', key, null);
    this.ecb.setAutoPadding(false);
  }

  /**
   * XORs `data[off..off+len)` in place with the keystream for the 16-byte IV
   * `iv` (bytes 14–15 must be zero; they carry the block counter).
   */
  xor(iv: Buffer, data: Buffer, off: number, len: number): void {
    if (len <= 0) return;
    const blocks = (len + 15) >> 4;
    if (blocks * 16 > this.counters.length) this.counters = Buffer.alloc(blocks * 16);
    const c = this.counters;
    for (let i = 0; i < blocks; i++) {
      const o = i * 16;
      iv.copy(c, o, 0, 14);
      c[o + 14] = (i >> 8) & 0xff;
      c[o + 15] = i & 0xff;
    }
    const ks = this.ecb.update(c.subarray(0, blocks * 16));
    for (let i = 0; i < len; i++) data[off + i] ^= ks[i];
  }
}
