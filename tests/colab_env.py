"""A Colab-like environment: a separate virtual environment with Colab's widget stack and the package from a wheel.

Colab ships ipywidgets 7.7.1 (no ``widgets.Stack``), an older PyTorch than the main environment, no myst-nb
and no torchinfo; it gets ``resnext_teach`` by pip. This builds ``.venv-colab`` to match: ipywidgets 7.7.1,
torch 2.13 (CPU build; it stands in for Colab's 2.11: a different, older release than the main environment's),
no torchvision, no myst-nb, and ``resnext_teach`` installed from a wheel built from this checkout with its ``[book]``
extra, as the editions' set-up cell installs it in Colab (that adds torchinfo, which Colab lacks). Notebooks are executed there by that environment's own Python.

Its processes run without PYTHONPATH (a checkout on it would shadow the wheel). ``ColabRuns`` executes each chapter's
edition once, in a background thread, one at a time: started when the session starts (tests/conftest.py), the runs
go on while the other tests run, and tests/test_colab_like.py reads their reports.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import nbformat

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


def clean_env() -> dict[str, str]:
    """This process's environment without PYTHONPATH, for .venv-colab's processes: Colab has no checkout on its path,
    and one would shadow the installed wheel."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def _pip(python: Path, *args: str) -> None:
    result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", *args], capture_output=True, text=True,
                            env=clean_env())
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
# what the Solutions section showed on Run all (its cells wait for SHOW_SOLUTIONS: nothing)
tail = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Solutions")),
            len(nb.cells) - 1)
shown = [o for c in nb.cells[tail:-1] for o in c.get("outputs", [])]
print(json.dumps({"seconds": seconds, "env": env, "stderr": stderr, "solutions_shown": len(shown)}))
"""


def execute_in(python: Path, notebook: Path, workdir: Path, started: list | None = None) -> dict:
    """Copy ``notebook`` alone into the empty ``workdir`` and execute it there with ``python``'s kernel (the process
    is appended to ``started`` while it runs, so that it can be stopped)."""
    workdir.mkdir(parents=True, exist_ok=True)
    assert not any(workdir.iterdir()), f"{workdir} must be empty"
    target = workdir / notebook.name
    shutil.copy(notebook, target)
    process = subprocess.Popen([str(python), "-c", RUNNER, str(target), str(workdir)], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=workdir, env=clean_env())
    if started is not None:
        started.append(process)
    stdout, stderr = process.communicate()
    result = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if result.returncode != 0:
        raise AssertionError(f"{notebook.name} failed in the Colab-like environment:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def colab_edition(edition: Path, folder: Path) -> Path:
    """``edition`` as Colab runs it, written into ``folder``: every cell tag dropped (Colab skips no cell)."""
    if not edition.is_file():
        raise FileNotFoundError(f"{edition} is missing: build the book first (bash scripts/build_book.sh)")
    nb = nbformat.read(edition, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("tags", None)  # as Colab: no cell is skipped, none may raise
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, folder / edition.name)
    return folder / edition.name


class ColabRuns:
    """The Colab-like environment made once, and each edition asked for executed in it once, in the order asked,
    by one background thread (a core's worth: the tests and the browser sweep share the machine with it).
    ``python()`` and ``report(edition)`` wait for their result and raise what it raised."""

    def __init__(self, editions: list[Path]) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="rxt-colab-"))
        self.started: list[subprocess.Popen] = []
        self.stopped = False
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="colab-like")
        self._python = self._pool.submit(colab_python, self.folder / "wheel")
        self._reports: dict[Path, Future] = {}
        self._scripts: dict[str, Future] = {}
        for edition in editions:
            self._submit(edition)

    def _submit(self, edition: Path) -> Future:
        if edition not in self._reports:
            self._reports[edition] = self._pool.submit(self._execute, edition)
        return self._reports[edition]

    def _execute(self, edition: Path) -> dict:
        if self.stopped:
            raise RuntimeError("the Colab-like runs were stopped")
        python = self._python.result()
        notebook = colab_edition(edition, self.folder / edition.stem / "stripped")
        return execute_in(python, notebook, self.folder / edition.stem / "empty", self.started)

    def _script(self, code: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(self._python.result()), "-c", code], capture_output=True, text=True,
                              env=clean_env())

    def script(self, code: str, wait: bool = True) -> subprocess.CompletedProcess | None:
        """Run ``code`` with the environment's Python once (queued after what was asked before); its result."""
        with _LOCK:
            if code not in self._scripts:
                self._scripts[code] = self._pool.submit(self._script, code)
            future = self._scripts[code]
        return future.result() if wait else None

    def python(self) -> Path:
        return self._python.result()

    def report(self, edition: Path) -> dict:
        """The report of ``edition``'s run (``RUNNER``'s: seconds, the environment probe, stderr)."""
        with _LOCK:
            future = self._submit(edition)
        return future.result()

    def stop(self) -> None:
        """Stop what is still running or waiting, and remove the folder."""
        self.stopped = True
        for future in [*self._reports.values(), *self._scripts.values()]:
            future.cancel()
        for process in self.started:
            if process.poll() is None:
                process.kill()
        self._pool.shutdown(wait=True)
        shutil.rmtree(self.folder, ignore_errors=True)


_RUNS: ColabRuns | None = None
_LOCK = threading.Lock()


def colab_runs(editions: list[Path]) -> ColabRuns:
    """The session's runs of these editions, started now unless they already are."""
    global _RUNS
    with _LOCK:
        if _RUNS is None:
            _RUNS = ColabRuns(editions)
        return _RUNS


def stop_colab_runs() -> None:
    global _RUNS
    with _LOCK:
        if _RUNS is not None:
            _RUNS.stop()
            _RUNS = None
