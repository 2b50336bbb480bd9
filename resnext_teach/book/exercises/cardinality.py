"""Chapter 3's exercise checks: the block template's parameters (Eq. 4), the complexity-preserving width d,
and the grouped width of a later stage (torchvision's width rule).

Each exercise is an ``Exercise`` (see ``core``) whose values the chapter may set (``cardinality=32``); each check
returns ``Feedback``; hints name a common slip, and no message contains the expected answer.
"""

from __future__ import annotations

import math
from dataclasses import replace

from ...design import RESNET_TEMPLATE, complexity_preserving_width, grouped_width, template_params
from .core import Exercise
from .feedback import Feedback

__all__ = ["TEMPLATE_EXERCISE", "NAIVE_EXERCISE", "WIDTH_EXERCISE", "GROUPED_WIDTH_EXERCISE", "check_template_params",
    "check_naive_template_params", "check_complexity_preserving_width", "check_grouped_width"]

CHANNELS = 256  # the stage-1 template's input and output channels (Eq. 4)

TEMPLATE_EXERCISE = {"cardinality": 12, "bottleneck_width": 10}
"""Exercise "template": C paths of width d, no row of Table 2 and no position of the chapter's explorer."""

NAIVE_EXERCISE = {"cardinality": 16, "bottleneck_width": 4}
"""Exercise "naive conversion": ResNet's 64-channel bottleneck cut into 16 groups of 4, not widened (the chapter's
layer table shows ``groups=32``)."""

WIDTH_EXERCISE = {"cardinality": 24}
"""Exercise "width": the d that keeps a 24-path template nearest ResNet's (no row of Table 2, no position of the
chapter's explorer, whose C = 16 the chapter discusses)."""

GROUPED_WIDTH_EXERCISE = {"planes": 256, "cardinality": 8, "bottleneck_width": 14}
"""Exercise "stage 3": the grouped width in ResNeXt-50 8x14d's third stage (torchvision's ``layer3``), a model the
chapter's width table (ResNet-50, 32x4d, 32x8d) does not show."""


# --- the template's parameters (Eq. 4) ------------------------------------------------------------------------


def _template_slips(cardinality: int, bottleneck_width: int) -> dict[str, int]:
    c, d = cardinality, bottleneck_width
    expected, width = template_params(c, d, CHANNELS), c * d
    return {
        "That is the count of one path. The template has C paths, each with its own three layers.":
            template_params(1, d, CHANNELS),
        "You counted the 3x3 layer as dense over all C x d channels. In the block it is grouped: each path's 3x3 "
        "sees only its own d channels.": 2 * CHANNELS * width + 9 * width * width,
        "Eq. 4 has two 1x1 layers per path: 256 -> d into the path and d -> 256 out of it.": c * (CHANNELS * d + 9 * d * d),
        "A 3x3 kernel has 3 x 3 = 9 weights for each (input, output) channel pair.": c * (2 * CHANNELS * d + d * d),
        "Eq. 4 counts convolution weights only; BatchNorm's scale and shift are not part of it.":
            expected + 2 * (width + width + CHANNELS),
        "The block's convolutions have no bias (bias=False, BatchNorm follows each one), and Eq. 4 has none.":
            expected + width + width + CHANNELS,
    }


_TEMPLATE = Exercise(
    "the number of template parameters", TEMPLATE_EXERCISE,
    solve=lambda cardinality, bottleneck_width: template_params(cardinality, bottleneck_width, CHANNELS),
    slips=_template_slips,
    method=("Recount each factor of Eq. 4, C * (256*d + 9*d*d + d*256): C paths, and in each path a 1x1 layer into d "
            "channels, a 3x3 layer on d channels and a 1x1 layer out of them."),
)


def check_template_params(answer: object, cardinality: int = TEMPLATE_EXERCISE["cardinality"],
                          bottleneck_width: int = TEMPLATE_EXERCISE["bottleneck_width"]) -> Feedback:
    """Parameters of the stage-1 template with ``cardinality`` paths of width ``bottleneck_width`` (Eq. 4):
    ``C * (256*d + 3*3*d*d + d*256)``, convolution weights only."""
    return _TEMPLATE.check(answer, cardinality=cardinality, bottleneck_width=bottleneck_width)


_NAIVE = replace(_TEMPLATE, values=NAIVE_EXERCISE)


def check_naive_template_params(answer: object) -> Feedback:
    """Exercise "naive conversion": the template parameters of ``NAIVE_EXERCISE``'s C paths of width d."""
    return _NAIVE.check(answer)


# --- the complexity-preserving width (Table 2) -----------------------------------------------------------------

_BUDGET = template_params(*RESNET_TEMPLATE, channels=CHANNELS)  # ResNet-50's template: 69,632 parameters


def _positive_root(a: int, b: int) -> float:
    """The positive root of ``a d^2 + b d - budget = 0`` (``isqrt``: exact for any C)."""
    return (math.isqrt(b * b + 4 * a * _BUDGET) - b) / (2 * a)


def _width_slips(cardinality: int) -> dict[str, float]:
    c = cardinality
    root = _positive_root(9 * c, 2 * CHANNELS * c)
    return {
        "That is the exact root of Eq. 4. A layer has a whole number of channels: round it to the nearest integer "
        "(the rounding that reproduces Table 2).": root,
        "Check how you rounded the root: the width is the integer nearest to it (that reproduces Table 2), so "
        "compare the templates of the two widths on either side of the root.": math.floor(root),
        "That splits ResNet's 64 channels into C groups (or treats the 3x3 as dense over C x d channels): it shrinks "
        "the template instead of keeping it at the budget. The 3x3 layer costs 9 d^2 per path, times C.":
            round(_positive_root(9 * c * c, 2 * CHANNELS * c)),  # solved with 9 (C d)^2
        "With d = 64 the template is C times ResNet's: did you leave out the factor C in Eq. 4?": RESNET_TEMPLATE[1],
    }


def _width_echo(d: int, cardinality: int) -> str:
    params = template_params(cardinality, d, CHANNELS)
    return f"d = {d} gives {params:,} parameters, {params / _BUDGET:.1%} of ResNet's {_BUDGET:,}."


_WIDTH = Exercise(
    "the width d", WIDTH_EXERCISE,
    solve=lambda cardinality: complexity_preserving_width(cardinality, channels=CHANNELS),
    slips=_width_slips,
    method=(f"Solve C * (256*d + 9*d*d + d*256) = {_BUDGET:,} for d (a quadratic equation: take its positive root), "
            "then round the root to the nearest integer."),
    echo=_width_echo,
)


def check_complexity_preserving_width(answer: object, cardinality: int = WIDTH_EXERCISE["cardinality"]) -> Feedback:
    """The bottleneck width d that keeps the template nearest ResNet's 69,632 parameters at ``cardinality``:
    the positive root of ``C * (512*d + 9*d*d) = 69,632`` rounded to the nearest integer (which reproduces Table 2)."""
    return _WIDTH.check(answer, cardinality=cardinality)


# --- the grouped width of a later stage ------------------------------------------------------------------------


def _grouped_width_slips(planes: int, cardinality: int, bottleneck_width: int) -> dict[str, int]:
    c, d = cardinality, bottleneck_width
    return {
        "That is the width of a single group. The layer has C groups side by side.": grouped_width(planes, d, 1),
        "That is C x d, the first stage's width. The width per group grows with the stage: int(planes * d / 64).":
            c * d,
        "That is the block's output width (planes x 4), after the last 1x1, not the grouped 3x3 layer.": planes * 4,
        "That is planes itself. The grouped width follows int(planes * d / 64) * C.": planes,
        "Did you forget to divide by 64 in int(planes * d / 64)?": planes * d * c,
    }


_GROUPED_WIDTH = Exercise(
    "the grouped width", GROUPED_WIDTH_EXERCISE,
    solve=lambda planes, cardinality, bottleneck_width: grouped_width(planes, bottleneck_width, cardinality),
    slips=_grouped_width_slips,
    method=("Recount each factor of int(planes * d / 64) * C: the width of one group in this stage, times the "
            "number of groups."),
)


def check_grouped_width(answer: object, planes: int = GROUPED_WIDTH_EXERCISE["planes"],
                        cardinality: int = GROUPED_WIDTH_EXERCISE["cardinality"],
                        bottleneck_width: int = GROUPED_WIDTH_EXERCISE["bottleneck_width"]) -> Feedback:
    """Channels of the grouped 3x3 layer in a stage with ``planes`` (torchvision's rule
    ``int(planes * bottleneck_width / 64) * cardinality``); the default is ResNeXt-50 8x14d's third stage."""
    return _GROUPED_WIDTH.check(answer, planes=planes, cardinality=cardinality, bottleneck_width=bottleneck_width)
