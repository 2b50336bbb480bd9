"""How each kind of answer is read, compared and shown (the rules are in ``feedback``'s docstring).

* ``whole_number``, ``read_whole_number``, ``read_real``, ``read_whole_numbers``, ``read_letters`` - an answer as a
  value, or the ``Feedback`` that says what form it must have; they never raise, whatever the answer;
* ``Reader`` and its kinds - ``Whole`` (``WHOLE``), ``Approx(rel)``, ``WholeSet()``, ``WholeTuple(form)``,
  ``Letters(choices)``: what an ``Exercise`` (``core``) reads its answer with.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Rational, Real
from typing import Any

from .feedback import Feedback, capitalized, unanswered, wrong

MAX_MEMBERS = 100_000
"""A list answer with more members than this is refused before it is read (no answer here is that long)."""


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


def kind_of(answer: object) -> str:
    """What an answer of the wrong form is, as a message names it: "text" for a string (typed in the page's box or
    written in quotes in a notebook), else its type with an article ("a list", "an Unconvertible")."""
    if isinstance(answer, str):
        return "text"
    name = type(answer).__name__
    return f"{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}"


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
            return wrong(f"{capitalized(what)} is a whole number; nan and infinity are not.")
        return wrong(f"{capitalized(what)} is a whole number.")
    return wrong(f"Give {what} as a whole number, not {kind_of(answer)}.")


def read_real(answer: object, what: str) -> float | Feedback:
    """The answer as a finite ``float``, or the ``Feedback`` that says what form a number answer must have."""
    if answer is None:
        return unanswered()
    if _is_bool(answer):
        return wrong(f"Give {what} as a number, not bool: True and False are not numbers here.")
    if _is_array(answer):
        return wrong(_array_hint(answer, what))
    if not isinstance(answer, Real):
        return wrong(f"Give {what} as a number, not {kind_of(answer)}.")
    try:
        value = float(answer)
    except (OverflowError, ValueError, TypeError, ArithmeticError):
        return wrong(f"{capitalized(what)} is an ordinary number: that one does not even fit in a float.")
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
        return wrong(f"Give {what} as {form}, not {kind_of(answer)}.")
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
                         f"{'a bool' if _is_bool(item) else kind_of(item)}"
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
        return wrong(f"{form}, not {kind_of(answer)}.")
    unknown = sorted(set(letters) - set(choices))
    if unknown:
        shown = ", ".join(repr(u) if len(u) <= 10 else repr(u[:10] + "...") for u in unknown[:3])
        return wrong(f"Choose among the letters {', '.join(choices)}; {shown} {'is' if len(unknown) == 1 else 'are'} "
                     f"not one of them.")
    return set(letters)


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
