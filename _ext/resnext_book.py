"""The book's Sphinx extension (``sphinx.local_extensions`` in ``_config.yml``).

* The repository named once in ``_config.yml`` (``repository.url``) becomes the substitutions
  ``{{ repository_url }}``, ``{{ pages_url }}`` (the GitHub Pages address, or ``html.baseurl`` when set) and
  ``{{ issues_link }}`` (a link to the repository's issue tracker, where readers report a barrier).
* Exercises are numbered per chapter ("Exercise 2.3": chapter 2, third exercise), not across the book.
* The references page labels each entry as the text cites it ("Xie et al., 2017"), sorted by author
  (the pybtex style ``resnextbook``, ``bibtex_default_style`` in ``_config.yml``).
* After a successful build, every notebook page gets its notebook editions (``_ext/editions.py``):
  ``_build/notebooks/<page>.ipynb`` (the Colab edition, which the launch button opens once the publish workflow
  has pushed ``_build/notebooks`` to the launch branch) and ``_build/notebooks/student/<name>_student.ipynb``.
  The page's ".ipynb" download gives the Colab edition too.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
from sphinx.application import Sphinx
from sphinx.util import logging

import editions

LOGGER = logging.getLogger(__name__)
CHAPTER = re.compile(r"^chapters/(?P<number>\d+)_")


def repository(config) -> tuple[str, str, str]:
    """(repository URL, owner/name, GitHub Pages URL ending in "/") from the one setting in _config.yml."""
    url = config.html_theme_options.get("repository_url", "").rstrip("/")
    m = re.fullmatch(r"https://github\.com/(?P<owner>[^/]+)/(?P<name>[^/]+)", url)
    if m is None:
        raise ValueError(f"repository.url in _config.yml must be a GitHub repository URL, got {url!r}")
    pages = (config.html_baseurl or f"https://{m['owner']}.github.io/{m['name']}/").rstrip("/") + "/"
    return url, f"{m['owner']}/{m['name']}", pages


def _config_inited(app: Sphinx, config) -> None:
    url, _, pages = repository(config)
    config.myst_substitutions = {**config.myst_substitutions, "repository_url": url, "pages_url": pages,
                                 "issues_link": f"[the book's issue tracker]({url}/issues)"}


def exercise_numbers(env) -> dict[str, dict[str, tuple[int, int]]]:
    """docname -> {exercise id: (chapter, k)} for every chapter page, k counting the page's exercises in order."""
    numbers = {}
    for docname, figtypes in env.toc_fignumbers.items():
        chapter = CHAPTER.match(docname)
        found = figtypes.get("exercise", {})
        if chapter and found:
            in_order = sorted(found, key=lambda ident: found[ident])
            numbers[docname] = {ident: (int(chapter["number"]), k) for k, ident in enumerate(in_order, start=1)}
    return numbers


def _renumber_exercises(app: Sphinx, env) -> list[str]:
    """Runs after Sphinx numbered figures (priority 900 > the collector's 500): per-chapter exercise numbers."""
    changed = []
    for docname, numbers in exercise_numbers(env).items():
        if env.toc_fignumbers[docname]["exercise"] != numbers:
            env.toc_fignumbers[docname]["exercise"] = numbers
            changed.append(docname)
    return changed


def _git_commit(root: Path) -> str | None:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return out.stdout.strip() or None


def author_year(entry) -> str:
    """"Xie et al., 2017": how the text cites an entry (sphinxcontrib-bibtex's author_year style)."""
    from pybtex.richtext import Text

    people = entry.persons.get("author") or entry.persons.get("editor") or []
    names = [Text.from_latex(" ".join(p.last_names)).render_as("text") for p in people]
    who = names[0] if len(names) == 1 else " and ".join(names) if len(names) == 2 else f"{names[0]} et al."
    return f"{who}, {entry.fields.get('year', 'n.d.')}"


def _register_bibliography_style() -> None:
    """The pybtex style ``resnextbook``: unsrt's entries, labelled "Xie et al., 2017", sorted by author."""
    from pybtex.plugin import register_plugin
    from pybtex.style.formatting.unsrt import Style
    from pybtex.style.labels import BaseLabelStyle

    class AuthorYearLabels(BaseLabelStyle):
        def format_labels(self, sorted_entries):
            for entry in sorted_entries:
                yield author_year(entry)

    class BookStyle(Style):
        default_label_style = AuthorYearLabels
        default_sorting_style = "author_year_title"

    register_plugin("pybtex.style.formatting", "resnextbook", BookStyle, force=True)


def _citations(bibfiles: list[Path]):
    """key -> "Xie et al., 2017", as the author_year style writes it on the page."""
    from pybtex.database import parse_file

    entries = {}
    for path in bibfiles:
        entries.update(parse_file(str(path)).entries)

    def cite(key: str) -> str:
        if key not in entries:
            raise editions.EditionError(f"no bibliography entry {key!r}")
        return author_year(entries[key])

    return cite


def make_book(app: Sphinx) -> editions.Book:
    """Everything the editions need to know about the built book."""
    import resnext_teach

    url, _, pages = repository(app.config)
    env = app.env
    labels = {}
    for label, (docname, anchor, title) in env.domaindata["std"]["labels"].items():
        if docname and title:
            labels[label] = editions.Target(docname, anchor, title)
    numbers = {}
    for docname, found in exercise_numbers(env).items():
        for ident, (chapter, k) in found.items():
            numbers[ident] = f"{chapter}.{k}"
            labels[ident] = editions.Target(docname, ident, f"Exercise {chapter}.{k}")
    commit = _git_commit(Path(app.srcdir))
    ref = commit or "main"  # the source branch (the launch branch holds only notebooks)
    install = f"resnext-teach[book] @ git+{url}@{ref}"
    built = f"commit {commit[:7]}" if commit else "the working tree"

    def banner(docname: str, has_code: bool) -> str:
        where = f"*Notebook edition of [this page of the book]({pages}{docname}.html), built from {built}."
        if not has_code:
            return where + " It has no code to run: everything it shows was computed when the book was built.*"
        return (where + " Run the cells from the top: the first one installs what Colab lacks. The numbers in the "
                "text were computed when the book was built; timings in it were measured on the machine that built "
                "it, and the cells print your own.*")

    return editions.Book(
        pages_url=pages,
        labels=labels,
        cite=_citations([Path(app.srcdir) / b for b in app.config.bibtex_bibfiles]),
        setup_source=editions.setup_source(install, resnext_teach.__version__),
        banner=banner,
        exercise_numbers=numbers,
    )


def write_editions(app: Sphinx) -> list[Path]:
    """Write the Colab and student editions of every notebook page; return the written paths."""
    book = make_book(app)
    outdir = Path(app.outdir)
    build = outdir.parent
    target = build / "notebooks"
    shutil.rmtree(target, ignore_errors=True)
    written = []

    @functools.cache
    def glued(docname: str) -> dict[str, str]:
        path = build / "jupyter_execute" / f"{docname}.glue.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        return {name: out["data"]["text/plain"] for name, out in data.items() if "text/plain" in out.get("data", {})}

    for docname in sorted(app.env.found_docs):
        source = Path(str(app.env.doc2path(docname)))
        if source.suffix != ".ipynb":
            continue
        executed_path = build / "jupyter_execute" / f"{docname}.ipynb"
        executed = nbformat.read(executed_path, as_version=4) if executed_path.exists() else None
        edition = editions.convert(nbformat.read(source, as_version=4), executed, docname, glued, book)
        colab = target / f"{docname}.ipynb"
        student = target / "student" / f"{Path(docname).name}_student.ipynb"
        pairs = [(colab, edition.colab)] + ([(student, edition.student)] if edition.exercises else [])
        for path, nb in pairs:
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            written.append(path)
        download = outdir / "_sources" / f"{docname}.ipynb"
        if download.parent.is_dir():
            shutil.copyfile(colab, download)  # the page's ".ipynb" button downloads the edition
    LOGGER.info(f"[editions] wrote {len(written)} notebook editions to {target}")
    return written


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        write_editions(app)


def setup(app: Sphinx) -> dict:
    _register_bibliography_style()
    app.connect("config-inited", _config_inited)
    app.connect("env-get-updated", _renumber_exercises, priority=900)
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
