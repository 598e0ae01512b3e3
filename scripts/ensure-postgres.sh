#!/usr/bin/env bash
# Make sure PostgreSQL answers on 127.0.0.1:5432 and lets user postgres in without a password
# (the test suite's server). Installs and starts Debian's server when none does. Idempotent.
set -euo pipefail
connects() { psql -h 127.0.0.1 -p 5432 -U postgres -d postgres -Atqc 'select 1' >/dev/null 2>&1; }

command -v psql >/dev/null 2>&1 && connects && exit 0

if [ -z "$(ls /etc/postgresql 2>/dev/null)" ]; then
  echo "installing PostgreSQL from Debian's packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi
version=$(ls /etc/postgresql | sort -V | tail -n 1)
conf=/etc/postgresql/$version/main
# Loopback connections of the tests need no password.
if ! grep -q '^host all all 127.0.0.1/32 trust' "$conf/pg_hba.conf"; then
  sed -i '1i host all all 127.0.0.1/32 trust\nhost all all ::1/128 trust' "$conf/pg_hba.conf"
fi
if pg_ctlcluster "$version" main status >/dev/null 2>&1; then
  pg_ctlcluster --skip-systemctl-redirect "$version" main reload
else
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || [ $? -eq 2 ]
fi
for _ in $(seq 1 30); do connects && exit 0; sleep 1; done
echo "PostgreSQL does not answer on 127.0.0.1:5432 for user postgres" >&2
exit 1
