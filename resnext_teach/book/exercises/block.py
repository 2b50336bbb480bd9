"""Check functions for Chapter 4's exercises (the ResNeXt block). The blocks of each exercise are named here once,
so the chapter's text, its solutions and these checks use the same ones; each exercise is an ``Exercise`` (see
``core``)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

import torch
from torch import nn

from ...blocks import ResNeXtBottleneck
from ...counting import conv2d_macs, conv2d_output_size, conv2d_params
from ...design import BLOCK_EXPANSION, grouped_width
from ...timing import DEAD_BAND, Ratio, verdict
from ...validation import describe
from .concepts import Choices
from .core import Exercise
from .feedback import Feedback
from .readers import Letters

__all__ = ["CONV2_BLOCK", "FIRST_BLOCK", "STRIDED_BLOCK", "STRIDED_INPUT", "VERDICT_CHOICES", "SHORTCUT_CHOICES",
    "block_code", "shortcut_choices", "check_conv2_params", "check_first_block_conv_params", "check_strided_macs", "check_shortcuts",
    "check_timing_words"]

# Exercise 1: the grouped 3x3 of a stage-3 block of ResNeXt-101 (64x4d).
CONV2_BLOCK = dict(in_channels=1024, planes=256, cardinality=64, bottleneck_width=4)

# Exercise 2: the first block of ResNeXt-50's stage 1 (64 channels from the stem, 256 out: projection shortcut).
FIRST_BLOCK = dict(in_channels=64, planes=64, cardinality=32, bottleneck_width=4)

# Exercise 3: the first block of stage 2 of ResNeXt-101 (32x8d), stride 2, on a 56x56 input.
STRIDED_BLOCK = dict(in_channels=256, planes=128, cardinality=32, bottleneck_width=8, stride=2)
STRIDED_INPUT = 56

# Exercise 4: which of these blocks get a projection shortcut (``downsample``)?
# Exercise 5: which of these comparisons may be called "slower by more than 5 %"? Illustrative values, made up for
# the exercise (not measured): each is a time ratio (candidate over reference) with its 95 % interval, (ratio, low,
# high). The solution's letters are computed from them by ``timing.verdict``.
VERDICT_CHOICES: dict[str, tuple[float, float, float]] = {
    "A": (1.08, 0.97, 1.20),
    "B": (1.12, 1.07, 1.18),
    "C": (1.03, 1.01, 1.05),
    "D": (0.90, 0.86, 0.94),
    "E": (1.31, 1.22, 1.41),
}

SHORTCUT_CHOICES: dict[str, dict[str, int]] = {
    "A": dict(in_channels=256, planes=64, cardinality=32, bottleneck_width=4, stride=1),
    "B": dict(in_channels=256, planes=128, cardinality=32, bottleneck_width=4, stride=2),
    "C": dict(in_channels=512, planes=128, cardinality=32, bottleneck_width=4, stride=1),
    "D": dict(in_channels=128, planes=32, cardinality=32, bottleneck_width=4, stride=1),
    "E": dict(in_channels=1024, planes=256, cardinality=32, bottleneck_width=4, stride=2),
    "F": dict(in_channels=64, planes=64, cardinality=1, bottleneck_width=64, stride=1),
}


def block_code(block: dict[str, int]) -> str:
    """How an exercise's block is written in the chapter: ``ResNeXtBottleneck(64, 64, cardinality=32,
    bottleneck_width=4)``, with ``stride=2`` when it has one."""
    keys = ("in_channels", "planes", "cardinality", "bottleneck_width")
    if not isinstance(block, Mapping) or not set(keys) <= set(block) or not set(block) <= {*keys, "stride"}:
        raise TypeError(f"block must be a dict of ResNeXtBottleneck's arguments ({', '.join(keys)}, and stride if "
                        f"not 1), not {describe(block)}")
    try:
        with torch.device("meta"):
            ResNeXtBottleneck(**block)  # a block that cannot be built is no block to quote
    except (TypeError, ValueError) as error:
        raise type(error)(f"block: {error}") from None
    stride = block.get("stride", 1)
    return (f"ResNeXtBottleneck({block['in_channels']}, {block['planes']}, cardinality={block['cardinality']}, "
            f"bottleneck_width={block['bottleneck_width']}" + (f", stride={stride})" if stride != 1 else ")"))


def shortcut_choices() -> Choices:
    """Exercise 4's blocks, one per letter, as the chapter lists them (Markdown in a notebook and on the page)."""
    return Choices("Which blocks get a projection?", {k: f"`{block_code(v)}`" for k, v in SHORTCUT_CHOICES.items()})


def _conv2_shape(block: dict[str, int]) -> tuple[int, int]:
    """(grouped width, cardinality) of a block's 3x3 layer."""
    return grouped_width(block["planes"], block["bottleneck_width"], block["cardinality"]), block["cardinality"]


# --- exercise 1: conv2's parameters ----------------------------------------------------------------------------


def _conv2_params(block: dict[str, int]) -> int:
    w, c = _conv2_shape(block)
    return conv2d_params(w, w, 3, groups=c)


def _conv2_slips(block: dict[str, int]) -> dict[str, int]:
    w, c = _conv2_shape(block)
    d = block["bottleneck_width"]
    return {
        "That is the count without groups: each output channel sees only the input channels of its own group.":
            conv2d_params(w, w, 3),
        "That is one group's weights; the layer has one such set per group.": conv2d_params(w // c, w // c, 3),
        "The convolutions of the block have no bias (BN follows each of them).":
            conv2d_params(w, w, 3, groups=c, bias=True),
        f"The bottleneck width d={d} is the path width of stage 1 only; it doubles with every stage, like the planes "
        "(the width rule in Chapter 3).": conv2d_params(d * c, d * c, 3, groups=c),
    }


_CONV2 = Exercise(
    "the parameter count", {"block": CONV2_BLOCK},
    solve=_conv2_params,
    slips=_conv2_slips,
    method=("Recount each factor of C_out x (C_in / G) x 3 x 3 for conv2: its width follows the width rule "
            "int(planes * d / 64) * C, and G is the cardinality."),
)


def check_conv2_params(answer: object) -> Feedback:
    """Exercise 1: parameters of ``conv2`` in ``ResNeXtBottleneck(**CONV2_BLOCK)``."""
    return _CONV2.check(answer)


# --- exercise 2: the first block's convolutions ----------------------------------------------------------------


def _first_block_parts(block: dict[str, int]) -> dict[str, int]:
    """Weights of the main branch (conv1, conv2, conv3) and of the projection, what conv2 would add without groups,
    and BatchNorm's parameters (a scale and a shift per channel of bn1, bn2, bn3 and the projection's BN)."""
    c_in, out = block["in_channels"], block["planes"] * BLOCK_EXPANSION
    w, c = _conv2_shape(block)
    return {
        "main": conv2d_params(c_in, w, 1) + conv2d_params(w, w, 3, groups=c) + conv2d_params(w, out, 1),
        "projection": conv2d_params(c_in, out, 1),
        "ungrouped_extra": conv2d_params(w, w, 3) - conv2d_params(w, w, 3, groups=c),
        "bn": 2 * (w + w + out + out),
    }


def _first_block_convs(block: dict[str, int]) -> int:
    parts = _first_block_parts(block)
    return parts["main"] + parts["projection"]


def _first_block_slips(block: dict[str, int]) -> dict[str, int]:
    p, expected = _first_block_parts(block), _first_block_convs(block)
    return {
        "The block changes the channel count, so its shortcut is not the identity: count the projection too.":
            p["main"],
        "That includes BatchNorm's weights and biases; the question asks for the convolutions only.":
            expected + p["bn"],
        "That includes BatchNorm's weights and biases, and misses the projection shortcut.": p["main"] + p["bn"],
        "The 3x3 layer is grouped: divide its weights by the number of groups.": expected + p["ungrouped_extra"],
    }


_FIRST_BLOCK = Exercise(
    "the parameter count", {"block": FIRST_BLOCK},
    solve=_first_block_convs,
    slips=_first_block_slips,
    method=("Recount each convolution in turn: conv1 (1x1), the grouped conv2 (3x3, weights divided by the "
            "cardinality), conv3 (1x1) and the projection shortcut (1x1), each C_out x (C_in / G) x K x K."),
)


def check_first_block_conv_params(answer: object) -> Feedback:
    """Exercise 2: parameters of all convolutions (no BatchNorm) of ``ResNeXtBottleneck(**FIRST_BLOCK)``."""
    return _FIRST_BLOCK.check(answer)


# --- exercise 3: the strided conv2's multiply-adds -------------------------------------------------------------


def _strided_macs(block: dict[str, int], input_size: int, dense: bool = False) -> int:
    w, c = _conv2_shape(block)
    out = conv2d_output_size(input_size, 3, stride=block["stride"], padding=1)
    return conv2d_macs(w, w, 3, out, groups=1 if dense else c)


def _strided_slips(block: dict[str, int], input_size: int) -> dict[str, int]:
    w, c = _conv2_shape(block)
    d = block["bottleneck_width"]
    return {
        "The 3x3 layer has stride 2: count its output positions, not its input positions.":
            _strided_macs({**block, "stride": 1}, input_size),
        "That is what PyTorch's FlopCounterMode reports: it counts a multiply-add as 2 FLOPs.":
            2 * _strided_macs(block, input_size),
        "That is the number of weights; each weight is used once per output position.":
            conv2d_params(w, w, 3, groups=c),
        "The 3x3 layer is grouped: each output channel sees only its group's input channels.":
            _strided_macs(block, input_size, dense=True),
        f"The bottleneck width d={d} is the stage-1 path width; in stage 2 each path is twice as wide.":
            _strided_macs({**block, "planes": 64}, input_size),  # the width rule with stage 1's planes: C x d
    }


_STRIDED = Exercise(
    "the number of multiply-adds", {"block": STRIDED_BLOCK, "input_size": STRIDED_INPUT},
    solve=_strided_macs,
    slips=_strided_slips,
    method=("Recount each factor: conv2's weights, C_out x (C_in / G) x 3 x 3, times its output positions "
            "H_out x W_out (stride 2 halves each side)."),
)


def check_strided_macs(answer: object) -> Feedback:
    """Exercise 3: multiply-adds of ``conv2`` of ``ResNeXtBottleneck(**STRIDED_BLOCK)`` on a ``STRIDED_INPUT`` square input."""
    return _STRIDED.check(answer)


# --- exercise 4: which blocks get a projection shortcut --------------------------------------------------------


@lru_cache(maxsize=None)
def _has_projection(spec: tuple[tuple[str, int], ...]) -> bool:
    with torch.device("meta"):  # the real block, shapes only
        return isinstance(ResNeXtBottleneck(**dict(spec)).downsample, nn.Module)


def _with_projection(choices: dict[str, dict[str, int]]) -> set[str]:
    return {k for k, spec in choices.items() if _has_projection(tuple(sorted(spec.items())))}


def _strided_alone(spec: dict[str, int]) -> bool:
    return spec["stride"] != 1 and spec["in_channels"] == BLOCK_EXPANSION * spec["planes"]


def _shortcut_diagnosis(chosen: set[str], expected: set[str], choices: dict[str, dict[str, int]]) -> str:
    extra, missing = chosen - expected, expected - chosen
    parts = []
    if extra:
        verb = "keeps" if len(extra) == 1 else "keep"
        parts.append(f"{len(extra)} of your choices {verb} both the channel count and the spatial size: an identity "
                     "shortcut already matches the output there.")
    if missing:
        parts.append(f"You left out {len(missing)} block{'s' if len(missing) > 1 else ''} that "
                     f"need{'' if len(missing) > 1 else 's'} one.")
        if any(_strided_alone(choices[k]) for k in missing):
            parts.append("Remember that a stride of 2 alone changes the shape, even when the channels stay the same.")
        else:
            parts.append("Compare each block's input channels with its output channels, 4 x planes.")
    return " ".join(parts)


_SHORTCUTS = Exercise(
    "the letters", {"choices": SHORTCUT_CHOICES},
    solve=_with_projection,
    reader=Letters(tuple(SHORTCUT_CHOICES)),
    slips=lambda choices: {
        "A stride of 2 alone changes the shape, even when the channels stay the same: such a block needs a "
        "projection too.": {k for k, spec in choices.items()
                            if spec["in_channels"] != BLOCK_EXPANSION * spec["planes"]},
        "Compare each block's input channels with its output channels, 4 x planes: a block that changes the channel "
        "count needs a projection, even with stride 1.": {k for k, spec in choices.items() if spec["stride"] != 1},
    },
    diagnose=_shortcut_diagnosis,
    echo=lambda chosen, choices: (f"Blocks {', '.join(sorted(chosen))}: a projection is needed exactly when the "
                                  "stride is not 1 or the channel count changes."),
)


def check_shortcuts(answer: object) -> Feedback:
    """Exercise 4: the letters of the blocks in ``SHORTCUT_CHOICES`` that get a projection shortcut."""
    return _SHORTCUTS.check(answer)


# --- exercise 5: the word a timing earns --------------------------------------------------------------------------


def _ratios(choices: dict[str, tuple[float, float, float]]) -> dict[str, Ratio]:
    return {k: Ratio("candidate", "reference", *v, rounds=7) for k, v in choices.items()}


def _called_slower(choices: dict[str, tuple[float, float, float]]) -> set[str]:
    return {k for k, ratio in _ratios(choices).items() if verdict(ratio) == "slower"}


_VERDICT = Exercise(
    "the right set of letters", {"choices": VERDICT_CHOICES},
    solve=_called_slower,
    reader=Letters(tuple(VERDICT_CHOICES)),
    slips=lambda choices: {
        "A ratio above 1 is not enough: a noisy measurement gives such ratios by chance. The word comes from the "
        "interval, not from the middle value.": {k for k, (ratio, _, _) in choices.items() if ratio > 1},
        "An interval that excludes 1 is not enough either: a precisely measured difference of a few percent lies "
        "inside the band, where the book says within 5 %.": {
            k for k, (_, low, _) in choices.items() if low > 1},
        "The middle value beyond the band is not enough: the whole interval has to lie beyond it.": {
            k for k, (ratio, _, _) in choices.items() if ratio > 1 + DEAD_BAND},
    },
    method=(f"For each line, ask where the whole interval lies against the band from {1 - DEAD_BAND:.2f} to "
            f"{1 + DEAD_BAND:.2f}: wholly above it, wholly below it, wholly inside it, or across one of its edges. "
            "Only the first earns the word slower."),
    echo=lambda chosen, choices: (f"{', '.join(sorted(chosen))}: only there does the whole interval lie above "
                                  f"{1 + DEAD_BAND:.2f}."),
)


def check_timing_words(answer: object) -> Feedback:
    """Exercise 5: the letters of ``VERDICT_CHOICES`` whose interval ``timing.verdict`` calls "slower" (by more
    than 5 %)."""
    return _VERDICT.check(answer)
