"""Chapter 6's explorer of the groups sweep: made from measured data, every number checked against real modules.

``small_sweep()`` is a small real sweep (16 channels, 6x6, G in 1..16, two rounds), timed with the book's
``timing`` module as ``probes.groups_sweep`` times the chapter's; ``test_explorer_core`` runs its shared checks
(panes show exactly their values, bars on one scale, the widget holds every pane) on the explorer built from it.
"""

import functools
import json
import math
import re
import time
from html import unescape

import ipywidgets
import pytest
import torch
from torch import nn

from resnext_teach import measure_macs
from resnext_teach.book.explorers.sweep import (
    NAME,
    bar_scale,
    explorer_from_data,
    rate_unit,
    sweep_explorer,
    sweep_numbers,
    time_bars,
    time_unit,
)
from resnext_teach.book.explorers.sweep_data import MAX_POSITIONS, GroupsSweep, SweepPoint
from resnext_teach.intensity import conv_intensity
from resnext_teach.timing import time_modules
from resnext_teach.validation import ArgumentTypeError

CHANNELS, SIZE, GROUPS = 16, 6, (1, 2, 4, 8, 16)


@functools.cache
def small_sweep() -> GroupsSweep:
    """A real sweep, small enough for a test: ``nn.Conv2d(16, 16, 3, padding=1, groups=G, bias=False)`` on one
    16x6x6 input, two rounds of one call each."""
    convs = {str(g): nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=g, bias=False) for g in GROUPS}
    timings = time_modules(convs, torch.randn(1, CHANNELS, SIZE, SIZE), rounds=2, min_time=0.0, threads=1)
    return GroupsSweep.from_timings({g: timings[str(g)] for g in GROUPS}, channels=CHANNELS, size=SIZE)


def synthetic(dense_seconds: float, groups=(1, 2, 4, 8, 16, 32, 64, 256), channels: int = 256, size: int = 28,
              batch_size: int = 1) -> GroupsSweep:
    """A made-up sweep whose time falls as G**-0.5 (for the unit and format checks, never shown in the book)."""
    points = []
    for g in groups:
        t = dense_seconds * g ** -0.5
        points.append(SweepPoint(g, t, 0.9 * t, 1.2 * t, 0.95))
    return GroupsSweep(channels, size, tuple(points), batch_size)


def shown(pane: str) -> dict[str, str]:
    return dict(re.findall(r'<span data-rxt-key="([^"]+)">([^<]*)</span>', pane))


def test_the_small_sweep_is_real():
    sweep = small_sweep()
    assert [p.groups for p in sweep.points] == list(GROUPS)
    assert all(0 < p.low <= p.seconds <= p.high < 1 and p.coverage == 0.5 for p in sweep.points)  # 2 rounds: 50 %
    assert "torch" in sweep.where  # from the timings' environment


@pytest.mark.parametrize("sweep", [small_sweep, lambda: synthetic(0.023), lambda: synthetic(3e-5, batch_size=8)],
                         ids=["small real sweep", "CPU-like", "GPU-like, batch 8"])
def test_every_position_against_real_modules(sweep):
    """Counts against real layers (``numel()``, torch's FLOP counter, ``conv_intensity``), times against the data."""
    sweep = sweep()
    dense = sweep.point(1)
    factor, _unit = time_unit(sweep)
    per_second, _rate_name = rate_unit(sweep)
    x = torch.empty(sweep.batch_size, sweep.channels, sweep.size, sweep.size, device="meta")
    dense_macs = measure_macs(sweep.conv(1), x)
    for p in sweep.points:
        v = sweep_numbers(sweep, p.groups)
        conv = nn.Conv2d(sweep.channels, sweep.channels, 3, padding=1, groups=p.groups, bias=False)
        assert v["params"] == conv.weight.numel()
        assert v["macs"] == measure_macs(conv.to("meta"), x)
        assert v["channels_per_group"] == conv.weight.shape[1]
        assert v["intensity"] == conv_intensity(conv, sweep.size, sweep.batch_size).macs_per_byte
        assert (v["time"], v["time_low"], v["time_high"]) == (p.seconds / factor, p.low / factor, p.high / factor)
        assert v["coverage"] == 100 * p.coverage
        assert v["promised"] == dense_macs / v["macs"] == p.groups  # the multiply-adds fall G-fold
        assert v["speedup"] == dense.seconds / p.seconds
        assert math.isclose(v["flop_time"], dense.seconds / p.groups / factor)
        assert math.isclose(v["rate"], v["macs"] / p.seconds / per_second)
        dense_rate = dense_macs / dense.seconds / per_second
        assert math.isclose(v["kept"], 100 * v["rate"] / dense_rate)  # the share kept is the rate kept
        if p.groups == 1:
            assert "speedup_low" not in v and v["speedup"] == 1 and v["kept"] == 100
        else:
            assert v["speedup_low"] == dense.low / p.high <= v["speedup"] <= v["speedup_high"] == dense.high / p.low


def test_positions_are_the_measured_groups_opening_at_resnext50s_cardinality():
    ex = sweep_explorer(synthetic(0.02))
    assert ex.name == NAME and ex.controls[0].options == (1, 2, 4, 8, 16, 32, 64, 256) and ex.defaults == {"groups": 32}
    assert sweep_explorer(small_sweep()).defaults == {"groups": 4}  # no G = 32: the middle one
    assert sweep_explorer(small_sweep(), default_groups=16).defaults == {"groups": 16}
    shuffled = GroupsSweep(16, 6, tuple(reversed(small_sweep().points)))
    assert sweep_explorer(shuffled).controls[0].options == GROUPS


def test_the_pane_shows_the_sweeps_sizes_and_where_it_was_timed():
    sweep = small_sweep()
    ex = sweep_explorer(sweep)
    pane = ex.pane(groups=8)
    assert "nn.Conv2d(16, 16, 3, padding=1, groups=G, bias=False) on a 1x16x6x6 input" in ex.title
    assert f"Timed on {sweep.where}." in unescape(pane)
    numbers = shown(pane)
    assert numbers["params"] == f"{16 * 2 * 9:,}" and numbers["macs"] == f"{16 * 2 * 9 * 36:,}"
    assert numbers["coverage"] == "50"


@pytest.mark.parametrize("dense, unit, sizes", [
    (0.023, "ms", {}), (1.7, "s", {}), (3e-5, "µs", {}), (0.9996, "s", {}), (0.9994 / 1.2, "ms", {}),
    (4e-7, "ns", {"channels": 16, "size": 6, "groups": (1, 2, 4, 8, 16)}),
])
def test_times_and_rates_are_shown_in_one_unit_with_no_exponents(dense, unit, sizes):
    """The unit is the largest in which the longest time shown is at least 1, and likewise for the fastest rate;
    no number is written 1e+03."""
    sweep = synthetic(dense, **sizes)
    assert time_unit(sweep)[1] == unit
    ex = sweep_explorer(sweep)
    _per_second, rate = rate_unit(sweep)
    values = [sweep_numbers(sweep, g) for g in ex.controls[0].options]
    assert 1 <= max(v["time_high"] for v in values) < 1000 and 1 <= max(v["rate"] for v in values) < 1000
    for settings in ex.positions():
        pane = ex.pane(**settings)
        assert f"({unit})" in pane and f"({rate} multiply-adds/s)" in pane
        assert not [t for t in shown(pane).values() if "e" in t], shown(pane)


def test_numpy_numbers_are_stored_as_python_numbers():
    import numpy as np

    p = SweepPoint(np.int64(2), np.float64(1e-3), np.float32(9e-4), 1.1e-3, np.float64(0.95))
    sweep = GroupsSweep(np.int64(16), np.int64(6), [SweepPoint(1, 2e-3, 1e-3, 3e-3, 0.95), p])
    assert type(p.groups) is int and all(type(v) is float for v in (p.seconds, p.low, p.high, p.coverage))
    assert type(sweep.channels) is int and isinstance(sweep.points, tuple)
    assert GroupsSweep.from_data(json.loads(json.dumps(sweep.to_data()))) == sweep


def test_data_round_trip_and_the_explorer_rebuilt_from_a_pane():
    """What a page carries (``data-rxt-data``) rebuilds the same explorer: the same panes at every position."""
    ex = sweep_explorer(small_sweep(), default_groups=2)
    assert GroupsSweep.from_data(json.loads(json.dumps(small_sweep().to_data()))) == small_sweep()
    carried = json.loads(unescape(re.search(r'data-rxt-data="([^"]*)"', ex.pane(groups=1)).group(1)))
    again = explorer_from_data(carried)
    assert again.defaults == ex.defaults == {"groups": 2}
    assert [again.pane(**p) for p in again.positions()] == [ex.pane(**p) for p in ex.positions()]


def test_bars_share_one_scale_the_longest_interval_top_and_refuse_a_smaller_one():
    sweep = small_sweep()
    factor, _unit = time_unit(sweep)
    assert bar_scale(sweep) == max(p.high for p in sweep.points) / factor
    with pytest.raises(ValueError, match="scale_max=1 is smaller than a value to draw"):
        time_bars([("a", 2.0, "2", None)], 1, "two")
    with pytest.raises(ValueError, match="scale_max=1 is smaller than a value to draw"):
        time_bars([("a", 0.5, "0.5", (0.4, 1.5))], 1, "an interval beyond the scale")
    svg = time_bars([("a", 1.0, "1 ms", (0.5, 2.0)), ("b", 2.0, "2 ms", None)], 2.0, "a: 1 ms, b: 2 ms")
    assert svg.count("<rect") == 2 and svg.count("<path") == 1 and 'aria-label="a: 1 ms, b: 2 ms"' in svg


def test_the_chapters_sweep_stays_small_and_quick():
    """8 positions at the chapter's sizes: the panes and the saved widget state weigh little, a pane is made fast
    (the Colab fallback makes one per slider move)."""
    ex = sweep_explorer(synthetic(0.023))
    start = time.perf_counter()
    panes = [ex.pane(**p) for p in ex.positions()]
    assert (time.perf_counter() - start) / len(panes) < 0.1
    assert len(panes) == 8 and sum(map(len, panes)) < 80_000 and max(map(len, panes)) < 10_000
    if hasattr(ipywidgets, "Stack"):
        ipywidgets.Widget.close_all()
        ex.widget()
        assert len(json.dumps(ipywidgets.Widget.get_manager_state())) < 150_000


def point(**change) -> SweepPoint:
    return SweepPoint(**{"groups": 2, "seconds": 1e-3, "low": 9e-4, "high": 1.1e-3, "coverage": 0.95, **change})


def test_bad_data_is_refused_naming_the_rule():
    with pytest.raises(ValueError, match=r"the interval \[0.002, 0.003\] of groups=2 must hold its median"):
        point(low=2e-3, high=3e-3)
    with pytest.raises(ValueError, match="seconds=nan must be a finite number"):
        point(seconds=math.nan)
    with pytest.raises(ValueError, match="low=0.0 must be a finite number in"):
        point(low=0.0)
    with pytest.raises(ValueError, match=r"coverage=1.5 must be a finite number in \(0, 1\]"):
        point(coverage=1.5)
    with pytest.raises(ArgumentTypeError, match="groups=2.0"):
        point(groups=2.0)
    dense = point(groups=1)
    with pytest.raises(ValueError, match="needs the dense layer"):
        GroupsSweep(16, 6, (point(),))
    with pytest.raises(ValueError, match="each G must be measured once"):
        GroupsSweep(16, 6, (dense, point(), point()))
    with pytest.raises(ValueError, match="groups=3 must divide channels=16"):
        GroupsSweep(16, 6, (dense, point(groups=3)))
    many = [g for g in range(1, 1000) if 720720 % g == 0][: MAX_POSITIONS + 1]  # 720,720 has 240 divisors
    with pytest.raises(ValueError, match=f"{MAX_POSITIONS + 1} points: an explorer shows at most {MAX_POSITIONS}"):
        GroupsSweep(720720, 6, tuple(point(groups=g) for g in many))
    with pytest.raises(ArgumentTypeError, match="points='abc' must be a sequence of SweepPoint"):
        GroupsSweep(16, 6, "abc")
    with pytest.raises(ArgumentTypeError, match=r"points\[1\]"):
        GroupsSweep(16, 6, (dense, (2, 1e-3, 9e-4, 1.1e-3, 0.95)))
    with pytest.raises(ValueError, match="channels=0"):
        GroupsSweep(0, 6, (dense,))
    with pytest.raises(ValueError, match=r"default_groups=3 was not measured; the sweep has \[1, 2, 4, 8, 16\]"):
        sweep_explorer(small_sweep(), default_groups=3)
    with pytest.raises(ArgumentTypeError, match="sweep"):
        sweep_explorer([dense])
    with pytest.raises(ArgumentTypeError, match="timings"):
        GroupsSweep.from_timings({}, channels=16, size=6)


def test_without_stack_one_pane_follows_the_slider(monkeypatch):
    """Where ipywidgets has no ``Stack`` (Colab's 7.7.1), one pane is updated from Python as the slider moves (the
    Colab-like test runs the real ipywidgets 7 on the fixed explorers; here its absence of Stack is imitated)."""
    import sys
    import types

    seven = types.ModuleType("ipywidgets")
    seven.__dict__.update({k: v for k, v in vars(ipywidgets).items() if k != "Stack"})
    monkeypatch.setitem(sys.modules, "ipywidgets", seven)
    ex = sweep_explorer(small_sweep())
    box = ex.widget()
    (slider,), pane = box.children[1:-1], box.children[-1]
    assert pane.value == ex.pane(**ex.defaults)
    for i, g in enumerate(ex.controls[0].options):
        slider.index = i
        assert pane.value == ex.pane(groups=g)


def test_paired_speedups_are_shown_as_the_chapter_computes_them():
    convs = {str(g): nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=g, bias=False) for g in GROUPS}
    timings = time_modules(convs, torch.randn(1, CHANNELS, SIZE, SIZE), rounds=3, min_time=0.0, threads=1)
    ratios = {g: timings.ratio("1", str(g)) for g in GROUPS if g > 1}  # dense over G, paired by round
    sweep = GroupsSweep.from_timings({g: timings[str(g)] for g in GROUPS}, channels=CHANNELS, size=SIZE,
                                     speedups=ratios)
    assert GroupsSweep.from_data(sweep.to_data()) == sweep
    explorer = sweep_explorer(sweep)
    for g, ratio in ratios.items():
        values = explorer.compute(groups=g)
        assert (values["speedup"], values["speedup_low"], values["speedup_high"]) == (ratio.value, ratio.low, ratio.high)
        assert values["kept"] == pytest.approx(100 * ratio.value / g)
        assert "paired rounds" in explorer.render({"groups": g}, values)
    with pytest.raises(ValueError, match="must hold its speedup"):
        SweepPoint(2, 1.0, 0.9, 1.1, 0.95, speedup=3.0, speedup_low=1.0, speedup_high=2.0)
