"""Chapter 4's data-flow explorer: one block in the paper's three forms (Fig. 3), tensor by tensor.

For ``ResNeXtBottleneck(256, 64, C, d)`` (stage 1, identity shortcut) the pane shows forms (a) aggregated,
(b) concatenated and (c) grouped side by side: the layers in order with the shape of the tensor(s) after each,
the parameters and multiply-adds per layer, a diagram whose box widths are proportional to channel counts, and
whether the three give the same output. Every number is measured on real modules by ``dataflow_forms``; this
module draws them (``_diagram``: the tensors as SVG boxes on one scale; ``render``: the pane).
"""

from __future__ import annotations

from typing import Any

from ...blocks import FORM_TOLERANCE
from ..svg import PALETTE, svg_document
from .core import Control, Explorer, value_span
from .dataflow_forms import (
    BOTTLENECK_WIDTHS,
    CARDINALITIES,
    CHANNELS,
    CONVS,
    DRAWN_CHANNELS,
    FORM_KEYS,
    PLANES,
    SHAPE_KEYS,
    SPATIAL,
    channel_scale,
    dataflow_numbers,
)

__all__ = ["DATAFLOW_EXPLORER"]

FORMATS = {**{key: "" for key in SHAPE_KEYS}, "a_vs_c": ".1e", "b_vs_c": ".1e"}  # "" prints a shape as a tuple


def _widest(values: dict[str, Any]) -> int:
    """The most channels of any one tensor the diagram would draw."""
    return max(shape[1] for key, shape in values.items() if key.endswith("_shape"))


# --- drawing ------------------------------------------------------------------------------------------------

SVG_WIDTH = 214
_FULL = 170.0  # pixels of the widest drawn tensor (channel_scale() channels)
_GAP_BUDGET = 31.0  # pixels between separate tensors, at most
BOX_H, PITCH, LEFT = 12, 26, 4
GREY, BLUE, LIGHT, ORANGE = PALETTE[-1], PALETTE[0], "#9DB5D8", PALETTE[1]


def _px(channels: int) -> str:
    """The width drawn for ``channels``, to 0.001 px, without trailing zeros (the page holds every position)."""
    return _num(channels * _FULL / channel_scale())


def _num(x: float) -> str:
    return f"{x:.3f}".rstrip("0").rstrip(".")


def _tensor(y: int, channels: int, fill: str = GREY) -> str:
    """One tensor as one box (the explorers' one-scale test reads ``data-rxt-value``)."""
    return (f'<rect x="{LEFT}" y="{y}" width="{_px(channels)}" height="{BOX_H}" fill="{fill}" '
            f'data-rxt-value="{channels}"/>')


def _dashes(y: int, x: float, length: float, channels: int, gap: float, colour: str) -> str:
    """Boxes of ``channels`` each, ``gap`` pixels apart, as the dashes of one stroke (``data-rxt-channels`` is
    the channels of one dash)."""
    return (f'<path d="M{_num(x)} {y + BOX_H // 2}h{_num(length)}" stroke="{colour}" stroke-width="{BOX_H}" '
            f'stroke-dasharray="{_px(channels)} {_num(gap)}" data-rxt-channels="{channels}"/>')


def _separate(y: int, count: int, channels: int, gap: float) -> str:
    """``count`` separate tensors of ``channels`` each, ``gap`` pixels apart."""
    if count == 1:
        return _tensor(y, channels, BLUE)
    w = float(_px(channels))
    return _dashes(y, LEFT, count * w + (count - 1) * gap, channels, gap, BLUE)


def _grouped(y: int, count: int, channels: int) -> str:
    """One tensor of ``count`` groups of ``channels``: one box, every other group shaded lighter."""
    if count == 1:
        return _tensor(y, channels, BLUE)
    w = float(_px(channels))
    return _tensor(y, count * channels, BLUE) + _dashes(y, LEFT + w, (count - 1) * w, channels, w, LIGHT)


def _deck(y: int, count: int, channels: int) -> str:
    """``count`` separate tensors of ``channels`` each, stacked like cards (up to three drawn behind the first)."""
    cards = "".join(f'<rect x="{LEFT + 3 * i}" y="{y + 3 * i}" width="{_px(channels)}" height="{BOX_H}" '
                    f'fill="{ORANGE}" stroke="#fff"/>' for i in range(min(count - 1, 3), 0, -1))
    return cards + _tensor(y, channels, ORANGE if count > 1 else BLUE)


def _diagram(letter: str, values: dict[str, Any], c: int, d: int) -> str:
    """The form's tensors from input to output, one row each, widths proportional to channels."""
    v = {k[2:]: val for k, val in values.items() if k.startswith(f"{letter}_")}
    n1, n3 = v["conv1_n"], v["conv3_n"]
    ch1, ch3 = v["conv1_shape"][1], v["conv3_shape"][1]
    gap = 0.0 if n1 == 1 else min(6.0, _GAP_BUDGET / (n1 - 1))
    deck = 9 if letter == "a" and n3 > 1 else 0  # room below the stacked cards of form (a)
    y = [13 + i * PITCH + (deck if i == 4 else 0) for i in range(5)]  # the boxes of row i; its label just above
    rows = [("input", _tensor(y[0], values["input_shape"][1]))]
    if letter == "c":  # one tensor of C x d channels; the grouped 3x3 keeps each group apart from the others
        rows += [("1×1 conv", _grouped(y[1], c, ch1 // c)),
                 ("3×3 conv, groups", _grouped(y[2], c, v["conv2_shape"][1] // c)),
                 ("1×1 conv, + input", _tensor(y[3], ch3))]
        what = f"one tensor of {ch1} channels in {c} groups of {ch1 // c}"
    else:
        rows += [("1×1 conv, each path", _separate(y[1], n1, ch1, gap)),
                 ("3×3 conv, each path", _separate(y[2], n1, v["conv2_shape"][1], gap))]
        if letter == "a":
            rows += [("1×1 conv, each path", _deck(y[3], n3, ch3)),
                     ("sum, BN, + input", _tensor(y[4], v["sum_shape"][1]))]
            what = f"{n1} paths of {ch1} channels; {n3} outputs of {ch3}, summed"
        else:
            cat = v["cat_shape"][1]
            rows += [("concatenate", _grouped(y[3], n1, cat // n1)), ("1×1 conv, + input", _tensor(y[4], ch3))]
            what = f"{n1} paths of {ch1} channels, concatenated into {cat}"
    labels = "".join(f'<text x="{LEFT}" y="{y[i] - 3}">{label}</text>' for i, (label, _) in enumerate(rows))
    body = f'<g font-size="10">{labels}</g>' + "".join(shapes for _, shapes in rows)
    description = f"Form ({letter}), {c}x{d}d: {CHANNELS} channels in; {what}; {v['out_shape'][1]} out."
    return svg_document(body, SVG_WIDTH, y[len(rows) - 1] + BOX_H + 1, description)


# --- the pane -----------------------------------------------------------------------------------------------

def _fmt(key: str, value: Any) -> str:
    return DATAFLOW_EXPLORER.format(key, value)


def _span(values: dict[str, Any], key: str) -> str:
    return value_span(key, _fmt(key, values[key]))


_MUTED = 'style="color:#555; font-size:0.92em; padding-left:1em"'


def _steps(letter: str, values: dict[str, Any], cardinality: int) -> str:
    """The layers in order, each with the tensor(s) it produces (``(1, 4, 56, 56) each``: one per module) and,
    for a convolution layer, the parameters and multiply-adds of all its modules together."""
    f = letter

    def conv(name: str, text: str) -> tuple[str, str, str]:
        n = values[f"{f}_{name}_n"]
        return (f"{_span(values, f'{f}_{name}_n')} × {text}",
                _span(values, f"{f}_{name}_shape") + (" each" if n > 1 else ""),
                f"{_span(values, f'{f}_{name}_params')} parameters, {_span(values, f'{f}_{name}_macs')} multiply-adds")

    steps = [("input", _span(values, "input_shape"), ""), conv("conv1", "conv1 1×1, BN, ReLU"),
             conv("conv2", f"conv2 3×3{f', groups={cardinality}' if f == 'c' else ''}, BN, ReLU")]
    if f == "b":
        steps.append(("concatenate", _span(values, "b_cat_shape"), ""))
    steps.append(conv("conv3", "conv3 1×1" + (", bn3" if f != "a" else "")))
    if f == "a":
        steps.append(("sum, bn3", _span(values, "a_sum_shape"), ""))
    steps.append(("+ input, ReLU", _span(values, f"{f}_out_shape"), ""))
    lines = "".join(f'<div>{op} → <b style="white-space:nowrap">{shape}</b></div>'
                    + (f"<div {_MUTED}>{counts}</div>" if counts else "") for op, shape, counts in steps)
    return lines + f"<div {_MUTED}>BatchNorm, all layers: {_span(values, f + '_bn_params')} parameters</div>"


_HEADINGS = {"a": ("(a) aggregated", "C paths of 1×1, 3×3, 1×1; summed"),
            "b": ("(b) concatenated", "C paths of 1×1, 3×3; concatenated"),
            "c": ("(c) grouped", "1×1, grouped 3×3, 1×1")}
_COUNTED = (*(f"{name}_{what}" for name in CONVS for what in ("params", "macs")), "bn_params", "params", "macs")


def _nowrap(html: str) -> str:
    return f'<span style="white-space:nowrap">{html}</span>'


def _totals(values: dict[str, Any]) -> str:
    """One row per form: convolution modules (they differ), parameters and multiply-adds (they do not)."""
    # Padding on every cell, not border-spacing: notebook themes collapse a table's borders (classic Jupyter,
    # Colab), which drops border-spacing and ran the headers together.
    pad, left = "padding:1px 8px", "padding:1px 8px 1px 0; text-align:left"
    rows = "".join(f'<tr><td style="{left}">({f})</td><td style="{pad}">{_span(values, f + "_convs")}</td>'
                   f'<td style="{pad}">{_span(values, f + "_params")}</td>'
                   f'<td style="{pad}">{_span(values, f + "_macs")}</td></tr>' for f in FORM_KEYS)
    return ('<table style="margin:6px 0 0 0; text-align:right; font-size:0.87em; font-variant-numeric:tabular-nums">'
            f'<tr><th style="{left}">form</th><th style="{pad}">convolution modules</th><th style="{pad}">parameters'
            f'</th><th style="{pad}">multiply-adds</th></tr>{rows}</table>')


def render(settings: dict[str, Any], values: dict[str, Any]) -> str:
    c, d = settings["cardinality"], settings["bottleneck_width"]
    drawn = _widest(values) <= DRAWN_CHANNELS
    columns = "".join(
        f'<div style="flex:1 1 200px; min-width:0"><b>{_HEADINGS[f][0]}</b>'
        f'<div style="color:#555">{_HEADINGS[f][1]}</div>'
        f"{_diagram(f, values, c, d) if drawn else ''}{_steps(f, values, c)}</div>"
        for f in FORM_KEYS
    )
    same = all(values[f"a_{k}"] == values[f"b_{k}"] == values[f"c_{k}"] for k in _COUNTED)
    totals = ("Parameters and multiply-adds are <b>the same in the three forms</b>, layer by layer; only the number "
              "of convolution modules differs." if same else
              "<b>The forms' parameters or multiply-adds differ</b>: they are not the same block.")
    atol, rtol = FORM_TOLERANCE["atol"], FORM_TOLERANCE["rtol"]
    diffs = {f: _nowrap(f"max |({f}) − (c)| = <b>{_span(values, f + '_vs_c')}</b>") for f in ("a", "b")}
    check = (f"<b>Same output?</b> One set of weights (form (c) built with a fixed seed, copied into (a) and (b) by "
             f"<code>convert_block</code>), one random input of shape {_nowrap(_span(values, 'check_shape'))} (an 8×8 "
             f"map: it runs in milliseconds): {diffs['a']}, {diffs['b']}; output numbers outside "
             f"<code>FORM_TOLERANCE</code> (atol {atol:g}, rtol {rtol:g}): <b>{_span(values, 'outside')}</b> of "
             f"{_span(values, 'outputs')}.")
    note = ("" if drawn else
            '<p style="margin:2px 0; font-style:italic">No diagrams here: the C × d channels in the middle of this '
            f"block are wider than the drawing's scale (up to {DRAWN_CHANNELS} channels, the block's input).</p>")
    return (
        f'<p style="margin:0 0 4px"><code>ResNeXtBottleneck({CHANNELS}, {PLANES}, cardinality={c}, '
        f"bottleneck_width={d})</code> on a {SPATIAL}×{SPATIAL} map in the paper's three forms (Fig. 3). Boxes: one "
        "per tensor, as wide as its channels (one scale for every setting); a gap separates two tensors, shading "
        "marks the groups within one.</p>"
        f'{note}<div style="display:flex; flex-wrap:wrap; gap:10px 14px; font-size:0.87em">{columns}</div>'
        f'{_totals(values)}<p style="margin:4px 0 2px">{totals}</p><p style="margin:2px 0">{check}</p>'
    )


DATAFLOW_EXPLORER = Explorer(
    name="block-dataflow",
    title=f"One block in three forms ({CHANNELS} channels in and out, {SPATIAL}×{SPATIAL} map): the tensors, "
    "the counts and the output",
    controls=(
        Control("cardinality", "cardinality C", CARDINALITIES, 32),
        Control("bottleneck_width", "bottleneck width d", BOTTLENECK_WIDTHS, 4),
    ),
    compute=dataflow_numbers,
    render=render,
    formats=FORMATS,
)
