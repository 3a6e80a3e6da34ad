#!/usr/bin/env bash
# Start the hub on its embedded default (SQLite in ./instance) in demo mode:
# the bundled vendor simulators on loopback, real syncs through the real plugins.
# Extra arguments go to `hub serve` (e.g. --port 8080, or --no-demo for an empty hub).
# The port is checked first, before anything is installed or set up; pip's output goes to a log file.
set -euo pipefail
cd "$(dirname "$0")/.."
export HUB_INSTANCE_PATH="${HUB_INSTANCE_PATH:-$PWD/instance}"
demo="--demo"
host="127.0.0.1"
port="5000"
args=()
prev=""
for a in "$@"; do
  case "$prev" in --port) port="$a" ;; --host) host="$a" ;; esac
  case "$a" in --port=*) port="${a#--port=}" ;; --host=*) host="${a#--host=}" ;; esac
  prev="$a"
  if [ "$a" = "--no-demo" ]; then demo=""; else args+=("$a"); fi
done
"${PYTHON:-python3}" hub/serving_port.py "$host" "$port" || exit 1
mkdir -p "$HUB_INSTANCE_PATH"
install_log="$HUB_INSTANCE_PATH/install.log"
echo "hub: installing into .venv (first start: a minute or two; details in $install_log) ..."
if ! scripts/bootstrap.sh >"$install_log" 2>&1; then
  echo "hub: installation failed; the end of $install_log:" >&2
  tail -n 20 "$install_log" >&2
  exit 1
fi
echo "hub: starting${demo:+ in demo mode (vendor simulators, demo data)} ..."
exec .venv/bin/hub serve $demo "${args[@]}"
