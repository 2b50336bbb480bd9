"""Chapter 2's explorer: slide ``groups`` over its legal values for the running example, a 64 -> 128 3x3 layer.

Every number comes from ``resnext_teach`` (``conv2d_params``, ``conv2d_macs``); the picture is the layer's
``connectivity_mask``. ``legal_groups`` lists the values of ``groups`` that ``nn.Conv2d`` accepts.
"""

from __future__ import annotations

from typing import Any

from ...counting import conv2d_macs, conv2d_params, legal_groups
from ...grouped_conv import connectivity_mask
from ..svg import connectivity_svg
from .core import Control, Explorer, value_table

__all__ = ["GROUPED_EXPLORER"]

IN_CHANNELS, OUT_CHANNELS, KERNEL_SIZE = 64, 128, 3
"""The running example of Chapter 2: a 3x3 convolution from 64 to 128 channels (no bias, as in ResNeXt)."""

OUTPUT_SIZE = 56
"""Spatial size of the layer's output for the MAC count: 56 x 56, the first stage of an ImageNet ResNeXt."""


def grouped_layer_numbers(groups: int) -> dict[str, Any]:
    """The numbers the explorer shows for ``nn.Conv2d(64, 128, 3, groups=groups, bias=False)``."""
    params = conv2d_params(IN_CHANNELS, OUT_CHANNELS, KERNEL_SIZE, groups=groups)
    dense = conv2d_params(IN_CHANNELS, OUT_CHANNELS, KERNEL_SIZE)
    return {
        "params": params,
        "reduction": dense / params,  # how many times fewer weights than groups=1
        "saved": 100 * (1 - params / dense),  # percent of the weights of groups=1 saved
        "in_per_group": IN_CHANNELS // groups,
        "out_per_group": OUT_CHANNELS // groups,
        "weights_per_group": params // groups,
        "macs": conv2d_macs(IN_CHANNELS, OUT_CHANNELS, KERNEL_SIZE, OUTPUT_SIZE, groups=groups),
    }


FORMATS = {"reduction": ".0f", "saved": ".1f"}


def _render(settings: dict[str, Any], values: dict[str, Any]) -> str:
    g = settings["groups"]
    f = GROUPED_EXPLORER.format
    rows = [
        ("weights (parameters, no bias)", "params", f("params", values["params"])),
        ("times fewer weights than groups=1", "reduction", f("reduction", values["reduction"])),
        ("weights saved (%)", "saved", f("saved", values["saved"])),
        ("input channels per group", "in_per_group", f("in_per_group", values["in_per_group"])),
        ("output channels per group", "out_per_group", f("out_per_group", values["out_per_group"])),
        ("weights per group", "weights_per_group", f("weights_per_group", values["weights_per_group"])),
        (f"multiply-adds ({OUTPUT_SIZE}x{OUTPUT_SIZE} output)", "macs", f("macs", values["macs"])),
    ]
    picture = connectivity_svg(
        connectivity_mask(IN_CHANNELS, OUT_CHANNELS, g),
        f"Connectivity of a {IN_CHANNELS} to {OUT_CHANNELS} channel convolution with groups={g}: "
        f"{g} coloured block(s) on the diagonal; each output channel (row) sees {values['in_per_group']} input "
        "channel(s) (columns).",
        size=180,
    )
    return (
        f'<div style="display:flex; flex-wrap:wrap; gap:18px; align-items:flex-start">'
        f"<div>{value_table(rows)}</div><div>{picture}</div></div>"
    )


GROUPED_EXPLORER = Explorer(
    name="grouped-groups",
    title=f"nn.Conv2d({IN_CHANNELS}, {OUT_CHANNELS}, {KERNEL_SIZE}, groups=G, bias=False): slide G",
    controls=(
        Control(
            "groups",
            "groups G",
            tuple(legal_groups(IN_CHANNELS, OUT_CHANNELS)),
            32,
        ),
    ),
    compute=grouped_layer_numbers,
    render=_render,
    formats=FORMATS,
)
