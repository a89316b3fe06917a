import os from 'node:os';
import { InvalidStateError, TandemError, ValidationError } from '../../common/errors.js';
import type { Logger } from '../../common/logger.js';
import type {
  AllocateRequest, AllocateResult, ApplyRequest, ApplyResult, CallEvent, CallStats, SendDtmfRequest, UpdateRequest, WorkerConfig, WorkerMessage,
  WorkerRequestBody, WorkerStats,
} from './protocol.js';
import { spawnMediaWorker, type MediaWorkerHandle, type MediaWorkerKind } from './worker-handle.js';

/** A worker did not answer, crashed, or reported an error for a request. */
export class MediaEngineError extends TandemError {}

export interface MediaEngineOptions {
  /** Media workers; default os.availableParallelism(). */
  workers?: number;
  /**
   * Run media workers as worker threads ('thread', WASM Opus encoder) or as
   * child processes ('process', native Opus encoder; see worker-handle.ts).
   * Same control protocol either way. Default 'thread'.
   */
  workerKind?: MediaWorkerKind;
  /** Default '127.0.0.1'. */
  bindAddress?: string;
  /** Addresses advertised in ICE candidates; default [bindAddress] (or 127.0.0.1 for 0.0.0.0). */
  announcedAddresses?: string[];
  /** UDP port range, split evenly between workers. Default 40000–49999. */
  portMin?: number;
  portMax?: number;
  /** ICE-lite for every call unless the call overrides it. Default false. */
  iceLite?: boolean;
  /** RTP inactivity before an 'inactivity' event, ms; 0 = never. Default 60000. */
  rtpTimeoutMs?: number;
  /**
   * SRTP profiles accepted in DTLS (RFC 5764 use_srtp), preference order (config
   * `media.srtpProfiles`). Default ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'].
   * As DTLS server (calls to a browser: our actpass offer is answered with setup:active)
   * we choose the first of ours the browser offers; as DTLS client (calls from a
   * browser, which we answer with setup:active) the browser chooses among ours
   * (Chromium 156 then picks AES_CM_128_HMAC_SHA1_80). GCM first, so that calls where
   * we choose use it: an AEAD (one pass, no HMAC-SHA1) that in
   * Tandem's native SRTP (AES-NI + PCLMULQDQ) costs about what AES_CM + HMAC-SHA1
   * does. Its price: 6 more bytes per packet (16-byte tag) and, on the node:crypto
   * fallback only, a cipher object per packet (several times slower than AES_CM
   * there). Every browser also offers AES_CM, the second choice.
   */
  srtpProfiles?: WorkerConfig['srtpProfiles'];
  /** Opus encoder complexity 0..10 when transcoding toward a browser (config `media.opusComplexity`). Default 5. */
  opusComplexity?: number;
  /**
   * Packet I/O of the workers' sockets (config `media.packetIo`): 'native' = the
   * batched native UDP pump (src/native), falling back to node:dgram in a
   * worker where the addon does not load (see `workerStats().packetIo`); 'node' =
   * node:dgram. Default 'native'.
   */
  packetIo?: 'native' | 'node';
  /**
   * SRTP/SRTCP implementation of the workers (config `media.srtpImpl`): 'native' =
   * Tandem's C code in the native addon (src/native/srtp.c), falling back to
   * 'node' where the addon does not load (see `workerStats().srtpImpl`); 'node' =
   * node:crypto. Default: $SRTP_IMPL of the worker, else 'native'.
   */
  srtpImpl?: 'native' | 'node';
  /** Control request timeout, ms. Default 5000. */
  requestTimeoutMs?: number;
  /** Restart a crashed worker. Default true. */
  restartCrashed?: boolean;
  /** On close, how long a worker may take to end by itself before it is terminated, ms. Default 5000. */
  shutdownGraceMs?: number;
  /** Worker log level. Default 'warn'. */
  workerLogLevel?: string;
  logger?: Logger;
  /** Call events (ICE/DTLS state, inactivity, closed by a crash). */
  onEvent?(callId: string, event: CallEvent): void;
  /** Override the worker script (tests). Default new URL('./media-worker.js', import.meta.url). */
  workerUrl?: URL;
}

interface Pending {
  resolve(v: unknown): void;
  reject(e: Error): void;
  timer: NodeJS.Timeout;
  type: string;
}

interface WorkerSlot {
  index: number;
  cfg: WorkerConfig;
  worker: MediaWorkerHandle | null;
  ready: Promise<void>;
  calls: Set<string>;
  pending: Map<number, Pending>;
  exiting: boolean;
  restarts: number;
}

/**
 * The media plane's front door on the main thread. Starts one worker thread per
 * core, places each call on the least-loaded worker (both legs and the bridge
 * of a call live in that worker), and drives them with typed control messages
 * (allocate / apply / update / close / stats). A crashed worker's calls are
 * reported closed and the worker is restarted.
 */
export class MediaEngine {
  private readonly slots: WorkerSlot[] = [];
  private readonly callWorker = new Map<string, WorkerSlot>();
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly workerUrl: URL;
  private readonly workerKind: MediaWorkerKind;

  private constructor(private readonly opts: MediaEngineOptions) {
    this.timeoutMs = opts.requestTimeoutMs ?? 5000;
    this.workerKind = opts.workerKind ?? 'thread';
    if (this.workerKind !== 'thread' && this.workerKind !== 'process') {
      throw new ValidationError('ERR_MEDIA_WORKER_KIND', 'workerKind must be thread or process', { data: { workerKind: this.workerKind } });
    }
    this.workerUrl = opts.workerUrl ?? new URL('./media-worker.js', import.meta.url);
  }

  /** Start the workers and wait until each has its DTLS certificate. */
  static async start(opts: MediaEngineOptions = {}): Promise<MediaEngine> {
    const e = new MediaEngine(opts);
    const n = opts.workers ?? os.availableParallelism();
    const min = opts.portMin ?? 40000;
    const max = opts.portMax ?? 49999;
    const cx = opts.opusComplexity ?? 5;
    if (!Number.isInteger(cx) || cx < 0 || cx > 10) {
      throw new ValidationError('ERR_MEDIA_OPUS_COMPLEXITY', 'opusComplexity must be an integer 0..10', { data: { opusComplexity: cx } });
    }
    if (!Number.isInteger(n) || n < 1) throw new ValidationError('ERR_MEDIA_WORKERS', 'workers must be ≥ 1', { data: { workers: n } });
    const span = Math.floor((max - min + 1) / n);
    if (span < 4) throw new ValidationError('ERR_MEDIA_PORT_RANGE', 'port range too small for the worker count', { data: { min, max, workers: n } });
    const bind = opts.bindAddress ?? '127.0.0.1';
    for (let i = 0; i < n; i++) {
      const cfg: WorkerConfig = {
        index: i, bindAddress: bind,
        announcedAddresses: opts.announcedAddresses ?? [bind === '0.0.0.0' ? '127.0.0.1' : bind],
        portMin: min + i * span, portMax: min + (i + 1) * span - 1,
        iceLite: opts.iceLite ?? false, rtpTimeoutMs: opts.rtpTimeoutMs ?? 60000,
        srtpProfiles: opts.srtpProfiles ?? ['AEAD_AES_128_GCM', 'AES_CM_128_HMAC_SHA1_80'],
        opusComplexity: opts.opusComplexity ?? 5,
        packetIo: opts.packetIo ?? 'native',
        ...(opts.srtpImpl ? { srtpImpl: opts.srtpImpl } : {}),
        logLevel: opts.workerLogLevel ?? 'warn',
      };
      const slot: WorkerSlot = { index: i, cfg, worker: null, ready: Promise.resolve(), calls: new Set(), pending: new Map(), exiting: false, restarts: 0 };
      e.slots.push(slot);
      e.spawn(slot);
    }
    try {
      await Promise.all(e.slots.map((s) => s.ready));
    } catch (err) {
      await e.close();
      throw err;
    }
    return e;
  }

  private spawn(slot: WorkerSlot): void {
    // Thread workers get OPUS_FORCE_WASM=1 (see worker-handle.ts): @evan/opus's native addon
    // shares one static buffer per process and crashes a thread that loaded it at exit.
    const w = spawnMediaWorker({ kind: this.workerKind, url: this.workerUrl, cfg: slot.cfg, name: `tandem-media-${slot.index}` });
    slot.worker = w;
    slot.exiting = false;
    slot.ready = new Promise<void>((resolve, reject) => {
      const onReady = (m: WorkerMessage): void => {
        if (m.type === 'ready') { w.offMessage(onReady); resolve(); }
      };
      w.onMessage(onReady);
      w.onExit((code) => reject(new MediaEngineError('ERR_MEDIA_WORKER_START', `media worker ${slot.index} exited (${code}) before ready`)));
    });
    slot.ready.catch(() => undefined);
    w.onMessage((m: WorkerMessage) => this.onMessage(slot, m));
    w.onError((err) => {
      this.opts.logger?.error({ worker: slot.index, err: err.message }, 'media worker error');
    });
    w.onExit((code) => this.onExit(slot, w, code));
  }

  private onMessage(slot: WorkerSlot, m: WorkerMessage): void {
    if (m.type === 'response') {
      const p = slot.pending.get(m.id);
      if (!p) return;
      slot.pending.delete(m.id);
      clearTimeout(p.timer);
      if (m.ok) p.resolve(m.result);
      else p.reject(new MediaEngineError(m.error.code, m.error.message, { data: { worker: slot.index } }));
    } else if (m.type === 'event') {
      this.opts.onEvent?.(m.callId, m.event);
    }
  }

  private onExit(slot: WorkerSlot, w: MediaWorkerHandle, code: number): void {
    if (slot.worker !== w) return;
    slot.worker = null;
    for (const [id, p] of slot.pending) {
      clearTimeout(p.timer);
      p.reject(new MediaEngineError('ERR_MEDIA_WORKER_EXIT', `media worker ${slot.index} exited during ${p.type}`, { data: { id, code } }));
    }
    slot.pending.clear();
    const orphaned = [...slot.calls];
    slot.calls.clear();
    for (const callId of orphaned) this.callWorker.delete(callId);
    if (this.closed || slot.exiting) return;
    this.opts.logger?.error({ worker: slot.index, code, calls: orphaned.length }, 'media worker crashed');
    for (const callId of orphaned) this.opts.onEvent?.(callId, { kind: 'closed', reason: 'worker-crash' });
    if (this.opts.restartCrashed ?? true) {
      slot.restarts++;
      this.spawn(slot);
    }
  }

  private request<T>(slot: WorkerSlot, msg: WorkerRequestBody): Promise<T> {
    const w = slot.worker;
    if (this.closed) return Promise.reject(new InvalidStateError('ERR_MEDIA_ENGINE_CLOSED', 'media engine is closed'));
    if (!w) return Promise.reject(new MediaEngineError('ERR_MEDIA_WORKER_DOWN', `media worker ${slot.index} is not running`));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.pending.delete(id);
        reject(new MediaEngineError('ERR_MEDIA_WORKER_TIMEOUT', `media worker ${slot.index} did not answer ${msg.type} in ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      slot.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, timer, type: msg.type });
      w.post({ ...msg, id });
    });
  }

  private slotOf(callId: string): WorkerSlot {
    const s = this.callWorker.get(callId);
    if (!s) throw new MediaEngineError('ERR_MEDIA_UNKNOWN_CALL', `no media for call ${callId}`, { data: { callId } });
    return s;
  }

  /** Allocate a call's endpoints on the least-loaded worker. */
  async allocate(callId: string, req: AllocateRequest): Promise<AllocateResult> {
    if (this.callWorker.has(callId)) throw new MediaEngineError('ERR_MEDIA_DUPLICATE_CALL', `call ${callId} already allocated`);
    const live = this.slots.filter((s) => s.worker !== null);
    if (live.length === 0) throw new MediaEngineError('ERR_MEDIA_WORKER_DOWN', 'no media worker running');
    const slot = live.reduce((a, b) => (b.calls.size < a.calls.size ? b : a));
    slot.calls.add(callId);
    this.callWorker.set(callId, slot);
    try {
      await slot.ready;
      return await this.request<AllocateResult>(slot, { type: 'allocate', callId, req });
    } catch (e) {
      slot.calls.delete(callId);
      this.callWorker.delete(callId);
      throw e;
    }
  }

  /** Apply the negotiated remote parameters; returns our (possibly resolved) local parameters. */
  async apply(callId: string, req: ApplyRequest): Promise<ApplyResult> {
    return this.request(this.slotOf(callId), { type: 'apply', callId, req });
  }

  /** Re-offer handling: hold/resume, codec change, ICE restart. */
  async update(callId: string, req: UpdateRequest): Promise<ApplyResult> {
    return this.request(this.slotOf(callId), { type: 'update', callId, req });
  }

  /**
   * Generates one DTMF digit as RFC 4733 packets toward a leg (start, updates every 50 ms, three
   * end packets on that leg's outgoing stream). Resolves once the worker has started it; rejects
   * (`ERR_MEDIA_NO_TELEPHONE_EVENT`) when that leg negotiated no telephone-event.
   */
  async sendDtmf(callId: string, req: SendDtmfRequest): Promise<void> {
    await this.request(this.slotOf(callId), { type: 'send-dtmf', callId, req });
  }

  async stats(callId: string): Promise<CallStats> {
    return this.request(this.slotOf(callId), { type: 'stats', callId });
  }

  /** Per-worker load and CPU (process.cpuUsage inside each worker thread). */
  workerStats(): Promise<WorkerStats[]> {
    return Promise.all(this.slots.filter((s) => s.worker).map((s) => this.request<WorkerStats>(s, { type: 'worker-stats' })));
  }

  /** Close a call's media. Idempotent; unknown calls are ignored. */
  async closeCall(callId: string): Promise<void> {
    const slot = this.callWorker.get(callId);
    if (!slot) return;
    this.callWorker.delete(callId);
    slot.calls.delete(callId);
    if (slot.worker && !this.closed) await this.request(slot, { type: 'close', callId }).catch(() => undefined);
  }

  /** Which worker a call lives on (diagnostics). */
  workerOf(callId: string): number | null {
    return this.callWorker.get(callId)?.index ?? null;
  }

  /** 'thread' or 'process' (MediaEngineOptions.workerKind). */
  get kind(): MediaWorkerKind {
    return this.workerKind;
  }

  get workerCount(): number {
    return this.slots.length;
  }

  /** Calls per worker. */
  load(): number[] {
    return this.slots.map((s) => s.calls.size);
  }

  /** Number of times a crashed worker was restarted, per worker. */
  restarts(): number[] {
    return this.slots.map((s) => s.restarts);
  }

  /** Terminate worker `index` abruptly (diagnostics and crash tests). */
  async killWorker(index: number): Promise<void> {
    const w = this.slots[index]?.worker;
    if (w) await w.terminate();
  }

  /** Wait for a worker that was asked to shut down to end by itself; terminate it after `ms`. */
  private async waitExit(w: MediaWorkerHandle, ms: number): Promise<void> {
    if (!w.alive) return;
    let timer: NodeJS.Timeout | null = null;
    const exited = new Promise<void>((resolve) => w.onExit(() => resolve()));
    const late = new Promise<'late'>((resolve) => { timer = setTimeout(() => resolve('late'), ms); });
    const r = await Promise.race([exited, late]);
    if (timer) clearTimeout(timer);
    if (r === 'late') await w.terminate();
  }

  /** Close every call and terminate every worker. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    const shutdowns = this.slots.map(async (s) => {
      const w = s.worker;
      if (!w) return;
      s.exiting = true;
      await this.request(s, { type: 'shutdown' }).catch(() => undefined);
    });
    await Promise.all(shutdowns);
    this.closed = true;
    for (const s of this.slots) {
      const w = s.worker;
      for (const p of s.pending.values()) { clearTimeout(p.timer); p.reject(new InvalidStateError('ERR_MEDIA_ENGINE_CLOSED', 'media engine closed')); }
      s.pending.clear();
      for (const callId of s.calls) this.opts.onEvent?.(callId, { kind: 'closed', reason: 'engine-closed' });
      s.calls.clear();
      if (w) {
        s.worker = null;
        await this.waitExit(w, this.opts.shutdownGraceMs ?? 5000);
      }
    }
    this.callWorker.clear();
  }
}
