"""How long a page takes, computed from what the page shows: the "Time needed" line of every chapter.

A chapter writes ``**Time needed**: {time-needed}`chapters/04_resnext_block```; the build counts what a reader of
that page meets with code folded and solutions closed, and writes "about 35 minutes of reading, plus 25 for the
five exercises" in its place (on the page, in the notebook editions, and in the instructor guide's chapter map,
which quotes the same role). The rates:

* prose (paragraphs, headings, lists, exercise questions, admonitions): 200 words a minute;
* code a reader sees (cells not folded) and outputs (printed text, tables): 150 words a minute;
* an explorer (one ``rxt-static`` output): 2 minutes, its pane's words not counted again;
* an exercise: 5 minutes to solve, on top of reading its question.

Not counted: folded code (``hide-input``), removed cells, solutions (closed dropdowns), math's markup (a formula
counts as one word), pictures.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from docutils import nodes

PROSE_WPM = 200
CODE_WPM = 150
EXPLORER_MINUTES = 2
EXERCISE_MINUTES = 5
# The budget a class can keep (issue 21): a chapter is one sitting, and the whole book (chapters and the timing
# appendix they link) a course's share of reading. tests/test_reading_time.py holds the built book to it.
CHAPTER_WORD_BUDGET = 4_500
BOOK_WORD_BUDGET = 26_000
ROLE = "time-needed"

_WORD = re.compile(r"\S+")
_TAG = re.compile(r"<style[^>]*>.*?</style>|<script[^>]*>.*?</script>|<[^>]+>", re.S)  # styles and scripts are not read
_SMALL = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


@dataclass(frozen=True)
class Reading:
    """What one page asks of a reader."""

    prose_words: int
    code_words: int  # visible code and outputs
    explorers: int
    exercises: int

    @property
    def words(self) -> int:
        return self.prose_words + self.code_words

    @property
    def reading_minutes(self) -> float:
        return self.prose_words / PROSE_WPM + self.code_words / CODE_WPM + EXPLORER_MINUTES * self.explorers

    @property
    def exercise_minutes(self) -> int:
        return EXERCISE_MINUTES * self.exercises

    def sentence(self) -> str:
        """'about 35 minutes of reading, plus 25 for the five exercises' (reading rounded to 5 minutes)."""
        minutes = max(5, 5 * round(self.reading_minutes / 5))
        text = f"about {minutes} minutes of reading"
        if self.exercises:
            count = _SMALL[self.exercises] if self.exercises < len(_SMALL) else str(self.exercises)
            noun = "exercise" if self.exercises == 1 else "exercises"
            text += f", plus {self.exercise_minutes} for the {count} {noun}"
        return text

    def as_dict(self) -> dict:
        return {**asdict(self), "words": self.words, "reading_minutes": round(self.reading_minutes, 1),
                "exercise_minutes": self.exercise_minutes, "sentence": self.sentence()}


def _classes(node: nodes.Node) -> list[str]:
    return node.get("classes", []) if isinstance(node, nodes.Element) else []


def _is_cell(node: nodes.Node) -> bool:
    return isinstance(node, nodes.container) and "cell" in _classes(node)


def _explorer(node: nodes.Node) -> bool:
    return isinstance(node, nodes.raw) and 'class="rxt-static"' in node.astext()


def count(doctree: nodes.document) -> Reading:
    """Count what a reader of ``doctree`` meets (see the module's docstring)."""
    prose = code = explorers = exercises = 0

    def visit(node: nodes.Node, where: str) -> None:
        nonlocal prose, code, explorers, exercises
        tag = getattr(node, "tagname", "")
        if tag == "solution_node" or isinstance(node, (nodes.comment, nodes.target, nodes.substitution_definition)):
            return
        if tag == "exercise_enumerable_node":
            exercises += 1
        if _is_cell(node):
            for child in node.children:
                kind = _classes(child)
                if "cell_input" in kind and "tag_hide-input" not in _classes(node):
                    visit(child, "code")
                elif "cell_output" in kind and "tag_hide-output" not in _classes(node):
                    visit(child, "code")
            return
        if isinstance(node, (nodes.math, nodes.math_block)):
            prose += 1
            return
        if isinstance(node, nodes.raw):
            if _explorer(node):
                explorers += 1
            elif "html" in node.get("format", ""):
                words = len(_WORD.findall(_TAG.sub(" ", node.astext())))
                code, prose = (code + words, prose) if where == "code" else (code, prose + words)
            return
        if isinstance(node, nodes.literal_block) and where == "prose":
            code += len(_WORD.findall(node.astext()))
            return
        if isinstance(node, nodes.Text):
            words = len(_WORD.findall(node.astext()))
            code, prose = (code + words, prose) if where == "code" else (code, prose + words)
            return
        for child in node.children:
            visit(child, where)

    visit(doctree, "prose")
    return Reading(prose, code, explorers, exercises)


class TimeNeeded(nodes.inline):
    """``{time-needed}`docname```: replaced by that page's sentence once every page has been counted."""


def time_needed_role(name, rawtext, text, lineno, inliner, options=None, content=None):
    node = TimeNeeded(rawtext, "")
    node["docname"] = text.strip()
    return [node], []


def _count_every_page(app, env) -> list[str]:
    """Runs once every page is read (``env-updated``): count each page, keep the counts in the environment."""
    readings = {docname: count(env.get_doctree(docname)).as_dict() for docname in sorted(env.found_docs)}
    changed = [d for d, r in readings.items() if getattr(env, "rxt_readings", {}).get(d) != r]
    env.rxt_readings = readings
    quoting = [d for d in env.found_docs if d in getattr(env, "rxt_quotes", set())]
    return quoting if changed else []  # pages that quote a changed count are written again


def _resolve(app, doctree: nodes.document, docname: str) -> None:
    readings = getattr(app.env, "rxt_readings", {})
    for node in list(doctree.findall(TimeNeeded)):
        target = node["docname"]
        if target not in readings:
            from sphinx.util import logging

            logging.getLogger(__name__).warning(f"{{{ROLE}}}`{target}`: no such page", location=node,
                                                type="resnext", subtype="time")
            node.replace_self(nodes.Text("(unknown)"))
            continue
        node.replace_self(nodes.Text(readings[target]["sentence"]))


def _note_quotes(app, docname: str, source: list[str]) -> None:
    """Remember which pages quote a count (``source-read``), so they are written again when a count changes."""
    quotes = getattr(app.env, "rxt_quotes", set()) - {docname}
    app.env.rxt_quotes = quotes | ({docname} if f"{{{ROLE}}}`" in source[0] else set())


def sentence_for(env, docname: str) -> str:
    """The sentence the page shows for ``docname`` (for the notebook editions)."""
    return env.rxt_readings[docname]["sentence"]


def setup(app) -> None:
    app.add_role(ROLE, time_needed_role)
    app.connect("source-read", _note_quotes)
    app.connect("env-updated", _count_every_page)
    app.connect("doctree-resolved", _resolve)
