#!/usr/bin/env bash
# Make (or refresh, or repair) the project's virtual environment .venv with everything the book and the tests need.
# Idempotent: re-installs only when requirements.txt or pyproject.toml changed since the last finished set-up. A
# .venv that this script made and left half-made (no working pip) is made again; a .venv that it did not make (a
# `uv venv`, say, which has no pip) is never deleted: the script says what is wrong and stops.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
hash_of() { "$PYTHON" -c 'import hashlib, sys; print(hashlib.sha256(b"".join(open(f, "rb").read() for f in sys.argv[1:])).hexdigest())' "$@"; }
made=.venv/.resnext-teach-made   # written by this script right after it creates .venv

if [ -e .venv ] && ! .venv/bin/python -m pip --version >/dev/null 2>&1; then
  if [ -f "$made" ] && [ ! -L .venv ]; then
    echo "[setup] .venv (made by this script) is incomplete (no working python or pip): making it again"
    rm -rf .venv
  else
    echo "[setup] .venv exists but has no working python with pip, and this script did not make it (a \`uv venv\`" \
         "has no pip): it is left as it is. Add pip to it (.venv/bin/python -m ensurepip), or move it away" \
         "(mv .venv .venv.old) and run this again to make a new one." >&2
    exit 1
  fi
fi
if [ ! -x .venv/bin/python ]; then
  echo "[setup] creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
  touch "$made"
fi
stamp=.venv/.resnext-teach-setup
want=$(hash_of requirements.txt pyproject.toml)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "[setup] installing requirements into .venv (first time: a few minutes; PyTorch is large)"
  rm -f "$stamp"   # written only once everything below has finished
  # (grep drops pip's notes about this machine's local package mirrors; errors still show)
  { .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -r requirements.txt
    .venv/bin/python -m pip install --quiet --no-deps -e .
  } 2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
  echo "$want" > "$stamp"
fi
.venv/bin/python -m ipykernel install --sys-prefix --name python3 >/dev/null
# torch and torchvision must be a matching pair (a torchvision release is built for one torch release and one device,
# CPU or CUDA): a mismatch fails on import with "operator torchvision::nms does not exist". Say so, and what to do.
.venv/bin/python - <<'PY'
import sys

import torch

try:
    import torchvision
except Exception as error:  # noqa: BLE001 - any import failure of the pair gets the same advice
    sys.exit(f"[setup] torchvision does not work with the torch in .venv (torch {torch.__version__}): "
             f"{type(error).__name__}: {error}\n[setup] They must be a matching pair, built for the same torch release "
             "and the same device (CPU or CUDA): install the torchvision made for this torch from the same place as "
             "torch, or delete .venv and run this again (it then installs pip's default pair).")
import resnext_teach

print(f"[setup] torch {torch.__version__}, torchvision {torchvision.__version__}, "
      f"resnext_teach {resnext_teach.__version__}")
PY
