import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { SipTransportError } from '../errors.js';
import type { SendTarget } from '../transaction/send-target.js';
import type { ListeningPoint, SentInfo, Transport, TransportSink } from './transport-types.js';

/** Options of the UDP transports (node:dgram {@link UdpTransport} and the native one). */
export interface UdpTransportOptions {
  address: string;
  port: number;
  advertisedHost?: string;
  sink: TransportSink;
  maxMessageSize: number;
  /** SO_RCVBUF / SO_SNDBUF, bytes (0 = system default). */
  bufferBytes?: number;
}

/**
 * SIP over UDP (RFC 3261 §18). Each datagram is one message. The flow id of an inbound
 * datagram is `udp|<local port>|<remote address>|<remote port>`; sending with it uses
 * this socket to that address.
 */
export class UdpTransport implements Transport {
  readonly name = 'udp' as const;
  private socket: Socket | undefined;
  private lp: ListeningPoint | undefined;
  private readonly address: string;
  private readonly port: number;
  private readonly advertisedHost: string | undefined;
  private readonly sink: TransportSink;
  private readonly maxMessageSize: number;
  private readonly bufferBytes: number;

  constructor(opts: UdpTransportOptions) {
    this.address = opts.address;
    this.port = opts.port;
    this.advertisedHost = opts.advertisedHost;
    this.sink = opts.sink;
    this.maxMessageSize = opts.maxMessageSize;
    this.bufferBytes = opts.bufferBytes ?? 0;
  }

  get listeningPoint(): ListeningPoint {
    if (!this.lp) throw new SipTransportError('ERR_SIP_NOT_STARTED', 'udp transport not started');
    return this.lp;
  }

  async start(): Promise<void> {
    const buffers = this.bufferBytes > 0 ? { recvBufferSize: this.bufferBytes, sendBufferSize: this.bufferBytes } : {};
    const socket = createSocket({ type: isIPv6(this.address) ? 'udp6' : 'udp4', reuseAddr: false, ...buffers });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.port, this.address, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    socket.on('error', () => { /* per-send errors are reported through callbacks */ });
    const a = socket.address();
    this.lp = { transport: 'udp', address: a.address, port: a.port, host: this.advertisedHost ?? hostFor(a.address) };
    socket.on('message', (msg, rinfo) => {
      // RFC 5626 §4.4.1 keep-alives over UDP are STUN; a bare CRLF datagram is ignored.
      if (msg.length <= 4 && msg.every((b) => b === 0x0d || b === 0x0a)) return;
      if (msg.length > this.maxMessageSize) {
        this.sink.onFramingError('udp', true);
        return;
      }
      this.sink.onMessage(msg, {
        transport: 'udp', flowId: `udp|${a.port}|${rinfo.address}|${rinfo.port}`,
        remoteAddress: rinfo.address, remotePort: rinfo.port, localAddress: a.address, localPort: a.port,
      });
    });
  }

  send(bytes: Buffer, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void): void {
    const socket = this.socket;
    const lp = this.lp;
    if (!socket || !lp) {
      cb(new SipTransportError('ERR_SIP_TRANSPORT_CLOSED', 'udp transport closed'));
      return;
    }
    const host = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
    socket.send(bytes, target.port, host, (err) => {
      if (err) cb(new SipTransportError('ERR_SIP_SEND', `udp send failed: ${err.message}`, { cause: err }));
      else cb(undefined, { transport: 'udp', localAddress: lp.address, localPort: lp.port, remoteAddress: host, remotePort: target.port, flowId: `udp|${lp.port}|${host}|${target.port}` });
    });
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return;
    await new Promise<void>((resolve) => socket.close(() => resolve()));
  }
}

/** Host to advertise for a bound address (wildcards → loopback; IPv6 in brackets). */
export function hostFor(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1';
  if (address === '::') return '[::1]';
  return isIPv6(address) ? `[${address}]` : address;
}
