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
import logging as logging_
import re
import shutil
import sys
from pathlib import Path

import nbformat
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

import editions
import reading_time

LOGGER = logging.getLogger(__name__)
CHAPTER = re.compile(r"^chapters/(?P<number>\d+)_")
ROOT = Path(__file__).resolve().parent.parent


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


def edition_ref(build: Path) -> str | None:
    """The commit the editions pin: the one ``scripts/book_state.py prepare`` recorded for this build (so the record
    and the editions agree), else what its rule gives now (HEAD, or None when the package has uncommitted changes)."""
    try:
        return json.loads((build / "book-state.pending.json").read_text())["edition_ref"]
    except (OSError, ValueError, KeyError):
        pass
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import book_state
    finally:
        sys.path.pop(0)
    return book_state.edition_ref()


# A MyST role or directive that reached the reader as text: "{glue:text}", "{cite:p}", "{ref}", "```{exercise}".
RAW_MYST = re.compile(r"\{[a-z][a-z0-9_+.-]*(?::[a-z0-9_+.-]+)*\}|^[ \t]*(?:`{3,}|~{3,}|:{3,})\{[^}\n]*\}", re.M)
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]+\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)  # inline math may wrap lines


def raw_myst(text: str) -> list[str]:
    """The MyST roles and directives left raw in ``text`` (prose, code spans included; math is skipped: its braces are
    LaTeX's)."""
    return [m.group(0).strip() for m in RAW_MYST.finditer(MATH.sub(" ", text))]


def _no_raw_myst_on_the_page(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Warn (``-W``: fail the build) for every role or directive shown raw on a page, inline code included. Code
    cells (their source and printed outputs are Python's, not MyST) and math are not prose."""
    skip = (nodes.literal_block, nodes.math, nodes.math_block, nodes.raw, nodes.comment)
    for node in doctree.findall(nodes.Text):
        if any(isinstance(parent, skip) for parent in _ancestors(node)):
            continue
        marks = raw_myst(node.astext())
        if marks:
            LOGGER.warning(f"MyST markup shown raw on the page: {marks} (a role inside a code span is not parsed: "
                           f"write it outside the backticks)", location=node.parent, type="resnext", subtype="raw")
    for block in doctree.findall(nodes.literal_block):
        language = str(block.get("language", ""))
        if language.startswith("{") and language.endswith("}"):  # ```{name} that MyST did not run as a directive
            LOGGER.warning(f"a directive shown as a code block: {language}", location=block, type="resnext",
                           subtype="raw")


class _Progress(logging_.Handler):
    """Which pages this build read and wrote without a warning: after a failed build (-W: any warning), the next one
    need not execute them again. Written at build-finished to ``_build/book-state.progress.json`` with the
    fingerprint ``scripts/book_state.py prepare`` took (``book-state.pending.json``), which merges it."""

    def __init__(self) -> None:
        super().__init__(logging_.WARNING)
        self.read: set[str] = set()
        self.locations: list[str | None] = []

    def emit(self, record: logging_.LogRecord) -> None:
        self.locations.append(getattr(record, "location", None))

    def before_read(self, app: Sphinx, env, docnames: list[str]) -> None:
        self.read.update(docnames)

    def finished(self, app: Sphinx, exception: Exception | None) -> None:
        build = Path(app.outdir).parent
        try:
            pending = json.loads((build / "book-state.pending.json").read_text())
        except (OSError, ValueError):
            return  # not a build that scripts/book_state.py prepared
        if exception is not None or any(not isinstance(where, str) for where in self.locations):
            return  # interrupted, or a warning that names no page: nothing is known to be good
        root = Path(app.srcdir).resolve()
        good = {}
        for docname in self.read:
            path = Path(str(app.env.doc2path(docname))).resolve()
            page = path.relative_to(root).as_posix() if path.is_relative_to(root) else None
            if page in pending["pages"] and not any(where.split(":")[0] == str(path) or
                                                    where.startswith(str(path) + ":") for where in self.locations):
                good[page] = pending["pages"][page]
        shared = {key: pending[key] for key in ("python", "environment", "code")}
        (build / "book-state.progress.json").write_text(json.dumps({**shared, "pages": good}, indent=1))


def track_progress(app: Sphinx) -> None:
    """Record the pages a failed build finished (see ``_Progress``)."""
    progress = _Progress()
    logging_.getLogger("sphinx").addHandler(progress)
    app.connect("env-before-read-docs", progress.before_read)
    app.connect("build-finished", progress.finished)


def _ancestors(node: nodes.Node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


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
    for label, (docname, anchor) in env.domaindata["std"]["anonlabels"].items():
        if docname and label not in labels:  # a label on a paragraph: {ref} gives it an explicit title
            labels[label] = editions.Target(docname, anchor, "")
    numbers = {}
    for docname, found in exercise_numbers(env).items():
        for ident, (chapter, k) in found.items():
            numbers[ident] = f"{chapter}.{k}"
            labels[ident] = editions.Target(docname, ident, f"Exercise {chapter}.{k}")
    commit = edition_ref(Path(app.outdir).parent)
    ref = commit or "main"  # the source branch (the launch branch holds only notebooks)
    install = f"resnext-teach[book] @ git+{url}@{ref}"
    built = (f"commit {commit[:7]}" if commit else
             "uncommitted changes to the package (a preview: its install cell installs the main branch)")

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
        times={docname: r["sentence"] for docname, r in getattr(env, "rxt_readings", {}).items()},
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
    def glued(docname: str) -> dict[str, dict[str, str]]:
        path = build / "jupyter_execute" / f"{docname}.glue.json"
        data = json.loads(path.read_text()) if path.exists() else {}
        return {name: out.get("data", {}) for name, out in data.items()}

    for docname in sorted(app.env.found_docs):
        source = editions.read_page(Path(str(app.env.doc2path(docname))))
        if source is None:
            continue
        executed_path = build / "jupyter_execute" / f"{docname}.ipynb"
        executed = nbformat.read(executed_path, as_version=4) if executed_path.exists() else None
        edition = editions.convert(source, executed, docname, glued, book)
        colab = target / f"{docname}.ipynb"
        student = target / "student" / f"{Path(docname).name}_student.ipynb"
        pairs = [(colab, edition.colab)] + ([(student, edition.student)] if edition.exercises else [])
        for path, nb in pairs:
            for i, cell in enumerate(nb.cells):
                marks = raw_myst(cell.source) if cell.cell_type == "markdown" else []
                if marks:
                    LOGGER.warning(f"MyST markup left raw in the notebook edition, cell {i}: {marks}",
                                   location=docname, type="resnext", subtype="raw")
            path.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, path)
            written.append(path)
        download = outdir / "_sources" / f"{docname}.ipynb"
        if download.parent.is_dir():
            shutil.copyfile(colab, download)  # the page's ".ipynb" button downloads the edition
    LOGGER.info(f"[editions] wrote {len(written)} notebook editions to {target}")
    return written


def _colab_opens_the_edition(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """The launch button opens ``<page>.ipynb`` on the launch branch (the Colab edition): the theme names the page's
    source, which for a MyST Markdown notebook ends in ``.md`` and which Colab cannot open."""
    for group in context.get("header_buttons", []):
        for button in group.get("buttons", []) if group.get("label") == "launch-buttons" else []:
            if button.get("text") == "Colab" and button.get("url", "").endswith(f"/{pagename}.md"):
                button["url"] = button["url"].removesuffix(".md") + ".ipynb"


def _build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is None and app.builder.format == "html":
        write_editions(app)
        readings = getattr(app.env, "rxt_readings", {})  # what each page asks of a reader (_ext/reading_time.py)
        (Path(app.outdir).parent / "reading-time.json").write_text(json.dumps(readings, indent=1, sort_keys=True))


def setup(app: Sphinx) -> dict:
    _register_bibliography_style()
    reading_time.setup(app)  # the {time-needed} role: each chapter's "Time needed", counted from the page
    app.connect("config-inited", _config_inited)
    app.connect("env-get-updated", _renumber_exercises, priority=900)
    app.connect("doctree-resolved", _no_raw_myst_on_the_page)
    track_progress(app)
    app.connect("html-page-context", _colab_opens_the_edition, priority=502)  # after the theme's launch buttons
    app.connect("build-finished", _build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
