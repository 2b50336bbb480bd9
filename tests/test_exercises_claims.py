"""``resnext_teach.book.exercises.claims``: chapters 6 and 7's exercise checks against real layers (right, wrong, never
revealing)."""

import statistics

import torch
from torch import nn

from resnext_teach import measure_flops
from resnext_teach.book.exercises.claims import (
    check_channel_pairs,
    check_intensity,
    check_jacobian_zeros,
    check_parameter_cut,
    check_test_images,
    check_training_macs,
)
from resnext_teach.book.exercises.feedback import NOT_ANSWERED
from resnext_teach.experiments.probes import channel_jacobian

from helpers import assert_never_reveals, counted_flops, counted_macs


def test_check_parameter_cut():
    dense = nn.Conv2d(256, 256, 3, bias=False, device="meta").weight.numel()
    grouped = nn.Conv2d(256, 256, 3, groups=64, bias=False, device="meta").weight.numel()
    expected = 100 * (dense - grouped) / dense
    assert check_parameter_cut(expected) and check_parameter_cut(round(expected, 2))
    by_32 = nn.Conv2d(256, 256, 3, groups=32, bias=False, device="meta").weight.numel()
    for wrong, hint in [(100 - expected, "remain"), (expected / 100, "percentage"),
                        (100 * (dense - by_32) / dense, "32 groups"), (50.0, "Count the weights"), (-3, "positive"),
                        ("98", "not text")]:
        fb = check_parameter_cut(wrong)
        assert not fb and hint in fb.message, (wrong, fb)
        assert_never_reveals(fb, expected)
    assert check_parameter_cut(None).message == NOT_ANSWERED


def test_check_jacobian_zeros():
    conv = nn.Conv2d(64, 64, 3, padding=1, groups=8, bias=False)
    expected = int((channel_jacobian(conv, torch.randn(1, 64, 3, 3)) == 0).sum())  # measured on the real layer
    assert check_jacobian_zeros(expected)
    for wrong, hint in [(64 * 64 - expected, "can be non-zero"), (8 * 8 - 8, "blocks"), (4000, "non-zero first")]:
        fb = check_jacobian_zeros(wrong)
        assert not fb and hint in fb.message, (wrong, fb)
        assert_never_reveals(fb, expected)


def test_check_training_macs():
    conv = nn.Conv2d(64, 64, 3, padding=1, groups=16, bias=False)
    x = torch.randn(1, 64, 8, 8, requires_grad=True)
    forward = counted_macs(conv, x.detach())  # FlopCounterMode's forward count is right for groups
    expected = 3 * forward  # the input gradient and the weight gradient each redo the forward's work
    assert measure_flops(conv, x, backward=True) // 2 == expected
    assert check_training_macs(expected)
    raw = measure_flops(conv, x, backward=True, corrected=False)
    for wrong, hint in [(raw // 2, "raw count"), (raw, "units"), (2 * expected, "2 FLOPs"), (forward, "forward pass"),
                        (2 * forward, "input needs"), (expected + 1, "forward pass's")]:
        fb = check_training_macs(wrong)
        assert not fb and hint in fb.message, (wrong, fb)
        assert_never_reveals(fb, expected)


def test_check_intensity():
    conv = nn.Conv2d(256, 256, 3, padding=1, groups=256, bias=False)
    x = torch.zeros(1, 256, 28, 28)
    flops, y = counted_flops(conv, x)
    moved = 4 * (x.numel() + conv.weight.numel() + y.numel())  # float32, each tensor moved once
    expected = (flops // 2) / moved
    assert check_intensity(expected) and check_intensity(round(expected, 3))
    macs, params = flops // 2, conv.weight.numel()
    dense = nn.Conv2d(256, 256, 3, padding=1, bias=False, device="meta")
    dense_macs = counted_flops(dense, torch.zeros(1, 256, 28, 28, device="meta"))[0] // 2
    for wrong, hint in [(macs / (moved // 4), "bytes"), (macs / (4 * (x.numel() + params)), "output"),
                        (dense_macs / moved, "dense"), (expected * 3, "Divide"), (0, "positive")]:
        fb = check_intensity(wrong)
        assert not fb and hint in fb.message, (wrong, fb)
        assert_never_reveals(fb, expected)


def test_check_test_images():
    """The fewest n for which the binomial standard error of an accuracy of 9 in 10 is at most half a point, found by
    trying every n, and checked against the spread of simulated test sets of that size."""

    def within(n):  # sqrt(0.9 * 0.1 / n) <= 0.005, squared and in whole numbers: 9 * 40,000 <= 100 * n
        return 9 * 40_000 <= 100 * n

    expected = next(n for n in range(1, 100_000) if within(n))
    assert check_test_images(expected) and not within(expected - 1)
    generator = torch.Generator().manual_seed(0)
    accuracies = (torch.rand(2_000, expected, generator=generator) < 0.9).double().mean(1)
    assert abs(statistics.stdev(accuracies.tolist()) - 0.005) < 0.0003
    for wrong, hint in [(900, "one percentage point"), (18, "square it"), (36_000, "p (1 - p)"), (10_000, "worst case"),
                        (expected + 1, "Solve"), (-1, "positive")]:
        fb = check_test_images(wrong)
        assert not fb and hint in fb.message, (wrong, fb)
        assert_never_reveals(fb, expected)


def test_check_channel_pairs():
    """Pairs of channels in different groups, counted pair by pair from the connectivity of a real 4-group layer."""
    conv = nn.Conv2d(24, 24, 1, groups=4, bias=False)
    group = [o // (conv.out_channels // conv.groups) for o in range(conv.out_channels)]
    expected = sum(group[a] != group[b] for a in range(24) for b in range(a + 1, 24))
    within = sum(group[a] == group[b] for a in range(24) for b in range(a + 1, 24))
    assert check_channel_pairs(expected)
    for wrong, hint in [(within, "within a group"), (within + expected, "every pair"), (2 * expected, "twice"),
                        (expected - 1, "Count all pairs")]:
        fb = check_channel_pairs(wrong)
        assert not fb and hint in fb.message, (wrong, fb)
        assert_never_reveals(fb, expected)
