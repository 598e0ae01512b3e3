#!/usr/bin/env bash
# WeasyPrint renders invoices with Pango and HarfBuzz from Debian's packages. Idempotent.
set -euo pipefail
if ! ldconfig -p | grep -q 'libpango-1.0.so.0' || ! ldconfig -p | grep -q 'libpangoft2-1.0.so.0'; then
  echo "installing Pango (for WeasyPrint) from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core >/dev/null
fi
