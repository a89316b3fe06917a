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
  /** Frames queued in this event-loop turn (see {@link send}). */
  private outbox = '';
  private flushQueued = false;

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
   * Frames one wire message and queues it; silently dropped when the socket is gone.
   * The frames queued during one event-loop turn go out in ONE `write` (flushed from
   * `setImmediate`, i.e. after every I/O callback of the turn), in the order they were
   * queued: one syscall (and one loopback TCP delivery) instead of one per frame, which was
   * the largest single cost of bench:sip (docs/performance.md). drachtio-srf reads frames
   * from a byte stream and must handle several frames per read anyway (the kernel coalesces
   * writes whenever the app is slower than the server).
   */
  send(message: string): void {
    if (!this.isOpen) return;
    this.outbox = this.outbox === '' ? encodeFrame(message) : this.outbox + encodeFrame(message);
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(this.flushBound);
    }
  }

  /** Writes the queued frames now (also done by {@link close} before ending). */
  flush(): void {
    this.flushQueued = false;
    const out = this.outbox;
    if (out === '') return;
    this.outbox = '';
    if (this.isOpen) this.socket.write(out);
  }

  private readonly flushBound = (): void => this.flush();

  /** Ends the connection (after flushing what was written). Idempotent. */
  close(reason: string): void {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    this.log.info({ client: this.remote, reason }, 'drachtio client connection closed');
    this.socket.end();
    this.socket.destroySoon();
  }
}
