"""``resnext_teach.book.explorers.block``: the block explorer against real blocks at every position, and its panes."""

import functools
import re

import pytest
import torch
from torch import nn

from resnext_teach import ResNeXtBottleneck, count_parameters, measure_macs
from resnext_teach.book.explorers.block import BLOCK_EXPLORER, block_counts


def test_explorer_size():
    positions = list(BLOCK_EXPLORER.positions())
    assert len(positions) <= 150
    assert max(len(BLOCK_EXPLORER.pane(**p)) for p in positions) < 6000


@functools.cache
def resnet_block_macs() -> int:
    """Multiply-adds of ResNet's block (1x64d) at 56x56, measured once: what every position is compared with."""
    with torch.device("meta"):
        resnet = ResNeXtBottleneck(256, 64, cardinality=1, bottleneck_width=64)
    return measure_macs(resnet, torch.empty(1, 256, 56, 56, device="meta"))


@pytest.mark.parametrize("settings", list(BLOCK_EXPLORER.positions()),
                         ids=lambda s: f"{s['cardinality']}x{s['bottleneck_width']}d")
def test_every_position_matches_a_real_block(settings):
    values = block_counts(**settings)
    with torch.device("meta"):
        block = ResNeXtBottleneck(256, 64, **settings)
    x = torch.empty(1, 256, 56, 56, device="meta")
    for name in ("conv1", "conv2", "conv3"):
        conv = block.get_submodule(name)
        assert values[f"{name}_params"] == conv.weight.numel()
        assert values[f"{name}_macs"] == measure_macs(conv, torch.empty(1, conv.in_channels, 56, 56, device="meta"))
    bn = [m for m in block.modules() if isinstance(m, nn.BatchNorm2d)]
    assert values["bn_params"] == sum(p.numel() for m in bn for p in m.parameters())
    assert values["total_params"] == count_parameters(block)
    macs = measure_macs(block, x)
    assert values["total_macs"] == macs
    assert values["vs_resnet"] == pytest.approx(macs / resnet_block_macs())
    assert values["width"] == block.conv2.in_channels and values["path_width"] == block.conv2.weight.shape[1]


@pytest.mark.parametrize("settings", [{"cardinality": 32, "bottleneck_width": 4}, {"cardinality": 1, "bottleneck_width": 64},
                                      {"cardinality": 64, "bottleneck_width": 1}, {"cardinality": 8, "bottleneck_width": 14}])
def test_panes_show_exactly_the_formatted_values(settings):
    values = BLOCK_EXPLORER.compute(**settings)
    pane = BLOCK_EXPLORER.pane(**settings)
    shown = dict(re.findall(r'<span data-rxt-key="([^"]+)">([^<]*)</span>', pane))
    assert set(shown) == set(values)
    for key, value in values.items():
        assert shown[key] == BLOCK_EXPLORER.format(key, value), key
    assert "<svg" in pane and f"groups={settings['cardinality']}" in pane
