/**
 * Child processes for tests that never outlive the test run.
 *
 * Every process is spawned in its own process group (`detached: true`) and
 * registered; {@link ManagedProcess.stop} signals the whole group (so `sh -c`
 * wrappers and `unshare` children die too), escalating SIGTERM → SIGKILL.
 * {@link stopAllProcesses} is for mocha `after`/`afterEach` hooks, and a
 * process 'exit' hook SIGKILLs whatever is still registered if a run aborts.
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** How a managed process ended. */
export interface ProcessResult {
  /** Exit code, or null when killed by a signal. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when the helper killed it because `timeoutMs` elapsed. */
  timedOut: boolean;
}

/** Options for {@link spawnManaged}. */
export interface SpawnOptions {
  cwd?: string;
  /** Extra environment (merged over process.env). */
  env?: Record<string, string | undefined>;
  /** Kill the group (SIGTERM, then SIGKILL after `killGraceMs`) after this long. Default: no limit. */
  timeoutMs?: number;
  /** Grace between SIGTERM and SIGKILL. Default 2000 ms. */
  killGraceMs?: number;
  /** Written to stdin, then stdin is closed. Default: stdin closed immediately. */
  input?: string;
  /** Keep at most this many bytes of stdout/stderr each (the tail). Default 4 MiB. */
  maxOutput?: number;
  /** Called with each stdout/stderr chunk (e.g. to wait for a log line). */
  onOutput?: (chunk: string, stream: 'stdout' | 'stderr') => void;
}

const live = new Set<ManagedProcess>();

/** A spawned process group with a promise of its end. */
export class ManagedProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Resolves when the process exits (never rejects; spawn errors give code -1). */
  readonly exited: Promise<ProcessResult>;
  stdout = '';
  stderr = '';
  private done = false;
  private timedOut = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly graceMs: number;

  constructor(readonly command: string, readonly args: readonly string[], options: SpawnOptions = {}) {
    this.graceMs = options.killGraceMs ?? 2000;
    const max = options.maxOutput ?? 4 * 1024 * 1024;
    this.child = spawn(command, args as string[], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      detached: true,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.pid = this.child.pid ?? -1;
    live.add(this);
    const append = (which: 'stdout' | 'stderr', chunk: Buffer): void => {
      const s = chunk.toString('utf8');
      const next = this[which] + s;
      this[which] = next.length > max ? next.slice(next.length - max) : next;
      options.onOutput?.(s, which);
    };
    this.child.stdout?.on('data', (c: Buffer) => append('stdout', c));
    this.child.stderr?.on('data', (c: Buffer) => append('stderr', c));
    this.child.stdin?.on('error', () => undefined);
    if (options.input !== undefined) this.child.stdin?.end(options.input);
    else this.child.stdin?.end();
    this.exited = new Promise<ProcessResult>((resolve) => {
      const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
        if (this.done) return;
        this.done = true;
        if (this.timer) clearTimeout(this.timer);
        live.delete(this);
        // Whatever the leader left behind in its group goes too.
        this.signalGroup('SIGKILL');
        resolve({ code, signal, stdout: this.stdout, stderr: this.stderr, timedOut: this.timedOut });
      };
      this.child.once('error', (err) => {
        this.stderr += `\nspawn error: ${err.message}`;
        finish(-1, null);
      });
      // 'close' waits for stdio to drain, so stdout is complete.
      this.child.once('close', (code, signal) => finish(code, signal));
    });
    if (options.timeoutMs !== undefined) {
      this.timer = setTimeout(() => {
        this.timedOut = true;
        void this.stop();
      }, options.timeoutMs);
    }
  }

  /** True until the process has exited. */
  get running(): boolean {
    return !this.done;
  }

  /** Sends `signal` to the whole process group. */
  signalGroup(signal: NodeJS.Signals): void {
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, signal);
    } catch {
      // group already gone
    }
  }

  /**
   * Stops the group: `signal` (default SIGTERM), then SIGKILL after the grace
   * period. Resolves with the result once it has exited. Idempotent.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessResult> {
    if (!this.done) {
      this.signalGroup(signal);
      const t = setTimeout(() => this.signalGroup('SIGKILL'), this.graceMs);
      await this.exited;
      clearTimeout(t);
    }
    return this.exited;
  }
}

/** Spawns `command args` as a managed process group. */
export function spawnManaged(command: string, args: readonly string[], options: SpawnOptions = {}): ManagedProcess {
  return new ManagedProcess(command, args, options);
}

/** Runs to completion (or timeout) and returns the result. */
export function runManaged(command: string, args: readonly string[], options: SpawnOptions = {}): Promise<ProcessResult> {
  return spawnManaged(command, args, options).exited;
}

/** Stops every process still registered (for mocha `after` hooks). */
export async function stopAllProcesses(): Promise<void> {
  await Promise.all([...live].map((p) => p.stop()));
}

/** Number of registered processes still running (tests assert it is 0). */
export function liveProcessCount(): number {
  return live.size;
}

process.once('exit', () => {
  for (const p of live) p.signalGroup('SIGKILL');
});
