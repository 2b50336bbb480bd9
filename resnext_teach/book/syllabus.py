"""The book's chapter map, read from the chapter notebooks themselves (so the instructor guide cannot drift).

Each chapter opens with ``(label)=`` and ``# Chapter N: Title``, then "What you will learn" (a bullet list),
"Prerequisites" and "Time needed" paragraphs, and declares its exercises with ``{exercise}`` directives.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
import os
from pathlib import Path

from ..validation import check_instance, check_list

__all__ = ["read_syllabus", "chapter_map_markdown"]

_TITLE = re.compile(r"^\((?P<label>[\w-]+)\)=\s*\n# Chapter (?P<number>\d+): (?P<title>.+)$", re.MULTILINE)
_FIELD = r"\*\*{name}(?:\*\*[.:]|[.:]\*\*)\s*(?P<text>.+?)(?=\n\s*\n|\n\([\w-]+\)=|\n#|\Z)"  # up to a blank line, label or heading
_OBJECTIVES = re.compile(r"\*\*What you will learn\*\*\s*\n\s*\n(?P<items>(?:[-*] .+(?:\n(?![-*] |\s*\n).+)*\n?)+)")
_EXERCISE = re.compile(r"\{exercise\}[^\n]*\n:label: (?P<label>\S+)")  # with or without a title
_GLUE = re.compile(r"\{glue:(?P<kind>\w+)\}`(?P<key>[^`]+)`")


@dataclass(frozen=True)
class Chapter:
    """What the instructor guide says about one chapter."""

    path: Path
    label: str
    number: int
    title: str
    objectives: tuple[str, ...]
    prerequisites: str
    time_needed: str
    exercises: tuple[str, ...]  # exercise labels, in order


_CODE_CELL = re.compile(r"^```\{code-cell\}.*?^```[ \t]*$", re.MULTILINE | re.DOTALL)
_CELL_BREAK = re.compile(r"^\+\+\+.*$", re.MULTILINE)  # jupytext's "+++" between two Markdown cells
_FRONT_MATTER = re.compile(r"\A---\n.*?^---[ \t]*\n", re.MULTILINE | re.DOTALL)


def _markdown(path: Path) -> str:
    """The prose of a chapter: a MyST Markdown notebook without its front matter and code cells (or the Markdown
    cells of an ``.ipynb``)."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        nb = json.loads(text)
        return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return _CELL_BREAK.sub("", _CODE_CELL.sub("", _FRONT_MATTER.sub("", text)))


def read_chapter(path: str | Path) -> Chapter:
    """Parse one chapter notebook; raise ``ValueError`` naming what is missing."""
    path = Path(path)
    text = _markdown(path)
    head = _TITLE.search(text)
    if head is None:
        raise ValueError(f"{path.name}: no '(label)=' + '# Chapter N: Title' heading")
    fields = {}
    for name in ("Prerequisites", "Time needed"):
        match = re.search(_FIELD.format(name=name), text, re.DOTALL)
        if match is None:
            raise ValueError(f"{path.name}: no '**{name}**' paragraph")
        fields[name] = " ".join(match.group("text").split())
    objectives = _OBJECTIVES.search(text)
    if objectives is None:
        raise ValueError(f"{path.name}: no '**What you will learn**' bullet list")
    items = re.split(r"\n(?=[-*] )", objectives.group("items").strip())
    return Chapter(
        path=path,
        label=head.group("label"),
        number=int(head.group("number")),
        title=head.group("title").strip(),
        objectives=tuple(" ".join(item[2:].split()) for item in items),
        prerequisites=fields["Prerequisites"],
        time_needed=fields["Time needed"],
        exercises=tuple(m.group("label") for m in _EXERCISE.finditer(text)),
    )


def read_syllabus(chapters_dir: str | Path) -> list[Chapter]:
    """Every chapter in ``chapters_dir``, in chapter order."""
    check_instance("chapters_dir", chapters_dir, (str, os.PathLike), "folder (a str or a Path)")
    if not Path(chapters_dir).is_dir():
        raise ValueError(f"chapters_dir={str(chapters_dir)!r} is not a folder")
    chapters = []
    for path in sorted(p for p in Path(chapters_dir).iterdir() if p.suffix in (".md", ".ipynb")):
        try:
            chapters.append(read_chapter(path))
        except ValueError as error:  # a page that is not a chapter: say where it was found
            raise ValueError(f"chapters_dir={str(chapters_dir)!r} holds {path.name}, which is not a chapter: "
                             f"{error}") from None
    return sorted(chapters, key=lambda c: c.number)


def _glue_from(text: str, docpath: str) -> str:
    """Point a chapter's glue roles at that chapter (``{glue:text}`doc.ipynb::key```), for use on another page."""
    return _GLUE.sub(lambda m: f"{{glue:{m.group('kind')}}}`{docpath}::{m.group('key')}`", text)


def colab_url(repository_url: str, branch: str, path: str) -> str:
    """The Colab address of ``path`` on ``branch`` of a GitHub repository (where the publish workflow puts the
    notebook editions)."""
    owner_repo = repository_url.rstrip("/").removeprefix("https://github.com/")
    return f"https://colab.research.google.com/github/{owner_repo}/blob/{branch}/{path}"


def chapter_map_markdown(chapters: list[Chapter], relative_to: str | Path,
                         repository: dict | None = None, handouts: str | None = None) -> str:
    """The chapter map as MyST Markdown: per chapter a link, the time needed, prerequisites, objectives and
    links to its exercises. ``relative_to`` is the folder of the page that shows it; with ``repository`` (the
    ``repository`` section of ``_config.yml``), also links that open the chapter's Colab and student editions;
    with ``handouts`` (the site folder of ``scripts/handouts.py``'s PDFs, relative to the page), a link to the
    chapter's printable handout (raw HTML: the PDF is printed after Sphinx has resolved every Markdown link)."""
    chapters = check_list("chapters", chapters, "Chapter (from read_syllabus)")
    for chapter in chapters:
        check_instance("chapters[...]", chapter, Chapter, "Chapter (from read_syllabus)")
    check_instance("relative_to", relative_to, (str, os.PathLike), "folder (a str or a Path)")
    if repository is not None:
        check_instance("repository", repository, dict, "dict with 'url' and 'branch' (from _config.yml)")
        if not {"url", "branch"} <= set(repository):
            raise ValueError(f"repository must have 'url' and 'branch', has {sorted(repository)}")
    if handouts is not None:
        check_instance("handouts", handouts, str, "str (a folder of the site)")
    base = Path(relative_to)
    parts = []
    for ch in chapters:
        doc = Path(ch.path).resolve().relative_to(base.resolve()).as_posix()
        edition = Path(doc).with_suffix(".ipynb").as_posix()  # what the launch branch holds
        objectives = "\n".join(f"- {_glue_from(o, doc)}" for o in ch.objectives)
        exercises = ", ".join(f"{{ref}}`{label}`" for label in ch.exercises)
        notebooks = ""
        if repository is not None:
            url, branch = repository["url"], repository["branch"]
            notebooks = (f"*Open in Colab:* [with solutions]({colab_url(url, branch, edition)}) · "
                         f"[student edition, no solutions]"
                         f"({colab_url(url, branch, f'student/{Path(doc).stem}_student.ipynb')})\n\n")
        if handouts is not None:
            notebooks += (f'*Printable handout:* <a href="{handouts}/{Path(doc).stem}.pdf">PDF, no solutions</a>'
                          "\n\n")
        parts.append(
            f"**{{ref}}`Chapter {ch.number}: {ch.title} <{ch.label}>`** ({ch.time_needed.rstrip('.')})\n\n"
            f"*Prerequisites:* {_glue_from(ch.prerequisites, doc)}\n\n"
            f"*Learning objectives:*\n\n{objectives}\n\n"
            f"{notebooks}"
            f"*Exercises ({len(ch.exercises)}):* {exercises}\n"
        )
    return "\n".join(parts)
