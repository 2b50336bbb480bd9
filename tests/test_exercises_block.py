"""``resnext_teach.book.exercises.block``: chapter 4's exercise checks against real blocks (right, wrong, never
revealing)."""

import torch
from torch import nn

from resnext_teach import ResNeXtBottleneck, count_parameters
from resnext_teach.book.exercises.block import (
    CONV2_BLOCK,
    FIRST_BLOCK,
    SHORTCUT_CHOICES,
    STRIDED_BLOCK,
    STRIDED_INPUT,
    check_conv2_params,
    check_first_block_conv_params,
    check_shortcuts,
    check_strided_macs,
)
from resnext_teach.book.exercises.feedback import NOT_ANSWERED

from helpers import assert_never_reveals as assert_hides, counted_macs


def test_conv2_params_exercise():
    answer = ResNeXtBottleneck(**CONV2_BLOCK).conv2.weight.numel()
    assert check_conv2_params(answer) and check_conv2_params(float(answer))
    slips = {
        "without groups": 1024 * 1024 * 9,
        "one group's weights": answer // 64,
        "no bias": answer + 1024,
        "doubles with every stage": 256 * 4 * 9,
    }
    for phrase, wrong in slips.items():
        fb = check_conv2_params(wrong)
        assert_hides(fb, answer)
        assert phrase in fb.message, (phrase, fb.message)
    for wrong in (answer + 1, 2 * answer, 7):
        assert_hides(check_conv2_params(wrong), answer)
    assert check_conv2_params(None).message == NOT_ANSWERED
    assert "not text" in check_conv2_params(str(answer)).message


def test_first_block_exercise():
    block = ResNeXtBottleneck(**FIRST_BLOCK)
    answer = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
    assert check_first_block_conv_params(answer)
    bn = count_parameters(block) - answer
    projection = block.downsample[0].weight.numel()
    dense_conv2 = answer - block.conv2.weight.numel() + 128 * 128 * 9
    slips = {
        "count the projection too": answer - projection,
        "includes BatchNorm": answer + bn,
        "misses the projection": answer + bn - projection,
        "is grouped": dense_conv2,
    }
    for phrase, wrong in slips.items():
        fb = check_first_block_conv_params(wrong)
        assert_hides(fb, answer)
        assert phrase in fb.message, (phrase, fb.message)
    assert check_first_block_conv_params(None).message == NOT_ANSWERED


def test_strided_macs_exercise():
    block = ResNeXtBottleneck(**STRIDED_BLOCK)
    # conv2 sees conv1's output: the block's input size, conv1's width (a 1x1 with stride 1)
    x = torch.zeros(1, block.conv2.in_channels, STRIDED_INPUT, STRIDED_INPUT)
    answer = counted_macs(block.conv2, x)  # FlopCounterMode on the real layer
    assert block.conv2(x).shape[2:] == (28, 28)
    assert check_strided_macs(answer)
    width = block.conv2.in_channels
    slips = {
        "output positions": answer * 4,
        "counts a multiply-add as 2": 2 * answer,
        "number of weights": block.conv2.weight.numel(),
        "only its group's": width * width * 9 * 28 * 28,
        "twice as wide": (width // 2) * 8 * 9 * 28 * 28,
    }
    for phrase, wrong in slips.items():
        fb = check_strided_macs(wrong)
        assert_hides(fb, answer)
        assert phrase in fb.message, (phrase, fb.message)
    assert check_strided_macs(None).message == NOT_ANSWERED


def test_shortcut_exercise():
    expected = {k for k, spec in SHORTCUT_CHOICES.items() if ResNeXtBottleneck(**spec).downsample is not None}
    # the rule, stated independently of the block: the shortcut must match the main branch's output shape
    assert expected == {k for k, spec in SHORTCUT_CHOICES.items()
                        if spec["stride"] != 1 or spec["in_channels"] != 4 * spec["planes"]} == {"B", "E", "F"}
    assert check_shortcuts(expected) and "B, E, F" in check_shortcuts("FEB").message
    for right in ("BEF", "b, e, f", ["F", "B", "E"], {"B", "E", "F"}, ("e", "b", "f")):
        assert check_shortcuts(right), right
    cases = {
        "BF": "stride of 2 alone",  # E: same channels, stride 2 (the blocks whose channels change)
        "BE": "input channels",  # F: channels change (the strided blocks)
        "F": "stride of 2 alone",  # B and E left out, E with the same channels
        "EF": "input channels",  # B left out: its channels change
        "ABEF": "1 of your choices keeps",
        "ACDBEF": "3 of your choices keep",
        "": "You left out 3 blocks that need one",
    }
    for answer, phrase in cases.items():
        fb = check_shortcuts(answer)
        assert not fb and phrase in fb.message, (answer, fb.message)
        for leak in ("BEF", "B, E", "B and E", "'B'"):
            assert leak not in fb.message
    assert "are not one of them" in check_shortcuts("BXZ").message
    assert "as a string" in check_shortcuts(5).message
    assert check_shortcuts(None).message == NOT_ANSWERED


def test_check_timing_words_against_the_rule_by_hand():
    from resnext_teach.book.exercises.block import VERDICT_CHOICES, check_timing_words
    from resnext_teach.timing import DEAD_BAND

    slower = {k for k, (_, low, _) in VERDICT_CHOICES.items() if low > 1 + DEAD_BAND}  # the rule, written out
    assert slower == {"B", "E"}
    assert check_timing_words("".join(sorted(slower))) and check_timing_words(set(slower))
    assert check_timing_words(["e", "b"])  # letters in either case, in a container
    for wrong, hint in [("ABCE", "middle value"), ("BCE", "inside the band"), ("ABE", "whole interval"),
                        ("D", "whole interval lies"), ("B", "whole interval lies"), ("X", "not one of them")]:
        feedback = check_timing_words(wrong)
        assert not feedback and hint in feedback.message, (wrong, feedback)
        assert "B, E" not in feedback.message and "BE" not in feedback.message  # never names the answer
    assert not check_timing_words(None).answered
