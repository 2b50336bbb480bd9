"""Chapter 6's explorer of the groups timing sweep (Claim 4): pick G and see what was measured for it.

The sweep times ``nn.Conv2d(C, C, k, padding=k // 2, groups=G, bias=False)`` on one ``N x C x H x H`` input for
several G (``experiments.speed.groups_sweep``). The chapter measures it when the book is built, so this explorer
is made from those data (a ``sweep_data.GroupsSweep``), not from constants: ``sweep_explorer(sweep)``, one
position per measured G. A pane shows the measured time with its interval, and from ``counting`` and ``intensity`` the layer's weights, multiply-adds and
arithmetic intensity, then what follows from both: the speed-up over the dense layer (G = 1) against the G-fold the
multiply-adds promise, and the rate achieved. Nothing is typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from ...counting import conv2d_macs, conv2d_output_size, conv2d_params
from ...intensity import conv_intensity
from ...models import MODEL_CONFIGS
from ...validation import check_instance, check_positive_int, describe
from ..svg import PALETTE, svg_document
from .core import Control, Explorer, value_span
from .sweep_data import GroupsSweep

__all__ = ["sweep_explorer"]

NAME = "groups-sweep"
"""The explorer's name (one per kind: a page may show several sweeps, each pane carries its own data)."""

_TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))
"""The units a sweep's times are shown in, largest first (one unit for the whole sweep, see ``time_unit``)."""

_RATE_UNITS = ((1e12, "trillion"), (1e9, "billion"), (1e6, "million"))
"""The units of the rate achieved (multiply-adds per second), largest first (see ``rate_unit``)."""


def time_unit(sweep: GroupsSweep) -> tuple[float, str]:
    """The largest unit in which the longest time shown (the top of an interval) is at least 1, so that every
    time reads as at most three digits before the point: 23.1 ms, 0.0904 ms, not 2.31e+04 µs."""
    longest = max(p.high for p in sweep.points)
    for factor, unit in _TIME_UNITS:
        if longest / factor >= 0.9995:  # 0.9995 s and up is shown in s (as 1), below in ms (at most 999)
            return factor, unit
    return _TIME_UNITS[-1]


def rate_unit(sweep: GroupsSweep) -> tuple[float, str]:
    """As ``time_unit``, for the rate achieved: the largest unit in which the fastest rate is at least 1."""
    fastest = max(_macs(sweep, p.groups) / p.seconds for p in sweep.points)
    for factor, unit in _RATE_UNITS:
        if fastest / factor >= 0.9995:
            return factor, unit
    return _RATE_UNITS[-1]


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
              description: str, width: int = 420, label_w: int = 140) -> str:
    """Horizontal bars ``(label, value, text, interval)`` on one scale (``scale_max`` is full length, after a label
    column ``label_w`` pixels wide: the same for every position, so that the scale is too), ``text``
    written beside each and an ``interval`` (or None) drawn over its bar as a whisker. (``svg.bar_svg`` writes
    its numbers with no decimals, which would show a time of 0.09 ms as 0.)"""
    bar_h, room = 18, 90  # room: for the text after the longest bar
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
    elif check_positive_int("default_groups", default_groups) not in groups:
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
