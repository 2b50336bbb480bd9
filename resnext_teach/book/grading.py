"""Run one submitted student notebook in its own kernel, with a time limit, and read its exercises' verdicts.

``resnext-teach grade`` (``book/cli.py``) calls ``run_notebook`` for each submission; ``book/grades.py`` writes
the table and the feedback. What a run does:

1. reads the notebook and finds its exercises: the "### Exercise N.M" headings of the student edition (and the
   list the build writes into the notebook's metadata, ``metadata.resnext_teach.exercises``); every code cell
   from an exercise's paragraph to the next exercise or heading belongs to that exercise;
2. starts a kernel on this Python (``sys.executable``) in an empty temporary folder, runs a first cell of its own
   that records every check call (``exercises/recorder.py``), then the notebook's cells one by one, going on past
   a cell that raises (as nbgrader's autograde does), until the time limit for the whole notebook is spent;
3. gives each exercise the verdict of the last check called in its cells: ``correct``, ``not yet`` (answered,
   wrong), ``unanswered`` (still ``None``) or ``error`` (no check ran there: the cell raised or was deleted, or
   the run stopped before it).

Whatever the notebook does (raise, loop, exit, kill its kernel, clear its outputs), the result is a ``Run`` with a
status (``completed``, ``error``, ``time-out``) and never an exception. It is not a sandbox: the notebook's code
runs as the user who grades, with that user's files and network. Grade untrusted work inside a container.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from jupyter_client.kernelspec import KernelSpec
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbclient.exceptions import CellTimeoutError, DeadKernelError

CORRECT, NOT_YET, UNANSWERED, ERROR = "correct", "not yet", "unanswered", "error"
"""An exercise's verdict in the grades table."""

NOT_A_SANDBOX = ("This is not a sandbox: each notebook runs as you, with your files and network. "
                 "Grade untrusted work inside a container.")

# "### Exercise 2.3" (the editions' heading) or "**Exercise 2.3**" (editions built before it was a heading)
_EXERCISE = re.compile(r"^(?:#{1,6} |\*\*)Exercise (?P<number>\d+\.\d+)\b", re.MULTILINE)
_HEADING = re.compile(r"^#{1,6} ", re.MULTILINE)
_CHAPTER = re.compile(r"^# Chapter (?P<number>\d+):", re.MULTILINE)


@dataclass
class Verdict:
    """One exercise's result: its verdict and what its check said (or why none ran)."""

    verdict: str
    feedback: str


@dataclass
class Run:
    """One notebook run: its chapter, status, a one-line reason, each exercise's verdict, the time it took."""

    chapter: str
    status: str                      # "completed", "error" or "time-out"
    detail: str = ""
    exercises: dict[str, Verdict] = field(default_factory=dict)  # "3.2" -> Verdict, in the notebook's order
    seconds: float = 0.0

    @property
    def points(self) -> int:
        return sum(v.verdict == CORRECT for v in self.exercises.values())


def exercise_map(nb: nbformat.NotebookNode) -> tuple[list[str], dict[int, str]]:
    """The notebook's exercise numbers in order, and ``{cell index: exercise number}`` for the code cells that
    belong to an exercise (from its paragraph to the next exercise or heading)."""
    listed = nb.metadata.get("resnext_teach", {}).get("exercises", [])
    numbers = [str(n) for n in listed] if isinstance(listed, list) else []
    owner: dict[int, str] = {}
    current = None
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            source = str(cell.source)
            found = list(_EXERCISE.finditer(source))
            if found:
                current = found[-1].group("number")
                numbers += [m.group("number") for m in found if m.group("number") not in numbers]
                if _HEADING.search(source[found[-1].end():]):
                    current = None
            elif _HEADING.search(source):
                current = None
        elif cell.cell_type == "code" and current is not None:
            owner[index] = current
    return numbers, owner


def chapter_of(nb: nbformat.NotebookNode, numbers: list[str]) -> str:
    """The chapter number, from the "# Chapter N:" title (else from the first exercise's number), or ""."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and (m := _CHAPTER.search(str(cell.source))):
            return m.group("number")
    return numbers[0].split(".")[0] if numbers else ""


class _ThisPython(AsyncKernelManager):
    """A kernel on the grader's own interpreter, whatever kernels are installed: it has the recorder."""

    @property
    def kernel_spec(self) -> KernelSpec:
        return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                          display_name="Python 3 (resnext-teach grade)", language="python")


class _Client(NotebookClient):
    """Keeps no outputs but errors: the verdicts come from the recorder, and an endless print must not fill
    the grader's memory."""

    def output(self, outs: list, msg: dict, display_id: str | None, cell_index: int) -> Any:
        if msg.get("msg_type") != "error":
            return None
        return super().output(outs, msg, display_id, cell_index)


def _records(path: Path) -> list[dict[str, Any]]:
    """The check calls recorded so far (lines that are not a well-formed record are skipped)."""
    if not path.is_file():
        return []
    found = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and {"correct", "answered", "feedback"} <= record.keys():
            found.append(record)
    return found


def _verdict(record: dict[str, Any]) -> Verdict:
    verdict = CORRECT if record["correct"] is True else NOT_YET if record["answered"] is True else UNANSWERED
    return Verdict(verdict, str(record["feedback"]))


def run_notebook(path: str | Path, timeout: float) -> Run:
    """Run the notebook at ``path`` in a fresh kernel for at most ``timeout`` seconds of cell execution and
    return each exercise's verdict. Never raises on what the notebook holds or does."""
    start = time.monotonic()
    try:
        nb = nbformat.read(str(path), as_version=4)
        numbers, _ = exercise_map(nb)
    except Exception as error:  # not JSON, not a notebook, an unknown nbformat...
        return Run("", ERROR, f"not a readable notebook ({type(error).__name__}: {str(error)[:200]})")
    run = Run(chapter_of(nb, numbers), "completed")
    with tempfile.TemporaryDirectory(prefix="resnext-grade-") as tmp:
        records = Path(tmp) / "checks.jsonl"
        work = Path(tmp) / "work"
        work.mkdir()
        nb.cells.insert(0, nbformat.v4.new_code_cell(
            "from resnext_teach.book.exercises.recorder import record_checks\n"
            f"record_checks({str(records)!r})"))
        _, owner = exercise_map(nb)
        got: dict[str, Verdict] = {}
        errors: list[str] = []
        replies: dict[int, dict] = {}
        client = _Client(nb, timeout=max(1, math.ceil(timeout)), allow_errors=True, kernel_manager_class=_ThisPython,
                         shutdown_kernel="immediate", resources={"metadata": {"path": str(work)}},
                         on_cell_executed=lambda cell, cell_index, execute_reply: replies.update({cell_index: execute_reply}))
        deadline = time.monotonic() + timeout
        index, seen = 0, 0
        try:
            with client.setup_kernel(stderr=subprocess.DEVNULL):  # the kernel's own log lines: noise here
                deadline = time.monotonic() + timeout  # the limit is for the cells, not the kernel's start
                for index, cell in enumerate(nb.cells):
                    if cell.cell_type != "code":
                        continue
                    left = deadline - time.monotonic()
                    if left <= 0:
                        raise CellTimeoutError(f"no time left before cell {index}")
                    client.timeout = max(1, math.ceil(left))
                    client.execute_cell(cell, index)
                    new = _records(records)[seen:]
                    seen += len(new)
                    if index in owner and new:
                        got[owner[index]] = _verdict(new[-1])
                    content = (replies.get(index) or {}).get("content", {})
                    if any(p.get("source") == "ask_exit" for p in content.get("payload", [])):  # IPython's exit()
                        run.status = ERROR
                        run.detail = f"exit() in cell {index} ended the kernel: the cells after it did not run"
                        break
                    if content.get("status") == "error":
                        where = "the grader's first cell (is resnext_teach installed?)" if index == 0 else f"cell {index}"
                        errors.append(f"{content.get('ename', 'Error')} in {where}: {str(content.get('evalue', ''))[:200]}")
                        if index == 0:
                            break
        except CellTimeoutError:
            run.status = "time-out"
            run.detail = f"stopped at the time limit ({timeout:g} s) in cell {index}"
        except DeadKernelError:
            run.status = ERROR
            run.detail = f"the kernel died in cell {index} (the notebook ended its own process?)"
        except Exception as error:  # the kernel would not start, a message it could not parse...
            run.status = ERROR
            run.detail = f"the run stopped in cell {index}: {type(error).__name__}: {str(error)[:200]}"
        late = _records(records)[seen:]  # a check recorded by the cell that timed out or died
        if late and index in owner:
            got[owner[index]] = _verdict(late[-1])
    if errors and run.status == "completed":
        run.status = ERROR
    if errors:
        run.detail = "; ".join(filter(None, [run.detail, errors[0] + (f" (and {len(errors) - 1} more)" if len(errors) > 1 else "")]))
    why = {"time-out": "the run stopped at the time limit before its check ran",
           ERROR: "no check ran for it (its cell raised or is missing, or the run stopped first)"}
    for number in numbers:
        run.exercises[number] = got.get(number) or Verdict(ERROR, why.get(run.status, why[ERROR]))
    run.seconds = time.monotonic() - start
    return run
