"""``resnext_teach.book.exercises.core``: the one declarative pattern of every exercise (``Exercise`` and its readers):
the order of its answers, hints that work (a slip equal to the answer is dropped), tolerances, and the exercise
modules' public names (no helper hands out an answer)."""

import importlib
import inspect
import math
import pkgutil
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import resnext_teach.book.exercises as exercises
from resnext_teach.book.exercises.core import Exercise, check_integer
from resnext_teach.book.exercises.feedback import NOT_ANSWERED, Feedback
from resnext_teach.book.exercises.readers import WHOLE, Approx, Letters, WholeSet, WholeTuple

from helpers import assert_never_reveals, free_of

BIAS = "Did you forget the bias? nn.Conv2d has bias=True by default."
GROUPS = "Did you divide by the number of groups?"


def conv_params(in_channels: int, out_channels: int, kernel_size: int, groups: int = 1) -> int:
    return nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=False, device="meta").weight.numel()


def params_exercise(**values) -> Exercise:
    """A grouped 3x3 layer's weights, with two slips: the dense count and the count with a bias."""
    return Exercise(
        "the parameter count", {"channels": 256, "groups": 32, **values},
        solve=lambda channels, groups: conv_params(channels, channels, 3, groups),
        slips=lambda channels, groups: {GROUPS: conv_params(channels, channels, 3),
                                        BIAS: conv_params(channels, channels, 3, groups) + channels},
        method="Recount each factor of C_out x (C_in / G) x K x K.",
    )


def test_the_order_of_the_answers():
    spec = params_exercise()
    expected = conv_params(256, 256, 3, 32)
    assert spec.expected() == expected == 18_432
    unanswered = spec.check(None)
    assert not unanswered and not unanswered.answered and unanswered.message == NOT_ANSWERED
    assert "Your turn." in unanswered._repr_html_()
    right = spec.check(expected)
    assert right and right.message == "The parameter count: 18,432." and str(right).startswith("Correct!")
    assert spec.check(float(expected)) and spec.check(np.int64(expected))
    assert spec.check(conv_params(256, 256, 3)).message == GROUPS
    assert spec.check(expected + 256).message == BIAS
    assert spec.check(-5).message == "The parameter count is positive."
    assert spec.check(expected + 1).message == ("That is not the parameter count. Recount each factor of "
                                                "C_out x (C_in / G) x K x K.")
    assert "whole number" in spec.check(expected + 0.5).message
    assert ".item()" in spec.check(torch.tensor(expected)).message
    for feedback in (spec.check(v) for v in (1, expected + 1, -5, 10**400, "18432", True, math.nan, [expected])):
        assert isinstance(feedback, Feedback) and feedback.answered
        assert_never_reveals(feedback, expected)


def test_a_slip_that_gives_the_right_answer_is_dropped():
    """With one group the dense count is the right count: that slip is no slip, and its hint must not show."""
    spec = params_exercise(groups=1)
    expected = conv_params(256, 256, 3)
    assert set(spec.hints()) == {BIAS}
    assert spec.check(expected) and spec.check(expected).message == "The parameter count: 589,824."
    assert spec.check(expected + 256).message == BIAS
    assert set(params_exercise().hints()) == {GROUPS, BIAS}
    assert spec.check(expected + 256, groups=32).message != BIAS  # settings are laid over the values
    assert params_exercise().check(conv_params(256, 256, 3), groups=1)


def test_settings_are_checked_before_the_answer():
    spec = params_exercise()
    with pytest.raises(TypeError, match="unknown setting cardinality"):
        spec.check(1, cardinality=4)
    with pytest.raises(ValueError):
        spec.check(None, groups=5)  # 256 channels do not split into 5 groups: nn.Conv2d says so, whatever the answer


def test_a_real_answer_and_its_slips_have_a_tolerance():
    spec = Exercise("the factor", {"k": 3}, solve=lambda k: (2 * k) ** 2 / k**2, reader=Approx(rel=1e-3),
                    slips=lambda k: {"side, not area": (2 * k) / k, "within tolerance of the answer": 4.001,
                                     "inverse": k**2 / (2 * k) ** 2})
    assert set(spec.hints()) == {"side, not area", "inverse"}
    assert spec.check(4) and spec.check(4.003) and not spec.check(4.01)
    assert spec.check(2.001).message == "side, not area" and spec.check(0.25).message == "inverse"
    assert spec.check(0).message == "The factor is positive."
    assert spec.check(4).message == "The factor: 4."
    assert "finite" in spec.check(math.inf).message and "not text" in spec.check("4").message


def test_a_whole_number_exercise_can_name_a_slip_that_is_not_whole():
    """The exact root where a whole number is asked: the slip's message, not only "a whole number"."""
    spec = Exercise("the width d", {}, solve=lambda: 8, slips=lambda: {"round the root": 7.512, "floor": 7})
    assert spec.check(7.51).message == "round the root" and spec.check(7.512).message == "round the root"
    assert spec.check(7).message == "floor"
    assert "whole number" in spec.check(7.3).message and "whole number" in spec.check(7.0001).message


def test_the_readers_of_answers_with_parts():
    sets = Exercise("the legal values of G", {}, solve=lambda: {1, 2, 4}, reader=WholeSet(),
                    slips=lambda: {"without 1": {2, 4}, "the answer itself": {4, 2, 1}},
                    diagnose=lambda given, expected: "count them" if len(given) != len(expected) else None)
    assert set(sets.hints()) == {"without 1"}
    assert sets.check([4, 2, 1]) and sets.check(range(1, 3)).message == "count them" and sets.check({1, 2, 4})
    assert sets.check([2, 4]).message == "without 1" and sets.check({1, 2, 8}).message.startswith("That is not")
    assert sets.check([1, 2, 4]).message == "The legal values of G: 1, 2, 4."
    assert "list or set" in sets.check(7).message and ".tolist()" in sets.check(torch.tensor([1, 2, 4])).message

    shape = Exercise("the shape", {}, solve=lambda: (64, 3, 7, 7), reader=WholeTuple("a tuple of integers"),
                     slips=lambda: {"swapped": (3, 64, 7, 7)})
    assert shape.check(torch.Size([64, 3, 7, 7])) and shape.check([64, 3, 7, 7])
    assert shape.check((3, 64, 7, 7)).message == "swapped" and "no order" in shape.check({64, 3, 7}).message

    letters = Exercise("the letters", {}, solve=lambda: {"B", "E"}, reader=Letters(("A", "B", "E")),
                       slips=lambda: {"all of them": {"A", "B", "E"}})
    assert letters.check("eb") and letters.check(["B", "E"]) and letters.check("B, E").message == "The letters: B, E."
    assert letters.check("ABE").message == "all of them"
    assert "not one of them" in letters.check("BZ").message and "as a string" in letters.check(5).message
    for spec in (sets, shape, letters):
        assert spec.check(None).message == NOT_ANSWERED
        for bad in (math.nan, 10**400, True, b"AB", object(), {1: 2}, [None], (x for x in "AB")):
            assert not spec.check(bad)


def test_check_integer_is_an_exercise_declared_on_the_spot():
    hints = {GROUPS: 73_728, "the answer itself": 2304}
    assert check_integer(2304, 2304, hints).message == "The count: 2,304."
    assert check_integer(73_728, 2304, hints, what="the weights").message == GROUPS
    spec = Exercise("the weights", {}, solve=lambda: 2304, slips=lambda: hints, method="Recount.")
    for answer in (None, 2304, 73_728, 5, -1, "x", 2304.5):
        assert check_integer(answer, 2304, hints, what="the weights", method="Recount.") == spec.check(answer)
    assert WHOLE.show(1234567) == "1,234,567"


EXERCISE_MODULES = [importlib.import_module(f"{exercises.__name__}.{info.name}")
                    for info in pkgutil.iter_modules(exercises.__path__)
                    if info.name not in ("core", "feedback", "readers", "recorder")]  # machinery (recorder: the grader's); the rest: one per chapter


def test_the_exercise_modules_hand_out_no_answer():
    """What a chapter can import from an exercise module: check functions, the question's values, and tools that
    build the question (ConvLayer, the ResNeXt-152 configuration); every answer helper is private."""
    # choices, shortcut_choices: a question's options (no answer); block_code: how a question writes its block
    allowed_helpers = {"resnext152_config", "choices", "shortcut_choices", "block_code"}
    for module in EXERCISE_MODULES:
        for name, obj in vars(module).items():
            imported = getattr(obj, "__module__", module.__name__) != module.__name__  # a constant has no module
            if name.startswith("_") or inspect.ismodule(obj) or imported:
                continue
            assert not name.startswith("expected") and not name.endswith(("_answer", "_hints")), (module, name)
            if inspect.isfunction(obj):
                assert name.startswith("check_") or name in allowed_helpers, f"{module.__name__}.{name} is public"
                if name.startswith("check_"):
                    source = inspect.getsource(obj)
                    assert source.count("return _") == 1 and ".check(answer" in source, f"{name}: not an Exercise"
    for module in EXERCISE_MODULES:
        specs = [obj for obj in vars(module).values() if isinstance(obj, Exercise)]
        checks = [obj for name, obj in vars(module).items() if name.startswith("check_") and inspect.isfunction(obj)
                  and obj.__module__ == module.__name__]
        assert len(specs) == len(checks), module.__name__


def test_every_check_function_serves_an_exercise_that_a_chapter_asks():
    """Each public check is called by a chapter (Chapter 3 asks its template question twice, with one check); adding
    an exercise changes nothing here. (That each exercise's cells follow it: tests/test_notebooks.py.)"""
    chapters = Path(__file__).resolve().parent.parent / "chapters"
    text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(chapters.iterdir()) if p.suffix in (".ipynb", ".md"))
    called = set(re.findall(r"\b(check_\w+)\(", text))
    checks = {name for module in EXERCISE_MODULES for name, obj in vars(module).items()
              if name.startswith("check_") and inspect.isfunction(obj) and obj.__module__ == module.__name__}
    assert checks and checks <= called, f"check functions no chapter calls: {sorted(checks - called)}"


def test_no_message_shows_a_slip_free_answer():
    """A hint names the slip; the answer itself is in no message of any exercise for its default values."""
    for module in EXERCISE_MODULES:
        for obj in vars(module).values():
            if isinstance(obj, Exercise):
                expected = obj.expected()
                if isinstance(expected, (int, float)):
                    for message in (*obj.hints(), obj.method):
                        assert free_of(expected, message), (obj.what, message)
