#!/usr/bin/env bash
# Run every test (set-up included): build the book (a broken build fails), then the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build_book.sh
.venv/bin/python -m pytest "$@"
