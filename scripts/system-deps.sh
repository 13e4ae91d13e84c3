#!/usr/bin/env bash
# Debian packages the test suite drives for real. Installs what is missing when run as root.
set -euo pipefail
needed=()
command -v curl >/dev/null || needed+=(curl)
command -v redis-server >/dev/null || needed+=(redis-server)
# The alert rules are checked with promtool, and one test runs a real Prometheus (test/deploy/prometheus-*.test.ts).
{ command -v prometheus >/dev/null && command -v promtool >/dev/null; } || needed+=(prometheus)
# Swagger UI's browser test drives Debian's chromium (test/browser/swagger-ui.test.ts); never a downloaded one.
[ -x /usr/bin/chromium ] || needed+=(chromium)
if [ ${#needed[@]} -eq 0 ]; then
  echo "system packages present"
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "missing Debian packages: ${needed[*]} (install them with apt-get as root)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${needed[@]}" >/dev/null
echo "installed: ${needed[*]}"
