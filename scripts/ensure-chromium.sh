#!/usr/bin/env bash
# The browser tests drive Debian's Chromium (never a downloaded browser). Idempotent.
set -euo pipefail
if [ ! -x /usr/bin/chromium ]; then
  echo "installing Chromium from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
fi
