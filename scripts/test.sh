#!/usr/bin/env bash
# Run the whole test suite: on SQLite, then again on PostgreSQL when HUB_TEST_DATABASE_URL is set.
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
echo "== test suite on SQLite"
env -u HUB_TEST_DATABASE_URL .venv/bin/python -m pytest "$@"
if [ -n "${HUB_TEST_DATABASE_URL:-}" ]; then
  echo "== test suite on PostgreSQL ($HUB_TEST_DATABASE_URL)"
  .venv/bin/python -m pytest "$@"
fi
