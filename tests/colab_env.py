"""A Colab-like environment: a separate virtual environment with Colab's widget stack and the package from a wheel.

Colab ships ipywidgets 7.7.1 (no ``widgets.Stack``), an older PyTorch than the main environment, no myst-nb
and no torchinfo; it gets ``resnext_teach`` by pip. This builds ``.venv-colab`` to match: ipywidgets 7.7.1,
torch 2.13 (CPU build; it stands in for Colab's 2.11: a different, older release than the main environment's),
no torchvision, no myst-nb, and ``resnext_teach`` installed from a wheel built from this checkout with its ``[book]``
extra, as the editions' set-up cell installs it in Colab (that adds torchinfo, which Colab lacks). Notebooks are executed there by that environment's own Python.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COLAB_VENV = ROOT / ".venv-colab"
COLAB_PACKAGES = [
    "torch==2.13.0",
    "numpy",
    "ipywidgets==7.7.1",
    "matplotlib",
    "pandas",
    "tqdm",
    "scikit-learn",
    "ipykernel",
    "nbclient",
    "nbformat",
]
_MIRROR_NOTE = "is ignored: it is neither a file nor a directory"


def _pip(python: Path, *args: str) -> None:
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args], capture_output=True, text=True)
    if result.returncode != 0:
        err = "\n".join(line for line in result.stderr.splitlines() if _MIRROR_NOTE not in line)
        raise RuntimeError(f"pip install {' '.join(args)} failed:\n{err}")


def colab_python(wheel_dir: Path) -> Path:
    """Create or refresh ``.venv-colab`` and install the package from a freshly built wheel; return its python."""
    python = COLAB_VENV / "bin" / "python"
    stamp = COLAB_VENV / ".colab-packages"
    want = hashlib.sha256(json.dumps(COLAB_PACKAGES).encode()).hexdigest()
    if not python.exists() or not stamp.exists() or stamp.read_text() != want:
        shutil.rmtree(COLAB_VENV, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(COLAB_VENV)], check=True)
        _pip(python, *COLAB_PACKAGES)
        stamp.write_text(want)
    wheel_dir.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(wheel_dir), str(ROOT)],
        check=True, capture_output=True,
    )
    wheel = next(wheel_dir.glob("resnext_teach-*.whl"))
    _pip(python, "--force-reinstall", "--no-deps", str(wheel))
    _pip(python, f"{wheel}[book]")  # what the editions' set-up cell adds to Colab: the [book] extra (torchinfo)
    return python


RUNNER = r"""
import json, sys, time
import nbformat
from nbclient import NotebookClient
path = sys.argv[1]
nb = nbformat.read(path, as_version=4)
nb.cells.append(nbformat.v4.new_code_cell(
    "import sys, json, ipywidgets, resnext_teach, torch\n"
    "print('RXT-ENV ' + json.dumps({'python': sys.executable, 'ipywidgets': ipywidgets.__version__,"
    " 'torch': torch.__version__, 'package': resnext_teach.__file__}))"))
start = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": sys.argv[2]}}).execute()
seconds = time.perf_counter() - start
env = None
stderr = []
for cell in nb.cells:
    for out in cell.get("outputs", []):
        if out.get("name") == "stdout" and "RXT-ENV " in out.get("text", ""):
            env = json.loads(out["text"].split("RXT-ENV ", 1)[1])
        if out.get("name") == "stderr":
            stderr.append(out["text"][:300])
print(json.dumps({"seconds": seconds, "env": env, "stderr": stderr}))
"""


def execute_in(python: Path, notebook: Path, workdir: Path) -> dict:
    """Copy ``notebook`` alone into the empty ``workdir`` and execute it there with ``python``'s kernel."""
    workdir.mkdir(parents=True, exist_ok=True)
    assert not any(workdir.iterdir()), f"{workdir} must be empty"
    target = workdir / notebook.name
    shutil.copy(notebook, target)
    result = subprocess.run(
        [str(python), "-c", RUNNER, str(target), str(workdir)], capture_output=True, text=True, cwd=workdir
    )
    if result.returncode != 0:
        raise AssertionError(f"{notebook.name} failed in the Colab-like environment:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])
