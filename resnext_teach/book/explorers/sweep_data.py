"""What a groups sweep measured, as the data of chapter 6's sweep explorer (``sweep``): one ``SweepPoint`` per G
(median time, its interval, and the paired speed-up over G = 1 where it was measured) in a ``GroupsSweep`` with the
layer's sizes. ``GroupsSweep.from_timings`` makes one from ``timing``'s results; ``to_data`` / ``from_data`` turn it
into the plain JSON that every pane of the explorer carries, and back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from torch import nn

from ...timing import Ratio, Timing
from ...validation import check_divides, check_instance, check_positive_int, check_real, describe

__all__ = ["GroupsSweep"]

MAX_POSITIONS = 48
"""The most G a sweep may hold: every position is a pane in the page (and the browser test visits each)."""


@dataclass(frozen=True)
class SweepPoint:
    """One measured convolution: its G, the median time of one forward pass (seconds) and the interval of that
    median, which holds the true median with probability ``coverage`` (0.95 for a 95 % interval)."""

    groups: int
    seconds: float
    low: float
    high: float
    coverage: float
    # the speed-up over G = 1 from paired rounds (``Timings.ratio``) and its 95 % interval, where it was measured
    speedup: float | None = None
    speedup_low: float | None = None
    speedup_high: float | None = None

    def __post_init__(self) -> None:  # stored as int and floats (numpy or torch scalars too), so JSON can hold them
        object.__setattr__(self, "groups", check_positive_int("groups", self.groups))
        for name in ("seconds", "low", "high"):
            object.__setattr__(self, name, check_real(name, getattr(self, name), 0.0, low_open=True))
        paired = (self.speedup, self.speedup_low, self.speedup_high)
        if any(v is not None for v in paired):
            for name in ("speedup", "speedup_low", "speedup_high"):
                object.__setattr__(self, name, check_real(name, getattr(self, name), 0.0, low_open=True))
            if not self.speedup_low <= self.speedup <= self.speedup_high:
                raise ValueError(f"the speed-up interval [{self.speedup_low!r}, {self.speedup_high!r}] of "
                                 f"groups={self.groups} must hold its speedup={self.speedup!r}")
        if not self.low <= self.seconds <= self.high:
            raise ValueError(f"the interval [{self.low!r}, {self.high!r}] of groups={self.groups} must hold its "
                             f"median seconds={self.seconds!r}")
        object.__setattr__(self, "coverage", check_real("coverage", self.coverage, 0.0, 1.0, low_open=True,
                                                        high_open=False))


@dataclass(frozen=True)
class GroupsSweep:
    """What a groups sweep measured: the layer's sizes, one ``SweepPoint`` per G (G = 1, the dense layer, is the
    reference) and, optionally, where it was timed (``str(timings.environment)``)."""

    channels: int
    size: int  # input height and width
    points: tuple[SweepPoint, ...]
    batch_size: int = 1
    kernel_size: int = 3
    where: str = ""

    def __post_init__(self) -> None:
        for name in ("channels", "size", "batch_size", "kernel_size"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name)))
        if isinstance(self.points, (str, bytes)) or not isinstance(self.points, Sequence):
            raise TypeError(f"points={describe(self.points)} must be a sequence of SweepPoint")
        object.__setattr__(self, "points", tuple(self.points))
        for i, point in enumerate(self.points):
            check_instance(f"points[{i}]", point, SweepPoint, "SweepPoint")
            check_divides("groups", point.groups, "channels", self.channels)
        groups = [p.groups for p in self.points]
        if len(set(groups)) != len(groups):
            raise ValueError(f"each G must be measured once, got groups {groups}")
        if 1 not in groups:
            raise ValueError(f"points: the sweep needs the dense layer (groups=1) as its reference, got groups {groups}")
        if len(groups) > MAX_POSITIONS:
            raise ValueError(f"{len(groups)} points: an explorer shows at most {MAX_POSITIONS} (one pane each)")
        check_instance("where", self.where, str, "str")

    @classmethod
    def from_timings(cls, timings: Mapping[int, Any], channels: int, size: int, batch_size: int = 1,
                     kernel_size: int = 3, where: str | None = None,
                     speedups: Mapping[int, Any] | None = None) -> GroupsSweep:
        """From ``{G: Timing}`` (``resnext_teach.timing``: ``median``, ``interval``, ``coverage``) and, optionally,
        ``{G: Ratio}``, the paired speed-ups over G = 1 (``value``, ``low``, ``high``); ``where`` defaults to the
        timings' environment."""
        if not isinstance(timings, Mapping) or not timings:
            raise TypeError(f"timings={describe(timings)} must be a non-empty dict of G -> Timing")
        if speedups is not None and not isinstance(speedups, Mapping):
            raise TypeError(f"speedups={describe(speedups)} must be a dict of G -> Ratio")
        speedups = speedups or {}
        for name, values, kind in (("timings", timings, Timing), ("speedups", speedups, Ratio)):
            for g, value in values.items():
                check_instance(f"{name}[{describe(g)}]", value, kind, kind.__name__)
        points = tuple(
            SweepPoint(g, t.median, *t.interval, t.coverage,
                       *((speedups[g].value, speedups[g].low, speedups[g].high) if g in speedups else ()))
            for g, t in timings.items())
        if where is None:
            environment = getattr(next(iter(timings.values())), "environment", None)
            where = "" if environment is None else str(environment)
        return cls(channels, size, points, batch_size, kernel_size, where)

    def to_data(self) -> dict[str, Any]:
        """The sweep as JSON types (what each pane carries in ``data-rxt-data``)."""
        return {
            "channels": self.channels, "size": self.size, "batch_size": self.batch_size,
            "kernel_size": self.kernel_size, "where": self.where,
            "points": [[p.groups, p.seconds, p.low, p.high, p.coverage]
                       + ([p.speedup, p.speedup_low, p.speedup_high] if p.speedup is not None else [])
                       for p in self.points],
        }

    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> GroupsSweep:
        """The inverse of ``to_data``."""
        check_instance("data", data, Mapping, "dict (from GroupsSweep.to_data)")
        keys = ("channels", "size", "batch_size", "kernel_size", "where", "points")
        if not set(keys) <= set(data) or not isinstance(data["points"], list):
            raise ValueError(f"data must hold {', '.join(keys)} (what GroupsSweep.to_data gives)")
        fields = {k: data[k] for k in keys[:-1]}
        return cls(points=tuple(SweepPoint(*p) for p in data["points"]), **fields)

    def point(self, groups: int) -> SweepPoint:
        for p in self.points:
            if p.groups == groups:
                return p
        raise ValueError(f"groups={describe(groups)} was not measured; the sweep has {[p.groups for p in self.points]}")

    def conv(self, groups: int) -> nn.Conv2d:
        """The timed layer at ``groups``, on the meta device (shapes, no memory): what ``conv_intensity`` counts."""
        k = self.kernel_size
        return nn.Conv2d(self.channels, self.channels, k, padding=k // 2, groups=groups, bias=False, device="meta")
