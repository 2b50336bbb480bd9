"""Chapter 6's explorer of the groups timing sweep (Claim 4): pick G and see what was measured for it.

The sweep times ``nn.Conv2d(C, C, k, padding=k // 2, groups=G, bias=False)`` on one ``N x C x H x H`` input for
several G (``probes.groups_sweep``). The chapter measures it when the book is built, so this explorer is made from
those data, not from constants: ``sweep_explorer(GroupsSweep(...))``, one position per measured G. A pane shows the
measured time with its interval, and from ``counting`` and ``intensity`` the layer's weights, multiply-adds and
arithmetic intensity, then what follows from both: the speed-up over the dense layer (G = 1) against the G-fold the
multiply-adds promise, and the rate achieved. Nothing is typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

from torch import nn

from ..counting import conv2d_macs, conv2d_output_size, conv2d_params
from ..intensity import conv_intensity
from ..models import MODEL_CONFIGS
from ..svg import PALETTE, svg_document
from ..validation import ArgumentTypeError, check_divides, check_instance, check_positive_int, check_real, describe
from .core import Control, Explorer, value_span

NAME = "groups-sweep"
"""The explorer's name (one per kind: a page may show several sweeps, each pane carries its own data)."""

MAX_POSITIONS = 48
"""The most G a sweep may hold: every position is a pane in the page (and the browser test visits each)."""

TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
"""The units a sweep's times are shown in, largest first (one unit for the whole sweep, see ``time_unit``)."""

RATE_UNITS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
"""The units of the rate achieved (multiply-adds per second), largest first (see ``rate_unit``)."""


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
            raise ArgumentTypeError(f"points={describe(self.points)} must be a sequence of SweepPoint")
        object.__setattr__(self, "points", tuple(self.points))
        for i, point in enumerate(self.points):
            check_instance(f"points[{i}]", point, SweepPoint, "SweepPoint")
            check_divides("groups", point.groups, "channels", self.channels)
        groups = [p.groups for p in self.points]
        if len(set(groups)) != len(groups):
            raise ValueError(f"each G must be measured once, got groups {groups}")
        if 1 not in groups:
            raise ValueError(f"the sweep needs the dense layer (groups=1) as its reference, got groups {groups}")
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
            raise ArgumentTypeError(f"timings={describe(timings)} must be a non-empty dict of G -> Timing")
        if speedups is not None and not isinstance(speedups, Mapping):
            raise ArgumentTypeError(f"speedups={describe(speedups)} must be a dict of G -> Ratio")
        speedups = speedups or {}
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
        fields = {k: data[k] for k in ("channels", "size", "batch_size", "kernel_size", "where")}
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


def time_unit(sweep: GroupsSweep) -> tuple[float, str]:
    """The largest unit in which the longest time shown (the top of an interval) is at least 1, so that every
    time reads as at most three digits before the point: 23.1 ms, 0.0904 ms, not 2.31e+04 µs."""
    longest = max(p.high for p in sweep.points)
    for factor, unit in TIME_UNITS:
        if longest / factor >= 0.9995:  # 0.9995 s and up is shown in s (as 1), below in ms (at most 999)
            return factor, unit
    return TIME_UNITS[-1]


def rate_unit(sweep: GroupsSweep) -> tuple[float, str]:
    """As ``time_unit``, for the rate achieved: the largest unit in which the fastest rate is at least 1."""
    fastest = max(_macs(sweep, p.groups) / p.seconds for p in sweep.points)
    for factor, unit in RATE_UNITS:
        if fastest / factor >= 0.9995:
            return factor, unit
    return RATE_UNITS[-1]


def _macs(sweep: GroupsSweep, groups: int) -> int:
    """Multiply-adds of the timed layer at ``groups`` for the whole batch (stride 1, padding k // 2)."""
    k = sweep.kernel_size
    out = conv2d_output_size(sweep.size, k, 1, k // 2)
    return conv2d_macs(sweep.channels, sweep.channels, k, out, groups=groups, batch_size=sweep.batch_size)


def sweep_numbers(sweep: GroupsSweep, groups: int) -> dict[str, Any]:
    """Everything a pane shows at ``groups``: measured times (in ``time_unit``) and derived ratios, and the
    counts of the layer from ``counting`` and ``intensity``."""
    point, dense = sweep.point(groups), sweep.point(1)
    c, k, n = sweep.channels, sweep.kernel_size, sweep.batch_size
    macs, dense_macs = _macs(sweep, groups), _macs(sweep, 1)
    factor, _unit = time_unit(sweep)
    per_second, _rate_unit = rate_unit(sweep)
    promised = dense_macs // macs  # the speed-up if time fell with the multiply-adds: G (G divides the channels)
    speedup = dense.seconds / point.seconds
    values: dict[str, Any] = {
        "channels_per_group": c // groups,
        "params": conv2d_params(c, c, k, groups=groups),
        "macs": macs,
        "intensity": conv_intensity(sweep.conv(groups), sweep.size, n).macs_per_byte,
        "time": point.seconds / factor,
        "time_low": point.low / factor,
        "time_high": point.high / factor,
        "coverage": 100 * point.coverage,
        "flop_time": dense.seconds / promised / factor,
        "promised": promised,
        "speedup": speedup,
        "kept": 100 * speedup / promised,  # = the rate achieved, in % of the dense layer's
        "rate": macs / point.seconds / per_second,
    }
    if groups != 1 and point.speedup is not None:  # measured by paired rounds, with its 95 % interval
        values.update(speedup=point.speedup, speedup_low=point.speedup_low, speedup_high=point.speedup_high,
                      kept=100 * point.speedup / promised)
    elif groups != 1:  # no paired ratio given: the range from the ends of the two intervals (G = 1 the reference)
        values["speedup_low"] = dense.low / point.high
        values["speedup_high"] = dense.high / point.low
    return values


FORMATS = {
    "time": ".3g", "time_low": ".3g", "time_high": ".3g", "flop_time": ".3g", "coverage": ".0f",
    "speedup": ".3g", "speedup_low": ".3g", "speedup_high": ".3g", "kept": ".3g",
    "rate": ".3g", "intensity": ".3g",
}


def bar_scale(sweep: GroupsSweep) -> float:
    """The longest time drawn over all positions (in ``time_unit``; an interval's top included): the bars' one
    scale, so that a bar twice as long is a time twice as long, whichever G is shown."""
    factor, _unit = time_unit(sweep)
    return max(p.high for p in sweep.points) / factor


def time_bars(bars: Sequence[tuple[str, float, str, tuple[float, float] | None]], scale_max: float,
              description: str, width: int = 380) -> str:
    """Horizontal bars ``(label, value, text, interval)`` on one scale (``scale_max`` is full length), ``text``
    written beside each and an ``interval`` (or None) drawn over its bar as a whisker. (``svg.bar_svg`` writes
    its numbers with no decimals, which would show a time of 0.09 ms as 0.)"""
    label_w, bar_h, room = 110, 18, 90  # room: for the text after the longest bar
    if any(max((v, *(i or ()))) > scale_max for _label, v, _text, i in bars):
        raise ValueError(f"scale_max={scale_max} is smaller than a value to draw")

    def x(value: float) -> float:
        return label_w + (width - label_w - room) * value / scale_max

    parts = []
    for n, (label, value, text, interval) in enumerate(bars):
        y = n * (bar_h + 6)
        parts.append(
            f'<text x="{label_w - 6}" y="{y + bar_h * 0.75}" font-size="12" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y}" width="{x(value) - label_w:.3f}" height="{bar_h}" '
            f'fill="{PALETTE[n % len(PALETTE)]}" data-rxt-value="{value}"/>'
        )
        end = x(value)
        if interval is not None:
            low, high, mid = x(interval[0]), x(interval[1]), y + bar_h / 2
            parts.append(f'<path d="M{low:.1f} {mid}H{high:.1f}M{low:.1f} {mid - 5}v10M{high:.1f} {mid - 5}v10" '
                         'stroke="#222" stroke-width="1.5" fill="none"/>')
            end = max(end, high)
        parts.append(f'<text x="{end + 4:.1f}" y="{y + bar_h * 0.75}" font-size="12">{escape(text)}</text>')
    return svg_document("".join(parts), width, len(bars) * (bar_h + 6), description)


def _cell(text: str) -> str:
    return (f'<td style="text-align:right; padding:1px 0 1px 12px; min-width:9.5em; '
            f'font-variant-numeric: tabular-nums">{text}</td>')


def sweep_explorer(sweep: GroupsSweep, default_groups: int | None = None) -> Explorer:
    """The explorer of ``sweep``: one position per measured G, in increasing order. It opens at
    ``default_groups``, else at ResNeXt-50's cardinality when it was measured, else at the middle G."""
    check_instance("sweep", sweep, GroupsSweep, "GroupsSweep")
    groups = tuple(sorted(p.groups for p in sweep.points))
    if default_groups is None:
        cardinality = MODEL_CONFIGS["resnext50_32x4d"].cardinality
        default_groups = cardinality if cardinality in groups else groups[len(groups) // 2]
    elif default_groups not in groups:
        raise ValueError(f"default_groups={describe(default_groups)} was not measured; the sweep has {list(groups)}")
    factor, unit = time_unit(sweep)
    _per_second, rate_name = rate_unit(sweep)
    scale = bar_scale(sweep)
    c, k, size, n = sweep.channels, sweep.kernel_size, sweep.size, sweep.batch_size

    def render(settings: dict[str, Any], values: dict[str, Any]) -> str:
        g = settings["groups"]

        def show(key: str) -> str:
            return value_span(key, explorer.format(key, values[key]))

        speedup = show("speedup")
        if "speedup_low" in values:
            speedup += f" ({show('speedup_low')} to {show('speedup_high')})"
        rows = [
            ("input channels per group", show("channels_per_group")),
            ("weights (parameters)", show("params")),
            ("multiply-adds (the book's FLOPs)", show("macs")),
            ("multiply-adds per byte moved (float32)", show("intensity")),
            (f"measured time ({unit}), median", show("time")),
            (f"{show('coverage')} % interval of the median ({unit})", f"{show('time_low')} to {show('time_high')}"),
            (f"time if it fell with the multiply-adds ({unit})", show("flop_time")),
            ("speed-up over G = 1, measured " + ("(95 % interval, paired rounds)" if sweep.point(g).speedup is not None
                                                 else "(range: from the intervals' ends)"), speedup),
            ("speed-up the multiply-adds promise", show("promised")),
            ("share of the promise kept (%)", show("kept")),
            (f"achieved rate ({rate_name} multiply-adds/s)", show("rate")),
        ]
        table = ('<table style="border-collapse:collapse; margin:0 0 6px 0">'
                 + "".join(f'<tr><td style="padding:1px 0">{label}</td>{_cell(f"<b>{text}</b>")}</tr>'
                           for label, text in rows) + "</table>")
        f = explorer.format
        dense = sweep.point(1)
        dense_time, dense_interval = dense.seconds / factor, (dense.low / factor, dense.high / factor)
        bars = time_bars(
            [("G = 1 (dense)", dense_time, f"{f('time', dense_time)} {unit}", dense_interval),
             (f"G = {g}, measured", values["time"], f"{f('time', values['time'])} {unit}",
              (values["time_low"], values["time_high"])),
             ("FLOPs' promise", values["flop_time"], f"{f('flop_time', values['flop_time'])} {unit}", None)],
            scale,
            f"Forward time on one scale: the dense layer {f('time', dense_time)} {unit}; at G={g} measured "
            f"{f('time', values['time'])} {unit} (interval {f('time_low', values['time_low'])} to "
            f"{f('time_high', values['time_high'])} {unit}); if the time fell with the multiply-adds, "
            f"{f('flop_time', values['flop_time'])} {unit}",
        )
        note = ('<p style="margin:2px 0; font-size:0.9em">Bars: measured times (whiskers: their intervals) and '
                "the dense layer's time divided by the fall in multiply-adds, on one scale for every G."
                + (f" Timed on {escape(sweep.where)}." if sweep.where else "") + "</p>")
        return table + bars + note

    explorer = Explorer(
        name=NAME,
        title=(f"The groups sweep as measured: nn.Conv2d({c}, {c}, {k}, padding={k // 2}, groups=G, bias=False) "
               f"on a {n}x{c}x{size}x{size} input; pick G"),
        controls=(Control("groups", "groups G", groups, default_groups),),
        compute=lambda groups: sweep_numbers(sweep, groups),
        render=render,
        formats=FORMATS,
        data={"sweep": sweep.to_data(), "default_groups": default_groups},
    )
    return explorer


def explorer_from_data(data: Mapping[str, Any]) -> Explorer:
    """The explorer whose panes carry ``data`` (their ``data-rxt-data``): the same sweep, the same default."""
    return sweep_explorer(GroupsSweep.from_data(data["sweep"]), data["default_groups"])
