"""Helpers shared by the tests (``conftest.py`` puts this folder on ``sys.path``): ``from helpers import ...``.

The one home of "feedback never shows the answer": an exercise check may say what is off, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from numbers import Integral, Real


def _shows_whole_number(message: str, text: str) -> bool:
    # as a number of its own: not part of a longer number such as 184320, 1.8432 or 2,18432
    return re.search(rf"(?<![\d,.]){re.escape(text)}(?!\d)(?![,.]\d)", message) is not None


def shows(message: str, answer: object, ignore: Iterable[str] = ()) -> bool:
    """True when ``message`` shows ``answer``, once the fixed phrases in ``ignore`` (formulas such as
    ``"3 x 3 = 9"``, the same whatever the answer) are taken out.

    * an integer: written plainly or with thousands separators (``18432``, ``18,432``) as a number of its own;
    * a float: as ``repr`` or rounded to 3 significant digits, 2 or 1 decimals (and as an integer when whole);
    * a string: anywhere, as a substring (pass the printed forms of a shape, e.g. ``"(64, 3, 7, 7)"``);
    * a list, tuple or set: written as a whole (``[1, 2, 3]``, ``(1, 2, 3)``, ``1, 2, 3``, sorted or not).
    """
    for phrase in ignore:
        message = message.replace(phrase, " ")
    if isinstance(answer, str):
        return answer in message
    if isinstance(answer, bool):
        raise TypeError("a bool is no answer to look for")
    if isinstance(answer, Integral):
        n = int(answer)
        return any(_shows_whole_number(message, text) for text in {str(n), f"{n:,}"})
    if isinstance(answer, Real):
        x = float(answer)
        forms = {repr(x), f"{x:.3g}", f"{x:.2f}", f"{x:.1f}"}
        if x.is_integer():
            if shows(message, int(x)):
                return True
            forms = {form for form in forms if "." in form or "e" in form}  # the rest was checked just above
        return any(re.search(rf"(?<!\d){re.escape(form)}", message) for form in forms)
    if isinstance(answer, (list, tuple, set, frozenset)):
        orders = [list(answer)] if isinstance(answer, (list, tuple)) else []
        orders.append(sorted(answer))
        forms = set()
        for items in orders:
            forms |= {str(items), str(tuple(items)), ", ".join(map(str, items)), "".join(map(str, items))}
        return any(form in message for form in forms if len(form) > 1)
    raise TypeError(f"do not know how {type(answer).__name__} would show in a message")


def free_of(expected: object, message: str, ignore: Iterable[str] = ()) -> bool:
    """True when ``message`` does not show ``expected`` (see ``shows``)."""
    return not shows(message, expected, ignore)


def assert_never_reveals(feedback, *answers: object, ignore: Iterable[str] = ()) -> None:
    """The feedback says "not yet" and its message shows none of ``answers`` (see ``shows``)."""
    assert not feedback, feedback
    for answer in answers:
        assert free_of(answer, feedback.message, ignore), (answer, feedback.message)
