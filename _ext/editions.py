"""Notebook editions: the book's pages as plain notebooks that Colab, Jupyter and a student's download render.

Colab and classic Jupyter render CommonMark, HTML and ``$`` math, and ignore cell tags; MyST roles and directives
show there as raw text. An edition is a page's source notebook with every piece of MyST markup replaced by what
the HTML page shows in its place:

* ``{glue:text}`name:fmt``` -> the value the build glued, formatted as myst-nb formats it on the page;
* ``{glue:md}`name``` -> the Markdown the build glued (``notebook.as_code``: a layer written as code);
* ``{cite:p}`key``` -> "(Xie et al., 2017)", linked to the book's references page;
* ``{ref}`label``` -> a link to that section (or "Exercise 2.3") of the HTML book;
* ``(label)=`` lines -> nothing;
  ```` ```{admonition} Title ```` -> a block quote headed by the title;
* ``{exercise}`` -> a heading "### Exercise 2.3" (so the notebook's table of contents lists it) and its question;
* solutions (``{solution-start}`` ... ``{solution-end}``, or ``{solution}``) -> moved to a "Solutions" section at
  the end of the Colab edition, their code under ``if SHOW_SOLUTIONS:`` (False until the reader sets it, so Run
  all prints no answer); left out of the student edition (which is the Colab edition cut before them);
* the set-up cell -> one that installs ``resnext-teach[book]`` pinned to the commit the book was built from;
* a cell tagged ``remove-input`` whose output is Markdown -> that Markdown (what the page shows);
* a hidden cell that only hands values to the prose (``prose(...)``/``glue(...)`` calls) -> nothing: the
  edition's text holds those numbers already.

Anything else in MyST syntax raises :class:`EditionError`, so new markup cannot reach a notebook unnoticed.
Outputs are stripped: the reader runs the cells.
"""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

SOLUTIONS_HEADING = "## Solutions"
SHOW_SOLUTIONS = "SHOW_SOLUTIONS"  # the flag a Colab edition's solutions wait for
STUDENT_NOTE = (
    "> **Student edition.** This is the chapter with its exercises and without their worked solutions. Answer each "
    "exercise in its cell and run the check under it: it says *Correct*, gives a hint, or says what it expected. "
    "The solutions are public (the book's web page and its Colab edition show them, and the `resnext_teach` package "
    "computes every answer): the exercises are for practice, and an instructor who grades them says how.\n")
ROLE = re.compile(r"\{(?P<name>[a-z][\w:-]*)\}`(?P<body>[^`]*)`")
LABEL_LINE = re.compile(r"^\([^)\s]+\)=[ \t]*(\n|$)", re.M)
DIRECTIVE = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}[ \t]*(?P<arg>[^\n]*)\n(?P<body>.*?)^(?P=fence)[ \t]*(\n|$)",
    re.M | re.S,
)
OPTION = re.compile(r"^:(?P<key>[\w-]+):[ \t]*(?P<value>.*)$")
LOCAL_FILE = re.compile(r'href="(?P<path>handouts/[^"/]+\.pdf)"')  # raw HTML links to files of the site
LOCAL_LINK = re.compile(r"\]\((?!https?:|mailto:|#)(?P<path>[^)#\s]+?)\.(?:ipynb|md)(?P<anchor>#[^)\s]*)?\)")
# What a plain notebook client shows raw (the same marks as shared/tools/plain-notebook-view.py, and more).
MYST_ONLY = re.compile(
    r"\{[a-z][\w:-]*\}`[^`]*`"          # roles
    r"|^\(\S+\)=\s*$"                    # labels
    r"|^(```+|:::+)\s*\{[\w:-]+\}"       # directives
    r"|^:(label|class|name|tags?|nonumber):"  # directive options left as text
    r"|\{\{[^}]*\}\}",                   # substitutions
    re.M,
)


class EditionError(ValueError):
    """The page uses markup that has no plain-Markdown form yet, or names something the book does not have."""


@dataclass(frozen=True)
class Target:
    """Where a label points in the HTML book: the page (docname), the anchor, and the text a link shows."""

    docname: str
    anchor: str
    title: str


@dataclass
class Book:
    """What converting a page needs to know about the whole book."""

    pages_url: str                       # the HTML book's address, ending in "/"
    labels: Mapping[str, Target]         # section and exercise labels
    cite: Callable[[str], str]           # bibliography key -> "Xie et al., 2017"
    setup_source: str                    # the edition's set-up cell
    banner: Callable[[str, bool], str]   # (docname, has code cells) -> the note under the title
    exercise_numbers: Mapping[str, str] = field(default_factory=dict)  # exercise label -> "2.3"
    times: Mapping[str, str] = field(default_factory=dict)  # docname -> its computed "Time needed" sentence

    def page_url(self, docname: str, anchor: str = "") -> str:
        return f"{self.pages_url}{docname}.html" + (f"#{anchor}" if anchor else "")


@dataclass
class Edition:
    """A page converted: the Colab edition (solutions at the end) and the student edition (none)."""

    colab: nbformat.NotebookNode
    student: nbformat.NotebookNode
    exercises: list[str]


def exercise_labels(nb: nbformat.NotebookNode) -> list[str]:
    """The labels of a notebook's exercises, in order."""
    labels = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for m in DIRECTIVE.finditer(cell.source):
                if m.group("name") == "exercise":
                    label = _options(m.group("body"))[0].get("label")
                    if label is None:
                        raise EditionError(f"an exercise without :label: ({m.group(0)[:60]!r})")
                    labels.append(label)
    return labels


def _options(body: str) -> tuple[dict[str, str], str]:
    """Split a directive's body into its leading ``:key: value`` options and its content."""
    lines = body.split("\n")
    options = {}
    while lines and (m := OPTION.match(lines[0])):
        options[m.group("key")] = m.group("value").strip()
        lines.pop(0)
    return options, "\n".join(lines).strip("\n")


def _quote(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.split("\n"))


class _Converter:
    """Converts one page; ``glued(docname)`` maps each name that page glued to its data (mimetype -> text)."""

    def __init__(self, book: Book, docname: str, glued: Callable[[str], Mapping[str, Mapping[str, str]]]) -> None:
        self.book, self.docname, self.glued = book, docname, glued

    # --- inline markup ---------------------------------------------------------------------------------------
    def role(self, m: re.Match) -> str:
        name, body = m.group("name"), m.group("body")
        if name in ("glue:text", "glue:md"):
            from myst_nb.core.variables import format_plain_text  # the formatter the HTML page uses

            text = name == "glue:text"
            key, _, fmt = body.rpartition(":") if text and ":" in body.split("::")[-1] else (body, "", "")
            path, _, key = key.rpartition("::")  # "other/page.ipynb::key" glues from another page
            docname = posixpath.normpath(posixpath.join(posixpath.dirname(self.docname), path)).rsplit(".", 1)[0] \
                if path else self.docname
            mime = "text/plain" if text else "text/markdown"
            data = self.glued(docname).get(key)
            if data is None:
                raise EditionError(f"{self.docname}: {{{name}}}`{body}` names a value {docname} never glued")
            if mime not in data:
                raise EditionError(f"{self.docname}: {{{name}}}`{body}`: {key!r} was glued without {mime}")
            return format_plain_text(data[mime], fmt) if text else data[mime]
        if name == "time-needed":  # _ext/reading_time.py: what the page shows
            if body.strip() not in self.book.times:
                raise EditionError(f"{self.docname}: {{time-needed}}`{body}` names no page of the book")
            return self.book.times[body.strip()]
        if name in ("cite:p", "cite:t"):
            refs = self.book.page_url("references")
            keys = [k.strip() for k in body.split(",")]
            if name == "cite:p":
                return "(" + "; ".join(f"[{self.book.cite(k)}]({refs})" for k in keys) + ")"
            parts = [self.book.cite(k).rsplit(", ", 1) for k in keys]
            return "; ".join(f"[{who} ({year})]({refs})" for who, year in parts)
        if name == "ref":
            explicit = re.fullmatch(r"(?P<text>.*?)\s*<(?P<label>[^>]+)>", body, re.S)
            label = explicit.group("label") if explicit else body.strip()
            target = self.book.labels.get(label)
            if target is None:
                raise EditionError(f"{self.docname}: {{ref}}`{body}` points to an unknown label {label!r}")
            text = explicit.group("text") if explicit else target.title
            if not text:
                raise EditionError(f"{self.docname}: {{ref}}`{body}` needs a title: {label!r} labels a paragraph")
            return f"[{text}]({self.book.page_url(target.docname, target.anchor)})"
        raise EditionError(f"{self.docname}: the role {{{name}}} has no plain-Markdown form in the editions")

    def inline(self, text: str) -> str:
        text = ROLE.sub(self.role, text)
        text = LOCAL_FILE.sub(lambda m: f'href="{self.book.pages_url}{m.group("path")}"', text)  # the site's PDFs
        return LOCAL_LINK.sub(lambda m: f"]({self.book.page_url(m.group('path').lstrip('./'))}{m.group('anchor') or ''})",
                              text)

    # --- a markdown cell, cut at solution boundaries ----------------------------------------------------------
    def markdown(self, source: str) -> list[tuple[str, str]]:
        """Convert one markdown cell into pieces ``(kind, text)``: kind is "text", "solution-start LABEL",
        "solution-end" or "solution LABEL" (a whole solution in one directive)."""
        pieces, pos = [], 0
        source = LABEL_LINE.sub("", source)
        for m in DIRECTIVE.finditer(source):
            pieces.append(("text", source[pos:m.start()]))
            pos = m.end()
            name, arg = m.group("name"), m.group("arg").strip()
            options, content = _options(m.group("body"))
            if name == "exercise":
                number = self.book.exercise_numbers[options["label"]]
                # a heading, so that the notebook's table of contents lists the exercises (Colab shows it)
                title = f"### Exercise {number}" + (f" ({self.inline(arg)})" if arg else "")
                pieces.append(("text", f"{title}\n\n{content}\n"))
            elif name == "admonition":
                pieces.append(("text", _quote(f"**{arg}**\n\n{content}") + "\n"))
            elif name == "solution-start":
                pieces.append((f"solution-start {arg}", ""))
            elif name == "solution-end":
                pieces.append(("solution-end", ""))
            elif name == "solution":
                pieces.append((f"solution {arg}", content))
            else:
                raise EditionError(f"{self.docname}: the directive {{{name}}} has no plain-Markdown form in the editions")
        pieces.append(("text", source[pos:]))
        return [(kind, self.inline(text).strip("\n")) for kind, text in pieces]


def read_page(path: Path) -> nbformat.NotebookNode | None:
    """A page's source as a notebook: a ``.ipynb``, or a MyST Markdown notebook (a ``.md`` whose front matter has a
    ``kernelspec``, as jupytext writes it); None for a page of plain Markdown."""
    if path.suffix == ".ipynb":
        return nbformat.read(path, as_version=4)
    text = path.read_text(encoding="utf-8")
    if not re.match(r"---\n(?:.*\n)*?kernelspec:", text):
        return None
    import jupytext

    return jupytext.reads(text, fmt="md:myst")


def convert(nb: nbformat.NotebookNode, executed: nbformat.NotebookNode | None, docname: str,
            glued: Callable[[str], Mapping[str, Mapping[str, str]]], book: Book) -> Edition:
    """Make the Colab and student editions of one page.

    ``nb`` is the source notebook; ``executed`` the build's executed copy (for ``remove-input`` Markdown outputs;
    cells correspond one to one); ``glued(docname)`` a page's glued values (name -> mimetype -> text)."""
    conv = _Converter(book, docname, glued)
    body: list[nbformat.NotebookNode] = []
    solutions: list[tuple[str, list[nbformat.NotebookNode]]] = []
    current: list[nbformat.NotebookNode] | None = None  # cells of the solution being collected
    setup_done = False
    exercises = exercise_labels(nb)
    verdicts: dict[str, list[str]] = {}  # solution label -> the verdicts its checks showed when the build ran it

    def emit(cell: nbformat.NotebookNode) -> None:
        (current if current is not None else body).append(cell)

    for index, cell in enumerate(nb.cells):
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            for kind, text in conv.markdown(cell.source):
                if kind.startswith("solution-start"):
                    if current is not None:
                        raise EditionError(f"{docname}: a solution starts inside another")
                    current = []
                    solutions.append((kind.split(" ", 1)[1], current))
                elif kind == "solution-end":
                    if current is None:
                        raise EditionError(f"{docname}: {{solution-end}} without {{solution-start}}")
                    current = None
                elif kind.startswith("solution "):
                    solutions.append((kind.split(" ", 1)[1], [nbformat.v4.new_markdown_cell(text)]))
                elif text.strip():
                    emit(nbformat.v4.new_markdown_cell(text))
        elif cell.cell_type == "code":
            if not setup_done and "remove-cell" in tags:
                body.append(nbformat.v4.new_code_cell(book.setup_source))  # the first hidden cell: set-up
                setup_done = True
                continue
            if "remove-cell" in tags and only_hands_values_to_prose(cell.source):
                continue
            shown = _markdown_output(executed.cells[index]) if executed is not None and "remove-input" in tags else None
            if shown is not None:
                emit(nbformat.v4.new_markdown_cell(conv.inline(shown)))
                continue
            if current is not None and executed is not None:  # a worked solution: what its check said in the build
                verdicts.setdefault(solutions[-1][0], []).extend(_verdicts(executed.cells[index]))
            code = nbformat.v4.new_code_cell(cell.source)
            if tags & {"hide-input", "remove-input", "remove-cell"}:
                code.metadata["jupyter"] = {"source_hidden": True}  # JupyterLab: collapsed input
            emit(code)
        else:
            emit(nbformat.v4.new_raw_cell(cell.source))
    if current is not None:
        raise EditionError(f"{docname}: a {{solution-start}} has no {{solution-end}}")

    unknown = [label for label, _ in solutions if label not in exercises]
    if unknown:
        raise EditionError(f"{docname}: solutions for unknown exercises {unknown}")
    if executed is not None:  # a worked solution that its own check does not call correct fails the build
        for label, cells in solutions:
            said = verdicts.get(label, [])
            if any(c.cell_type == "code" for c in cells) and (not said or set(said) != {"Correct!"}):
                raise EditionError(f"{docname}: the worked solution to Exercise {book.exercise_numbers[label]} "
                                   f"must end with its check saying Correct!; the build's run showed {said or 'no check'}")

    # The note under the title: where the page lives, and where its numbers come from.
    first_heading = next((i for i, c in enumerate(body) if c.cell_type == "markdown" and c.source.lstrip().startswith("#")), None)
    if first_heading is not None:
        title, _, rest = body[first_heading].source.lstrip().partition("\n")
        has_code = any(c.cell_type == "code" for c in body)
        body[first_heading].source = f"{title}\n\n{book.banner(docname, has_code)}\n{rest}".rstrip("\n")

    numbers = [str(book.exercise_numbers[label]) for label in exercises if label in book.exercise_numbers]
    about = {"page": docname, "exercises": numbers}  # what `resnext-teach grade` expects in a submission
    student_body = list(body)
    if first_heading is not None and exercises:  # its first lines say what it is and what it leaves out
        title, _, rest = body[first_heading].source.partition("\n")
        student_body[first_heading] = nbformat.from_dict(body[first_heading])
        student_body[first_heading].source = f"{title}\n\n{STUDENT_NOTE}{rest}"
    student = _notebook(nb, student_body, {**about, "edition": "student"})
    tail: list[nbformat.NotebookNode] = []
    if solutions:
        tail.append(nbformat.v4.new_markdown_cell(
            f"{SOLUTIONS_HEADING}\n\nTry each exercise before you read its solution. The solutions' cells do nothing "
            f"until you ask: set `{SHOW_SOLUTIONS} = True` in the next cell and run the cells below it (they use what "
            "the chapter's cells defined), so that *Run all* never prints an answer."))
        tail.append(nbformat.v4.new_code_cell(f"{SHOW_SOLUTIONS} = False  # True: the cells below run the worked solutions"))
        for label, cells in solutions:
            tail.append(nbformat.v4.new_markdown_cell(f"### Solution to Exercise {book.exercise_numbers[label]}"))
            tail.extend(_on_request(cell, book.exercise_numbers[label]) for cell in cells)
    colab = _notebook(nb, body + tail, {**about, "edition": "colab"})
    for edition in (colab, student):
        leftover = [(i, m.group(0)) for i, c in enumerate(edition.cells) if c.cell_type == "markdown"
                    for m in MYST_ONLY.finditer(c.source)]
        if leftover:
            raise EditionError(f"{docname}: MyST markup left in the edition: {leftover[:5]}")
    return Edition(colab=colab, student=student, exercises=exercises)


_VERDICT = re.compile(r'class="rxt-feedback".*?<b>\S+ (Correct!|Not yet\.|Your turn\.)</b>', re.S)


def _verdicts(cell: nbformat.NotebookNode) -> list[str]:
    """The exercise verdicts ("Correct!", "Not yet.", "Your turn.") a code cell's outputs show."""
    found = []
    for out in cell.get("outputs", []):
        html = out.get("data", {}).get("text/html", "")
        found += _VERDICT.findall("".join(html) if isinstance(html, list) else html)
    return found


def _on_request(cell: nbformat.NotebookNode, number: str) -> nbformat.NotebookNode:
    """A solution's code cell that runs only when the reader set ``SHOW_SOLUTIONS``; its markdown as it is."""
    if cell.cell_type != "code" or not cell.source.strip():
        return cell
    if re.search(r"^\s*[%!]", cell.source, re.MULTILINE):
        raise EditionError(f"Exercise {number}: a solution cell uses IPython magic, which cannot run inside `if`")
    copy = nbformat.from_dict(cell)
    lines = cell.source.splitlines()
    last = ast.parse(cell.source).body[-1]
    if isinstance(last, ast.Expr):  # a cell shows its last value; inside `if` it would not: display it
        end, first = lines[last.end_lineno - 1], last.lineno - 1  # the closing parenthesis first, then the opening
        lines[last.end_lineno - 1] = end[:last.end_col_offset] + ")" + end[last.end_col_offset:]
        lines[first] = lines[first][:last.col_offset] + "display(" + lines[first][last.col_offset:]
    body = "\n".join(("    " + line) if line.strip() else "" for line in lines)
    copy.source = f"if {SHOW_SOLUTIONS}:  # Exercise {number}'s worked solution\n{body}"
    return copy


def only_hands_values_to_prose(source: str) -> bool:
    """True when a cell only hands values to the prose (book plumbing): ``prose(...)`` or ``glue(...)`` calls,
    after imports from the package they quote (``from resnext_teach.book.exercises import convolution``)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    imports = 0
    while imports < len(tree.body) and isinstance(tree.body[imports], ast.ImportFrom) \
            and (tree.body[imports].module or "").split(".")[0] == "resnext_teach":
        imports += 1
    calls = tree.body[imports:]
    return bool(calls) and all(
        isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) and isinstance(node.value.func, ast.Name)
        and node.value.func.id in ("prose", "glue") for node in calls)


def _markdown_output(cell: nbformat.NotebookNode) -> str | None:
    """The Markdown a code cell displayed, if all it displayed was Markdown."""
    outputs = [o for o in cell.get("outputs", []) if o.get("output_type") in ("display_data", "execute_result")]
    if not outputs or not all("text/markdown" in o.get("data", {}) for o in outputs):
        return None
    return "\n\n".join(o["data"]["text/markdown"] for o in outputs)


def _notebook(source: nbformat.NotebookNode, cells: list[nbformat.NotebookNode], about: dict) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
        "colab": {"provenance": [], "toc_visible": True},
        "resnext_teach": about,
    }
    for i, cell in enumerate(cells):
        copy = nbformat.from_dict(cell)
        copy["id"] = f"cell-{i}"  # stable ids: a rebuild writes the same file
        nb.cells.append(copy)
    return nb


def setup_source(install: str, version: str) -> str:
    """The first code cell of every chapter edition: install the book's package where it is missing (saying so),
    check the version, seed everything. A failed install prints pip's or git's own reason (its ``fatal:`` and
    ``ERROR:`` lines) and raises, so that "Run all" stops at this cell with one sentence instead of failing ten
    cells later; ``_render_traceback_`` is IPython's hook for an exception that shows as that sentence alone."""
    return f'''# Set-up. Where resnext_teach is missing (a fresh Colab runtime), install the book's package, pinned to the
# commit this notebook was built from; Colab's own PyTorch, NumPy and ipywidgets are kept.
import importlib, importlib.util, re, subprocess, sys

PACKAGE = "{install}"
if importlib.util.find_spec("resnext_teach") is None:
    print("Installing resnext-teach, the book's package, pinned to this notebook's version (about a minute)...")
    pip = subprocess.run([sys.executable, "-m", "pip", "install", "-q", PACKAGE], capture_output=True, text=True)
    importlib.invalidate_caches()
    if pip.returncode != 0 or importlib.util.find_spec("resnext_teach") is None:
        plain = re.sub(r"\\x1b\\[[0-9;]*[A-Za-z]", "", pip.stderr + pip.stdout)  # pip colours its output in a kernel
        said = [line.strip() for line in plain.splitlines() if line.strip()]
        causes = [line for line in said if line.startswith(("fatal:", "ERROR:"))]
        print("\\n".join(causes[:5] or said[-3:] or ["pip gave no reason"]))

        class InstallFailed(RuntimeError):
            def _render_traceback_(self):  # IPython (Jupyter, Colab) shows this sentence instead of a traceback
                return [f"{{type(self).__name__}}: {{self}}"]

        raise InstallFailed("Could not install resnext-teach (the reason is printed above), so the cells below "
                            "cannot run: check that this runtime has internet access, or run  pip install '"
                            + PACKAGE + "'  in a terminal, then run this cell again.")
    print("Installed resnext-teach.")

import resnext_teach
if resnext_teach.__version__ != "{version}":
    print(f"This notebook was written for resnext-teach {version}, but {{resnext_teach.__version__}} is "
          f"installed: run  pip install --force-reinstall '{{PACKAGE}}'  and restart the runtime.")
from resnext_teach.book.notebook import setup
device = setup(seed=0)
'''
