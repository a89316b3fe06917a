import { DrachtioFramingError } from './errors.js';

export { DrachtioFramingError };

/** Options for {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /**
   * Largest accepted frame in bytes. drachtio-server reads at most 5 length digits
   * before the `#` (< 100000 bytes would be its practical limit with a 6-byte buffer);
   * we accept up to this many bytes. Default 1 MiB.
   */
  maxFrameBytes?: number;
}

const HASH = 0x23; // '#'
const MAX_LENGTH_DIGITS = 9;

/**
 * Decodes the drachtio wire framing: every message is `<byte length>#<utf-8 message>`,
 * frames follow each other with no separator. Robust to frames split across reads and
 * several frames in one read. Anything else (a non-digit before `#`, a zero or oversized
 * length, too many digits) throws {@link DrachtioFramingError}; the caller closes the
 * connection.
 */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private readonly maxFrameBytes: number;

  constructor(options: FrameDecoderOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? 1024 * 1024;
  }

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buf.length;
  }

  /** Appends `chunk` and returns every complete message now available, in order. */
  push(chunk: Buffer): string[] {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    const out: string[] = [];
    for (;;) {
      const hash = this.buf.indexOf(HASH);
      const digitsSeen = hash === -1 ? this.buf.length : hash;
      // validate the length specifier seen so far, even before '#' arrives
      for (let i = 0; i < digitsSeen && i <= MAX_LENGTH_DIGITS; i++) {
        const c = this.buf[i];
        if (c < 0x30 || c > 0x39) {
          throw new DrachtioFramingError('ERR_DRACHTIO_FRAMING', 'invalid message length specifier', {
            data: { offendingByte: c },
          });
        }
      }
      if (digitsSeen > MAX_LENGTH_DIGITS) {
        throw new DrachtioFramingError('ERR_DRACHTIO_FRAMING', 'message length specifier too long');
      }
      if (hash === -1) return out;
      if (hash === 0) throw new DrachtioFramingError('ERR_DRACHTIO_FRAMING', 'missing message length specifier');
      const len = Number(this.buf.toString('latin1', 0, hash));
      if (!Number.isSafeInteger(len) || len <= 0) {
        throw new DrachtioFramingError('ERR_DRACHTIO_FRAMING', 'invalid message length', { data: { len } });
      }
      if (len > this.maxFrameBytes) {
        throw new DrachtioFramingError('ERR_DRACHTIO_FRAMING', 'message too large', {
          data: { len, max: this.maxFrameBytes },
        });
      }
      const end = hash + 1 + len;
      if (this.buf.length < end) return out;
      out.push(this.buf.toString('utf8', hash + 1, end));
      this.buf = this.buf.subarray(end);
      if (this.buf.length === 0) {
        this.buf = Buffer.alloc(0);
        return out;
      }
    }
  }
}

/** Frames one message for the wire: `<utf-8 byte length>#<message>`. */
export function encodeFrame(message: string): string {
  return `${Buffer.byteLength(message, 'utf8')}#${message}`;
}
