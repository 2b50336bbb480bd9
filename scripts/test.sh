#!/usr/bin/env bash
# Run every test (set-up included): build the book when it is not current (a broken build fails), then pytest.
# Extra arguments go to pytest: `bash scripts/test.sh -k flops` (the build is skipped when nothing changed).
# The browser tests (tests/browser) open the built book in Chromium with the network blocked.
# `bash scripts/test.sh -m "not book"` is the unit tier: it needs neither the built book nor Chromium, so it skips both.
set -euo pipefail
cd "$(dirname "$0")/.."
unit_only=0
prev=""
for arg in "$@"; do
  if [ "$prev" = "-m" ] && [[ "$arg" == *"not book"* ]]; then unit_only=1; fi
  prev=$arg
done
if [ "$unit_only" = 1 ]; then
  bash scripts/setup.sh
  exec .venv/bin/python -m pytest "$@"
fi
chromium=${RXT_CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[test] installing Chromium for the browser tests (apt-get)"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
fi
if ! command -v pdftotext >/dev/null && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "[test] installing poppler-utils for the handout tests (apt-get)"   # pdftotext reads the chapter PDFs
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils >/dev/null
fi
if [ ! -x "$chromium" ]; then
  echo "[test] the browser tests need Chromium at $chromium: install it (Debian: apt-get install chromium) or set RXT_CHROMIUM to its path" >&2
  exit 1
fi
bash scripts/build_book.sh
status=0
.venv/bin/python -m pytest "$@" || status=$?
if [ "$status" = 5 ]; then
  echo "[test] pytest selected no test: check the arguments ($*)" >&2
fi
exit "$status"
