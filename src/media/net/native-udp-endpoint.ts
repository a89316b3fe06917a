import { UdpBindError } from './udp-bind-error.js';
import type { UdpEndpoint, UdpEndpointOptions, UdpHandler } from './udp-endpoint.js';
import { formatIpv4, parseIpv4 } from '../../native/ipv4.js';
import { UdpPump, type PumpReceiver } from '../../native/udp-pump.js';

/**
 * A media UDP socket on the native pump of this JS environment (UdpPump):
 * received datagrams come from a batch, sends are staged and flushed in a
 * batch. IPv4 only.
 *
 * Received RTP/RTCP datagrams (first byte 128–191, RFC 7983) are handed to
 * `onMessage` as a view into the pump's receive buffer, valid only during the
 * call; other datagrams (STUN, DTLS: rare, and kept by the DTLS stack) are
 * copied. The source address string is cached per socket (built only when the
 * source changes), so steady-state receive allocates one Buffer view per
 * datagram and send allocates nothing. Kernel send errors are counted in the
 * pump's stats (`txErrors`), not per socket.
 */
export class NativeUdpEndpoint implements UdpEndpoint, PumpReceiver {
  readonly io = 'native' as const;
  onMessage: UdpHandler | null = null;
  errors = 0;
  handlerErrors = 0;
  private closed = false;
  private lastSrcNum = -1;
  private lastSrcStr = '';
  private lastDstStr = '';
  private lastDstNum = 0;
  private readonly id: number;

  private constructor(private readonly pump: UdpPump, readonly address: string, addr: number, port: number, recvBufferSize: number) {
    this.id = pump.open(this, addr, port, recvBufferSize);
    this.port = pump.localPort(this.id);
  }

  readonly port: number;

  /** Binds on the environment's shared pump; rejects with UdpBindError. */
  static bind(opts: UdpEndpointOptions): Promise<NativeUdpEndpoint> {
    const address = opts.address ?? '0.0.0.0';
    const addr = parseIpv4(address);
    try {
      if (addr < 0) throw new RangeError(`not an IPv4 literal: ${address}`);
      if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new RangeError(`bad port ${opts.port}`);
      return Promise.resolve(new NativeUdpEndpoint(UdpPump.shared(), address, addr, opts.port, opts.recvBufferSize ?? 0));
    } catch (err) {
      return Promise.reject(new UdpBindError(err, { address, port: opts.port, io: 'native' }));
    }
  }

  get isClosed(): boolean { return this.closed; }

  /** @internal Called by the pump for each datagram of a batch. */
  receive(rx: Buffer, offset: number, length: number, address: number, port: number): void {
    const h = this.onMessage;
    if (h === null) return;
    const b0 = length > 0 ? rx[offset] : 0;
    let msg: Buffer;
    if (b0 >= 128 && b0 <= 191) {
      msg = Buffer.from(rx.buffer, rx.byteOffset + offset, length);
    } else {
      msg = Buffer.allocUnsafe(length);
      rx.copy(msg, 0, offset, offset + length);
    }
    let a = this.lastSrcStr;
    if (address !== this.lastSrcNum) {
      a = this.lastSrcStr = formatIpv4(address);
      this.lastSrcNum = address;
    }
    try {
      h(msg, a, port);
    } catch {
      this.handlerErrors++;
    }
  }

  /** Stages the datagram in the pump's transmit batch (copied at once). */
  send(buf: Uint8Array, port: number, address: string): void {
    if (this.closed) return;
    let a = this.lastDstNum;
    if (address !== this.lastDstStr) {
      a = parseIpv4(address);
      if (a < 0) { this.errors++; return; }
      this.lastDstStr = address;
      this.lastDstNum = a;
    }
    if (port <= 0 || port > 65535 || !this.pump.stage(this.id, a, port, buf)) this.errors++;
  }

  /** Stops receiving; sends what is staged, then closes the socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onMessage = null;
    this.pump.closeSocket(this.id);
  }
}
