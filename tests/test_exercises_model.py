"""``resnext_teach.exercises.model``: chapter 5's exercise checks against real models (right, wrong, never
revealing)."""

import torch

from resnext_teach import ResNeXt, conv2d_output_size
from resnext_teach.exercises.model import (
    RESNEXT152_LAYERS,
    check_grouped_width,
    check_output_sizes,
    check_stage_params,
    resnext152_config,
    stage_params_hints,
)

from helpers import assert_never_reveals as assert_hidden, meta_image, meta_model


def test_check_stage_params():
    with torch.device("meta"):
        stage = ResNeXt(resnext152_config()).layer3
    assert len(stage) == RESNEXT152_LAYERS[2] == 36
    expected = sum(p.numel() for p in stage.parameters())
    assert check_stage_params(expected) and check_stage_params(float(expected))
    hints = stage_params_hints()
    assert len(set(hints.values())) == len(hints) and expected not in hints.values()
    for message, value in hints.items():
        fb = check_stage_params(value)
        assert fb.message == message
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
        "twice too large": [160, 80, 40, 20],
        "4 times too large": [320, 160, 80, 40],
        "half what it should be": [40, 20, 10, 5],
        "The first size is right; stage 3": [80, 20, 10, 5],
        "The first size is off": [79, 40, 20, 10],
        "Give 4 numbers": [80, 40, 20],
        "whole number": [80.5, 40, 20, 10],
        "Give a list of 4 whole numbers": "80, 40, 20, 10",
        "Replace None": None,
    }
    for phrase, answer in cases.items():
        fb = check_output_sizes(answer)
        assert phrase in fb.message, (answer, fb.message)
        assert_hidden(fb, *observed)
    assert conv2d_output_size(320, 7, 2, 3) == (160, 160)


def test_check_grouped_width():
    conv = meta_model("resnext101_32x8d").layer4[0].conv2
    expected = conv.out_channels
    assert conv.groups == 32 and conv.weight.shape[1] == expected // 32
    assert check_grouped_width(expected)
    for answer, phrase in ((256, "first stage"), (1024, "one stage earlier"), (expected // 32, "each group"),
                           (8, "That is d"), (512, "planes"), (4096, "Recount"), (2047, "Recount")):
        fb = check_grouped_width(answer)
        assert phrase in fb.message, (answer, fb.message)
        assert_hidden(fb, expected)
