"""Export the student editions of the chapters: plain notebooks without solutions, for assignments.

    .venv/bin/python scripts/export_student.py [--out student_notebooks] [--force] [02_grouped_convolution ...]

A thin wrapper around ``resnext-teach export-student`` (``resnext_teach/book/export.py``) that builds the book
first when the build is not current (``scripts/book_state.py``). The build writes the editions
(``_build/notebooks/student/<chapter>_student.ipynb``, made by ``_ext/editions.py``): the chapter as Colab shows it,
every number written into the text, exercises headed "Exercise 2.3" with their check cells, no solutions, outputs
stripped, and a first cell that installs ``resnext_teach`` where it is missing. A notebook in ``--out`` that was
edited since the last export is never overwritten unless ``--force`` is given.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "_build" / "notebooks" / "student"
sys.path.insert(0, str(Path(__file__).parent))
import book_state  # noqa: E402

from resnext_teach.book import cli  # noqa: E402
from resnext_teach.book import export as exporting  # noqa: E402


def _build_if_needed() -> None:
    if not book_state.is_current() or not STUDENT.is_dir():
        print("[export] building the book first (bash scripts/build_book.sh)")
        subprocess.run(["bash", str(ROOT / "scripts" / "build_book.sh")], check=True)


def export(out_dir: Path, chapters: list[str] | None = None, force: bool = False) -> list[Path]:
    """Copy the student editions (all, or those whose names start with one of ``chapters``) to ``out_dir``."""
    _build_if_needed()
    return exporting.export(STUDENT, out_dir, chapters, force=force)


def main() -> int:
    args = sys.argv[1:]
    if "-h" not in args and "--help" not in args:
        _build_if_needed()
    if not any(a == "--out" or a.startswith("--out=") for a in args):
        args += ["--out", str(ROOT / "student_notebooks")]
    return cli.main(["export-student", "--source", str(STUDENT), *args])


if __name__ == "__main__":
    sys.exit(main())
