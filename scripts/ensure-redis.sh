#!/usr/bin/env bash
# Make sure Redis answers on 127.0.0.1:6379 (the broker of the tests that run real workers). Installs Debian's
# redis-server and starts it in the background when none does. Idempotent.
set -euo pipefail
answers() { python3 - <<'PY'
import socket, sys
try:
    with socket.create_connection(("127.0.0.1", 6379), timeout=1) as s:
        s.sendall(b"PING\r\n")
        sys.exit(0 if s.recv(16).startswith(b"+PONG") else 1)
except OSError:
    sys.exit(1)
PY
}

answers && exit 0
if ! command -v redis-server >/dev/null 2>&1; then
  echo "installing Redis from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq redis-server >/dev/null
fi
redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no --daemonize yes >/dev/null
for _ in $(seq 1 30); do answers && exit 0; sleep 1; done
echo "Redis does not answer on 127.0.0.1:6379" >&2
exit 1
