#!/bin/sh
# Builds Tandem's native UDP pump and SRTP (src/native, a Node-API addon in C) with node-gyp,
# against the Node headers of this machine (Node-API is ABI-stable: an addon built against
# Node 18/20 headers loads in the Node 24 runtime). No network: headers come from --nodedir.
# Rebuilds only when the sources are newer than the addon. Output (gitignored):
#   src/native/build/Release/tandem_udp_pump.node
# Env: NODE_GYP=/path/to/node-gyp.js, NODEDIR=/prefix/with/include/node.
set -eu
cd "$(dirname "$0")/.."
dir=src/native
out=$dir/build/Release/tandem_udp_pump.node
if [ -f "$out" ] && [ "$out" -nt "$dir/udp-pump.c" ] && [ "$out" -nt "$dir/srtp.c" ] && [ "$out" -nt "$dir/binding.gyp" ]; then
  exit 0
fi

# node-gyp ships inside npm (npm's own node_modules), or as Debian's node-gyp package.
gyp="${NODE_GYP:-}"
if [ -z "$gyp" ]; then
  npm_bin="$(command -v npm || true)"
  for c in \
    "$(npm root -g 2>/dev/null || true)/npm/node_modules/node-gyp/bin/node-gyp.js" \
    "${npm_bin:+$(dirname "$(readlink -f "$npm_bin")")/../node_modules/node-gyp/bin/node-gyp.js}" \
    /usr/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js \
    /usr/share/nodejs/node-gyp/bin/node-gyp.js \
    /usr/share/nodejs/npm/node_modules/node-gyp/bin/node-gyp.js; do
    if [ -n "$c" ] && [ -f "$c" ]; then gyp="$c"; break; fi
  done
fi
if [ -z "$gyp" ]; then
  echo "tandem: node-gyp not found (it ships with npm; set NODE_GYP=/path/to/node-gyp.js)" >&2
  exit 1
fi

# Node headers: npm's nodedir config, else a prefix whose include/node has node_api.h and uv.h.
nodedir="${NODEDIR:-${npm_config_nodedir:-}}"
if [ -z "$nodedir" ]; then
  for c in /usr /usr/local "$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"; do
    if [ -f "$c/include/node/node_api.h" ] && [ -f "$c/include/node/uv.h" ]; then nodedir="$c"; break; fi
  done
fi
if [ -z "$nodedir" ]; then
  echo "tandem: Node headers not found (include/node/node_api.h); scripts/install-peers.sh installs them" >&2
  exit 1
fi

echo "tandem: building the native UDP pump (node-gyp $gyp, headers $nodedir/include/node)" >&2
node "$gyp" rebuild --directory="$dir" --nodedir="$nodedir" --loglevel=warn
