"""Experiments that put popular claims about grouped convolution to the test (the book's Chapter 6).

* ``channel_jacobian`` / ``perturbation_probe`` - does information (and gradient) stay within a group?
* ``group_correlations`` - do different groups learn different ("complementary") features?
* ``groups_sweep`` / ``model_latencies`` - does a grouped convolution (a ResNeXt) run as much faster as its
  FLOPs fall?

FLOPs follow the paper: one multiply-add is one FLOP, so a rate below is multiply-adds per second (hardware data
sheets count a multiply-add as 2). All timing goes through ``timing``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from numbers import Real

import torch
from torch import Tensor, nn

from .blocks import ResNeXtBottleneck
from .counting import conv2d_macs
from .data import _check_seed
from .intensity import Intensity, conv_intensity
from .timing import Environment, Ratio, Timing, Timings, time_modules
from .validation import (
    ArgumentTypeError,
    check_divides,
    check_int,
    check_positive_int,
    describe,
)


def _finite(value: Real) -> bool:
    try:
        return math.isfinite(float(value))
    except OverflowError:  # an integer too large for a float
        return False


def _check_time(name: str, value: object) -> float:
    """A duration in seconds: a finite real number >= 0 (not a bool, a string or NaN)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ArgumentTypeError(f"{name}={describe(value)} must be a number of seconds, not {type(value).__name__}")
    if not (_finite(value) and value >= 0):
        raise ValueError(f"{name}={describe(value)} must be a finite number of seconds >= 0")
    return float(value)


def _check_sizes(name: str, values: object) -> tuple[int, ...]:
    """A non-empty sequence of positive integers (batch sizes, group counts), as a tuple."""
    if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
        raise ArgumentTypeError(f"{name} must be a tuple of positive integers, not {type(values).__name__}")
    sizes = tuple(check_positive_int(f"{name}[{i}]", v) for i, v in enumerate(values))
    if not sizes:
        raise ValueError(f"{name} is empty: give at least one value")
    return sizes



# --- Claim: "gradients stay within a group" ---------------------------------------------------------------


def channel_jacobian(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``(C_out, C_in)`` matrix whose entry ``[o, i]`` is the largest ``|d y[o, p] / d x[i, q]|`` over all
    output positions p and input positions q, for one input ``x`` of shape ``(1, C_in, H, W)``.

    An entry is exactly 0 when no element of input channel i can change output channel o (at this x).
    """
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(f"x must be one image of shape (1, C_in, H, W), got {tuple(x.shape)}")
    jac = torch.autograd.functional.jacobian(fn, x)  # (1, C_out, H', W', 1, C_in, H, W)
    jac = jac.abs().squeeze(4).squeeze(0)  # (C_out, H', W', C_in, H, W)
    return jac.amax(dim=(1, 2, 4, 5))  # (C_out, C_in)


def perturb_group(x: Tensor, group: int, groups: int, eps: float = 1.0, seed: int = 0) -> Tensor:
    """A copy of ``x`` ``(N, C, H, W)`` with Gaussian noise of size ``eps`` added to the channels of one group
    (channels ``group * C/groups`` to ``(group + 1) * C/groups - 1``); the other channels are left exactly as
    they were."""
    groups = check_positive_int("groups", groups)
    check_divides("groups", groups, "channels", x.shape[1])
    group = check_int("group", group)
    if not 0 <= group < groups:
        raise ValueError(f"group={group} must be in 0..{groups - 1}")
    if isinstance(eps, bool) or not isinstance(eps, Real) or not _finite(eps):
        raise ValueError(f"eps={describe(eps)} must be a finite number")
    seed = _check_seed("seed", seed)
    size = x.shape[1] // groups
    noise = torch.randn(x[:, :size].shape, generator=torch.Generator().manual_seed(seed)).to(x)
    out = x.clone()
    out[:, group * size : (group + 1) * size] += eps * noise
    return out


def group_changes(before: Tensor, after: Tensor, groups: int, dim: int = 1) -> list[float]:
    """Largest absolute change of each of ``groups`` equal slices along ``dim`` (channels of ``(N, C, ...)``
    activations by default; ``dim=0`` for the filters of a weight ``(C_out, C_in / G, K, K)``)."""
    groups = check_positive_int("groups", groups)
    check_divides("groups", groups, f"size {before.shape[dim]} of dim {dim}", before.shape[dim])
    diff = (after - before).abs()
    return [chunk.max().item() for chunk in diff.chunk(groups, dim=dim)]


@dataclass(frozen=True)
class PerturbationResult:
    """Largest change, per group, when one group of a grouped convolution's input channels is perturbed.

    ``conv_output``: of the convolution's output channels (groups as the convolution defines them);
    ``model_output``: of the whole model's output channels, cut into as many equal slices;
    ``weight_grad``: of the gradient of a fixed loss with respect to each group's filters.
    """

    source_group: int
    conv_output: list[float]
    model_output: list[float]
    weight_grad: list[float]


def perturbation_probe(
    model: nn.Module, conv: nn.Conv2d, x: Tensor, source_group: int, eps: float = 1.0, seed: int = 0
) -> PerturbationResult:
    """Add noise to the input channels of group ``source_group`` of ``conv`` (a grouped ``nn.Conv2d`` that
    ``model`` uses; it may be ``model`` itself) and measure what changes, with the model in eval mode.

    The loss is ``(model(x) * R).sum()`` for a fixed random ``R``, so the gradient reaching the model output
    is the same in both runs; any change of a group's weight gradient comes from inside the model.
    """
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"conv must be an nn.Conv2d, not {type(conv).__name__}")
    groups = conv.groups
    source_group = check_int("source_group", source_group)
    if not 0 <= source_group < groups:
        raise ValueError(f"source_group={source_group} must be in 0..{groups - 1} (conv has {groups} groups)")
    was_training = model.training
    model.eval()
    captured: dict[str, Tensor] = {}
    perturb = {"on": False}

    def pre_hook(_module: nn.Module, args: tuple[Tensor, ...]) -> tuple[Tensor, ...] | None:
        if perturb["on"]:
            return (perturb_group(args[0], source_group, groups, eps, seed),)
        return None

    def hook(_module: nn.Module, _args: tuple[Tensor, ...], output: Tensor) -> None:
        captured["conv"] = output.detach().clone()

    saved_grads = [(p, p.grad) for p in model.parameters()]  # restored at the end: the probe leaves no trace
    handles = [conv.register_forward_pre_hook(pre_hook), conv.register_forward_hook(hook)]
    results = {}
    try:
        with torch.no_grad():
            shape = model(x).shape
        weights = torch.randn(shape, generator=torch.Generator().manual_seed(seed + 1)).to(x)
        for state in (False, True):
            perturb["on"] = state
            conv.weight.grad = None
            out = model(x)
            (out * weights).sum().backward()
            results[state] = (captured["conv"], out.detach().clone(), conv.weight.grad.clone())
    finally:
        for h in handles:
            h.remove()
        for p, grad in saved_grads:
            p.grad = grad
        model.train(was_training)
    (conv0, out0, grad0), (conv1, out1, grad1) = results[False], results[True]
    return PerturbationResult(
        source_group,
        conv_output=group_changes(conv0, conv1, groups),
        model_output=group_changes(out0, out1, groups),
        weight_grad=group_changes(grad0, grad1, groups, dim=0),  # rows of the weight = filters, grouped like outputs
    )


# --- Claim: "different groups learn complementary features" ---------------------------------------------


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
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x.to(next(model.parameters()).device))  # (N, C, H, W) images, moved to the model's device
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    rows = []
    for name, block in blocks:
        g = block.conv2.groups if groups is None else check_positive_int("groups", groups)
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


# --- Claim: "runtime falls with the FLOPs" -----------------------------------------------------------------

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
    channels = check_positive_int("channels", channels)
    size = check_positive_int("size", size)
    batch_size = check_positive_int("batch_size", batch_size)
    groups_list = _check_sizes("groups_list", groups_list)
    for g in groups_list:
        check_divides("groups", g, "channels", channels)
    if len(set(groups_list)) != len(groups_list):
        raise ValueError(f"groups_list={groups_list} names a group count twice")
    device = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
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
    from .models import build_model

    if isinstance(names, str) or not isinstance(names, Iterable) or not names:
        raise ValueError(f"names={describe(names)} must be a non-empty tuple of model names")
    batch_sizes = _check_sizes("batch_sizes", batch_sizes)
    image_size = check_positive_int("image_size", image_size)
    device = torch.device(device) if device is not None else torch.device("cuda" if torch.cuda.is_available() else "cpu")
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    models = {name: build_model(name).to(device, memory_format=memory_format).eval() for name in names}
    result = {}
    for batch in batch_sizes:
        x = torch.randn(batch, 3, image_size, image_size, device=device).contiguous(memory_format=memory_format)
        result[batch] = time_modules(models, x, rounds=rounds, warmup=warmup, min_time=0.0, threads=threads)
    return result
