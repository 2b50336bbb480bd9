"""Print how long each page of the book takes to execute, and the whole book, against the book's goals.

    .venv/bin/python benchmarks/chapter_times.py [--rounds 1] [chapters/07_claims_about_learning.md ...]

Each notebook runs in a fresh kernel in its own folder, top to bottom, as the build runs it
(scripts/run_chapter.py). With several rounds the notebooks are interleaved (1, 2, ..., 6, 1, 2, ...) so that a
busy machine slows all alike, and the median and the range are printed. Goals (2-core CPU): the whole book within
120 s of execution, chapter 7 (the training experiments) within 60 s. This prints; no test asserts a time.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
from run_chapter import run  # noqa: E402

GOALS_S = {"07_claims_about_learning": 60.0}
BOOK_GOAL_S = 120.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds={args.rounds} must be at least 1")
    paths = args.notebooks or sorted((ROOT / "chapters").glob("*.md")) + [ROOT / "instructors.md"]
    import torch

    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__}, "
          f"Python {platform.python_version()}; {args.rounds} interleaved round(s)")
    times: dict[str, list[float]] = {p.stem: [] for p in paths}
    for _ in range(args.rounds):
        for path in paths:
            seconds, problems = run(path)
            times[path.stem].append(seconds)
            for problem in problems:
                print(f"  {path.stem}: {problem}")
    print(f"{'page':28} {'median s':>9} {'min s':>7} {'max s':>7}  goal")
    total = 0.0
    for stem, values in times.items():
        median = statistics.median(values)
        total += median
        goal = GOALS_S.get(stem)
        verdict = "" if goal is None else f"<= {goal:.0f} s: {'met' if max(values) <= goal else 'NOT met'}"
        print(f"{stem:28} {median:9.1f} {min(values):7.1f} {max(values):7.1f}  {verdict}")
    if not args.notebooks:
        print(f"{'whole book':28} {total:9.1f} {'':7} {'':7}  <= {BOOK_GOAL_S:.0f} s: "
              f"{'met' if total <= BOOK_GOAL_S else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
