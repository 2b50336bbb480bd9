"""Chapter 3's explorer: raise the cardinality C of the stage-1 block template and see where the budget goes.

For each C the explorer shows two designs of the ResNeXt-50 conv2-stage template (256 channels in and out,
a 56x56 map):

* complexity-preserving (the paper's Sec. 3.4, Eq. 4, Table 2): d is solved so that
  ``C * (256*d + 3*3*d*d + d*256)`` stays near ResNet's 69,632 parameters, and the grouped layer gets *wider*;
* naive: keep ResNet's 64 channels and only split them into C groups (d = 64 / C), which just shrinks the block.

Every number comes from ``resnext_teach.design``; the tests compare them with real ``ResNeXtBottleneck`` blocks.
"""

from __future__ import annotations

import functools

from typing import Any

from ...counting import conv2d_params
from ...design import RESNET_TEMPLATE, complexity_preserving_width, grouped_width, template_macs, template_params
from ..svg import PALETTE, bar_svg, svg_document
from ...validation import check_divides, check_positive_int
from .core import Control, Explorer, value_table

__all__ = ["CARDINALITY_EXPLORER", "cardinality_values"]

CARDINALITIES = (1, 2, 4, 8, 16, 32, 64)
"""The slider's values: Table 2's 1, 2, 4, 8, 32, plus 16 and 64, which the paper's table skips."""

PLANES = 64  # stage-1 (the paper's conv2) planes: the grouped width is int(64 * d / 64) * C = C * d
CHANNELS = 256  # the template's input and output channels
SPATIAL = 56  # the conv2 stage's 56x56 map, where the paper counts the template's FLOPs (Table 2 caption)
_NAIVE_WIDTH = RESNET_TEMPLATE[0] * RESNET_TEMPLATE[1]  # 64 channels: ResNet's grouped width, kept by the naive design


def naive_bottleneck_width(cardinality: int) -> int:
    """d of the naive design, which keeps ResNet's 64 channels and splits them into ``cardinality`` groups."""
    cardinality = check_positive_int("cardinality", cardinality)
    check_divides("cardinality", cardinality, "the naive design's width", _NAIVE_WIDTH)
    return _NAIVE_WIDTH // cardinality


def cardinality_values(cardinality: int) -> dict[str, Any]:
    """The numbers of one explorer position (template at ``cardinality``, both designs)."""
    c = check_positive_int("cardinality", cardinality)
    budget = template_params(*RESNET_TEMPLATE, channels=CHANNELS)
    d = complexity_preserving_width(c, channels=CHANNELS)
    width = grouped_width(PLANES, d, c)  # = C * d in stage 1
    params = template_params(c, d, channels=CHANNELS)
    naive_d = naive_bottleneck_width(c)
    naive_params = template_params(c, naive_d, channels=CHANNELS)
    return {
        "bottleneck_width": d,
        "grouped_width": width,
        "template_params": params,
        "budget_share": params / budget,
        "template_macs": template_macs(c, d, channels=CHANNELS, spatial=SPATIAL),
        "conv3x3_params": conv2d_params(width, width, 3, groups=c),
        "conv3x3_share": conv2d_params(width, width, 3, groups=c) / params,
        "naive_bottleneck_width": naive_d,
        "naive_grouped_width": grouped_width(PLANES, naive_d, c),
        "naive_params": naive_params,
        "naive_budget_share": naive_params / budget,
        "naive_macs": template_macs(c, naive_d, channels=CHANNELS, spatial=SPATIAL),
    }


FORMATS = {"budget_share": ".1%", "conv3x3_share": ".1%", "naive_budget_share": ".1%"}


def _groups_strip_svg(cardinality: int, bottleneck_width: int, naive_width: int, scale: float = 2.2) -> str:
    """Two strips of channels, one box per group: the complexity-preserving grouped layer (C groups of d) above,
    the naive one (C groups of 64/C) below, drawn to the same scale (``scale`` pixels per channel)."""
    label_w, strip_h, gap, top = 110, 18, 30, 18
    rows = (
        (f"C x d = {cardinality} x {bottleneck_width}", bottleneck_width),
        (f"naive {cardinality} x {naive_width}", naive_width),
    )
    parts = [f'<text x="{label_w}" y="12" font-size="11">grouped 3x3 layer, one box per group (same scale)</text>']
    for r, (label, d) in enumerate(rows):
        y = top + r * gap
        total = cardinality * d * scale
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 13}" font-size="11" text-anchor="end">{label}</text>'
            f'<rect x="{label_w}" y="{y}" width="{total:.1f}" height="{strip_h}" fill="{PALETTE[0]}"/>'
        )
        # every other group in a second colour, drawn as one path so the picture stays small at C = 64
        odd = "".join(
            f"M{label_w + g * d * scale:.1f} {y}h{d * scale:.1f}v{strip_h}h-{d * scale:.1f}z"
            for g in range(1, cardinality, 2)
        )
        if odd:
            parts.append(f'<path d="{odd}" fill="{PALETTE[1]}"/>')
        parts.append(f'<text x="{label_w + total + 5:.1f}" y="{y + 13}" font-size="11">{cardinality * d} channels</text>')
    width = int(label_w + _NAIVE_WIDTH * 2 * scale + 80)
    description = (
        f"Grouped 3x3 layer at cardinality {cardinality}: {cardinality} groups of {bottleneck_width} channels "
        f"(complexity-preserving) versus {cardinality} groups of {naive_width} channels (naive)"
    )
    return svg_document("".join(parts), width, top + 2 * gap, description)


@functools.cache
def bar_scale() -> int:
    """The largest template count over every position: the bars' one scale."""
    resnet = template_params(*RESNET_TEMPLATE, channels=CHANNELS)
    return max([resnet] + [cardinality_values(cardinality=c)[key] for c in CARDINALITIES
                           for key in ("template_params", "naive_params")])


def _render(settings: dict[str, Any], values: dict[str, Any]) -> str:
    c = settings["cardinality"]
    fmt = CARDINALITY_EXPLORER.format

    def row(label: str, key: str) -> tuple[str, str, str]:
        return label, key, fmt(key, values[key])

    preserving = value_table(
        [
            row("bottleneck width d (Eq. 4 solved)", "bottleneck_width"),
            row("grouped 3x3 width C x d", "grouped_width"),
            row("template parameters", "template_params"),
            row("... as a share of ResNet's 1x64d", "budget_share"),
            row("template FLOPs (multiply-adds, 56x56)", "template_macs"),
            row("grouped 3x3 parameters", "conv3x3_params"),
            row("... as a share of the template", "conv3x3_share"),
        ]
    )
    naive = value_table(
        [
            row("bottleneck width d = 64 / C", "naive_bottleneck_width"),
            row("grouped 3x3 width", "naive_grouped_width"),
            row("template parameters", "naive_params"),
            row("... as a share of ResNet's 1x64d", "naive_budget_share"),
            row("template FLOPs (multiply-adds, 56x56)", "naive_macs"),
        ]
    )
    d, naive_d = values["bottleneck_width"], values["naive_bottleneck_width"]
    bars = bar_svg(  # one scale for every C: the naive template's parameters fall as C grows
        {
            "ResNet 1x64d": template_params(*RESNET_TEMPLATE, channels=CHANNELS),
            f"ResNeXt {c}x{d}d": values["template_params"],
            f"naive {c}x{naive_d}d": values["naive_params"],
        },
        f"Template parameters: ResNet 1x64d, complexity-preserving {c}x{d}d, naive {c}x{naive_d}d",
        width=360,
        scale_max=bar_scale(),
    )
    box = "display:inline-block; vertical-align:top; margin:0 24px 8px 0"
    return (
        f'<div style="{box}"><b>Complexity-preserving (the paper)</b>{preserving}</div>'
        f'<div style="{box}"><b>Naive: keep 64 channels, add groups</b>{naive}</div>'
        f"<div>{_groups_strip_svg(c, d, naive_d)}</div><div>{bars}</div>"
    )


CARDINALITY_EXPLORER = Explorer(
    name="cardinality-budget",
    title="Cardinality at a fixed budget: the stage-1 template (256 -> d -> d -> 256 channels, per path)",
    controls=(Control("cardinality", "cardinality C", CARDINALITIES, 32),),
    compute=cardinality_values,
    render=_render,
    formats=FORMATS,
)
