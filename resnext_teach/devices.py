"""Where the book's code runs: the device it picks, the CPU threads a measurement or a training run uses, and
the description of the machine that every timing carries.

* ``pick_device(device)`` - the device asked for, else CUDA when a GPU is available, else the CPU: the one
  default of every function with a ``device=None`` argument (training, the timing sweeps, ``notebook.setup``);
* ``cpu_threads(num_threads)`` - run a block with that many PyTorch CPU threads, then put the previous count back;
* ``environment(device, threads)`` - an ``Environment``: processor, threads, torch version, GPU and cuDNN.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import torch

from .validation import check_instance, check_positive_int

__all__ = ["pick_device", "cpu_threads"]

MAX_THREADS = 1024
"""The most CPU threads a timing (or ``cpu_threads``) accepts."""


def pick_device(device: torch.device | str | None = None) -> torch.device:
    """``device`` as a ``torch.device``; ``None``: CUDA when a GPU is available, else the CPU. A device this
    machine lacks (``"cuda"`` without a GPU) is a ``ValueError``."""
    if device is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    check_instance("device", device, (str, torch.device), "torch.device or a name such as 'cpu' or 'cuda'")
    try:
        device = torch.device(device)
    except RuntimeError:  # torch's own parser of device names
        raise ValueError(f"device={device!r} is not a device name such as 'cpu', 'cuda' or 'cuda:0'") from None
    available = {"cpu": True, "meta": True, "cuda": torch.cuda.is_available(), "mps": torch.backends.mps.is_available()}
    if device.type not in available:
        raise ValueError(f"device={str(device)!r} must be one of {', '.join(available)}")
    if not available[device.type]:
        raise ValueError(f"device={str(device)!r}, but this machine has no {device.type} device; use 'cpu'")
    return device


@contextmanager
def cpu_threads(num_threads: int | None) -> Iterator[None]:
    """Run the body with ``num_threads`` PyTorch CPU threads, then restore the previous setting, even if the body
    fails (``None``: no change). On a CPU a sum split over more threads adds in another order, so fixing the count
    makes a result repeatable on machines with more or fewer cores."""
    previous = torch.get_num_threads()
    if num_threads is not None:
        torch.set_num_threads(check_positive_int("num_threads", num_threads, maximum=MAX_THREADS))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def _processor() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown processor"


@dataclass(frozen=True)
class Environment:
    """The machine and software a timing was taken on."""

    processor: str
    cores: int
    threads: int
    torch: str
    device: str  # "cpu" or the GPU's name
    cudnn: str | None = None

    def __str__(self) -> str:
        where = (f"{self.device} (cuDNN {self.cudnn})" if self.device != "cpu" else
                 f"CPU {self.processor}, {self.threads} of {self.cores} threads")
        return f"{where}, torch {self.torch}"


def environment(device: torch.device | str = "cpu", threads: int | None = None) -> Environment:
    """Where timings on ``device`` with ``threads`` CPU threads (default: the current setting) are taken."""
    device = pick_device(device)
    threads = torch.get_num_threads() if threads is None else check_positive_int("threads", threads, MAX_THREADS)
    name, cudnn = "cpu", None
    if device.type == "cuda":
        name = torch.cuda.get_device_name(device)
        version = torch.backends.cudnn.version()
        cudnn = str(version) if version is not None else "none"
    return Environment(_processor(), os.cpu_count() or 1, threads, torch.__version__, name, cudnn)
