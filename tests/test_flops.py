"""FLOPs: the counter's conventions, and the pinned correction of its grouped-convolution backward count."""

import pytest
import torch
from torch import nn

from resnext_teach import conv2d_macs, measure_flops, measure_macs
from resnext_teach.flops import flops_by_module


@pytest.mark.parametrize("groups", [1, 2, 4, 32, 64])
@pytest.mark.parametrize("input_grad", [True, False])
def test_corrected_backward_is_twice_forward(groups, input_grad):
    conv = nn.Conv2d(64, 128, 3, padding=1, groups=groups, bias=False)
    x = torch.randn(2, 64, 8, 8, requires_grad=input_grad)
    forward = measure_flops(conv, x)
    assert forward == 2 * conv2d_macs(64, 128, 3, 8, groups=groups, batch_size=2)
    total = measure_flops(conv, x, backward=True)
    # backward: weight gradient always, input gradient only when the input needs it
    assert total == forward + forward * (2 if input_grad else 1)


@pytest.mark.parametrize("groups", [1, 4, 32])
def test_raw_counter_overcounts_grouped_backward(groups):
    """Pins the behaviour the book warns about: raw backward = (1 + G) x forward. If PyTorch fixes its formula,
    this test fails and the warning in flops.py and the chapters must be updated."""
    conv = nn.Conv2d(64, 128, 3, padding=1, groups=groups, bias=False)
    x = torch.randn(2, 64, 8, 8, requires_grad=True)
    forward = measure_flops(conv, x)
    raw = measure_flops(conv, x, backward=True, corrected=False)
    assert raw - forward == (1 + groups) * forward


def test_counter_counts_a_multiply_add_as_two_and_skips_bn_relu():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 4 * 4, 5))
    x = torch.randn(1, 3, 6, 6)
    expected_macs = conv2d_macs(3, 8, 3, 4) + 8 * 4 * 4 * 5
    assert measure_macs(model.eval(), x) == expected_macs
    assert flops_by_module(model, x)["Global"] == 2 * expected_macs


def test_bad_module():
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        measure_flops(lambda t: t, torch.randn(1))
