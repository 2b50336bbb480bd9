"""Claim 4 of Chapter 6, "runtime falls with the FLOPs", put to the test: does a grouped convolution (a ResNeXt)
run as much faster as its multiply-adds fall?

* ``groups_sweep`` - one 3x3 convolution timed at several group counts (a ``Sweep`` of ``SweepRow``s, with paired
  speed-ups);
* ``model_latencies`` - the forward latency of whole named models per batch size.

FLOPs follow the paper: one multiply-add is one FLOP, so a rate below is multiply-adds per second (hardware data
sheets count a multiply-add as 2). All timing goes through ``timing``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from ..counting import conv2d_macs
from ..devices import pick_device
from ..intensity import Intensity, conv_intensity
from ..models import MODEL_CONFIGS, build_model
from ..timing import Environment, Ratio, Timing, Timings, time_modules
from ..validation import (MAX_IMAGE_SIZE, MAX_SIZE, check_bool, check_choice, check_divides, check_list,
                          check_positive_int)

__all__ = ["groups_sweep", "model_latencies"]


def _check_sizes(name: str, values: object, what: str) -> tuple[int, ...]:
    """A non-empty list or tuple of distinct positive integers (batch sizes, group counts), as a tuple."""
    sizes = tuple(check_positive_int(f"{name}[{i}]", v, MAX_SIZE)
                  for i, v in enumerate(check_list(name, values, "positive integers")))
    if not sizes:
        raise ValueError(f"{name} is empty: give at least one value")
    if len(set(sizes)) != len(sizes):
        raise ValueError(f"{name}={sizes} names a {what} twice")
    return sizes


@dataclass(frozen=True)
class SweepRow:
    """One convolution of a groups sweep: its counts and its measured forward time (``timing``: per round)."""

    groups: int
    params: int
    macs: int  # multiply-adds of one forward pass of the whole batch
    intensity: Intensity  # multiply-adds and least bytes moved (float32), from intensity.conv_intensity
    timing: Timing

    @property
    def seconds(self) -> float:
        """Median forward time."""
        return self.timing.median

    @property
    def rate(self) -> float:
        """Achieved multiply-adds per second (the book's FLOP/s)."""
        return self.macs / self.seconds


@dataclass(frozen=True)
class Sweep:
    """A groups sweep: one row per G, and the interleaved timings for paired ratios."""

    rows: tuple[SweepRow, ...]
    timings: Timings

    def __iter__(self) -> Iterator[SweepRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, index: int) -> SweepRow:
        return self.rows[index]

    def row(self, groups: int) -> SweepRow:
        """The row of ``groups`` groups."""
        for r in self.rows:
            if r.groups == groups:
                return r
        raise KeyError(f"groups={groups} was not swept; the sweep has {[r.groups for r in self.rows]}")

    def speedup(self, groups: int, baseline: int | None = None) -> Ratio:
        """How many times faster ``groups`` groups ran than ``baseline`` (default: the first row, the dense layer
        when the sweep starts at 1), paired by round, with its interval."""
        baseline = self.rows[0].groups if baseline is None else baseline
        self.row(groups), self.row(baseline)
        return self.timings.ratio(f"G={baseline}", f"G={groups}")

    @property
    def environment(self) -> Environment:
        return self.timings.environment


def groups_sweep(
    channels: int = 256,
    size: int = 28,
    groups_list: tuple[int, ...] = (1, 2, 4, 8, 16, 32, 64, 256),
    batch_size: int = 1,
    device: torch.device | str | None = None,
    channels_last: bool = False,
    rounds: int = 7,
    min_time: float = 0.02,
    threads: int | None = None,
) -> Sweep:
    """Time ``nn.Conv2d(channels, channels, 3, padding=1, groups=G)`` on a ``batch_size x channels x size x size``
    input for each G (forward, no gradient) with ``timing.time_interleaved``, and return counts and times per G.

    The defaults are the grouped 3x3 of ResNeXt-50's stage 2 (256 channels, 28x28, G = 32) and its relatives;
    ``device=None`` picks CUDA when available.
    """
    channels = check_positive_int("channels", channels, MAX_SIZE)
    size = check_positive_int("size", size, MAX_IMAGE_SIZE)
    batch_size = check_positive_int("batch_size", batch_size, MAX_SIZE)
    groups_list = _check_sizes("groups_list", groups_list, "group count")
    for g in groups_list:
        check_divides("groups", g, "channels", channels)
    device = pick_device(device)
    check_bool("channels_last", channels_last)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    x = torch.randn(batch_size, channels, size, size, device=device).contiguous(memory_format=memory_format)
    convs = {g: nn.Conv2d(channels, channels, 3, padding=1, groups=g, bias=False).to(device, memory_format=memory_format)
             for g in groups_list}
    timings = time_modules({f"G={g}": conv for g, conv in convs.items()}, x, rounds=rounds, min_time=min_time,
                           threads=threads)
    rows = tuple(
        SweepRow(g, convs[g].weight.numel(), conv2d_macs(channels, channels, 3, size, groups=g, batch_size=batch_size),
                 conv_intensity(convs[g], size, batch_size), timings[f"G={g}"])
        for g in groups_list
    )
    return Sweep(rows, timings)


def model_latencies(
    names: tuple[str, ...] = ("resnet50", "resnext50_32x4d"),
    batch_sizes: tuple[int, ...] = (1, 8),
    image_size: int = 224,
    rounds: int = 7,
    warmup: int = 1,
    device: torch.device | str | None = None,
    channels_last: bool = False,
    threads: int | None = None,
) -> dict[int, Timings]:
    """Forward latency (eval mode, no gradient) of named models per batch size: ``{batch_size: Timings}``, the
    models timed in interleaved rounds (one call per round) with ``timing.time_modules``; ``device=None`` picks
    CUDA when available. The models get fresh random weights: latency does not depend on the weights' values."""
    names = check_list("names", names, "model names")
    if not names:
        raise ValueError("names is empty: give at least one model name")
    for i, name in enumerate(names):
        check_choice(f"names[{i}]", name, MODEL_CONFIGS, "model")
    batch_sizes = _check_sizes("batch_sizes", batch_sizes, "batch size")
    image_size = check_positive_int("image_size", image_size, MAX_IMAGE_SIZE)
    device = pick_device(device)
    check_bool("channels_last", channels_last)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    models = {name: build_model(name).to(device, memory_format=memory_format).eval() for name in names}
    result = {}
    for batch in batch_sizes:
        x = torch.randn(batch, 3, image_size, image_size, device=device).contiguous(memory_format=memory_format)
        result[batch] = time_modules(models, x, rounds=rounds, warmup=warmup, min_time=0.0, threads=threads)
    return result
