"""Export student notebooks: solutions removed, exercises and their check cells kept, outputs stripped.

    .venv/bin/python scripts/export_student.py [--out student_notebooks] [chapters/02_grouped_convolution.ipynb ...]

One file per chapter (``<name>_student.ipynb``). Removed: every cell from a ``{solution-start}`` directive to its
``{solution-end}`` (inclusive), and every markdown cell holding a ``{solution}`` directive. Kept: everything else,
including the ``{exercise}`` text and the cell that calls the exercise's check function, so a student can check
an answer in Colab. The set-up cell stays, so the notebook installs ``resnext_teach`` where it is missing.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
SOLUTION_START = re.compile(r"^\s*[`:]{3,}\{solution-start\}", re.MULTILINE)
SOLUTION_END = re.compile(r"^\s*[`:]{3,}\{solution-end\}", re.MULTILINE)
SOLUTION = re.compile(r"^\s*[`:]{3,}\{solution\}", re.MULTILINE)
EXERCISE = re.compile(r"^\s*[`:]{3,}\{exercise\}", re.MULTILINE)


def strip_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return a copy of ``nb`` without solutions or outputs, and how many cells were removed."""
    kept, removed, inside = [], 0, False
    for cell in nb.cells:
        text = cell.source if cell.cell_type == "markdown" else ""
        if inside:  # within a gated solution: drop everything up to and including {solution-end}
            removed += 1
            inside = not SOLUTION_END.search(text)
            continue
        if SOLUTION_START.search(text):
            removed += 1
            inside = not SOLUTION_END.search(text)
            continue
        if SOLUTION.search(text):
            removed += 1
            continue
        if SOLUTION_END.search(text):
            raise ValueError("found {solution-end} without a {solution-start} before it")
        cell = nbformat.from_dict(cell)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        kept.append(cell)
    if inside:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    out = nbformat.from_dict(nb)
    out.cells = kept
    return out, removed


def export(paths: list[Path], out_dir: Path) -> list[Path]:
    """Write the student version of each chapter to ``out_dir``; return the written paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        student, removed = strip_solutions(nb)
        exercises = sum(len(EXERCISE.findall(c.source)) for c in student.cells if c.cell_type == "markdown")
        target = out_dir / f"{path.stem}_student.ipynb"
        nbformat.write(student, target)
        print(f"{target}: {exercises} exercises kept, {removed} solution cells removed")
        written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: every chapters/*.ipynb")
    parser.add_argument("--out", type=Path, default=ROOT / "student_notebooks")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.ipynb"))
    if not paths:
        print("no chapter notebooks found", file=sys.stderr)
        return 1
    export(paths, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
