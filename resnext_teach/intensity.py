"""Arithmetic intensity: how many FLOPs a layer performs per byte it must move (Williams et al. 2009, roofline).

A layer that does F floating-point operations and must move at least B bytes between memory and the processor can
run no faster than ``min(peak FLOP/s, bandwidth * F / B)``. ``F / B`` is its arithmetic intensity. For a
convolution, the least traffic is reading its weights and its input once and writing its output once:

    bytes >= (weights + N*C_in*H*W + N*C_out*H_out*W_out) * bytes_per_element

A grouped convolution divides its multiply-adds (and weights) by ``groups`` but moves the same activations, so its
intensity falls: it is more often limited by memory traffic (and by per-call overheads) than by arithmetic.
FLOPs here are 2 per multiply-add, the convention of FLOP/s figures and of the roofline model.

``profile_convolutions`` measures, inside real forward passes, how long each kind of convolution (1×1, 3×3,
grouped 3×3, ...) takes, so that achieved throughput can be set against intensity.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

import torch
from torch import nn

from .counting import conv2d_macs, conv2d_output_size
from .flops import inspection
from .validation import check_instance, check_module, check_pair, check_positive_int, check_tensor


@dataclass(frozen=True)
class Intensity:
    """Work and least memory traffic of one layer (or a sum of layers) for one forward pass."""

    macs: int  # multiply-adds
    bytes_moved: int  # weights + input + output, each moved once

    @property
    def flops(self) -> int:
        """Floating-point operations, 2 per multiply-add."""
        return 2 * self.macs

    @property
    def flops_per_byte(self) -> float:
        """Arithmetic intensity, FLOPs per byte."""
        return self.flops / self.bytes_moved

    def __add__(self, other: Intensity) -> Intensity:
        return Intensity(self.macs + other.macs, self.bytes_moved + other.bytes_moved)


def conv_intensity(
    conv: nn.Conv2d, input_size: int | tuple[int, int], batch_size: int = 1, bytes_per_element: int = 4
) -> Intensity:
    """Multiply-adds and least bytes moved by ``conv`` on a ``(batch_size, C_in, H, W)`` input (float32 = 4 bytes).

    ``input_size`` is ``H`` for a square input or ``(H, W)``; any integer type (``numpy.int64`` too) will do."""
    check_instance("conv", conv, nn.Conv2d, "torch.nn.Conv2d")
    if isinstance(conv.padding, str) or conv.dilation != (1, 1):
        raise ValueError(f"padding={conv.padding!r}, dilation={conv.dilation!r}: only numeric padding and dilation 1 "
                         "are supported")
    h_in, w_in = check_pair("input_size", input_size)
    n = check_positive_int("batch_size", batch_size)
    element = check_positive_int("bytes_per_element", bytes_per_element)
    h, w = conv2d_output_size((h_in, w_in), conv.kernel_size, conv.stride, conv.padding)
    macs = conv2d_macs(conv.in_channels, conv.out_channels, conv.kernel_size, (h, w), conv.groups, n)
    weights = conv.weight.numel() + (conv.bias.numel() if conv.bias is not None else 0)
    activations = n * conv.in_channels * h_in * w_in + n * conv.out_channels * h * w
    return Intensity(macs, (weights + activations) * element)


def conv_kind(conv: nn.Conv2d) -> str:
    """A convolution's kind for profiles: ``"3×3 grouped"`` when ``groups > 1``, else its kernel, e.g. ``"1×1"``."""
    check_instance("conv", conv, nn.Conv2d, "torch.nn.Conv2d")
    k_h, k_w = conv.kernel_size
    return f"{k_h}×{k_w}" + (" grouped" if conv.groups > 1 else "")


@dataclass(frozen=True)
class KindProfile:
    """All convolutions of one kind in a model: how many, their work and traffic, and their measured time."""

    kind: str
    layers: int
    intensity: Intensity  # summed over the layers, for one forward pass
    seconds: float  # median over the timed passes of the summed time of these layers

    @property
    def gflops_per_second(self) -> float:
        """Achieved throughput: FLOPs (2 per multiply-add) per second, in billions."""
        return self.intensity.flops / self.seconds / 1e9


def profile_convolutions(model: nn.Module, inputs: torch.Tensor, repeats: int = 3) -> list[KindProfile]:
    """Time every ``nn.Conv2d`` of ``model`` inside real forward passes and group the results by ``conv_kind``.

    Runs ``model`` in eval mode under ``no_grad``: one warm-up pass, then ``repeats`` timed passes; each
    convolution is timed from a forward pre-hook to a forward hook (``time.perf_counter``), which is exact on a
    CPU, where a convolution returns when it is done (on a GPU, kernels run asynchronously: do not use it there).
    """
    check_module("model", model)
    check_tensor("inputs", inputs)
    if inputs.device.type != "cpu":
        raise ValueError(f"profile_convolutions times CPU execution; inputs are on {inputs.device.type}")
    n = check_positive_int("repeats", repeats)
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    if not convs:
        raise ValueError("model has no nn.Conv2d layer")
    work: dict[int, Intensity] = {}
    started: dict[int, float] = {}
    spent: dict[int, float] = {}

    def before(conv: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        started[id(conv)] = time.perf_counter()

    def after(conv: nn.Module, args: tuple[torch.Tensor, ...], _out: torch.Tensor) -> None:
        spent[id(conv)] = spent.get(id(conv), 0.0) + time.perf_counter() - started[id(conv)]
        x = args[0]  # (N, C_in, H, W)
        work.setdefault(id(conv), conv_intensity(conv, tuple(x.shape[2:]), x.shape[0]))

    hooks = [h for c in convs for h in (c.register_forward_pre_hook(before), c.register_forward_hook(after))]
    per_pass: list[dict[int, float]] = []
    with inspection(model, hooks), torch.no_grad():  # eval mode; every module's mode restored, hooks removed
        for i in range(n + 1):
            spent.clear()
            model(inputs)
            if i > 0:  # pass 0 is the warm-up
                per_pass.append(dict(spent))
    profiles = []
    for kind in dict.fromkeys(conv_kind(c) for c in convs):  # kinds in order of first appearance
        members = [c for c in convs if conv_kind(c) == kind]
        total = work[id(members[0])]
        for c in members[1:]:
            total = total + work[id(c)]
        seconds = statistics.median(sum(p[id(c)] for c in members) for p in per_pass)
        profiles.append(KindProfile(kind, len(members), total, seconds))
    return profiles
