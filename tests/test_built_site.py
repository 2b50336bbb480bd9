"""The built HTML book (scripts/test.sh builds it first): each chapter page offers a .ipynb download (its Colab
button and the download's content are checked with the editions, in tests/test_editions.py)."""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} has no built book: run `bash scripts/build_book.sh` first (scripts/test.sh does)")
    return SITE


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_page_has_a_notebook_download(site, notebook):
    page = (site / "chapters" / f"{notebook.stem}.html").read_text(encoding="utf-8")
    assert f"_sources/chapters/{notebook.name}" in page
    assert (site / "_sources" / "chapters" / notebook.name).is_file()


def test_instructor_guide_and_references_are_built(site):
    guide = (site / "instructors.html").read_text(encoding="utf-8")
    for notebook in CHAPTERS:
        assert f'href="chapters/{notebook.stem}.html' in guide
    references = (site / "references.html").read_text(encoding="utf-8")
    assert "aggregated residual transformations for deep neural networks" in references.lower()
