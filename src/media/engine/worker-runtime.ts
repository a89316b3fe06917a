import { TandemError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import { opusBackend } from '../codecs/opus.js';
import { PortPool, UdpPump, configurePacketIo, type PacketIoSelection } from '../net/index.js';
import { configureSrtpImpl, srtpImpl, type SrtpImplSelection } from '../srtp/srtp-impl.js';
import { sharedDtlsCertificate, type DtlsCertificate } from '../webrtc/certificate.js';
import { CallMedia } from './call-media.js';
import type { AllocateResult, WorkerConfig, WorkerMessage, WorkerRequest, WorkerStats } from './protocol.js';

/** A control request named a call the worker does not know. */
export class UnknownCallError extends TandemError {}

/**
 * The worker side of the engine, independent of node:worker_threads so it can
 * also run in-thread (tests). Handles control requests, owns the calls, the
 * port-pool slice and the shared DTLS certificate.
 */
export class WorkerRuntime {
  private readonly calls = new Map<string, CallMedia>();
  private readonly pool: PortPool;
  private cert: DtlsCertificate | null = null;
  private readonly ticker: NodeJS.Timeout;
  /** Packet I/O of this worker's sockets (config `media.packetIo`). */
  readonly packetIo: PacketIoSelection;
  /** SRTP implementation of this worker (config `media.srtpImpl`; unset = $SRTP_IMPL, else native). */
  readonly srtpImpl: SrtpImplSelection;

  constructor(private readonly cfg: WorkerConfig, private readonly post: (m: WorkerMessage) => void, private readonly log: Logger) {
    this.pool = new PortPool({ min: cfg.portMin, max: cfg.portMax });
    this.packetIo = configurePacketIo(cfg.packetIo ?? 'native');
    if (this.packetIo.fallbackReason !== null) {
      log.warn({ reason: this.packetIo.fallbackReason }, 'native packet I/O unavailable, using node:dgram');
    }
    this.srtpImpl = cfg.srtpImpl ? configureSrtpImpl(cfg.srtpImpl) : srtpImpl();
    if (this.srtpImpl.fallbackReason !== null) {
      log.warn({ reason: this.srtpImpl.fallbackReason }, 'native SRTP unavailable, using node:crypto');
    }
    this.ticker = setInterval(() => {
      const now = Date.now();
      for (const c of this.calls.values()) c.tick(now);
    }, 1000);
    this.ticker.unref();
  }

  async init(): Promise<string> {
    this.cert = await sharedDtlsCertificate();
    return this.cert.fingerprint.value;
  }

  async handle(msg: WorkerRequest): Promise<void> {
    try {
      const result = await this.dispatch(msg);
      this.post({ type: 'response', id: msg.id, ok: true, result });
    } catch (e) {
      const code = e instanceof TandemError ? e.code : 'ERR_MEDIA_WORKER';
      this.post({ type: 'response', id: msg.id, ok: false, error: { code, message: e instanceof Error ? e.message : String(e) } });
    }
  }

  private call(callId: string): CallMedia {
    const c = this.calls.get(callId);
    if (!c) throw new UnknownCallError('ERR_MEDIA_UNKNOWN_CALL', `no call ${callId} in worker ${this.cfg.index}`, { data: { callId } });
    return c;
  }

  private async dispatch(msg: WorkerRequest): Promise<unknown> {
    switch (msg.type) {
      case 'allocate': {
        if (this.calls.has(msg.callId)) throw new TandemError('ERR_MEDIA_DUPLICATE_CALL', `call ${msg.callId} exists`);
        const cert = this.cert ?? await sharedDtlsCertificate();
        this.cert = cert;
        const call = new CallMedia(msg.callId, this.cfg, this.pool, cert,
          (event) => this.post({ type: 'event', callId: msg.callId, event }), this.log.child({ callId: msg.callId, leg: 'webrtc' }));
        this.calls.set(msg.callId, call);
        try {
          const r: AllocateResult = await call.allocate(msg.req);
          return r;
        } catch (e) {
          call.close();
          this.calls.delete(msg.callId);
          throw e;
        }
      }
      case 'apply':
        return this.call(msg.callId).apply(msg.req);
      case 'update':
        return this.call(msg.callId).update(msg.req);
      case 'close': {
        const c = this.calls.get(msg.callId);
        c?.close();
        this.calls.delete(msg.callId);
        return { closed: c !== undefined };
      }
      case 'stats':
        return this.call(msg.callId).stats(this.cfg.index);
      case 'send-dtmf':
        return this.call(msg.callId).sendDtmf(msg.req);
      case 'worker-stats': {
        const cpu = process.cpuUsage();
        const mem = process.memoryUsage();
        const s: WorkerStats = {
          worker: this.cfg.index, calls: this.calls.size, cpuUserMicros: cpu.user, cpuSystemMicros: cpu.system,
          heapUsed: mem.heapUsed, rss: mem.rss, portPairsUsed: this.pool.used, portPairsCapacity: this.pool.capacity,
          opusEncoder: opusBackend(),
          packetIo: this.packetIo.effective, packetIoFallback: this.packetIo.fallbackReason,
          udpPump: this.packetIo.effective === 'native' ? UdpPump.sharedStats() : null,
          srtpImpl: this.srtpImpl.effective, srtpImplFallback: this.srtpImpl.fallbackReason,
        };
        return s;
      }
      case 'shutdown':
        this.shutdown();
        return { closed: true };
    }
  }

  get callCount(): number {
    return this.calls.size;
  }

  shutdown(): void {
    for (const c of this.calls.values()) c.close();
    this.calls.clear();
    clearInterval(this.ticker);
  }
}
