import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Walks up from the compiled file (dist/test/helpers/paths.js, or a helper's
 * own build dir such as .build/NAME/test/helpers/paths.js) to the first folder
 * holding a package.json: the repository root.
 */
function findRepoRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start, '..', '..', '..');
    dir = parent;
  }
}

/** Repository root, found from the compiled location of this file (dist/ or .build/NAME/). */
export const repoRoot = findRepoRoot(path.dirname(fileURLToPath(import.meta.url)));
/** test/fixtures in the source tree (fixtures are not compiled). */
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
/** A scratch folder for recordings and peer configs, removed by `npm run clean`. */
export const tmpRoot = path.join(repoRoot, '.tmp');
