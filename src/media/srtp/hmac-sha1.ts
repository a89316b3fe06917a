import { hash } from 'node:crypto';

/**
 * HMAC-SHA1 (RFC 2104) with precomputed pads, computed as two one-shot
 * `crypto.hash` calls over preallocated scratch buffers. `createHmac` per
 * packet re-keys each time (~10 µs); this is ~2 µs. Used for SRTP auth
 * (RFC 3711 §4.2.1).
 */
export class HmacSha1 {
  private inner: Buffer;
  private readonly outer = Buffer.alloc(64 + 20);

  constructor(key: Buffer) {
    const k = key.length > 64 ? hash('sha1', key, 'buffer') : key;
    this.inner = Buffer.alloc(64 + 1600);
    for (let i = 0; i < 64; i++) {
      const kb = i < k.length ? k[i] : 0;
      this.inner[i] = kb ^ 0x36;
      this.outer[i] = kb ^ 0x5c;
    }
  }

  /**
   * MAC over `a[aOff..aOff+aLen)` followed by `tail` (e.g. the 4-byte ROC).
   * Returns the 20-byte digest (a fresh buffer).
   */
  mac(a: Buffer, aOff: number, aLen: number, tail: Buffer | null): Buffer {
    const tl = tail ? tail.length : 0;
    const need = 64 + aLen + tl;
    if (need > this.inner.length) {
      const n = Buffer.alloc(need + 256);
      this.inner.copy(n, 0, 0, 64);
      this.inner = n;
    }
    a.copy(this.inner, 64, aOff, aOff + aLen);
    if (tail) tail.copy(this.inner, 64 + aLen);
    const ih = hash('sha1', this.inner.subarray(0, need), 'buffer');
    ih.copy(this.outer, 64);
    return hash('sha1', this.outer, 'buffer');
  }
}
