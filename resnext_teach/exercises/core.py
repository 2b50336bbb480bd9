"""How exercise answers are checked: a ``Feedback`` that says right or what is off, never the answer itself.

A check function takes the student's answer and returns ``Feedback``. It shows as a coloured line in a notebook
and is truthy when the answer is right, so ``assert check_...(answer)`` also works in autograding.

The rules every check follows (the tests hold each one to them):

* it never raises on an answer, whatever it is: a wrong kind of answer gets a ``Feedback`` that says what form
  the answer must have ("a whole number", "a list or set of whole numbers");
* a whole number may be given as an ``int``, a whole ``float`` (``72.0``), or a numpy scalar (``np.int64(72)``,
  ``np.float64(72.0)``), alone or inside a list; ``True`` and ``False`` are not numbers here;
* a torch tensor (or numpy array) is not taken as a number, not even a one-element one: the feedback says to
  use ``.item()`` (or ``.tolist()`` for several numbers), which is what a student needs to learn anyway;
* messages point at the mistake ("did you divide by the number of groups?") or at the method ("recount the
  factor K x K"), never at the expected value, nor at the direction of the error: "too large" would let a
  student find the answer by bisection.

Every exercise is one ``Exercise``, declared in its chapter's module: the question's values, a private function
that computes the answer from the package's formulas, a ``Reader`` (what kind of answer: a whole number, a real
number within a tolerance, a set or a list of whole numbers, letters), the slips' hints and a method hint. Its
``check`` is the only place where an answer is read and compared, and its order is the same everywhere:

1. ``None``: the "Your turn" invitation (``unanswered``);
2. an answer of the wrong form: what form is expected (or a slip's message, when a slip gives that form: the
   exact root of an equation where a whole number is asked);
3. the right answer: "Correct!" and the answer shown back;
4. a slip's value: that slip's message (slips whose value is the right answer, or within its tolerance, are
   dropped first: ``Exercise.hints``);
5. the exercise's own diagnosis, if it has one (which member of a set breaks which rule);
6. a number that is not positive where the answer is: "... is positive";
7. anything else: the method hint.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html import escape
from numbers import Integral, Rational, Real
from typing import Any

NOT_ANSWERED = "Replace None with your answer, then run the cell again."

RECOUNT = "Recount each factor of the formula."
"""The default method hint of an exercise when no known slip explains a wrong answer."""

MAX_MEMBERS = 100_000
"""A list answer with more members than this is refused before it is read (no answer here is that long)."""


@dataclass(frozen=True)
class Feedback:
    """The result of checking one answer."""

    correct: bool
    message: str
    answered: bool = True  # False while the cell still holds ``answer = None``: an invitation, not an error

    def __bool__(self) -> bool:
        return self.correct

    @property
    def head(self) -> str:
        return "Correct!" if self.correct else "Not yet." if self.answered else "Your turn."

    def __str__(self) -> str:
        return f"{self.head} {self.message}".strip()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        if self.correct:
            colour, mark = "#1b7f3b", "&#10004;"  # green tick
        elif self.answered:
            colour, mark = "#9a3412", "&#10008;"  # a wrong answer: dark orange cross
        else:
            colour, mark = "#4b5563", "&#9998;"   # not answered yet: neutral grey pencil
        message = escape(self.message).replace("None", "<code>None</code>", 1) if not self.answered else escape(self.message)
        return (f'<p class="rxt-feedback" style="color:{colour}; margin:0.25rem 0"><b>{mark} {self.head}</b> '
                f"{message}</p>")


def right(message: str = "") -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
    return Feedback(False, message)


def unanswered() -> Feedback:
    """What a check says while the answer is still ``None``."""
    return Feedback(False, NOT_ANSWERED, answered=False)


def _capitalized(what: str) -> str:
    return what[:1].upper() + what[1:]


def _is_array(value: object) -> bool:
    """A torch tensor or a numpy array (not a numpy scalar such as ``np.int64(3)``, which is a number)."""
    return hasattr(value, "shape") and hasattr(value, "tolist") and not isinstance(value, Real) and not _is_bool(value)


def _array_hint(value: object, what: str) -> str:
    size = getattr(value, "numel", None)
    try:
        count = int(size()) if callable(size) else int(getattr(value, "size", 2))
    except Exception:  # noqa: BLE001 - a strange array must not make the check raise
        count = 2
    kind = "a tensor" if type(value).__module__.startswith("torch") else "an array"
    if count == 1:
        return f"That is {kind}, not a number: use .item() to turn a tensor into a number, then give {what}."
    return f"That is {kind} of several numbers: give {what} as one number (use .item() on a one-element tensor)."


def _is_bool(value: object) -> bool:
    """``True``/``False``, or a numpy bool scalar such as ``np.bool_(True)``."""
    return isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_"))


def whole_number(value: object) -> int | None:
    """``value`` as an ``int`` if it is a whole real number (``72``, ``72.0``, ``np.int64(72)``), else ``None``.

    ``None`` for bools, NaN, infinities, fractions, strings, tensors and anything else; never raises.
    """
    if _is_bool(value) or not isinstance(value, Real):
        return None
    if isinstance(value, Integral):
        return int(value)
    try:
        if isinstance(value, Rational):  # fractions.Fraction: exact, however large
            return int(value) if value.denominator == 1 else None
        number = float(value)
    except (OverflowError, ValueError, TypeError, ArithmeticError):
        return None
    return int(number) if math.isfinite(number) and number.is_integer() else None


def read_whole_number(answer: object, what: str) -> int | Feedback:
    """The answer as an ``int``, or the ``Feedback`` that says what form a whole-number answer must have."""
    if answer is None:
        return unanswered()
    value = whole_number(answer)
    if value is not None:
        return value
    if _is_bool(answer):
        return wrong(f"Give {what} as a whole number, not bool: True and False are not numbers here.")
    if _is_array(answer):
        return wrong(_array_hint(answer, what))
    if isinstance(answer, Real):
        try:
            finite = math.isfinite(answer)
        except (OverflowError, ValueError, TypeError, ArithmeticError):
            finite = True  # a huge exact number: it is finite, just not an int here
        if not finite:
            return wrong(f"{_capitalized(what)} is a whole number; nan and infinity are not.")
        return wrong(f"{_capitalized(what)} is a whole number.")
    return wrong(f"Give {what} as a whole number, not {type(answer).__name__}.")


def read_real(answer: object, what: str) -> float | Feedback:
    """The answer as a finite ``float``, or the ``Feedback`` that says what form a number answer must have."""
    if answer is None:
        return unanswered()
    if _is_bool(answer):
        return wrong(f"Give {what} as a number, not bool: True and False are not numbers here.")
    if _is_array(answer):
        return wrong(_array_hint(answer, what))
    if not isinstance(answer, Real):
        return wrong(f"Give {what} as a number, not {type(answer).__name__}.")
    try:
        value = float(answer)
    except (OverflowError, ValueError, TypeError, ArithmeticError):
        return wrong(f"{_capitalized(what)} is an ordinary number: that one does not even fit in a float.")
    if not math.isfinite(value):
        return wrong(f"Give {what} as a finite number; nan and infinity are not answers here.")
    return value


def read_whole_numbers(
    answer: object, what: str, ordered: bool = False, form: str | None = None
) -> list[int] | Feedback:
    """The answer as a list of ints (from a list, tuple, set or range), or the ``Feedback`` that says what form
    it must have (``form``, e.g. "a tuple of integers"). With ``ordered``, a set is refused (it has no order)."""
    if form is None:
        form = f"a list{'' if ordered else ' or set'} of whole numbers, like [a, b, c]"
    if answer is None:
        return unanswered()
    if _is_array(answer):
        return wrong(f"That is a tensor or array: use .tolist() to turn it into a list, then give {what} as "
                     f"{form}.")
    containers = (list, tuple, range) if ordered else (list, tuple, set, frozenset, range)
    if not isinstance(answer, containers):
        if ordered and isinstance(answer, (set, frozenset)):
            return wrong(f"A set has no order: give {what} as {form}.")
        return wrong(f"Give {what} as {form}, not {type(answer).__name__}.")
    try:
        too_long = len(answer) > MAX_MEMBERS
    except OverflowError:  # range(10**400)
        too_long = True
    if too_long:
        return wrong(f"That is far longer than any answer here: give {what} as {form}.")
    values = []
    for item in answer:
        value = whole_number(item)
        if value is None:
            if _is_array(item):
                return wrong(f"Every member of {what} must be a number: use .item() to turn a tensor into a number.")
            return wrong(f"Every member of {what} must be a whole number (an integer); one of yours is "
                         f"{'a bool' if _is_bool(item) else 'a ' + type(item).__name__}"
                         f"{' that is not whole' if isinstance(item, Real) and not _is_bool(item) else ''}.")
        values.append(value)
    return values


def read_letters(answer: object, choices: tuple[str, ...], form: str) -> set[str] | Feedback:
    """The letters of the answer (a string such as ``"B, e F"`` or a container of one-letter strings), upper-case,
    or the ``Feedback`` that says what form it must have (``form``) or which letter is not among ``choices``."""
    if answer is None:
        return unanswered()
    if isinstance(answer, str):
        letters = [ch for ch in answer.upper() if not ch.isspace() and ch != ","]
    elif isinstance(answer, (list, tuple, set, frozenset)):
        if len(answer) > MAX_MEMBERS:
            return wrong(f"That is far longer than any answer here. {form}.")
        if not all(isinstance(a, str) for a in answer):
            return wrong(f"{form}: every member is a letter (a str).")
        letters = [a.strip().upper() for a in answer]
    else:
        return wrong(f"{form}, not {type(answer).__name__}.")
    unknown = sorted(set(letters) - set(choices))
    if unknown:
        shown = ", ".join(repr(u) if len(u) <= 10 else repr(u[:10] + "...") for u in unknown[:3])
        return wrong(f"Choose among the letters {', '.join(choices)}; {shown} {'is' if len(unknown) == 1 else 'are'} "
                     f"not one of them.")
    return set(letters)


# --- readers: how each kind of answer is read, compared and shown --------------------------------------------


class Reader:
    """A kind of answer. ``read`` turns an answer into a value or the ``Feedback`` that names the expected form;
    ``same`` compares a value with a target (the answer or a slip's value); ``show`` writes a value back."""

    def read(self, answer: object, what: str) -> Any:
        raise NotImplementedError

    def same(self, value: Any, target: Any) -> bool:
        return value == target

    def show(self, value: Any) -> str:
        return str(value)

    def near_refused(self, answer: object, target: Any) -> bool:
        """Whether an answer that ``read`` refused is still a slip's value ``target`` (the exact root 7.51 where a
        whole number is asked), so that the slip's message can say more than the form."""
        return False

    def out_of_range(self, value: Any, expected: Any) -> bool:
        """Whether ``value`` is not positive while the answer is: such a quantity is positive."""
        return False


@dataclass(frozen=True)
class Whole(Reader):
    """A whole number: ``72``, ``72.0``, ``np.int64(72)``; a slip whose value is not whole is matched to two
    decimals by an answer that is not whole either."""

    def read(self, answer: object, what: str) -> int | Feedback:
        return read_whole_number(answer, what)

    def show(self, value: int) -> str:
        return f"{value:,}"

    def near_refused(self, answer: object, target: Any) -> bool:
        if whole_number(target) is not None or not isinstance(target, Real):
            return False
        value = read_real(answer, "the value")
        return not isinstance(value, Feedback) and abs(value - target) < 0.01

    def out_of_range(self, value: int, expected: Any) -> bool:
        return value <= 0 < expected


@dataclass(frozen=True)
class Approx(Reader):
    """A real number, right within the relative tolerance ``rel``; a slip's value is matched within ``rel`` of
    that value."""

    rel: float

    def read(self, answer: object, what: str) -> float | Feedback:
        return read_real(answer, what)

    def same(self, value: float, target: float) -> bool:
        return abs(value - target) <= self.rel * abs(target)

    def show(self, value: float) -> str:
        return f"{value:,.6g}"

    def out_of_range(self, value: float, expected: Any) -> bool:
        return value <= 0 < expected


@dataclass(frozen=True)
class WholeSet(Reader):
    """A set of whole numbers, given as a list, tuple, set or range (order and repeats do not matter)."""

    def read(self, answer: object, what: str) -> set[int] | Feedback:
        values = read_whole_numbers(answer, what)
        return values if isinstance(values, Feedback) else set(values)

    def same(self, value: set[int], target: Any) -> bool:
        return set(value) == set(target)

    def show(self, value: set[int]) -> str:
        return ", ".join(map(str, sorted(value)))


@dataclass(frozen=True)
class WholeTuple(Reader):
    """An ordered sequence of whole numbers (a tuple, list or ``torch.Size``; a set has no order); ``form`` is
    what a wrong form is told, e.g. "a tuple of integers, like (a, b, c, d)"."""

    form: str

    def read(self, answer: object, what: str) -> tuple[int, ...] | Feedback:
        values = read_whole_numbers(answer, what, ordered=True, form=self.form)
        return values if isinstance(values, Feedback) else tuple(values)

    def same(self, value: tuple[int, ...], target: Any) -> bool:
        return tuple(value) == tuple(target)


@dataclass(frozen=True)
class Letters(Reader):
    """Letters among ``choices``, given as a string (``"AC"``, ``"a, c"``) or a container of letters."""

    choices: tuple[str, ...]

    def read(self, answer: object, what: str) -> set[str] | Feedback:
        return read_letters(answer, self.choices, f'Give {what} as a string such as "AC" or a set such as {{"A", "C"}}')

    def same(self, value: set[str], target: Any) -> bool:
        return set(value) == set(target)

    def show(self, value: set[str]) -> str:
        return ", ".join(sorted(value))


WHOLE = Whole()


def _no_slips(**_values: Any) -> dict[str, Any]:
    return {}


# --- the exercise --------------------------------------------------------------------------------------------


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
        value = self.reader.read(answer, self.what)
        if isinstance(value, Feedback):
            for message, slip in hints.items():
                if self.reader.near_refused(answer, slip):
                    return wrong(message)
            return value
        if self.reader.same(value, expected):
            if self.echo is not None:
                return right(self.echo(value, **values))
            return right(f"{_capitalized(self.what)}: {self.reader.show(value)}.")
        for message, slip in hints.items():
            if self.reader.same(value, slip):
                return wrong(message)
        if self.diagnose is not None:
            message = self.diagnose(value, expected, **values)
            if message:
                return wrong(message)
        if self.reader.out_of_range(value, expected):
            return wrong(f"{_capitalized(self.what)} is positive.")
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
