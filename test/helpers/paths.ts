import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Repository root, from the compiled location dist/test/helpers/paths.js. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
/** test/fixtures in the source tree (fixtures are not compiled). */
export const fixturesDir = path.join(repoRoot, 'test', 'fixtures');
/** A scratch folder for recordings and peer configs, removed by `npm run clean`. */
export const tmpRoot = path.join(repoRoot, '.tmp');
