/** A growable FIFO of 16-bit PCM samples used for repacketization between ptimes. */
export class PcmFifo {
  private buf: Int16Array;
  private r = 0;
  private w = 0;

  constructor(capacity = 4800) { this.buf = new Int16Array(capacity); }

  get length(): number { return this.w - this.r; }

  write(src: Int16Array, n: number = src.length): void {
    if (this.w + n > this.buf.length) {
      const len = this.w - this.r;
      if (len + n > this.buf.length) {
        const nb = new Int16Array(Math.max(this.buf.length * 2, len + n));
        nb.set(this.buf.subarray(this.r, this.w));
        this.buf = nb;
      } else {
        this.buf.copyWithin(0, this.r, this.w);
      }
      this.r = 0;
      this.w = len;
    }
    this.buf.set(src.subarray(0, n), this.w);
    this.w += n;
  }

  /** Moves `n` samples into `out` (n ≤ length). */
  read(out: Int16Array, n: number): void {
    out.set(this.buf.subarray(this.r, this.r + n));
    this.r += n;
    if (this.r === this.w) { this.r = 0; this.w = 0; }
  }

  clear(): void { this.r = 0; this.w = 0; }
}
