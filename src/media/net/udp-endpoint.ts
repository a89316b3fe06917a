import { isIPv4 } from 'node:net';
import { NativeUdpEndpoint } from './native-udp-endpoint.js';
import { NodeUdpEndpoint } from './node-udp-endpoint.js';
import { packetIo, type PacketIoMode } from './packet-io.js';

export { UdpBindError } from './udp-bind-error.js';

/**
 * Receive callback: the datagram, its source address and port. The buffer is
 * valid only during the call (the native pump reuses its receive buffer);
 * a handler that keeps it must copy it.
 */
export type UdpHandler = (msg: Buffer, address: string, port: number) => void;

export interface UdpEndpointOptions {
  /** Local address. Default '0.0.0.0' (or '::' when `ipv6`). */
  address?: string;
  /** Port; 0 lets the OS choose. */
  port: number;
  ipv6?: boolean;
  /** Socket receive buffer in bytes; unset keeps the OS default. */
  recvBufferSize?: number;
  /**
   * Packet I/O for this socket. Default: this environment's `packetIo()`
   * (config `media.packetIo`). IPv6 sockets always use node:dgram.
   */
  io?: PacketIoMode;
}

/**
 * A UDP socket for media, on node:dgram or on the native pump (see
 * `packetIo()`). Never throws on receive or send: socket errors and
 * exceptions thrown by the handler are counted in `errors` / `handlerErrors`,
 * never escape. `close()` is idempotent; datagrams handed to `send()` before
 * it still leave.
 */
export interface UdpEndpoint {
  /** Which implementation carries this socket. */
  readonly io: PacketIoMode;
  onMessage: UdpHandler | null;
  /** Socket-level and send errors (the socket stays open). */
  errors: number;
  /** Exceptions thrown by `onMessage` (caught, counted). */
  handlerErrors: number;
  readonly address: string;
  readonly port: number;
  readonly isClosed: boolean;
  /**
   * Sends a datagram to an IP literal; errors are counted, never thrown.
   * The buffer is not kept after the call returns with the native pump
   * (copied into its transmit batch); node:dgram may keep it until sent.
   */
  send(buf: Uint8Array, port: number, address: string): void;
  close(): void;
}

/** Binds media sockets with the configured packet I/O. */
export const UdpEndpoint = {
  /** Binds a socket; rejects with UdpBindError. */
  bind(opts: UdpEndpointOptions): Promise<UdpEndpoint> {
    const io = opts.io ?? packetIo().effective;
    const address = opts.address ?? (opts.ipv6 ? '::' : '0.0.0.0');
    if (io === 'native' && !opts.ipv6 && isIPv4(address)) return NativeUdpEndpoint.bind({ ...opts, address });
    return NodeUdpEndpoint.bind(opts);
  },
};
