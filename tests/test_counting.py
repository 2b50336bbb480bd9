"""The counting formulas against PyTorch's own modules (numel of real weights), and every error path."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from resnext_teach import conv2d_macs, conv2d_output_size, conv2d_params, count_parameters, legal_groups
from resnext_teach.flops import measure_flops

from helpers import pytorch_accepts


@st.composite
def conv_configs(draw):
    groups = draw(st.integers(1, 8))
    c_in = groups * draw(st.integers(1, 8))
    c_out = groups * draw(st.integers(1, 8))
    k = draw(st.one_of(st.integers(1, 5), st.tuples(st.integers(1, 5), st.integers(1, 5))))
    bias = draw(st.booleans())
    return c_in, c_out, k, groups, bias


@given(conv_configs())
def test_params_equal_numel_of_real_conv(cfg):
    c_in, c_out, k, groups, bias = cfg
    conv = nn.Conv2d(c_in, c_out, k, groups=groups, bias=bias, device="meta")
    assert conv2d_params(c_in, c_out, k, groups=groups, bias=bias) == sum(p.numel() for p in conv.parameters())


@given(conv_configs(), st.integers(5, 12), st.integers(1, 2), st.integers(0, 2))
def test_macs_equal_flop_counter_over_two(cfg, size, stride, padding):
    c_in, c_out, k, groups, _ = cfg
    conv = nn.Conv2d(c_in, c_out, k, groups=groups, stride=stride, padding=padding, bias=False)
    x = torch.randn(2, c_in, size, size)
    out_hw = conv2d_output_size(size, k, stride, padding)
    assert tuple(conv(x).shape[2:]) == out_hw
    assert 2 * conv2d_macs(c_in, c_out, k, out_hw, groups=groups, batch_size=2) == measure_flops(conv, x)


def test_the_books_example():
    assert conv2d_params(64, 128, 3) == nn.Conv2d(64, 128, 3, bias=False).weight.numel() == 73_728
    assert conv2d_params(64, 128, 3, groups=32) == nn.Conv2d(64, 128, 3, groups=32, bias=False).weight.numel() == 2_304
    default = nn.Conv2d(64, 128, 3)  # PyTorch's default bias=True
    assert conv2d_params(64, 128, 3, bias=True) == count_parameters(default) == 73_856


def test_count_parameters_counts_shared_tensors_once_and_skips_buffers():
    lin = nn.Linear(4, 3)
    model = nn.Sequential(lin, lin, nn.BatchNorm1d(3))
    assert count_parameters(model) == 4 * 3 + 3 + 2 * 3
    model[2].weight.requires_grad_(False)
    assert count_parameters(model, trainable_only=True) == 4 * 3 + 3 + 3


@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        ((64, 128, 3), {"groups": 3}, "groups=3 must divide in_channels=64"),
        ((66, 128, 3), {"groups": 3}, "groups=3 must divide out_channels=128"),
        ((64, 128, 3), {"groups": 0}, "groups=0 must be a positive integer"),
        ((64, 128, 3), {"groups": -2}, "groups=-2 must be a positive integer"),
        ((64, 128, 3), {"groups": True}, "groups=True must be a positive integer, not bool"),
        ((64, 128, 3), {"groups": 2.0}, "groups=2.0 must be a positive integer, not float"),
        ((0, 128, 3), {}, "in_channels=0 must be a positive integer"),
        ((64, -1, 3), {}, "out_channels=-1 must be a positive integer"),
        ((64, 128, 0), {}, "kernel_size=0 must be a positive integer"),
        ((64, 128, (3, 0)), {}, "kernel_size[1]=0 must be a positive integer"),
        ((64, 128, (3, 3, 3)), {}, "must be an int or a pair"),
        (("64", 128, 3), {}, "in_channels='64' must be a positive integer, not str"),
        ((64, 128, 3), {"bias": 1}, "bias=1 must be True or False"),
    ],
)
def test_conv2d_params_rejects_bad_input(args, kwargs, message):
    with pytest.raises((ValueError, TypeError)) as info:  # a wrong type (bool, float, str) is a TypeError
        conv2d_params(*args, **kwargs)
    assert message in str(info.value)


def test_macs_and_output_size_reject_bad_input():
    with pytest.raises(ValueError, match="output_size=0 must be a positive integer"):
        conv2d_macs(64, 128, 3, 0)
    with pytest.raises(ValueError, match="batch_size=0 must be a positive integer"):
        conv2d_macs(64, 128, 3, 8, batch_size=0)
    with pytest.raises(ValueError, match="larger than the padded input_size"):
        conv2d_output_size(2, 5)
    with pytest.raises(ValueError, match="padding=-1 must be a non-negative integer"):
        conv2d_output_size(8, 3, padding=-1)
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        count_parameters("resnet50")


# --- legal_groups ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("c_in, c_out", [(64, 128), (48, 72), (7, 14), (1, 1), (12, 18), (128, 64)])
def test_legal_groups_are_what_pytorch_accepts(c_in, c_out):
    accepted = [g for g in range(1, 2 * max(c_in, c_out) + 1) if pytorch_accepts(c_in, c_out, g)]
    assert legal_groups(c_in, c_out) == accepted


def test_legal_groups_errors_name_the_argument():
    with pytest.raises(ValueError, match="in_channels=0 must be a positive integer"):
        legal_groups(0, 4)
    with pytest.raises(TypeError, match="out_channels=2.5 must be a positive integer"):
        legal_groups(4, 2.5)
