import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

function findRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'test', 'fixtures'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error('repository root not found');
    dir = up;
  }
}

/** Repository root, found by walking up from the compiled file (works for dist/ and .build/NAME/). */
export const sipRepoRoot = findRoot();
/** test/fixtures/sip in the source tree. */
export const sipFixturesDir = path.join(sipRepoRoot, 'test', 'fixtures', 'sip');
