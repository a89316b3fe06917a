#!/bin/sh
# Makes a self-signed certificate for developing with HTTPS/WSS (getUserMedia needs
# a secure origin unless the page is on localhost). NOT for production.
#   sh scripts/dev-cert.sh [OUT_DIR] [HOST ...]
# OUT_DIR defaults to .tmp/dev-cert (or $TANDEM_DEV_CERT_DIR); HOSTs default to
# localhost 127.0.0.1 ::1 (names and IP addresses both work). Writes cert.pem and
# key.pem (mode 600), valid 825 days, and prints the config keys to use.
set -eu
cd "$(dirname "$0")/.."
OUT="${1:-${TANDEM_DEV_CERT_DIR:-.tmp/dev-cert}}"
[ $# -gt 0 ] && shift
[ $# -eq 0 ] && set -- localhost 127.0.0.1 ::1
SAN=""
for h in "$@"; do
  case "$h" in
    *[!0-9.:a-fA-F]*) SAN="${SAN:+$SAN,}DNS:$h" ;;
    *:*|[0-9]*.[0-9]*.[0-9]*.[0-9]*) SAN="${SAN:+$SAN,}IP:$h" ;;
    *) SAN="${SAN:+$SAN,}DNS:$h" ;;
  esac
done
mkdir -p "$OUT"
umask 077
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
  -subj "/CN=$1/O=Tandem development" -addext "subjectAltName=$SAN" \
  -addext "keyUsage=digitalSignature" -addext "extendedKeyUsage=serverAuth" \
  -keyout "$OUT/key.pem" -out "$OUT/cert.pem" 2>/dev/null
chmod 644 "$OUT/cert.pem"
echo "dev-cert: wrote $OUT/cert.pem and $OUT/key.pem for $SAN"
echo "use them with:"
echo "  TANDEM_WEB_TLS_CERT=$OUT/cert.pem TANDEM_WEB_TLS_KEY=$OUT/key.pem   (HTTPS page on web.httpsPort)"
echo "  TANDEM_SIP_TLS_CERT=$OUT/cert.pem TANDEM_SIP_TLS_KEY=$OUT/key.pem   (add a wss: listener to sip.listen)"
