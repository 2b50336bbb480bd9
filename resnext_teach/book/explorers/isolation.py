"""Chapter 2's second mechanism explorer: a group stays a group, until a 1x1 convolution mixes the channels.

Perturb the input channels of one group (``probes.perturb_group``) and measure, channel by channel, how much each
layer's output changes:

* through 1, 2 or 3 grouped layers ``nn.Conv2d(16, 16, 3, padding=1, groups=4, bias=False)`` with ReLU between,
  exactly the 4 channels of the perturbed group change, at every depth: no path leads out of a group;
* through a ResNeXt block, ``ResNeXtBottleneck(16, 4, cardinality=4, bottleneck_width=64)`` (1x1 -> grouped 3x3
  -> 1x1, identity shortcut), every channel changes: its 1x1 convolutions mix all 16 channels.

``stage_changes(group, path)`` gives the largest |change| of each channel after each layer, from real modules
with seeded weights run under ``torch.no_grad()``; a channel counts as changed when that is above 0 (outside the
group the outputs are bit-for-bit the same). Every strip is coloured on one scale, 0 to ``change_scale()``.
"""

from __future__ import annotations

import functools
import math
from html import escape
from typing import Any

import torch
from torch import Tensor, nn

from ...blocks import ResNeXtBottleneck
from ...experiments.probes import perturb_group
from ..svg import PALETTE, svg_document
from .core import Control, Explorer, value_span

__all__ = ["ISOLATION_EXPLORER"]

CHANNELS, GROUPS, SPATIAL = 16, 4, 8  # 16 channels in 4 groups of 4, on an 8 x 8 map
_PER_GROUP = CHANNELS // GROUPS
SEED = 0  # weights and input; the perturbation uses SEED + 1
EPS = 1.0  # size of the Gaussian noise added to the perturbed group's channels
PATHS = ("1 grouped layer", "2 grouped layers", "3 grouped layers", "ResNeXt block")
"""What the perturbed input goes through: the toggle's options."""

BLOCK_STAGES = ("conv1", "conv2", "conv3", "output")
_BLOCK_STAGE_NAMES = {
    "conv1": "conv1 (1x1, mixes all)",
    "conv2": "conv2 (3x3, 4 groups)",
    "conv3": "conv3 (1x1, mixes all)",
    "output": "block output",
}


def _seeded(module: nn.Module, seed: int) -> nn.Module:
    """Give every convolution of ``module`` Kaiming-normal weights from a seeded generator (the global random
    state is left alone), in the order the modules are registered."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in module.modules():
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight[0].numel()
                m.weight.copy_(torch.randn(m.weight.shape, generator=gen) * math.sqrt(2 / fan_in))
    return module.eval()


@functools.cache
def grouped_layers() -> nn.Sequential:
    """Three grouped layers with ReLU between: ``conv1, relu, conv2, relu, conv3`` (the paths use the first 1-3)."""
    layers: list[nn.Module] = []
    for i in range(3):
        if i:
            layers.append(nn.ReLU())
        layers.append(nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=GROUPS, bias=False))
    return _seeded(nn.Sequential(*layers), SEED)


@functools.cache
def resnext_block() -> ResNeXtBottleneck:
    """``ResNeXtBottleneck(16, 4, cardinality=4, bottleneck_width=64)``: width int(4 * 64 / 64) * 4 = 16, so its
    grouped 3x3 layer has the same 4 groups of 4 channels; eval mode (BatchNorm with its initial statistics)."""
    return _seeded(ResNeXtBottleneck(CHANNELS, CHANNELS // 4, cardinality=GROUPS, bottleneck_width=64), SEED)


@functools.cache
def clean_input() -> Tensor:
    """The input ``(1, 16, 8, 8)``: seeded Gaussian noise."""
    return torch.randn(1, CHANNELS, SPATIAL, SPATIAL, generator=torch.Generator().manual_seed(SEED))


def perturbed_input(group: int) -> Tensor:
    """``clean_input()`` with noise of size ``EPS`` added to the 4 channels of ``group`` only."""
    return perturb_group(clean_input(), group, GROUPS, eps=EPS, seed=SEED + 1)


def _stage_modules(path: str) -> list[tuple[str, nn.Module]]:
    if path == "ResNeXt block":
        b = resnext_block()
        return [("conv1", b.conv1), ("conv2", b.conv2), ("conv3", b.conv3), ("output", b)]
    if path not in PATHS:
        raise ValueError(f"path={path!r} must be one of {PATHS}")
    depth = PATHS.index(path) + 1
    convs = [m for m in grouped_layers() if isinstance(m, nn.Conv2d)]
    return [(f"layer {i + 1}", convs[i]) for i in range(depth)]


def _run(path: str, x: Tensor) -> dict[str, Tensor]:
    """Each stage's output for input ``x`` (hooks on the real modules)."""
    stages = _stage_modules(path)
    seen: dict[str, Tensor] = {}
    hooks = [m.register_forward_hook(lambda _m, _a, out, name=name: seen.__setitem__(name, out.clone()))
             for name, m in stages]
    try:
        with torch.no_grad():
            if path == "ResNeXt block":
                resnext_block()(x)
            else:
                depth = PATHS.index(path) + 1
                grouped_layers()[: 2 * depth - 1](x)
    finally:
        for h in hooks:
            h.remove()
    return {name: seen[name] for name, _ in stages}


@functools.cache
def stage_changes(group: int, path: str) -> tuple[tuple[str, tuple[float, ...]], ...]:
    """``(("input", 16 changes), (stage, 16 changes), ...)``: the largest |change| of each channel over the map,
    at the input and after each stage of ``path``, when ``group``'s input channels are perturbed."""
    x, y = clean_input(), perturbed_input(group)
    before, after = _run(path, x), _run(path, y)
    rows = [("input", tuple((y - x).abs().amax(dim=(0, 2, 3)).tolist()))]
    rows += [(name, tuple((after[name] - before[name]).abs().amax(dim=(0, 2, 3)).tolist())) for name in before]
    return tuple(rows)


@functools.cache
def change_scale() -> int:
    """The top of the colour scale: the largest change at any position, rounded up to a whole number."""
    return math.ceil(max(c for g in range(GROUPS) for p in PATHS for _, row in stage_changes(g, p) for c in row))


def isolation_numbers(group: int, path: str) -> dict[str, Any]:
    """What the pane says: the perturbed channels and, for each stage, how many of the 16 channels changed."""
    values: dict[str, Any] = {"first": group * _PER_GROUP, "last": (group + 1) * _PER_GROUP - 1}
    for name, row in stage_changes(group, path):
        values["changed_" + name.replace(" ", "")] = sum(c > 0 for c in row)
    return values


# --- pictures --------------------------------------------------------------------------------------------------

CELL, GAP = 20, 6  # px per channel cell; extra px between groups
STRIP_WIDTH = CHANNELS * CELL + (GROUPS - 1) * GAP  # 338 px: fits a phone
_RAMP = ((255, 237, 160), (254, 178, 76), (240, 59, 32), (128, 0, 38))  # light yellow -> dark red (ColorBrewer YlOrRd)


def change_colour(change: float) -> str:
    """The fill of a channel whose largest change is ``change`` > 0: linear from light yellow (0) to dark red
    (``change_scale()``), the same at every position."""
    t = min(max(change / change_scale(), 0.0), 1.0) * (len(_RAMP) - 1)
    i = min(int(t), len(_RAMP) - 2)
    a, b = _RAMP[i], _RAMP[i + 1]
    return "#" + "".join(f"{round(a[c] + (b[c] - a[c]) * (t - i)):02x}" for c in range(3))


def _cell_x(k: int) -> int:
    return k * CELL + (k // _PER_GROUP) * GAP


def _strip_svg(changes: tuple[float, ...], description: str) -> str:
    """16 cells, one per channel, grouped in 4s over a bar in each group's colour. A changed channel is filled by
    ``change_colour``; an unchanged one is an empty dashed cell with a "0". Each cell records its change."""
    size = CELL - 2
    filled, empty, zeros = [], [], []
    for k, c in enumerate(changes):
        x = _cell_x(k) + 1
        if c > 0:
            filled.append(f'<rect x="{x}" y="1" width="{size}" height="{size}" fill="{change_colour(c)}" '
                          f'data-rxt-change="{c:.4g}"/>')
        else:
            empty.append(f'<rect x="{x}" y="1" width="{size}" height="{size}" data-rxt-change="0"/>')
            zeros.append(f'<text x="{x + size / 2:g}" y="{CELL - 5}">0</text>')
    bars = "".join(f'<rect x="{_cell_x(g * _PER_GROUP) + 1}" y="{CELL + 1}" width="{_PER_GROUP * CELL - 2}" height="3" '
                   f'fill="{PALETTE[g]}"/>' for g in range(GROUPS))
    body = f'<g stroke="#555">{"".join(filled)}</g>' + (
        f'<g fill="none" stroke="#999" stroke-dasharray="2 2">{"".join(empty)}</g>'
        f'<g font-size="10" text-anchor="middle" fill="#595959">{"".join(zeros)}</g>' if empty else "") + bars
    return svg_document(body, STRIP_WIDTH, CELL + 5, description)


def _legend_svg() -> str:
    """The colour scale: the "unchanged" cell, then the ramp from 0 to ``change_scale()`` in 12 steps, a tick per
    whole number."""
    top, left, steps = change_scale(), 86, 12
    step = (STRIP_WIDTH - left) / steps
    ramp = "".join(f'<rect x="{left + i * step:.1f}" y="1" width="{step + 0.3:.1f}" height="{CELL - 2}" '
                   f'fill="{change_colour((i + 0.5) / steps * top)}"/>' for i in range(steps))
    ticks = "".join(f'<text x="{left + v / top * (STRIP_WIDTH - left):.1f}" y="30">{v}</text>' for v in range(top + 1))
    size = CELL - 2
    empty = f'<rect x="1" y="1" width="{size}" height="{size}" fill="none" stroke="#999" stroke-dasharray="2 2"/>'
    body = (f'{empty}<text x="{CELL / 2}" y="{CELL - 5}" font-size="10" text-anchor="middle" fill="#595959">0</text>'
            f'<text x="{CELL + 4}" y="{CELL - 5}" font-size="10" fill="currentColor">unchanged</text>'
            f'{ramp}<rect x="{left}" y="1" width="{STRIP_WIDTH - left}" height="{CELL - 2}" fill="none" stroke="#555"/>'
            f'<g font-size="10" text-anchor="middle" fill="currentColor">{ticks}</g>')
    return svg_document(body, STRIP_WIDTH + 6, 33, f"Colour scale: largest change of a channel, from just above 0 "
                        f"(light yellow) to {top} (dark red); an empty cell with 0 is an unchanged channel")


def _groups_header_svg() -> str:
    """The group number and channels above each group of cells."""
    text = "".join(f'<text x="{_cell_x(g * _PER_GROUP) + _PER_GROUP * CELL / 2:g}" y="11">group {g} '
                   f"({g * _PER_GROUP}-{(g + 1) * _PER_GROUP - 1})</text>" for g in range(GROUPS))
    return svg_document(f'<g font-size="10" text-anchor="middle" fill="currentColor">{text}</g>', STRIP_WIDTH, 14,
                        "Channels 0 to 15 in 4 groups of 4, left to right")


def render(settings: dict[str, Any], values: dict[str, Any]) -> str:
    group, path = settings["group"], settings["path"]
    fmt = ISOLATION_EXPLORER.format
    span = {k: value_span(k, fmt(k, v)) for k, v in values.items()}
    rows = []
    for name, changes in stage_changes(group, path):
        key = "changed_" + name.replace(" ", "")
        changed = [k for k, c in enumerate(changes) if c > 0]
        if name == "input":
            title = "input"
        elif path == "ResNeXt block":
            title = _BLOCK_STAGE_NAMES[name]
        else:
            title = f"after grouped {name}"
        run = changed == list(range(changed[0], changed[-1] + 1)) if changed else False
        which = (f"channels {changed[0]} to {changed[-1]}" if run
                 else f"channels {', '.join(map(str, changed))}" if changed else "no channel")
        rest = ", the others unchanged" if len(changed) < CHANNELS else ""
        description = f"{title}: {len(changed)} of {CHANNELS} channels changed ({which}){rest}"
        rows.append(f'<div style="margin:3px 0 0 0">{title}: <b>{span[key]}</b> of {CHANNELS} changed<br>'
                    f"{_strip_svg(changes, description)}</div>")
    if path == "ResNeXt block":
        verdict = "The block's 1x1 convolutions mix all 16 channels: the change leaves its group at once."
    else:
        verdict = "Grouped layers never mix groups: the change stays in its group, however many you stack."
    # the first sentence names both settings: the explorer's live region announces it (widgets-setup.js)
    through = "a ResNeXt block" if path == "ResNeXt block" else escape(path)
    head = (f'<p style="margin:0 0 4px 0">Noise added to channels {span["first"]} to {span["last"]} (group '
            f"{escape(str(group))}), passed through {through}. Each cell is one channel; its colour is how much that channel changed "
            f"(largest change over the map).</p>{_groups_header_svg()}")
    return head + "".join(rows) + f'<p style="margin:6px 0 2px 0">{verdict}</p>' + _legend_svg()


ISOLATION_EXPLORER = Explorer(
    name="group-isolation",
    title="A group stays a group: perturb one group's channels and see which channels change",
    controls=(
        Control("group", "perturbed group", tuple(range(GROUPS)), 1),
        Control("path", "through", PATHS, PATHS[1], kind="toggle"),
    ),
    compute=isolation_numbers,
    render=render,
)
