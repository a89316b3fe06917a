/**
 * Scratch directories under `.tmp/` for peer configs, recordings and traces.
 * Removed by {@link removeTempDir} unless `KEEP_TMP=1` is set (then the path is
 * printed so a failing run can be inspected).
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { tmpRoot } from './paths.js';

/** True when temp dirs must be kept (`KEEP_TMP=1`). */
export function keepTmp(): boolean {
  return process.env.KEEP_TMP === '1';
}

/** Creates `.tmp/<prefix>-XXXXXX/` and returns its absolute path. */
export function makeTempDir(prefix: string): string {
  mkdirSync(tmpRoot, { recursive: true });
  return mkdtempSync(path.join(tmpRoot, `${prefix}-`));
}

/** Removes a dir made by {@link makeTempDir}, unless KEEP_TMP=1. Idempotent. */
export function removeTempDir(dir: string): void {
  if (keepTmp()) {
    process.stderr.write(`KEEP_TMP: kept ${dir}\n`);
    return;
  }
  rmSync(dir, { recursive: true, force: true });
}
