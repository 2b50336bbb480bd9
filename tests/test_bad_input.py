"""Bad input: every exercise check answers with feedback (never an exception, never the answer), every public
function of the math modules refuses a bad argument with a ValueError or TypeError that names it, and nothing that
only measures a model changes it.

What counts as a whole number, decided here and in ``resnext_teach/book/exercises/readers.py`` / ``validation.py``:

* exercise checks accept ``int``, a whole ``float`` (``72.0``), ``numpy`` integer and float scalars and exact
  ``Fraction``s, alone or inside a list; a tensor (even 0-d) or an array is refused with a hint to use ``.item()``
  or ``.tolist()``; ``True``/``False`` are not numbers;
* API functions accept ``numbers.Integral`` sizes (``int``, ``np.int64``) but not ``bool``, and refuse floats,
  even whole ones (``in_channels=64.0 must be a positive integer``).
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import resnext_teach.book.exercises as exercises
from resnext_teach import blocks, counting, design, devices, flops, grouped_conv, intensity, layer_table, roofline
from resnext_teach import mistakes, models, stages, timing, validation
from resnext_teach.book.exercises import readers
from resnext_teach.book.exercises.core import Exercise, check_integer
from resnext_teach.book.exercises.feedback import NOT_ANSWERED, Feedback
from resnext_teach.validation import ArgumentTypeError

from helpers import free_of, shows

HUGE = 10**400  # more than a float holds (about 1.8e308)

# --- the exercise checks, found by name ----------------------------------------------------------------------

EXERCISE_MODULES = [
    importlib.import_module(f"{exercises.__name__}.{info.name}") for info in pkgutil.iter_modules(exercises.__path__)
]


def _takes_only_an_answer(fn: Callable) -> bool:
    params = list(inspect.signature(fn).parameters.values())
    return bool(params) and all(p.default is not inspect.Parameter.empty for p in params[1:])


CHECKS: dict[str, Callable[[object], Feedback]] = {
    f"{module.__name__.rsplit('.', 1)[1]}.{name}": fn
    for module in EXERCISE_MODULES
    for name, fn in vars(module).items()
    if name.startswith("check_") and callable(fn) and getattr(fn, "__module__", None) == module.__name__
    and _takes_only_an_answer(fn)
}


def test_every_check_is_found():
    found = {
        f"{m.__name__.rsplit('.', 1)[1]}.{name}"
        for m in EXERCISE_MODULES
        for name, fn in vars(m).items()
        if name.startswith("check_") and callable(fn) and getattr(fn, "__module__", None) == m.__name__
    }
    assert found - set(CHECKS) == {"core.check_integer"}  # the machinery, tested below with its own expected value
    assert len(CHECKS) >= 20


@cache
def exercise_of(name: str) -> tuple[Exercise, dict]:
    """The ``Exercise`` a check hands its answer to, with the settings it passes (caught by watching
    ``Exercise.check`` for one call): every check is declared as one."""
    seen: list[tuple[Exercise, dict]] = []
    original = Exercise.check

    def spy(self, answer, **settings):
        seen.append((self, settings))
        return original(self, answer, **settings)

    Exercise.check = spy
    try:
        CHECKS[name](None)
    finally:
        Exercise.check = original
    assert len(seen) == 1, f"{name} is not declared as one Exercise"
    return seen[0]


def reachable_hints(name: str) -> dict[str, object]:
    spec, settings = exercise_of(name)
    return spec.hints(**settings)


def _perturbed_outputs() -> set[int]:
    # which outputs of nn.Conv2d(64, 128, 1, groups=32) see input channel 37: measured on the real layer
    conv = nn.Conv2d(64, 128, 1, groups=32, bias=False)
    nn.init.ones_(conv.weight)
    x = torch.zeros(1, 64, 1, 1)
    x[0, 37] = 1.0
    return set(torch.nonzero(conv(x)[0, :, 0, 0]).flatten().tolist())


def _nearest_width(cardinality: int = 16, budget: int = 69_632) -> int:
    # Table 2's rule by brute force: the d whose template C * (256 d + 9 d^2 + 256 d) is nearest the budget
    return min(range(1, 300), key=lambda d: (abs(cardinality * (512 * d + 9 * d * d) - budget), d))


def _conv(*args, **kwargs) -> nn.Conv2d:
    return nn.Conv2d(*args, **kwargs, device="meta")


ANSWERS: dict[str, Callable[[], object]] = {
    # the answers that are not whole numbers, each from an independent reference (the whole numbers come from the
    # exercises themselves here; tests/test_exercises_*.py hold every one against real modules)
    "convolution.check_weight_shape_exercise":
        lambda: tuple(_conv(3, 64, 7, stride=2, padding=3, bias=False).weight.shape),
    "convolution.check_doubling_exercise": lambda: _conv(64, 128, 6).weight.numel() / _conv(64, 128, 3).weight.numel(),
    "grouped.check_legal_groups_exercise": lambda: {g for g in range(1, 49) if 48 % g == 0 and 72 % g == 0},
    "grouped.check_perturbation_exercise": _perturbed_outputs,
    "block.check_shortcuts": lambda: {"B", "E", "F"},  # stride 2, or in_channels != 4 * planes (SHORTCUT_CHOICES)
    "block.check_timing_words": lambda: {"B", "E"},  # the intervals wholly above 1.05 (VERDICT_CHOICES)
    "model.check_output_sizes": lambda: [80, 40, 20, 10],  # 320 -> 7x7/2 conv -> 160 -> 3x3/2 pool -> 80, then /2
    "claims.check_parameter_cut": lambda: 100 * (1 - _conv(256, 256, 3, groups=64).weight.numel()
                                                 / _conv(256, 256, 3).weight.numel()),
    "claims.check_intensity": lambda: (256 * 9 * 28 * 28) / (4 * (2 * 256 * 28 * 28 + 256 * 9)),
    "cardinality.check_complexity_preserving_width": _nearest_width,
}


def expected_answer(name: str) -> object:
    if name in ANSWERS:
        return ANSWERS[name]()
    spec, settings = exercise_of(name)
    return spec.expected(**settings)


def test_every_check_has_an_expected_answer():
    assert len(NUMERIC_CHECKS) >= 15
    for name in CHECKS:
        spec, settings = exercise_of(name)
        expected = spec.expected(**settings)
        assert name in ANSWERS or isinstance(expected, int), f"add {name} to ANSWERS"
        if name in ANSWERS:  # the exercise's own answer agrees with the independent one
            assert spec.reader.same(expected, ANSWERS[name]()), (name, expected)
        assert CHECKS[name](expected_answer(name)), name


def _array_like(values: list[int]) -> list[object]:
    return [torch.tensor(values), np.array(values)]


def accepted_forms(expected: object) -> list[object]:
    """The right answer written in every form a student may use."""
    if isinstance(expected, str):
        return [expected]
    if isinstance(expected, int):
        return [expected, float(expected), np.int64(expected), np.float64(expected), Fraction(expected)]
    if isinstance(expected, float):
        forms = [expected, np.float64(expected)]
        return forms + ([int(expected), np.int64(int(expected))] if expected.is_integer() else [])
    if isinstance(expected, set) and all(isinstance(v, str) for v in expected):
        return ["".join(sorted(expected)), ", ".join(sorted(expected)), sorted(expected), set(expected),
                tuple(sorted(expected, reverse=True)), [v.lower() for v in expected]]
    items = sorted(expected) if isinstance(expected, set) else list(expected)
    forms = [list(items), tuple(items), [float(v) for v in items], [np.int64(v) for v in items],
             [np.float64(v) for v in items]]
    if isinstance(expected, set):
        forms += [set(items), frozenset(items), list(reversed(items))]
    return forms


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_the_right_answer_is_accepted_in_every_form(name):
    check, expected = CHECKS[name], expected_answer(name)
    for form in accepted_forms(expected):
        feedback = check(form)
        assert isinstance(feedback, Feedback) and feedback, (name, form, feedback)
    if isinstance(expected, (int, float)):  # a tensor or an array is refused with the hint to use .item()
        for form in (torch.tensor(expected), np.array(expected), torch.tensor([expected])):
            feedback = check(form)
            assert not feedback and ".item()" in feedback.message, (name, form, feedback)
        assert not check(True) and not check(False)
    elif not isinstance(expected, set) or not all(isinstance(v, str) for v in expected):
        for form in _array_like(sorted(expected) if isinstance(expected, set) else list(expected)):
            feedback = check(form)
            assert not feedback and ".tolist()" in feedback.message, (name, form, feedback)


class _Weird:
    def __repr__(self) -> str:
        raise RuntimeError("a broken repr")


BAD_ANSWERS = st.one_of(
    st.sampled_from([
        math.nan, math.inf, -math.inf, HUGE, -HUGE, 10**5000, True, False, np.nan, np.float64(np.inf), np.bool_(True),
        "", "72", "nan", b"72", 3 + 4j, object(), _Weird(), Ellipsis, {}, {"A": 1}, [], [[]], [None], [math.nan],
        [[1, 2], [3]], [HUGE, -HUGE], range(HUGE), {1: 2, 3: 4}, np.array([1.5, 2.5]), torch.tensor(math.nan),
        torch.zeros(2, 3), torch.tensor([True]), [torch.tensor(1)], (math.inf,), [1.5], [True, False],
    ]),
    st.text(max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).filter(lambda x: not math.isfinite(x)),
    st.integers(-(10**6), 10**9).map(torch.tensor),
    st.lists(st.integers(-5, 300), min_size=1, max_size=5).map(torch.tensor),
    st.integers(-(10**6), 10**9).map(lambda n: np.array([n])),
    st.dictionaries(st.integers(0, 100), st.integers(0, 100), max_size=3),
    st.lists(st.lists(st.integers(0, 100), min_size=1, max_size=3), min_size=1, max_size=3),
    st.lists(st.integers(0, 100), max_size=5).map(lambda xs: (x for x in xs)),  # a generator
    st.lists(st.one_of(st.none(), st.text(max_size=2), st.floats(allow_nan=True)), min_size=1, max_size=4),
)
"""Answers no check accepts (``check_shortcuts`` also reads letters from a string: text is a form for it)."""

READS_TEXT = {"block.check_shortcuts", "block.check_timing_words"}


def _members_shown(message: str, expected: set[int]) -> int:
    message = re.sub(r"\d+ legal values? (is|are) missing", " ", message)  # a count, not a member
    return len({int(n) for n in re.findall(r"(?<![\d.,])\d+(?![\d])", message)} & expected)


def assert_hides(name: str, feedback: Feedback, expected: object) -> None:
    assert isinstance(feedback, Feedback), (name, feedback)
    assert isinstance(feedback.message, str) and feedback.message, (name, feedback)
    if feedback:
        return
    if isinstance(expected, set) and not all(isinstance(v, str) for v in expected):
        assert not shows(feedback.message, expected), (name, feedback.message)
        assert _members_shown(feedback.message, expected) <= 1, (name, feedback.message)
    elif isinstance(expected, (list, tuple)):
        assert not shows(feedback.message, expected), (name, feedback.message)
    elif isinstance(expected, set):  # letters
        assert not shows(feedback.message, "".join(sorted(expected))), (name, feedback.message)
    else:
        assert free_of(expected, feedback.message), (name, feedback.message)


@pytest.mark.parametrize("name", sorted(CHECKS))
@settings(max_examples=80)
@given(answer=BAD_ANSWERS)
def test_a_check_never_raises_and_never_shows_the_answer(name, answer):
    feedback = CHECKS[name](answer)  # no exception, whatever the answer
    if not (name in READS_TEXT and isinstance(answer, str)):
        assert not feedback, (name, answer, feedback)
    assert_hides(name, feedback, expected_answer(name))


NUMBERS = st.one_of(st.integers(-1000, 10**8), st.integers(), st.floats(allow_nan=False, allow_infinity=False))


@pytest.mark.parametrize("name", sorted(CHECKS))
@settings(max_examples=60)
@given(number=NUMBERS, as_list=st.booleans())
def test_a_number_gets_feedback_that_hides_the_answer(name, number, as_list):
    expected = expected_answer(name)
    answer = [number, number] if as_list else number
    feedback = CHECKS[name](answer)
    assert_hides(name, feedback, expected)
    if isinstance(expected, int) and not as_list:
        assert bool(feedback) == (number == expected), (name, number, feedback)
    elif isinstance(expected, float) and feedback:
        assert not as_list and math.isclose(number, expected, rel_tol=0.01), (name, number, feedback)


DIRECTION = re.compile(r"too (large|small|big|many|few|high|low)|a little|larger than|smaller than|more than|less than",
                       re.IGNORECASE)


NUMERIC_CHECKS = [name for name in sorted(CHECKS) if isinstance(expected_answer(name), (int, float))]


@pytest.mark.parametrize("name", NUMERIC_CHECKS)
@settings(max_examples=60)
@given(offset=st.one_of(st.integers(-(10**7), 10**7), st.floats(-1e6, 1e6)))
def test_a_wrong_number_is_told_the_method_not_the_direction(name, offset):
    """Feedback such as "too large" would let a student find the answer by bisection."""
    expected = expected_answer(name)
    answer = expected + (int(offset) if isinstance(expected, int) else offset)
    feedback = CHECKS[name](answer)
    if not feedback:  # a slip's message included: test_no_message_names_a_direction
        assert not DIRECTION.search(feedback.message), (name, answer, feedback.message)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_no_message_names_a_direction(name):
    """Neither a slip's message nor the method hint says which way the answer lies."""
    spec, settings = exercise_of(name)
    for message in (*spec.hints(**settings), spec.method):
        assert not DIRECTION.search(message), (name, message)


def _forms_of(value: object) -> list[object]:
    if isinstance(value, int):
        return [value, float(value)]
    if isinstance(value, (set, frozenset)) and all(isinstance(v, int) for v in value):
        return [value, sorted(value)]
    if isinstance(value, (set, frozenset)):  # letters
        return [value, "".join(sorted(value))]
    return [value]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_hint_is_reachable(name):
    """A wrong answer equal to a known slip gets that slip's message (the hints are not dead code), and the right
    answer never gets one."""
    spec, settings = exercise_of(name)
    expected = spec.expected(**settings)
    reachable = reachable_hints(name)
    assert reachable, f"{name}: name at least one known slip"
    values = list(reachable.values())
    assert all(values.count(v) == 1 for v in values), f"{name}: two hints share a value, one is unreachable"
    assert CHECKS[name](expected)
    for message, value in reachable.items():
        for form in _forms_of(value):
            feedback = CHECKS[name](form)
            assert not feedback and feedback.message == message, (name, value, feedback)
            assert_hides(name, feedback, expected)


SETTINGS_OF_CHECKS = [
    (name, param.name)
    for name, fn in sorted(CHECKS.items())
    for param in list(inspect.signature(fn).parameters.values())[1:]
    if isinstance(param.default, int)
]


@pytest.mark.parametrize("name,param", SETTINGS_OF_CHECKS)
@pytest.mark.parametrize("value", [0, -4, 2.5, 16.0, math.nan, "16", None, True, torch.tensor(16)])
def test_the_settings_of_a_check_are_arguments_like_any_other(name, param, value):
    """A check's sizes (``cardinality=16``) are set by the chapter, not answered by the student: a bad one is
    refused like a bad argument of the API, by name."""
    with pytest.raises((ValueError, TypeError), match=param):
        CHECKS[name](1, **{param: value})


def test_check_integer_rules():
    hints = {"you forgot the bias": 10, "this slip gives the answer itself": 12}
    assert check_integer(12, 12, hints) and check_integer(12.0, 12, hints) and check_integer(np.int64(12), 12)
    assert check_integer(10, 12, hints).message == "you forgot the bias"
    assert check_integer(10.0, 12, hints).message == "you forgot the bias"
    assert not check_integer(True, 1) and "not bool" in check_integer(True, 1).message
    assert check_integer(None, 12).message == NOT_ANSWERED
    assert "whole number" in check_integer(math.nan, 12).message
    assert "whole number" in check_integer(12.5, 12).message
    assert ".item()" in check_integer(torch.tensor(12), 12).message
    assert "not str" in check_integer("12", 12).message
    assert "positive" in check_integer(-3, 12).message
    assert check_integer(HUGE, 12, method="Recount K.").message == "That is not the count. Recount K."
    assert Exercise("the count", {}, solve=lambda: 12, slips=lambda: hints).hints() == {"you forgot the bias": 10}
    for answer in (13, 11, 1000, HUGE):
        assert not DIRECTION.search(check_integer(answer, 12).message)


def test_lists_of_whole_floats_are_accepted_like_single_whole_floats():
    # [72.0, ...] is a list of whole numbers just as 18432.0 is a whole number
    assert readers.read_whole_numbers([72.0, np.int64(3), np.float64(4.0), Fraction(8, 2)], "x") == [72, 3, 4, 4]
    for bad, phrase in (([72.5], "whole number"), ([True], "bool"), ([torch.tensor(3)], ".item()"),
                        (torch.tensor([3]), ".tolist()"), ((x for x in [1]), "generator"), ({1: 2}, "dict"),
                        ("1, 2", "str"), ({1, 2}, "set")):
        feedback = readers.read_whole_numbers(bad, "x", ordered=isinstance(bad, set))
        assert isinstance(feedback, Feedback) and not feedback and phrase in feedback.message, (bad, feedback)


# --- the API of the math modules ----------------------------------------------------------------------------

MATH_MODULES = [counting, validation, grouped_conv, design, blocks, models, flops, intensity, devices, timing,
                roofline, layer_table, stages, mistakes]


@cache
def tiny_conv() -> nn.Conv2d:
    return nn.Conv2d(4, 8, 3, padding=1)


@cache
def tiny_model() -> models.ResNeXt:
    return models.build_model("resnet_cifar_small")


@cache
def tiny_block() -> blocks.ResNeXtBottleneck:
    return blocks.ResNeXtBottleneck(16, 4, cardinality=2, bottleneck_width=32)


def tiny_input() -> torch.Tensor:
    return torch.zeros(1, 4, 6, 6)


def _enter(cm_factory: Callable) -> Callable:
    def run(*args, **kwargs):
        with cm_factory(*args, **kwargs):
            pass

    return run


def _on_meta(builder: Callable) -> Callable:
    def run(*args, **kwargs):
        with torch.device("meta"):  # shapes only: a misbuilt model can be large
            return builder(*args, **kwargs)

    return run


@dataclass
class Api:
    """A public callable, valid keyword arguments for it, and the kind of each argument to spoil."""

    fn: Callable
    kwargs: Callable[[], dict]
    args: dict[str, str]
    builds: bool = False  # its sizes become tensor sizes: a huge number must be refused, not attempted


CFG = lambda: models.MODEL_CONFIGS["resnet_cifar_small"]  # noqa: E731


def _kind_rate(model: str) -> roofline.KindRate:
    return roofline.KindRate(model, "3×3", 1, 100, timing.Timing(f"{model}: 3×3", (1e-3, 2e-3), 1))

API: dict[str, Api] = {
    "counting.conv2d_params": Api(counting.conv2d_params,
                                  lambda: dict(in_channels=64, out_channels=128, kernel_size=3, groups=32, bias=True),
                                  dict(in_channels="size", out_channels="size", kernel_size="pair", groups="size",
                                       bias="bool")),
    "counting.legal_groups": Api(counting.legal_groups, lambda: dict(in_channels=48, out_channels=72),
                                 dict(in_channels="size", out_channels="size")),
    "counting.conv2d_output_size": Api(counting.conv2d_output_size,
                                       lambda: dict(input_size=56, kernel_size=3, stride=2, padding=1),
                                       dict(input_size="pair", kernel_size="pair", stride="pair", padding="pair0")),
    "counting.conv2d_macs": Api(counting.conv2d_macs,
                                lambda: dict(in_channels=64, out_channels=64, kernel_size=3, output_size=28, groups=32,
                                             batch_size=2),
                                dict(in_channels="size", out_channels="size", kernel_size="pair", output_size="pair",
                                     groups="size", batch_size="size")),
    "counting.count_parameters": Api(counting.count_parameters, lambda: dict(module=tiny_conv(), trainable_only=True),
                                     dict(module="module", trainable_only="bool")),
    "grouped_conv.GroupedConv2d": Api(grouped_conv.GroupedConv2d,
                                      lambda: dict(in_channels=8, out_channels=8, kernel_size=3, groups=2, stride=1,
                                                   padding=1, bias=False),
                                      dict(in_channels="size", out_channels="size", kernel_size="pair", groups="size",
                                           stride="pair", padding="pair0", bias="bool"), builds=True),
    "grouped_conv.connectivity_mask": Api(grouped_conv.connectivity_mask,
                                          lambda: dict(in_channels=8, out_channels=16, groups=4),
                                          dict(in_channels="size", out_channels="size", groups="size"), builds=True),
    "design.grouped_width": Api(design.grouped_width, lambda: dict(planes=256, bottleneck_width=4, cardinality=32),
                                dict(planes="size", bottleneck_width="size", cardinality="size")),
    "design.template_params": Api(design.template_params,
                                  lambda: dict(cardinality=32, bottleneck_width=4, channels=256),
                                  dict(cardinality="size", bottleneck_width="size", channels="size")),
    "design.template_macs": Api(design.template_macs,
                                lambda: dict(cardinality=32, bottleneck_width=4, channels=256, spatial=56),
                                dict(cardinality="size", bottleneck_width="size", channels="size", spatial="size")),
    "design.complexity_preserving_width": Api(design.complexity_preserving_width,
                                              lambda: dict(cardinality=32, budget=69_632, channels=256),
                                              dict(cardinality="size", budget="optional size", channels="size")),
    "design.complexity_table": Api(design.complexity_table, lambda: dict(cardinalities=(1, 32), channels=256),
                                   dict(cardinalities="sizes", channels="size")),
    "blocks.make_downsample": Api(blocks.make_downsample, lambda: dict(in_channels=16, out_channels=32, stride=2),
                                  dict(in_channels="size", out_channels="size", stride="size"), builds=True),
    **{
        f"blocks.{cls.__name__}": Api(cls, lambda: dict(in_channels=16, planes=4, cardinality=2, bottleneck_width=32,
                                                        stride=2),
                                      dict(in_channels="size", planes="size", cardinality="size",
                                           bottleneck_width="size", stride="size"), builds=True)
        for cls in (blocks.ResNeXtBottleneck, blocks.AggregatedBottleneck, blocks.ConcatBottleneck)
    },
    "blocks.make_block": Api(blocks.make_block,
                             lambda: dict(form="grouped", in_channels=16, planes=4, cardinality=2, bottleneck_width=32,
                                          stride=1),
                             dict(form="form", in_channels="size", planes="size", cardinality="size",
                                  bottleneck_width="size", stride="size"), builds=True),
    "blocks.convert_block": Api(blocks.convert_block, lambda: dict(block=tiny_block(), form="aggregated"),
                                dict(block="module", form="form")),
    "models.ModelConfig": Api(models.ModelConfig,
                              lambda: dict(layers=(1, 1), cardinality=4, bottleneck_width=24, stem="cifar",
                                           stem_channels=16, base_planes=16, num_classes=10, in_channels=3,
                                           zero_init_residual=False),
                              dict(layers="sizes_tuple", cardinality="size", bottleneck_width="size", stem="stem",
                                   stem_channels="size", base_planes="size", num_classes="size", in_channels="size",
                                   zero_init_residual="bool"), builds=True),
    "models.ResNeXt": Api(models.ResNeXt, lambda: dict(config=CFG()), dict(config="config")),
    "models.resolve_config": Api(models.resolve_config,
                                 lambda: dict(name="resnet_cifar_small", num_classes=10, in_channels=1, cardinality=1),
                                 dict(name="name", num_classes="size", in_channels="size", cardinality="size"),
                                 builds=True),
    "models.build_model": Api(models.build_model, lambda: dict(name="resnet_cifar_small", num_classes=10),
                              dict(name="name", num_classes="size"), builds=True),
    "flops.inspection": Api(_enter(flops.inspection), lambda: dict(module=tiny_conv()), dict(module="module")),
    "flops.measure_flops": Api(flops.measure_flops,
                               lambda: dict(module=tiny_conv(), inputs=tiny_input(), backward=True, corrected=True),
                               dict(module="module", inputs="tensor", backward="bool", corrected="bool")),
    "flops.measure_macs": Api(flops.measure_macs, lambda: dict(module=tiny_conv(), inputs=tiny_input()),
                              dict(module="module", inputs="tensor")),
    "flops.flops_by_module": Api(flops.flops_by_module, lambda: dict(module=tiny_conv(), inputs=tiny_input()),
                                 dict(module="module", inputs="tensor")),
    "intensity.conv_intensity": Api(intensity.conv_intensity,
                                    lambda: dict(conv=tiny_conv(), input_size=6, batch_size=2, bytes_per_element=4),
                                    dict(conv="conv", input_size="pair", batch_size="size",
                                         bytes_per_element="size")),
    "intensity.conv_kind": Api(intensity.conv_kind, lambda: dict(conv=tiny_conv()), dict(conv="conv")),
    "timing.time_interleaved": Api(timing.time_interleaved,
                                   lambda: dict(fns={"noop": lambda: None}, rounds=2, warmup=0, min_time=0.0, threads=1),
                                   dict(fns="fns", rounds="count", warmup="count0", min_time="real0",
                                        threads="optional size")),
    "timing.time_modules": Api(timing.time_modules,
                               lambda: dict(modules={"conv": tiny_conv()}, inputs=tiny_input(), rounds=2, warmup=0,
                                            min_time=0.0, threads=1),
                               dict(modules="modules", inputs="tensor", rounds="count", warmup="count0",
                                    min_time="real0", threads="optional size")),
    "devices.environment": Api(devices.environment, lambda: dict(threads=1), dict(threads="optional size")),
    "devices.cpu_threads": Api(_enter(devices.cpu_threads), lambda: dict(num_threads=1),
                               dict(num_threads="optional size")),
    "timing.verdict": Api(timing.verdict, lambda: dict(ratio=timing.Ratio("a", "b", 1.2, 1.1, 1.3, 3), band=0.05),
                          dict(ratio="ratio", band="real0")),
    "timing.phrase": Api(timing.phrase, lambda: dict(key="within", band=0.05), dict(key="verdict key", band="real0")),
    "roofline.measure_peaks": Api(roofline.measure_peaks, lambda: dict(size=16, threads=1, rounds=2),
                                  dict(size="size", threads="size", rounds="count"), builds=True),
    "roofline.measure_bandwidth": Api(roofline.measure_bandwidth, lambda: dict(megabytes=1, threads=1, rounds=2),
                                      dict(megabytes="size", threads="size", rounds="count"), builds=True),
    "roofline.attainable": Api(roofline.attainable, lambda: dict(macs_per_byte=2.0, peak=1e10, bandwidth=1e9),
                               dict(macs_per_byte="real0", peak="real", bandwidth="real")),
    "roofline.time_layers": Api(roofline.time_layers,
                                lambda: dict(models={"conv": tiny_conv()}, inputs=tiny_input(), rounds=2,
                                             min_time=0.0, threads=1),
                                dict(models="modules", inputs="tensor", rounds="count", min_time="real0",
                                     threads="size")),
    "roofline.by_kind": Api(roofline.by_kind, lambda: dict(layers=[]), dict(layers="list")),
    "roofline.time_per_macc_ratio": Api(roofline.time_per_macc_ratio, lambda: dict(first=_kind_rate("a"),
                                                                                   second=_kind_rate("b")),
                                        dict(first="kind rate", second="kind rate")),
    "layer_table.layer_table": Api(layer_table.layer_table, lambda: dict(module=tiny_conv(), input_size=(1, 4, 6, 6)),
                                   dict(module="module", input_size="shape"), builds=True),
    "stages.stage_names": Api(stages.stage_names, lambda: dict(config=CFG()), dict(config="config")),
    "stages.block_spec": Api(stages.block_spec, lambda: dict(stage=tiny_model().layer1), dict(stage="stage")),
    "stages.stage_table": Api(stages.stage_table, lambda: dict(model=tiny_model(), image_size=8),
                              dict(model="resnext", image_size="size"), builds=True),
    "stages.stage_costs": Api(stages.stage_costs, lambda: dict(config=CFG(), image_size=8),
                              dict(config="config", image_size="size"), builds=True),
    "stages.table1_html": Api(stages.table1_html, lambda: dict(tables={"m": stages.stage_table(tiny_model(), 8)}),
                              dict(tables="tables")),
    "mistakes.per_path_width_mistake": Api(mistakes.per_path_width_mistake,
                                           lambda: dict(out_channels=256, bottleneck_width=4, cardinality=32),
                                           dict(out_channels="size", bottleneck_width="size", cardinality="size")),
    "mistakes.width_floored_last": Api(mistakes.width_floored_last,
                                       lambda: dict(planes=16, bottleneck_width=14, cardinality=8),
                                       dict(planes="size", bottleneck_width="size", cardinality="size")),
    "mistakes.PerPathWidthBottleneck": Api(mistakes.PerPathWidthBottleneck,
                                           lambda: dict(in_channels=16, planes=4, cardinality=2, bottleneck_width=8,
                                                        stride=1),
                                           dict(in_channels="size", planes="size", cardinality="size",
                                                bottleneck_width="size", stride="size"), builds=True),
    "mistakes.ChannelsPerGroupBlock": Api(mistakes.ChannelsPerGroupBlock,
                                          lambda: dict(channels=8, groups=2, bottleneck_ratio=1.0, projection=True,
                                                       stride=1),
                                          dict(channels="size", groups="size", bottleneck_ratio="real",
                                               projection="bool", stride="size"), builds=True),
    "mistakes.misbuilt_model": Api(_on_meta(mistakes.misbuilt_model),
                                   lambda: dict(name="resnet_cifar_small", block=mistakes.PerPathWidthBottleneck),
                                   dict(name="name", block="class")),
    "mistakes.time_once": Api(mistakes.time_once, lambda: dict(module=tiny_conv(), inputs=tiny_input()),
                              dict(module="module", inputs="tensor")),
}

NOT_IN_API = {
    # records (dataclasses and a Sequence) that hold what the functions above computed
    "intensity.Intensity", "timing.Timing", "timing.Ratio", "timing.Timings", "devices.Environment",
    "roofline.Rate", "roofline.LayerRate", "roofline.KindRate", "layer_table.LayerRow",
    "layer_table.LayerTable", "stages.StageRow", "stages.StageCost",
    # called by PyTorch's FlopCounterMode with the shapes of a real convolution_backward
    "flops.grouped_conv_backward_flop",
    # takes no argument
    "timing.quiet_allocator",
    # a check (test_validation_helpers_name_the_argument style): covered through time_modules and time_layers
    "timing.check_timeable",
    # a helper of time_layers (and of the campaign's roofline experiment), given what time_layers checked first
    "roofline.distinct_convs",
    # the checks themselves: test_validation_helpers_name_the_argument
    "validation.ArgumentTypeError", "validation.describe", "validation.check_int", "validation.check_positive_int",
    "validation.check_bool", "validation.check_positive_real", "validation.check_pair", "validation.check_divides",
    "validation.check_groups", "validation.check_instance", "validation.check_module", "validation.check_tensor",
    "validation.check_real", "validation.as_float", "validation.check_seed",
    # hands its argument to torch.device, which checks it (None: CUDA when available, else the CPU)
    "devices.pick_device",
}


def test_every_public_callable_of_the_math_modules_is_covered():
    public = {
        f"{module.__name__.rsplit('.', 1)[1]}.{name}"
        for module in MATH_MODULES
        for name, obj in vars(module).items()
        if not name.startswith("_") and callable(obj) and getattr(obj, "__module__", None) == module.__name__
    }
    assert public - set(API) - NOT_IN_API == set(), "add them to API (or NOT_IN_API, with the reason)"
    assert set(API) | NOT_IN_API >= public


@pytest.mark.parametrize("name", sorted(API))
def test_the_valid_arguments_of_the_table_are_valid(name):
    api = API[name]
    api.fn(**api.kwargs())


ALWAYS_BAD = [None, "64", b"64", math.nan, math.inf, -math.inf, np.float64(math.nan), torch.tensor(64),
              torch.tensor([64]), np.array([64]), {}, {"a": 1}, object(), 3 + 0j, Ellipsis]
NOT_AN_INT = [True, False, np.bool_(True), 64.0, 2.5, -1.5, np.float64(64.0), np.float32(3.0), Fraction(64),
              torch.tensor(64.0)]
SIZE_BAD = ALWAYS_BAD + NOT_AN_INT + [0, -1, -HUGE, np.int64(0), np.int64(-3), [64], (64,)]
PAIR_BAD = [v for v in SIZE_BAD if not isinstance(v, tuple)] + [(3, 0), (3, math.nan), (3, 3, 3), (), [3, "3"],
                                                                (3, True), (3, 2.5), [None, 3]]


def _is_zero(value: object) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value == 0


BAD: dict[str, list[object]] = {
    "size": SIZE_BAD,
    "count": SIZE_BAD,
    "optional size": [v for v in SIZE_BAD if v is not None],  # None: the default (ResNet's template)
    "count0": [v for v in SIZE_BAD if not _is_zero(v)],
    "pair": PAIR_BAD,
    "pair0": [v for v in PAIR_BAD if not _is_zero(v) and not (type(v) is tuple and v == (3, 0))],
    "sizes": ALWAYS_BAD + [5, "1, 2", (0,), (math.nan,), (1, 2.0), (True,), [None], {1: 2}, (HUGE * -1,)],
    "sizes_tuple": ALWAYS_BAD + [5, "1, 2", [1, 1], (), (0,), (math.nan,), (1, 2.0), (True,), (None,), (-1, 1)],
    "shape": [v for v in ALWAYS_BAD if not isinstance(v, torch.Tensor)] + [  # a tensor is an input, not a shape
        5, "1,4,6,6", (), (1, 0, 6, 6), (1, math.nan, 6, 6), (1, 4.0, 6, 6), (True, 4, 6, 6), [1, None, 6, 6],
        (1, -4, 6, 6),
    ],
    "bool": [None, "no", "yes", "", 1, 0, 1.0, math.nan, np.bool_(True), torch.tensor(True), [True], {}],
    "real": [None, "1", math.nan, math.inf, -math.inf, -1.0, 0, True, torch.tensor(1.0), [1.0], HUGE],
    "real0": [None, "1", math.nan, math.inf, -math.inf, -1.0, -1, True, torch.tensor(1.0), [1.0], HUGE],
    "module": [None, "model", 5, [nn.Conv2d(1, 1, 1)], nn.Conv2d, torch.zeros(2), {}],
    "conv": [None, "conv", 5, nn.Linear(2, 2), nn.Conv2d, torch.zeros(2)],
    "resnext": [None, "resnet50", 5, nn.Conv2d(1, 1, 1)],
    "config": [None, "resnet50", 5, {"layers": (1,)}],
    "stage": [None, "layer1", 5, nn.Sequential(), nn.Conv2d(1, 1, 1), nn.Sequential(nn.Conv2d(1, 1, 1))],
    "tensor": [None, [[0.0]], 5, np.zeros((1, 4, 6, 6)), "x"],
    "form": [None, "tree", "", 5, ["grouped"], ("grouped",), 1.0],
    "stem": [None, "tiny", 5, ["cifar"]],
    "name": [None, "resnet51", "", 5, ["resnet50"], ("resnet50",), {"resnet50"}],
    "class": [None, 5, "PerPathWidthBottleneck", nn.Conv2d(1, 1, 1), int],
    "callable": [None, 5, "f"],
    "str": [None, 5, ["a"], b"a"],
    "list": [None, 5, "abc", {"a": 1}],
    "rows": [None, 5, "abc", ["1"], [5]],
    "tables": [None, [], {}, "m", 5],
    "modules": [None, [], {}, {"conv": 5}, {5: nn.Conv2d(1, 1, 1)}, [nn.Conv2d(1, 1, 1)], "conv"],
    "fns": [None, [], {}, {"f": 5}, {5: lambda: None}, [lambda: None], "f"],
    "ratio": [None, 1.2, "slower", (1.1, 1.3)],
    "verdict key": [None, 5, "", "no measurable difference", ["slower"], ("within",)],
    "kind rate": [None, 5, "3×3", (1, 2)],
}

CASES = [(name, arg) for name in sorted(API) for arg in API[name].args]


@pytest.mark.parametrize("name,arg", CASES)
@settings(max_examples=30)
@given(data=st.data())
def test_a_bad_argument_is_refused_with_its_name(name, arg, data):
    api = API[name]
    value = data.draw(st.sampled_from(BAD[api.args[arg]]), label=arg)
    kwargs = api.kwargs()
    kwargs[arg] = value
    with pytest.raises((ValueError, TypeError)) as info:
        api.fn(**kwargs)
    assert arg in str(info.value), (name, arg, value, str(info.value))
    assert info.type in (ValueError, ArgumentTypeError) or issubclass(info.type, (ValueError, TypeError))
    assert len(str(info.value)) < 400, str(info.value)  # short: huge numbers and tensors are abbreviated


@pytest.mark.parametrize("name,arg", [(n, a) for n, a in CASES if API[n].args[a] in ("size", "pair")])
def test_a_huge_size_is_exact_or_refused_by_name(name, arg):
    """10**400 is beyond any float: a formula computes with it exactly; what builds tensors refuses it."""
    api = API[name]
    kwargs = api.kwargs()
    kwargs[arg] = HUGE
    if api.builds:
        with pytest.raises(ValueError, match=re.escape(arg)):
            api.fn(**kwargs)
        return
    try:
        result = api.fn(**kwargs)
    except ValueError as error:  # e.g. a kernel larger than the input: a rule, stated with the argument's name
        assert arg in str(error), str(error)
    else:
        assert result is not None


@pytest.mark.parametrize("name,arg", [(n, a) for n, a in CASES if API[n].args[a] in ("size", "pair", "count")])
def test_numpy_integers_are_integers(name, arg):
    api = API[name]
    kwargs = api.kwargs()
    with_numpy = dict(kwargs)
    value = kwargs[arg]
    with_numpy[arg] = np.int64(value) if isinstance(value, int) else value
    if name.startswith(("timing.time", "roofline.")):  # timings differ from run to run
        api.fn(**with_numpy)
        return
    a, b = api.fn(**kwargs), api.fn(**with_numpy)
    if isinstance(a, nn.Module):
        assert str(a) == str(b) and counting.count_parameters(a) == counting.count_parameters(b)
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a, b)
    else:
        assert a == b, (name, arg, a, b)


def test_examples_from_the_issue():
    conv = nn.Conv2d(64, 64, 3, padding=1)
    assert intensity.conv_intensity(conv, np.int64(56)) == intensity.conv_intensity(conv, 56)
    with pytest.raises(ValueError, match="rounds=0 must be a positive integer"):
        timing.time_modules({"conv": conv}, torch.zeros(1, 64, 8, 8), rounds=0)
    with pytest.raises(TypeError, match="trainable_only='no' must be True or False"):
        counting.count_parameters(conv, trainable_only="no")
    with pytest.raises(TypeError, match="bias='no' must be True or False"):
        grouped_conv.GroupedConv2d(8, 8, 3, groups=2, bias="no")
    with pytest.raises(TypeError, match="in_channels=64.0 must be a positive integer, not float"):
        counting.conv2d_params(64.0, 64, 3)
    with pytest.raises(TypeError, match=r"in_channels=tensor\(64\) must be a positive integer.*\.item\(\)"):
        counting.conv2d_params(torch.tensor(64), 64, 3)
    with pytest.raises(TypeError, match="groups=True must be a positive integer, not bool"):
        counting.conv2d_params(64, 64, 3, groups=True)
    with pytest.raises(ValueError, match="in_channels=<an integer of 1329 bits> is too large"):
        grouped_conv.GroupedConv2d(HUGE, 8, 3)


def test_type_errors_are_value_errors_too():
    # ArgumentTypeError is a TypeError; code written when every bad argument raised ValueError still catches it
    with pytest.raises(ValueError):
        counting.conv2d_params(64, "128", 3)
    assert issubclass(ArgumentTypeError, TypeError) and issubclass(ArgumentTypeError, ValueError)


def test_validation_helpers_name_the_argument():
    for helper, args in ((validation.check_int, ()), (validation.check_positive_int, ()), (validation.check_bool, ()),
                         (validation.check_positive_real, ()), (validation.check_pair, ()), (validation.check_seed, ())):
        for value in (None, "x", math.nan, torch.tensor([1, 2]), -HUGE * 10**5000):
            if helper is validation.check_int and isinstance(value, int):
                continue
            with pytest.raises((ValueError, TypeError), match="^width="):
                helper("width", value, *args)
    assert validation.check_int("n", np.int64(-3)) == -3 and type(validation.check_int("n", np.int64(3))) is int
    assert validation.check_pair("padding", (0, np.int64(2)), minimum=0) == (0, 2)
    assert validation.describe(10**5000) == "<an integer of 16610 bits>"
    assert len(validation.describe(torch.zeros(100, 100))) <= 60 and "\n" not in validation.describe(torch.zeros(3, 3))
    with pytest.raises(TypeError, match="^module must be a torch.nn.Module, not int$"):
        validation.check_module("module", 5)
    with pytest.raises(TypeError, match="^inputs must be a torch.Tensor, not list$"):
        validation.check_tensor("inputs", [1.0])


# --- legal_groups is fast for any size ---------------------------------------------------------------------


def test_legal_groups_of_huge_channel_counts():
    assert counting.legal_groups(10**9, 10**9) == sorted(2**a * 5**b for a in range(10) for b in range(10))
    assert counting.legal_groups(10**9 + 7, 2 * (10**9 + 7)) == [1, 10**9 + 7]  # a prime: trial division to ~31623
    a, b = 2**100 * 3**50 * 7, 2**80 * 3**60 * 11
    assert counting.legal_groups(a, b) == sorted(2**i * 3**j for i in range(81) for j in range(51))
    assert counting.legal_groups(HUGE, 10**400 * 3) == sorted(2**i * 5**j for i in range(401) for j in range(401))


@settings(max_examples=200)
@given(st.integers(1, 5000), st.integers(1, 5000))
def test_legal_groups_are_the_common_divisors(c_in, c_out):
    assert counting.legal_groups(c_in, c_out) == [g for g in range(1, min(c_in, c_out) + 1)
                                                   if c_in % g == 0 and c_out % g == 0]


def test_huge_sizes_in_the_formulas_are_exact():
    d = design.complexity_preserving_width(HUGE, budget=HUGE**3)
    assert abs(design.template_params(HUGE, d) - HUGE**3) <= abs(design.template_params(HUGE, d + 1) - HUGE**3)
    assert abs(design.template_params(HUGE, d) - HUGE**3) <= abs(design.template_params(HUGE, d - 1) - HUGE**3)
    assert design.grouped_width(HUGE, 64, 3) == 3 * HUGE  # int(planes * 64 / 64) * C, exactly
    assert counting.conv2d_params(HUGE, HUGE, 3, groups=HUGE) == HUGE * 9


# --- measuring a model leaves it as it was ------------------------------------------------------------------


def _snapshot(model: nn.Module) -> tuple[dict, dict, dict]:
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    grads = {k: (None if p.grad is None else (p.grad, p.grad.detach().clone())) for k, p in model.named_parameters()}
    modes = {k: m.training for k, m in model.named_modules()}
    return state, grads, modes


def _assert_same(model: nn.Module, before: tuple[dict, dict, dict]) -> None:
    state, grads, modes = before
    after = model.state_dict()
    assert after.keys() == state.keys()
    for key, value in state.items():
        assert torch.equal(after[key], value), key
    for key, p in model.named_parameters():
        if grads[key] is None:
            assert p.grad is None, key
        else:
            tensor, values = grads[key]
            assert p.grad is tensor and torch.equal(p.grad, values), key
    assert {k: m.training for k, m in model.named_modules()} == modes


MEASUREMENTS = {
    "measure_flops": lambda m, x: flops.measure_flops(m, x),
    "measure_flops backward": lambda m, x: flops.measure_flops(m, x, backward=True),
    "measure_flops backward raw": lambda m, x: flops.measure_flops(m, x, backward=True, corrected=False),
    "measure_macs": flops.measure_macs,
    "flops_by_module": flops.flops_by_module,
    "layer_table": lambda m, x: layer_table.layer_table(m, x),
    "time_layers": lambda m, x: roofline.time_layers({"m": m}, x, rounds=1, min_time=0.0),
    "time_modules": lambda m, x: timing.time_modules({"m": m}, x, rounds=1, warmup=0, min_time=0.0),
    "time_once": mistakes.time_once,
}


@pytest.mark.parametrize("how", sorted(MEASUREMENTS))
@pytest.mark.parametrize("grads", ["none", "some"])
def test_measuring_a_model_in_training_mode_leaves_it_as_it_was(how, grads):
    model = models.build_model("resnext_cifar_small").train()
    model.layer1[0].bn2.eval()  # a mixed model: one frozen BN layer
    x = torch.randn(2, 3, 8, 8)
    if grads == "some":
        model(x).sum().backward()
        model.fc.weight.grad = None  # some parameters with a gradient, some without
    model(x)  # BN running statistics that differ from their initial values
    before = _snapshot(model)
    MEASUREMENTS[how](model, x)
    _assert_same(model, before)


def test_measuring_keeps_the_inputs_gradient():
    conv = nn.Conv2d(4, 8, 3).train()
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    assert flops.measure_flops(conv, x, backward=True) > 0
    assert x.grad is None and conv.weight.grad is None
    counted = flops.measure_flops(conv, x, backward=True)
    assert counted == flops.measure_flops(conv, x, backward=True)  # nothing accumulates between calls


def test_every_check_invites_an_answer_while_it_is_none():
    """`answer = None` is an invitation (neutral colour, no backticks), not an error; a wrong answer is."""
    for name, check in CHECKS.items():
        feedback = check(None)
        assert not feedback and not feedback.answered, name
        html = feedback._repr_html_()
        assert "Your turn." in html and "`" not in html and "<code>None</code>" in html, (name, html)
        assert "#b02a37" not in html, f"{name}: red is for wrong answers"
        wrong_answer = check("not an answer")
        assert not wrong_answer and wrong_answer.answered and "Not yet." in wrong_answer._repr_html_()


def test_a_right_answer_is_shown_back():
    """A solution cell ends with its check: the reader sees the answer it computed, not just "Correct!"."""
    for name in sorted(CHECKS):
        answer = expected_answer(name)
        feedback = CHECKS[name](answer)
        assert feedback, name
        assert feedback.message.strip(), f"{name}: a right answer gets an empty message"
        if isinstance(answer, int) and not isinstance(answer, bool):
            assert f"{answer:,}" in feedback.message or str(answer) in feedback.message, (name, feedback.message)
        elif isinstance(answer, set) and all(isinstance(v, str) for v in answer):
            assert ", ".join(sorted(answer)) in feedback.message, (name, feedback.message)
        else:
            assert shows(feedback.message, answer), (name, feedback.message)
