import { loadUdpPumpAddon, type NativePump, type NativePumpOptions, type UdpPumpStats } from './native-addon.js';

/** What the pump hands each received datagram to (a NativeUdpEndpoint). */
export interface PumpReceiver {
  /**
   * One datagram: `rx[offset, offset + length)` of the shared receive buffer,
   * valid only during the call. Source as IPv4 (host order, unsigned) + port.
   */
  receive(rx: Buffer, offset: number, length: number, address: number, port: number): void;
}

let shared: UdpPump | null = null;

/**
 * The JS side of the native UDP pump (src/native/udp-pump.c) for one JS
 * environment (worker thread or process): owns the native pump, maps socket
 * ids to endpoints, loops over each received batch, and stages outgoing
 * datagrams into the transmit buffer, flushed with ONE native call at the end
 * of a receive batch or, for sends made elsewhere (timers, control), in a
 * microtask. Nothing here allocates per packet.
 */
export class UdpPump {
  private readonly native: NativePump;
  private readonly rx: Buffer;
  private readonly rxMeta: Int32Array;
  private readonly tx: Buffer;
  private readonly txMeta: Int32Array;
  private readonly txSlots: number;
  private readonly stride: number;
  private receivers: (PumpReceiver | null)[] = [];
  private staged = 0;
  private stagedBytes = 0;
  private inBatch = false;
  private flushQueued = false;
  private closed = false;
  /** Datagrams received for a socket id with no endpoint (closed during the batch). */
  strays = 0;
  /** Datagrams that did not fit the transmit buffer at all (dropped). */
  txTooLarge = 0;
  private readonly flushTask = (): void => {
    this.flushQueued = false;
    this.flush();
  };

  private constructor(opts: NativePumpOptions) {
    const addon = loadUdpPumpAddon();
    if (!addon) throw new Error('native UDP pump addon not loaded');
    this.stride = addon.META_STRIDE;
    this.native = addon.createPump((n) => this.onBatch(n), opts);
    this.rx = Buffer.from(this.native.rxBuffer);
    this.rxMeta = new Int32Array(this.native.rxMeta);
    this.tx = Buffer.from(this.native.txBuffer);
    this.txMeta = new Int32Array(this.native.txMeta);
    this.txSlots = this.txMeta.length / this.stride;
  }

  /** The pump of this JS environment, created on first use (throws when the addon is not loaded). */
  static shared(): UdpPump {
    if (!shared || shared.closed) shared = new UdpPump({});
    return shared;
  }

  /** Counters of this environment's shared pump, or null when none exists. */
  static sharedStats(): (UdpPumpStats & { strays: number; txTooLarge: number }) | null {
    return shared && !shared.closed ? shared.stats() : null;
  }

  /** True when the native addon loads in this JS environment (else see `udpPumpLoadError()`). */
  static available(): boolean {
    return loadUdpPumpAddon() !== null;
  }

  /** A separate pump of its own (tests; the SIP transport, with larger slots). */
  static create(opts: NativePumpOptions = {}): UdpPump {
    return new UdpPump(opts);
  }

  /** Closes the environment's shared pump if any (its sockets with it). Idempotent. */
  static closeShared(): void {
    shared?.close();
    shared = null;
  }

  get isClosed(): boolean { return this.closed; }

  /** Opens an IPv4 socket; throws an Error with the errno name as `code`. */
  open(receiver: PumpReceiver, address: number, port: number, recvBufferSize = 0): number {
    const id = this.native.open(address >>> 0, port, recvBufferSize, 0);
    while (this.receivers.length <= id) this.receivers.push(null);
    this.receivers[id] = receiver;
    return id;
  }

  localPort(id: number): number { return this.native.localPort(id); }

  /** Stops delivering to `id` and closes the socket after sending what is staged. */
  closeSocket(id: number): void {
    if (this.closed) return;
    if (this.staged > 0) this.flush();
    if (id < this.receivers.length) this.receivers[id] = null;
    this.native.closeSocket(id);
  }

  /**
   * Stages a datagram for socket `id` (copied now; the caller may reuse `data`).
   * Returns false when it cannot be sent (pump closed, larger than the buffer).
   */
  stage(id: number, address: number, port: number, data: Uint8Array): boolean {
    if (this.closed) return false;
    const len = data.length;
    if (len > this.tx.length) { this.txTooLarge++; return false; }
    if (this.staged === this.txSlots || this.stagedBytes + len > this.tx.length) this.flush();
    const off = this.stagedBytes;
    this.tx.set(data, off);
    const m = this.txMeta;
    const i = this.staged * this.stride;
    m[i] = id;
    m[i + 1] = address | 0;
    m[i + 2] = port;
    m[i + 3] = off;
    m[i + 4] = len;
    this.staged++;
    this.stagedBytes = off + len;
    if (!this.inBatch && !this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(this.flushTask);
    }
    return true;
  }

  /** Hands every staged datagram to the kernel (one native call). */
  flush(): void {
    const n = this.staged;
    if (n === 0 || this.closed) return;
    this.staged = 0;
    this.stagedBytes = 0;
    this.native.send(n);
  }

  private onBatch(n: number): void {
    const m = this.rxMeta;
    const s = this.stride;
    const recv = this.receivers;
    this.inBatch = true;
    try {
      for (let i = 0; i < n; i++) {
        const j = i * s;
        const id = m[j];
        const r = id < recv.length ? recv[id] : null;
        if (r === null) { this.strays++; continue; }
        r.receive(this.rx, m[j + 3], m[j + 4], m[j + 1] >>> 0, m[j + 2]);
      }
    } finally {
      this.inBatch = false;
      this.flush();
    }
  }

  stats(): UdpPumpStats & { strays: number; txTooLarge: number } {
    return { ...this.native.stats(), strays: this.strays, txTooLarge: this.txTooLarge };
  }

  /** Closes the native pump and every socket on it. Idempotent. */
  close(): void {
    if (this.closed) return;
    if (this.staged > 0) this.flush();
    this.closed = true;
    this.receivers = [];
    this.native.close();
    if (shared === this) shared = null;
  }
}
