"""Execute chapter notebooks the way the build does (fresh kernel, top to bottom) and report time and errors.

    .venv/bin/python scripts/run_chapter.py chapters/02_grouped_convolution.md [...]

Exits non-zero if a cell fails (cells tagged ``raises-exception`` may raise) or writes to stderr.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient


def execute(path: Path, timeout: int = 600):
    """Execute one notebook in its own folder, as the build does; return it with its outputs."""
    nb = jupytext.read(path)  # a MyST Markdown notebook (or an .ipynb)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    return nb


def run(path: Path, timeout: int = 600) -> tuple[float, list[str]]:
    """Execute one notebook in its own folder; return (seconds, problems)."""
    start = time.perf_counter()
    nb = execute(path, timeout)
    seconds = time.perf_counter() - start
    problems = []
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                problems.append(f"cell {i}: stderr: {out['text'][:300]!r}")
    return seconds, problems


def main() -> int:
    status = 0
    for arg in sys.argv[1:]:
        seconds, problems = run(Path(arg))
        print(f"{arg}: executed in {seconds:.1f} s")
        for p in problems:
            print("  " + p)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main())
