#!/usr/bin/env bash
# Build the HTML book into _build/html (set-up included). Every chapter notebook is executed; any warning fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export PYTHONHASHSEED=0
rm -rf _build/html _build/jupyter_execute
jupyter-book build . -W -n --keep-going
echo "[book] built: $PWD/_build/html/index.html"
