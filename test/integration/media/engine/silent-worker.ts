// A media worker stand-in that says ready and then never answers (request timeout test).
import { parentPort } from 'node:worker_threads';

parentPort?.postMessage({ type: 'ready', fingerprint: 'none' });
parentPort?.on('message', () => undefined);
