#!/bin/sh
# The whole test suite, from a fresh Debian machine: installs the Debian test peers
# (as root, when missing), the npm dependencies, compiles, lints, and runs every test.
# CI (.ci/run) runs exactly this.
set -eu
cd "$(dirname "$0")/.."
sh scripts/install-peers.sh
sh scripts/bootstrap.sh
PATH="$PWD/node_modules/.bin:$PATH"
export PATH
echo "tandem: lint" >&2
eslint .
echo "tandem: tests" >&2
if [ $# -eq 0 ]; then set -- "dist/test/**/*.test.js"; fi
exec mocha "$@"
