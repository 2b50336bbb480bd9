"""An exercise's question quotes its sizes from the exercise's own declaration (issue 22): every number the check
computes with (a layer's channels and kernel, a block, an image size, a model's cardinality and width) reaches the
question's text through ``{glue:text}``/``{glue:md}`` from the package, or is shown by a cell; none is typed into the
question. So a changed constant changes the question with the answer, and the worked solution (which asserts that
its check says Correct!) fails the build if the two ever disagree.

The question is the ``{exercise}`` directive's text in the chapter's source, read with model names taken out
("ResNeXt-101 (64x4d)" names a model, not a size). Reads the sources only: unit tier.
"""

from __future__ import annotations

import dataclasses
import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from resnext_teach import MODEL_CONFIGS
from resnext_teach.book.exercises.block import block_code
from resnext_teach.book.exercises.convolution import ConvLayer
from sources import CHAPTERS, read_source
from test_answer_leaks import NOTEBOOKS, NUMBER, SITE, exercise_checks

GLUE = re.compile(r"\{glue:(?:text|md)\}`[^`]+`")
MODEL_NAME = re.compile(r"ResNe[Xx]?t-\d+|\(?\b\d+\s*[x×]\s*\d+d\)?")
QUESTION = re.compile(r"```\{exercise\}[^\n]*\n:label: (?P<label>\S+)\n(?P<text>.*?)\n```", re.S)


def sizes(value: object) -> set[float]:
    """The numbers an exercise's value holds: itself, a layer's fields, a block's entries, a named model's
    cardinality and bottleneck width (1 and 0 are left out: "padding 1" is no size to quote)."""
    if isinstance(value, bool):
        return set()
    if isinstance(value, (int, float)):
        return {value} if value not in (0, 1) else set()
    if dataclasses.is_dataclass(value):
        return sizes([getattr(value, f.name) for f in dataclasses.fields(value)])
    if isinstance(value, dict):
        return sizes(list(value.values()))
    if isinstance(value, (list, tuple, set)):
        return set().union(*(sizes(v) for v in value)) if value else set()
    if isinstance(value, str) and value in MODEL_CONFIGS:
        config = MODEL_CONFIGS[value]
        return sizes([config.cardinality, config.bottleneck_width])
    return set()


def typed_numbers(question: str) -> set[float]:
    """The numbers written into a question's source text, glue roles and model names aside."""
    text = MODEL_NAME.sub(" ", GLUE.sub(" ", question))
    return {float(t.replace(",", "")) for t in NUMBER.findall(text)}


def cases(with_path: bool = False):
    for path in CHAPTERS:
        questions = {m.group("label"): m.group("text") for m in QUESTION.finditer(
            "\n".join(c.source for c in read_source(path).cells if c.cell_type == "markdown"))}
        for label, spec, settings in exercise_checks(path):
            values = {**spec.values, **settings}
            yield pytest.param(*((path,) if with_path else ()), label, questions[label], values, id=label)


@pytest.mark.parametrize(("label", "question", "values"), list(cases()))
def test_a_question_types_none_of_its_exercises_sizes(label, question, values):
    typed = typed_numbers(question) & sizes(values)
    assert not typed, (f"the question types {sorted(typed)}, which its exercise declares: quote them with "
                       f"{{glue:text}} (or {{glue:md}} and notebook.as_code for code) from a hidden prose(...) cell")


def test_the_reading_catches_a_typed_size_and_spares_a_model_name():
    assert typed_numbers("How many weights does `nn.Conv2d(32, 96, 5)` have?") == {32, 96, 5}
    assert typed_numbers("In ResNeXt-101 (64x4d), a block is {glue:md}`ex_block`, on a 56x56 map.") == {56}
    assert sizes({"layer": dataclasses.make_dataclass("L", ["c", "k"])(32, 1), "model": "resnext50_4x24d"}) \
        == {32, 4, 24}


def code_of(values: dict) -> list[str]:
    """How the question writes the exercise's layer or block as code (``ConvLayer.code``, ``block_code``)."""
    return [value.code() if isinstance(value, ConvLayer) else block_code(value) for value in values.values()
            if isinstance(value, ConvLayer) or (isinstance(value, dict) and "planes" in value)]


@pytest.mark.book
@pytest.mark.parametrize(("path", "label", "question", "values"),
                         [case for case in cases(with_path=True) if "{glue:md}" in case.values[2]])
def test_a_quoted_layer_reads_as_code_on_the_page_and_in_the_edition(path, label, question, values):
    page = BeautifulSoup((SITE / "chapters" / f"{path.stem}.html").read_text(), "html.parser")
    shown = page.find(id=label)
    codes = [c.get_text() for c in shown.find_all("code")]
    edition = nbformat.read(NOTEBOOKS / "chapters" / f"{path.stem}.ipynb", as_version=4)
    number = shown.find(class_="caption-number").get_text().strip()  # "Exercise 4.1"
    text = next(c.source for c in edition.cells if c.cell_type == "markdown" and f"### {number}" in c.source)
    assert len(codes) >= question.count("{glue:md}") and "IPython" not in shown.get_text(), shown.get_text()
    for code in code_of(values):
        assert code in codes, (label, codes)
        assert f"`{code}`" in text, (label, text)
