#!/bin/sh
# Installs npm dependencies when they are missing or stale, then compiles.
# Runs before `npm start` and inside `npm test`. Node 24 is the `node` package from
# the npm registry (a dependency), whose binary npm scripts find first on PATH.
set -eu
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/node ] || [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "tandem: installing npm dependencies (npm ci)" >&2
  npm ci --no-audit --no-fund --loglevel=error
fi
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
# The native UDP pump (media.packetIo: native). A failed build is not fatal for `npm start`
# (media falls back to node:dgram and logs it); the tests require the addon.
sh scripts/build-native.sh || echo "tandem: WARNING: native UDP pump not built; media will use node:dgram" >&2
echo "tandem: compiling TypeScript with $(node --version)" >&2
tsc -p tsconfig.json
tsc -p src/web/client/tsconfig.json --noEmit
node scripts/build-web.mjs
