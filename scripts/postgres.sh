#!/usr/bin/env bash
# Make sure a PostgreSQL server answers at 127.0.0.1:5432 for the tests (tests/postgres.py), as
# .ci/run needs: the machine's own cluster, started if it stopped. Without PostgreSQL installed it
# says so and returns; the tests then skip what needs it, saying why (under CI=true they fail).
set -uo pipefail
if ! command -v pg_isready >/dev/null 2>&1; then
  echo "postgres.sh: PostgreSQL is not installed: the PostgreSQL tests will say they cannot run" >&2
  exit 0
fi
if pg_isready -q -h 127.0.0.1 -p 5432; then
  exit 0
fi
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  for version in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  done
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && exit 0
  sleep 1
done
echo "postgres.sh: no PostgreSQL server answers at 127.0.0.1:5432" >&2
exit 0
