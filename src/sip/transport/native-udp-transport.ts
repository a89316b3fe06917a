import { formatIpv4, parseIpv4 } from '../../native/ipv4.js';
import { UdpPump, type PumpReceiver } from '../../native/udp-pump.js';
import { SipTransportError } from '../errors.js';
import type { SendTarget } from '../transaction/send-target.js';
import type { ListeningPoint, SentInfo, Transport, TransportSink } from './transport-types.js';
import { hostFor, type UdpTransportOptions } from './udp-transport.js';

/** Receive slots of the SIP pump: datagrams drained per wake-up. */
const SIP_RX_SLOTS = 64;
/** A SIP datagram can be as large as UDP allows (RFC 3261 §18.1.1 only *recommends* TCP above the MTU). */
const SIP_SLOT_BYTES = 65536;

/**
 * SIP over UDP (RFC 3261 §18) on the native UDP pump (src/native: epoll + recvmmsg batches,
 * sends staged and handed to the kernel in one sendmmsg per batch or event-loop turn) instead
 * of node:dgram's one syscall and one callback per datagram. Same contract as
 * {@link UdpTransport}: one message per datagram, flow id `udp|<local port>|<address>|<port>`,
 * CRLF keep-alives ignored, oversize counted. IPv4 only: the transport layer picks it for
 * IPv4 listeners when the addon loads (`sip.packetIo`), node:dgram otherwise.
 *
 * A send is reported done once staged (the bytes are copied into the pump's transmit buffer);
 * a kernel refusal later is counted in the pump's `txErrors`, as UDP gives no per-datagram
 * delivery report anyway. A target that is not an IPv4 literal fails at once (the stack
 * resolves names before sending).
 */
export class NativeUdpTransport implements Transport, PumpReceiver {
  readonly name = 'udp' as const;
  private pump: UdpPump | undefined;
  private id = -1;
  private lp: ListeningPoint | undefined;
  private flowPrefix = '';
  private readonly sink: TransportSink;
  private readonly maxMessageSize: number;
  /** Source address strings by numeric address (SIP has few peers; bounded). */
  private readonly names = new Map<number, string>();

  constructor(private readonly opts: UdpTransportOptions) {
    this.sink = opts.sink;
    this.maxMessageSize = opts.maxMessageSize;
  }

  /** True when this transport can serve `address` (an IPv4 literal) on this machine. */
  static canServe(address: string): boolean {
    return parseIpv4(address) >= 0 && UdpPump.available();
  }

  get listeningPoint(): ListeningPoint {
    if (!this.lp) throw new SipTransportError('ERR_SIP_NOT_STARTED', 'udp transport not started');
    return this.lp;
  }

  start(): Promise<void> {
    const o = this.opts;
    const addr = parseIpv4(o.address);
    if (addr < 0) return Promise.reject(new SipTransportError('ERR_SIP_BIND', `native UDP needs an IPv4 address, not ${o.address}`));
    try {
      const pump = UdpPump.create({ slots: SIP_RX_SLOTS, slotSize: SIP_SLOT_BYTES, txBytes: 1 << 20, txSlots: 256, maxSockets: 16 });
      this.pump = pump;
      this.id = pump.open(this, addr, o.port, o.bufferBytes ?? 0);
      const port = pump.localPort(this.id);
      this.lp = { transport: 'udp', address: o.address, port, host: o.advertisedHost ?? hostFor(o.address) };
      this.flowPrefix = `udp|${port}|`;
      return Promise.resolve();
    } catch (e) {
      this.pump?.close();
      this.pump = undefined;
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  /** @internal One datagram from the pump: `rx[offset, offset + length)`, valid only during the call. */
  receive(rx: Buffer, offset: number, length: number, address: number, port: number): void {
    if (length <= 4) {
      // RFC 5626 §4.4.1 keep-alives over UDP are STUN; a bare CRLF datagram is ignored.
      let crlf = true;
      for (let i = offset; i < offset + length; i++) if (rx[i] !== 0x0d && rx[i] !== 0x0a) crlf = false;
      if (crlf) return;
    }
    if (length > this.maxMessageSize) {
      this.sink.onFramingError('udp', true);
      return;
    }
    const lp = this.lp;
    if (!lp) return;
    const remote = this.nameOf(address);
    // a copy: the receive buffer is reused by the next batch
    const msg = Buffer.from(rx.subarray(offset, offset + length));
    this.sink.onMessage(msg, {
      transport: 'udp', flowId: this.flowPrefix + remote + '|' + port,
      remoteAddress: remote, remotePort: port, localAddress: lp.address, localPort: lp.port,
    });
  }

  send(bytes: Buffer, target: SendTarget, cb: (err: Error | undefined, sent?: SentInfo) => void): void {
    const pump = this.pump;
    const lp = this.lp;
    if (!pump || !lp || pump.isClosed) {
      cb(new SipTransportError('ERR_SIP_TRANSPORT_CLOSED', 'udp transport closed'));
      return;
    }
    const host = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;
    const addr = parseIpv4(host);
    if (addr < 0 || !(target.port > 0 && target.port < 65536)) {
      cb(new SipTransportError('ERR_SIP_SEND', `udp send failed: ${host}:${target.port} is not an IPv4 address and port`));
      return;
    }
    if (!pump.stage(this.id, addr, target.port, bytes)) {
      cb(new SipTransportError('ERR_SIP_SEND', `udp send failed: ${bytes.length} bytes do not fit the transmit buffer`));
      return;
    }
    cb(undefined, { transport: 'udp', localAddress: lp.address, localPort: lp.port, remoteAddress: host, remotePort: target.port, flowId: this.flowPrefix + host + '|' + target.port });
  }

  close(): Promise<void> {
    const pump = this.pump;
    this.pump = undefined;
    // flushes what is staged, then closes the socket and the pump
    pump?.close();
    return Promise.resolve();
  }

  private nameOf(address: number): string {
    let s = this.names.get(address);
    if (s === undefined) {
      s = formatIpv4(address);
      if (this.names.size >= 4096) this.names.clear();
      this.names.set(address, s);
    }
    return s;
  }
}
