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
# A directive block: an opening fence (``` or :::, three or more) with the directive name, up to the same fence.
def _block(name: str) -> re.Pattern[str]:
    return re.compile(
        r"^(?P<fence>[`:]{3,})\{" + re.escape(name) + r"\}.*?^(?P=fence)[ \t]*$\n?", re.MULTILINE | re.DOTALL
    )


SOLUTION_START = _block("solution-start")
SOLUTION_END = _block("solution-end")
SOLUTION = _block("solution")
EXERCISE = re.compile(r"^\s*[`:]{3,}\{exercise\}", re.MULTILINE)


def _strip_markdown(text: str, inside: bool) -> tuple[str, bool]:
    """Remove gated solutions (which may span cells) and plain ``{solution}`` blocks from one markdown cell.
    ``inside`` says whether the cell starts within a gated solution; returns the kept text and the new state."""
    kept = []
    while text:
        if inside:
            end = SOLUTION_END.search(text)
            if end is None:
                return "".join(kept), True
            text, inside = text[end.end():], False
        else:
            start = SOLUTION_START.search(text)
            if start is None:
                if SOLUTION_END.search(text):
                    raise ValueError("found {solution-end} without a {solution-start} before it")
                kept.append(text)
                break
            kept.append(text[: start.start()])
            text, inside = text[start.end():], True
    return SOLUTION.sub("", "".join(kept)), inside


def strip_solutions(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, int]:
    """Return a copy of ``nb`` without solutions or outputs, and how many cells were removed or shortened."""
    kept, changed, inside = [], 0, False
    for cell in nb.cells:
        cell = nbformat.from_dict(cell)
        if cell.cell_type == "markdown":
            text, inside_after = _strip_markdown(cell.source, inside)
            if text != cell.source:
                changed += 1
            inside = inside_after
            if not text.strip():
                continue
            cell.source = text.strip("\n")
        elif inside:
            changed += 1
            continue
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        kept.append(cell)
    if inside:
        raise ValueError("a {solution-start} has no matching {solution-end}")
    out = nbformat.from_dict(nb)
    out.cells = kept
    return out, changed


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
        print(f"{target}: {exercises} exercises kept, {removed} cells with solutions removed or shortened")
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
