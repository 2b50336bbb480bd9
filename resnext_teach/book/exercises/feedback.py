"""How an exercise answers: a ``Feedback`` that says right or what is off, never the answer itself.

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

``readers`` reads each kind of answer by these rules; ``core`` declares an exercise (``Exercise``) and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

PAPER = "#ffffff"  # the feedback's own background, whatever the notebook's theme
NOT_ANSWERED = "Replace None with your answer, then run the cell again."
"""The message of ``unanswered()``."""
NO_SCRIPT = ("JavaScript is off, so this page cannot check your answer: open this chapter's notebook (Colab: the "
             "launch button at the top of the page), put your answer in this cell and run it for feedback.")
"""What the web page says under an unanswered exercise when JavaScript is off (``<noscript>``: a notebook, where
scripts run, never shows it)."""


@dataclass(frozen=True)
class Feedback:
    """The result of checking one answer."""

    correct: bool
    message: str
    answered: bool = True  # False while the cell still holds ``answer = None``: an invitation, not an error
    exercise: str = field(default="", compare=False)  # the exercise for the page's answer box, as JSON (core)

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
        # The web page's answer box (book_js/_static/rxt/exercises.js) reads the exercise from this attribute.
        box = (f' data-rxt-exercise="{escape(self.exercise, quote=True)}"', f"<noscript> {escape(NO_SCRIPT)}</noscript>"
               ) if self.exercise else ("", "")
        # Its own white paper: the colours keep their contrast (4.5:1 or more) in light and dark notebook themes.
        return (f'<p class="rxt-feedback" style="color:{colour}; background:{PAPER}; border-left:4px solid {colour}; '
                f'padding:0.2rem 0.5rem; margin:0.25rem 0"{box[0]}><b>{mark} {self.head}</b> {message}{box[1]}</p>')


def right(message: str = "") -> Feedback:
    return Feedback(True, message)


def wrong(message: str) -> Feedback:
    return Feedback(False, message)


def unanswered(exercise: str = "") -> Feedback:
    """What a check says while the answer is still ``None`` (with ``exercise``, the JSON the page's box reads)."""
    return Feedback(False, NOT_ANSWERED, answered=False, exercise=exercise)


def capitalized(what: str) -> str:
    return what[:1].upper() + what[1:]
