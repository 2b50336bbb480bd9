"""Figures of the book drawn from the package's own modules, so every number in a label is a module's attribute.

``block_forms_figure`` redraws the paper's Fig. 3 (Xie et al. 2017): the same ResNeXt block as (a) C paths
summed, (b) C paths concatenated before one 1x1 convolution, (c) one grouped convolution. Each box is labelled
*input channels, filter size, output channels*, as in the paper, and reads them off a block built by
``make_block`` (on the meta device: no weights are allocated).

A figure is returned as a :class:`Drawing`, which notebooks display as SVG: text stays sharp at any zoom, and
the drawing is made at its true aspect ratio (one unit of the axes is one inch of the figure) with text of at
least 10 points.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from html import escape

import matplotlib
import torch
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyBboxPatch
from matplotlib.text import Text
from matplotlib.textpath import TextPath
from torch import nn

from ..blocks import FORMS, make_block

__all__ = ["block_forms_figure"]

FONT_SIZE = 10
"""Points; matplotlib's SVG sizes text in points, so a figure shown at its own width has 10 pt = 13 px text."""

_PANEL_WIDTH = 2.8  # inches; the figure is three panels wide
_HEIGHT = 4.6  # inches
_BOX_HEIGHT = 0.34
_TOP = 4.05  # the input's label
_PATH_LABEL = 3.5  # "path 1", "path C" above the paths of forms (a) and (b)
_ROWS = (3.15, 2.55, 1.95, 1.35)  # centres of the layer rows, top to bottom (inches)
_ADD_Y, _ADD_RADIUS = 0.8, 0.11  # the "+" where the shortcut joins
_PATH_OFFSET, _PATH_BOX = 0.68, 0.9  # forms (a), (b): the two drawn paths' distance from the middle, box width
_COLORS = {"conv": "#dce6f2", "grouped": "#dcf2e0", "concat": "#f2e6dc"}


@dataclass(frozen=True)
class Drawing:
    """A matplotlib figure that notebooks display as SVG, with a text alternative (``description``)."""

    figure: Figure
    description: str

    def texts(self) -> list[str]:
        """Every non-empty text of the figure (labels, titles), in drawing order."""
        return [t.get_text() for t in self.figure.findobj(Text) if t.get_text()]

    def svg(self) -> str:
        """The figure as an SVG document named by ``description`` (``role="img"``, ``<title>``); the same
        figure gives the same text on every run (no date, fixed ids)."""
        buffer = io.StringIO()
        with matplotlib.rc_context({"svg.hashsalt": "resnext-teach", "svg.fonttype": "path"}):
            self.figure.savefig(buffer, format="svg", metadata={"Date": None})
        label = escape(self.description)
        document = re.sub(r"^.*?<svg ", "<svg ", buffer.getvalue(), count=1, flags=re.S)  # no XML prologue
        start_tag, _, rest = document.partition(">")  # the <svg ...> tag holds no other ">"
        return f'{start_tag} role="img" aria-label="{label}"><title>{label}</title>{rest}'

    def _repr_svg_(self) -> str:
        return self.svg()

    def __repr__(self) -> str:
        return f"Drawing({self.description!r})"


def _conv_label(conv: nn.Conv2d) -> str:
    """The paper's box label: ``"in, KxK, out"``, and ``groups = G`` on a second line for a grouped layer."""
    kh, kw = conv.kernel_size
    label = f"{conv.in_channels}, {kh}x{kw}, {conv.out_channels}"
    return label + (f"\ngroups = {conv.groups}" if conv.groups > 1 else "")


def _text_width(text: str) -> float:
    """Width in inches of ``text`` at ``FONT_SIZE`` (its widest line)."""
    return max(TextPath((0, 0), line, size=FONT_SIZE).get_extents().width for line in text.split("\n")) / 72


def _box(ax, x: float, y: float, text: str, width: float, color: str) -> None:
    """A rounded box at least ``width`` inches wide, widened to fit its text."""
    width = max(width, _text_width(text) + 0.16)
    height = _BOX_HEIGHT + 0.18 * text.count("\n")
    ax.add_patch(FancyBboxPatch((x - width / 2, y - height / 2), width, height, boxstyle="round,pad=0.02",
                                fc=color, ec="#555", lw=0.8))
    ax.text(x, y, text, ha="center", va="center", fontsize=FONT_SIZE, linespacing=1.2)


def _arrow(ax, x0: float, y0: float, x1: float, y1: float) -> None:
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops=dict(arrowstyle="-|>", lw=0.8, color="#333", shrinkA=0, shrinkB=0))


def _half(text: str) -> float:
    """Half the height of a box holding ``text`` plus a small gap: where arrows start and end."""
    return (_BOX_HEIGHT + 0.18 * text.count("\n")) / 2 + 0.03


def block_forms_figure(
    in_channels: int = 256, planes: int = 64, cardinality: int = 32, bottleneck_width: int = 4
) -> Drawing:
    """Fig. 3 of the paper for ``ResNeXtBottleneck(in_channels, planes, cardinality, bottleneck_width)``.

    Forms (a) and (b) draw their first and last path (the others are the "..."), form (c) its three layers;
    BatchNorm and ReLU are left out, as in the paper. Every channel count, filter size, group and path count in
    a label is read from the blocks ``make_block`` builds, so the figure cannot disagree with the package.
    Raises ``ValueError`` for ``cardinality < 2`` (there would be no paths to draw side by side).
    """
    with torch.device("meta"):  # shapes only
        blocks = {form: make_block(form, in_channels, planes, cardinality, bottleneck_width) for form in FORMS}
    if blocks["grouped"].cardinality < 2:
        raise ValueError(f"cardinality={cardinality} must be at least 2: the figure draws paths side by side")
    aggregated, concatenated, grouped = (blocks[form] for form in FORMS)

    width = 3 * _PANEL_WIDTH
    fig = Figure(figsize=(width, _HEIGHT))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, width), ylim=(0, _HEIGHT))
    ax.set_aspect("equal")  # one unit is one inch both ways: circles are round, boxes true to size
    ax.axis("off")

    titles = (f"(a) aggregated, {len(aggregated.paths)} paths", "(b) early concatenation", "(c) grouped convolution")
    for i, (title, block) in enumerate(zip(titles, (aggregated, concatenated, grouped))):
        mid = (i + 0.5) * _PANEL_WIDTH
        ax.text(mid, _HEIGHT - 0.2, title, ha="center", va="center", fontsize=FONT_SIZE + 1, weight="bold")
        ax.text(mid, _TOP, f"x: {block.in_channels} channels", ha="center", va="center", fontsize=FONT_SIZE)
        # the shortcut: from the input, down the panel's right edge, into the "+"
        edge = mid + _PANEL_WIDTH / 2 - 0.1
        ax.plot([mid + 0.62, edge, edge, mid + _ADD_RADIUS], [_TOP, _TOP, _ADD_Y, _ADD_Y], color="#888", lw=0.8,
                ls="--")
        ax.add_patch(Circle((mid, _ADD_Y), _ADD_RADIUS, fc="white", ec="#333", lw=0.8))
        ax.text(mid, _ADD_Y, "+", ha="center", va="center", fontsize=FONT_SIZE + 1)
        _arrow(ax, mid, _ADD_Y - _ADD_RADIUS, mid, 0.44)
        ax.text(mid, 0.3, f"y = x + F(x): {block.out_channels} channels", ha="center", va="center",
                fontsize=FONT_SIZE)
    ax.text(edge - 0.06, (_ROWS[1] + _ROWS[2]) / 2, "shortcut", rotation=90, ha="right", va="center",
            fontsize=FONT_SIZE, color="#666")  # named once, in form (c), where there is room

    # (a) and (b): the first and the last path, drawn one by one; the others are the "..."
    for i, block in enumerate((aggregated, concatenated)):
        mid = (i + 0.5) * _PANEL_WIDTH
        xs = (mid - _PATH_OFFSET, mid + _PATH_OFFSET)
        last = len(block.paths)
        layers = ("conv1", "conv2", "conv3") if block is aggregated else ("conv1", "conv2")
        for x, number in zip(xs, (1, last)):
            labels = [_conv_label(block.paths[number - 1].get_submodule(name)) for name in layers]
            _arrow(ax, mid, _TOP - 0.12, x, _PATH_LABEL + 0.12)
            ax.text(x, _PATH_LABEL, f"path {number}", ha="center", va="center", fontsize=FONT_SIZE, color="#555")
            for row, label in enumerate(labels):
                _box(ax, x, _ROWS[row], label, _PATH_BOX, _COLORS["conv"])
                if row:
                    _arrow(ax, x, _ROWS[row - 1] - _half(labels[row - 1]), x, _ROWS[row] + _half(label))
        if last > 2:
            ax.text(mid, _ROWS[1], "...", ha="center", va="center", fontsize=FONT_SIZE + 4)
        if block is aggregated:  # every path ends in a full-width 1x1: the C outputs are summed
            for x in xs:
                _arrow(ax, x, _ROWS[2] - _half(labels[2]), mid + (x - mid) * 0.12, _ADD_Y + _ADD_RADIUS)
        else:  # concatenated, then one 1x1
            concat = f"concatenate: {block.width} channels"
            _box(ax, mid, _ROWS[2], concat, 2.2, _COLORS["concat"])
            for x in xs:
                _arrow(ax, x, _ROWS[1] - _half(labels[1]), x, _ROWS[2] + _half(concat))
            out = _conv_label(block.conv3)
            _box(ax, mid, _ROWS[3], out, 1.3, _COLORS["conv"])
            _arrow(ax, mid, _ROWS[2] - _half(concat), mid, _ROWS[3] + _half(out))
            _arrow(ax, mid, _ROWS[3] - _half(out), mid, _ADD_Y + _ADD_RADIUS)

    # (c): one 1x1, one grouped 3x3, one 1x1
    mid = 2.5 * _PANEL_WIDTH
    labels = [_conv_label(grouped.get_submodule(name)) for name in ("conv1", "conv2", "conv3")]
    _arrow(ax, mid, _TOP - 0.12, mid, _ROWS[0] + _half(labels[0]))
    for row, label in enumerate(labels):
        _box(ax, mid, _ROWS[row], label, 1.5, _COLORS["grouped" if "groups" in label else "conv"])
        if row:
            _arrow(ax, mid, _ROWS[row - 1] - _half(labels[row - 1]), mid, _ROWS[row] + _half(label))
    _arrow(ax, mid, _ROWS[2] - _half(labels[2]), mid, _ADD_Y + _ADD_RADIUS)

    c, d = grouped.cardinality, grouped.bottleneck_width
    description = (
        f"The paper's Figure 3 redrawn for a {c}x{d}d block: form (a) with {c} paths of 1x1, 3x3 and 1x1 "
        f"convolutions summed; form (b) with paths of 1x1 and 3x3 concatenated before one 1x1; form (c) with one "
        f"1x1, one 3x3 with {c} groups and one 1x1; each adds the shortcut."
    )
    return Drawing(fig, description)
