/**
 * Entry point of a media worker (compiled to media-worker.js and started by
 * MediaEngine with `new URL('./media-worker.js', import.meta.url)`), either as
 * a worker thread (config in `workerData`, messages on `parentPort`) or as a
 * child process (config in the TANDEM_MEDIA_WORKER_CONFIG environment
 * variable, messages on the IPC channel); see worker-handle.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../common/logger.js';
import type { WorkerConfig, WorkerMessage, WorkerRequest } from './protocol.js';
import { WORKER_CONFIG_ENV } from './worker-handle.js';
import { WorkerRuntime } from './worker-runtime.js';

interface Channel {
  post(m: WorkerMessage): void;
  onMessage(fn: (m: WorkerRequest) => void): void;
  /** Lets the worker end by itself once its event loop drains. */
  close(): void;
}

function channel(): { cfg: WorkerConfig; ch: Channel } | null {
  const port = parentPort;
  if (port) {
    return {
      cfg: workerData as WorkerConfig,
      ch: {
        post: (m) => port.postMessage(m),
        onMessage: (fn) => { port.on('message', fn); },
        close: () => port.close(),
      },
    };
  }
  const raw = process.env[WORKER_CONFIG_ENV];
  if (process.send && raw) {
    // Messages queued on the IPC pipe are cancelled by disconnect(): close only once they are written.
    let unsent = 0;
    let closing = false;
    const disconnect = (): void => { if (process.connected) process.disconnect(); };
    return {
      cfg: JSON.parse(raw) as WorkerConfig,
      ch: {
        post: (m) => {
          if (!process.connected) return;
          unsent++;
          process.send?.(m, undefined, {}, () => { if (--unsent === 0 && closing) disconnect(); });
        },
        onMessage: (fn) => {
          process.on('message', fn as (m: unknown) => void);
          // The engine went away without a shutdown (crash): nothing left to serve.
          process.once('disconnect', () => process.exit(0));
        },
        close: () => {
          process.removeAllListeners('disconnect');
          closing = true;
          if (unsent === 0) disconnect();
        },
      },
    };
  }
  return null;
}

const c = channel();
if (c) {
  const { cfg, ch } = c;
  const log = createLogger({ level: cfg.logLevel, pretty: false }).child({ worker: cfg.index });
  const rt = new WorkerRuntime(cfg, (m) => ch.post(m), log);
  // Requests are queued until the certificate exists, so none races init().
  const ready = rt.init();
  ch.onMessage((msg: WorkerRequest) => {
    void ready.then(async () => {
      await rt.handle(msg);
      // After shutdown, let the worker end by itself (event loop drains): terminating a
      // thread that loaded a native addon (@evan/opus) can crash the process.
      if (msg.type === 'shutdown') ch.close();
    });
  });
  ready.then((fingerprint) => ch.post({ type: 'ready', fingerprint }), (e: unknown) => {
    log.error({ err: e instanceof Error ? e.message : String(e) }, 'media worker init failed');
    process.exit(1);
  });
}
