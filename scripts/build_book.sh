#!/usr/bin/env bash
# Build the HTML book into _build/html (set-up included). Every chapter notebook is executed; any warning fails.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export PYTHONHASHSEED=0

# The JavaScript the static book serves itself (ipywidgets' HTML manager, RequireJS, MathJax 3), so its explorers
# and math work with no network: npm fetches what package-lock.json pins (again only when it changed), then
# scripts/vendor_js.py copies what the pages load into vendor_js/ (html_extra_path in _config.yml).
if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[book] installing Node.js and npm (apt-get) to fetch the book's JavaScript"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
fi
if ! command -v npm >/dev/null; then
  echo "[book] npm (Node.js) is needed to fetch the book's JavaScript: install Node.js (Debian: apt-get install npm)" >&2
  exit 1
fi
npm_stamp=node_modules/.resnext-teach-npm
npm_want=$(cat package.json package-lock.json | sha256sum | cut -d' ' -f1)
if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_want" ]; then
  echo "[book] installing the book's JavaScript (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$npm_want" > "$npm_stamp"
fi
python scripts/vendor_js.py

rm -rf _build/html _build/jupyter_execute
jupyter-book build . -W -n --keep-going
echo "[book] built: $PWD/_build/html/index.html"
