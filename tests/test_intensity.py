"""``resnext_teach.intensity``: arithmetic intensity by hand, per layer kind, and every error path."""

import pytest
import torch
from torch import nn

from resnext_teach import measure_macs
from resnext_teach.intensity import Intensity, conv_intensity, conv_kind

from helpers import meta_model


@pytest.mark.parametrize("groups, stride, batch", [(1, 1, 1), (32, 1, 8), (4, 2, 2)])
def test_conv_intensity_by_hand(groups, stride, batch):
    conv = nn.Conv2d(128, 64, 3, stride=stride, padding=1, groups=groups, bias=False)
    h = (56 + 2 - 3) // stride + 1
    macs = batch * 64 * (128 // groups) * 9 * h * h
    x = torch.randn(batch, 128, 56, 56)
    assert macs == measure_macs(conv, x)
    bytes_moved = 4 * (conv.weight.numel() + x.numel() + conv(x).numel())
    result = conv_intensity(conv, 56, batch)
    assert result == Intensity(macs, bytes_moved)
    assert result.macs_per_byte == pytest.approx(macs / bytes_moved)  # a FLOP is a multiply-add in this book
    assert conv_intensity(conv, (56, 56), batch, bytes_per_element=2).bytes_moved == bytes_moved // 2


def test_grouped_layer_has_lower_intensity():
    dense, grouped = meta_model("resnet50").layer1[1].conv2, meta_model("resnext50_32x4d").layer1[1].conv2
    assert conv_intensity(dense, 56).macs_per_byte > 10 * conv_intensity(grouped, 56).macs_per_byte
    assert conv_intensity(dense, 56) + conv_intensity(grouped, 56) == Intensity(
        conv_intensity(dense, 56).macs + conv_intensity(grouped, 56).macs,
        conv_intensity(dense, 56).bytes_moved + conv_intensity(grouped, 56).bytes_moved,
    )


def test_conv_kind_names_kernel_and_grouping():
    assert conv_kind(nn.Conv2d(4, 4, 3, groups=2)) == "3×3 grouped" and conv_kind(nn.Conv2d(4, 4, (1, 3))) == "1×3"
    assert conv_kind(nn.Conv2d(4, 4, 1)) == "1×1"


def test_intensity_errors():
    with pytest.raises(TypeError, match="conv must be a torch.nn.Conv2d, not Linear"):
        conv_intensity(nn.Linear(2, 2), 8)
    with pytest.raises(ValueError, match="padding='same'"):
        conv_intensity(nn.Conv2d(2, 2, 3, padding="same"), 8)
    with pytest.raises(ValueError, match="batch_size=0 must be a positive integer"):
        conv_intensity(nn.Conv2d(2, 2, 3), 8, batch_size=0)
