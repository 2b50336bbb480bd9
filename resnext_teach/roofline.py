"""A measured roofline: this machine's two speed limits and where each convolution of a model runs against them.

* ``measure_peaks``: the multiply-add rates of a large float32 matrix product and
  a large dense convolution, and the higher of the two (as close to the processor's peak as PyTorch gets);
* ``measure_bandwidth``: the bytes per second of copying a buffer much larger than the caches (read + write);
* ``time_layers``: every distinct ``nn.Conv2d`` of one or more models, timed alone on an input of the shape it
  sees in the model, with its multiply-adds and least bytes moved (``intensity.conv_intensity``).

The roofline (Williams et al. 2009) says a layer of intensity I (multiply-adds per byte) can run at most at
``attainable(I) = min(peak, I * bandwidth)``; the ridge point ``peak / bandwidth`` separates layers limited by
memory traffic (left of it) from layers limited by arithmetic (right of it). A layer far *below* its roof is
limited by neither: by how well its kernel uses the processor. All timings go through ``timing``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

from .devices import MAX_THREADS, Environment, pick_device
from .flops import inspection
from .intensity import Intensity, conv_intensity, conv_kind
from .timing import MAX_MIN_TIME, Ratio, Timing, Timings, check_timeable, time_interleaved
from .validation import MAX_COUNT, check_instance, check_positive_int, check_real, describe

__all__ = ["measure_peaks", "measure_bandwidth", "attainable", "time_layers"]

MAX_MATRIX = 16384  # the largest matrix side measure_peaks accepts (1 GiB per float32 matrix)
MAX_MEGABYTES = 8192  # the largest buffer measure_bandwidth accepts


@dataclass(frozen=True)
class Rate:
    """A measured rate (per second) with the interval its timing gives (a slower call gives the lower rate)."""

    value: float
    low: float
    high: float
    unit: str
    timing: Timing
    source: str = ""  # what was timed, e.g. "a 1024 x 1024 matrix product"

    def __str__(self) -> str:
        where = f", {self.source}" if self.source else ""
        return (f"{self.value / 1e9:.1f} G{self.unit}/s (interval {self.low / 1e9:.1f} to {self.high / 1e9:.1f}"
                f"{where})")


def _rate(amount: float, timing: Timing, unit: str, source: str = "") -> Rate:
    low_time, high_time = timing.interval
    return Rate(amount / timing.median, amount / high_time, amount / low_time, unit, timing, source)


PEAK_CONV = dict(channels=256, size=28)
"""The dense convolution ``measure_peaks`` also times: 256 -> 256 channels, 3x3, on one 28x28 map (0.46 G
multiply-adds), the kind of large regular problem a library's convolution kernels are tuned for."""


def measure_peaks(size: int = 1024, threads: int = 1, rounds: int = 7,
                  device: torch.device | str = "cpu") -> dict[str, Rate]:
    """The multiply-add rates of two large regular problems, timed interleaved on ``threads`` CPU threads (or on a
    GPU: ``device="cuda"``): ``"matmul"``, ``a @ b`` for two ``size x size`` float32 matrices (``size**3``
    multiply-adds), and ``"conv"``, a large dense 3x3 convolution (``PEAK_CONV``). They come from different
    libraries (on a CPU, BLAS and oneDNN), and either can be the faster. The book's peak is defined on a campaign's record (``experiments.evidence.Roofline``): the
    highest rate of any problem timed in the same rounds."""
    size = check_positive_int("size", size, MAX_MATRIX)
    threads = check_positive_int("threads", threads, MAX_THREADS)
    rounds = check_positive_int("rounds", rounds, MAX_COUNT)
    device = pick_device(device)
    a, b = torch.randn(size, size, device=device), torch.randn(size, size, device=device)
    out = torch.empty(size, size, device=device)
    c, h = PEAK_CONV["channels"], PEAK_CONV["size"]
    conv = nn.Conv2d(c, c, 3, padding=1, bias=False).to(device).eval()
    x = torch.randn(1, c, h, h, device=device)

    def convolve() -> object:
        with torch.no_grad():
            return conv(x)

    timings = time_interleaved({"matmul": lambda: torch.mm(a, b, out=out), "conv": convolve}, rounds=rounds,
                               threads=threads, device=device)
    return {"matmul": _rate(size**3, timings["matmul"], "multiply-add", f"a {size} x {size} matrix product"),
            "conv": _rate(conv_intensity(conv, h).macs, timings["conv"], "multiply-add",
                          f"a {c}-channel 3x3 convolution on a {h}x{h} map")}


def measure_bandwidth(megabytes: int = 256, threads: int = 1, rounds: int = 7,
                      device: torch.device | str = "cpu") -> Rate:
    """Bytes per second of ``dst.copy_(src)`` for two float32 buffers of ``megabytes`` MiB each, counted as the
    bytes read plus the bytes written (2 x the buffer), as the STREAM benchmark's "copy" counts them."""
    megabytes = check_positive_int("megabytes", megabytes, MAX_MEGABYTES)
    threads = check_positive_int("threads", threads, MAX_THREADS)
    rounds = check_positive_int("rounds", rounds, MAX_COUNT)
    device = pick_device(device)
    count = megabytes * 2**20 // 4
    src, dst = torch.randn(count, device=device), torch.empty(count, device=device)
    timings = time_interleaved({"copy": lambda: dst.copy_(src)}, rounds=rounds, threads=threads, device=device)
    return _rate(2 * count * 4, timings["copy"], "byte", f"copying {megabytes} MiB")


def attainable(macs_per_byte: float, peak: float, bandwidth: float) -> float:
    """The roofline: the highest multiply-add rate a layer of this intensity can reach, ``min(peak, I * bw)``
    (``peak`` in multiply-adds per second, ``bandwidth`` in bytes per second)."""
    macs_per_byte = check_real("macs_per_byte", macs_per_byte, 0.0)
    peak = check_real("peak", peak, 0.0, low_open=True)
    bandwidth = check_real("bandwidth", bandwidth, 0.0, low_open=True)
    return min(peak, macs_per_byte * bandwidth)


@dataclass(frozen=True)
class LayerRate:
    """One distinct convolution of a model (``count`` layers share its configuration and input shape)."""

    model: str
    name: str  # the first layer of this configuration, e.g. "layer1.0.conv2"
    kind: str  # conv_kind: "1×1", "3×3", "3×3 grouped", "7×7"
    count: int
    input_shape: tuple[int, ...]
    intensity: Intensity  # of one layer
    timing: Timing  # of one layer

    @property
    def rate(self) -> float:
        """Achieved multiply-adds per second (median time)."""
        return self.intensity.macs / self.timing.median

    @property
    def seconds(self) -> float:
        """Median time of all ``count`` layers of this configuration."""
        return self.count * self.timing.median


def distinct_convs(model: nn.Module, inputs: torch.Tensor) -> list[tuple[str, nn.Conv2d, tuple[int, ...], int]]:
    """``(first name, conv, input shape, count)`` for each distinct (configuration, input shape) of ``model``'s
    ``nn.Conv2d`` layers, in the order the forward pass reaches them."""
    seen: dict[tuple, list] = {}
    names = {m: n for n, m in model.named_modules()}

    def hook(conv: nn.Module, args: tuple[torch.Tensor, ...]) -> None:
        key = (conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation,
               conv.groups, conv.bias is not None, tuple(args[0].shape))
        if key in seen:
            seen[key][3] += 1
        else:
            seen[key] = [names[conv], conv, tuple(args[0].shape), 1]

    hooks = [m.register_forward_pre_hook(hook) for m in model.modules() if isinstance(m, nn.Conv2d)]
    try:
        with torch.no_grad():
            model(inputs)
    finally:
        for h in hooks:
            h.remove()
    return [tuple(v) for v in seen.values()]


def time_layers(
    models: dict[str, nn.Module], inputs: torch.Tensor, rounds: int = 5, min_time: float = 0.02, threads: int = 1
) -> tuple[list[LayerRate], Environment]:
    """Time every distinct convolution of each model alone (forward, no gradient, on a random input of the shape
    it sees in the model), all of them interleaved in the same rounds, on ``threads`` CPU threads; the models
    and ``inputs`` may be on a GPU."""
    check_timeable("models", models, inputs)
    rounds = check_positive_int("rounds", rounds, MAX_COUNT)
    min_time = check_real("min_time", min_time, 0.0, MAX_MIN_TIME, high_open=False)
    threads = check_positive_int("threads", threads, MAX_THREADS)
    layers, fns = [], {}
    for label, model in models.items():
        with inspection(model):  # eval mode; every submodule's mode restored
            try:
                found = distinct_convs(model, inputs)
            except RuntimeError as error:
                reason = str(error).splitlines()[0]
                raise ValueError(f"models[{label!r}] cannot run on inputs of shape {tuple(inputs.shape)}: {reason}") \
                    from None
        if not found:
            raise ValueError(f"models[{label!r}] has no nn.Conv2d layer")
        for name, conv, shape, count in found:
            key = f"{label}: {name}"
            x = torch.randn(shape, device=inputs.device)
            fns[key] = _forward(conv, x)
            layers.append((label, name, conv, shape, count, key))
    timings = time_interleaved(fns, rounds=rounds, min_time=min_time, threads=threads, device=inputs.device)
    rows = [LayerRate(label, name, conv_kind(conv), count, shape, conv_intensity(conv, shape[2:], shape[0]),
                      timings[key])
            for label, name, conv, shape, count, key in layers]
    return rows, timings.environment


def _forward(conv: nn.Conv2d, x: torch.Tensor) -> Callable[[], object]:
    def run() -> object:
        with torch.no_grad():
            return conv(x)

    return run


@dataclass(frozen=True)
class KindRate:
    """All convolutions of one kind (``conv_kind``) in one model: their work and their summed time per round."""

    model: str
    kind: str
    layers: int
    macs: int  # of all these layers, one forward pass
    timing: Timing  # per round: the summed time of all these layers (count x time per call)

    @property
    def rate(self) -> float:
        """Achieved multiply-adds per second (median round)."""
        return self.macs / self.timing.median


def by_kind(layers: list[LayerRate]) -> list[KindRate]:
    """``time_layers``' rows summed per (model, kind), round by round (the rounds were shared by all layers, so
    the sums stay paired across kinds and models); in the order of first appearance."""
    if isinstance(layers, (str, bytes, dict)) or not isinstance(layers, (list, tuple)):
        raise TypeError(f"layers must be the list of LayerRate from time_layers, not {describe(layers)}")
    groups: dict[tuple[str, str], list[LayerRate]] = {}
    for row in layers:
        check_instance("layers[...]", row, LayerRate, "LayerRate (from time_layers)")
        groups.setdefault((row.model, row.kind), []).append(row)
    result = []
    for (model, kind), rows in groups.items():
        rounds = {r.timing.rounds for r in rows}
        if len(rounds) != 1:
            raise ValueError(f"{model} {kind}: the layers were timed in different numbers of rounds {sorted(rounds)}")
        per_round = tuple(sum(r.count * r.timing.times[i] for r in rows) for i in range(rounds.pop()))
        timing = Timing(f"{model}: {kind}", per_round, 1, rows[0].timing.environment)
        result.append(KindRate(model, kind, sum(r.count for r in rows), sum(r.count * r.intensity.macs for r in rows),
                               timing))
    return result


def time_per_macc_ratio(first: KindRate, second: KindRate) -> Ratio:
    """How many times as long ``first`` took per multiply-add as ``second``, paired by round, with its interval
    (``Ratio.word()``: "slower" means ``first`` does a multiply-add measurably more slowly)."""
    for name, value in (("first", first), ("second", second)):
        check_instance(name, value, KindRate, "KindRate (from by_kind)")
    per_macc = {k.timing.label: Timing(k.timing.label, tuple(t / k.macs for t in k.timing.times), 1)
                for k in (first, second)}
    return Timings(per_macc, first.timing.environment).ratio(first.timing.label, second.timing.label)
