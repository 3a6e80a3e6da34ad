#!/usr/bin/env bash
# Creates .venv and installs the hub, its bundled plugins and (with "test") the test tools.
# Re-installs only when a pyproject.toml changed since the last run.
# Also installs the system libraries WeasyPrint (invoice PDFs) loads, when they are missing: Pango,
# HarfBuzz's subsetter and a font (apt-get, only as root; otherwise it says what to install).
set -euo pipefail
cd "$(dirname "$0")/.."
pdf_libs=(libpango-1.0.so.0 libpangoft2-1.0.so.0 libharfbuzz-subset.so.0 libfontconfig.so.1)
missing=0
for lib in "${pdf_libs[@]}"; do ldconfig -p 2>/dev/null | grep -q "$lib" || missing=1; done
fc-list 2>/dev/null | grep -qi dejavu || missing=1
if [ "$missing" = 1 ]; then
  pdf_packages="libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libfontconfig1 fonts-dejavu-core"
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pdf_packages) >/dev/null
  else
    echo "invoice PDFs need: sudo apt-get install $pdf_packages" >&2
  fi
fi
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
