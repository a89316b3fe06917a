import { fork, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { WorkerConfig, WorkerMessage } from './protocol.js';

/**
 * How media workers run:
 * - `thread`: a worker thread per worker (shared process). @evan/opus's native
 *   addon is not thread safe (one process-wide static output buffer; a thread
 *   that loaded it crashes the process when it exits), so thread workers use
 *   the WASM Opus encoder (`OPUS_FORCE_WASM=1`).
 * - `process`: a child process per worker (`child_process.fork`, IPC channel
 *   with structured-clone serialization, same control protocol). Each process
 *   may load the native Opus encoder, which is ~35 % cheaper per frame than
 *   the WASM build (docs/performance.md).
 */
export type MediaWorkerKind = 'thread' | 'process';

/** Environment variable carrying a process worker's WorkerConfig (JSON). */
export const WORKER_CONFIG_ENV = 'TANDEM_MEDIA_WORKER_CONFIG';

/** The main side's view of one media worker, whatever its kind. */
export interface MediaWorkerHandle {
  readonly kind: MediaWorkerKind;
  /** False once the worker exited. */
  readonly alive: boolean;
  /** Sends a control message (dropped when the worker is gone). */
  post(msg: object): void;
  onMessage(fn: (m: WorkerMessage) => void): void;
  offMessage(fn: (m: WorkerMessage) => void): void;
  /** Called once when the worker ends (exit code; signal deaths map to 128 + n or 1). */
  onExit(fn: (code: number) => void): void;
  onError(fn: (err: Error) => void): void;
  /** Ends the worker at once (thread terminate, process SIGKILL); resolves when it is gone. */
  terminate(): Promise<void>;
}

export interface SpawnWorkerOptions {
  kind: MediaWorkerKind;
  url: URL;
  cfg: WorkerConfig;
  name: string;
}

/** Starts a media worker of the given kind running the script at `url`. */
export function spawnMediaWorker(o: SpawnWorkerOptions): MediaWorkerHandle {
  return o.kind === 'process' ? processWorker(o) : threadWorker(o);
}

function threadWorker(o: SpawnWorkerOptions): MediaWorkerHandle {
  const env = { ...process.env, OPUS_FORCE_WASM: '1' };
  const w = new Worker(o.url, { workerData: o.cfg, name: o.name, env });
  let alive = true;
  w.once('exit', () => { alive = false; });
  return {
    kind: 'thread',
    get alive() { return alive; },
    post(msg) { if (alive) w.postMessage(msg); },
    onMessage(fn) { w.on('message', fn); },
    offMessage(fn) { w.off('message', fn); },
    onExit(fn) { w.once('exit', fn); },
    onError(fn) { w.on('error', fn); },
    async terminate() { if (alive) await w.terminate(); },
  };
}

function processWorker(o: SpawnWorkerOptions): MediaWorkerHandle {
  const child: ChildProcess = fork(fileURLToPath(o.url), [], {
    env: { ...process.env, [WORKER_CONFIG_ENV]: JSON.stringify(o.cfg) },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  let alive = true;
  const exited = new Promise<void>((resolve) => child.once('exit', () => { alive = false; resolve(); }));
  return {
    kind: 'process',
    get alive() { return alive; },
    post(msg) {
      if (!alive || !child.connected) return;
      try { child.send(msg); } catch { /* channel closing: the exit handler reports it */ }
    },
    onMessage(fn) { child.on('message', fn as (m: unknown) => void); },
    offMessage(fn) { child.off('message', fn as (m: unknown) => void); },
    onExit(fn) {
      child.once('exit', (code, signal) => {
        fn(code ?? (signal ? 128 + (signalNumber(signal) ?? 0) : 1));
      });
    },
    onError(fn) { child.on('error', fn); },
    async terminate() {
      if (!alive) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function signalNumber(signal: NodeJS.Signals): number | null {
  return os.constants.signals[signal] ?? null;
}
