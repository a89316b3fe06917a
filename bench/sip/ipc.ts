// Small helpers shared by the bench/sip.ts child processes.

/** `--name value` from argv, else `def`. */
export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined && !process.argv[i + 1].startsWith('--') ? process.argv[i + 1] : def;
}

/** Sends a message to the parent over IPC (no-op when not forked). */
export function send(msg: Record<string, unknown>): void {
  if (process.send) process.send(msg);
}

/** One event-loop stall or GC pause seen by a bench child (epoch ms, duration ms). */
export interface Stall { at: number; ms: number; kind: 'loop' | string }

/**
 * Records event-loop stalls (a 10 ms timer firing late by ≥ `minMs`) and GC pauses
 * (`perf_hooks` 'gc' entries of ≥ `minGcMs`), so the bench can tell which process stalled
 * when the callers' latency jumps. Costs one timer tick per 10 ms.
 */
export async function startStallProbe(minMs = 50, minGcMs = 20): Promise<{ stalls: () => Stall[]; maxHeapUsed: () => number; stop: () => void }> {
  const { PerformanceObserver, performance, constants } = await import('node:perf_hooks');
  const out: Stall[] = [];
  const gcKinds: Record<number, string> = { [constants.NODE_PERFORMANCE_GC_MINOR]: 'gc-minor', [constants.NODE_PERFORMANCE_GC_MAJOR]: 'gc-major', [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'gc-incremental', [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'gc-weakcb' };
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (e.duration < minGcMs || out.length >= 1000) continue;
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      out.push({ at: Math.round(performance.timeOrigin + e.startTime), ms: Math.round(e.duration), kind: gcKinds[kind] ?? `gc-${kind}` });
    }
  });
  obs.observe({ entryTypes: ['gc'] });
  let last = Date.now();
  let maxHeap = 0;
  let ticks = 0;
  const t = setInterval(() => {
    const now = Date.now();
    if (++ticks % 100 === 0) maxHeap = Math.max(maxHeap, process.memoryUsage().heapUsed);
    const late = now - last - 10;
    if (late >= minMs && out.length < 1000) out.push({ at: last, ms: late, kind: 'loop' });
    last = now;
  }, 10);
  t.unref();
  return { stalls: () => out.slice(), maxHeapUsed: () => maxHeap, stop: () => { clearInterval(t); obs.disconnect(); } };
}
