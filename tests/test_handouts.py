"""The printable handouts (scripts/handouts.py, run by scripts/build_book.sh; book_js/_static/rxt/print.css): one
PDF per chapter in the built site, with every exercise and no solution, and no word printed outside the page's
printable area (code wrapped, not clipped). The PDFs are read with poppler's pdftotext (Debian: poppler-utils)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
import sources

ROOT = Path(__file__).resolve().parent.parent
HANDOUTS = ROOT / "_build" / "html" / "handouts"
EDITIONS = ROOT / "_build" / "notebooks"
CHAPTERS = [p.stem for p in sources.CHAPTERS]
MARGIN_PT = 12 / 25.4 * 72  # scripts/handouts.py prints with 12 mm left and right margins

pytestmark = pytest.mark.book


def pdftotext(*args: str) -> str:
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext is missing: install poppler-utils (Debian: apt-get install poppler-utils)")
    return subprocess.run(["pdftotext", *args, "-"], capture_output=True, text=True, check=True).stdout


def handout(chapter: str) -> Path:
    path = HANDOUTS / f"{chapter}.pdf"
    if not path.is_file():
        pytest.fail(f"{path} is missing: bash scripts/build_book.sh prints the handouts (it needs Chromium)")
    return path


def flat(text: str) -> str:
    return " ".join(text.split())


def solution_lines(chapter: str) -> list[str]:
    """Code lines of the chapter's solutions (the Colab edition's "Solutions" section) that the student edition
    does not hold: text that only a solution prints."""
    colab = nbformat.read(EDITIONS / "chapters" / f"{chapter}.ipynb", as_version=4)
    student = nbformat.read(EDITIONS / "student" / f"{chapter}_student.ipynb", as_version=4)
    start = next(i for i, c in enumerate(colab.cells) if c.cell_type == "markdown" and c.source.startswith("## Solutions"))
    shared = "\n".join(c.source for c in student.cells)
    return [line.strip() for c in colab.cells[start:] if c.cell_type == "code" for line in c.source.splitlines()
            if len(line.strip()) > 25 and line.strip() not in shared]


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_handout_has_its_exercises_and_no_solution(chapter):
    text = flat(pdftotext(str(handout(chapter))))
    student = nbformat.read(EDITIONS / "student" / f"{chapter}_student.ipynb", as_version=4)
    numbers = student.metadata["resnext_teach"]["exercises"]
    title = re.search(r"^# (Chapter \d+: .+)$", next(c.source for c in student.cells if c.cell_type == "markdown"), re.M)
    assert flat(title.group(1)) in text
    for number in numbers:
        assert f"Exercise {number}" in text, f"{chapter}: Exercise {number} is not in the handout"
    assert "Solution to" not in text and "(solution)" not in text
    lines = solution_lines(chapter)
    assert lines, f"{chapter}: found no solution code to look for"
    printed = [line for line in lines if flat(line) in text]
    assert not printed, f"{chapter}: the handout prints solution code: {printed[:3]}"
    assert "CC BY-SA 4.0" in text and "MIT" in text  # the footer of every page names the licences


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_no_word_of_a_handout_lies_outside_the_printable_area(chapter):
    """Clipped code is text drawn past the page's edge: every word's box must lie inside the margins."""
    layout = pdftotext("-bbox", str(handout(chapter)))
    outside = []
    for page in re.finditer(r'<page width="(?P<w>[\d.]+)" height="[\d.]+">(?P<body>.*?)</page>', layout, re.S):
        width = float(page["w"])
        for word in re.finditer(r'<word xMin="(?P<x0>[\d.-]+)" yMin="[\d.-]+" xMax="(?P<x1>[\d.-]+)" yMax="[\d.-]+">'
                                r"(?P<text>[^<]*)</word>", page["body"]):
            if float(word["x0"]) < MARGIN_PT - 2 or float(word["x1"]) > width - MARGIN_PT + 2:
                outside.append((word["text"], round(float(word["x0"])), round(float(word["x1"]))))
    assert layout.count("<word ") > 500, "pdftotext found almost no text: is the handout blank?"
    assert not outside, f"{chapter}: words outside the printable area (clipped): {outside[:10]}"
