"""The paper's three block forms (Fig. 3) compute the same function after converting weights."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from resnext_teach import FORM_TOLERANCE, FORMS, ResNeXtBottleneck, convert_block, make_block
from resnext_teach.blocks import AggregatedBottleneck


def randomize_bn(block: nn.Module) -> nn.Module:
    """Give every BN non-trivial statistics and affine parameters, so a wrong split would show."""
    with torch.no_grad():
        for m in block.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_()
                m.running_var.uniform_(0.5, 2.0)
                m.weight.normal_()
                m.bias.normal_()
    return block.eval()


@st.composite
def block_specs(draw):
    cardinality = draw(st.sampled_from([1, 2, 4, 8]))
    planes = draw(st.sampled_from([8, 16, 32]))
    bottleneck_width = draw(st.sampled_from([8, 16, 64]))
    in_channels = draw(st.sampled_from([planes * 4, 16, 24]))
    stride = draw(st.sampled_from([1, 2]))
    return dict(
        in_channels=in_channels, planes=planes, cardinality=cardinality, bottleneck_width=bottleneck_width, stride=stride
    )


@given(block_specs(), st.sampled_from(FORMS), st.sampled_from(FORMS))
def test_all_forms_agree_after_conversion(spec, source, target):
    src = randomize_bn(make_block(source, **spec))
    dst = convert_block(src, target).eval()
    x = torch.randn(2, spec["in_channels"], 8, 8)
    with torch.no_grad():
        torch.testing.assert_close(dst(x), src(x), **FORM_TOLERANCE)
    assert sum(p.numel() for p in dst.parameters()) == sum(p.numel() for p in src.parameters())


def test_round_trip_is_exact_and_keeps_mode():
    block = randomize_bn(ResNeXtBottleneck(256, 128, cardinality=32, bottleneck_width=4, stride=2))
    for form in FORMS:
        back = convert_block(convert_block(block, form), "grouped")
        assert not back.training
        for key, value in block.state_dict().items():
            assert torch.equal(back.state_dict()[key], value), key


def test_form_c_uses_torchvisions_names_and_width_rule():
    block = ResNeXtBottleneck(256, 128, cardinality=32, bottleneck_width=4, stride=2)
    names = [k for k in block.state_dict() if k.endswith("weight")]
    assert names == [
        "conv1.weight", "bn1.weight", "conv2.weight", "bn2.weight", "conv3.weight", "bn3.weight",
        "downsample.0.weight", "downsample.1.weight",
    ]
    assert block.conv2.groups == 32 and block.conv2.in_channels == int(128 * 4 / 64) * 32 == 256
    assert block.conv2.stride == (2, 2) and block.downsample[0].stride == (2, 2)
    assert ResNeXtBottleneck(256, 64).downsample is None  # identity shortcut when shapes match


def test_resnet_bottleneck_is_the_c1_d64_member():
    block = ResNeXtBottleneck(256, 64, cardinality=1, bottleneck_width=64)
    assert block.conv2.groups == 1 and block.conv2.weight.shape == (64, 64, 3, 3)


def test_aggregated_form_really_has_c_paths_summed():
    block = randomize_bn(AggregatedBottleneck(64, 16, cardinality=4, bottleneck_width=16))
    x = torch.randn(1, 64, 6, 6)
    with torch.no_grad():
        manual = block.relu(block.bn3(sum(p(x) for p in block.paths)) + x)
        torch.testing.assert_close(block(x), manual, rtol=0, atol=0)
    assert len(block.paths) == 4 and block.paths[0].conv2.weight.shape == (4, 4, 3, 3)


def test_errors_are_named():
    with pytest.raises(ValueError, match="form='tree' must be one of"):
        make_block("tree", 64, 64)
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        ResNeXtBottleneck(64, 64, cardinality=0)
    with pytest.raises(TypeError, match="block must be one of"):
        convert_block(nn.Conv2d(3, 3, 1), "grouped")
