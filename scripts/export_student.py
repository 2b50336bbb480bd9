"""Export the student editions of the chapters: plain notebooks without solutions, for assignments.

    .venv/bin/python scripts/export_student.py [--out student_notebooks] [02_grouped_convolution ...]

The build writes them (``_build/notebooks/student/<chapter>_student.ipynb``, made by ``_ext/editions.py``): the
chapter as Colab shows it, every number written into the text, exercises headed "Exercise 2.3" with their check
cells, no solutions, outputs stripped, and a first cell that installs ``resnext_teach`` where it is missing. This
script builds the book first when the build is not current (``scripts/book_state.py``), then copies them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "_build" / "notebooks" / "student"
sys.path.insert(0, str(Path(__file__).parent))
import book_state  # noqa: E402


def export(out_dir: Path, chapters: list[str] | None = None) -> list[Path]:
    """Copy the student editions (all, or those whose names start with one of ``chapters``) to ``out_dir``."""
    if not book_state.is_current() or not STUDENT.is_dir():
        print("[export] building the book first (bash scripts/build_book.sh)")
        subprocess.run(["bash", str(ROOT / "scripts" / "build_book.sh")], check=True)
    sources = sorted(STUDENT.glob("*_student.ipynb"))
    if chapters:
        sources = [p for p in sources if any(p.name.startswith(Path(c).stem) for c in chapters)]
    if not sources:
        raise SystemExit(f"no student editions match {chapters or 'any chapter'} in {STUDENT}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sources:
        target = out_dir / path.name
        shutil.copyfile(path, target)
        print(target)
        written.append(target)
    return written


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapters", nargs="*", help="chapter names, e.g. 02_grouped_convolution (default: all)")
    parser.add_argument("--out", type=Path, default=ROOT / "student_notebooks")
    args = parser.parse_args()
    export(args.out, args.chapters)
    return 0


if __name__ == "__main__":
    sys.exit(main())
