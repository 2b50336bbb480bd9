"""The built HTML book (scripts/test.sh builds it first): each chapter page offers a .ipynb download (its Colab
button and the download's content are checked with the editions, in tests/test_editions.py)."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
from resnext_book import raw_myst  # noqa: E402
import sources
SITE = ROOT / "_build" / "html"
CHAPTERS = sources.CHAPTERS


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").exists():
        pytest.fail(f"{SITE} has no built book: run `bash scripts/build_book.sh` first (scripts/test.sh does)")
    return SITE


@pytest.mark.parametrize("notebook", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_chapter_page_has_a_notebook_download(site, notebook):
    page = (site / "chapters" / f"{notebook.stem}.html").read_text(encoding="utf-8")
    assert f"_sources/chapters/{notebook.stem}.ipynb" in page
    assert (site / "_sources" / "chapters" / f"{notebook.stem}.ipynb").is_file()


def test_instructor_guide_and_references_are_built(site):
    guide = (site / "instructors.html").read_text(encoding="utf-8")
    for notebook in CHAPTERS:
        assert f'href="chapters/{notebook.stem}.html' in guide
    references = (site / "references.html").read_text(encoding="utf-8")
    assert "aggregated residual transformations for deep neural networks" in references.lower()


def test_references_list_what_the_book_cites_labelled_as_the_text_cites_it(site):
    """Each entry of the references page is labelled "Xie et al., 2017" (as in the text), no LaTeX shows raw,
    and every entry of references.bib is cited somewhere (the page lists only cited works)."""
    import re

    page = (site / "references.html").read_text(encoding="utf-8")
    labels = re.findall(r'<span class="label"><span class="fn-bracket">\[</span>(.*?)<span class="fn-bracket">\]', page)
    assert labels and all(re.fullmatch(r"[^\d\[\]]+, \d{4}", label) for label in labels), labels
    entries = re.findall(r'<div class="citation"[^>]*role="doc-biblioentry">(.*?)</div>', page, re.S)
    assert len(entries) == len(labels)
    body = re.sub(r"<[^>]+>", " ", "".join(entries))
    assert "\\" not in body and "{" not in body and "Dollar" not in body
    keys = re.findall(r"^@\w+\{([^,]+),", (ROOT / "references.bib").read_text(), re.M)
    texts = [p.read_text(encoding="utf-8") for p in [*CHAPTERS, ROOT / "intro.md", sources.GUIDE]]
    uncited = [k for k in keys if not any(k in s for s in texts)]
    assert not uncited, f"references.bib holds entries no page cites: {uncited}"
    assert len(labels) == len(keys)


def test_no_myst_role_or_directive_shows_raw_on_any_built_page(site):
    """What reached the reader: every page's article, inline code included, code cells' source and math excepted
    (the build checks each page's doctree the same way; this reads the HTML it wrote)."""
    from bs4 import BeautifulSoup

    shown = {}
    pages = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts and p.name not in ("genindex.html", "search.html"))
    assert len(pages) >= 9, pages
    for path in pages:
        article = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").find("article")
        if article is None:
            continue
        for skip in article.select("script, style, div.cell_input, .math, div.highlight"):
            skip.decompose()
        marks = raw_myst(article.get_text(" "))
        if marks:
            shown[path.relative_to(site).as_posix()] = marks
    assert not shown, f"MyST markup shown raw: {shown}"


def test_no_progress_bar_reaches_a_built_page(site):
    """A training cell's tqdm bar would leave its partial lines ("training: 76%|####1 |") in the page: the build
    turns it off (RXT_BOOK_BUILD=1 in scripts/build_book.sh; experiments.training.progress_bar)."""
    for path in sorted((site / "chapters").glob("*.html")):
        found = re.findall(r"\d+%\|[ #0-9]*\| \d+/\d+ epochs", path.read_text(encoding="utf-8"))
        assert not found, f"{path.name}: {found[:2]}"


def test_the_progress_bar_is_off_only_while_the_book_builds(monkeypatch, capsys):
    from resnext_teach.experiments.training import progress_bar

    monkeypatch.setenv("RXT_BOOK_BUILD", "1")
    with progress_bar(2, desc="x") as bar:
        bar.update(2)
    assert capsys.readouterr().out == ""
    monkeypatch.delenv("RXT_BOOK_BUILD")
    with progress_bar(2, desc="x") as bar:  # Colab, Jupyter, a terminal: the bar shows
        bar.update(2)
    assert "2/2 epochs" in capsys.readouterr().out
