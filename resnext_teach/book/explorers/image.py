"""Chapter 2's mechanism explorer: one grouped 3x3 convolution applied to a real photo (the layer and its maps:
``image_maps``), drawn.

* ``_png_bytes``      - a tiny PNG writer (zlib only): each column of 8 pictures is one ``<img>`` of 1-3 KB
* ``pictures``       - the input maps, the filters and the output maps side by side, the followed channel's group lit
* ``IMAGE_EXPLORER`` - slide G and follow one output channel: its group's inputs, filters and outputs light up

The explorer's ``compute`` (``_image_numbers``) returns exactly the numbers a pane shows; the maps it draws are
``image_maps.output_maps(G)``, computed by the real layer (the tests decode every picture back to the tensors it
shows).

Every picture has one scale at every position: the 8 maps of a column are one image, 48 x 468 px (each 32 x 32
map drawn at 1.5x, one every ``_ROW_PX``); inputs on [-1, 1] (``INPUT_SCALE``), outputs on [-s, s] with
s = ``output_scale()``, weights on [-w, w] with w = ``WEIGHT_SCALE``, each weight a 5 x 5 px square.
"""

from __future__ import annotations

import base64
import struct
import zlib
from html import escape
from typing import Any

import torch
from torch import Tensor

from ...counting import conv2d_params
from ..svg import PALETTE, svg_document
from .core import Control, Explorer, value_span
from .image_maps import (
    CHANNELS,
    GROUPS,
    INPUT_CHANNELS,
    SIZE,
    group_of,
    grouped_weight,
    input_maps,
    output_maps,
    output_scale,
    photo,
)

__all__ = ["IMAGE_EXPLORER"]

INPUT_SCALE = 1.0
"""Input maps are drawn on [-1, 1]: black -1, mid grey 0, white +1 (each input was scaled to reach +-1)."""

WEIGHT_SCALE = 0.8
"""Weights are drawn on [-0.8, 0.8] (dark blue -0.8, white 0, dark red +0.8), so that the Gaussian weights (std 0.3)
show; the centre weights near 1 that join output k to input k are drawn at full red."""


# --- pictures: one PNG per column, one map (or filter) every _ROW_PX pixels -------------------------------------

_MAP_PX = 48  # a 32 x 32 map is drawn 48 x 48 px
_ROW_PX = 60  # one channel every 60 px, in every column
_MAP_PITCH = 40  # source pixels per row of a map column: 32 of map, 8 transparent (40 x 1.5 = 60 px)
_WEIGHT_PX = 5  # each weight is drawn 5 x 5 px
_FILTER_PITCH = _ROW_PX // _WEIGHT_PX  # source pixels per row of the filter column: 3 of weights, 9 transparent
_FILTER_TOP = 3  # the 3 weight rows sit at source rows 3..5 of their 12, level with the middle of the maps
_COLUMN_PX = _MAP_PITCH * CHANNELS - (_MAP_PITCH - SIZE)  # 312 source rows: drawn 468 px high
_FILTER_COLUMN_PX = _FILTER_PITCH * CHANNELS  # 96 source rows: drawn 480 px high
_FILTER_WIDTH = (CHANNELS * 4 - 1) * _WEIGHT_PX  # 155 px: 8 slots of 3 weights, 1 weight apart (slot i: input i)
_GREY_LEVELS = 15  # a map pixel is one of 15 greys (0 black .. 14 white); 4-bit grey 15 is transparent

WEIGHT_COLOURS = tuple(
    # index 0: no kernel (transparent); 1..15: -WEIGHT_SCALE .. +WEIGHT_SCALE in 7 steps each side, blue-white-red
    [(0, 0, 0)] + [(round(255 - (255 - 33) * t), round(255 - (255 - 102) * t), round(255 - (255 - 172) * t))
                   for t in (i / 7 for i in range(7, 0, -1))]
    + [(247, 247, 247)]
    + [(round(255 - (255 - 178) * t), round(255 - (255 - 24) * t), round(255 - (255 - 43) * t))
       for t in (i / 7 for i in range(1, 8))]
)
"""The filters' palette: 15 colours from dark blue (-WEIGHT_SCALE) through near-white (0) to dark red."""


def _png_bytes(rows: list[list[int]], bit_depth: int, colour_type: int, transparent: int,
              palette: tuple[tuple[int, int, int], ...] | None = None) -> bytes:
    """A PNG file of ``rows`` of pixel values (grey levels for ``colour_type`` 0, ``palette`` indices for 3); the
    value ``transparent`` is see-through. Filter type 0, zlib level 9: the same pixels always give the same bytes."""

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    def pack(row: list[int]) -> bytes:  # bit_depth 4: two pixels a byte
        row = row + [0] * (len(row) % 2)
        return bytes((a << 4) | b for a, b in zip(row[::2], row[1::2]))

    if bit_depth != 4:
        raise ValueError(f"bit_depth={bit_depth}: this writer packs 4-bit pixels only")
    head = chunk(b"IHDR", struct.pack(">IIBBBBB", len(rows[0]), len(rows), bit_depth, colour_type, 0, 0, 0))
    if palette is not None:
        head += chunk(b"PLTE", bytes(c for rgb in palette for c in rgb))
        head += chunk(b"tRNS", bytes(0 if i == transparent else 255 for i in range(transparent + 1)))
    else:
        head += chunk(b"tRNS", struct.pack(">H", transparent))
    data = zlib.compress(b"".join(b"\x00" + pack(row) for row in rows), 9)
    return b"\x89PNG\r\n\x1a\n" + head + chunk(b"IDAT", data) + chunk(b"IEND", b"")


def _grey_levels(values: Tensor, scale: float) -> Tensor:
    """The grey level (0 black .. 14 white) of each value on [-scale, scale]: 0 is level 7."""
    return ((values / scale).clamp(-1, 1) + 1).mul((_GREY_LEVELS - 1) / 2).round().to(torch.int64)


def _weight_levels(weights: Tensor) -> Tensor:
    """Palette indices 1..15 of weights on [-WEIGHT_SCALE, WEIGHT_SCALE] (index 8 is 0)."""
    return (weights / WEIGHT_SCALE).clamp(-1, 1).mul(7).round().to(torch.int64) + 8


def _map_column_png(maps: Tensor, scale: float) -> bytes:
    """8 maps ``(8, 32, 32)`` on [-scale, scale] one above the other, 8 transparent rows apart."""
    gap = [[_GREY_LEVELS] * SIZE] * (_MAP_PITCH - SIZE)
    rows: list[list[int]] = []
    for k, levels in enumerate(_grey_levels(maps, scale).tolist()):
        rows += levels + (gap if k < CHANNELS - 1 else [])
    return _png_bytes(rows, 4, 0, transparent=_GREY_LEVELS)


def _filter_column_png(groups: int) -> bytes:
    """The 8 filters, one row each: output k's kernel for input i in slot i; slots outside its group are empty."""
    n = CHANNELS // groups
    levels = _weight_levels(grouped_weight(groups))  # (8, n, 3, 3)
    rows = [[0] * (_FILTER_WIDTH // _WEIGHT_PX) for _ in range(_FILTER_COLUMN_PX)]
    for k in range(CHANNELS):
        first = group_of(k, groups) * n
        for j in range(n):
            for y in range(3):
                for x in range(3):
                    rows[k * _FILTER_PITCH + _FILTER_TOP + y][(first + j) * 4 + x] = int(levels[k, j, y, x])
    return _png_bytes(rows, 4, 3, transparent=0, palette=WEIGHT_COLOURS)


def img(png: bytes, width: int, height: int, alt: str, style: str) -> str:
    """An ``<img>`` holding ``png`` inline, drawn ``width`` x ``height`` px, with its text alternative."""
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    return f'<img src="{src}" width="{width}" height="{height}" alt="{escape(alt)}" style="{style}">'


def _slot_header_svg() -> str:
    """The input channel number above each slot of the filters."""
    text = "".join(f'<text x="{(4 * i + 1.5) * _WEIGHT_PX:g}" y="11">{i}</text>' for i in range(CHANNELS))
    return svg_document(f'<g font-size="11" text-anchor="middle" fill="currentColor">{text}</g>', _FILTER_WIDTH, 14,
                        "Input channel numbers 0 to 7, one above each slot of the filters")


# --- the explorer ---------------------------------------------------------------------------------------------


def _image_numbers(groups: int, channel: int) -> dict[str, Any]:
    """What the pane says at one position: the layer's weights and group size, which inputs output channel
    ``channel`` reads (its ``group``, input channels ``first_input`` .. ``last_input``) and the fixed scales."""
    n = CHANNELS // groups
    g = group_of(channel, groups)
    values: dict[str, Any] = {
        "groups": groups,
        "in_per_group": n,
        "params": conv2d_params(CHANNELS, CHANNELS, 3, groups=groups),
    }
    if groups > 1:  # with one group there is nothing to single out
        values.update(group=g, first_input=g * n, last_input=(g + 1) * n - 1, unseen=CHANNELS - n)
    if n == 1:  # one input per group: first_input is the only one
        del values["last_input"]
    values.update(output_scale=output_scale(), weight_scale=WEIGHT_SCALE)
    return values


FORMATS = {"output_scale": ".1f", "weight_scale": ".1f"}
LABEL_PX, GAP_PX = 88, 4
_X_IN = LABEL_PX + GAP_PX  # left edges of the input, filter and output columns
X_FILTER = _X_IN + _MAP_PX + GAP_PX
X_OUT = X_FILTER + _FILTER_WIDTH + GAP_PX
WIDTH = X_OUT + _MAP_PX  # 351 px: fits a phone
_HEIGHT = _ROW_PX * (CHANNELS - 1) + _MAP_PX  # 468 px


def _box(x: float, y: float, w: float, h: float, style: str = "", inner: str = "") -> str:
    more = f"; {style}" if style else ""
    return f'<div style="position:absolute; left:{x}px; top:{y}px; width:{w}px; height:{h}px{more}">{inner}</div>'


def _tint(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def _grouping(groups: int) -> str:
    n = CHANNELS // groups
    if groups == 1:
        return "one group of all 8 channels"
    if n == 1:
        return "each channel a group of its own"
    return f"{groups} groups of {n} channels: " + ", ".join(f"{g * n}-{(g + 1) * n - 1}" for g in range(groups))


def _group_bars_svg(groups: int) -> str:
    """One coloured bar per group beside its channels' rows."""
    n = CHANNELS // groups
    bars = "".join(f'<rect y="{_ROW_PX * g * n}" width="5" height="{_ROW_PX * n - (_ROW_PX - _MAP_PX)}" '
                   f'fill="{PALETTE[g % len(PALETTE)]}"/>' for g in range(groups))
    return svg_document(bars, 5, _HEIGHT, f"Group bars: {_grouping(groups)}")


def pictures(groups: int, followed: int, scale: float) -> str:
    """The three columns (inputs, filters, outputs) beside a bar per group, the followed channel's group tinted,
    the other groups veiled, and the followed output channel and its filter outlined."""
    n = CHANNELS // groups
    lit = group_of(followed, groups)
    grouping = _grouping(groups)
    tint = f"background:{_tint(PALETTE[lit % len(PALETTE)], 0.22)}"
    parts = [_box(0, _ROW_PX * lit * n - 4, WIDTH, _ROW_PX * n - 4, tint),
             _box(0, 0, 5, _HEIGHT, "", _group_bars_svg(groups))]
    labels = "".join(f"<div>{k}&nbsp;{escape(label)}</div>" for k, (label, _, _) in enumerate(INPUT_CHANNELS))
    # labels may wrap anywhere: with wider text spacing (WCAG 1.4.12) a long word stays in its column
    parts.append(_box(9, 0, LABEL_PX - 9, _HEIGHT, f"display:grid; grid-auto-rows:{_MAP_PX}px; "
                      f"row-gap:{_ROW_PX - _MAP_PX}px; align-items:center; overflow-wrap:anywhere", labels))
    what = "; ".join(f"{k} {w}" for k, (_, w, _) in enumerate(INPUT_CHANNELS))
    parts.append(_box(_X_IN, 0, _MAP_PX, _HEIGHT, "", img(
        _map_column_png(input_maps(), INPUT_SCALE), _MAP_PX, _HEIGHT, f"The 8 input channels, top to bottom: {what}",
        "display:block; max-width:none")))
    parts.append(_box(X_FILTER, 0, _FILTER_WIDTH, _FILTER_COLUMN_PX * _WEIGHT_PX, "", img(
        _filter_column_png(groups), _FILTER_WIDTH, _FILTER_COLUMN_PX * _WEIGHT_PX,
        f"The 8 filters, one row per output channel: 3 by 3 weights for each input of its group ({grouping})",
        "display:block; max-width:none; image-rendering:pixelated")))
    parts.append(_box(X_OUT, 0, _MAP_PX, _HEIGHT, "", img(
        _map_column_png(output_maps(groups), scale), _MAP_PX, _HEIGHT,
        f"The 8 output channels at groups={groups}, top to bottom, each made from the inputs of its group ({grouping})",
        "display:block; max-width:none")))
    veil = "background:var(--pst-color-background, #fff); opacity:0.6"
    if lit > 0:  # the groups above the followed one
        parts.append(_box(_X_IN, -4, WIDTH - _X_IN, _ROW_PX * lit * n, veil))
    if lit < groups - 1:  # and below it
        parts.append(_box(_X_IN, _ROW_PX * (lit + 1) * n - 4, WIDTH - _X_IN, _ROW_PX * (groups - lit - 1) * n, veil))
    ring = "outline:3px solid currentColor; outline-offset:1px"
    parts.append(_box(X_FILTER, _ROW_PX * followed + _FILTER_TOP * _WEIGHT_PX, _FILTER_WIDTH, 3 * _WEIGHT_PX, ring))
    parts.append(_box(X_OUT, _ROW_PX * followed, _MAP_PX, _MAP_PX, ring))
    bottom = "display:flex; align-items:flex-end; overflow-wrap:anywhere"
    head = (f'<div style="position:relative; width:{WIDTH}px; height:36px; margin-bottom:6px">'
            + _box(9, 6, LABEL_PX - 9, 28, bottom, "channel k") + _box(_X_IN, 6, _MAP_PX, 28, bottom, "input k")
            + _box(X_FILTER, 0, _FILTER_WIDTH, 34, "", f"filter of output k{_slot_header_svg()}")
            + _box(X_OUT, 6, _MAP_PX, 28, bottom, "output k") + "</div>")
    body = f'<div style="position:relative; width:{WIDTH}px; height:{_HEIGHT + 4}px">{"".join(parts)}</div>'
    return f'<div style="font-size:0.8em; line-height:1.1; margin:2px 0">{head}{body}</div>'


def render(settings: dict[str, Any], values: dict[str, Any]) -> str:
    groups, followed = settings["groups"], settings["channel"]
    fmt = IMAGE_EXPLORER.format
    span = {k: value_span(k, fmt(k, v)) for k, v in values.items()}
    if groups == 1:
        sees = f"reads every input channel: its filter has {span['in_per_group']} kernels of 3x3."
    elif groups == CHANNELS:
        sees = (f"is group {span['group']} on its own: it reads only input channel {span['first_input']} "
                f"({span['in_per_group']} kernel of 3x3); the other {span['unseen']} inputs cannot reach it.")
    else:
        sees = (f"sits in group {span['group']} and reads only input channels {span['first_input']} to "
                f"{span['last_input']} ({span['in_per_group']} kernels of 3x3); the other {span['unseen']} "
                "inputs cannot reach it.")
    # the followed channel first: this sentence, which changes with both controls, is what the explorer's live
    # region announces (widgets-setup.js)
    summary = (f'<p style="margin:0 0 4px 0">Output channel {escape(str(followed))} (outlined) {sees} '
               f'{span["groups"]} group{"s" if groups > 1 else ""}, {span["params"]} weights.</p>')
    legend = (
        '<p style="margin:4px 0 0 0; font-size:0.8em">The input channels and the filters are set by hand, not '
        "learned: they show which inputs an output can read, not what a trained network finds. "
        'Maps: black = negative, grey = 0, white = positive; inputs '
        f"on &plusmn;1, outputs on &plusmn;{span['output_scale']} (beyond: black or white), the same at every G. "
        'Weights: <span style="background:#2166ac; color:#fff; padding:0 3px">negative</span> '
        '<span style="background:#f7f7f7; color:#000; padding:0 3px">0</span> '
        '<span style="background:#b2182b; color:#fff; padding:0 3px">positive</span> '
        f"(&plusmn;{span['weight_scale']}, larger drawn at full colour). Photo: {escape(photo()[1])}.</p>"
    )
    return summary + pictures(groups, followed, values["output_scale"]) + legend


IMAGE_EXPLORER = Explorer(
    name="grouped-image",
    title="nn.Conv2d(8, 8, 3, groups=G) on a photo: slide G, follow one output channel",
    controls=(
        Control("groups", "groups G", GROUPS, 2),
        Control("channel", "follow output channel", tuple(range(CHANNELS)), 5),
    ),
    compute=_image_numbers,
    render=render,
    formats=FORMATS,
)
