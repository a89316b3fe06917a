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
