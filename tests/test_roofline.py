"""``resnext_teach.roofline``: the two measured limits, and every distinct convolution of a model timed alone,
checked against the model's own layers and PyTorch's FLOP counter."""

import math

import pytest
import torch
from torch import nn

from resnext_teach import build_model, measure_macs
from resnext_teach.intensity import conv_intensity, conv_kind
from resnext_teach.roofline import (
    PEAK_CONV,
    attainable,
    by_kind,
    measure_bandwidth,
    measure_peaks,
    time_layers,
    time_per_macc_ratio,
)

from helpers import meta_image


def test_peaks_and_bandwidth_are_work_over_time():
    peaks = measure_peaks(size=64, rounds=3)
    c, h = PEAK_CONV["channels"], PEAK_CONV["size"]
    work = {"matmul": 64**3, "conv": measure_macs(nn.Conv2d(c, c, 3, padding=1, bias=False), torch.randn(1, c, h, h))}
    assert set(peaks) == set(work)
    for name, rate in peaks.items():
        assert rate.value == pytest.approx(work[name] / rate.timing.median)
        assert rate.low <= rate.value <= rate.high and rate.unit == "multiply-add"
    assert "matrix product" in peaks["matmul"].source and "3x3 convolution" in peaks["conv"].source
    bandwidth = measure_bandwidth(megabytes=2, rounds=3)
    assert bandwidth.value == pytest.approx(2 * 2 * 2**20 / bandwidth.timing.median)  # read + write
    assert "G" in str(bandwidth)


def test_attainable_is_the_roofline():
    peak, bandwidth = 40e9, 20e9  # ridge point at 2 multiply-adds per byte
    assert attainable(1.0, peak, bandwidth) == 20e9
    assert attainable(2.0, peak, bandwidth) == peak == attainable(50.0, peak, bandwidth)
    assert attainable(0.0, peak, bandwidth) == 0.0


def _reference_convs(model, x):
    """Every nn.Conv2d call of the forward pass with its input shape, by hooks independent of the package."""
    calls = []
    hooks = [m.register_forward_pre_hook(lambda m, a, name=n: calls.append((name, m, tuple(a[0].shape))))
             for n, m in model.named_modules() if isinstance(m, nn.Conv2d)]
    with torch.no_grad():
        model.eval()(x)
    for h in hooks:
        h.remove()
    return calls


def test_time_layers_finds_every_distinct_convolution_once():
    model = build_model("resnext_cifar_small").train()
    model.layer2[0].bn1.eval()
    modes = {n: m.training for n, m in model.named_modules()}
    x = torch.randn(1, 3, 16, 16)
    rows, env = time_layers({"x": model}, x, rounds=2, min_time=0.0)
    assert {n: m.training for n, m in model.named_modules()} == modes
    assert all(not m._forward_pre_hooks for m in model.modules())
    calls = _reference_convs(model, x)
    assert sum(r.count for r in rows) == len(calls)
    assert len(rows) == len({(m.in_channels, m.out_channels, m.kernel_size, m.stride, m.groups, s) for _, m, s in calls})
    modules = dict(model.named_modules())
    for r in rows:
        conv = modules[r.name]
        assert r.kind == conv_kind(conv) and r.intensity == conv_intensity(conv, r.input_shape[2:], r.input_shape[0])
        assert r.rate == pytest.approx(r.intensity.macs / r.timing.median) and r.timing.rounds == 2
    fc = model.fc.in_features * model.fc.out_features
    assert sum(r.count * r.intensity.macs for r in rows) == measure_macs(model, x) - fc  # FlopCounterMode
    assert env.threads == 1


def test_by_kind_sums_the_rounds_and_compares_per_multiply_add():
    models = {"r": build_model("resnet_cifar_small"), "x": build_model("resnext_cifar_small")}
    rows, _ = time_layers(models, torch.randn(1, 3, 8, 8), rounds=3, min_time=0.0)
    kinds = {(k.model, k.kind): k for k in by_kind(rows)}
    assert ("x", "3×3 grouped") in kinds and ("r", "3×3") in kinds and ("r", "3×3 grouped") not in kinds
    for (model, kind), k in kinds.items():
        members = [r for r in rows if (r.model, r.kind) == (model, kind)]
        assert k.layers == sum(r.count for r in members)
        assert k.macs == sum(r.count * r.intensity.macs for r in members)
        for i in range(3):
            assert k.timing.times[i] == pytest.approx(sum(r.count * r.timing.times[i] for r in members))
    g, d = kinds["x", "3×3 grouped"], kinds["r", "3×3"]
    ratio = time_per_macc_ratio(g, d)
    logs = [math.log((a / g.macs) / (b / d.macs)) for a, b in zip(g.timing.times, d.timing.times)]
    assert ratio.value == pytest.approx(math.exp(sum(logs) / 3))
    assert ratio.low <= ratio.value <= ratio.high


def test_roofline_errors():
    with pytest.raises(ValueError, match="has no nn.Conv2d layer"):
        time_layers({"lin": nn.Linear(2, 2)}, torch.randn(1, 2))
    with pytest.raises(ValueError, match="size=100000 is too large: at most 16,384"):
        measure_peaks(size=100_000)
    with pytest.raises(ValueError, match="peak=0"):
        attainable(1.0, 0, 1e9)
    with pytest.raises(ValueError, match="meta device: they have shapes but no data"):
        time_layers({"c": nn.Conv2d(3, 4, 3)}, meta_image(8))
