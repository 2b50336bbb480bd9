"""Bad input, rule by rule: every mistake a learner can make with the math and the tools is refused with a
ValueError or TypeError that names the argument and the rule (``tests/test_public_api.py`` calls every public name
with awkward arguments; here each rule has its message); every exercise check answers any answer with feedback,
never an exception and never the answer; and what only measures a model leaves it as it was.

What counts as a whole number: exercise checks accept ``int``, a whole ``float`` (``72.0``), numpy scalars and exact
``Fraction``s, alone or in a list, and refuse a tensor or an array with a hint to use ``.item()``/``.tolist()``;
API functions take ``int`` and ``numpy`` integers, never a ``bool`` or a float (``in_channels=64.0``).
"""

from __future__ import annotations

import importlib
import inspect
import itertools
import math
import pkgutil
import re
from fractions import Fraction
from functools import cache

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

import resnext_teach.book.exercises as exercises
from resnext_teach.book.exercises import concepts
from resnext_teach import blocks, counting, design, devices, flops, grouped_conv, intensity, layer_table, models
from resnext_teach import mistakes, paper, roofline, stages, stats, timing
from resnext_teach.book.exercises.core import Exercise
from resnext_teach.book.exercises.feedback import Feedback
from resnext_teach.book.plots import groups_sweep_figure, roofline_figure, training_curves
from resnext_teach.book.svg import connectivity_svg
from resnext_teach.experiments.evidence import Roofline
from resnext_teach.experiments.records import load_record
from resnext_teach.experiments.runs import Run
from resnext_teach.experiments.training import History

from helpers import free_of, shows

# --- the rules of the math and the tools, each with the words its message must hold ------------------------------

CONV, X = nn.Conv2d(4, 8, 3, padding=1), torch.randn(1, 4, 6, 6)
RATIO = timing.Ratio("a", "b", 1.2, 1.1, 1.3, 6)
TIMINGS = timing.Timings({k: timing.Timing(k, (1e-3, 2e-3), 1) for k in "ab"}, devices.environment("cpu", 1))
ROOF = Roofline.from_record(load_record("roofline"))
RUN = Run("m", 0, None, History("m", 0, "cpu", [0.1], [1.0], [0.2], [0.9], [1.0]), None)
SWEEP_ROW = {"timing": TIMINGS["a"], "macs": 100, "rate": 1e9}


def _enter(context) -> None:
    with context:
        pass


RULES = [  # (call, error, words of its message): divisibility, the width rule, names, tensors, counts that hang
    (lambda: counting.conv2d_params(64, 128, 3, groups=3), ValueError, "groups=3 must divide in_channels=64"),
    (lambda: counting.conv2d_params(64, 100, 3, groups=8), ValueError, "groups=8 must divide out_channels=100"),
    (lambda: counting.conv2d_params(64.0, 64, 3), TypeError, "in_channels=64.0 must be a positive integer, not float"),
    (lambda: counting.conv2d_params(torch.tensor(64), 64, 3), TypeError, "use .item()"),
    (lambda: counting.conv2d_params(64, 64, 3, groups=True), TypeError, "groups=True must be a positive integer"),
    (lambda: counting.conv2d_params(64, 64, 0), ValueError, "kernel_size=0 must be a positive integer"),
    (lambda: counting.conv2d_params(64, 64, 3, bias="no"), TypeError, "bias='no' must be True or False"),
    (lambda: counting.conv2d_output_size(5, 7), ValueError, "kernel_size=7 is larger than the padded input_size=5"),
    (lambda: counting.conv2d_output_size(8, 3, padding=-1), ValueError, "padding=-1 must be a non-negative integer"),
    (lambda: counting.conv2d_macs(64, 64, 3, (4, 4, 4)), ValueError, "output_size=(4, 4, 4) must be an int or a pair"),
    (lambda: counting.legal_groups(10**6, 8), ValueError, "in_channels=1000000 is too large: at most 8,192"),
    (lambda: counting.count_parameters([CONV]), TypeError, "module must be a torch.nn.Module, not list"),
    (lambda: design.grouped_width(16, 1, 8), ValueError, "int(16 * 1 / 64) = 0 channels per path"),
    (lambda: design.complexity_preserving_width(64, budget=1000), ValueError, "budget=1000 is too small"),
    (lambda: design.complexity_table(range(10**6)), ValueError, "cardinalities holds 1,000,000 values"),
    (lambda: grouped_conv.GroupedConv2d(64, 128, 3, groups=3), ValueError, "groups=3 must divide in_channels=64"),
    (lambda: grouped_conv.GroupedConv2d(8, 8, 3, groups=2)(torch.randn(1, 4, 5, 5)), ValueError,
     "expected input of shape (N, 8, H, W)"),
    (lambda: grouped_conv.connectivity_mask(8, 10**9, 1), ValueError, "out_channels=1000000000 is too large"),
    (lambda: blocks.ResNeXtBottleneck(64, 16, cardinality=32, bottleneck_width=2), ValueError,
     "int(16 * 2 / 64) = 0 channels per path"),
    (lambda: blocks.AggregatedBottleneck(64, 64, cardinality=10**12), ValueError, "cardinality=1000000000000 is too"),
    (lambda: blocks.ResNeXtBottleneck(256, 2048, cardinality=64, bottleneck_width=64), ValueError,
     "a grouped width of 131,072 channels; at most 8,192"),
    (lambda: blocks.make_block("tree", 64, 64), ValueError, "form='tree' must be one of ['aggregated',"),
    (lambda: blocks.make_block(3, 64, 64), TypeError, "form=3 must be one of"),
    (lambda: blocks.convert_block(CONV, "grouped"), TypeError, "block must be one of ['AggregatedBottleneck',"),
    (lambda: models.build_model("resnext51"), ValueError, "name='resnext51' is not a known model"),
    (lambda: models.build_model("resnext50_32x4d", cardinality=16), ValueError,
     "cardinality=16 conflicts with 'resnext50_32x4d', which has cardinality=32"),
    (lambda: models.build_model("resnet50", groups=32), ValueError, "'groups' is not a model option"),
    (lambda: models.ModelConfig((3, 4), 1, 64, stem="tiny"), ValueError, "stem='tiny' must be one of"),
    (lambda: models.ModelConfig((1, 10**6), 1, 64), ValueError, "layers[1]=1000000 is too large: at most 1,000"),
    (lambda: models.ModelConfig([3, 4], 1, 64), TypeError, "layers must be a non-empty tuple of block counts"),
    (lambda: models.ResNeXt("resnet50"), TypeError, "config must be a ModelConfig, not str"),
    (lambda: flops.measure_flops(CONV, X.long()), TypeError, "inputs must hold floating-point numbers, not torch.int"),
    (lambda: flops.measure_macs(CONV, torch.randn(1, 3, 6, 6)), ValueError,
     "inputs of shape (1, 3, 6, 6) do not fit Conv2d: Given groups=1, weight of size [8, 4, 3, 3]"),
    (lambda: flops.flops_by_module(lambda t: t, X), TypeError, "module must be a torch.nn.Module, not function"),
    (lambda: flops.measure_flops(CONV, X, backward=1), TypeError, "backward=1 must be True or False"),
    (lambda: layer_table.layer_table(CONV, (1, 0, 4, 4)), ValueError, "must be a shape of positive ints"),
    (lambda: layer_table.layer_table(CONV, (1, 3, 4, 4)), ValueError, "input_size of shape (1, 3, 4, 4) do not fit"),
    (lambda: intensity.conv_intensity(nn.Linear(2, 2), 8), TypeError, "conv must be a torch.nn.Conv2d, not Linear"),
    (lambda: intensity.conv_intensity(nn.Conv2d(2, 2, 3, padding="same"), 8), ValueError, "padding='same'"),
    (lambda: timing.time_modules({"c": CONV}, X, rounds=10**12), ValueError, "rounds=1000000000000 is too large"),
    (lambda: timing.time_modules({"c": CONV}, X.to("meta")), ValueError, "meta device: they have shapes but no data"),
    (lambda: timing.time_modules([CONV], X), TypeError, "modules must be a dict of label -> torch.nn.Module"),
    (lambda: timing.time_interleaved({"f": abs}, warmup=-1), ValueError, "warmup=-1 must be a non-negative integer"),
    (lambda: timing.time_interleaved({"f": abs}, min_time=5), ValueError, "min_time=5 must be a finite number in [0,"),
    (lambda: timing.time_interleaved({}), ValueError, "fns must be a non-empty dict"),
    (lambda: timing.time_interleaved({"f": 3}), TypeError, "fns['f'] must be a function, not int"),
    (lambda: timing.verdict(RATIO, band=2), ValueError, "band=2 must be a finite number in [0, 1)"),
    (lambda: timing.verdict((1.1, 1.3)), TypeError, "ratio must be a Ratio"),
    (lambda: timing.phrase("no measurable difference"), ValueError, "is not one of slower, faster, within"),
    (lambda: devices.pick_device("gpu"), ValueError, "device='gpu' is not a device name such as 'cpu', 'cuda'"),
    (lambda: devices.pick_device(0), TypeError, "device must be a torch.device or a name such as 'cpu'"),
    (lambda: _enter(devices.cpu_threads(0)), ValueError, "num_threads=0 must be a positive integer"),
    (lambda: roofline.attainable(2.0, 0, 1e9), ValueError, "peak=0 must be a finite number in (0, inf)"),
    (lambda: roofline.measure_peaks(size=10**5), ValueError, "size=100000 is too large: at most 16,384"),
    (lambda: roofline.time_layers({"c": CONV}, X, threads=0), ValueError, "threads=0 must be a positive integer"),
    (lambda: stats.t_quantile(0.975, 10**6), ValueError, "dof=1000000 is too large: at most 1,000"),
    (lambda: stats.t_quantile(1.0, 3), ValueError, "probability=1.0 must be a finite number in (0, 1)"),
    (lambda: stats.mean_interval([1.0]), ValueError, "an interval needs at least 2 values"),
    (lambda: stats.mean_interval([1.0, 2.0], confidence=95), ValueError, "confidence=95 must be a finite number"),
    (lambda: stats.spread([0.5, math.nan]), ValueError, "spread needs finite numbers, got nan at position 1"),
    (lambda: stats.spread(0.5), TypeError, "values must be a list of numbers, not float"),
    (lambda: stages.stage_costs(models.MODEL_CONFIGS["resnet50"], 4096), ValueError, "image_size=4096 is too large"),
    (lambda: stages.stage_table(nn.Linear(2, 2)), TypeError, "model must be a resnext_teach ResNeXt, not Linear"),
    (lambda: mistakes.misbuilt_model(block=5), TypeError, "block must be a torch.nn.Module class, not int"),
    (lambda: mistakes.ChannelsPerGroupBlock(8, 2, bottleneck_ratio=0), ValueError, "bottleneck_ratio=0 must be a"),
    (lambda: mistakes.time_once(CONV, [X]), TypeError, "inputs must be a torch.Tensor, not list"),
    (lambda: paper.top1_error("ResNeXt-51", "32×4d"), ValueError, "model='ResNeXt-51', template='32×4d' is not a"),
    (lambda: connectivity_svg(torch.ones(3, 4), "a float mask"), ValueError, "mask must be a non-empty 2-D boolean"),
    (lambda: roofline_figure(ROOF, ["ResNeXt-50"]), ValueError, "models[0]='ResNeXt-50' is not a known model of the"),
    (lambda: training_curves([], ["a", "b", "c"], 1), ValueError, "model_names holds 3 names: give one or two"),
    (lambda: training_curves([RUN], ["m"], 2), ValueError, "runs[0] (m) has 1 epochs of train_loss, not epochs=2"),
    (lambda: training_curves([RUN], ["n"], 1), ValueError, "model_names[0]='n' has no run in runs"),
    (lambda: groups_sweep_figure({2: SWEEP_ROW}, 1e9), ValueError, "rows has no dense layer (G = 1)"),
    (lambda: groups_sweep_figure({1: {"timing": TIMINGS["a"]}}, 1e9), ValueError, "rows[1] has no ['macs', 'rate']"),
    (lambda: groups_sweep_figure({1: SWEEP_ROW}, 0), ValueError, "peak=0 must be a finite number in (0, inf)"),
]


@pytest.mark.parametrize("call, error, words", RULES, ids=[words[:40] for _, _, words in RULES])
def test_a_broken_rule_is_refused_by_name(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value) and info.type in (ValueError, TypeError), str(info.value)


def test_what_a_learner_may_pass_is_accepted():
    assert counting.conv2d_params(np.int64(64), 64, (3, np.int64(3)), groups=np.int32(32)) == 1152
    assert counting.legal_groups(48, 72) == [g for g in range(1, 49) if 48 % g == 0 and 72 % g == 0]
    assert intensity.conv_intensity(CONV, np.int64(6)) == intensity.conv_intensity(CONV, 6)
    assert models.build_model("resnet50", num_classes=np.int64(10)).fc.out_features == 10
    assert devices.pick_device(None).type in ("cpu", "cuda") and devices.pick_device("meta").type == "meta"


# --- measuring a model leaves it as it was --------------------------------------------------------------------

MEASUREMENTS = {
    "measure_flops": lambda m, x: flops.measure_flops(m, x),
    "measure_flops backward": lambda m, x: flops.measure_flops(m, x, backward=True),
    "measure_macs": flops.measure_macs,
    "flops_by_module": flops.flops_by_module,
    "layer_table": lambda m, x: layer_table.layer_table(m, x),
    "time_layers": lambda m, x: roofline.time_layers({"m": m}, x, rounds=1, min_time=0.0),
    "time_modules": lambda m, x: timing.time_modules({"m": m}, x, rounds=1, warmup=0, min_time=0.0),
    "time_once": mistakes.time_once,
}


@pytest.mark.parametrize("how", sorted(MEASUREMENTS))
def test_measuring_a_model_in_training_mode_leaves_it_as_it_was(how):
    model = models.build_model("resnext_cifar_small").train()
    model.layer1[0].bn2.eval()  # a mixed model: one frozen BN layer
    x = torch.randn(2, 3, 8, 8)
    model(x).sum().backward()
    model.fc.weight.grad = None  # some parameters with a gradient, some without
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}  # BN statistics moved from their start
    grads = {k: (p.grad, None if p.grad is None else p.grad.clone()) for k, p in model.named_parameters()}
    modes = {k: m.training for k, m in model.named_modules()}
    MEASUREMENTS[how](model, x)
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())
    for k, p in model.named_parameters():
        assert p.grad is grads[k][0] and (p.grad is None or torch.equal(p.grad, grads[k][1])), k
    assert {k: m.training for k, m in model.named_modules()} == modes


def test_measuring_keeps_the_inputs_gradient():
    x = torch.randn(1, 4, 6, 6, requires_grad=True)
    counted = flops.measure_flops(CONV, x, backward=True)
    assert counted > 0 and x.grad is None and CONV.weight.grad is None
    assert flops.measure_flops(CONV, x, backward=True) == counted  # nothing accumulates between calls


# --- the exercise checks, found by name (CONTRIBUTING.md, "An exercise") ------------------------------------

MODULES = [importlib.import_module(f"{exercises.__name__}.{i.name}") for i in pkgutil.iter_modules(exercises.__path__)]
CHECKS = {f"{m.__name__.rsplit('.', 1)[1]}.{name}": fn for m in MODULES for name, fn in vars(m).items()
          if name.startswith("check_") and inspect.isfunction(fn) and fn.__module__ == m.__name__
          and name != "check_integer"}  # core.check_integer: the machinery, tested below on its own
READS_TEXT = {"block.check_shortcuts", "block.check_timing_words"} | {  # Letters: text is a form of their answer
    f"concepts.{name}" for name in concepts.__all__ if name.startswith("check_")}


@cache
def exercise_of(name: str) -> tuple[Exercise, dict]:
    """The ``Exercise`` a check hands its answer to, with its settings (every check is declared as one)."""
    seen = []
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


def _conv(*args, **kwargs) -> nn.Conv2d:
    return nn.Conv2d(*args, **kwargs, device="meta")


def _perturbed_outputs() -> set[int]:  # the outputs of nn.Conv2d(64, 128, 1, groups=32) that input channel 37 reaches
    conv = nn.Conv2d(64, 128, 1, groups=32, bias=False)
    nn.init.ones_(conv.weight)
    x = torch.zeros(1, 64, 1, 1)
    x[0, 37] = 1.0
    return set(torch.nonzero(conv(x)[0, :, 0, 0]).flatten().tolist())


ANSWERS = {  # the answers that are not whole numbers, each from an independent reference (test_exercises_* hold
    # every answer against real modules)
    "convolution.check_weight_shape_exercise": lambda: tuple(_conv(3, 64, 7, stride=2, padding=3).weight.shape),
    "convolution.check_doubling_exercise": lambda: _conv(64, 128, 6).weight.numel() / _conv(64, 128, 3).weight.numel(),
    "grouped.check_legal_groups_exercise": lambda: {g for g in range(1, 49) if 48 % g == 0 and 72 % g == 0},
    "grouped.check_perturbation_exercise": _perturbed_outputs,
    "block.check_shortcuts": lambda: {"B", "E", "F"},  # stride 2, or in_channels != 4 * planes (SHORTCUT_CHOICES)
    "block.check_timing_words": lambda: {"B", "E"},  # the intervals wholly above 1.05 (VERDICT_CHOICES)
    "model.check_output_sizes": lambda: [80, 40, 20, 10],  # 320 -> 7x7/2 conv -> 160 -> 3x3/2 pool -> 80, then /2
    "claims.check_parameter_cut": lambda: 100 * (1 - _conv(256, 256, 3, groups=64).weight.numel()
                                                 / _conv(256, 256, 3).weight.numel()),
    "claims.check_intensity": lambda: (256 * 9 * 28 * 28) / (4 * (2 * 256 * 28 * 28 + 256 * 9)),
    # the questions of why: the option each chapter's reasoning gives (concepts.py says why, option by option)
    "concepts.check_why_weights_are_shared": lambda: {"C"},  # the filters slide: shared weights
    "concepts.check_what_mixes_groups": lambda: {"B"},  # only a layer that is not grouped mixes the groups
    "concepts.check_why_fix_the_budget": lambda: {"D"},  # a fixed budget rules out capacity as the cause
    "concepts.check_why_dense_1x1": lambda: {"A"},  # the 1x1s are where the paths meet
    "concepts.check_why_not_faster_on_a_gpu": lambda: {"C"},  # low arithmetic intensity
    "concepts.check_why_not_32_times_faster": lambda: {"B"},  # activations and overheads do not shrink with G
    "concepts.check_why_several_seeds": lambda: {"D"},  # seed-to-seed noise
    "cardinality.check_complexity_preserving_width":  # Table 2's rule by brute force: the d nearest 69,632
        lambda: min(range(1, 300), key=lambda d: (abs(24 * (512 * d + 9 * d * d) - 69_632), d)),
}


@cache
def expected(name: str) -> object:
    spec, values = exercise_of(name)
    return ANSWERS[name]() if name in ANSWERS else spec.expected(**values)


def test_every_check_has_an_independent_or_a_whole_answer():
    assert len(CHECKS) >= 20
    for name in CHECKS:
        spec, values = exercise_of(name)
        own = spec.expected(**values)
        assert name in ANSWERS or isinstance(own, int), f"add {name} to ANSWERS"
        assert name not in ANSWERS or spec.reader.same(own, ANSWERS[name]()), (name, own)


def forms(answer: object) -> list[object]:
    """The right answer written in every form a student may use."""
    if isinstance(answer, int):
        return [answer, float(answer), np.int64(answer), np.float64(answer), Fraction(answer)]
    if isinstance(answer, float):
        return [answer, np.float64(answer)]
    if isinstance(answer, set) and all(isinstance(v, str) for v in answer):
        return ["".join(sorted(answer)), ", ".join(sorted(answer)), sorted(answer), [v.lower() for v in answer]]
    items = sorted(answer) if isinstance(answer, set) else list(answer)
    return [items, tuple(items), [float(v) for v in items], [np.int64(v) for v in items]] + (
        [set(items), list(reversed(items))] if isinstance(answer, set) else [])


def assert_hides(name: str, feedback: Feedback) -> None:
    """A wrong answer's feedback never shows the answer (a set may show one member: a hint, not the answer)."""
    answer = expected(name)
    assert isinstance(feedback, Feedback) and isinstance(feedback.message, str) and feedback.message, (name, feedback)
    if feedback:
        return
    if isinstance(answer, set) and all(isinstance(v, str) for v in answer):
        if len(answer) == 1:  # one letter of a choice: no message may single it out (listing every option is fine)
            choices = set(exercise_of(name)[0].reader.choices)
            message = feedback.message.replace(LETTERS_EXAMPLE, " ")  # the reader's example, whatever the answer
            named = {c for c in choices if re.search(rf"\b{c}\b", message)}
            assert not (answer & named) or named == choices, (name, feedback.message)
            return
        answer = "".join(sorted(answer))
    if isinstance(answer, set):
        shown = {int(n) for n in re.findall(r"(?<![\d.,])\d+(?!\d)", re.sub(r"\d+ legal values? (is|are) missing",
                                                                             " ", feedback.message))}
        assert len(shown & answer) <= 1, (name, feedback.message)
    assert free_of(answer, feedback.message), (name, feedback.message)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_a_check_invites_reads_every_form_and_shows_a_right_answer_back(name):
    check, answer = CHECKS[name], expected(name)
    html = check(None)._repr_html_()  # `answer = None` invites, in a neutral colour; a wrong answer is "Not yet."
    assert not check(None) and not check(None).answered and "Your turn." in html and "<code>None</code>" in html
    assert "`" not in html and "#b02a37" not in html and "Not yet." in check("not an answer")._repr_html_()
    for form in forms(answer):
        assert check(form), (name, form)
    shown = ", ".join(sorted(answer)) if name in READS_TEXT else answer  # a solution cell shows its answer back
    assert shows(check(answer).message, shown), (name, check(answer).message)
    if isinstance(answer, (int, float)):
        for tensor in (torch.tensor(answer), np.array(answer), torch.tensor([answer])):
            assert ".item()" in check(tensor).message and not check(tensor)
        assert not check(True) and not check(False)
    elif name not in READS_TEXT:
        items = sorted(answer) if isinstance(answer, set) else list(answer)
        assert all(".tolist()" in check(a).message for a in (torch.tensor(items), np.array(items)))


class _BrokenRepr:
    def __repr__(self) -> str:
        raise RuntimeError("a broken repr")


class _RaisingNumber(float):  # a number whose conversions raise (a student's own class, a broken library type)
    def __float__(self):
        raise RuntimeError("no float")

    __int__ = __index__ = __float__

    def __eq__(self, other):
        raise RuntimeError("no comparison")

    __hash__ = float.__hash__


class _RaisingList(list):  # a list whose length and iteration raise
    def __iter__(self):
        raise RuntimeError("no iteration")

    def __len__(self):
        raise RuntimeError("no length")


class _Endless:  # claims three items, never stops giving them
    def __iter__(self):
        return itertools.count()

    def __len__(self):
        return 3


BAD_ANSWERS = [
    _RaisingNumber(3.0), _RaisingList([1, 2]), _Endless(), itertools.count(),
    math.nan, math.inf, -math.inf, 10**400, -(10**400), True, np.nan, np.bool_(True), "", "72", "nan", b"72", 3 + 4j,
    object(), _BrokenRepr(), Ellipsis, {}, {"A": 1}, [], [[]], [None], [math.nan], [[1, 2], [3]], range(10**400),
    {1: 2}, np.array([1.5, 2.5]), torch.tensor(math.nan), torch.zeros(2, 3), torch.tensor([True]), [torch.tensor(1)],
    (math.inf,), [1.5], [True, False], (x for x in [1, 2]), [None, "a", math.nan],
]


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_a_bad_answer_gets_feedback_that_hides_the_answer(name):
    for answer in BAD_ANSWERS:
        feedback = CHECKS[name](answer)  # never an exception
        assert not feedback or (name in READS_TEXT and isinstance(answer, str)), (name, answer, feedback)
        assert_hides(name, feedback)


LETTERS_EXAMPLE = 'such as "AC" or a set such as {"A", "C"}'  # readers.Letters' form message, for every answer
DIRECTION = re.compile(r"too (large|small|big|many|few|high|low)|a little|larger than|smaller than|more than|less "
                       r"than", re.IGNORECASE)  # such words would let a student find the answer by bisection


@pytest.mark.parametrize("name", sorted(CHECKS))
@settings(max_examples=40)
@given(number=st.one_of(st.integers(-(10**7), 10**9), st.floats(allow_nan=False, allow_infinity=False)),
       near=st.booleans(), as_list=st.booleans())
def test_a_wrong_number_is_told_the_method_not_the_direction(name, number, near, as_list):
    answer = expected(name)
    if near and isinstance(answer, (int, float)):  # close to the answer, where a direction would help most
        number = answer + (int(number) % 1000 - 500 if isinstance(answer, int) else number % 1.0 - 0.5)
    feedback = CHECKS[name]([number, number] if as_list else number)
    assert_hides(name, feedback)
    if isinstance(answer, int) and not as_list:
        assert bool(feedback) == (number == answer), (name, number, feedback)
    if isinstance(answer, float) and feedback:
        assert not as_list and math.isclose(number, answer, rel_tol=0.01), (name, number, feedback)
    if not feedback:
        assert not DIRECTION.search(feedback.message), (name, number, feedback.message)


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_every_slip_gets_its_own_hint_which_names_no_direction(name):
    spec, values = exercise_of(name)
    hints = spec.hints(**values)
    assert hints, f"{name}: name at least one known slip"
    assert len(set(map(repr, hints.values()))) == len(hints), f"{name}: two hints share a value, one is unreachable"
    for message, value in hints.items():
        for form in [value, float(value)] if isinstance(value, int) else [value]:
            feedback = CHECKS[name](form)
            assert not feedback and feedback.message == message, (name, value, feedback)
            assert_hides(name, feedback)
    assert not any(DIRECTION.search(message) for message in (*hints, spec.method)), name
