"""Honest CPU timing: warm-up, repeats, medians and spread, with the allocator noise taken out.

On a small CPU machine, repeated timings of batch-8 convolutions differed by up to 2x, mostly from glibc malloc
returning large buffers to the OS and page-faulting them back in. Raising malloc's mmap and trim thresholds keeps
those buffers in the process (``quiet_allocator``), which is what setting ``MALLOC_MMAP_THRESHOLD_`` and
``MALLOC_TRIM_THRESHOLD_`` in the environment does before a process starts.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import statistics
from collections.abc import Callable
from dataclasses import dataclass

import torch

from .flops import inspection
from .validation import (
    ArgumentTypeError,
    check_instance,
    check_int,
    check_module,
    check_positive_int,
    check_positive_real,
    check_tensor,
    describe,
)

# torch.utils.benchmark imports cpp_extension, which logs a warning on CUDA builds of torch run on a machine with
# a CUDA_HOME but no GPU ("No CUDA runtime is found"); it is irrelevant to CPU timing and would clutter the book.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)
from torch.utils import benchmark  # noqa: E402

_M_TRIM_THRESHOLD = -1  # mallopt parameter numbers from glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 1024 * 1024  # 33554432, glibc's maximum on 64-bit
TRIM_THRESHOLD = 16 * 1024**3  # 17179869184


def quiet_allocator() -> bool:
    """Raise glibc malloc's mmap/trim thresholds in this process; return False where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    try:
        libc = ctypes.CDLL(name)
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
        return bool(ok and libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1)
    except (OSError, AttributeError):
        return False


@dataclass(frozen=True)
class Timing:
    """A timing summary in seconds: the median over repeats, a spread (the interquartile range of the repeats,
    or for ``compare_forward`` the range of its round medians), and how many repeats were timed."""

    label: str
    median: float
    iqr: float
    repeats: int

    def __str__(self) -> str:
        return f"{self.label}: {self.median * 1e3:.2f} ms (spread {self.iqr * 1e3:.2f} ms, {self.repeats} repeats)"


def time_callable(fn: Callable[[], object], label: str, min_run_time: float = 1.0, warmup: int = 3) -> Timing:
    """Time ``fn()`` with ``torch.utils.benchmark``: warm-up calls, then blocks of runs for ``min_run_time`` s."""
    if not callable(fn):
        raise ArgumentTypeError(f"fn must be callable, not {type(fn).__name__}")
    check_instance("label", label, str, "str")
    min_run_time = check_positive_real("min_run_time", min_run_time, allow_zero=True)
    warmup = check_int("warmup", warmup, minimum=0)
    for _ in range(warmup):
        fn()
    m = benchmark.Timer(stmt="fn()", globals={"fn": fn}, num_threads=torch.get_num_threads()).blocked_autorange(
        min_run_time=min_run_time
    )
    return Timing(label, m.median, m.iqr, len(m.times))


def time_forward(
    module: torch.nn.Module, inputs: torch.Tensor, label: str, min_run_time: float = 1.0, warmup: int = 3
) -> Timing:
    """Median forward latency of ``module`` in eval mode under ``torch.no_grad()``, after ``warmup`` calls; the
    module is put back in the mode it was in."""
    check_module("module", module)
    check_tensor("inputs", inputs)

    def run() -> None:
        with torch.no_grad():
            module(inputs)

    with inspection(module):
        return time_callable(run, label, min_run_time, warmup)


def compare_forward(
    modules: dict[str, torch.nn.Module],
    inputs: torch.Tensor,
    rounds: int = 3,
    min_run_time: float = 0.5,
    warmup: int = 3,
) -> dict[str, Timing]:
    """Time several modules on the same input in interleaved rounds (so drift hits all alike); the result per
    module is the median of its round medians, with the range of those medians as ``iqr``. Each module gets
    ``warmup`` untimed calls in the first round only (later rounds find it warm)."""
    if not isinstance(modules, dict):
        raise ArgumentTypeError(f"modules must be a dict of label -> torch.nn.Module, not {type(modules).__name__}")
    if not modules:
        raise ValueError("modules must name at least one module to time")
    for name, module in modules.items():
        check_instance(f"modules key {describe(name)}", name, str, "str label")
        check_module(f"modules[{describe(name)}]", module)
    check_tensor("inputs", inputs)
    rounds = check_positive_int("rounds", rounds)
    check_positive_real("min_run_time", min_run_time, allow_zero=True)
    check_int("warmup", warmup, minimum=0)
    per_round: dict[str, list[Timing]] = {name: [] for name in modules}
    for r in range(rounds):
        for name, module in modules.items():
            per_round[name].append(time_forward(module, inputs, name, min_run_time, warmup if r == 0 else 0))
    result = {}
    for name, timings in per_round.items():
        medians = sorted(t.median for t in timings)
        spread = medians[-1] - medians[0]
        result[name] = Timing(name, statistics.median(medians), spread, sum(t.repeats for t in timings))
    return result
