/**
 * Entry point of a media worker thread (compiled to media-worker.js and started
 * by MediaEngine with `new URL('./media-worker.js', import.meta.url)`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../../common/logger.js';
import type { WorkerConfig, WorkerRequest } from './protocol.js';
import { WorkerRuntime } from './worker-runtime.js';

const cfg = workerData as WorkerConfig;
const port = parentPort;
if (port) {
  const log = createLogger({ level: cfg.logLevel, pretty: false }).child({ worker: cfg.index });
  const rt = new WorkerRuntime(cfg, (m) => port.postMessage(m), log);
  // Requests are queued until the certificate exists, so none races init().
  const ready = rt.init();
  port.on('message', (msg: WorkerRequest) => {
    void ready.then(async () => {
      await rt.handle(msg);
      // After shutdown, let the thread end by itself (event loop drains): terminating a
      // thread that loaded a native addon (@evan/opus) can crash the process.
      if (msg.type === 'shutdown') port.close();
    });
  });
  ready.then((fingerprint) => port.postMessage({ type: 'ready', fingerprint }), (e: unknown) => {
    log.error({ err: e instanceof Error ? e.message : String(e) }, 'media worker init failed');
    process.exit(1);
  });
}
