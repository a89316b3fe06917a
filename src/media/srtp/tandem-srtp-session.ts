import { SrtpContext } from './srtp-context.js';
import type { SrtpDropReason, SrtpOptions, SrtpProtection, SrtpSessionKeys } from './srtp-protection.js';

/**
 * Tandem's SRTP/SRTCP session on node:crypto (RFC 3711): outbound context
 * from the local key, inbound context from the remote key. Per packet it
 * allocates only the output buffer (protect), the keystream and two digests.
 */
export class TandemSrtpSession implements SrtpProtection {
  readonly impl = 'tandem' as const;
  lastError: SrtpDropReason | null = null;
  private readonly tx: SrtpContext;
  private readonly rx: SrtpContext;

  constructor(keys: SrtpSessionKeys, opts: SrtpOptions = {}) {
    this.tx = new SrtpContext(keys.local, opts.replayWindow);
    this.rx = new SrtpContext(keys.remote, opts.replayWindow);
  }

  protectRtp(packet: Buffer, length?: number): Buffer { return this.tx.protectRtp(packet, length); }

  unprotectRtp(packet: Buffer, length?: number): Buffer | null {
    const r = this.rx.unprotectRtp(packet, length);
    this.lastError = this.rx.lastError;
    return r;
  }

  protectRtcp(packet: Buffer): Buffer { return this.tx.protectRtcp(packet); }

  unprotectRtcp(packet: Buffer, length?: number): Buffer | null {
    const r = this.rx.unprotectRtcp(packet, length);
    this.lastError = this.rx.lastError;
    return r;
  }
}
