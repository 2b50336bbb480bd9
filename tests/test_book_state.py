"""scripts/book_state.py, the rule that decides what a build executes again, on a small book in a temporary folder:
every way a build could be left stale, or redo work it need not, with a real Sphinx build where Sphinx's own
bookkeeping is what could go wrong. (Each case failed with the rule as it was before issue 20.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import book_state

ROOT = Path(__file__).resolve().parent.parent
CONF = 'extensions = ["myst_parser"]\nexclude_patterns = ["_build"]\nroot_doc = "intro"\n'
TOC = "root: intro\nchapters:\n- file: chapters/01_a\n- file: chapters/02_b\n- file: instructors\n"
GUIDE = "---\nkernelspec:\n  name: python3\n---\n\n# The guide\n\nIts chapter map reads every chapter.\n"


@pytest.fixture
def book(tmp_path, monkeypatch) -> Path:
    """A two-chapter book (Markdown pages, a package module) that book_state takes for the repository."""
    (tmp_path / "chapters").mkdir()
    (tmp_path / "resnext_teach").mkdir()
    (tmp_path / "_toc.yml").write_text(TOC)
    (tmp_path / "conf.py").write_text(CONF)
    (tmp_path / "intro.md").write_text("# Intro\n\nThe front page.\n")
    (tmp_path / "chapters" / "01_a.md").write_text("# Chapter A\n\nfirst version of A\n")
    (tmp_path / "chapters" / "02_b.md").write_text("# Chapter B\n\nthe text of B\n")
    (tmp_path / "instructors.md").write_text(GUIDE)
    (tmp_path / "resnext_teach" / "core.py").write_text('"""The module."""\n\n\ndef f(x):\n    """Twice x."""\n'
                                                         '    return 2 * x  # doubled\n')
    monkeypatch.setattr(book_state, "ROOT", tmp_path)
    for name, value in (("BUILD", tmp_path / "_build"), ("STAMP", tmp_path / "_build" / "book-state.json")):
        monkeypatch.setattr(book_state, name, value, raising=False)  # the names the rule used before
    return tmp_path


def sphinx(book: Path) -> None:
    """What `jupyter-book build` does to the folders book_state looks at (_build/.doctrees, _build/html)."""
    subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-d", str(book / "_build" / ".doctrees"),
                    str(book), str(book / "_build" / "html")], check=True, capture_output=True)
    index = book / "_build" / "html" / "index.html"
    index.exists() or index.write_text('<meta http-equiv="Refresh" content="0; url=intro.html" />')  # as jupyter-book


def build(book: Path) -> int:
    """scripts/build_book.sh: prepare, build unless up to date, record."""
    status = book_state.prepare()
    if status != book_state.UP_TO_DATE:
        sphinx(book)
        book_state.done()
    return status


def html(book: Path, page: str) -> str:
    return (book / "_build" / "html" / f"{page}.html").read_text(encoding="utf-8")


def fake_build(book: Path) -> None:
    """A build's traces without Sphinx: a doctree per page and the front page."""
    for page in book_state.pages():
        doctree = book / "_build" / ".doctrees" / page.relative_to(book).with_suffix(".doctree")
        doctree.parent.mkdir(parents=True, exist_ok=True)
        doctree.write_text("read")
    (book / "_build" / "html").mkdir(parents=True, exist_ok=True)
    (book / "_build" / "html" / "index.html").write_text("built")


def fake(book: Path) -> int:
    """`build` with `fake_build` for Sphinx."""
    status = book_state.prepare()
    if status != book_state.UP_TO_DATE:
        fake_build(book)
        book_state.done()
    return status


@pytest.mark.book  # Sphinx builds: seconds each, so in the slow tier
def test_a_page_edited_while_the_build_runs_is_built_again(book):
    assert book_state.prepare() == 0
    sphinx(book)
    (book / "chapters" / "01_a.md").write_text("# Chapter A\n\nsecond version of A\n")  # saved before `done`
    book_state.done()
    assert not book_state.is_current(), "the build read the old page; the record must not say it read the new one"
    assert build(book) == 0 and "second version of A" in html(book, "chapters/01_a")
    assert build(book) == book_state.UP_TO_DATE


@pytest.mark.book
def test_a_change_that_keeps_the_old_modification_time_is_read_again(book):
    """`cp -p` and `tar x` keep a file's time; Sphinx alone re-reads only a file newer than its last reading."""
    page = book / "chapters" / "01_a.md"
    assert build(book) == 0 and "first version of A" in html(book, "chapters/01_a")
    assert book_state.is_current() and build(book) == book_state.UP_TO_DATE
    old = page.stat()
    page.write_text("# Chapter A\n\nsecond version of A\n")
    os.utime(page, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert build(book) == 0
    assert "second version of A" in html(book, "chapters/01_a")
    assert "the text of B" in html(book, "chapters/02_b")


def test_a_changed_chapter_reads_the_guide_again_and_keeps_the_other_chapter(book):
    fake(book)
    doctrees = book / "_build" / ".doctrees"
    (book / "chapters" / "01_a.md").write_text("# Chapter A\n\nsecond version of A\n")
    kept = (doctrees / "chapters" / "02_b.doctree").stat().st_mtime_ns
    assert book_state.prepare() == 0
    assert not (doctrees / "chapters" / "01_a.doctree").exists() and not (doctrees / "instructors.doctree").exists()
    assert (doctrees / "chapters" / "02_b.doctree").stat().st_mtime_ns == kept


def test_a_failed_build_executes_again_only_what_it_was_asked_to(book):
    fake(book)  # a finished build of both chapters
    (book / "chapters" / "01_a.md").write_text("# Chapter A\n\nsecond version of A\n")
    assert book_state.prepare() == 0  # ... and this build fails: no `done`
    assert book_state.prepare() == 0  # the next build
    doctrees = book / "_build" / ".doctrees"
    assert (doctrees / "chapters" / "02_b.doctree").exists(), "chapter B was current: it is not executed again"
    assert not (doctrees / "chapters" / "01_a.doctree").exists(), "chapter A was not built: it is built now"
    assert not book_state.is_current()


def test_a_docstring_or_comment_edit_executes_nothing_and_a_code_edit_executes_every_page(book):
    fake(book)
    module = book / "resnext_teach" / "core.py"
    module.write_text('"""The module, reworded."""\n\n\ndef f(x):\n    """Two times x."""\n'
                      '    # a new comment\n    return 2 * x\n')
    assert book_state.is_current() and book_state.prepare() == book_state.UP_TO_DATE
    module.write_text('"""The module."""\n\n\ndef f(x):\n    """Twice x."""\n    return 3 * x\n')
    assert not book_state.is_current()
    assert book_state.prepare() == 0 and not (book / "_build" / ".doctrees").exists(), "every page executes again"


def test_an_upgraded_distribution_in_the_environment_executes_every_page(book, tmp_path_factory, monkeypatch):
    def install(version: str) -> Path:
        site = tmp_path_factory.mktemp("site")
        info = site / f"rxt_fake_dist-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: rxt-fake-dist\nVersion: {version}\n")
        return site

    old = str(install("1.0"))
    monkeypatch.syspath_prepend(old)
    fake(book)
    assert book_state.is_current()
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != old] + [str(install("2.0"))])  # pip's upgrade
    assert not book_state.is_current()
    assert book_state.prepare() == 0 and not (book / "_build" / ".doctrees").exists()


def git(book: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args], cwd=book, check=True,
                   capture_output=True)


def test_committing_the_package_rewrites_the_editions_pin_without_executing_anything(book):
    """The trap of issue 20: a build before committing, a commit, and the build said "up to date" while the
    editions pinned the old commit. The pin is part of the record: a commit makes the build rewrite the editions
    (Sphinx reads nothing), and the record then names the new commit."""
    git(book, "init", "-q")
    git(book, "add", "-A")
    git(book, "commit", "-qm", "first")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=book, capture_output=True, text=True).stdout.strip()
    fake(book)
    (book / "resnext_teach" / "core.py").write_text('def f(x):\n    return 3 * x\n')
    assert fake(book) == 0  # the build before committing
    assert book_state.is_current()
    git(book, "commit", "-qam", "second")
    assert not book_state.is_current(), "the editions pin no commit: the build must rewrite them"
    assert book_state.edition_ref() not in (None, head)
    assert book_state.is_current(editions=False), "the executed pages are still current"
    assert book_state.prepare() == 0
    assert (book / "_build" / ".doctrees" / "chapters" / "01_a.doctree").exists(), "nothing executes again"
    book_state.done()
    assert book_state.recorded()["edition_ref"] == book_state.edition_ref() and book_state.is_current()
    (book / "resnext_teach" / "new.py").write_text("X = 1\n")
    assert book_state.edition_ref() is None, "an untracked module: no commit holds the package"


@pytest.mark.parametrize("shows", ["module", "page"])
def test_a_docstring_edit_executes_every_page_again_while_something_can_show_it(book, shows):
    """A module that reads docstrings (``__doc__``, ``help(``) or a page that shows a traceback (the package's lines
    and line numbers) makes the package's every character count."""
    if shows == "module":
        (book / "resnext_teach" / "cli.py").write_text('"""Usage."""\nDESCRIPTION = __doc__\n')
    else:
        (book / "chapters" / "02_b.md").write_text("# Chapter B\n\n```{code-cell}\n:tags: [raises-exception]\nf(None)\n```\n")
    fake(book)
    module = book / "resnext_teach" / "core.py"
    module.write_text(module.read_text().replace("Twice x.", "Two times x."))
    assert not book_state.is_current()
    assert book_state.prepare() == 0 and not (book / "_build" / ".doctrees").exists()


@pytest.mark.book
def test_a_failed_first_build_keeps_the_pages_it_finished_without_a_warning(book):
    """After a package change every page runs; if one fails (-W: any warning), the next build runs only that one:
    the book's extension records the pages read and written without a warning (book-state.progress.json)."""
    (book / "conf.py").write_text(CONF + f"import sys\nsys.path.insert(0, {str(ROOT / '_ext')!r})\n"
                                  "from resnext_book import track_progress\n"
                                  "def setup(app):\n    track_progress(app)\n")
    (book / "intro.md").write_text("# Intro\n\n```{toctree}\nchapters/01_a\nchapters/02_b\n```\n")
    (book / "chapters" / "02_b.md").write_text("# Chapter B\n\nsee {unknownrole}`x`\n")
    assert book_state.prepare() == 0  # no record: every page
    failed = subprocess.run([sys.executable, "-m", "sphinx", "-b", "html", "-q", "-W", "--keep-going", "-d",
                             str(book / "_build" / ".doctrees"), str(book), str(book / "_build" / "html")],
                            capture_output=True, text=True)
    assert failed.returncode != 0 and "unknownrole" in failed.stderr
    doctrees = book / "_build" / ".doctrees"
    assert book_state.prepare() == 0
    assert (doctrees / "chapters" / "01_a.doctree").exists(), "chapter A finished: it is not executed again"
    assert not (doctrees / "chapters" / "02_b.doctree").exists(), "chapter B warned: it runs again"
    assert set(book_state.recorded()["pages"]) >= {"chapters/01_a.md", "intro.md"}
    assert "chapters/02_b.md" not in book_state.recorded()["pages"]
