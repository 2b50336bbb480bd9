"""Grouped convolution from scratch equals nn.Conv2d(groups=g); the connectivity mask matches the weights."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from resnext_teach import GroupedConv2d, connectivity_mask


@st.composite
def grouped_configs(draw):
    groups = draw(st.sampled_from([1, 2, 3, 4, 8]))
    return (
        groups * draw(st.integers(1, 4)),  # in_channels
        groups * draw(st.integers(1, 4)),  # out_channels
        draw(st.sampled_from([1, 3, (3, 1)])),
        groups,
        draw(st.integers(1, 2)),  # stride
        draw(st.integers(0, 1)),  # padding
        draw(st.booleans()),  # bias
    )


@given(grouped_configs())
def test_from_scratch_equals_pytorch_both_ways(cfg):
    c_in, c_out, k, g, stride, padding, bias = cfg
    ref = nn.Conv2d(c_in, c_out, k, stride=stride, padding=padding, groups=g, bias=bias).double()
    x = torch.randn(2, c_in, 7, 7, dtype=torch.float64)
    ours = GroupedConv2d.from_conv2d(ref)
    torch.testing.assert_close(ours(x), ref(x), rtol=1e-12, atol=1e-12)
    back = ours.to_conv2d()
    assert torch.equal(back.weight, ref.weight)
    torch.testing.assert_close(back(x), ref(x), rtol=0, atol=0)
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in ref.parameters())


def test_fresh_module_exports_to_an_equal_conv():
    ours = GroupedConv2d(64, 128, 3, groups=32, padding=1)
    x = torch.randn(1, 64, 8, 8)
    torch.testing.assert_close(ours.to_conv2d()(x), ours(x))


@given(st.sampled_from([1, 2, 4, 8]), st.integers(1, 3), st.integers(1, 3))
def test_mask_is_where_the_gradient_flows(g, a, b):
    """Entry [o, i] of the mask is True exactly when output o depends on input i (measured by autograd)."""
    c_in, c_out = g * a, g * b
    conv = nn.Conv2d(c_in, c_out, 1, groups=g, bias=False).double()
    x = torch.randn(1, c_in, 1, 1, dtype=torch.float64)
    jac = torch.autograd.functional.jacobian(lambda t: conv(t).flatten(), x).reshape(c_out, c_in)
    assert torch.equal(jac != 0, connectivity_mask(c_in, c_out, g))


def test_mask_counts():
    assert connectivity_mask(64, 128, 1).all()
    assert connectivity_mask(64, 128, 32).sum() == 64 * 128 // 32
    assert connectivity_mask(8, 8, 8).equal(torch.eye(8, dtype=torch.bool))  # depthwise


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="groups=3 must divide in_channels=64"):
        GroupedConv2d(64, 128, 3, groups=3)
    with pytest.raises(ValueError, match="groups=5 must divide out_channels=64"):
        connectivity_mask(10, 64, 5)
    with pytest.raises(ValueError, match=r"expected input of shape \(N, 8, H, W\)"):
        GroupedConv2d(8, 8, 3, groups=2)(torch.randn(1, 4, 5, 5))
    with pytest.raises(ValueError, match="this module has"):
        GroupedConv2d(8, 8, 3, groups=2).load_conv2d(nn.Conv2d(8, 8, 3, groups=4))
    with pytest.raises(ValueError, match="dilation=1"):
        GroupedConv2d.from_conv2d(nn.Conv2d(8, 8, 3, dilation=2))
