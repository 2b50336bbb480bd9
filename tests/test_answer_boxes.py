"""The web page's answer boxes give the Python check's own verdict: ``book_js/_static/rxt/exercises.js``'s pure
``verdict(spec, text)``, run with Node.js on what ``Exercise.export()`` wrote, against ``check(box_answer(text))`` for
every exercise of the book (every public check function of the chapters' modules, with the settings the chapters
call it with), on the right answer, every slip's value, wrong answers, and odd text a student could type into a box.

The same head ("Correct!", "Not yet.", "Your turn.") and the same message, for every input, each within a second on
both sides, never an exception. A blank box is the one planned difference: Python's ``None`` says "Replace None ...",
the box says ``BOX_EMPTY`` ("Type your answer in the box ..."), with the same head.
"""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import itertools
import json
import math
import pkgutil
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from resnext_teach.book import exercises
from resnext_teach.book.exercises.core import (
    BOX_EMPTY,
    BOX_EMPTY_CHOICE,
    Exercise,
    box_answer,
)
from resnext_teach.book.exercises.feedback import NO_SCRIPT

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "book_js" / "_static" / "rxt" / "exercises.js"
MACHINERY = {"core", "feedback", "readers", "recorder"}
MODULES = [importlib.import_module(f"{exercises.__name__}.{i.name}") for i in pkgutil.iter_modules(exercises.__path__)
           if i.name not in MACHINERY]
CHECKS = {f"{m.__name__.rsplit('.', 1)[1]}.{name}": fn for m in MODULES for name, fn in vars(m).items()
          if name.startswith("check_") and inspect.isfunction(fn) and fn.__module__ == m.__name__}
LIMIT_S = 1.0  # each answer gets its verdict within a second, in Python and in the page

ODD = ["", "   ", "\t\n", "abc", "nan", "NaN", "-nan", "inf", "-inf", "Infinity", "1e400", "-1e400", "-5", "0", "-0",
       "+7", "3.5", "0.5", ".5", "5.", "1e3", "2.5e-3", "1,234", "1,234,567", "12,34", "1_000", "0x10", "1 234",
       "\u0661\u0662", "\u216b", "9" * 500, "-" + "9" * 500, "1" * 5000, "1." + "0" * 400 + "1", "[1, 1, 2]",
       "[1, abc]", "[]", "()", "[1, 2.5]", "[nan]", "[inf, 1]", "{1, 2}", "(1 2 3)", "[[1]]", "1;2", "[1,,2,]",
       "[" + "9" * 500 + "]", "AC", "a, c", "Z", "\u00df", "\u2603", ",", "'", "a\u200bc", "x" * 10_000,
       ",".join(["1"] * 100_001), "True", "None", "[1, 2, 3", "1, 2, 3]"]


def settings_in_chapters() -> dict[str, list[dict]]:
    """For each check function, the settings the chapters call it with (``check_x(answer, cardinality=32)``)."""
    found: dict[str, list[dict]] = {name: [{}] for name in CHECKS}
    by_function = {name.split(".")[1]: [n for n in CHECKS if n.split(".")[1] == name.split(".")[1]] for name in CHECKS}
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "chapters").glob("*.md")))
    for call in re.finditer(r"\b(check_\w+)\(answer((?:, \w+=[^,()]+)+)\)", text):
        settings = {k: ast.literal_eval(v) for k, v in re.findall(r"(\w+)=([^,()]+)", call.group(2))}
        for name in by_function.get(call.group(1), []):
            if settings not in found[name] and set(settings) <= set(inspect.signature(CHECKS[name]).parameters):
                found[name].append(settings)
    return found


def exercise_of(check) -> Exercise:
    """The ``Exercise`` a public check function hands its answer to."""
    module = importlib.import_module(check.__module__)
    specs = [module.__dict__[n] for n in check.__code__.co_names if isinstance(module.__dict__.get(n), Exercise)]
    assert len(specs) == 1, f"{check.__name__}: not one Exercise"
    return specs[0]


CASES = [(name, settings) for name, all_settings in settings_in_chapters().items() for settings in all_settings]


def whole_texts(value) -> list[str]:
    if isinstance(value, float) and not value.is_integer():
        return [repr(value), f"{value:.2f}", f"{value:.1f}"]
    value = int(value)
    return [str(value), f"{value:,}", f"{value}.0", str(value + 1), str(value - 1), str(-value), str(2 * value)]


def list_texts(values, ordered: bool) -> list[str]:
    values = list(values) if ordered else sorted(values)
    body = ", ".join(map(str, values))
    texts = [body, f"[{body}]", f"({body})", "{" + body + "}", " ".join(map(str, values)), f"[{body}, {body}]",
             ",".join(map(str, reversed(values)))]
    return texts + [f"[{body}, x]", f"[{body}, {values[0] if values else 1}.5]"]


def texts_for(spec: dict, expected, hints: dict) -> list[str]:
    """The right answer, each slip, wrong answers near them, and the odd-answer battery, as typed into a box."""
    kind, texts = spec["kind"], list(ODD)
    if kind == "whole":
        for value in (expected, *hints.values()):
            texts += whole_texts(value)
    elif kind == "real":
        for value in (expected, *hints.values()):
            texts += [repr(float(value)), f"{value:.4g}", f"{value:.3g}", f"{value * 1.5:g}", f"{-value:g}",
                      f"{value:,.2f}", f"{value * (1 + 5e-7):.17g}"]
    elif kind in ("set", "tuple"):
        ordered = kind == "tuple"
        members = list(expected) if ordered else sorted(expected)
        for value in (members, *hints.values()):
            texts += list_texts(value, ordered)
        if ordered:
            texts += [", ".join(map(str, p)) for p in itertools.permutations(members)]
            texts += [", ".join(map(str, members[:i] + [m + d] + members[i + 1:]))
                      for i, m in enumerate(members) for d in (-1, 1, m)]
            texts += [", ".join(map(str, members[:-1])), ", ".join(map(str, members + [1]))]
        else:
            subsets = [list(s) for n in range(len(members) + 1) for s in itertools.combinations(members, n)]
            texts += [", ".join(map(str, s)) for s in subsets[:512]]
            top = max(members) if members else 1
            for extra in range(-2, 2 * top + 3):
                texts += [", ".join(map(str, members + [extra])), ", ".join(map(str, members[1:] + [extra]))]
            texts += [", ".join(map(str, members + [10**60])), ", ".join(map(str, members + [-(10**70)]))]
            for shift in (-len(members), -1, 1, len(members)):  # a neighbouring group's channels, one off
                texts.append(", ".join(str(m + shift) for m in members))
    else:
        choices = spec["choices"]
        subsets = ["".join(s) for n in range(len(choices) + 1) for s in itertools.combinations(choices, n)]
        texts += subsets + [", ".join(s.lower()) for s in subsets] + [s + "Z" for s in subsets[:8]]
        texts += [s[::-1] + s for s in subsets[-8:]] + ["A B", "a;b", "ABCDEFGHIJ", "\u00e9", "\\", '"']
    return list(dict.fromkeys(texts))


def python_verdicts(check, settings: dict, spec: dict, reader, texts: list[str]) -> list[dict]:
    out = []
    for text in texts:
        start = time.perf_counter()
        value = box_answer(text, reader)
        if value is None:
            head, message = "Your turn.", spec["empty"]
        else:
            feedback = check(value, **settings)
            head, message = feedback.head, feedback.message
        out.append({"head": head, "message": message, "seconds": time.perf_counter() - start})
    return out


HARNESS = """
const {verdict} = require(process.argv[2]);
const cases = JSON.parse(require('fs').readFileSync(process.argv[3], 'utf8'));
const out = cases.map(({spec, texts}) => texts.map(text => {
  const start = process.hrtime.bigint();
  try {
    const v = verdict(spec, text);
    return {head: v.head, message: v.message, correct: v.correct, answered: v.answered,
            seconds: Number(process.hrtime.bigint() - start) / 1e9};
  } catch (error) {
    return {head: 'exception', message: String(error && error.stack || error), seconds: 0};
  }
}));
require('fs').writeFileSync(process.argv[4], JSON.stringify(out));
"""


def node() -> str:
    found = shutil.which("node") or shutil.which("nodejs")
    if not found:
        pytest.fail("Node.js is needed to test the page's answer boxes (Debian: apt-get install nodejs)")
    return found


def run_js(cases: list[dict], tmp_path: Path) -> list[list[dict]]:
    harness, data, out = tmp_path / "harness.js", tmp_path / "cases.json", tmp_path / "out.json"
    harness.write_text(HARNESS)
    data.write_text(json.dumps(cases, ensure_ascii=False))
    subprocess.run([node(), str(harness), str(SCRIPT), str(data), str(out)], check=True, timeout=120)
    return json.loads(out.read_text())


def test_every_exercise_exports_its_box_and_the_page_gives_the_python_verdict(tmp_path):
    assert len(CASES) >= len(CHECKS) >= 20
    cases, python = [], []
    for name, settings in CASES:
        check = CHECKS[name]
        exported = check(None, **settings).exercise
        assert exported, f"{name}({settings}): no exercise exported for the page's box"
        spec, exercise = json.loads(exported), exercise_of(check)
        expected, hints = exercise.expected(**settings), exercise.hints(**settings)
        texts = texts_for(spec, expected, hints)
        cases.append({"name": name, "settings": settings, "spec": spec, "texts": texts})
        python.append(python_verdicts(check, settings, spec, exercise.reader, texts))
    js = run_js([{"spec": c["spec"], "texts": c["texts"]} for c in cases], tmp_path)
    mismatches, slow, heads = [], [], {}
    for case, py_all, js_all in zip(cases, python, js):
        for text, py, page in zip(case["texts"], py_all, js_all):
            heads[py["head"]] = heads.get(py["head"], 0) + 1
            if (py["head"], py["message"]) != (page["head"], page["message"]):
                mismatches.append((case["name"], case["settings"], text[:60], py["head"], py["message"][:200],
                                   page["head"], page["message"][:200]))
            if max(py["seconds"], page["seconds"]) > LIMIT_S:
                slow.append((case["name"], text[:40], py["seconds"], page["seconds"]))
    total = sum(len(c["texts"]) for c in cases)
    slowest = [max(v["seconds"] for one in side for v in one) for side in (python, js)]
    print(f"\nanswer boxes: {len(cases)} exercises x inputs = {total} verdicts compared, {len(mismatches)} "
          f"mismatches, {len(slow)} slower than {LIMIT_S} s (slowest: Python {slowest[0] * 1e3:.1f} ms, page "
          f"{slowest[1] * 1e3:.1f} ms); heads {heads}")
    assert not mismatches, f"{len(mismatches)} of {total} verdicts differ:\n" + "\n".join(map(repr, mismatches[:20]))
    assert not slow, slow[:10]
    # every slip's hint and Correct! are reachable from the box (the browser test types them into the page)
    for case, js_all in zip(cases, js):
        said = {v["message"] for v in js_all}
        assert any(v["head"] == "Correct!" for v in js_all), case["name"]
        hints = exercise_of(CHECKS[case["name"]]).hints(**case["settings"])
        assert set(hints) <= said, (case["name"], set(hints) - said)


def test_the_page_reads_numbers_as_python_does(tmp_path):
    """``box_answer``'s grammar: what is a number, what stays text."""
    whole = exercise_of(CHECKS["grouped.check_params_exercise"]).reader
    assert box_answer("  1,234 ", whole) == 1234 and box_answer("-5", whole) == -5
    assert box_answer("3.5", whole) == 3.5 and box_answer("1e400", whole) == math.inf
    assert box_answer("12,34", whole) == "12,34" and box_answer("0x10", whole) == "0x10"
    assert box_answer("\u0661", whole) == "\u0661"  # only ASCII digits
    assert box_answer("9" * 500, whole) == int("9" * 500) and box_answer("1" * 5000, whole) == math.inf
    assert box_answer(" ", whole) is None
    listed = exercise_of(CHECKS["grouped.check_legal_groups_exercise"]).reader
    assert box_answer("[1, 2 3,]", listed) == [1, 2, 3] and box_answer("{1}", listed) == [1]
    assert box_answer("[1, x]", listed) == [1, "x"] and box_answer("[]", listed) == []


class _Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.attrs: dict[str, str | None] = {}
        self.tags: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "p":
            self.attrs = dict(attrs)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_an_unanswered_check_carries_its_exercise_and_says_where_to_check_without_javascript(name):
    check = CHECKS[name]
    page = check(None)._repr_html_()
    parsed = _Parsed()
    parsed.feed(page)
    assert parsed.tags.count("p") == 1 and "noscript" in parsed.tags and html.escape(NO_SCRIPT) in page
    spec = json.loads(parsed.attrs["data-rxt-exercise"])
    assert spec["empty"] in (BOX_EMPTY, BOX_EMPTY_CHOICE) and spec["what"] == exercise_of(check).what
    assert "data-rxt-exercise" not in check("not an answer")._repr_html_()  # only the invitation carries it
    assert parsed.attrs["class"] == "rxt-feedback" and "Your turn." in page and "<code>None</code>" in page


def test_every_diagnosis_of_the_book_has_its_port_in_the_page():
    """A new ``diagnose`` function needs its port in exercises.js (the parity test above then holds it to Python)."""
    ported = set(re.findall(r"^    '(\w+\.\w+)'\(", SCRIPT.read_text(encoding="utf-8"), re.MULTILINE))
    used = {json.loads(CHECKS[n](None, **s).exercise).get("diagnose") for n, s in CASES} - {None}
    assert used <= ported, f"port these diagnose functions to {SCRIPT.name}: {sorted(used - ported)}"
