"""Chapter 4's explorer: cardinality C and bottleneck width d -> parameters and multiply-adds of one block.

The block is the stage-1 bottleneck of the paper's Fig. 3, ``ResNeXtBottleneck(256, 64, C, d)``: 256 channels in
and out, identity shortcut, on a 56x56 map. Every number comes from ``counting`` (the tests compare each position
with a real block's ``numel()`` and ``FlopCounterMode``).
"""

from __future__ import annotations

import functools
from html import escape
from typing import Any

from ...counting import conv2d_macs, conv2d_params
from ...design import RESNET_TEMPLATE, grouped_width
from ..svg import bar_svg
from .core import Control, Explorer, value_span

__all__ = ["BLOCK_EXPLORER"]

CHANNELS = 256  # block input and output channels (stage 1 of ResNeXt-50)
PLANES = 64  # stage 1: out = 4 * planes = 256
SPATIAL = 56  # the stage-1 map of a 224x224 image
CARDINALITIES = (1, 2, 4, 8, 16, 32, 64)
BOTTLENECK_WIDTHS = (1, 2, 4, 8, 14, 24, 40, 64)
_LAYERS = ("conv1", "conv2", "conv3")
_DRAWN_WIDTH = 256  # bars are drawn for blocks with C x d <= 256 (every ResNeXt of the paper), on one scale


def block_counts(cardinality: int, bottleneck_width: int) -> dict[str, Any]:
    """Per-layer parameters and multiply-adds of ``ResNeXtBottleneck(256, 64, cardinality, bottleneck_width)``
    at 56x56 (batch 1); ``bn_params`` are the three BatchNorms' weights and biases."""
    w = grouped_width(PLANES, bottleneck_width, cardinality)
    shapes = {  # (in, out, kernel, groups) of each convolution
        "conv1": (CHANNELS, w, 1, 1),
        "conv2": (w, w, 3, cardinality),
        "conv3": (w, CHANNELS, 1, 1),
    }
    values: dict[str, Any] = {"width": w, "path_width": w // cardinality}
    for name, (c_in, c_out, k, g) in shapes.items():
        values[f"{name}_params"] = conv2d_params(c_in, c_out, k, groups=g)
        values[f"{name}_macs"] = conv2d_macs(c_in, c_out, k, SPATIAL, groups=g)
    values["bn_params"] = 2 * (w + w + CHANNELS)
    values["total_params"] = sum(values[f"{n}_params"] for n in _LAYERS) + values["bn_params"]
    values["total_macs"] = sum(values[f"{n}_macs"] for n in _LAYERS)
    resnet_macs = sum(
        conv2d_macs(c_in, c_out, k, SPATIAL, groups=g)
        for c_in, c_out, k, g in _resnet_shapes()
    )
    values["vs_resnet"] = values["total_macs"] / resnet_macs
    return values


def _resnet_shapes() -> list[tuple[int, int, int, int]]:
    c, d = RESNET_TEMPLATE
    w = grouped_width(PLANES, d, c)
    return [(CHANNELS, w, 1, 1), (w, w, 3, c), (w, CHANNELS, 1, 1)]


FORMATS = {"vs_resnet": ".2f"}


def _fmt(key: str, value: Any) -> str:
    return BLOCK_EXPLORER.format(key, value)


@functools.cache
def bar_scale() -> int:
    """The largest layer count over the drawn positions: the bars' one scale, so doubling C doubles what is drawn.
    (Over all positions the range would be 9 to 2.4 million: the paper's blocks would be drawn a few pixels long.)"""
    return max(block_counts(cardinality=c, bottleneck_width=d)[f"{name}_params"]
               for c in CARDINALITIES for d in BOTTLENECK_WIDTHS for name in _LAYERS if c * d <= _DRAWN_WIDTH)


def render(settings: dict[str, Any], values: dict[str, Any]) -> str:
    c, d = settings["cardinality"], settings["bottleneck_width"]
    w = values["width"]
    shapes = {
        "conv1": f"{w}x{CHANNELS}x1x1",
        "conv2": f"{w}x{w // c}x3x3, groups={c}",
        "conv3": f"{CHANNELS}x{w}x1x1",
    }
    cell = 'style="text-align:right; padding:1px 0 1px 14px; font-variant-numeric: tabular-nums"'
    rows = []
    for name in _LAYERS:
        rows.append(
            f"<tr><td>{name}</td><td style=\"padding-left:10px\">{escape(shapes[name])}</td>"
            f"<td {cell}>{value_span(name + '_params', _fmt(name + '_params', values[name + '_params']))}</td>"
            f"<td {cell}>{value_span(name + '_macs', _fmt(name + '_macs', values[name + '_macs']))}</td></tr>"
        )
    rows.append(
        f"<tr><td>bn1-3</td><td style=\"padding-left:10px\">BatchNorm</td>"
        f"<td {cell}>{value_span('bn_params', _fmt('bn_params', values['bn_params']))}</td><td {cell}>0</td></tr>"
    )
    rows.append(
        f'<tr style="font-weight:bold; border-top:1px solid #999"><td>total</td><td></td>'
        f"<td {cell}>{value_span('total_params', _fmt('total_params', values['total_params']))}</td>"
        f"<td {cell}>{value_span('total_macs', _fmt('total_macs', values['total_macs']))}</td></tr>"
    )
    table = (
        '<table style="border-collapse:collapse; margin:0 0 6px 0"><tr><th style="text-align:left">layer</th>'
        '<th style="text-align:left; padding-left:10px">weight shape</th><th style="padding-left:14px">parameters</th>'
        '<th style="padding-left:14px">multiply-adds</th></tr>' + "".join(rows) + "</table>"
    )
    summary = (
        f"<p style=\"margin:2px 0\">Grouped width C x d = {value_span('width', _fmt('width', w))} channels; "
        f"each of the {escape(str(c))} groups has {value_span('path_width', _fmt('path_width', values['path_width']))}. "
        f"Multiply-adds: {value_span('vs_resnet', _fmt('vs_resnet', values['vs_resnet']))} times "
        "the ResNet block's (1x64d).</p>"
    )
    if w > _DRAWN_WIDTH:
        bars = (f"<p style=\"margin:2px 0; font-style:italic\">No bars: a grouped width of {w} channels is beyond the "
                f"drawing's scale (C x d up to {_DRAWN_WIDTH}, every block of the paper).</p>")
    else:
        bars = bar_svg(
            {name: values[f"{name}_params"] for name in _LAYERS},
            f"Convolution parameters of the {c}x{d}d block: conv1 {values['conv1_params']}, "
            f"conv2 {values['conv2_params']}, conv3 {values['conv3_params']}",
            width=360,
            scale_max=bar_scale(),
        )
    return table + summary + bars


BLOCK_EXPLORER = Explorer(
    name="block-layer-counts",
    title=f"One bottleneck block ({CHANNELS} channels in and out, {SPATIAL}x{SPATIAL} map): where the "
    "parameters and multiply-adds are",
    controls=(
        Control("cardinality", "cardinality C", CARDINALITIES, 32),
        Control("bottleneck_width", "bottleneck width d", BOTTLENECK_WIDTHS, 4),
    ),
    compute=block_counts,
    render=render,
    formats=FORMATS,
)
