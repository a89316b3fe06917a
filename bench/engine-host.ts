// Child process hosting a MediaEngine for bench/media.ts, so the engine's CPU and RSS
// (main thread + media workers) are measured apart from the callers and echo peers.
// Control over the IPC channel: { id, op, args } → { id, ok, result | error }.
import { MediaEngine } from '../src/media/engine/index.js';

interface Req { id: number; op: string; args: unknown[] }

let engine: MediaEngine | null = null;

process.on('message', (m: Req) => {
  void (async () => {
    try {
      let result: unknown = null;
      switch (m.op) {
        case 'start': engine = await MediaEngine.start(m.args[0] as Parameters<typeof MediaEngine.start>[0]); break;
        case 'allocate': result = await engine!.allocate(m.args[0] as string, m.args[1] as Parameters<MediaEngine['allocate']>[1]); break;
        case 'apply': result = await engine!.apply(m.args[0] as string, m.args[1] as Parameters<MediaEngine['apply']>[1]); break;
        case 'stats': result = await engine!.stats(m.args[0] as string); break;
        case 'workerStats': result = await engine!.workerStats(); break;
        case 'closeCall': await engine!.closeCall(m.args[0] as string); break;
        case 'usage': {
          // Thread workers are inside this process's cpuUsage/RSS; process workers are not:
          // add each worker process's own figures (worker-stats runs process.cpuUsage() there).
          const cpu = process.cpuUsage();
          let rss = process.memoryUsage().rss;
          if (engine && engine.kind === 'process') {
            for (const w of await engine.workerStats()) { cpu.user += w.cpuUserMicros; cpu.system += w.cpuSystemMicros; rss += w.rss; }
          }
          result = { cpu, rss };
          break;
        }
        case 'stop': await engine?.close(); engine = null; break;
        default: throw new Error(`unknown op ${m.op}`);
      }
      process.send?.({ id: m.id, ok: true, result });
      if (m.op === 'stop') process.disconnect();
    } catch (e) {
      process.send?.({ id: m.id, ok: false, error: e instanceof Error ? e.message : String(e) });
    }
  })();
});
