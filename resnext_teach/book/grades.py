"""Grade a folder of submitted student notebooks: one row per notebook in a CSV table, one feedback file per student.

The folder's layout (a folder per student, or a notebook per student)::

    SUBMISSIONS/alice/02_grouped_convolution_student.ipynb     student "alice", any number of chapters
    SUBMISSIONS/alice/03_cardinality_student.ipynb
    SUBMISSIONS/bob.ipynb                                      student "bob", one notebook

Deeper folders count for the student of the first folder; ``.ipynb_checkpoints`` folders and hidden files are
skipped. Each notebook runs alone (``grading.run_notebook``). The table has the columns ``student``,
``notebook``, ``chapter``, ``status``, ``detail``, one column per exercise ("Exercise 3.2": ``correct``,
``not yet``, ``unanswered``, ``error``; empty where the notebook has no such exercise), ``points`` (exercises
correct) and ``out_of``. ``FEEDBACK/<student>.md`` lists, per notebook, what each check said.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from pathlib import Path

from .grading import NOT_A_SANDBOX, Run, run_notebook

LAYOUT = "SUBMISSIONS/<student>/<notebook>.ipynb (a folder per student) or SUBMISSIONS/<student>.ipynb"
FIXED = ["student", "notebook", "chapter", "status", "detail"]


def find_submissions(folder: Path) -> list[tuple[str, Path]]:
    """``(student, path)`` for every notebook under ``folder``, sorted; raise ``ValueError`` naming the rule when
    the folder is missing or holds none."""
    if not folder.exists():
        raise ValueError(f"the submissions folder {folder} does not exist")
    if not folder.is_dir():
        raise ValueError(f"SUBMISSIONS must be a folder of notebooks ({LAYOUT}); {folder} is not a folder")
    found = []
    for path in sorted(folder.rglob("*.ipynb")):
        parts = path.relative_to(folder).parts
        if any(p.startswith(".") or p == ".ipynb_checkpoints" for p in parts) or not path.is_file():
            continue
        found.append((parts[0] if len(parts) > 1 else path.stem, path))
    if not found:
        raise ValueError(f"no .ipynb notebooks in {folder}: expected {LAYOUT}")
    return found


def _exercise_key(number: str) -> tuple[int, ...]:
    return tuple(int(p) for p in number.split("."))


def _safe_name(student: str) -> str:
    return re.sub(r"[^\w.-]+", "_", student).strip("._") or "student"


def write_table(out: Path, rows: list[tuple[str, str, Run]]) -> list[str]:
    """Write the grades table; returns the exercise columns ("Exercise 3.2"), in book order."""
    numbers = sorted({n for _, _, run in rows for n in run.exercises}, key=_exercise_key)
    columns = [f"Exercise {n}" for n in numbers]
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(FIXED + columns + ["points", "out_of"])
        for student, name, run in rows:
            cells = [run.exercises[n].verdict if n in run.exercises else "" for n in numbers]
            writer.writerow([student, name, run.chapter, run.status, run.detail, *cells, run.points, len(run.exercises)])
    return columns


def feedback_markdown(student: str, runs: list[tuple[str, Run]]) -> str:
    """A student's feedback: per notebook, its points, how its run ended, and each exercise's check message."""
    lines = [f"# Feedback for {student}", ""]
    for name, run in runs:
        lines += [f"## {name}" + (f" (chapter {run.chapter})" if run.chapter else ""), "",
                  f"{run.points} of {len(run.exercises)} exercises correct. Run: {run.status}"
                  + (f" - {run.detail}" if run.detail else "") + ".", ""]
        lines += [f"- Exercise {number}: **{v.verdict}**. {v.feedback}" for number, v in run.exercises.items()]
        lines.append("")
    return "\n".join(lines)


def grade_folder(folder: Path, out: Path, feedback: Path, timeout: float,
                 report: Callable[[str], None] = print) -> list[tuple[str, str, Run]]:
    """Run every submission, write the table to ``out`` and one feedback file per student into ``feedback``."""
    submissions = find_submissions(folder)
    report(NOT_A_SANDBOX)
    rows = []
    for i, (student, path) in enumerate(submissions, 1):
        name = path.relative_to(folder).as_posix()
        run = run_notebook(path, timeout)
        rows.append((student, name, run))
        report(f"[{i}/{len(submissions)}] {name}: {run.points}/{len(run.exercises)} correct, {run.status}"
               + (f" ({run.detail})" if run.detail else "") + f", {run.seconds:.1f} s")
    out.parent.mkdir(parents=True, exist_ok=True)
    columns = write_table(out, rows)
    feedback.mkdir(parents=True, exist_ok=True)
    students = sorted({s for s, _, _ in rows})
    used: set[str] = set()
    for student in students:
        name = base = _safe_name(student)
        while name.lower() in used:  # "a b" and "a_b" must not share a file
            name = f"{base}-{len(used)}"
        used.add(name.lower())
        text = feedback_markdown(student, [(n, r) for s, n, r in rows if s == student])
        (feedback / f"{name}.md").write_text(text, encoding="utf-8")
    report(f"Wrote {out} ({len(rows)} notebooks, {len(columns)} exercise columns) and {len(students)} feedback "
           f"files in {feedback}. {NOT_A_SANDBOX}")
    return rows
