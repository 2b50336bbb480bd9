"""The paper's Table 1, read off a built model: per stage the output size, the block specification, the
parameters and the multiply-adds.

Xie et al. 2017, Table 1 names the stages of an ImageNet ResNet/ResNeXt ``conv1`` (the 7x7 stem), ``conv2`` to
``conv5`` (the four stages of bottleneck blocks; torchvision calls them ``layer1`` to ``layer4``) and a last row
for global average pooling and the 1000-way classifier. ``stage_table`` fills that table from the modules of a
model (nothing is typed): output sizes come from forward hooks, parameters from ``count_parameters``, multiply-adds
from PyTorch's ``FlopCounterMode`` (``flops_by_module`` / 2, the paper's convention).

``stage_costs`` gives the same parameters and multiply-adds for a ``ModelConfig`` without building the whole
network: all blocks of a stage after the first are identical, so a copy of the model with at most two blocks per
stage, on the ``meta`` device, holds every distinct block. The explorer uses it; the tests check it against full
models.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import torch
from torch import nn

from .counting import count_parameters
from .flops import flops_by_module, inspection
from .models import ModelConfig, ResNeXt
from .validation import MAX_IMAGE_SIZE, check_instance, check_positive_int

__all__ = ["TABLE_CSS", "stage_table", "stage_costs", "table1_html"]

if TYPE_CHECKING:  # pandas is a dependency of the book, not of the package: imported where a table is drawn
    from pandas.io.formats.style import Styler


@dataclass(frozen=True)
class StageRow:
    """One row of Table 1: the paper's stage name, the torchvision modules it covers, and what it costs."""

    stage: str  # "conv1", "conv2", ..., "fc" (the paper's last row: global average pool + fc)
    modules: tuple[str, ...]  # torchvision names, e.g. ("maxpool", "layer1")
    output_size: tuple[int, int]  # (H, W) of the stage's output
    lines: tuple[str, ...]  # the specification, one layer or block per line, as the paper writes it
    params: int
    macs: int  # multiply-adds of one forward pass (one image)

    @property
    def spec(self) -> str:
        """The specification on one line, e.g. ``"[1×1, 128; 3×3, 128, C=32; 1×1, 256] ×3"``."""
        return "; then ".join(self.lines)


@dataclass(frozen=True)
class StageCost:
    """Parameters and multiply-adds of one stage (see ``stage_costs``)."""

    stage: str
    params: int
    macs: int


def stage_names(config: ModelConfig) -> list[str]:
    """The paper's stage names for a configuration: ``conv1``, one ``conv2, conv3, ...`` per stage, ``fc``."""
    check_instance("config", config, ModelConfig, "ModelConfig")
    return ["conv1", *(f"conv{i + 2}" for i in range(len(config.layers))), "fc"]


def _stage_modules(model: ResNeXt) -> list[tuple[str, tuple[str, ...]]]:
    """(paper name, torchvision module names) for each row; the max-pool belongs to conv2, as in the paper."""
    names = stage_names(model.config)
    rows = [(names[0], ("conv1", "bn1"))]
    for i in range(len(model.config.layers)):
        modules = (f"layer{i + 1}",)
        if i == 0 and isinstance(model.maxpool, nn.MaxPool2d):
            modules = ("maxpool", *modules)
        rows.append((names[i + 1], modules))
    rows.append((names[-1], ("avgpool", "fc")))
    return rows


def _kernel(conv: nn.Conv2d) -> str:
    k_h, k_w = conv.kernel_size
    return f"{k_h}×{k_w}"


def block_spec(stage: nn.Sequential) -> str:
    """A stage of bottlenecks as the paper writes it: ``[1×1, 128; 3×3, 128, C=32; 1×1, 256] ×3``.

    Read from the first block's layers (``conv1``, the grouped ``conv2``, ``conv3``); ``C=`` is the ``groups`` of
    the 3x3 convolution and is left out when it is 1 (a ResNet block), as in Table 1.
    """
    check_instance("stage", stage, nn.Sequential, "torch.nn.Sequential of bottleneck blocks")
    if not len(stage) or not all(hasattr(stage[0], name) for name in ("conv1", "conv2", "conv3")):
        raise ValueError("stage must be a non-empty torch.nn.Sequential of bottleneck blocks (conv1, conv2, conv3)")
    first = stage[0]
    conv1, conv2, conv3 = first.conv1, first.conv2, first.conv3
    grouped = f", C={conv2.groups}" if conv2.groups > 1 else ""
    return (
        f"[{_kernel(conv1)}, {conv1.out_channels}; {_kernel(conv2)}, {conv2.out_channels}{grouped}; "
        f"{_kernel(conv3)}, {conv3.out_channels}] ×{len(stage)}"
    )


def _stem_spec(model: ResNeXt) -> str:
    conv = model.conv1
    return f"{_kernel(conv)}, {conv.out_channels}, stride {conv.stride[0]}"


def _pool_spec(pool: nn.MaxPool2d) -> str:
    return f"{pool.kernel_size}×{pool.kernel_size} max pool, stride {pool.stride}"


def stage_table(model: ResNeXt, image_size: int = 224) -> list[StageRow]:
    """Table 1 for ``model`` on one ``image_size x image_size`` image: a ``StageRow`` per stage.

    The model runs once (on its own device, in eval mode, under ``no_grad``) on a zero image; give it a model
    built on the ``meta`` device to get the table in milliseconds without computing anything.
    """
    check_instance("model", model, ResNeXt, "resnext_teach ResNeXt")
    size = check_positive_int("image_size", image_size, MAX_IMAGE_SIZE)
    param = next(model.parameters())
    x = torch.zeros(1, model.config.in_channels, size, size, device=param.device, dtype=param.dtype)

    shapes: dict[str, tuple[int, int]] = {}  # module name -> (H, W) of its output

    def recorder(name: str):
        def record(_module: nn.Module, _inputs: object, out: torch.Tensor) -> None:
            shapes[name] = tuple(out.shape[2:])  # (N, C, H, W) -> (H, W)

        return record

    watched = ("bn1", *(f"layer{i + 1}" for i in range(len(model.config.layers))))
    hooks = [getattr(model, name).register_forward_hook(recorder(name)) for name in watched]
    with inspection(model, hooks):
        counts = flops_by_module(model, x)  # keys "ResNeXt.layer1", ...; FLOPs = 2 x multiply-adds

    prefix = type(model).__name__
    rows = []
    for stage, modules in _stage_modules(model):
        flops = sum(counts.get(f"{prefix}.{name}", 0) for name in modules)
        params = sum(count_parameters(getattr(model, name)) for name in modules)
        if stage == "conv1":
            lines: tuple[str, ...] = (_stem_spec(model),)
            output = shapes["bn1"]
        elif stage == "fc":
            lines = (f"global average pool, {model.fc.out_features}-d fc",)
            output = (1, 1)
        else:
            layer = modules[-1]
            lines = (block_spec(getattr(model, layer)),)
            if modules[0] == "maxpool":
                lines = (_pool_spec(model.maxpool), *lines)
            output = shapes[layer]
        rows.append(StageRow(stage, modules, output, lines, params, flops // 2))
    return rows


def stage_costs(config: ModelConfig, image_size: int = 224) -> tuple[StageCost, ...]:
    """Parameters and multiply-adds per stage of the model ``config`` describes, from a two-block-per-stage copy.

    Block 0 of a stage changes the shape (and has the projection shortcut); blocks 1, 2, ... are identical to
    each other. So a stage of n blocks costs ``block0 + (n - 1) * block1``, both measured on real modules on the
    ``meta`` device. Equal to ``stage_table(ResNeXt(config))`` (the tests check it), with a fixed cost whatever
    the depth. Results are cached (a ``ModelConfig`` is immutable).
    """
    check_instance("config", config, ModelConfig, "ModelConfig")
    return _stage_costs(config, check_positive_int("image_size", image_size, MAX_IMAGE_SIZE))


@lru_cache(maxsize=256)
def _stage_costs(config: ModelConfig, size: int) -> tuple[StageCost, ...]:
    """``stage_costs`` on checked arguments (cached: both are hashable and immutable)."""
    short = replace(config, layers=tuple(min(n, 2) for n in config.layers))
    with torch.device("meta"):
        model = ResNeXt(short)
        x = torch.zeros(1, config.in_channels, size, size)
    model.eval()
    counts = flops_by_module(model, x)
    prefix = type(model).__name__

    def macs(name: str) -> int:
        return counts.get(f"{prefix}.{name}", 0) // 2

    names = stage_names(config)
    costs = [StageCost(names[0], count_parameters(model.conv1) + count_parameters(model.bn1), macs("conv1"))]
    for i, n in enumerate(config.layers):
        layer = f"layer{i + 1}"
        stage = getattr(model, layer)
        params, flops = count_parameters(stage[0]), macs(f"{layer}.0")
        if n > 1:
            params += (n - 1) * count_parameters(stage[1])
            flops += (n - 1) * macs(f"{layer}.1")
        costs.append(StageCost(names[i + 1], params, flops))
    costs.append(StageCost(names[-1], count_parameters(model.fc), macs("fc")))
    return tuple(costs)
# Padding and right-aligned numbers for the tables the chapters show as pandas Stylers
# (``frame.style.set_table_styles(TABLE_CSS)``): the book's theme pads no table cells of its own.
TABLE_CSS = [
    {"selector": "th", "props": "padding: 0.25em 0.5em; text-align: right; vertical-align: bottom"},
    {"selector": "td", "props": "padding: 0.25em 0.5em; text-align: right; vertical-align: top; white-space: nowrap"},
    {"selector": "thead th", "props": "border-bottom: 1px solid"},
    {"selector": "th.index_name, tbody th", "props": "text-align: left; vertical-align: top"},  # row labels
]


def table1_html(tables: dict[str, list[StageRow]]) -> Styler:
    """Table 1 side by side for several models (``{"ResNet-50": rows, ...}``, same stages): stage, output size,
    and each model's specification (one layer or block per line), then the totals of parameters and
    multiply-adds. A pandas ``Styler`` (its ``.data`` is the table), which Jupyter and the book show as HTML."""
    check_instance("tables", tables, dict, "dict of label -> stage_table rows")
    if not tables:
        raise ValueError("tables must name at least one model")
    for label, rows in tables.items():
        if not isinstance(rows, list) or not rows or not all(isinstance(r, StageRow) for r in rows):
            raise TypeError(f"tables[{label!r}] must be the rows of stage_table (a list of StageRow)")
    labels = list(tables)
    first = tables[labels[0]]
    for label in labels[1:]:
        if [r.stage for r in tables[label]] != [r.stage for r in first]:
            raise ValueError(f"tables[{label!r}] has other stages than tables[{labels[0]!r}]")
    import pandas as pd

    rows = []
    for i, row in enumerate(first):
        h, w = row.output_size
        rows.append([row.stage, f"{h}×{w}", *("\n".join(tables[label][i].lines) for label in labels)])
    rows.append(["# params.", "", *(sum(r.params for r in tables[label]) for label in labels)])
    rows.append(["multiply-adds", "", *(sum(r.macs for r in tables[label]) for label in labels)])
    frame = pd.DataFrame(rows, columns=["stage", "output", *labels], dtype=object)
    # Text left-aligned, a line per layer or block; the totals right-aligned, their labels left (later rules win)
    text = [{"selector": "td", "props": "text-align: left; white-space: pre-line"},
            {"selector": "th", "props": "text-align: left"}]
    totals = [{"selector": "td", "props": "text-align: right"}]
    return (frame.style.format(lambda v: f"{v:,}" if isinstance(v, int) else v, escape="html")
            .hide(axis="index").set_table_styles(TABLE_CSS)
            .set_table_styles(dict.fromkeys(frame.columns, text), overwrite=False)
            .set_table_styles(dict.fromkeys(frame.index[-2:], totals), axis=1, overwrite=False)
            .set_table_styles(dict.fromkeys(["stage", "output"], text), overwrite=False))
