/**
 * Mocha glue for tests that must run inside a network namespace (see netns.ts): outside one,
 * a single test re-runs the compiled file under `unshare -n` and passes when mocha there does;
 * and a leak check on the handles keeping the event loop alive.
 */
import { expect } from 'chai';
import { runMochaInNetns } from './netns.js';

export interface NetnsRerunOptions {
  /** The outer test's mocha timeout. */
  testTimeoutMs: number;
  /** How long the inner mocha may run. */
  timeoutMs: number;
  /** Extra inner mocha arguments (e.g. ['--timeout', '120000']). Default none. */
  mochaArgs?: string[];
  /** Print the inner output even when it passed. Default false (printed on failure only). */
  verbose?: boolean;
}

/** Declares `describe(title)` with one test that re-runs `file` (a compiled test) inside `unshare -n`. */
export function describeNetnsRerun(title: string, file: string, o: NetnsRerunOptions): void {
  describe(title, () => {
    it('passes inside unshare -n', async function () {
      this.timeout(o.testTimeoutMs);
      const r = await runMochaInNetns([file], { timeoutMs: o.timeoutMs, ...(o.mochaArgs ? { mochaArgs: o.mochaArgs } : {}) });
      if (r.code !== 0 || o.verbose) console.log(r.stdout, r.stderr);
      expect(r.code).to.equal(0);
      // A run that executed no test also exits 0: require the inner tests to have run and passed.
      const passing = /(\d+) passing/.exec(r.stdout);
      expect(passing, 'the inner mocha run reports its passing tests').to.not.equal(null);
      expect(Number(passing![1]), 'inner tests that passed').to.be.greaterThan(0);
      expect(r.stdout).to.not.match(/\d+ failing/);
    });
  });
}

/** Handles that keep the event loop alive, by type (Timeout excluded: mocha owns some). */
export function liveHandles(): string[] {
  return process.getActiveResourcesInfo().filter((t) => t !== 'Timeout' && t !== 'TTYWrap').sort();
}
