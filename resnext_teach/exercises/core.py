"""How exercise answers are checked: a ``Feedback`` that says right or what is off, never the answer itself.

A check function takes the student's answer and returns ``Feedback``. It shows as a coloured line in a notebook
and is truthy when the answer is right, so ``assert check_...(answer)`` also works in autograding.
Messages point at the mistake ("32 times too large: did you divide by the number of groups?"), never at the
expected value; the tests assert that no message contains the solution.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from numbers import Real

NOT_ANSWERED = "Replace `None` with your answer, then run the cell again."


@dataclass(frozen=True)
class Feedback:
    """The result of checking one answer."""

    correct: bool
    message: str

    def __bool__(self) -> bool:
        return self.correct

    def __str__(self) -> str:
        return ("Correct! " if self.correct else "Not yet. ") + self.message

    __repr__ = __str__

    def _repr_html_(self) -> str:
        colour, mark = ("#1b7f3b", "&#10004;") if self.correct else ("#b02a37", "&#10008;")
        head = "Correct!" if self.correct else "Not yet."
        return f'<p style="color:{colour}"><b>{mark} {head}</b> {escape(self.message)}</p>'


def right(message: str = "") -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
    return Feedback(False, message)


def check_integer(answer: object, expected: int, hints: dict[str, int] | None = None, what: str = "the count") -> Feedback:
    """Check an integer answer. ``hints`` maps a message to a known wrong value it explains (a common slip);
    otherwise the feedback says whether the answer is too large or too small and by what factor."""
    if answer is None:
        return wrong(NOT_ANSWERED)
    if isinstance(answer, bool) or not isinstance(answer, Real):
        return wrong(f"Give {what} as a number, not {type(answer).__name__}.")
    if answer != int(answer):
        return wrong(f"{what.capitalize()} is a whole number.")
    answer = int(answer)
    if answer == expected:
        return right()
    for message, value in (hints or {}).items():
        if answer == value:
            return wrong(message)
    if answer <= 0:
        return wrong(f"{what.capitalize()} is positive.")
    ratio = answer / expected
    if ratio > 1:
        size = "much too large" if ratio >= 1.5 else "a little too large"
    else:
        size = "much too small" if ratio <= 1 / 1.5 else "a little too small"
    return wrong(f"Your answer is {size}. Recount each factor of the formula.")
