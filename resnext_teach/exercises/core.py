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
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape
from numbers import Integral, Rational, Real

NOT_ANSWERED = "Replace None with your answer, then run the cell again."

RECOUNT = "Recount each factor of the formula."
"""The default method hint of ``check_integer`` when no known slip explains a wrong answer."""

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


def reachable_hints(expected: object, hints: dict[str, object] | None) -> dict[str, object]:
    """The hints whose wrong value differs from ``expected``: a slip that happens to give the right value for
    these sizes is no slip, and its hint is dropped (the right answer is always checked first)."""
    return {message: value for message, value in (hints or {}).items() if value != expected}


def check_integer(
    answer: object,
    expected: int,
    hints: dict[str, int] | None = None,
    what: str = "the count",
    method: str = RECOUNT,
) -> Feedback:
    """Check a whole-number answer.

    ``hints`` maps a message to the wrong value a common slip gives; an answer equal to that value gets the
    message (hints whose value equals ``expected`` are dropped, see ``reachable_hints``). Any other wrong answer
    gets ``method``: which factors to recount, never whether the answer is too large or too small.
    """
    value = read_whole_number(answer, what)
    if isinstance(value, Feedback):
        return value
    if value == expected:
        return right(f"{what[:1].upper() + what[1:]}: {value:,}.")
    for message, slip in reachable_hints(expected, hints).items():
        if value == slip:
            return wrong(message)
    if value <= 0 < expected:
        return wrong(f"{_capitalized(what)} is positive.")
    return wrong(f"That is not {what}. {method}")
