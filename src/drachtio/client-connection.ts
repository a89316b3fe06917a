import type { Socket } from 'node:net';
import type { Logger } from '../common/logger.js';
import { FrameDecoder, encodeFrame } from './framing.js';

/**
 * One connected drachtio application (an srf instance that called `srf.connect`).
 * Owns the socket and the frame decoder; the server decides what messages mean.
 */
export class ClientConnection {
  readonly id: number;
  readonly socket: Socket;
  readonly remote: string;
  authenticated = false;
  readonly tags = new Set<string>();
  /** Lower-case verbs this client routed (`invite`, `cdr:start`, …). */
  readonly verbs = new Set<string>();
  readonly decoder: FrameDecoder;
  private closed = false;

  constructor(id: number, socket: Socket, private readonly log: Logger, maxFrameBytes: number) {
    this.id = id;
    this.socket = socket;
    this.remote = `${socket.remoteAddress}:${socket.remotePort}`;
    this.decoder = new FrameDecoder({ maxFrameBytes });
  }

  get isOpen(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  /**
   * Frames and writes one wire message; silently dropped when the socket is gone.
   * Each message is written at once. Coalescing the frames of one event-loop turn into one
   * write (setImmediate) was tried for bench:sip and hung 11 of 3000 B2BUA calls in
   * drachtio-srf (apparently a SIP message read in the same chunk as the `response` that
   * announces its transaction is not matched yet), so it is not done.
   */
  send(message: string): void {
    if (!this.isOpen) return;
    this.socket.write(encodeFrame(message));
  }

  /** Ends the connection (after flushing what was written). Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.log.info({ client: this.remote, reason }, 'drachtio client connection closed');
    this.socket.end();
    this.socket.destroySoon();
  }
}
