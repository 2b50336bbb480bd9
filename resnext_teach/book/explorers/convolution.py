"""Chapter 1's explorer and pictures: what a standard (dense) convolution costs, and who feeds whom.

* ``convolution_numbers`` - parameters and multiply-accumulates of ``nn.Conv2d(C_in, C_out, K)`` for one setting
* ``dense_layer_svg``     - the weight as a ``C_out x C_in`` grid of ``K x K`` kernels, drawn to scale, with the bias
* ``bipartite_svg``       - channels as nodes, one line per ``K x K`` kernel that joins an input to an output
* ``CONVOLUTION_EXPLORER`` - in/out channels, kernel size and bias -> weights, bias, parameters and MACs

Every number comes from ``resnext_teach.counting``; the tests compare each explorer position with a real
``nn.Conv2d`` and with PyTorch's ``FlopCounterMode``.
"""

from __future__ import annotations

from html import escape
from typing import Any

import torch

from ...counting import conv2d_macs, conv2d_params
from ...validation import MAX_SIZE, check_instance, check_positive_int
from ..svg import PALETTE, check_mask, svg_document
from .core import Control, Explorer, value_table

__all__ = ["CONVOLUTION_EXPLORER", "EXPLORER_OUTPUT_SIZE", "bipartite_svg"]

EXPLORER_OUTPUT_SIZE = 56
"""Output height and width (H = W) at which the explorer counts MACs: the size of the first residual stage of
ResNet/ResNeXt on a 224 x 224 image (Chapter 1 derives it). Padding ``K // 2`` keeps a 56 x 56 input at 56 x 56."""

MAX_BIPARTITE_CHANNELS = 16
"""``bipartite_svg`` draws one node per channel; beyond this many a side the lines become an unreadable blur."""


def convolution_numbers(
    in_channels: int, out_channels: int, kernel_size: int, bias: bool, output_size: int = EXPLORER_OUTPUT_SIZE
) -> dict[str, Any]:
    """What ``nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)`` stores and computes.

    ``weights``: C_out * C_in * K * K; ``bias``: C_out or 0; ``params``: their sum; ``macs_per_value``: C_in * K * K
    multiply-adds behind one output value; ``macs``: multiply-adds for an ``output_size x output_size`` output
    (bias additions are not multiply-adds and are not counted); ``bias_share``: bias / params.
    """
    weights = conv2d_params(in_channels, out_channels, kernel_size, bias=False)
    params = conv2d_params(in_channels, out_channels, kernel_size, bias=bias)
    return {
        "weights": weights,
        "bias": params - weights,
        "params": params,
        "macs_per_value": conv2d_macs(in_channels, out_channels, kernel_size, 1) // out_channels,
        "macs": conv2d_macs(in_channels, out_channels, kernel_size, output_size),
        "bias_share": (params - weights) / params,
    }


def dense_layer_svg(in_channels: int, out_channels: int, kernel_size: int, bias: bool, frame: int = 128) -> str:
    """The weight of a standard convolution drawn to scale (one pixel per channel) as a filled ``C_out x C_in``
    rectangle inside a dashed ``frame x frame`` square: every cell is a ``K x K`` kernel joining one input
    channel to one output channel, and every cell is present. One kernel is shown enlarged beside it; a thin strip
    is the bias (one number per output channel) when ``bias`` is True."""
    c_in = check_positive_int("in_channels", in_channels)
    c_out = check_positive_int("out_channels", out_channels)
    k = check_positive_int("kernel_size", kernel_size)
    frame = max(check_positive_int("frame", frame), c_in, c_out)
    left, top, below = 22, 4, 4 + frame + 14  # axis labels sit on the frame, so they never collide
    parts = [
        f'<rect x="{left}" y="{top}" width="{frame}" height="{frame}" fill="none" stroke="#bbb" stroke-dasharray="3 3"/>',
        f'<rect x="{left}" y="{top}" width="{c_in}" height="{c_out}" fill="{PALETTE[0]}" stroke="#333"/>',
        f'<text x="{left + frame / 2}" y="{below}" font-size="11" text-anchor="middle">C_in = {c_in}</text>',
        f'<text x="12" y="{top + frame / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + frame / 2})">C_out = {c_out}</text>',
    ]
    x = left + frame + 8
    if bias:
        parts.append(f'<rect x="{x}" y="{top}" width="4" height="{c_out}" fill="{PALETTE[1]}" stroke="#333"/>')
        parts.append(f'<text x="{x + 2}" y="{below}" font-size="11" text-anchor="middle">bias</text>')
    cell = min(10.0, 36.0 / k)
    gx, gy, side = x + 30, top + 16, k * cell
    parts.append(f'<text x="{gx + side / 2:.1f}" y="{top + 10}" font-size="11" text-anchor="middle">each cell:</text>')
    parts.append(f'<rect x="{gx}" y="{gy}" width="{side:.1f}" height="{side:.1f}" fill="{PALETTE[0]}" stroke="#333"/>')
    for i in range(1, k):  # the grid lines between the K x K weights of one kernel
        parts.append(f'<path d="M{gx + i * cell:.1f} {gy}v{side:.1f}M{gx} {gy + i * cell:.1f}h{side:.1f}" stroke="#fff"/>')
    parts.append(f'<text x="{gx + side / 2:.1f}" y="{gy + side + 14:.1f}" font-size="11" text-anchor="middle">'
                 f'{k}x{k} kernel</text>')
    description = f"Weight of a {c_in} to {c_out} convolution: all {c_out} by {c_in} {k}x{k} kernels" + (
        ", and a bias" if bias else ""
    )
    return svg_document("".join(parts), gx + 60, below + 6, description)


def bipartite_svg(mask: torch.Tensor, description: str, width: int = 260, height: int = 150) -> str:
    """Channels as nodes (inputs ``x0, x1, ...`` on top, outputs ``y0, y1, ...`` below) and one line from input
    ``c`` to output ``o`` wherever ``mask[o, c]`` is True (a ``connectivity_mask``): each line stands for the
    ``K x K`` kernel ``weight[o, c]``. Lines are coloured by their input channel."""
    check_mask(mask)
    check_instance("description", description, str, "str (the text alternative)")
    width, height = check_positive_int("width", width, MAX_SIZE), check_positive_int("height", height, MAX_SIZE)
    c_out, c_in = mask.shape
    if not (1 <= c_in <= MAX_BIPARTITE_CHANNELS and 1 <= c_out <= MAX_BIPARTITE_CHANNELS):
        raise ValueError(
            f"bipartite_svg draws 1 to {MAX_BIPARTITE_CHANNELS} channels a side; got in_channels={c_in}, "
            f"out_channels={c_out} (use connectivity_svg for larger layers)"
        )
    y_in, y_out, r = 26, height - 26, 9

    def xs(n: int) -> list[float]:
        step = (width - 2 * r - 8) / n
        return [r + 4 + step * (i + 0.5) for i in range(n)]

    x_in, x_out = xs(c_in), xs(c_out)
    parts = []
    for o in range(c_out):
        for c in range(c_in):
            if mask[o, c]:
                parts.append(f'<line x1="{x_in[c]:.1f}" y1="{y_in}" x2="{x_out[o]:.1f}" y2="{y_out}" '
                             f'stroke="{PALETTE[c % len(PALETTE)]}" stroke-width="1.5"/>')
    for names, xpos, ypos, label_y in (("x", x_in, y_in, y_in - 13), ("y", x_out, y_out, y_out + 22)):
        for i, xp in enumerate(xpos):
            parts.append(f'<circle cx="{xp:.1f}" cy="{ypos}" r="{r}" fill="#fff" stroke="#333"/>'
                         f'<text x="{xp:.1f}" y="{label_y}" font-size="11" text-anchor="middle">{names}{i}</text>')
    return svg_document("".join(parts), width, height, description)


def _render(settings: dict[str, Any], values: dict[str, Any]) -> str:
    c_in, c_out, k, bias = (settings[n] for n in ("in_channels", "out_channels", "kernel_size", "bias"))
    fmt = CONVOLUTION_EXPLORER.format
    hw = f"{EXPLORER_OUTPUT_SIZE}x{EXPLORER_OUTPUT_SIZE}"
    table = value_table([
        ("weights (C_out·C_in·K·K)", "weights", fmt("weights", values["weights"])),
        ("bias (C_out, or 0)", "bias", fmt("bias", values["bias"])),
        ("parameters", "params", fmt("params", values["params"])),
        ("bias share of parameters", "bias_share", fmt("bias_share", values["bias_share"])),
        ("MACs per output value (C_in·K·K)", "macs_per_value", fmt("macs_per_value", values["macs_per_value"])),
        (f"MACs for a {hw} output", "macs", fmt("macs", values["macs"])),
    ])
    shapes = (
        f"<code>nn.Conv2d({c_in}, {c_out}, {k}, padding={k // 2}, bias={bias})</code><br>"
        f"weight shape <code>{escape(str((c_out, c_in, k, k)))}</code>, "
        f"bias shape <code>{escape(str((c_out,)) if bias else 'None')}</code><br>"
        f"<small>padding K//2 keeps a {hw} input at {hw}; bias additions are not MACs</small>"
    )
    picture = dense_layer_svg(c_in, c_out, k, bias)
    return (
        f'<div style="display:flex; flex-wrap:wrap; gap:16px; align-items:flex-start">'
        f"<div>{table}<p style='margin:6px 0 0 0'>{shapes}</p></div><div>{picture}</div></div>"
    )


CONVOLUTION_EXPLORER = Explorer(
    name="convolution-cost",
    title="A standard convolution: parameters and multiply-accumulates",
    controls=(
        Control("in_channels", "in_channels C_in", (16, 32, 64, 128), 64),
        Control("out_channels", "out_channels C_out", (16, 32, 64, 128), 128),
        Control("kernel_size", "kernel_size K", (1, 3, 5), 3),
        Control("bias", "bias", (False, True), False, kind="toggle", option_labels=("bias=False", "bias=True")),
    ),
    compute=convolution_numbers,
    render=_render,
    formats={"bias_share": ".2%"},
)
"""96 positions (4 x 4 x 3 x 2); the default is the book's running example, 64 -> 128 channels, 3x3, no bias."""
