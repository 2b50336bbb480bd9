"""No answer before its question (issue 22): an exercise's expected answer, as a reader would see it written, occurs
nowhere in its chapter before the exercise: not in the HTML page's prose, outputs or explorers (their panes and
every position's data), and not in the notebook editions' text.

Which answers can leak: a whole number from 1,000 up (written "71,456" or "71456"), and a real number: any number
written with three or more significant digits that the exercise's check would accept ("48.7" for 48.72 %). Small
whole numbers (a width of 4, 32 groups), sets, tuples and letters occur in every chapter as ordinary values and are
not tested here; each exercise's question says what it asks that the page does not show (issue 22's note).

The expected answer is the exercise's own (``Exercise.expected``, with the settings the exercise's cell passes to its
check), so a changed question is tested as it now reads. Book tier: reads the built site and editions.
"""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup, NavigableString

from resnext_teach.book import exercises
from resnext_teach.book.exercises import Exercise
from resnext_teach.book.exercises.readers import Approx, Whole
from sources import CHAPTERS, read_source

ROOT = Path(__file__).resolve().parent.parent
SITE, NOTEBOOKS = ROOT / "_build" / "html", ROOT / "_build" / "notebooks"
MODULES = [importlib.import_module(f"{exercises.__name__}.{info.name}")
           for info in pkgutil.iter_modules(exercises.__path__)
           if info.name not in ("core", "feedback", "readers", "recorder")]
NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")

pytestmark = pytest.mark.book


def check_function(name: str, imported: dict[str, str]):
    """The check function ``name`` (or ``alias.name``), found where the chapter's cells import it from."""
    owner, _, attr = name.rpartition(".")
    module = importlib.import_module(imported[owner] if owner else imported[attr])
    return getattr(module, attr)


def imports_of(path: Path) -> dict[str, str]:
    """Name or alias -> module, for every exercise module a chapter's cells import from."""
    found = {}
    for cell in read_source(path).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(exercises.__name__):
                for alias in node.names:  # `from ...exercises import cardinality as checks`: a module itself
                    submodule = f"{node.module}.{alias.name}"
                    imports_module = node.module == exercises.__name__
                    found[alias.asname or alias.name] = submodule if imports_module else node.module
    return found


def spec_of(function) -> Exercise:
    module = importlib.import_module(function.__module__)
    specs = [module.__dict__[n] for n in function.__code__.co_names if isinstance(module.__dict__.get(n), Exercise)]
    assert len(specs) == 1, function.__name__
    return specs[0]


def exercise_checks(path: Path) -> list[tuple[str, Exercise, dict]]:
    """``(label, spec, settings)`` for each exercise of a chapter: the check its cells call, with their settings."""
    found, current, imported = [], None, imports_of(path)
    for cell in read_source(path).cells:
        if cell.cell_type == "markdown":
            for m in re.finditer(r"```\{exercise\}[^\n]*\n:label: (\S+)", cell.source):
                current = m.group(1)
            if "{solution-start}" in cell.source:
                current = None
        elif current is not None:
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Call):
                    func = node.func
                    name = getattr(func, "id", None) or getattr(func, "attr", "")
                    if name.startswith("check_"):
                        if isinstance(func, ast.Attribute):
                            name = f"{func.value.id}.{name}"
                        settings = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                        found.append((current, spec_of(check_function(name, imported)), settings))
    return found


def leaks(text: str, spec: Exercise, expected: object) -> list[str]:
    """The places where ``text`` writes ``expected`` (empty for answers this test does not look for)."""
    if isinstance(spec.reader, Whole) and isinstance(expected, int) and abs(expected) >= 1000:
        return [t for t in NUMBER.findall(text) if t.replace(",", "") == str(expected)]
    if isinstance(spec.reader, Approx) and isinstance(expected, float):  # a number its check would call right
        return [t for t in NUMBER.findall(text) if len(t.replace(",", "").replace(".", "").lstrip("0")) >= 3
                and spec.reader.same(float(t.replace(",", "")), expected)]
    return []


def page_text_before(page: str, label: str) -> str:
    """Everything the HTML page holds before the exercise ``label``: prose, outputs, explorers' panes and data
    (their scripts included), solutions left out."""
    soup = BeautifulSoup((SITE / f"{page}.html").read_text(encoding="utf-8"), "html.parser")
    article = soup.find("article")
    target = article.find(id=label) or article.find(attrs={"id": re.compile(re.escape(label))})
    assert target is not None, f"{page}: no element for exercise {label}"
    for solution in article.select("div.solution, details.solution"):
        solution.decompose()
    texts = []
    for node in article.descendants:
        if node is target:
            break
        if isinstance(node, NavigableString):
            texts.append(str(node))
        elif getattr(node, "attrs", None):
            texts += [v for k, v in node.attrs.items() if k.startswith("data-") and isinstance(v, str)]
    return " ".join(texts)


def edition_text_before(page: str, number: str) -> str:
    nb = nbformat.read(NOTEBOOKS / f"{page}.ipynb", as_version=4)
    texts = []
    for cell in nb.cells:
        if re.search(rf"^### Exercise {re.escape(number)}\b", cell.source, re.M):
            return " ".join(texts)
        texts.append(cell.source)
    raise AssertionError(f"{page}: no heading for Exercise {number}")


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_answer_is_written_before_its_question(path):
    page = f"chapters/{path.stem}"
    chapter = int(path.stem.split("_")[0])
    checks = exercise_checks(path)
    labels = list(dict.fromkeys(label for label, _, _ in checks))
    assert labels, f"{page}: no exercise found"
    problems = []
    for label, spec, settings in checks:
        expected = spec.expected(**settings)
        number = f"{chapter}.{labels.index(label) + 1}"
        for where, text in (("page", page_text_before(page, label)), ("edition", edition_text_before(page, number))):
            written = leaks(text, spec, expected)
            if written:
                problems.append(f"Exercise {number} ({label}): its answer {expected!r} is in the {where} before it, "
                                f"written {sorted(set(written))}")
    assert not problems, "\n".join(problems)


def test_the_leak_finder_finds_what_it_must():
    whole = Exercise("the count", {}, solve=lambda: 71456)
    assert leaks("a table: 71,456 parameters", whole, 71456) == ["71,456"]
    assert leaks("written 71456 plainly", whole, 71456) == ["71456"]
    assert leaks("171,456 or 71,4567 or 71.456", whole, 71456) == []
    real = Exercise("the percentage", {}, solve=lambda: 48.72, reader=Approx(rel=1e-3))
    assert leaks("it keeps 48.7 % of it", real, 48.72) == ["48.7"]
    assert leaks("about 49 % or 48.1", real, 48.72) == []
