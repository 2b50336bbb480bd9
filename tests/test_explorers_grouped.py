"""``resnext_teach.book.explorers.grouped``: the grouped-convolution explorer against real nn.Conv2d(groups=G) layers,
its connectivity picture against the real weight layout, and its panes."""

import re

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from resnext_teach import GroupedConv2d
from resnext_teach.book.explorers import EXPLORERS
from resnext_teach.book.explorers.grouped import (
    GROUPED_EXPLORER,
    IN_CHANNELS,
    KERNEL_SIZE,
    OUT_CHANNELS,
    OUTPUT_SIZE,
    grouped_layer_numbers,
)
from resnext_teach.book.svg import PALETTE

from helpers import numel, reach_matrix

GROUPS = [1, 2, 4, 8, 16, 32, 64]  # the divisors of 64, written out by hand


def rects(svg: str) -> list[tuple[float, float, float, float, str]]:
    """The (x, y, width, height, fill) of every rectangle in an SVG."""
    found = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"', svg)
    return [(float(x), float(y), float(w), float(h), fill) for x, y, w, h, fill in found]


def test_explorer_options_are_the_legal_groups_of_the_running_example():
    assert (IN_CHANNELS, OUT_CHANNELS, KERNEL_SIZE) == (64, 128, 3)
    (control,) = GROUPED_EXPLORER.controls
    assert list(control.options) == GROUPS and control.default == 32
    assert GROUPED_EXPLORER in EXPLORERS


@pytest.mark.parametrize("g", GROUPS)
def test_every_position_matches_a_real_grouped_conv(g):
    values = GROUPED_EXPLORER.compute(groups=g)  # what the explorer shows, against a real layer
    conv = nn.Conv2d(64, 128, 3, padding=1, groups=g, bias=False)
    dense = nn.Conv2d(64, 128, 3, padding=1, bias=False)
    assert values["params"] == numel(conv) == conv.weight.numel()
    assert values["reduction"] == pytest.approx(numel(dense) / numel(conv))
    assert values["saved"] == pytest.approx(100 * (numel(dense) - numel(conv)) / numel(dense))
    assert values["in_per_group"] == conv.weight.shape[1]
    scratch = GroupedConv2d.from_conv2d(conv)  # one ordinary conv per group
    assert len(scratch.convs) == g
    assert values["out_per_group"] == scratch.convs[0].out_channels
    assert values["weights_per_group"] == numel(scratch.convs[0])
    assert all(numel(part) == values["weights_per_group"] for part in scratch.convs)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = conv(torch.randn(1, 64, OUTPUT_SIZE, OUTPUT_SIZE))
    assert out.shape[-2:] == (56, 56)
    assert values["macs"] == counter.get_total_flops() // 2  # FlopCounterMode counts a multiply-add as 2


@pytest.mark.parametrize("g", GROUPS)
def test_connectivity_picture_matches_the_real_weight_layout(g):
    """The coloured rectangles of the pane's picture are exactly the blocks where the real layer's outputs respond
    to its inputs."""
    reach = reach_matrix(nn.Conv2d(64, 128, 3, padding=1, groups=g, bias=False))
    pane = GROUPED_EXPLORER.pane(groups=g)
    svg = pane[pane.index("<svg"):]
    coloured = [r for r in rects(svg) if r[4] in PALETTE]
    width, height = rects(svg)[0][2:4]  # the background: one square unit per channel, 128 rows by 64 columns
    assert height == pytest.approx(2 * width), "the matrix is drawn at its true aspect ratio"
    drawn = torch.zeros(128, 64, dtype=torch.bool)
    for x, y, w, h, _fill in coloured:
        c0, c1 = round(x / width * 64), round((x + w) / width * 64)
        r0, r1 = round(y / height * 128), round((y + h) / height * 128)
        assert not drawn[r0:r1, c0:c1].any(), "rectangles overlap"
        drawn[r0:r1, c0:c1] = True
    assert torch.equal(drawn, reach)
    assert len(coloured) == (1 if g == 1 else g)  # one block per group (G=1: one full square)
    assert int(reach.sum()) == 64 * 128 // g


def test_panes_have_their_pictures_and_formats():
    ex = GROUPED_EXPLORER
    assert len(list(ex.positions())) == len(GROUPS)
    for settings in ex.positions():  # the spans themselves are checked for every explorer in test_explorer_core
        pane = ex.pane(**settings)
        assert pane.count("<svg") == 1 and "base64" not in pane and len(pane) < 8000
    assert ex.format("params", grouped_layer_numbers(32)["params"]) == "2,304"
    assert ex.format("reduction", grouped_layer_numbers(32)["reduction"]) == "32"
    assert ex.format("saved", grouped_layer_numbers(32)["saved"]) == "96.9"
