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
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .feedback import Feedback, capitalized, right, unanswered, wrong
from .readers import WHOLE, Reader

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
            return unanswered()
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
