"""`resnext-teach grade` and `resnext-teach export-student` (resnext_teach/book/cli.py, grading.py, grades.py,
export.py, exercises/recorder.py).

The grader is run as a student's instructor runs it: the console command on a folder of notebooks. Hand-made
notebooks check what a broken or hostile notebook does (raise, loop, exit, kill its kernel, clear its outputs, not
be JSON); the built student editions (marked `book`) are graded unanswered, with every answer filled in by
program from the package's own solvers (``Exercise.expected``); a raising cell and an endless loop are hand-made
notebooks' (the editions' time limit must let a whole chapter run, and a loop would burn a core that long).
Running a chapter costs what the chapter costs (chapter 1: about 20 s here, chapter 4: a minute), so the editions
run by default are chapter 1's; ``RXT_GRADE_ALL=1`` grades all seven (as the command does on any folder).
"""

from __future__ import annotations

import ast
import csv
import importlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from resnext_teach.book import cli
from resnext_teach.book.exercises import Exercise
from resnext_teach.book.export import ExportError, export
from resnext_teach.book.grading import NOT_A_SANDBOX
import sources

ROOT = Path(__file__).resolve().parent.parent
STUDENT = ROOT / "_build" / "notebooks" / "student"
CHAPTERS = [p.stem for p in sources.CHAPTERS]
RUN = CHAPTERS if os.environ.get("RXT_GRADE_ALL") else CHAPTERS[:1]


def grade(folder: Path, out: Path, timeout: float, limit: float) -> tuple[subprocess.CompletedProcess, list[dict]]:
    """Run the command as an instructor does; ``limit`` bounds the whole run (a hang fails the test)."""
    result = subprocess.run([sys.executable, "-m", "resnext_teach.book.cli", "grade", str(folder), "--out", str(out),
                             "--timeout", str(timeout)], capture_output=True, text=True, timeout=limit)
    assert result.returncode == 0, result.stderr[-3000:]
    with out.open(newline="", encoding="utf-8") as handle:
        return result, list(csv.DictReader(handle))


def exercise_columns(row: dict) -> dict[str, str]:
    return {k: v for k, v in row.items() if k.startswith("Exercise ") and v}


# --- filling in the answers by program ---------------------------------------------------------------------------

def _spec(function) -> Exercise:
    """The ``Exercise`` a public check function delegates to (its module's private spec)."""
    module = importlib.import_module(function.__module__)
    specs = [module.__dict__[n] for n in function.__code__.co_names if isinstance(module.__dict__.get(n), Exercise)]
    assert len(specs) == 1, f"{function.__name__}: expected one Exercise spec, found {len(specs)}"
    return specs[0]


def _callee(func: ast.expr, imported: dict[str, object]) -> object | None:
    """The check function a call names: ``check_x`` or ``module.check_x``."""
    if isinstance(func, ast.Name):
        return imported.get(func.id)
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id in imported:
        return getattr(imported[func.value.id], func.attr, None)
    return None


def fill_answers(nb: nbformat.NotebookNode) -> list[tuple[object, dict, object]]:
    """Replace ``answer = None`` in every exercise cell by the answer the package computes for its check call
    (with the call's own settings); returns ``(check function, settings, answer)`` for each cell filled."""
    imported: dict[str, object] = {}
    filled = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):  # from ...exercises.grouped import check_x / from ...exercises import cardinality
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("resnext_teach.book.exercises"):
                module = importlib.import_module(node.module)
                imported.update({a.asname or a.name: getattr(module, a.name, None)
                                 or importlib.import_module(f"{node.module}.{a.name}") for a in node.names})
        if "answer = None" not in cell.source:
            continue
        calls = [(n, _callee(n.func, imported)) for n in ast.walk(tree) if isinstance(n, ast.Call)
                 and n.args and isinstance(n.args[0], ast.Name) and n.args[0].id == "answer"]
        calls = [(n, f) for n, f in calls if f is not None]
        assert len(calls) == 1, f"one check call per exercise cell:\n{cell.source}"
        call, check = calls[0]
        settings = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        answer = _spec(check).expected(**settings)
        cell.source = cell.source.replace("answer = None", f"answer = {answer!r}", 1)
        assert eval(repr(answer), {}) == answer, f"{answer!r} does not read back as Python"
        filled.append((check, settings, answer))
    return filled


def student_edition(chapter: str) -> nbformat.NotebookNode:
    path = STUDENT / f"{chapter}_student.ipynb"
    if not path.is_file():
        pytest.fail(f"{path} is missing: build the book first (bash scripts/build_book.sh)")
    return nbformat.read(path, as_version=4)


@pytest.mark.book
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_every_exercise_of_every_student_edition_can_be_filled_with_a_right_answer(chapter):
    nb = student_edition(chapter)
    numbers = nb.metadata["resnext_teach"]["exercises"]
    filled = fill_answers(nb)
    assert len(filled) == len(numbers) > 0, (numbers, filled)
    for check, settings, answer in filled:  # each filled answer, checked here as the notebook's cell checks it
        feedback = check(answer, **settings)
        assert feedback.correct, (check.__name__, settings, answer, str(feedback))
    assert "answer = None" not in "".join(c.source for c in nb.cells if c.cell_type == "code")


# --- the grader on the built student editions --------------------------------------------------------------------

@pytest.mark.book
def test_grade_the_student_editions_blank_and_solved(tmp_path):
    folder = tmp_path / "submissions"
    for chapter in RUN:
        nb = student_edition(chapter)
        (folder / "blank").mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, folder / "blank" / f"{chapter}_student.ipynb")
        fill_answers(nb)
        (folder / "solved").mkdir(exist_ok=True)
        nbformat.write(nb, folder / "solved" / f"{chapter}_student.ipynb")
    # A raising cell and an endless loop are graded in the hand-made notebooks' test below (an edition's run costs
    # seconds of a core each; the loop would burn one for the editions' whole time limit).
    timeout = 600 if len(RUN) > 1 else 300
    start = time.monotonic()
    result, rows = grade(folder, tmp_path / "grades.csv", timeout, limit=timeout * 2 * len(RUN) + 120)
    print(f"graded {len(rows)} notebooks in {time.monotonic() - start:.0f} s")
    assert NOT_A_SANDBOX in result.stdout
    by = {(r["student"], Path(r["notebook"]).name): r for r in rows}
    assert len(rows) == 2 * len(RUN)
    for chapter in RUN:
        blank, solved = by["blank", f"{chapter}_student.ipynb"], by["solved", f"{chapter}_student.ipynb"]
        numbers = student_edition(chapter).metadata["resnext_teach"]["exercises"]
        assert set(exercise_columns(blank)) == {f"Exercise {n}" for n in numbers}
        assert blank["status"] == solved["status"] == "completed", (blank["detail"], solved["detail"])
        assert set(exercise_columns(blank).values()) == {"unanswered"} and blank["points"] == "0"
        assert set(exercise_columns(solved).values()) == {"correct"} and solved["points"] == solved["out_of"] == str(len(numbers))
    feedback = (tmp_path / "feedback" / "solved.md").read_text()
    assert feedback.count("**correct**") == sum(int(by["solved", f"{c}_student.ipynb"]["out_of"]) for c in RUN)
    assert "Correct!" in feedback


# --- hostile and broken notebooks (hand-made, no build needed) ----------------------------------------------------

def _chapter_like(*extra: str, answer: str = "None") -> nbformat.NotebookNode:
    """A small notebook shaped like a student edition (two exercises of chapter 1), with ``extra`` cells before
    the exercises."""
    nb = new_notebook()
    nb.cells = [new_markdown_cell("# Chapter 1: Standard convolution"), *[new_code_cell(s) for s in extra],
                new_markdown_cell("## Exercises\n\n**Exercise 1.1**\n\nCount the parameters."),
                new_code_cell("from resnext_teach.book.exercises.convolution import check_params_exercise\n\n"
                              f"answer = {answer}  # replace None with your answer\ncheck_params_exercise(answer)"),
                new_markdown_cell("### Exercise 1.2\n\nCount the multiply-accumulates."),  # the editions' form
                new_code_cell("from resnext_teach.book.exercises.convolution import check_macs_exercise\n\n"
                              "answer = None  # replace None with your answer\ncheck_macs_exercise(answer)")]
    return nb


def test_a_broken_or_hostile_notebook_gets_its_own_row_and_never_stops_the_run(tmp_path):
    from resnext_teach.book.exercises.convolution import check_params_exercise

    right = _spec(check_params_exercise).expected()
    folder = tmp_path / "submissions"
    (folder / "ann").mkdir(parents=True)
    notebooks = {
        "ann/clears.ipynb": _chapter_like(answer=repr(right)),
        "raises.ipynb": _chapter_like("raise ValueError('my bug')"),
        "loops.ipynb": _chapter_like("while True:\n    print('x' * 10000)"),
        "exits.ipynb": _chapter_like("import sys\nsys.exit(3)"),
        "quits.ipynb": _chapter_like("exit()"),  # IPython's exit(): no error, the kernel just ends after the cell
        "kills.ipynb": _chapter_like("import os\nos._exit(1)"),
    }
    notebooks["ann/clears.ipynb"].cells.append(new_code_cell("from IPython.display import clear_output\nclear_output()"))
    # as an edition does, the loop's notebook lists its exercises in its metadata, one of them without a cell
    notebooks["loops.ipynb"].metadata["resnext_teach"] = {"exercises": ["1.1", "1.2", "1.3"]}
    for name, nb in notebooks.items():
        nbformat.write(nb, folder / name)
    (folder / "garbled.ipynb").write_text("{not a notebook")
    (folder / ".ipynb_checkpoints").mkdir()
    nbformat.write(_chapter_like(), folder / ".ipynb_checkpoints" / "raises-checkpoint.ipynb")
    start = time.monotonic()
    result, rows = grade(folder, tmp_path / "out" / "grades.csv", timeout=8, limit=300)
    print(f"graded {len(rows)} hand-made notebooks in {time.monotonic() - start:.0f} s")
    by = {r["notebook"]: r for r in rows}
    assert sorted(by) == sorted([*notebooks, "garbled.ipynb"])  # checkpoints skipped
    assert by["ann/clears.ipynb"]["student"] == "ann" and by["raises.ipynb"]["student"] == "raises"
    assert exercise_columns(by["ann/clears.ipynb"]) == {"Exercise 1.1": "correct", "Exercise 1.2": "unanswered"}
    assert by["ann/clears.ipynb"]["status"] == "completed" and by["ann/clears.ipynb"]["points"] == "1"
    assert by["raises.ipynb"]["status"] == "error" and "ValueError in cell" in by["raises.ipynb"]["detail"]
    assert exercise_columns(by["raises.ipynb"]) == {"Exercise 1.1": "unanswered", "Exercise 1.2": "unanswered"}
    loop = 1 + next(i for i, c in enumerate(notebooks["loops.ipynb"].cells) if c.cell_type == "code")  # after the grader's cell
    assert by["loops.ipynb"]["status"] == "time-out" and f"in cell {loop}" in by["loops.ipynb"]["detail"], by["loops.ipynb"]
    assert exercise_columns(by["loops.ipynb"]) == {f"Exercise 1.{n}": "error" for n in (1, 2, 3)}
    assert by["exits.ipynb"]["status"] == "error" and "SystemExit" in by["exits.ipynb"]["detail"]
    assert by["kills.ipynb"]["status"] == "error" and "kernel died" in by["kills.ipynb"]["detail"]
    assert by["quits.ipynb"]["status"] == "error" and "exit() in cell" in by["quits.ipynb"]["detail"]
    assert set(exercise_columns(by["quits.ipynb"]).values()) == {"error"}
    assert set(exercise_columns(by["kills.ipynb"]).values()) == {"error"}
    assert by["garbled.ipynb"]["status"] == "error" and "not a readable notebook" in by["garbled.ipynb"]["detail"]
    assert all(r["points"] == "0" for n, r in by.items() if n != "ann/clears.ipynb")
    feedback = (tmp_path / "out" / "feedback" / "ann.md").read_text()
    assert "Exercise 1.1: **correct**. Correct!" in feedback and "Your turn." in feedback
    assert f"{right:,}" in feedback  # the check's own echo of a right answer
    assert NOT_A_SANDBOX in result.stdout


@pytest.mark.parametrize("args, message", [
    (["grade", "{tmp}/nowhere"], "does not exist"),
    (["grade", "{tmp}/empty"], "no .ipynb notebooks in"),
    (["grade", "{tmp}/file.ipynb"], "must be a folder of notebooks"),
    (["grade", "{tmp}/empty", "--timeout", "0"], "--timeout must be a positive, finite number of seconds"),
    (["grade", "{tmp}/empty", "--timeout", "inf"], "--timeout must be a positive, finite number of seconds"),
    (["grade", "{tmp}/empty", "--timeout", "ten"], "--timeout must be a number of seconds"),
    (["grade", "{tmp}/subs", "--out", "{tmp}/empty"], "--out must name a CSV file"),
])
def test_bad_arguments_get_one_line_that_names_the_rule(tmp_path, capsys, args, message):
    (tmp_path / "empty").mkdir()
    (tmp_path / "subs").mkdir()
    nbformat.write(_chapter_like(), tmp_path / "subs" / "a.ipynb")
    (tmp_path / "file.ipynb").write_text("{}")
    with pytest.raises(SystemExit) as stop:
        cli.main([a.replace("{tmp}", str(tmp_path)) for a in args])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_help_says_it_is_not_a_sandbox(capsys):
    with pytest.raises(SystemExit):
        cli.main(["grade", "--help"])
    assert "not a sandbox" in " ".join(capsys.readouterr().out.split())


# --- the student export ------------------------------------------------------------------------------------------

def test_export_never_overwrites_an_edited_notebook_unless_forced(tmp_path, capsys):
    source, out = tmp_path / "built", tmp_path / "assignment"
    source.mkdir()
    for name in ("01_a_student.ipynb", "02_b_student.ipynb"):
        nbformat.write(_chapter_like(), source / name)
    assert [p.name for p in export(source, out)] == ["01_a_student.ipynb", "02_b_student.ipynb"]
    nbformat.write(_chapter_like("print('rebuilt')"), source / "01_a_student.ipynb")  # a newer build
    export(source, out)  # replaces an unedited export
    assert "rebuilt" in (out / "01_a_student.ipynb").read_text()
    (out / "02_b_student.ipynb").write_text((out / "02_b_student.ipynb").read_text().replace("Count", "Counting"))
    edited = (out / "02_b_student.ipynb").read_bytes()
    with pytest.raises(ExportError, match="not overwriting .*02_b_student.ipynb.*--force"):
        export(source, out)
    assert (out / "02_b_student.ipynb").read_bytes() == edited
    assert cli.main(["export-student", "--source", str(source), "--out", str(out)]) == 1
    assert "02_b_student.ipynb" in capsys.readouterr().err
    (tmp_path / "mine").mkdir()
    shutil.copyfile(out / "02_b_student.ipynb", tmp_path / "mine" / "02_b_student.ipynb")  # no export wrote it
    with pytest.raises(ExportError, match="02_b_student"):
        export(source, tmp_path / "mine", ["02_b"])
    export(source, out, force=True)
    assert (out / "02_b_student.ipynb").read_bytes() == (source / "02_b_student.ipynb").read_bytes()
    with pytest.raises(ExportError, match="not a folder"):
        export(tmp_path / "nowhere", out)
    with pytest.raises(ExportError, match="no student editions match 09_x"):
        export(source, out, ["09_x"])
