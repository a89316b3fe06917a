#!/bin/sh
# Debian packages the integration and end-to-end tests drive as real peers.
# Installed only when missing; needs root (CI runs as root). Never skipped.
set -eu
PKGS="sip-tester baresip chromium sox libsox-fmt-all coturn kamailio kamailio-websocket-modules kamailio-tls-modules iproute2 util-linux openssl tcpdump docker-compose"
# Build tools for the native UDP pump (src/native, scripts/build-native.sh).
PKGS="$PKGS build-essential g++ make python3"
# Node headers (include/node/node_api.h, uv.h) for node-gyp --nodedir: NodeSource's nodejs package
# ships them; with Debian's nodejs they are in libnode-dev.
if [ ! -f /usr/include/node/node_api.h ] && [ ! -f /usr/local/include/node/node_api.h ]; then PKGS="$PKGS libnode-dev"; fi
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "tandem: the tests need these Debian packages:$missing" >&2
  echo "tandem: run as root, or: sudo apt-get install -y --no-install-recommends$missing" >&2
  exit 1
fi
echo "tandem: installing Debian test peers:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $missing >/dev/null
