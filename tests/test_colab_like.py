"""Do what Colab does: each chapter's notebook edition, alone in an empty folder, with every cell tag ignored
(Colab ignores them), executed top to bottom in an environment like Colab's (tests/colab_env.py).

Running a Colab edition runs every cell of the student edition too, in the same order: the student edition is the
Colab edition cut before its "Solutions" section (tests/test_editions.py checks that), so it is not run twice. The
Solutions section runs too, and must show nothing: its cells wait for ``SHOW_SOLUTIONS`` (Run all prints no answer).
Each edition is executed once, in the background from the start of the session (`colab_env.ColabRuns`, started by
tests/conftest.py when these tests are selected), one at a time, the longest first, while other tests run; each
test reads its chapter's report. Execution times are printed, not asserted (benchmarks/chapter_times.py reports them).
"""

from pathlib import Path

import pytest

from colab_env import ROOT, colab_runs
import sources

EDITIONS = ROOT / "_build" / "notebooks"
CHAPTERS = sources.CHAPTERS


def edition(chapter: Path) -> Path:
    return EDITIONS / "chapters" / f"{chapter.stem}.ipynb"


def editions(items: list[pytest.Item]) -> list[Path]:
    """The Colab editions these tests run, the last chapters (the longest runs) first."""
    chapters = {i.callspec.params["chapter"] for i in items
                if hasattr(i, "callspec") and "chapter" in i.callspec.params}
    return [edition(p) for p in sorted(chapters, key=lambda p: p.stem, reverse=True)]


def start(items: list[pytest.Item]) -> None:
    """Start in the background what the selected tests (`items`, of this module) will read: tests/conftest.py calls
    this once the session's tests are collected."""
    runs = colab_runs(editions(items))
    if any(i.name == "test_explorers_fall_back_to_python_callbacks_under_ipywidgets_7" for i in items):
        runs.script(FALLBACK, wait=False)


@pytest.fixture(scope="module")
def runs():
    return colab_runs([])  # the runs tests/conftest.py started, else none yet: each test asks for its edition


@pytest.fixture(scope="module")
def python(runs) -> Path:
    return runs.python()


def check_env(report: dict, python: Path) -> None:
    env = report["env"]
    assert env is not None, "the environment probe cell did not run"
    assert Path(env["python"]).parent == python.parent, "the notebook ran in another environment"
    assert env["ipywidgets"] == "7.7.1"
    assert "site-packages" in env["package"], "resnext_teach must come from the installed wheel, not the checkout"
    assert not report["stderr"], report["stderr"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_edition_runs_top_to_bottom_with_tags_ignored_in_a_colab_like_environment(runs, python, chapter):
    report = runs.report(edition(chapter))  # its tags dropped, run alone in an empty folder
    check_env(report, python)
    assert report["solutions_shown"] == 0, "Run all printed a worked solution: its cells must wait for the flag"
    print(f"{chapter.stem}: {report['seconds']:.1f} s in the Colab-like environment")


FALLBACK = r"""
import ipywidgets
assert not hasattr(ipywidgets, "Stack")
from resnext_teach.book.explorers import all_explorers
explorers = all_explorers()
assert explorers, "no explorers registered"
for name, ex in explorers.items():
    box = ex.widget()
    controls, pane = box.children[1:-1], box.children[-1]
    assert isinstance(pane, ipywidgets.HTML)
    for position in list(ex.positions())[:: max(1, len(list(ex.positions())) // 7)]:
        for control, widget in zip(ex.controls, controls):
            widget.index = control.options.index(position[control.name])
        assert pane.value == ex.pane(**position), (name, position)
print(len(explorers))
"""


def test_explorers_fall_back_to_python_callbacks_under_ipywidgets_7(runs):
    result = runs.script(FALLBACK)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip()) >= 1
