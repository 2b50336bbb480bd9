#!/usr/bin/env bash
# Run every test (set-up included): build the book (a broken build fails), then the test suite, whose browser tests
# (tests/browser) open the built book in Chromium with the network blocked.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${RXT_CHROMIUM:-}" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "[test] installing Chromium for the browser tests (apt-get)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null
  else
    echo "[test] Chromium is missing, so the browser tests will fail: install Debian's chromium package" >&2
  fi
fi
bash scripts/build_book.sh
.venv/bin/python -m pytest "$@"
