"""Claim 5 of Chapter 7, "different groups learn complementary features", put to the test: how strongly the output
channels of each grouped 3x3 convolution correlate within a group and between groups (``group_correlations``),
for trained and for initial weights, and for a ResNet cut into arbitrary slices as the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..blocks import ResNeXtBottleneck
from ..flops import inspection
from ..validation import check_divides, check_module, check_positive_int, check_tensor, forward

__all__ = ["group_correlations"]


@dataclass(frozen=True)
class GroupCorrelation:
    """Mean absolute correlation between the output channels of one grouped 3x3 convolution, for pairs of
    channels in the same group (``within``) and in different groups (``between``)."""

    layer: str
    groups: int
    within: float
    between: float


def channel_correlation(activations: Tensor) -> Tensor:
    """``(C, C)`` Pearson correlation between the channels of ``(N, C, H, W)`` activations, every image and
    position counting as one sample. Channels that are constant over the samples get NaN."""
    c = activations.shape[1]
    samples = activations.transpose(0, 1).reshape(c, -1).double()  # (C, N*H*W)
    return torch.corrcoef(samples)


def group_correlations(model: nn.Module, x: Tensor, groups: int | None = None) -> list[GroupCorrelation]:
    """For the grouped 3x3 convolution (``conv2``) of every ``ResNeXtBottleneck`` in ``model``: the mean absolute
    correlation of its output channels over the images ``x``, within groups and between groups.

    ``groups=None`` uses each convolution's own groups. For a ResNet (one group) pass e.g. ``groups=4`` to cut
    its channels into 4 arbitrary slices: a reference in which the "groups" mean nothing.
    """
    check_module("model", model)
    check_tensor("x", x, floating=True)
    if x.is_meta:
        raise ValueError("x is on the meta device: it has a shape but no values to correlate")
    if groups is not None:
        groups = check_positive_int("groups", groups)
    blocks = [(name, m) for name, m in model.named_modules() if isinstance(m, ResNeXtBottleneck)]
    if not blocks:
        raise ValueError("model has no ResNeXtBottleneck blocks")
    captured: dict[str, Tensor] = {}
    handles = [
        block.conv2.register_forward_hook(lambda _m, _a, out, name=name: captured.__setitem__(name, out.detach()))
        for name, block in blocks
    ]
    with inspection(model, handles), torch.no_grad():  # eval mode; modes put back and the hooks removed after
        forward(model, x.to(next(model.parameters()).device), "x")  # (N, C, H, W) images, on the model's device
    rows = []
    for name, block in blocks:
        g = block.conv2.groups if groups is None else groups
        channels = block.conv2.out_channels
        check_divides("groups", g, "channels", channels)
        if g == 1:
            raise ValueError(f"{name}.conv2 has one group: pass groups > 1 to cut its channels into slices")
        corr = channel_correlation(captured[name]).abs()  # (C, C)
        group_of = torch.arange(channels) // (channels // g)
        same = group_of[:, None] == group_of[None, :]
        off_diagonal = ~torch.eye(channels, dtype=torch.bool)
        valid = ~corr.isnan()
        within = corr[same & off_diagonal & valid]
        between = corr[~same & valid]
        rows.append(GroupCorrelation(f"{name}.conv2", g, within.mean().item(), between.mean().item()))
    return rows
