"""The built HTML book (scripts/test.sh builds it first): each chapter page offers Colab and a .ipynb download."""

from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
REPO = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} has no built book: run `bash scripts/build_book.sh` first (scripts/test.sh does)")
    return SITE


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_page_has_colab_button_and_notebook_download(site, notebook):
    page = (site / "chapters" / f"{notebook.stem}.html").read_text(encoding="utf-8")
    owner_repo = REPO.removeprefix("https://github.com/")
    assert f"colab.research.google.com/github/{owner_repo}/blob/main/chapters/{notebook.name}" in page
    assert f"_sources/chapters/{notebook.name}" in page
    downloaded = site / "_sources" / "chapters" / notebook.name
    assert downloaded.read_bytes() == notebook.read_bytes(), "the download must be the notebook Colab opens"


def test_instructor_guide_and_references_are_built(site):
    guide = (site / "instructors.html").read_text(encoding="utf-8")
    for notebook in CHAPTERS:
        assert f'href="chapters/{notebook.stem}.html' in guide
    references = (site / "references.html").read_text(encoding="utf-8")
    assert "aggregated residual transformations for deep neural networks" in references.lower()
