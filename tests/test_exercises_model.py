"""``resnext_teach.book.exercises.model``: chapter 5's exercise checks against real models (right, wrong, never
revealing)."""

import torch

from torch import nn

from resnext_teach import ResNeXt, conv2d_output_size
from resnext_teach.book.exercises.model import (
    RESNEXT152_LAYERS,
    check_grouped_width,
    check_output_sizes,
    check_stage_params,
    resnext152_config,
)

from helpers import assert_never_reveals as assert_hidden, meta_image, meta_model, numel


def test_check_stage_params():
    with torch.device("meta"):
        stage = ResNeXt(resnext152_config()).layer3
    assert len(stage) == RESNEXT152_LAYERS[2] == 36
    expected = numel(stage)
    assert check_stage_params(expected) and check_stage_params(float(expected))
    first, later = stage[0], stage[1]
    conv2s = [block.conv2 for block in stage]
    slips = {  # each measured on the real stage, or on the other models' real stages
        "only the convolution weights": sum(m.weight.numel() for m in stage.modules() if isinstance(m, nn.Conv2d)),
        "projection shortcut": expected - numel(first.downsample),
        "multiplied a later block": 36 * numel(later),
        "multiplied the first block": 36 * numel(first),
        "first block twice": expected + numel(later),
        "left out the first block": expected - numel(first),
        "not grouped": expected + sum(c.weight.numel() * (c.groups - 1) for c in conv2s),
        "ResNeXt-50's third stage": numel(meta_model("resnext50_32x4d").layer3),
        "ResNeXt-101's third stage": numel(meta_model("resnext101_32x4d").layer3),
    }
    assert len(set(slips.values())) == len(slips) and expected not in slips.values()
    for phrase, value in slips.items():
        fb = check_stage_params(value)
        assert phrase in fb.message, (phrase, fb.message)
        assert_hidden(fb, expected)
    for value in (expected + 1, expected * 2, 1, 0, -expected, "7", None, True, 2.5):
        fb = check_stage_params(value)
        assert_hidden(fb, expected)
    assert "Replace None" in check_stage_params(None).message


def test_check_output_sizes():
    model = meta_model("resnext50_32x4d")
    observed = []
    hooks = [s.register_forward_hook(lambda _m, _i, out: observed.append(out.shape[-1])) for s in model.stages]
    with torch.no_grad():
        model(meta_image(320))
    for h in hooks:
        h.remove()
    assert observed == [80, 40, 20, 10]
    assert check_output_sizes(observed) and check_output_sizes(tuple(observed))
    assert check_output_sizes([56, 28, 14, 7], image_size=224)
    cases = {
        "leave out the max-pool": [160, 80, 40, 20],
        "so has the 3×3 max-pool": [320, 160, 80, 40],
        "conv2's first block has stride 1": [40, 20, 10, 5],
        "The first size is right; stage 3": [80, 20, 10, 5],
        "The first size is off": [79, 40, 20, 10],
        "Give 4 numbers": [80, 40, 20],
        "whole number": [80.5, 40, 20, 10],
        "as a list of 4 whole numbers": "80, 40, 20, 10",
        "A set has no order": {80, 40, 20, 10},
        "Replace None": None,
    }
    for phrase, answer in cases.items():
        fb = check_output_sizes(answer)
        assert phrase in fb.message, (answer, fb.message)
        assert_hidden(fb, *observed)
    assert conv2d_output_size(320, 7, 2, 3) == (160, 160)


def test_check_grouped_width():
    conv = meta_model("resnext50_4x24d").layer4[0].conv2  # 4 groups of 192 channels: 768
    expected = conv.out_channels
    assert conv.groups == 4 and conv.weight.shape[1] == expected // 4
    assert check_grouped_width(expected)
    for answer, phrase in ((96, "first stage"), (384, "one stage earlier"), (expected // 4, "each group"),
                           (24, "That is d"), (512, "planes"), (1536, "Recount"), (767, "Recount")):
        fb = check_grouped_width(answer)
        assert phrase in fb.message, (answer, fb.message)
        assert_hidden(fb, expected)
