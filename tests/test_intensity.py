"""``resnext_teach.intensity``: arithmetic intensity by hand, per layer kind, and every error path."""

import pytest
import torch
from torch import nn

from resnext_teach import build_model, measure_macs
from resnext_teach.intensity import Intensity, conv_intensity, conv_kind, profile_convolutions

from helpers import meta_image, meta_model, stage_inputs


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
    assert result.flops == 2 * macs and result.flops_per_byte == pytest.approx(2 * macs / bytes_moved)
    assert conv_intensity(conv, (56, 56), batch, bytes_per_element=2).bytes_moved == bytes_moved // 2


def test_grouped_layer_has_lower_intensity():
    dense, grouped = meta_model("resnet50").layer1[1].conv2, meta_model("resnext50_32x4d").layer1[1].conv2
    assert conv_intensity(dense, 56).flops_per_byte > 10 * conv_intensity(grouped, 56).flops_per_byte
    assert conv_intensity(dense, 56) + conv_intensity(grouped, 56) == Intensity(
        conv_intensity(dense, 56).macs + conv_intensity(grouped, 56).macs,
        conv_intensity(dense, 56).bytes_moved + conv_intensity(grouped, 56).bytes_moved,
    )


def test_profile_convolutions_groups_layers_by_kind_and_cleans_up():
    model = build_model("resnext_cifar_small").train()
    x = torch.randn(2, 3, 16, 16)
    profile = profile_convolutions(model, x, repeats=2)
    assert model.training
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(not c._forward_hooks and not c._forward_pre_hooks for c in convs)
    assert [p.kind for p in profile] == ["3×3", "1×1", "3×3 grouped"]  # order of first appearance
    assert {p.kind: p.layers for p in profile} == {"3×3": 1, "1×1": 9, "3×3 grouped": 3}
    assert sum(p.intensity.macs for p in profile) == measure_macs(model, x) - 2 * model.fc.in_features * model.fc.out_features
    assert all(p.seconds > 0 and p.gflops_per_second > 0 for p in profile)
    grouped = next(p for p in profile if p.kind == "3×3 grouped")
    inputs = stage_inputs(model, x)
    expected = sum((conv_intensity(s[0].conv2, tuple(inputs[f"layer{i + 1}"].shape[2:]), 2)
                    for i, s in enumerate(model.stages)), Intensity(0, 0))
    assert grouped.intensity == expected
    assert conv_kind(nn.Conv2d(4, 4, 3, groups=2)) == "3×3 grouped" and conv_kind(nn.Conv2d(4, 4, (1, 3))) == "1×3"


def test_intensity_errors():
    with pytest.raises(ValueError, match="conv must be a torch.nn.Conv2d, not Linear"):
        conv_intensity(nn.Linear(2, 2), 8)
    with pytest.raises(ValueError, match="padding='same'"):
        conv_intensity(nn.Conv2d(2, 2, 3, padding="same"), 8)
    with pytest.raises(ValueError, match="batch_size=0 must be a positive integer"):
        conv_intensity(nn.Conv2d(2, 2, 3), 8, batch_size=0)
    with pytest.raises(ValueError, match="model has no nn.Conv2d layer"):
        profile_convolutions(nn.Linear(2, 2), torch.randn(1, 2))
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        profile_convolutions("resnet50", torch.randn(1, 2))
    with pytest.raises(ValueError, match="repeats=0 must be a positive integer"):
        profile_convolutions(nn.Conv2d(2, 2, 1), torch.randn(1, 2, 4, 4), repeats=0)
    with pytest.raises(ValueError, match="times CPU execution; inputs are on meta"):
        profile_convolutions(nn.Conv2d(2, 2, 1), meta_image(4, channels=2))
