"""Small statistics for repeated measurements: a spread over seeds, Student's t quantile, and the t interval of a
mean. The timing module (``timing``) and the training experiments (``training``) both use them."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from numbers import Real

from .validation import MAX_COUNT, check_positive_int, check_real, describe

__all__ = ["spread", "t_quantile", "mean_interval"]


@dataclass(frozen=True)
class Spread:
    """Mean, sample standard deviation, minimum and maximum of one measurement over seeds."""

    mean: float
    std: float
    low: float
    high: float
    count: int


def _finite_values(name: str, values: Iterable[object]) -> list[float]:
    """``values`` (a list or tuple) as a list of floats; a non-number or a NaN/infinite one is a ``ValueError``
    naming its position."""
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"values must be a list of numbers, not {type(values).__name__}")
    result = []
    for i, value in enumerate(values):
        if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
            raise ValueError(f"{name} needs finite numbers, got {describe(value)} at position {i}")
        result.append(float(value))
    return result


def spread(values: Sequence[float]) -> Spread:
    """Summarise ``values`` (one per seed); the standard deviation is 0 for a single value."""
    values = _finite_values("spread", values)
    if not values:
        raise ValueError("values is empty: spread needs at least one value")
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return Spread(statistics.fmean(values), std, min(values), max(values), len(values))


def _t_two_sided(t: float, dof: int) -> float:
    """P(|T| <= t) for Student's t with an integer number ``dof`` of degrees of freedom, t >= 0, by the finite
    sums of Abramowitz and Stegun (1964), 26.7.3 (odd dof) and 26.7.4 (even dof), with theta = atan(t / sqrt(dof))."""
    theta = math.atan(t / math.sqrt(dof))
    c2 = math.cos(theta) ** 2
    if dof % 2 == 1:  # (2/pi) * (theta + sin(theta) * (cos + 2/3 cos^3 + 2*4/(3*5) cos^5 + ... up to cos^(dof-2)))
        term, total = math.cos(theta), 0.0
        for k in range(1, (dof - 1) // 2 + 1):
            total += term
            term *= c2 * (2 * k) / (2 * k + 1)
        return 2 / math.pi * (theta + math.sin(theta) * total)
    term, total = 1.0, 0.0  # sin(theta) * (1 + 1/2 cos^2 + 1*3/(2*4) cos^4 + ... up to cos^(dof-2))
    for k in range(1, dof // 2 + 1):
        total += term
        term *= c2 * (2 * k - 1) / (2 * k)
    return math.sin(theta) * total


def t_quantile(probability: float, dof: int) -> float:
    """The ``probability`` quantile of Student's t distribution with ``dof`` (an integer >= 1) degrees of freedom,
    e.g. ``t_quantile(0.975, 2) = 4.3027`` (what ``scipy.stats.t.ppf`` computes; exact to float precision).

    The distribution function has a finite closed form for an integer ``dof`` (``_t_two_sided``); the quantile
    is found by bisection on the angle ``atan(t / sqrt(dof))`` in (0, pi/2), to the last bit of a float."""
    probability = check_real("probability", probability, 0.0, 1.0, low_open=True)
    dof = check_positive_int("dof", dof, MAX_COUNT)  # the closed form sums dof / 2 terms
    if probability == 0.5:
        return 0.0
    if probability < 0.5:
        return -t_quantile(1.0 - probability, dof)
    target = 2 * probability - 1  # P(|T| <= t)
    low, high = 0.0, math.pi / 2
    while True:
        middle = (low + high) / 2
        if middle in (low, high):  # the interval is down to adjacent floats
            break
        if _t_two_sided(math.sqrt(dof) * math.tan(middle), dof) < target:
            low = middle
        else:
            high = middle
    return math.sqrt(dof) * math.tan(high)


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval of the mean of ``values`` (e.g. paired differences, one per seed) from Student's t
    distribution with ``len(values) - 1`` degrees of freedom; it assumes the values are independent draws."""
    values = _finite_values("mean_interval", values)
    if len(values) < 2:
        raise ValueError(f"values: an interval needs at least 2 values, got {len(values)}")
    if len(values) > MAX_COUNT + 1:
        raise ValueError(f"values holds {len(values):,} numbers; at most {MAX_COUNT + 1:,} (dof <= {MAX_COUNT:,})")
    confidence = check_real("confidence", confidence, 0.0, 1.0, low_open=True)
    mean = statistics.fmean(values)
    t = t_quantile(0.5 + confidence / 2, len(values) - 1)
    half = t * statistics.stdev(values) / math.sqrt(len(values))
    return mean - half, mean + half


