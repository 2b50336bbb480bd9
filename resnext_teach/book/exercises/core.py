"""How an exercise is declared and checked: one ``Exercise`` per exercise, declared in its chapter's module.

An ``Exercise`` holds the question's values, a private function that computes the answer from the package's
formulas, a ``Reader`` (what kind of answer: a whole number, a real number within a tolerance, a set or a list of
whole numbers, letters), the slips' hints and a method hint. Its ``check`` is the only place where an answer is read and compared, and its order is the same everywhere:

1. ``None``: the "Your turn" invitation (``unanswered``);
2. an answer of the wrong form: what form is expected (or a slip's message, when a slip gives that form: the
   exact root of an equation where a whole number is asked);
3. the right answer: "Correct!" and the answer shown back;
4. a slip's value: that slip's message (slips whose value is the right answer, or within its tolerance, are
   dropped first: ``Exercise.hints``);
5. the exercise's own diagnosis, if it has one (which member of a set breaks which rule);
6. a number that is not positive where the answer is: "... is positive";
7. anything else: the method hint.

An answer is read by a ``readers.Reader``; what comes back is a ``feedback.Feedback``.

The web page has no kernel: ``check(None)`` (the exercise cell as the page shows it) carries ``export()``, the
exercise as JSON for the answer box that ``book_js/_static/rxt/exercises.js`` adds under it. The box gives the same
verdict and message as ``check`` would give ``box_answer(text)``: what the box's text stands for (see there).
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from numbers import Integral
from typing import Any

from .feedback import Feedback, capitalized, right, unanswered, wrong
from .readers import MAX_MEMBERS, WHOLE, Approx, Letters, Reader, Whole, WholeSet, WholeTuple

RECOUNT = "Recount each factor of the formula."
"""The default method hint of an exercise when no known slip explains a wrong answer."""


def _no_slips(**_values: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True, eq=False)
class Exercise:
    """One exercise, declared: a chapter module defines it once, privately, and its public check function is
    ``return SPEC.check(answer)`` (plus the sizes a chapter may set, such as ``cardinality=16``).

    * ``what``: what the answer is, "the parameter count"; the form messages and the echo use it;
    * ``values``: the question's values (the dict the chapter quotes through glue); ``solve``, ``slips``,
      ``diagnose`` and ``echo`` get them as keyword arguments, with a check's settings laid over them;
    * ``solve(**values)``: the right answer, computed from the package's formulas or real modules;
    * ``reader``: the kind of answer (``WHOLE``, ``Approx(rel)``, ``WholeSet()``, ``WholeTuple(form)``,
      ``Letters(choices)``);
    * ``slips(**values)``: ``{message: the wrong value that a known slip gives}``, computed, never typed;
    * ``method``: what any other wrong answer is told (which factors to recount), never a direction;
    * ``diagnose(value, expected, **values)``: an optional message for a wrong answer that no slip explains, for
      answers with parts (which member of a set breaks which rule); ``None`` leaves it to ``method``;
    * ``echo(value, **values)``: an optional message for a right answer; by default "What: value.".
    """

    what: str
    values: Mapping[str, Any]
    solve: Callable[..., Any]
    reader: Reader = WHOLE
    slips: Callable[..., dict[str, Any]] = _no_slips
    method: str = RECOUNT
    diagnose: Callable[..., str | None] | None = None
    echo: Callable[..., str] | None = None

    def _values(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        unknown = set(settings) - set(self.values)
        if unknown:
            raise TypeError(f"unknown setting {', '.join(sorted(unknown))}: this exercise has {', '.join(self.values)}")
        return {**self.values, **settings}

    def expected(self, **settings: Any) -> Any:
        """The right answer for these settings (for the tests: a chapter never shows it)."""
        return self.solve(**self._values(settings))

    def hints(self, **settings: Any) -> dict[str, Any]:
        """The slips' hints that a wrong answer can reach: a slip whose value is the right answer (or within its
        tolerance) for these sizes is no slip here, and is dropped."""
        values = self._values(settings)
        return self._reachable(values, self.solve(**values))

    def _reachable(self, values: dict[str, Any], expected: Any) -> dict[str, Any]:
        return {message: slip for message, slip in self.slips(**values).items()
                if not self.reader.same(slip, expected)}

    def check(self, answer: object, **settings: Any) -> Feedback:
        """The feedback on ``answer``; never raises on an answer (a bad setting raises, naming itself)."""
        values = self._values(settings)
        expected = self.solve(**values)  # first, so that a bad setting raises whatever the answer
        if answer is None:
            try:
                exported = json.dumps(self.export(**settings), ensure_ascii=False, allow_nan=False)
            except Exception:  # noqa: BLE001 - the page then has no box here; the notebook check still works
                exported = ""  # (tests/test_answer_boxes.py holds every exercise of the book to exporting)
            return unanswered(exported)
        hints = self._reachable(values, expected)
        try:
            return self._judge(answer, values, expected, hints)
        except Exception as error:  # noqa: BLE001 - the answer's own methods raised (a float() or an iteration)
            return wrong(f"Python could not read your answer: it raised {type(error).__name__} when asked for "
                         f"its value. Give {self.what} as a plain number, list or string.")

    def _judge(self, answer: object, values: dict[str, Any], expected: Any, hints: dict[str, Any]) -> Feedback:
        value = self.reader.read(answer, self.what)
        if isinstance(value, Feedback):
            for message, slip in hints.items():
                if self.reader.near_refused(answer, slip):
                    return wrong(message)
            return value
        return self._judge_value(value, values, expected, hints)

    def _judge_value(self, value: Any, values: dict[str, Any], expected: Any, hints: dict[str, Any]) -> Feedback:
        """Steps 3 to 7 of the check, for an answer read as a value."""
        if self.reader.same(value, expected):
            if self.echo is not None:
                return right(self.echo(value, **values))
            return right(f"{capitalized(self.what)}: {self.reader.show(value)}.")
        for message, slip in hints.items():
            if self.reader.same(value, slip):
                return wrong(message)
        if self.diagnose is not None:
            message = self.diagnose(value, expected, **values)
            if message:
                return wrong(message)
        if self.reader.out_of_range(value, expected):
            return wrong(f"{capitalized(self.what)} is positive.")
        return wrong(f"That is not {self.what}. {self.method}")

    def export(self, **settings: Any) -> dict[str, Any]:
        """The exercise for the web page's answer box, as plain JSON: the kind of answer, the right answer and the
        slips' values for these settings, and every message the check can give, each produced here by the check's
        own code (``box_answer`` says how the box's text is read). A ``diagnose`` function is named, for the port
        of it in ``exercises.js``; a ``Letters`` answer has few possible values, so the verdict on each is here."""
        values = self._values(settings)
        expected = self.solve(**values)
        hints, reader, what = self._reachable(values, expected), self.reader, self.what
        kind = {Whole: "whole", Approx: "real", WholeSet: "set", WholeTuple: "tuple", Letters: "letters"}[type(reader)]
        read = reader.read(expected, what)
        right_answer = read if isinstance(read, Feedback) else self._judge_value(read, values, expected, hints)
        if not right_answer:
            raise ValueError(f"{what}: the check does not accept its own answer {expected!r}")
        spec: dict[str, Any] = {
            "what": what, "kind": kind, "empty": BOX_EMPTY_CHOICE if kind == "letters" else BOX_EMPTY,
            "right": None if kind == "real" and self.echo is None else right_answer.message,
            "right_prefix": f"{capitalized(what)}: ", "positive": f"{capitalized(what)} is positive.",
            "method": f"That is not {what}. {self.method}",
        }
        if kind == "letters":  # "single": one option of N, each other one a slip (a radio group on the page)
            choices = reader.choices
            unknown = reader.read(_ODD + "\u2604", what).message, reader.read(_ODD, what).message  # 2 and 1 odd
            single = len(expected) == 1 and len(hints) == len(choices) - 1 and all(len(s) == 1 for s in hints.values())
            spec.update(choices=list(choices), single=single, unknown=[unknown[1].split(f"'{_ODD}'")[0],
                                                        unknown[1].split(f"'{_ODD}'")[1], unknown[0].split("'")[-1]])
            table = {"".join(letters): self._judge_value(set(letters), values, expected, hints)
                     for n in range(len(choices) + 1) for letters in itertools.combinations(sorted(choices), n)}
            messages = sorted({f.message for f in table.values()})
            spec["table"] = {"messages": messages,
                             "answers": {k: [int(f.correct), messages.index(f.message)] for k, f in table.items()}}
            return spec
        forms = {"whole": {"str": "x", "nonfinite": math.nan, "fraction": 0.5},  # answers of each wrong form
                 "real": {"str": "x", "nonfinite": math.nan, "huge": 10**400},
                 }.get(kind, {"member_str": ["x"], "member_float": [0.5], "long": range(MAX_MEMBERS + 1)})
        spec["forms"] = {name: reader.read(answer, what).message for name, answer in forms.items()}
        spec.update(max_members=MAX_MEMBERS, box_digits=BOX_DIGITS, rel=getattr(reader, "rel", None),
                    expected=_encoded(expected, kind),
                    slips=[[message, _encoded(slip, kind)] for message, slip in hints.items()])
        if self.diagnose is not None:
            module = self.diagnose.__module__.rsplit(".", 1)[-1]
            spec.update(diagnose=f"{module}.{self.diagnose.__qualname__}", values=_plain(values))
        return spec


# --- the web page's answer box ---------------------------------------------------------------------------------

BOX_EMPTY = "Type your answer in the box, then press Check."
BOX_EMPTY_CHOICE = "Choose your answer, then press Check."
BOX_DIGITS = 4000
"""A whole number typed with more digits than this is read as a float (Python's ``int`` refuses 4,300 digits)."""
_ODD = "\u2603"  # a snowman: no exercise's letter
_WHOLE_PART = r"(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)"  # ASCII digits, commas only between groups of three
_INT = re.compile(rf"[+-]?{_WHOLE_PART}")
_FLOAT = re.compile(rf"[+-]?(?:(?:{_WHOLE_PART}\.[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|{_WHOLE_PART}[eE][+-]?[0-9]+"
                    r"|nan|inf|infinity)", re.IGNORECASE)


def _box_number(text: str) -> object:
    """``text`` as an ``int`` or a ``float`` if it is written as one (``72``, ``1,234``, ``-5``, ``3.5``, ``1e3``,
    ``nan``, ``inf``), else the text itself."""
    if _INT.fullmatch(text):
        digits = text.replace(",", "")
        return int(digits) if len(digits.lstrip("+-")) <= BOX_DIGITS else float(digits)
    if _FLOAT.fullmatch(text):
        return float(text.replace(",", ""))
    return text


def box_answer(text: str, reader: Reader) -> object:
    """What the answer box's ``text`` stands for: the value ``Exercise.check`` is given for it, so that the page's
    verdict (``exercises.js``) is the check's own.

    * blank (only spaces): ``None``; the box then says ``BOX_EMPTY`` ("Your turn.") instead of "Replace None";
    * a number: an ``int`` if written as one (digits, an optional sign, commas between groups of three: ``1,234``),
      a ``float`` if written as Python's ``float`` reads it (``3.5``, ``.5``, ``1e3``, ``nan``, ``inf``, ``-Infinity``;
      ``1e400`` is ``inf``); only ASCII digits; anything else is the text itself (a ``str``: a form error);
    * a list (``WholeSet``, ``WholeTuple``): one pair of brackets ``[ ] ( ) { }`` around it is dropped, the rest is
      split at commas and spaces, and each item is read as a number above: always a ``list``, whatever the brackets;
    * letters (``Letters``): the text itself (the checkboxes' letters, "AC").
    """
    text = text.strip()
    if not text:
        return None
    if isinstance(reader, Letters):
        return text
    if isinstance(reader, (WholeSet, WholeTuple)):
        if len(text) > 1 and text[0] in "[({" and text[-1] in "])}":
            text = text[1:-1]
        return [_box_number(item) for item in re.split(r"[,\s]+", text) if item]
    return _box_number(text)


def _encoded(value: Any, kind: str) -> Any:
    """A value for the page: whole numbers as decimal strings (exact beyond 2**53), other numbers as numbers."""
    if kind in ("set", "tuple"):
        return [_encoded(v, "whole") for v in (sorted(value) if isinstance(value, (set, frozenset)) else value)]
    if kind == "whole" and isinstance(value, Integral) and not isinstance(value, bool):
        return str(int(value))
    if kind == "whole" and isinstance(value, float) and value.is_integer():
        return str(int(value))
    return float(value)


def _plain(value: Any) -> Any:
    """``value`` as plain JSON (the values a ported ``diagnose`` reads); a dataclass becomes a dict."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value)
    return value if isinstance(value, (str, int, float, bool, type(None))) else repr(value)


def check_integer(
    answer: object,
    expected: int,
    hints: dict[str, int] | None = None,
    what: str = "the count",
    method: str = RECOUNT,
) -> Feedback:
    """Check a whole-number answer against ``expected`` (an ``Exercise`` declared on the spot, for a one-off check
    in a notebook): ``hints`` maps a message to the wrong value a slip gives, any other wrong answer gets
    ``method``, never whether it is too large or too small."""
    slips = dict(hints or {})
    return Exercise(what, {}, solve=lambda: expected, slips=lambda: slips, method=method).check(answer)
