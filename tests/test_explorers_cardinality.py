"""``resnext_teach.book.explorers.cardinality``: the cardinality explorer against real blocks at every position, its
widths against the budget and Table 2, its panes and its errors."""

import pytest
import torch

from resnext_teach import ResNeXtBottleneck
from resnext_teach import paper
from resnext_teach.book.explorers import EXPLORERS
from resnext_teach.book.explorers.cardinality import (
    CARDINALITIES,
    CARDINALITY_EXPLORER,
    cardinality_values,
    naive_bottleneck_width,
)

from helpers import counted_macs

RESNET_TEMPLATE_PARAMS = 256 * 64 + 3 * 3 * 64 * 64 + 64 * 256  # ResNet-50's conv2 block convolutions, by hand


def conv_params(block: ResNeXtBottleneck) -> int:
    """Parameters of the block's three convolutions (the paper's template: no BN, no bias)."""
    return sum(p.numel() for conv in (block.conv1, block.conv2, block.conv3) for p in conv.parameters())


@pytest.mark.parametrize("cardinality", CARDINALITIES)
def test_every_position_matches_real_blocks(cardinality):
    values = cardinality_values(cardinality)
    x = torch.randn(1, 256, 56, 56)  # the conv2 stage's map, where the paper counts the template's FLOPs
    designs = (
        (values["bottleneck_width"], "grouped_width", "template_params", "template_macs", "budget_share"),
        (values["naive_bottleneck_width"], "naive_grouped_width", "naive_params", "naive_macs", "naive_budget_share"),
    )
    for d, width_key, params_key, macs_key, share_key in designs:
        block = ResNeXtBottleneck(256, 64, cardinality=cardinality, bottleneck_width=d).eval()
        assert block.downsample is None  # the template: identity shortcut, nothing else counted
        assert block.conv2.groups == cardinality and block.conv2.in_channels == values[width_key]
        assert conv_params(block) == values[params_key]
        assert counted_macs(block, x) == values[macs_key]
        assert values[share_key] == pytest.approx(conv_params(block) / RESNET_TEMPLATE_PARAMS)
        if width_key == "grouped_width":
            assert block.conv2.weight.numel() == values["conv3x3_params"]
            assert values["conv3x3_share"] == pytest.approx(block.conv2.weight.numel() / conv_params(block))
    assert values["naive_grouped_width"] == 64 and values["naive_bottleneck_width"] * cardinality == 64


@pytest.mark.parametrize("cardinality", CARDINALITIES)
def test_width_is_the_integer_nearest_the_budget(cardinality):
    """Brute force over real blocks: no other integer d brings the template closer to ResNet's."""
    d = cardinality_values(cardinality)["bottleneck_width"]

    def miss(width: int) -> int:
        return abs(conv_params(ResNeXtBottleneck(256, 64, cardinality=cardinality, bottleneck_width=width)) - RESNET_TEMPLATE_PARAMS)

    assert all(miss(d) <= miss(other) for other in range(max(1, d - 3), d + 4))


def test_positions_on_table_2_are_the_papers():
    table = {c: (d, width) for c, d, width in paper.TABLE2}
    for c in CARDINALITIES:
        values = cardinality_values(c)
        if c in table:
            assert (values["bottleneck_width"], values["grouped_width"]) == table[c]
    assert set(table) <= set(CARDINALITIES)


def test_panes_have_their_pictures_and_formats():
    ex = CARDINALITY_EXPLORER
    assert ex in EXPLORERS
    assert len(list(ex.positions())) == len(CARDINALITIES)
    for settings in ex.positions():  # the spans themselves are checked for every explorer in test_explorer_core
        pane = ex.pane(**settings)
        assert pane.count("<svg") == 2 and "base64" not in pane and len(pane) < 8000
    assert ex.format("budget_share", cardinality_values(32)["budget_share"]) == "100.7%"


def test_explorer_errors_name_the_rule():
    with pytest.raises(ValueError, match="cardinality=3 must divide the naive design's width=64"):
        naive_bottleneck_width(3)
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        cardinality_values(0)
