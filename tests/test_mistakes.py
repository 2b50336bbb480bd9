"""``resnext_teach.mistakes``: the chapter 4 mistakes, built as real modules and counted independently."""

import time

import pytest
import torch
from torch import nn

from resnext_teach import ResNeXtBottleneck, count_parameters, grouped_width
from resnext_teach.mistakes import (
    ChannelsPerGroupBlock,
    PerPathWidthBottleneck,
    misbuilt_model,
    per_path_width_mistake,
    time_once,
    width_floored_last,
)

from helpers import independent_misbuilt_count, meta_model


def test_mistake_1_counts():
    assert per_path_width_mistake(256, 4, 32) == 32 and grouped_width(64, 4, 32) // 32 == 4
    with torch.device("meta"):
        misbuilt = misbuilt_model("resnext50_32x4d")
    assert count_parameters(misbuilt) == independent_misbuilt_count("resnext50_32x4d")
    assert count_parameters(misbuilt) > 9 * count_parameters(meta_model("resnext50_32x4d"))  # the right model
    assert all(isinstance(b, PerPathWidthBottleneck) for stage in misbuilt.stages for b in stage)
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        per_path_width_mistake(256, 4, 0)


def test_mistake_1_block_runs_and_has_the_stated_width():
    block = PerPathWidthBottleneck(64, 16, cardinality=4, bottleneck_width=8, stride=2).eval()
    assert block.path_width == 64 * 8 // 4
    assert len(block.paths) == 4 and block.downsample is not None
    x = torch.randn(2, 64, 8, 8)
    assert block(x).shape == ResNeXtBottleneck(64, 16, 4, 8, stride=2)(x).shape == (2, 64, 4, 4)
    identity = PerPathWidthBottleneck(64, 16, cardinality=4, bottleneck_width=8)
    assert identity.downsample is None


def test_mistake_2_builds_channels_per_group():
    block = ChannelsPerGroupBlock(32, groups=16)
    assert block.conv2.groups == 2 and tuple(block.conv2.weight.shape) == (32, 16, 3, 3)
    assert sum(p.numel() for p in block.conv2.parameters()) == 32 * 16 * 9 + 32
    assert block.conv4 is None and block(torch.randn(1, 32, 6, 6)).shape == (1, 32, 6, 6)
    wide = ChannelsPerGroupBlock(256, groups=32, bottleneck_ratio=0.5, projection=True, stride=2)
    assert wide.conv2.in_channels == 128 and wide.conv2.groups == 4
    assert wide.eval()(torch.randn(1, 256, 8, 8)).shape == (1, 256, 4, 4)


def test_mistake_3_width_not_divisible():
    assert (width_floored_last(16, 14, 8), grouped_width(16, 14, 8)) == (28, 24)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(28, 28, 3, groups=8)
    with pytest.raises(ValueError, match="bottleneck_width=0 must be a positive integer"):
        width_floored_last(16, 0, 8)
    for planes in (16, 64, 128, 256):  # the two rules agree whenever planes * d is a multiple of 64
        for d in (4, 8, 16, 64):
            for c in (1, 8, 32):
                assert width_floored_last(planes, d, c) == grouped_width(planes, d, c)


def test_time_once_times_one_forward_pass_in_eval_mode():
    class Slow(nn.Module):
        """A forward pass of at least 20 ms that records the mode it ran in."""

        def forward(self, x):
            self.ran_in_training = self.training
            time.sleep(0.02)
            return x

    slow = Slow().train()
    seconds = time_once(slow, torch.randn(1, 16, 4, 4))
    assert isinstance(seconds, float) and seconds >= 0.02 and slow.ran_in_training is False
