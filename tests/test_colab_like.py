"""Do what Colab does: each chapter's notebook edition, alone in an empty folder, with every cell tag ignored
(Colab ignores them), executed top to bottom in an environment like Colab's (tests/colab_env.py).

Running a Colab edition runs every cell of the student edition too, in the same order: the student edition is the
Colab edition cut before its "Solutions" section (tests/test_editions.py checks that), so it is not run twice.
Execution times are printed, not asserted (benchmarks/chapter_times.py reports them).
"""

import subprocess
from pathlib import Path

import nbformat
import pytest

from colab_env import ROOT, colab_python, execute_in
import sources

EDITIONS = ROOT / "_build" / "notebooks"
CHAPTERS = sources.CHAPTERS


@pytest.fixture(scope="module")
def python(tmp_path_factory) -> Path:
    return colab_python(tmp_path_factory.mktemp("wheel"))


def check_env(report: dict, python: Path) -> None:
    env = report["env"]
    assert env is not None, "the environment probe cell did not run"
    assert Path(env["python"]).parent == python.parent, "the notebook ran in another environment"
    assert env["ipywidgets"] == "7.7.1"
    assert "site-packages" in env["package"], "resnext_teach must come from the installed wheel, not the checkout"
    assert not report["stderr"], report["stderr"]


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_edition_runs_top_to_bottom_with_tags_ignored_in_a_colab_like_environment(python, chapter, tmp_path):
    source = EDITIONS / "chapters" / f"{chapter.stem}.ipynb"
    if not source.is_file():
        pytest.fail(f"{source} is missing: build the book first (bash scripts/build_book.sh)")
    nb = nbformat.read(source, as_version=4)
    for cell in nb.cells:
        cell.metadata.pop("tags", None)  # as Colab: no cell is skipped, none may raise
    stripped = tmp_path / chapter.name
    nbformat.write(nb, stripped)
    report = execute_in(python, stripped, tmp_path / "empty")
    check_env(report, python)
    print(f"{chapter.stem}: {report['seconds']:.1f} s in the Colab-like environment")


def test_explorers_fall_back_to_python_callbacks_under_ipywidgets_7(python):
    script = r"""
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
    result = subprocess.run([str(python), "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert int(result.stdout.strip()) >= 1
