"""The book's one way to time code: warm-up, interleaved rounds on ``torch.utils.benchmark``, medians with an
interval, and one vocabulary for a time ratio's interval against a +/-5 % band.

* ``time_interleaved(fns)`` times functions; ``time_modules(modules, inputs)`` times forward passes (eval mode,
  no gradient). Every candidate is measured once per round, the rounds in rotated order, so that a slow phase
  of a shared machine hits all candidates alike.
* A ``Timing`` holds one time per round (seconds per call); its ``median`` comes with a distribution-free
  interval (order statistics: no assumption on the shape of the noise).
* ``Timings.ratio(a, b)`` compares two candidates round by round (the rounds are paired: a and b ran one after
  the other): the geometric mean of the per-round ratios with a Student t interval on their logarithms.
* ``verdict(ratio)`` names where the interval lies against the band (``DEAD_BAND``, 5 %): ``"slower"`` when it
  lies wholly above 1 + band, ``"faster"`` wholly below 1 - band, ``"within"`` wholly inside the band, and
  ``"undecided"`` when it crosses one of the band's edges; ``phrase(key)`` gives the words the book prints
  ("slower by more than 5 %", "within 5 %", "not decided by this measurement"). A chapter's words come from a
  recorded campaign (``experiments.records``), never from a live timing on a shared machine.
* ``devices.environment()`` says where a timing was taken (processor, threads, torch version, GPU and cuDNN);
  every ``Timings`` carries it and prints it.

On a CPU, glibc's allocator can hand large buffers back to the operating system and page-fault them in again;
``quiet_allocator()`` (called by ``notebook.setup`` and by every campaign process) keeps them in the process.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import math
import statistics
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field

import torch
from torch import nn

from .devices import MAX_THREADS, Environment, cpu_threads, environment, pick_device
from .flops import inspection
from .stats import t_quantile
from .validation import (MAX_COUNT, check_instance, check_int, check_module, check_positive_int,
                         check_real, check_tensor, describe, forward)

# torch.utils.benchmark imports cpp_extension, which logs a warning on CUDA builds of torch run on a machine with
# a CUDA_HOME but no GPU ("No CUDA runtime is found"); it is irrelevant to CPU timing and would clutter the book.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
from torch.utils import benchmark  # noqa: E402

__all__ = ["DEAD_BAND", "CONFIDENCE", "VERDICTS", "Ratio", "time_interleaved", "time_modules", "verdict", "phrase"]

DEAD_BAND = 0.05
"""The band around a ratio of 1: a difference of at most 5 % is "within 5 %", however precisely it is measured."""
CONFIDENCE = 0.95
"""The one confidence level of the book's intervals (a median's distribution-free interval: at least this)."""
VERDICTS = ("slower", "faster", "within", "undecided")
"""Where a ratio's interval can lie against the band: wholly above, wholly below, wholly inside, across an edge."""
MAX_MIN_TIME = 1.0
"""The longest round ``min_time`` may ask for, in seconds: more rounds narrow an interval better than longer ones."""

# --- the allocator ----------------------------------------------------------------------------------------------

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # 33554432, glibc's maximum on 64-bit
TRIM_THRESHOLD = 16 * 1024**3  # 17179869184


def _mallopt(mmap_threshold: int, trim_threshold: int) -> bool:
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        ok = libc.mallopt(_M_MMAP_THRESHOLD, mmap_threshold) == 1
        return bool(ok and libc.mallopt(_M_TRIM_THRESHOLD, trim_threshold) == 1)
    except (OSError, AttributeError):
        return False


def quiet_allocator() -> bool:
    """Raise glibc malloc's mmap/trim thresholds in this process (freed buffers stay for reuse); return False
    where there is no glibc. Setting ``MALLOC_MMAP_THRESHOLD_``/``MALLOC_TRIM_THRESHOLD_`` before a process
    starts does the same."""
    return _mallopt(MMAP_THRESHOLD, TRIM_THRESHOLD)


# --- one candidate's times --------------------------------------------------------------------------------------


def _median_rank(n: int, confidence: float) -> tuple[int, float]:
    """The order statistics ``(k, coverage)``: the sorted values ``x[k-1]`` and ``x[n-k]`` bound an interval that
    holds the true median with probability ``coverage`` >= ``confidence`` whatever the noise's distribution
    (the number of values below the median is Binomial(n, 1/2)). With too few values, ``k = 1`` (the extremes)
    and the coverage they reach."""
    below = [math.comb(n, i) / 2**n for i in range(n + 1)]
    k = 1
    while k < n - k and 1 - 2 * sum(below[: k + 1]) >= confidence:
        k += 1
    return k, 1 - 2 * sum(below[:k])


@dataclass(frozen=True)
class Timing:
    """One candidate's time per call in each round, in seconds; ``calls`` calls were timed per round."""

    label: str
    times: tuple[float, ...]
    calls: int
    environment: Environment | None = field(default=None, compare=False)

    @property
    def median(self) -> float:
        """Median over the rounds of the time per call, in seconds."""
        return statistics.median(self.times)

    @property
    def interval(self) -> tuple[float, float]:
        """A distribution-free interval of the median (``coverage`` says how confident)."""
        ordered = sorted(self.times)
        k, _ = _median_rank(len(ordered), CONFIDENCE)
        return ordered[k - 1], ordered[len(ordered) - k]

    @property
    def coverage(self) -> float:
        """Confidence of ``interval`` (at least ``CONFIDENCE`` when there are 6 rounds or more)."""
        return _median_rank(len(self.times), CONFIDENCE)[1]

    @property
    def rounds(self) -> int:
        return len(self.times)

    def __str__(self) -> str:
        low, high = self.interval  # the book states its one level once: at least CONFIDENCE, unless too few rounds
        level = "" if self.coverage >= CONFIDENCE else f" (only {self.coverage:.0%}: too few rounds)"
        return (f"{self.label}: {self.median * 1e3:.2f} ms, interval [{low * 1e3:.2f}, {high * 1e3:.2f}] ms{level} "
                f"({self.rounds} rounds of {self.calls} call{'s' * (self.calls > 1)})")


@dataclass(frozen=True)
class Ratio:
    """``first``'s time over ``second``'s: the geometric mean of the paired ratios and its t interval, over
    ``rounds`` rounds (in one process) or over ``processes`` fresh processes (a campaign's record)."""

    first: str
    second: str
    value: float
    low: float
    high: float
    rounds: int
    processes: int = 1

    def word(self, band: float = DEAD_BAND) -> str:
        """The words for where the interval lies, e.g. "slower by more than 5 %" (``phrase(verdict(self))``)."""
        return phrase(verdict(self, band), band)

    def __str__(self) -> str:
        over = (f"{self.processes} processes of {self.rounds // self.processes} rounds" if self.processes > 1
                else f"{self.rounds} paired rounds")
        return (f"{self.first} / {self.second} = {self.value:.3f}, {CONFIDENCE:.0%} interval [{self.low:.3f}, "
                f"{self.high:.3f}] over {over}")


def verdict(ratio: Ratio, band: float = DEAD_BAND) -> str:
    """Where a time ratio's interval (first over second) lies against ``1 +/- band``: "slower" (wholly above
    ``1 + band``), "faster" (wholly below ``1 - band``), "within" (wholly inside the band) or "undecided" (it
    crosses an edge of the band: this measurement cannot say which side the true ratio is on)."""
    check_instance("ratio", ratio, Ratio, "Ratio (from Timings.ratio or a record)")
    band = check_real("band", band, 0.0, 1.0)
    if ratio.low > 1 + band:
        return "slower"
    if ratio.high < 1 - band:
        return "faster"
    if ratio.low >= 1 - band and ratio.high <= 1 + band:
        return "within"
    return "undecided"


def phrase(key: str, band: float = DEAD_BAND) -> str:
    """The book's words for a ``verdict`` key: "slower by more than 5 %", "faster by more than 5 %",
    "within 5 %" or "not decided by this measurement"."""
    if not isinstance(key, str) or key not in VERDICTS:
        raise ValueError(f"key={key!r} is not one of {', '.join(VERDICTS)} (what timing.verdict returns)")
    pct = f"{100 * check_real('band', band, 0.0, 1.0):g} %"
    return {"slower": f"slower by more than {pct}", "faster": f"faster by more than {pct}",
            "within": f"within {pct}", "undecided": "not decided by this measurement"}[key]


class Timings(dict):
    """``{label: Timing}`` from one interleaved measurement, with the ``environment`` it was taken in."""

    def __init__(self, timings: dict[str, Timing], environment: Environment) -> None:
        super().__init__(timings)
        self.environment = environment

    def ratio(self, first: str, second: str) -> Ratio:
        """``first``'s time over ``second``'s, round by round (the rounds are paired), with its t interval."""
        for name in (first, second):
            if name not in self:
                raise KeyError(f"{name!r} was not timed; the labels are {', '.join(map(repr, self))}")
        if first == second:
            raise ValueError(f"first and second are both {first!r}: a ratio with itself is 1")
        logs = [math.log(a / b) for a, b in zip(self[first].times, self[second].times)]
        mean = statistics.fmean(logs)
        if len(logs) < 2:
            raise ValueError("a ratio's interval needs at least 2 rounds")
        half = t_quantile(0.5 + CONFIDENCE / 2, len(logs) - 1) * statistics.stdev(logs) / math.sqrt(len(logs))
        return Ratio(first, second, math.exp(mean), math.exp(mean - half), math.exp(mean + half), len(logs))

    def __str__(self) -> str:
        return "\n".join([f"timed on {self.environment}"] + [f"  {t}" for t in self.values()])


def time_interleaved(
    fns: dict[str, Callable[[], object]],
    rounds: int = 7,
    warmup: int = 2,
    min_time: float = 0.02,
    threads: int | None = None,
    device: torch.device | str = "cpu",
) -> Timings:
    """Time each function of ``fns`` in ``rounds`` interleaved rounds with ``torch.utils.benchmark.Timer``.

    Each function gets ``warmup`` untimed calls, then a call count per round chosen (from one timed call) so
    that a round lasts at least ``min_time`` seconds (``min_time=0``: one call per round). Round r times the
    functions in an order rotated by r. ``threads``: CPU threads during the timing (default: the current
    setting). On a GPU, ``torch.utils.benchmark`` waits for the device before reading the clock."""
    check_instance("fns", fns, dict, "dict of label -> function")
    if not fns:
        raise ValueError("fns must be a non-empty dict of label -> function")
    for name, fn in fns.items():
        check_instance(f"fns key {describe(name)}", name, str, "str label")
        check_instance(f"fns[{name!r}]", fn, Callable, "function")
    rounds = check_positive_int("rounds", rounds, MAX_COUNT)
    warmup = check_int("warmup", warmup, 0, MAX_COUNT)
    min_time = check_real("min_time", min_time, 0.0, MAX_MIN_TIME, high_open=False)
    threads = torch.get_num_threads() if threads is None else check_positive_int("threads", threads, MAX_THREADS)
    device = pick_device(device)
    # torch.utils.benchmark.Timer compiles each statement once and reads the clock around ``number`` calls (on a
    # GPU it synchronizes first). Its public ``timeit`` adds two warm-up calls to every measurement, which would
    # triple the cost of a slow candidate's round; the rounds call ``_timeit``, the measurement inside it.
    timers = {name: benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=threads) for name, fn in fns.items()}
    names = list(fns)
    calls: dict[str, int] = {}
    times: dict[str, list[float]] = {name: [] for name in names}
    with cpu_threads(threads):
        for name, timer in timers.items():
            for _ in range(warmup):
                fns[name]()
            once = timer._timeit(1) if min_time > 0 else 0.0
            calls[name] = max(1, math.ceil(min_time / once)) if once > 0 else 1
        for r in range(rounds):
            for name in names[r % len(names):] + names[: r % len(names)]:
                times[name].append(timers[name]._timeit(calls[name]) / calls[name])
    env = environment(device, threads)
    return Timings({name: Timing(name, tuple(times[name]), calls[name], env) for name in names}, env)


def check_timeable(name: str, modules: object, inputs: object) -> None:
    """Refuse, naming the rule, what cannot be timed: ``modules`` must be a non-empty ``{str label: nn.Module}``
    and ``inputs`` a tensor with data (not on the meta device)."""
    check_instance(name, modules, dict, "dict of label -> torch.nn.Module")
    if not modules:
        raise ValueError(f"{name} must be a non-empty dict of label -> torch.nn.Module")
    for label, module in modules.items():
        check_instance(f"{name} key {describe(label)}", label, str, "str label")
        check_module(f"{name}[{describe(label)}]", module)
    check_tensor("inputs", inputs, floating=True)
    if inputs.device.type == "meta":
        raise ValueError("inputs are on the meta device: they have shapes but no data, and nothing can be timed")
    if not inputs.numel():
        raise ValueError(f"inputs of shape {tuple(inputs.shape)} hold no elements: nothing can be timed")


def time_modules(
    modules: dict[str, nn.Module],
    inputs: torch.Tensor,
    rounds: int = 7,
    warmup: int = 2,
    min_time: float = 0.02,
    threads: int | None = None,
) -> Timings:
    """``time_interleaved`` for forward passes: every module in eval mode under ``torch.no_grad()`` on the same
    ``inputs``; each module is put back in the mode it was in."""
    check_timeable("modules", modules, inputs)

    def timed(module: nn.Module) -> Callable[[], object]:
        def run() -> object:
            with torch.no_grad():
                return forward(module, inputs)

        return run

    with ExitStack() as stack:  # eval mode while timing; every module's modes restored afterwards
        for module in modules.values():
            stack.enter_context(inspection(module))
        return time_interleaved({name: timed(m) for name, m in modules.items()}, rounds, warmup, min_time, threads,
                                inputs.device)
