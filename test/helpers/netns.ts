/**
 * Run a test (or any script) inside its own network namespace, so only
 * loopback exists: ICE stacks (werift, baresip, Chromium) then have nothing to
 * gather but 127.0.0.1, and ports never clash with the host.
 *
 * Recipe (see the team peer recipes: README.md):
 *   unshare -n sh -c 'ip link set lo up; <command>'
 * With `veth: true`, a veth pair is added and 127.0.0.2/32 put on v0, for peers
 * that refuse loopback interfaces outright (baresip's ICE module).
 *
 * Typical use: test/integration/x.test.ts calls
 * `runInNetns(compiledPath('x.scenario.js'), [], { timeoutMs: 30000 })`; the
 * scenario does its work and calls {@link emitResult} with a JSON-able object;
 * the test asserts on `result.result`. The child runs with the same Node
 * binary (process.execPath) and has `TANDEM_NETNS=1` in its environment.
 */
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { runManaged, type ProcessResult } from './proc.js';
import { repoRoot } from './paths.js';

/** Options for {@link runInNetns} and {@link runCommandInNetns}. */
export interface NetnsOptions {
  /** Add a veth pair with 127.0.0.2/32 on v0 (both ends up). Default false. */
  veth?: boolean;
  /** Kill the namespace's processes after this long. Default 60000 ms. */
  timeoutMs?: number;
  /** Extra environment for the child. */
  env?: Record<string, string | undefined>;
  /** Working directory. Default: the repository root. */
  cwd?: string;
  /** Extra shell run inside the namespace before the command (after lo/veth setup). */
  setup?: string;
}

/** A finished namespace run; `result` is what the child passed to {@link emitResult} (last one), if any. */
export interface NetnsResult extends ProcessResult {
  result: unknown;
}

/** Marker that prefixes the JSON line written by {@link emitResult}. */
export const RESULT_MARKER = '@@TANDEM_RESULT@@';

const VETH_SETUP = 'ip link add v0 type veth peer name v1 && ip addr add 127.0.0.2/32 dev v0 && ip link set v1 up && ip link set v0 up';

/**
 * Runs `argv` inside a fresh network namespace (`unshare -n`), with lo up.
 * Resolves with exit code, output and the parsed {@link emitResult} payload.
 */
export async function runCommandInNetns(argv: readonly string[], options: NetnsOptions = {}): Promise<NetnsResult> {
  const setup = ['set -e', 'ip link set lo up'];
  if (options.veth === true) setup.push(VETH_SETUP);
  if (options.setup !== undefined) setup.push(options.setup);
  setup.push('set +e', 'exec "$@"');
  // As root a plain network namespace; otherwise inside a user namespace mapped to root (-r).
  const flags = process.getuid?.() === 0 ? ['-n'] : ['-r', '-n'];
  const res = await runManaged('unshare', [...flags, 'sh', '-c', setup.join('\n'), 'netns', ...argv], {
    cwd: options.cwd ?? repoRoot,
    env: { ...options.env, TANDEM_NETNS: '1', TANDEM_NETNS_VETH: options.veth === true ? '1' : '0' },
    timeoutMs: options.timeoutMs ?? 60000,
  });
  return { ...res, result: parseResult(res.stdout) };
}

/** Runs a compiled Node script (`.js`) with Node 24 inside a fresh network namespace. */
export function runInNetns(scriptPath: string, args: readonly string[] = [], options: NetnsOptions = {}): Promise<NetnsResult> {
  return runCommandInNetns([process.execPath, scriptPath, ...args], options);
}

/**
 * Runs compiled mocha test files inside a fresh network namespace
 * (`mocha --no-config --timeout 20000 <files>`); `code` is mocha's failure count.
 */
export function runMochaInNetns(testFiles: readonly string[], options: NetnsOptions & { mochaArgs?: string[] } = {}): Promise<NetnsResult> {
  const require = createRequire(import.meta.url);
  const mochaBin = path.join(path.dirname(require.resolve('mocha/package.json')), 'bin', 'mocha.js');
  return runInNetns(mochaBin, ['--no-config', '--timeout', '20000', ...(options.mochaArgs ?? []), ...testFiles], options);
}

/**
 * True inside a namespace made by these helpers: `TANDEM_NETNS=1` is set and
 * the only interfaces are lo (and v0/v1 when veth was requested).
 */
export function inNetns(): boolean {
  if (process.env.TANDEM_NETNS !== '1') return false;
  const allowed = new Set(['lo', 'v0', 'v1']);
  return Object.keys(os.networkInterfaces()).every((name) => allowed.has(name));
}

/** Writes the scenario's result as one marked JSON line on stdout (call from the child). */
export function emitResult(result: unknown): void {
  process.stdout.write(`\n${RESULT_MARKER}${JSON.stringify(result)}\n`);
}

/** Parses the last {@link emitResult} line of `stdout`, or undefined. */
export function parseResult(stdout: string): unknown {
  const lines = stdout.split('\n').filter((l) => l.startsWith(RESULT_MARKER));
  if (lines.length === 0) return undefined;
  return JSON.parse(lines[lines.length - 1].slice(RESULT_MARKER.length)) as unknown;
}
