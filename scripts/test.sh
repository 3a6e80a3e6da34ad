#!/usr/bin/env bash
# Run the whole test suite: on SQLite and, when HUB_TEST_DATABASE_URL is set, on PostgreSQL too.
# The two databases run side by side (one pytest process each, so a 2-core machine does both in the
# time of the slower one); each run's output is printed whole when it ends. HUB_TEST_SERIAL=1 runs
# them one after the other instead, streaming the output.
# Installs what it needs: the virtual environment, and Debian's chromium for the browser tests.
# Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh test
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null
  else
    echo "chromium is missing: run 'sudo apt-get install chromium' (the browser tests need it)" >&2
  fi
fi

# --durations: the slowest tests are named in every run, to keep the suite inside its CI budget
# HUB_TEST_WHEELS=1 (CI sets it) also builds and installs the wheels (tests/packaging): once, in the SQLite run
sqlite_suite() { env -u HUB_TEST_DATABASE_URL .venv/bin/python -m pytest --durations=15 "$@"; }
postgresql_suite() { env -u HUB_TEST_WHEELS .venv/bin/python -m pytest --durations=15 "$@"; }

if [ -z "${HUB_TEST_DATABASE_URL:-}" ] || [ "${HUB_TEST_SERIAL:-}" = 1 ]; then
  echo "== test suite on SQLite"
  sqlite_suite "$@"
  if [ -n "${HUB_TEST_DATABASE_URL:-}" ]; then
    echo "== test suite on PostgreSQL ($HUB_TEST_DATABASE_URL)"
    postgresql_suite "$@"
  fi
  exit 0
fi

logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
echo "== test suite on SQLite and on PostgreSQL ($HUB_TEST_DATABASE_URL), side by side"
sqlite_suite "$@" >"$logs/sqlite" 2>&1 &
sqlite_pid=$!
postgresql_suite "$@" >"$logs/postgresql" 2>&1 &
postgresql_pid=$!
status=0
for name in sqlite postgresql; do
  pid_var="${name}_pid"
  if wait "${!pid_var}"; then result=passed; else result="FAILED"; status=1; fi
  echo "== $name: $result"
done
for name in sqlite postgresql; do
  echo "== output of the $name run"
  cat "$logs/$name"
done
exit "$status"
