#!/usr/bin/env bash
# Creates .venv and installs the hub, its bundled plugins and (with "test") the test tools.
# Re-installs only when a pyproject.toml changed since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"
[ -x .venv/bin/python ] || "$python" -m venv .venv
stamp=".venv/.hub-installed-${extras:-run}"
want=$(cat pyproject.toml plugins/*/pyproject.toml 2>/dev/null | sha256sum | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  target="."
  [ "$extras" = "test" ] && target=".[test]"
  plugin_args=()
  for p in plugins/*/; do [ -f "$p/pyproject.toml" ] && plugin_args+=(-e "$p"); done
  .venv/bin/python -m pip install -q -e "$target" "${plugin_args[@]}"
  echo "$want" > "$stamp"
fi
