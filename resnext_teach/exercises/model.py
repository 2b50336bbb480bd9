"""Checks for Chapter 5's exercises (the full model). Expected values come from real modules built on ``meta``."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import torch
from torch import nn

from ..counting import conv2d_output_size, count_parameters
from ..models import MODEL_CONFIGS, ModelConfig, ResNeXt, build_model
from ..validation import check_positive_int
from .core import Feedback, check_integer, read_whole_numbers, right, wrong


@lru_cache(maxsize=None)
def _meta_model(name: str) -> ResNeXt:
    with torch.device("meta"):
        return build_model(name)


def _conv_weights(module: nn.Module) -> int:
    return sum(m.weight.numel() for m in module.modules() if isinstance(m, nn.Conv2d))


RESNEXT152_LAYERS = (3, 8, 36, 3)
"""Blocks per stage of the 152-layer ImageNet ResNet (He et al. 2016, Table 1), and so of ResNeXt-152."""


@lru_cache(maxsize=None)
def resnext152_config() -> ModelConfig:
    """ResNeXt-152 (32×4d): ResNeXt-50's stages with 3, 8, 36 and 3 blocks."""
    return replace(MODEL_CONFIGS["resnext50_32x4d"], layers=RESNEXT152_LAYERS)


@lru_cache(maxsize=None)
def _layer3_blocks() -> tuple[nn.Module, nn.Module]:
    """The first and a later block of ResNeXt-152's layer3 (a later block stands for all 35 identical ones)."""
    short = replace(resnext152_config(), layers=(1, 1, 2, 1))
    with torch.device("meta"):
        stage = ResNeXt(short).layer3
    return stage[0], stage[1]


def _layer3_params(blocks: int) -> int:
    first, later = _layer3_blocks()
    return count_parameters(first) + (blocks - 1) * count_parameters(later)


def stage_params_hints() -> dict[str, int]:
    """Wrong answers to "parameters of layer3 of ResNeXt-152 (32×4d)" that common slips produce."""
    blocks = RESNEXT152_LAYERS[2]
    first, later = _layer3_blocks()
    total = _layer3_params(blocks)
    ungrouped_extra = blocks * later.conv2.weight.numel() * (later.conv2.groups - 1)  # same 3×3 in every block
    return {
        "You counted only the convolution weights: each BatchNorm layer also learns a scale and a shift per "
        "channel.": _conv_weights(first) + (blocks - 1) * _conv_weights(later),
        "You left out the projection shortcut (downsample: a 1×1 convolution and its BatchNorm) of the first "
        "block.": total - count_parameters(first.downsample),
        "You multiplied a later block by the number of blocks, but the first block is different: it reads a "
        "narrower input and has the projection shortcut.": blocks * count_parameters(later),
        "You multiplied the first block by the number of blocks, but only the first block has the projection "
        "shortcut and the narrower input.": blocks * count_parameters(first),
        "You counted one block too many: the stage is one first block plus the later blocks.":
            count_parameters(first) + blocks * count_parameters(later),
        "You left out the first block: the stage is one first block plus the later blocks.":
            (blocks - 1) * count_parameters(later),
        "Your 3×3 convolutions are not grouped: with groups=C each filter sees only 1/C of the input channels, so "
        "divide their weights by C.": total + ungrouped_extra,
        "That is ResNeXt-50's third stage (6 blocks); ResNeXt-152's has more.":
            _layer3_params(MODEL_CONFIGS["resnext50_32x4d"].layers[2]),
        "That is ResNeXt-101's third stage; ResNeXt-152's has more blocks.":
            _layer3_params(MODEL_CONFIGS["resnext101_32x4d"].layers[2]),
    }


def check_stage_params(answer: object) -> Feedback:
    """Exercise: learnable parameters of ``layer3`` (the paper's conv4 stage, 36 blocks) of ResNeXt-152 (32×4d)."""
    expected = _layer3_params(RESNEXT152_LAYERS[2])
    method = ("Recount each part: the first block (with its projection shortcut) once, plus 35 times a later "
              "block; in each block every convolution and every BatchNorm (a scale and a shift per channel).")
    return check_integer(answer, expected, stage_params_hints(), what="the number of parameters", method=method)


def stage_output_sizes(name: str = "resnext50_32x4d", image_size: int = 320) -> list[int]:
    """Side of the (square) output of each stage ``layer1, layer2, ...`` of model ``name``, by running it on meta."""
    return list(_stage_output_sizes(name, check_positive_int("image_size", image_size)))


@lru_cache(maxsize=64)
def _stage_output_sizes(name: str, image_size: int) -> tuple[int, ...]:
    model = _meta_model(name)
    sizes: list[int] = []
    hooks = [s.register_forward_hook(lambda _m, _i, out: sizes.append(out.shape[-1])) for s in model.stages]
    try:
        with torch.device("meta"), torch.no_grad():
            model(torch.zeros(1, model.config.in_channels, image_size, image_size))
    finally:
        for hook in hooks:
            hook.remove()
    return tuple(sizes)


def check_output_sizes(answer: object, image_size: int = 320) -> Feedback:
    """Exercise: spatial size after conv2, conv3, conv4, conv5 (layer1..layer4) of ResNeXt-50 for a square image."""
    expected = stage_output_sizes("resnext50_32x4d", image_size)  # checks image_size
    n = len(expected)
    if answer is not None and not isinstance(answer, (list, tuple)) and not hasattr(answer, "tolist"):
        return wrong(f"Give a list of {n} whole numbers, one per stage (conv2 to conv5).")
    values = read_whole_numbers(answer, "the sizes", ordered=True,
                                form=f"a list of {n} whole numbers, one per stage (conv2 to conv5)")
    if isinstance(values, Feedback):
        return values
    answer = values
    if len(answer) != n:
        return wrong(f"Give {n} numbers, one per stage from conv2 (layer1) to conv5 (layer4); you gave {len(answer)}.")
    if answer == expected:
        return right(f"The stages give {', '.join(f'{s}x{s}' for s in answer)} maps.")
    # Slips, each computed by changing one step of the real path (stem conv, max-pool, stride-2 stages).
    stem = conv2d_output_size(image_size, 7, 2, 3)[0]
    no_pool = [stem] + [stem // 2**i for i in range(1, n)]
    if answer == no_pool or answer == [2 * e for e in expected]:
        return wrong("Every size is twice too large: the stem also has a 3×3 max-pool with stride 2 before conv2.")
    if answer == [4 * e for e in expected]:
        return wrong("Every size is 4 times too large: the stem (7×7 conv) and the max-pool each halve the image.")
    if answer == [e // 2 for e in expected]:
        return wrong("Every size is half what it should be: conv2's first block has stride 1 (the max-pool already "
                     "halved the map); only conv3, conv4 and conv5 start with a stride-2 block.")
    if answer[0] == expected[0]:
        wrong_at = next(i for i in range(n) if answer[i] != expected[i])
        return wrong(f"The first size is right; stage {wrong_at + 2} (conv{wrong_at + 2}) is not. Each of conv3, conv4 "
                     "and conv5 halves the size once (a 3×3 convolution with stride 2 and padding 1).")
    return wrong("The first size is off. Follow the image through the stem: a 7×7 convolution with stride 2, then a "
                 "3×3 max-pool with stride 2.")


def check_grouped_width(answer: object) -> Feedback:
    """Exercise: channels of the grouped 3×3 convolution (``conv2``) in ``layer4`` of ResNeXt-101 (32×8d)."""
    model = _meta_model("resnext101_32x8d")
    conv = model.layer4[0].conv2
    expected = conv.out_channels
    c = conv.groups
    hints = {
        "C × d is the width in the first stage (conv2 / layer1) only; the width doubles at every later stage.":
            model.layer1[0].conv2.out_channels,
        "That is the width one stage earlier (layer3, the paper's conv4); layer4 doubles it.":
            model.layer3[0].conv2.out_channels,
        "That is the number of channels in each group; the question asks for the whole grouped layer, all C "
        "groups together.": expected // c,
        "That is d, the width of one path in the first stage.": model.config.bottleneck_width,
        "That is planes for layer4; the grouped width is int(planes × d / 64) × C.": model.layer4[0].planes,
    }
    method = ("Recount each factor of the width rule int(planes * d / 64) * C for layer4: its planes, the "
              "bottleneck width d and the cardinality C of this model.")
    return check_integer(answer, expected, hints, what="the number of channels", method=method)
