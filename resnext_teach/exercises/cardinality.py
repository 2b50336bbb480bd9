"""Chapter 3's exercise checks: the block template's parameters (Eq. 4), the complexity-preserving width d,
and the grouped width of a later stage (torchvision's width rule).

Each check returns ``Feedback``; hints name a common slip, and no message contains the expected answer.
"""

from __future__ import annotations

import math

from ..design import RESNET_TEMPLATE, complexity_preserving_width, grouped_width, template_params
from ..validation import check_positive_int
from .core import Feedback, check_integer, read_real, right, whole_number, wrong

CHANNELS = 256  # the stage-1 template's input and output channels (Eq. 4)


def check_template_params(answer: object, cardinality: int = 8, bottleneck_width: int = 14) -> Feedback:
    """Parameters of the stage-1 template with ``cardinality`` paths of width ``bottleneck_width`` (Eq. 4):
    ``C * (256*d + 3*3*d*d + d*256)``, convolution weights only."""
    c = check_positive_int("cardinality", cardinality)
    d = check_positive_int("bottleneck_width", bottleneck_width)
    expected = template_params(c, d, CHANNELS)
    width = c * d
    hints = {
        "That is the count of one path. The template has C paths, each with its own three layers.": template_params(
            1, d, CHANNELS
        ),
        "You counted the 3x3 layer as dense over all C x d channels. In the block it is grouped: each path's 3x3 "
        "sees only its own d channels.": 2 * CHANNELS * width + 9 * width * width,
        "Eq. 4 has two 1x1 layers per path: 256 -> d into the path and d -> 256 out of it.": c * (CHANNELS * d + 9 * d * d),
        "A 3x3 kernel has 3 x 3 = 9 weights for each (input, output) channel pair.": c * (2 * CHANNELS * d + d * d),
        "Eq. 4 counts convolution weights only; BatchNorm's scale and shift are not part of it.": expected
        + 2 * (width + width + CHANNELS),
        "The block's convolutions have no bias (bias=False, BatchNorm follows each one), and Eq. 4 has none.": expected
        + width + width + CHANNELS,
    }
    method = ("Recount each factor of Eq. 4, C * (256*d + 9*d*d + d*256): C paths, and in each path a 1x1 "
              "layer into d channels, a 3x3 layer on d channels and a 1x1 layer out of them.")
    return check_integer(answer, expected, hints, what="the number of template parameters", method=method)


def check_complexity_preserving_width(answer: object, cardinality: int = 16) -> Feedback:
    """The bottleneck width d that keeps the template nearest ResNet's 69,632 parameters at ``cardinality``:
    the positive root of ``C * (512*d + 9*d*d) = 69,632`` rounded to the nearest integer (which reproduces Table 2)."""
    c = check_positive_int("cardinality", cardinality)
    expected = complexity_preserving_width(c, channels=CHANNELS)
    budget = template_params(*RESNET_TEMPLATE, channels=CHANNELS)
    a, b = 9 * c, 2 * CHANNELS * c
    root = (math.isqrt(b * b + 4 * a * budget) - b) / (2 * a)  # the positive root (isqrt: exact for any C)
    value = whole_number(answer)
    if value is None:
        number = read_real(answer, "the width d")
        if isinstance(number, Feedback):
            return number
        if abs(number - root) < 0.01:
            return wrong("That is the exact root of Eq. 4. A layer has a whole number of channels: round it to the "
                         "nearest integer (the rounding that reproduces Table 2).")
        return wrong("The width d is a whole number of channels.")
    if value == expected:
        params = template_params(c, value, CHANNELS)
        return right(f"d = {value} gives {params:,} parameters, {params / budget:.1%} of ResNet's {budget:,}.")
    dense_3x3 = (math.isqrt(b * b + 4 * 9 * c * c * budget) - b) / (2 * 9 * c * c)  # solved with 9*(C*d)^2
    hints = {
        "You rounded the root down. Round to the nearest integer (that reproduces Table 2): compare the two "
        "widths on either side of the root.":
            math.floor(root),
        "That splits ResNet's 64 channels into C groups (or treats the 3x3 as dense over C x d channels): it shrinks "
        "the template instead of keeping it at the budget. The 3x3 layer costs 9 d^2 per path, times C.":
            round(dense_3x3),
        "With d = 64 the template is C times ResNet's: did you leave out the factor C in Eq. 4?": RESNET_TEMPLATE[1],
    }
    method = (f"Solve C * (256*d + 9*d*d + d*256) = {budget:,} for d (a quadratic equation: take its positive "
              "root), then round the root to the nearest integer.")
    return check_integer(value, expected, hints, what="the width d", method=method)


def check_grouped_width(answer: object, planes: int = 256, cardinality: int = 32, bottleneck_width: int = 4) -> Feedback:
    """Channels of the grouped 3x3 layer in a stage with ``planes`` (torchvision's rule
    ``int(planes * bottleneck_width / 64) * cardinality``); the default is ResNeXt-50 32x4d's third stage."""
    planes = check_positive_int("planes", planes)
    c = check_positive_int("cardinality", cardinality)
    d = check_positive_int("bottleneck_width", bottleneck_width)
    expected = grouped_width(planes, d, c)
    hints = {
        "That is the width of a single group. The layer has C groups side by side.": expected // c,
        "That is C x d, the first stage's width. The width per group grows with the stage: int(planes * d / 64).":
            c * d,
        "That is the block's output width (planes x 4), after the last 1x1, not the grouped 3x3 layer.": planes * 4,
        "That is planes itself. The grouped width follows int(planes * d / 64) * C.": planes,
        "Did you forget to divide by 64 in int(planes * d / 64)?": planes * d * c,
    }
    method = ("Recount each factor of int(planes * d / 64) * C: the width of one group in this stage, times the "
              "number of groups.")
    return check_integer(answer, expected, hints, what="the grouped width", method=method)
