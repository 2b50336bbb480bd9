"""Shared test settings: deterministic, single-threaded torch so the suite is quiet on a 2-core machine."""

import os
import sys
from pathlib import Path

import pytest
import torch
from hypothesis import settings

sys.path.insert(0, str(Path(__file__).parent))  # test helpers such as colab_env
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))  # book_state: is the build current?
torch.set_num_threads(min(2, os.cpu_count() or 1))
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True)
settings.load_profile("ci")


@pytest.fixture(autouse=True)
def _seed() -> None:
    torch.manual_seed(0)


ROOT = Path(__file__).resolve().parent.parent


class ExecutedChapter:
    """A chapter notebook with its outputs, and the values it glued (name -> text/plain)."""

    def __init__(self, nb, glued: dict[str, str]) -> None:
        self.nb = nb
        self.glued = glued

    @property
    def errors(self) -> list[tuple[str, str]]:
        return [(o["ename"], o["evalue"]) for c in self.nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]

    @property
    def stdout(self) -> str:
        return "".join(o["text"] for c in self.nb.cells for o in c.get("outputs", [])
                       if o.get("output_type") == "stream" and o.get("name") == "stdout")

    @property
    def stderr(self) -> list[str]:
        return [o["text"] for c in self.nb.cells for o in c.get("outputs", [])
                if o.get("output_type") == "stream" and o.get("name") == "stderr"]


def _execute(path: Path) -> ExecutedChapter:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    glued = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name is not None:
                glued[name] = next(v for k, v in out["data"].items() if k.endswith("text/plain"))
    return ExecutedChapter(nb, glued)


@pytest.fixture(scope="session")
def executed_chapter():
    """``executed_chapter("02_grouped_convolution")``: the chapter as the book build executed it (read from
    ``_build/jupyter_execute`` when the build is current by scripts/book_state.py's rule, so the suite does not
    run chapters twice), else executed here."""
    import json

    import book_state
    import nbformat

    cache: dict[str, ExecutedChapter] = {}
    current = book_state.is_current()
    if not current:
        print("[tests] the build is not current: chapters are executed by the tests", book_state.stale_reasons())

    def get(stem: str) -> ExecutedChapter:
        if stem not in cache:
            source = ROOT / "chapters" / f"{stem}.ipynb"
            built = ROOT / "_build" / "jupyter_execute" / "chapters" / f"{stem}.ipynb"
            glue = built.with_suffix(".glue.json")
            if current and built.exists() and glue.exists():
                data = json.loads(glue.read_text())
                glued = {name: out["data"]["text/plain"] for name, out in data.items() if "text/plain" in out["data"]}
                cache[stem] = ExecutedChapter(nbformat.read(built, as_version=4), glued)
            else:
                cache[stem] = _execute(source)
        return cache[stem]

    return get


# Tests that read the built book (its pages, editions or executed notebooks) or run notebooks are marked `book`;
# the rest are the package's unit tests: `bash scripts/test.sh -m "not book"` runs just those.
BOOK_MODULES = {"test_editions", "test_built_site", "test_colab_like", "test_notebooks", "test_syllabus_and_exports",
                "test_timing_words"}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "book: reads the built book or executes notebooks (the rest are unit tests)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        module = Path(str(item.fspath))
        if (module.stem in BOOK_MODULES or module.parent.name == "browser"
                or "executed_chapter" in getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.book)
