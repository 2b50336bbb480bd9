"""``resnext_teach.book.exercises.convolution``: chapter 1's exercise layers and checks (right, wrong, never revealing)."""

import re

import torch
from torch import nn

from resnext_teach.book.exercises.convolution import (
    DOUBLING_LAYER,
    MACS_INPUT_SIZE,
    MACS_LAYER,
    PARAMS_LAYER,
    SHAPE_LAYER,
    ConvLayer,
    check_doubling_exercise,
    check_macs_exercise,
    check_params_exercise,
    check_weight_shape_exercise,
)

from helpers import assert_never_reveals, counted_flops


def test_exercise_layers_print_as_code_that_builds_them():
    for layer in (PARAMS_LAYER, SHAPE_LAYER, MACS_LAYER, DOUBLING_LAYER):
        built = eval(layer.code(), {"nn": nn})  # noqa: S307 - our own constant strings
        reference = layer.build(device="cpu")
        assert repr(built) == repr(reference)
    assert ConvLayer(3, 8, 3).code() == "nn.Conv2d(3, 8, 3)"
    assert ConvLayer(3, 8, 3, stride=2, bias=False).code() == "nn.Conv2d(3, 8, 3, stride=2, bias=False)"


def test_params_exercise():
    layer = nn.Conv2d(32, 96, 5)  # the exercise's layer, PyTorch's default bias
    assert PARAMS_LAYER.code() == "nn.Conv2d(32, 96, 5)"
    answer = sum(p.numel() for p in layer.parameters())
    assert check_params_exercise(answer) and check_params_exercise(float(answer))
    forms = (str(answer), f"{answer:,}")
    weights = layer.weight.numel()
    slips = {
        weights: "forget the bias",
        32 * 96 * 5 + 96: "K instead of K*K",
        32 * 96 * 5: "K instead of K*K",
        weights + 32: "per output channel, not per input channel",
        weights + 1: "not one for the whole layer",
    }
    for wrong, hint in slips.items():
        feedback = check_params_exercise(wrong)
        assert_never_reveals(feedback, *forms)
        assert hint in feedback.message
    for wrong in (answer + 7, 2 * answer, 0, -answer, answer + 0.5):
        assert_never_reveals(check_params_exercise(wrong), *forms)
    assert "Replace None" in check_params_exercise(None).message
    assert "not text" in check_params_exercise(str(answer)).message


def test_weight_shape_exercise():
    expected = tuple(nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False).weight.shape)
    assert check_weight_shape_exercise(expected)
    assert check_weight_shape_exercise(list(expected))
    assert check_weight_shape_exercise(torch.Size(expected))
    assert check_weight_shape_exercise(tuple(torch.tensor(expected).tolist()))
    forms = (str(expected), str(list(expected)), ", ".join(map(str, expected)))
    c_out, c_in, k, _ = expected
    slips = {
        (c_in, c_out, k, k): "swapped the first two axes",
        (c_out, k, k): "four axes",
        (c_out, c_in, k): "four axes",
        (1, c_out, c_in, k, k): "four axes",
        (k, k, c_out, c_in): "wrong order",
        (c_out, c_in, 4, 4): "kernel's height and width",
        (c_out, 1, k, k): "input channels",
        (2 * c_out, c_in, k, k): "output channels",
    }
    for wrong, hint in slips.items():
        feedback = check_weight_shape_exercise(wrong)
        assert_never_reveals(feedback, *forms)
        assert hint in feedback.message, (wrong, feedback.message)
    for wrong, hint in ((None, "Replace None"), ("(64, 3, 7, 7)", "tuple of integers"), (64, "tuple of integers"),
                        ((64.5, 3, 7, 7), "whole number"), ((True, 3, 7, 7), "whole number")):
        feedback = check_weight_shape_exercise(wrong)
        assert not feedback and hint in feedback.message


def test_macs_exercise():
    layer = nn.Conv2d(64, 64, 3, stride=2, padding=1, bias=False)
    assert MACS_LAYER.code() == "nn.Conv2d(64, 64, 3, stride=2, padding=1, bias=False)" and MACS_INPUT_SIZE == 56
    flops, out = counted_flops(layer, torch.randn(1, 64, 56, 56))
    answer = flops // 2
    assert answer == 64 * 64 * 3 * 3 * out.shape[2] * out.shape[3]
    assert check_macs_exercise(answer)
    forms = (str(answer), f"{answer:,}")
    weights = layer.weight.numel()
    slips = {
        weights: "multiply by H x W",
        weights * 56 * 56: "output size, not the input size",
        64 * 64 * 3 * out.shape[2] * out.shape[3]: "K instead of K*K",
        weights * out.shape[2]: "only one side",
        flops: "FlopCounterMode",
    }
    for wrong, hint in slips.items():
        feedback = check_macs_exercise(wrong)
        assert_never_reveals(feedback, *forms)
        assert hint in feedback.message
    for wrong in (answer - 1, answer * 3, -5):
        assert_never_reveals(check_macs_exercise(wrong), *forms)


def test_doubling_exercise():
    assert DOUBLING_LAYER.code() == "nn.Conv2d(64, 128, 3, bias=False)"
    small = nn.Conv2d(64, 128, 3, bias=False).weight.numel()
    large = nn.Conv2d(64, 128, 6, bias=False).weight.numel()
    answer = large / small
    assert check_doubling_exercise(answer) and check_doubling_exercise(int(answer))
    slips = {2: "height and its width", small / large: "inverse", 1: "every kernel gets bigger",
             -answer: "positive", 0: "positive", 3: "divide", 8: "divide"}
    for wrong, hint in slips.items():
        feedback = check_doubling_exercise(wrong)
        assert not feedback and hint in feedback.message
        assert not re.search(rf"\b{int(answer)}(\.0+)?\b", feedback.message), feedback.message
    assert "Replace None" in check_doubling_exercise(None).message
    assert "not text" in check_doubling_exercise("4").message
    assert "not bool" in check_doubling_exercise(True).message
