"""``_ext/reading_time.py``: a chapter's "Time needed" is counted from what its page shows, and the built pages,
editions and instructor guide quote that count (book tier for the last part)."""

import json
import re
import sys
from pathlib import Path

import pytest
from docutils import nodes
from docutils.utils import new_document

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "_ext"))
import reading_time  # noqa: E402
from reading_time import Reading, count  # noqa: E402

from sources import CHAPTERS, read_source  # noqa: E402


def words(n: int, word: str = "word") -> str:
    return " ".join([word] * n)


def cell(source: str, output: str, *tags: str) -> nodes.container:
    classes = ["cell"] + [f"tag_{t}" for t in tags]
    return nodes.container("", nodes.container("", nodes.literal_block(source, source), classes=["cell_input"]),
                           nodes.container("", nodes.literal_block(output, output), classes=["cell_output"]),
                           classes=classes)


class Solution(nodes.Element):
    tagname = "solution_node"


class Question(nodes.Element):
    tagname = "exercise_enumerable_node"


def test_the_count_takes_what_a_reader_meets_and_skips_what_is_folded():
    doc = nodes.document(None, None)
    doc += nodes.paragraph("", words(10))                              # prose: 10
    doc += cell(words(6), words(4))                                    # code 6 + output 4
    doc += cell(words(100, "hidden"), words(3), "hide-input")         # folded code: only its output, 3
    doc += cell(words(5), words(100, "hidden"), "hide-output")        # folded output: only its code, 5
    doc += Solution("", nodes.paragraph("", words(50, "hidden")), cell(words(20, "hidden"), "x"))
    doc += Question("", nodes.paragraph("", words(8)))                 # an exercise: its question is prose
    doc += nodes.paragraph("", "", nodes.math("", "a + b = c"))       # a formula reads as one word
    doc += nodes.raw("", '<div class="rxt-static">' + words(300, "pane") + "</div>", format="html")
    doc += nodes.comment("", words(40, "hidden"))
    found = count(doc)
    assert found == Reading(prose_words=10 + 8 + 1, code_words=6 + 4 + 3 + 5, explorers=1, exercises=1)


@pytest.mark.parametrize("reading, sentence", [
    # 2000/200 + 300/150 + 2*2 = 16 minutes, to the nearest 5; five exercises of 5 minutes
    (Reading(2000, 300, 2, 5), "about 15 minutes of reading, plus 25 for the five exercises"),
    (Reading(4000, 1500, 3, 1), "about 35 minutes of reading, plus 5 for the one exercise"),  # 20 + 10 + 6 = 36
    (Reading(100, 0, 0, 0), "about 5 minutes of reading"),  # never "about 0 minutes"
    (Reading(6000, 0, 0, 12), "about 30 minutes of reading, plus 60 for the 12 exercises"),
])
def test_the_sentence_rounds_reading_to_five_minutes_and_counts_exercises(reading, sentence):
    assert reading.sentence() == sentence


def test_every_chapter_quotes_its_own_count_never_a_typed_time():
    for path in CHAPTERS:
        prose = "\n".join(c.source for c in read_source(path).cells if c.cell_type == "markdown")
        lines = re.findall(r"^\*\*Time needed\*\*.*$", prose, re.M)
        assert lines == [f"**Time needed**: {{{reading_time.ROLE}}}`chapters/{path.stem}`."], path.name


@pytest.mark.book
def test_pages_editions_and_guide_show_the_computed_times():
    readings = json.loads((ROOT / "_build" / "reading-time.json").read_text())
    guide = (ROOT / "_build" / "html" / "instructors.html").read_text(encoding="utf-8")
    for path in CHAPTERS:
        doc = f"chapters/{path.stem}"
        sentence = readings[doc]["sentence"]
        page = (ROOT / "_build" / "html" / f"{doc}.html").read_text(encoding="utf-8")
        assert re.search(rf"Time needed</strong>: {re.escape(sentence)}\.", page), doc
        edition = json.loads((ROOT / "_build" / "notebooks" / f"{doc}.ipynb").read_text(encoding="utf-8"))
        assert any(f"**Time needed**: {sentence}." in "".join(c["source"]) for c in edition["cells"]), doc
        assert f"({sentence})" in guide, f"the instructor guide does not quote {doc}'s time"


@pytest.mark.book
def test_every_chapter_is_one_sitting_and_the_book_keeps_its_budget():
    """Counted on the built pages (prose, visible code and outputs; solutions and folded code not counted)."""
    readings = json.loads((ROOT / "_build" / "reading-time.json").read_text())
    book = {doc: r["words"] for doc, r in readings.items() if doc.startswith("chapters/") or doc == "timing"}
    assert len([d for d in book if d.startswith("chapters/")]) == len(CHAPTERS)
    over = {doc: words for doc, words in book.items() if words > reading_time.CHAPTER_WORD_BUDGET}
    assert not over, f"over {reading_time.CHAPTER_WORD_BUDGET:,} words: {over}"
    total, budget = sum(book.values()), reading_time.BOOK_WORD_BUDGET
    assert total < budget, (f"the book has {total:,} words, {total - budget + 1:,} too many for its budget of fewer "
                            f"than {budget:,}: cut as many from a page (say each thing once, link the rest); per page: "
                            f"{book}")


def test_a_styled_tables_css_is_not_read():
    table = ('<style scoped>td { padding: 0 1em; text-align: right }</style><table><tr><td>one two</td></tr></table>'
             '<noscript>Run the notebook for feedback.</noscript><script>var x = 1;</script>')
    page = new_document("page")
    page += nodes.raw("", table, format="html")
    assert count(page).prose_words == 2
