import dgram from 'node:dgram';
import dns from 'node:dns';
import { isIP } from 'node:net';
import { UdpBindError } from './udp-bind-error.js';
import type { UdpEndpoint, UdpEndpointOptions, UdpHandler } from './udp-endpoint.js';

/**
 * dgram's address lookup: an IP literal of the socket's family resolves to
 * itself at once. Node's default does the same but defers through
 * `process.nextTick` for every datagram; media sockets only ever send to
 * literals, so the per-packet send goes straight to the socket. Names still
 * go through dns.lookup.
 */
function literalLookup(address: string, options: dns.LookupOneOptions | number,
  cb: (err: NodeJS.ErrnoException | null, address: string, family: number) => void): void {
  // dgram passes the socket's family as a number (lib/internal/dgram.js lookup4/lookup6).
  const family = typeof options === 'number' ? options : options.family === 'IPv6' || options.family === 6 ? 6 : 4;
  if (isIP(address) === family) { cb(null, address, family); return; }
  dns.lookup(address, { family }, cb);
}

/**
 * A media UDP socket on node:dgram (one recvmsg + JS callback per received
 * datagram, one send per datagram). Never throws on receive or send: socket errors and
 * exceptions thrown by the handler are counted in `errors`, never escape.
 * `close()` is idempotent.
 */
export class NodeUdpEndpoint implements UdpEndpoint {
  readonly io = 'node' as const;
  onMessage: UdpHandler | null = null;
  /** Socket-level and send errors (the socket stays open). */
  errors = 0;
  /** Exceptions thrown by `onMessage` (caught, counted). */
  handlerErrors = 0;
  private closed = false;
  private sockClosed = false;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;

  private constructor(private readonly sock: dgram.Socket, readonly address: string, readonly port: number) {
    sock.on('message', (msg, rinfo) => {
      const h = this.onMessage;
      if (!h) return;
      try {
        h(msg, rinfo.address, rinfo.port);
      } catch {
        this.handlerErrors++;
      }
    });
    sock.on('error', () => { this.errors++; });
  }

  /** Binds a socket; rejects with UdpBindError. */
  static bind(opts: UdpEndpointOptions): Promise<NodeUdpEndpoint> {
    const type = opts.ipv6 ? 'udp6' : 'udp4';
    const address = opts.address ?? (opts.ipv6 ? '::' : '0.0.0.0');
    const sock = dgram.createSocket({ type, reuseAddr: false, lookup: literalLookup });
    return new Promise((resolve, reject) => {
      const onErr = (err: Error): void => {
        sock.removeListener('listening', onListen);
        try { sock.close(); } catch { /* already closed */ }
        reject(new UdpBindError(err, { address, port: opts.port }));
      };
      const onListen = (): void => {
        sock.removeListener('error', onErr);
        if (opts.recvBufferSize) {
          try { sock.setRecvBufferSize(opts.recvBufferSize); } catch { /* keep default */ }
        }
        resolve(new NodeUdpEndpoint(sock, address, sock.address().port));
      };
      sock.once('error', onErr);
      sock.once('listening', onListen);
      sock.bind(opts.port, address);
    });
  }

  get isClosed(): boolean { return this.closed; }

  /**
   * Sends a datagram; errors are counted, never thrown. No completion
   * callback: without one Node tries the send synchronously (`uv_udp_try_send`)
   * and creates no request object or callback per packet; a send the kernel
   * cannot take at once is queued by libuv. Asynchronous send errors surface
   * as socket 'error' events (counted); synchronous ones (e.g. no route) are
   * dropped like the datagram itself.
   */
  send(buf: Uint8Array, port: number, address: string): void {
    if (this.closed) return;
    try {
      this.sock.send(buf, port, address);
    } catch {
      this.errors++;
    }
  }

  /**
   * Stops receiving at once; the socket itself closes a moment later (next
   * event-loop turn, 20 ms at most) so datagrams just handed to it (a last
   * RTCP BYE) that the kernel queued are still sent. Idempotent.
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onMessage = null;
    this.flushTimer = setTimeout(() => this.closeSocket(), 20);
    this.flushTimer.unref();
  }

  private closeSocket(): void {
    if (this.sockClosed) return;
    this.sockClosed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    try { this.sock.close(); } catch { /* already closed */ }
  }
}
