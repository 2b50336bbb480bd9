"""``resnext_teach.timing``: the interleaved rounds, the interval of a median, the paired ratio and its word."""

import math
import statistics
import time

import pytest
import torch
from torch import nn

from resnext_teach import build_model
from resnext_teach.stats import t_quantile
from resnext_teach.devices import environment
from resnext_teach.timing import (
    CONFIDENCE,
    DEAD_BAND,
    Ratio,
    Timing,
    Timings,
    _median_rank,
    quiet_allocator,
    time_interleaved,
    time_modules,
    phrase,
    verdict,
)


def _binomial_coverage(n: int, k: int) -> float:
    """P(x_(k) <= median <= x_(n-k+1)) for n draws of a continuous distribution, by counting outcomes."""
    inside = sum(math.comb(n, j) for j in range(k, n - k + 1))
    return inside / 2**n


@pytest.mark.parametrize("n", [2, 3, 5, 6, 7, 9, 12, 20, 41])
def test_median_interval_rank_is_the_widest_with_enough_coverage(n):
    k, coverage = _median_rank(n, CONFIDENCE)
    assert coverage == pytest.approx(_binomial_coverage(n, k))
    if n >= 6:
        assert coverage >= CONFIDENCE
        assert k + 1 > n - k or _binomial_coverage(n, k + 1) < CONFIDENCE  # one step narrower is not enough
    else:
        assert k == 1  # too few rounds for 95 %: the extremes, with the coverage they reach


def test_median_interval_against_scipy():
    binom = pytest.importorskip("scipy.stats").binom
    for n in (6, 7, 10, 25):
        k, coverage = _median_rank(n, CONFIDENCE)
        assert coverage == pytest.approx(1 - 2 * binom.cdf(k - 1, n, 0.5))


def test_timing_summary():
    t = Timing("x", (0.005, 0.001, 0.003, 0.002, 0.004, 0.010, 0.006), 3)
    assert t.median == 0.004 and t.rounds == 7
    assert t.interval == (0.001, 0.010)  # 7 rounds: the extremes hold the median with 98.4 % confidence
    assert t.coverage == pytest.approx(1 - 2 / 128)
    assert "4.00 ms" in str(t) and "7 rounds of 3 calls" in str(t)


def test_ratio_is_the_geometric_mean_of_paired_rounds_with_a_t_interval():
    a = Timing("a", (2.0, 2.2, 1.9, 2.1), 1)
    b = Timing("b", (1.0, 1.0, 1.0, 1.1), 1)
    r = Timings({"a": a, "b": b}, environment()).ratio("a", "b")
    logs = [math.log(x / y) for x, y in zip(a.times, b.times)]
    half = t_quantile(0.975, 3) * statistics.stdev(logs) / 2
    assert r.value == pytest.approx(math.exp(statistics.fmean(logs)))
    assert (r.low, r.high) == pytest.approx((math.exp(statistics.fmean(logs) - half),
                                             math.exp(statistics.fmean(logs) + half)))
    assert r.rounds == 4 and verdict(r) == "slower" and r.word() == "slower by more than 5 %"
    # the pairing matters: a common slow round cancels
    drift = Timings({"a": Timing("a", (1.0, 2.0, 4.0), 1), "b": Timing("b", (1.0, 2.0, 4.0), 1)}, environment())
    assert drift.ratio("a", "b").value == pytest.approx(1.0) and verdict(drift.ratio("a", "b")) == "within"
    with pytest.raises(KeyError, match="'c' was not timed"):
        drift.ratio("a", "c")
    with pytest.raises(ValueError, match="both 'a'"):
        drift.ratio("a", "a")


@pytest.mark.parametrize("low, high, key, words", [
    (1 + DEAD_BAND + 0.01, 1.3, "slower", "slower by more than 5 %"),
    (1.01, 1.2, "undecided", "not decided by this measurement"),  # crosses the band's upper edge
    (1.01, 1.04, "within", "within 5 %"),  # excludes 1, yet wholly inside the band: never "no difference"
    (0.97, 1.03, "within", "within 5 %"),
    (0.5, 1 - DEAD_BAND - 0.01, "faster", "faster by more than 5 %"),
    (0.5, 1.5, "undecided", "not decided by this measurement"),  # crosses both edges
    (0.9, 0.99, "undecided", "not decided by this measurement"),  # crosses the lower edge
])
def test_verdict_names_where_the_interval_lies_against_the_band(low, high, key, words):
    ratio = Ratio("a", "b", (low * high) ** 0.5, low, high, 7)
    assert verdict(ratio) == key and ratio.word() == phrase(key) == words
    assert str(ratio).endswith("over 7 paired rounds")  # a printed ratio carries no word


def test_phrase_refuses_a_key_outside_the_vocabulary():
    with pytest.raises(ValueError, match="'no measurable difference' is not one of slower, faster, within"):
        phrase("no measurable difference")


def test_time_interleaved_rotates_the_order_and_times_enough_calls():
    calls: list[str] = []

    def make(name, seconds=0.0):
        def fn():
            calls.append(name)
            if seconds:
                time.sleep(seconds)
        return fn

    timings = time_interleaved({"a": make("a", 0.002), "b": make("b"), "c": make("c")}, rounds=3, warmup=1,
                               min_time=0.01, threads=1)
    assert list(timings) == ["a", "b", "c"] and all(t.rounds == 3 for t in timings.values())
    assert timings["a"].calls >= 2  # a call lasts at least 2 ms: 10 ms need several
    assert timings["a"].median >= 0.002  # time.sleep never returns early
    assert timings["b"].calls > timings["a"].calls
    timed = calls[len(calls) - sum(3 * t.calls for t in timings.values()):]  # after warm-up and calibration
    firsts = []
    i = 0
    for _ in range(3):
        round_names = []
        for _ in range(3):
            name = timed[i]
            round_names.append(name)
            i += timings[name].calls
        firsts.append(round_names)
    assert firsts == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert timings.environment.threads == 1 and "1 of" in str(timings.environment)
    assert str(timings).startswith("timed on ")


def test_time_interleaved_runs_with_the_threads_asked_for_and_restores_them():
    seen = []
    before = torch.get_num_threads()
    other = 2 if before == 1 else 1  # a count that differs from the current one (the suite runs on 1 thread)
    time_interleaved({"f": lambda: seen.append(torch.get_num_threads())}, rounds=2, warmup=0, min_time=0.0,
                     threads=other)
    assert set(seen) == {other} and torch.get_num_threads() == before


def test_time_modules_times_inference_and_restores_modes():
    model = build_model("resnext_cifar_small").train()
    model.layer1[0].bn1.eval()
    modes = {name: m.training for name, m in model.named_modules()}
    bn = model.layer1[0].bn2
    stats = bn.running_mean.clone()
    timings = time_modules({"m": model, "conv": nn.Conv2d(3, 4, 3)}, torch.randn(2, 3, 8, 8), rounds=2, min_time=0.0)
    assert set(timings) == {"m", "conv"}
    assert {name: m.training for name, m in model.named_modules()} == modes
    assert torch.equal(bn.running_mean, stats)  # eval mode: BatchNorm's statistics untouched


def test_allocator_settings_apply_on_glibc():
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("glibc only")
    assert quiet_allocator() is True


def test_environment_names_the_machine():
    env = environment("cpu", threads=2)
    assert env.threads == 2 and env.torch == torch.__version__ and env.device == "cpu"
    assert env.processor and torch.__version__ in str(env)
