"""Checks for Chapter 5's exercises (the full model). Each exercise is an ``Exercise`` (see ``core``) whose answer
comes from real modules built on ``meta``."""

from __future__ import annotations

from dataclasses import replace
from functools import lru_cache

import torch
from torch import nn

from ...counting import conv2d_output_size, count_parameters
from ...models import MODEL_CONFIGS, ModelConfig, ResNeXt, build_model
from ...validation import MAX_IMAGE_SIZE, check_positive_int
from .core import Exercise
from .feedback import Feedback
from .readers import WholeTuple

__all__ = ["RESNEXT152_LAYERS", "STAGES", "SIZES_IMAGE", "WIDTH_MODEL", "check_stage_params", "check_output_sizes",
           "check_grouped_width"]


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


# --- the parameters of ResNeXt-152's layer3 --------------------------------------------------------------------


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


def _stage_slips(blocks: int) -> dict[str, int]:
    """Wrong answers to "parameters of layer3 of ResNeXt-152 (32×4d)" that common slips produce."""
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
        "Did you count the first block twice, once as itself and once among the later blocks? The stage is one "
        "first block plus the later blocks.":
            count_parameters(first) + blocks * count_parameters(later),
        "You left out the first block: the stage is one first block plus the later blocks.":
            (blocks - 1) * count_parameters(later),
        "Your 3×3 convolutions are not grouped: with groups=C each filter sees only 1/C of the input channels, so "
        "divide their weights by C.": total + ungrouped_extra,
        f"That is ResNeXt-50's third stage ({MODEL_CONFIGS['resnext50_32x4d'].layers[2]} blocks), not "
        "ResNeXt-152's.":
            _layer3_params(MODEL_CONFIGS["resnext50_32x4d"].layers[2]),
        "That is ResNeXt-101's third stage, not ResNeXt-152's.":
            _layer3_params(MODEL_CONFIGS["resnext101_32x4d"].layers[2]),
    }


_STAGE = Exercise(
    "the number of parameters", {"blocks": RESNEXT152_LAYERS[2]},
    solve=_layer3_params,
    slips=_stage_slips,
    method=(f"Recount each part: the first block (with its projection shortcut) once, plus {RESNEXT152_LAYERS[2] - 1} "
            "times a later block; in each block every convolution and every BatchNorm (a scale and a shift per "
            "channel)."),
)


def check_stage_params(answer: object) -> Feedback:
    """Exercise: learnable parameters of ``layer3`` (the paper's conv4 stage, ``RESNEXT152_LAYERS[2]`` blocks) of
    ResNeXt-152 (32×4d)."""
    return _STAGE.check(answer)


# --- the output size of each stage -----------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _stage_output_sizes(model: str, image_size: int) -> tuple[int, ...]:
    """Side of the (square) output of each stage ``layer1, layer2, ...`` of ``model``, by running it on meta."""
    net = _meta_model(model)
    sizes: list[int] = []
    hooks = [s.register_forward_hook(lambda _m, _i, out: sizes.append(out.shape[-1])) for s in net.stages]
    try:
        with torch.device("meta"), torch.no_grad():
            net(torch.zeros(1, net.config.in_channels, image_size, image_size))
    finally:
        for hook in hooks:
            hook.remove()
    return tuple(sizes)


def _halvings(size: int, n: int) -> tuple[int, ...]:
    """``size``, then ``n - 1`` times the output of a 3×3 convolution with stride 2 and padding 1."""
    sizes = [size]
    while len(sizes) < n:
        sizes.append(conv2d_output_size(sizes[-1], 3, 2, 1)[0])
    return tuple(sizes)


STAGES = len(MODEL_CONFIGS["resnext50_32x4d"].layers)
SIZES_IMAGE = 320  # Exercise "sizes": a square image larger than the 224 x 224 crops of training


def _sizes_slips(model: str, image_size: int) -> dict[str, tuple[int, ...]]:
    # each slip changes one step of the real path: the stem's 7×7 conv with stride 2, its 3×3 max-pool with
    # stride 2, and the stride-2 first blocks of conv3, conv4 and conv5
    stem = conv2d_output_size(image_size, 7, 2, 3)[0]
    pooled = conv2d_output_size(stem, 3, 2, 1)[0]
    return {
        "Did you leave out the max-pool? The stem has a 3×3 max-pool with stride 2 after its 7×7 convolution, "
        "before conv2.": _halvings(stem, STAGES),
        "Follow the image through the stem: its 7×7 convolution has stride 2, and so has the 3×3 max-pool after it.":
            _halvings(image_size, STAGES),
        "conv2's first block has stride 1 (the max-pool has already reduced the map); only conv3, conv4 and conv5 "
        "start with a stride-2 block.": _halvings(pooled, STAGES + 1)[1:],
    }


def _sizes_diagnosis(sizes: tuple[int, ...], expected: tuple[int, ...], model: str, image_size: int) -> str:
    n = len(expected)
    if len(sizes) != n:
        return f"Give {n} numbers, one per stage from conv2 (layer1) to conv5 (layer4); you gave {len(sizes)}."
    if sizes[0] == expected[0]:
        stage = next(i for i in range(n) if sizes[i] != expected[i]) + 2
        return (f"The first size is right; stage {stage} (conv{stage}) is not. Each of conv3, conv4 and conv5 halves "
                "the size once (a 3×3 convolution with stride 2 and padding 1).")
    return ("The first size is off. Follow the image through the stem: a 7×7 convolution with stride 2, then a 3×3 "
            "max-pool with stride 2.")


_SIZES = Exercise(
    "the sizes", {"model": "resnext50_32x4d", "image_size": SIZES_IMAGE},
    solve=lambda model, image_size: _stage_output_sizes(model, check_positive_int("image_size", image_size,
                                                                                  MAX_IMAGE_SIZE)),
    reader=WholeTuple(f"a list of {STAGES} whole numbers, one per stage (conv2 to conv5)"),
    slips=_sizes_slips,
    diagnose=_sizes_diagnosis,
    echo=lambda sizes, model, image_size: (f"Sizes {', '.join(map(str, sizes))}: the stages give "
                                           f"{', '.join(f'{s}x{s}' for s in sizes)} maps."),
)


def check_output_sizes(answer: object, image_size: int = SIZES_IMAGE) -> Feedback:
    """Exercise: spatial size after conv2, conv3, conv4, conv5 (layer1..layer4) of ResNeXt-50 for a square image."""
    return _SIZES.check(answer, image_size=image_size)


# --- the grouped width of layer4 -------------------------------------------------------------------------------


def _layer4_width(model: str) -> int:
    return _meta_model(model).layer4[0].conv2.out_channels


def _width_slips(model: str) -> dict[str, int]:
    net = _meta_model(model)
    conv = net.layer4[0].conv2
    return {
        "C × d is the width in the first stage (conv2 / layer1) only; the width doubles at every later stage.":
            net.layer1[0].conv2.out_channels,
        "That is the width one stage earlier (layer3, the paper's conv4); layer4 doubles it.":
            net.layer3[0].conv2.out_channels,
        "That is the number of channels in each group; the question asks for the whole grouped layer, all C "
        "groups together.": conv.weight.shape[1],
        "That is d, the width of one path in the first stage.": net.config.bottleneck_width,
        "That is planes for layer4; the grouped width is int(planes × d / 64) × C.": net.layer4[0].planes,
    }


WIDTH_MODEL = "resnext50_4x24d"  # Exercise "width": not in chapter 3's width table (32x4d, 32x8d)

_WIDTH = Exercise(
    "the number of channels", {"model": WIDTH_MODEL},
    solve=_layer4_width,
    slips=_width_slips,
    method=("Recount each factor of the width rule int(planes * d / 64) * C for layer4: its planes, the "
            "bottleneck width d and the cardinality C of this model."),
)


def check_grouped_width(answer: object) -> Feedback:
    """Exercise: channels of the grouped 3×3 convolution (``conv2``) in ``layer4`` of ``WIDTH_MODEL``."""
    return _WIDTH.check(answer)
