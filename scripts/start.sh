#!/usr/bin/env bash
# Start the hub on its embedded default (SQLite in ./instance) in demo mode:
# the bundled vendor simulators on loopback, real syncs through the real plugins.
# Extra arguments go to `hub serve` (e.g. --port 8080, or --no-demo for an empty hub).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/bootstrap.sh
export HUB_INSTANCE_PATH="${HUB_INSTANCE_PATH:-$PWD/instance}"
demo="--demo"
args=()
for a in "$@"; do if [ "$a" = "--no-demo" ]; then demo=""; else args+=("$a"); fi; done
exec .venv/bin/hub serve $demo "${args[@]}"
