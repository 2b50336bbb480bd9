#!/usr/bin/env bash
# Build the HTML book into _build/html (set-up included), and its notebook editions into _build/notebooks.
# Every page shows numbers from the code as it is now: scripts/book_state.py wipes the build when the package,
# configuration or environment changed (every page is executed again), lets Sphinx re-execute only the pages that
# changed otherwise, and skips the build when nothing changed. Any warning fails the build.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export PATH="$PWD/.venv/bin:$PATH"
export PYTHONHASHSEED=0
export RXT_BOOK_BUILD=1   # the pages keep no progress bar (experiments.training.progress_bar)

# The JavaScript the static book serves itself (ipywidgets' HTML manager, RequireJS, MathJax 3), so its explorers
# and math work with no network: npm fetches what package-lock.json pins, only when that changed (npm is needed
# only then), and scripts/vendor_js.py copies what the pages load into vendor_js/ (html_extra_path in _config.yml).
npm_stamp=node_modules/.resnext-teach-npm
npm_want=$(python -c 'import hashlib; print(hashlib.sha256(open("package.json","rb").read() + open("package-lock.json","rb").read()).hexdigest())')
if [ "$(cat "$npm_stamp" 2>/dev/null)" != "$npm_want" ]; then
  if ! command -v npm >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[book] installing Node.js and npm (apt-get) to fetch the book's JavaScript"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  if ! command -v npm >/dev/null; then
    echo "[book] npm (Node.js) is needed once, to fetch the book's JavaScript: install Node.js (Debian: apt-get install npm)" >&2
    exit 1
  fi
  echo "[book] installing the book's JavaScript (npm ci)"
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null
  echo "$npm_want" > "$npm_stamp"
fi
python scripts/vendor_js.py

status=0
python scripts/book_state.py prepare || status=$?
if [ "$status" = 3 ]; then
  [ -d _build/html/handouts ] || python scripts/handouts.py
  echo "[book] built: $PWD/_build/html/index.html (up to date)"
  exit 0
elif [ "$status" != 0 ]; then
  exit "$status"
fi
jupyter-book build . -W -n --keep-going
python scripts/handouts.py   # the chapters printed to PDF (no solutions): _build/html/handouts/
python scripts/book_state.py done
echo "[book] built: $PWD/_build/html/index.html; notebook editions in $PWD/_build/notebooks"
