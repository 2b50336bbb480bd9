"""The ResNeXt design rules: how wide the grouped layer is, and how to keep complexity fixed.

Xie et al., "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017 (the ResNeXt paper):

* cardinality C is the number of paths (groups) and d = ``bottleneck_width`` the width of each path in the
  first stage (Sec. 3.3, Table 1: "32x4d" means C=32, d=4);
* the width rule is torchvision's, ``width = int(planes * bottleneck_width / 64) * cardinality``
  (``planes`` = 64, 128, 256, 512 in the four ImageNet stages), so d doubles with every stage;
* to compare cardinalities fairly the paper keeps the parameters of the stage-1 block template fixed at about
  70k (Sec. 3.4, Eq. 4): ``C * (256*d + 3*3*d*d + d*256)``, which gives its Table 2.
"""

from __future__ import annotations

import math

from .validation import MAX_COUNT, MAX_SIZE, check_positive_int

__all__ = ["BLOCK_EXPANSION", "grouped_width", "stage_widths", "template_params", "template_macs",
    "complexity_preserving_width", "complexity_table"]

BLOCK_EXPANSION = 4
"""Output channels of a bottleneck block are ``planes * 4`` (ResNet and ResNeXt alike)."""

RESNET_TEMPLATE = (1, 64)
"""(cardinality, bottleneck_width) of the ResNet-50 stage-1 bottleneck, the paper's reference template."""


def grouped_width(planes: int, bottleneck_width: int, cardinality: int) -> int:
    """Channels of the grouped 3x3 convolution in a bottleneck: ``int(planes * bottleneck_width / 64) * cardinality``.

    This is torchvision's rule (``width = int(planes * (base_width / 64.0)) * groups``); with ``planes=64`` it is
    simply ``cardinality * bottleneck_width`` (e.g. 32 * 4 = 128 for ResNeXt-50 32x4d). Each of the
    ``cardinality`` groups has ``width // cardinality`` channels. It is computed in integers,
    ``planes * bottleneck_width // 64``, which equals torchvision's float expression.
    """
    planes = check_positive_int("planes", planes)
    bottleneck_width = check_positive_int("bottleneck_width", bottleneck_width)
    cardinality = check_positive_int("cardinality", cardinality)
    per_path = planes * bottleneck_width // 64
    if per_path < 1:
        raise ValueError(
            f"bottleneck_width={bottleneck_width} with planes={planes} gives int({planes} * {bottleneck_width} / 64) = 0 "
            "channels per path; each path needs at least 1"
        )
    return per_path * cardinality


def stage_widths(cardinality: int, bottleneck_width: int, num_stages: int = 4,
                 base_planes: int = 64) -> list[dict[str, int]]:
    """The width rule stage by stage: for each stage, ``planes`` (``base_planes * 2**i``: 64, 128, 256, 512 in the
    ImageNet models), the grouped 3x3's width ``grouped_width(planes, bottleneck_width, cardinality)``, its
    channels per group (``int(planes * bottleneck_width / 64)``) and the block's output channels (``planes * 4``).

    ``stage_widths(32, 4)`` is ResNeXt-50 32x4d (grouped widths 128, 256, 512, 1024), ``stage_widths(1, 64)``
    ResNet-50 (64, 128, 256, 512: one group as wide as ``planes``); ResNeXt-50 and -101 share their widths.
    """
    cardinality = check_positive_int("cardinality", cardinality)
    bottleneck_width = check_positive_int("bottleneck_width", bottleneck_width)
    num_stages = check_positive_int("num_stages", num_stages, MAX_COUNT)
    base_planes = check_positive_int("base_planes", base_planes, MAX_SIZE)
    rows = []
    for i in range(num_stages):
        planes = base_planes * 2**i
        width = grouped_width(planes, bottleneck_width, cardinality)
        rows.append({"planes": planes, "grouped_width": width, "per_group": width // cardinality,
                     "out_channels": planes * BLOCK_EXPANSION})
    return rows


def template_params(cardinality: int, bottleneck_width: int, channels: int = 256) -> int:
    """Parameters of the paper's stage-1 block template (Eq. 4, biases and BN excluded):
    ``C * (channels*d + 3*3*d*d + d*channels)`` for C paths of width d (1x1 in, 3x3, 1x1 out)."""
    c = check_positive_int("cardinality", cardinality)
    d = check_positive_int("bottleneck_width", bottleneck_width)
    channels = check_positive_int("channels", channels)
    return c * (channels * d + 9 * d * d + d * channels)


def template_macs(cardinality: int, bottleneck_width: int, channels: int = 256, spatial: int = 56) -> int:
    """Multiply-adds of the stage-1 template on a ``spatial x spatial`` map (56x56 in ResNeXt-50's conv2 stage)."""
    spatial = check_positive_int("spatial", spatial)
    return template_params(cardinality, bottleneck_width, channels) * spatial * spatial


def complexity_preserving_width(
    cardinality: int,
    budget: int | None = None,
    channels: int = 256,
) -> int:
    """Solve the paper's Eq. (4) for the bottleneck width d that keeps the template at ``budget`` parameters.

    ``C * (2*channels*d + 9*d*d) = budget`` is a quadratic in d; of the two integers around its positive root,
    the one whose template is closer to the budget is returned. This reproduces Table 2 of the paper:
    C = 1, 2, 4, 8, 32 -> d = 64, 40, 24, 14, 4.
    The default budget is the ResNet-50 template, ``template_params(1, 64)`` = 69,632 ("~70k").
    """
    c = check_positive_int("cardinality", cardinality)
    channels = check_positive_int("channels", channels)
    if budget is None:
        budget = template_params(*RESNET_TEMPLATE, channels=channels)
    budget = check_positive_int("budget", budget)
    smallest = template_params(c, 1, channels)
    if budget < smallest:
        raise ValueError(
            f"budget={budget} is too small for cardinality={c} and channels={channels}: even d=1 needs "
            f"{smallest:,} parameters"
        )
    # 9*C*d^2 + 2*channels*C*d - budget = 0; the floor of its positive root in integers,
    # floor((isqrt(D) - b) / 2a) = floor((sqrt(D) - b) / 2a)
    a, b = 9 * c, 2 * channels * c
    floor_root = (math.isqrt(b * b + 4 * a * budget) - b) // (2 * a)
    candidates = [d for d in (floor_root, floor_root + 1) if d >= 1]
    return min(candidates, key=lambda d: (abs(template_params(c, d, channels) - budget), d))


def complexity_table(cardinalities: tuple[int, ...] = (1, 2, 4, 8, 32), channels: int = 256) -> list[dict[str, int]]:
    """Rows of the paper's Table 2: for each C, the width d, the grouped width C*d and the template's parameters."""
    if not isinstance(cardinalities, (tuple, list, range)):
        raise TypeError(f"cardinalities must be a tuple of positive integers, not {type(cardinalities).__name__}")
    if len(cardinalities) > MAX_COUNT:
        raise ValueError(f"cardinalities holds {len(cardinalities):,} values; at most {MAX_COUNT:,}")
    rows = []
    for i, c in enumerate(cardinalities):
        c = check_positive_int(f"cardinalities[{i}]", c)
        d = complexity_preserving_width(c, channels=channels)
        rows.append(
            {
                "cardinality": c,
                "bottleneck_width": d,
                "grouped_width": c * d,
                "template_params": template_params(c, d, channels),
            }
        )
    return rows
