"""Small inline SVG pictures for the explorers (text, not images: they weigh little and scale, and carry a
text alternative in ``<title>``/``aria-label`` for screen readers)."""

from __future__ import annotations

from html import escape

import torch

from ..validation import MAX_SIZE, check_instance, check_positive_int, check_tensor

__all__ = ["connectivity_svg"]

PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3", "#8C8C8C")
"""Colours cycled over groups."""


def svg_document(body: str, width: int, height: int, description: str) -> str:
    """Wrap SVG elements in an accessible ``<svg>`` with a title (its text alternative)."""
    text = escape(description)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{text}"><title>{text}</title>{body}</svg>'
    )


def connectivity_svg(mask: torch.Tensor, description: str, size: int = 200) -> str:
    """Draw a boolean ``(out_channels, in_channels)`` connectivity mask: a filled area means the input channels
    (columns) reach the output channels (rows). One channel is one square unit, so a 64 -> 128 layer is drawn twice
    as tall as wide; ``size`` is the longer side in pixels. Runs of equal rows are merged into one rectangle, so a
    grouped convolution costs one rectangle per group however many channels it has; blocks are coloured in turn."""
    check_mask(mask)
    check_instance("description", description, str, "str (the text alternative)")
    size = check_positive_int("size", size, MAX_SIZE)
    c_out, c_in = mask.shape
    unit = size / max(c_in, c_out)
    width, height = c_in * unit, c_out * unit
    rects: list[tuple[int, int, int, int]] = []  # (row0, row1, col0, col1), half-open
    row = 0
    while row < c_out:
        end = row + 1
        while end < c_out and torch.equal(mask[end], mask[row]):
            end += 1
        cols = mask[row].tolist()
        col = 0
        while col < c_in:
            if cols[col]:
                stop = col
                while stop < c_in and cols[stop]:
                    stop += 1
                rects.append((row, end, col, stop))
                col = stop
            else:
                col += 1
        row = end
    parts = [f'<rect x="0" y="0" width="{width:.2f}" height="{height:.2f}" fill="#f4f4f4" stroke="#999"/>']
    for i, (r0, r1, c0, c1) in enumerate(rects):
        parts.append(
            f'<rect x="{c0 * unit:.2f}" y="{r0 * unit:.2f}" width="{(c1 - c0) * unit:.2f}" '
            f'height="{(r1 - r0) * unit:.2f}" fill="{PALETTE[i % len(PALETTE)]}"/>'
        )
    label = f"input channels ({c_in})"
    label_width = 6.5 * len(label)  # 11 px text: about 6.5 px a character
    axis = (  # a label wider than the grid starts at its left edge and widens the picture (never cut)
        f'<text x="{width / 2 if label_width <= width else 0:.1f}" y="{height + 14:.1f}" font-size="11" '
        f'text-anchor="{"middle" if label_width <= width else "start"}">{label}</text>'
        f'<text x="-8" y="{height / 2:.1f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 -8 {height / 2:.1f})">output channels ({c_out})</text>'
    )
    return svg_document(f'<g transform="translate(18,2)">{"".join(parts)}{axis}</g>',
                        int(max(width, label_width)) + 22, int(height) + 20, description)


def check_mask(mask: object) -> None:
    """A connectivity mask is a 2-D boolean tensor ``(out_channels, in_channels)`` (``connectivity_mask``)."""
    check_tensor("mask", mask)
    if mask.dim() != 2 or mask.dtype != torch.bool or not mask.numel():
        raise ValueError(f"mask must be a non-empty 2-D boolean tensor (out_channels, in_channels), got {mask.dtype} "
                         f"of shape {tuple(mask.shape)}")


def bar_svg(values: dict[str, float], description: str, width: int = 320, bar_height: int = 18, unit: str = "",
            scale_max: float | None = None) -> str:
    """Horizontal bars, one per label, each with its number written beside it. ``scale_max`` is the value drawn
    at full length: an explorer passes the largest value over all its positions, so that every position is drawn
    on one scale (doubling a number doubles its bar); without it the largest bar here is full length."""
    top = max(values.values()) if scale_max is None else scale_max
    if any(v > top for v in values.values()):
        raise ValueError(f"scale_max={scale_max} is smaller than a value to draw ({max(values.values())})")
    top = top or 1.0
    label_w = 110
    parts = []
    for i, (label, value) in enumerate(values.items()):
        y = i * (bar_height + 6)
        length = (width - label_w - 90) * value / top
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_height * 0.75}" font-size="12" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{length:.3f}" height="{bar_height}" fill="{PALETTE[i % len(PALETTE)]}" '
            f'data-rxt-value="{value}"/>'
            f'<text x="{label_w + length + 4:.1f}" y="{y + bar_height * 0.75}" font-size="12">{value:,.0f}{unit}</text>'
        )
    height = len(values) * (bar_height + 6)
    return svg_document("".join(parts), width, height, description)
