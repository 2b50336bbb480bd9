"""Chapter 5's explorer: depth (50 or 101) and the block template C×d -> parameters, multiply-adds, and the
parameters of each stage, for the ImageNet family of Xie et al. 2017 (Tables 1-4)."""

from __future__ import annotations

import functools

from html import escape
from typing import Any

from ...models import MODEL_CONFIGS, ModelConfig
from ...stages import stage_costs, stage_names
from ..svg import bar_svg
from .core import Control, Explorer, value_table

__all__ = ["MODEL_EXPLORER"]

DEPTH_LAYERS: dict[int, tuple[int, ...]] = {
    MODEL_CONFIGS[name].depth: MODEL_CONFIGS[name].layers for name in ("resnet50", "resnet101")
}
"""Blocks per stage for each depth, taken from the named configurations: 50 -> (3, 4, 6, 3), 101 -> (3, 4, 23, 3)."""

TEMPLATES: tuple[tuple[int, int], ...] = ((1, 64), (2, 40), (4, 24), (8, 14), (32, 4), (32, 8), (64, 4))
"""(cardinality C, bottleneck width d): the paper's Table 2 family (1x64d ... 32x4d, about the same cost) and the
two bigger ResNeXt-101 templates torchvision publishes (32x8d, 64x4d)."""

STAGES = tuple(stage_names(MODEL_CONFIGS["resnet50"]))  # conv1, conv2, ..., conv5, fc


def family_config(depth: int, cardinality: int, bottleneck_width: int) -> ModelConfig:
    """The ImageNet ResNet/ResNeXt of ``depth`` (50 or 101) with C = ``cardinality`` and d = ``bottleneck_width``."""
    if depth not in DEPTH_LAYERS:
        raise ValueError(f"depth={depth!r} must be one of {sorted(DEPTH_LAYERS)}")
    return ModelConfig(DEPTH_LAYERS[depth], cardinality=cardinality, bottleneck_width=bottleneck_width)


def model_label(depth: int, cardinality: int, bottleneck_width: int) -> str:
    """The paper's name: ``ResNet-50`` for 1×64d, else ``ResNeXt-101 (32×8d)``."""
    if (cardinality, bottleneck_width) == (1, 64):
        return f"ResNet-{depth}"
    return f"ResNeXt-{depth} ({cardinality}×{bottleneck_width}d)"


def compute(depth: int, template: tuple[int, int]) -> dict[str, Any]:
    """Parameters (total and per stage) and multiply-adds (billions) of one member of the family at 224×224."""
    cardinality, bottleneck_width = template
    costs = stage_costs(family_config(depth, cardinality, bottleneck_width))  # cached per configuration
    values: dict[str, Any] = {
        "params": sum(c.params for c in costs),
        "gmacs": sum(c.macs for c in costs) / 1e9,
    }
    for c in costs:
        values[f"params_{c.stage}"] = c.params
    return values


@functools.cache
def bar_scale() -> int:
    """The largest stage over every member of the family shown: the bars' one scale, so ResNeXt-101's stages
    are drawn longer than ResNet-50's."""
    return max(compute(depth=depth, template=template)[f"params_{s}"]
               for depth in DEPTH_LAYERS for template in TEMPLATES for s in STAGES)


def render(settings: dict[str, Any], values: dict[str, Any]) -> str:
    depth, (cardinality, bottleneck_width) = settings["depth"], settings["template"]
    label = model_label(depth, cardinality, bottleneck_width)
    fmt = MODEL_EXPLORER.format
    rows = [
        ("parameters", "params", fmt("params", values["params"])),
        ("multiply-adds (billions, 224×224)", "gmacs", fmt("gmacs", values["gmacs"])),
        *((f"parameters in {s}", f"params_{s}", fmt(f"params_{s}", values[f"params_{s}"])) for s in STAGES),
    ]
    bars = bar_svg(
        {s: values[f"params_{s}"] for s in STAGES},
        f"Parameters per stage of {label}: " + ", ".join(f"{s} {values[f'params_{s}']:,}" for s in STAGES),
        width=360,
        scale_max=bar_scale(),
    )
    return (
        f"<p style='margin:0 0 4px 0'><b>{escape(label)}</b></p>"
        f"<div style='display:flex; gap:24px; flex-wrap:wrap; align-items:flex-start'>"
        f"<div>{value_table(rows)}</div><div>{bars}</div></div>"
    )


MODEL_EXPLORER = Explorer(
    name="model-family",
    title="The ResNet/ResNeXt family: depth and block template",
    controls=(
        Control("depth", "depth", tuple(DEPTH_LAYERS), 50, kind="toggle"),
        Control(
            "template",
            "template C×d",
            TEMPLATES,
            (32, 4),
            option_labels=tuple(f"{c}×{d}d" for c, d in TEMPLATES),
        ),
    ),
    compute=compute,
    render=render,
    formats={"gmacs": ".2f"},
)
