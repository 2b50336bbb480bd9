"""``resnext_teach.book.exercises.cardinality``: chapter 3's exercise checks against the formulas (right, wrong, never
revealing)."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from resnext_teach import ResNeXtBottleneck, build_model, complexity_preserving_width
from resnext_teach import paper
from resnext_teach.book.exercises.cardinality import (
    GROUPED_WIDTH_EXERCISE,
    NAIVE_EXERCISE,
    check_complexity_preserving_width,
    check_grouped_width,
    check_naive_template_params,
    check_template_params,
)

from helpers import free_of as shared_free_of

CONSTANT_TEXT = ("3x3", "1x1", "3 x 3 = 9", "9 d^2", "int(planes * d / 64)", "planes x 4", "256*d + 9*d*d + d*256",
                 "256 -> d", "d -> 256", "64 channels", "d = 64", "Eq. 4", "Table 2")
"""Fixed phrases of the feedback (formulas, layer names): the same whatever the answer, so they reveal nothing."""


def free_of(expected: int, message: str) -> bool:
    """``helpers.free_of``, apart from the fixed phrases in ``CONSTANT_TEXT``."""
    return shared_free_of(expected, message, ignore=CONSTANT_TEXT)


def _template_of_a_real_block(cardinality: int, bottleneck_width: int) -> int:
    """Eq. 4 measured: the weights of the three convolutions of a stage-1 block with 256 channels in and out."""
    with torch.device("meta"):
        block = ResNeXtBottleneck(256, 64, cardinality=cardinality, bottleneck_width=bottleneck_width)
    return sum(m.weight.numel() for m in (block.conv1, block.conv2, block.conv3))


def test_template_params_check():
    for c, d in ((12, 10), (16, 4), (1, 64)):  # the chapter's two exercises, and ResNet's template
        assert check_template_params(_template_of_a_real_block(c, d), cardinality=c, bottleneck_width=d)
    expected = 12 * (256 * 10 + 9 * 10 * 10 + 10 * 256)  # 72,240, the default question: C = 12, d = 10
    assert check_template_params(expected) and check_template_params(float(expected))
    assert check_template_params(16 * (256 * 4 + 9 * 4 * 4 + 4 * 256), cardinality=16, bottleneck_width=4)
    # the naive conversion: ResNet's 64 channels in 16 groups of 4, the same template with other values
    naive = _template_of_a_real_block(NAIVE_EXERCISE["cardinality"], NAIVE_EXERCISE["bottleneck_width"])
    assert NAIVE_EXERCISE == {"cardinality": 16, "bottleneck_width": 4} and naive == 16 * (2 * 256 * 4 + 9 * 4 * 4)
    assert check_naive_template_params(naive) and not check_naive_template_params(expected)
    assert "one path" in check_naive_template_params(2 * 256 * 4 + 9 * 4 * 4).message
    slips = {
        256 * 10 + 9 * 10 * 10 + 10 * 256: "one path",
        2 * 256 * 120 + 9 * 120 * 120: "dense",
        12 * (256 * 10 + 9 * 10 * 10): "two 1x1",
        12 * (2 * 256 * 10 + 10 * 10): "9 weights",
        expected + 2 * (120 + 120 + 256): "BatchNorm",
        expected + 120 + 120 + 256: "no bias",
    }
    for answer, hint in slips.items():
        fb = check_template_params(answer)
        assert not fb and hint in fb.message and free_of(expected, fb.message)
    assert "Replace None" in str(check_template_params(None))
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        check_template_params(1, cardinality=0)


def test_width_check():
    assert check_complexity_preserving_width(5)  # the chapter's C = 24: the root 5.19 rounds to 5
    assert check_complexity_preserving_width(8, cardinality=16)  # C = 16: the root 7.51 rounds to 8
    assert check_complexity_preserving_width(8.0, cardinality=16)
    assert "107.4%" in check_complexity_preserving_width(8, cardinality=16).message
    for c, d, _ in paper.TABLE2:
        assert check_complexity_preserving_width(d, cardinality=c)
    slips = {7: "how you rounded", 4: "splits ResNet's 64 channels", 64: "factor C", 7.51: "exact root",
             9: "Solve", 2: "Solve", 0: "positive", 7.2: "whole number", "8": "not text",
             float("nan"): "nan and infinity", None: "Replace None"}
    for answer, hint in slips.items():
        fb = check_complexity_preserving_width(answer, cardinality=16)
        assert not fb and hint in str(fb) and free_of(8, fb.message), (answer, fb)


@given(st.integers(1, 64), st.integers(-5, 200))
def test_width_check_never_reveals_the_answer(cardinality, answer):
    expected = complexity_preserving_width(cardinality)  # the rounded root of Eq. 4, as in Table 2
    fb = check_complexity_preserving_width(answer, cardinality=cardinality)
    assert bool(fb) == (answer == expected)
    if not fb:  # the message may quote the student's own d, never the expected one
        assert free_of(expected, fb.message.replace(f"d = {answer} ", " "))


def test_grouped_width_check():
    with torch.device("meta"):
        model = build_model("resnext50_8x14d")
    conv = model.layer3[0].conv2  # the exercise's layer: ResNeXt-50 8x14d's layer3, planes=256
    assert isinstance(conv, nn.Conv2d) and conv.groups == 8 and GROUPED_WIDTH_EXERCISE["planes"] == 256
    expected = conv.out_channels
    assert check_grouped_width(expected) and check_grouped_width(model.layer4[0].conv2.out_channels, planes=512)
    assert check_grouped_width(int(512 * 4 / 64) * 32, planes=512, cardinality=32, bottleneck_width=4)
    slips = {expected // 8: "single group", 8 * 14: "first stage", 1024: "output width", 256: "planes itself",
             256 * 14 * 8: "divide by 64"}
    for answer, hint in slips.items():
        fb = check_grouped_width(answer)
        assert not fb and hint in fb.message and free_of(expected, fb.message)
    assert "Recount" in check_grouped_width(600).message
    with pytest.raises(ValueError, match="channels per path"):
        check_grouped_width(1, planes=8, bottleneck_width=4)


def test_grouped_width_check_for_the_chapters_exercise():
    """Chapter 3 asks for ResNeXt-50 8x14d's third stage (the chapter's width table shows 32x4d and 32x8d)."""
    with torch.device("meta"):
        conv = build_model("resnext50_8x14d").layer3[0].conv2
    kwargs = dict(planes=256, cardinality=8, bottleneck_width=14)
    assert conv.groups == 8 and check_grouped_width(conv.out_channels, **kwargs)
    slips = {56: "single group", 112: "first stage", 1024: "output width", 256: "planes itself",
             256 * 14 * 8: "divide by 64"}
    for answer, hint in slips.items():
        fb = check_grouped_width(answer, **kwargs)
        assert not fb and hint in fb.message and free_of(conv.out_channels, fb.message)


@given(st.sampled_from([64, 128, 256, 512]), st.sampled_from([1, 2, 4, 8, 32, 64]), st.integers(1, 64),
       st.integers(0, 5000))
def test_checks_agree_with_the_formulas(planes, cardinality, d, answer):
    expected_params = cardinality * (256 * d + 9 * d * d + d * 256)
    fb = check_template_params(answer, cardinality=cardinality, bottleneck_width=d)
    assert bool(fb) == (answer == expected_params)
    assert fb or free_of(expected_params, fb.message)
    if planes * d >= 64:
        width = int(planes * d / 64) * cardinality
        fb = check_grouped_width(answer, planes=planes, cardinality=cardinality, bottleneck_width=d)
        assert bool(fb) == (answer == width)
        assert fb or free_of(width, fb.message)
