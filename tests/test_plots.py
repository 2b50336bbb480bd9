"""``resnext_teach.book.plots``: every label a plot writes comes from the objects it is given (the chapters call
these functions from their hide-input cells)."""

import base64
import re
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.text import Text

from resnext_teach import ResNeXtBottleneck
from resnext_teach.book import plots
from resnext_teach.experiments.evidence import Roofline
from resnext_teach.experiments.records import load_record


def texts(fig) -> list[str]:
    found = [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    plt.close(fig)
    return found


def test_bottleneck_figure_labels_each_layer_from_its_module():
    with torch.device("meta"):
        blocks = {"plain": ResNeXtBottleneck(256, 64, cardinality=1, bottleneck_width=64),
                  "strided": ResNeXtBottleneck(256, 128, cardinality=32, bottleneck_width=4, stride=2)}
    shown = texts(plots.bottleneck_figure(blocks))
    assert {"plain", "strided", "input: 256 channels", "ReLU -> output: 512 channels"} <= set(shown)
    assert "conv2: 256, 3x3, 256, groups=32" in shown and "conv2: 64, 3x3, 64" in shown
    assert f"{blocks['strided'].conv2.weight.numel():,} weights, then BN, ReLU" in shown
    assert "identity shortcut" in shown and "projection shortcut" in shown


def test_roofline_figure_draws_every_recorded_layer():
    roof = Roofline.from_record(load_record("roofline"))
    models = ("ResNet-50", "ResNeXt-50 (32×4d)")
    fig = plots.roofline_figure(roof, models)
    (ax,) = fig.axes
    points = sum(len(c.get_offsets()) for c in ax.collections)
    assert points == len([r for r in roof.layers if r.model in models])
    assert f"ridge point {roof.ridge:.1f}" in texts(fig)
    assert roof.record.where() in ax.get_title()


def test_training_curves_draw_every_run_and_each_models_mean():
    rng = np.random.default_rng(0)
    names = ["r", "x"]
    runs = [SimpleNamespace(model_name=name, history=SimpleNamespace(train_loss=list(rng.random(5) + 0.1),
                                                                      test_acc=list(0.5 + rng.random(5) / 2)))
            for name in names for _ in range(3)]
    fig = plots.training_curves(runs, names, epochs=5)
    left, right = fig.axes
    assert len(left.lines) == len(right.lines) == 3 * 2 + 2  # every run, then each model's mean
    lowest = min(min(run.history.test_acc) for run in runs) * 100
    assert right.get_ylim() == (max(0, 5 * np.floor(lowest / 5) - 5), 100)
    assert "r (mean of 3)" in texts(fig)


def test_groups_sweep_figure_is_relative_to_the_dense_layer():
    t = SimpleNamespace(median=2.0, interval=(1.5, 2.5))
    fast = SimpleNamespace(median=1.0, interval=(0.9, 1.2))
    rows = {1: dict(timing=t, macs=100, rate=50.0), 4: dict(timing=fast, macs=25, rate=25.0)}
    fig = plots.groups_sweep_figure(rows, peak=2e9)
    left, right = fig.axes
    flops = left.lines[0]
    assert list(flops.get_ydata()) == [1.0, 0.25]  # multiply-adds over the dense layer's
    assert right.lines[-1].get_ydata()[0] == 2.0  # the peak, in G multiply-adds per second
    plt.close(fig)


def test_bottleneck_row_wraps_one_legible_picture_per_block_each_with_its_alt_text():
    with torch.device("meta"):
        blocks = {"ResNet": ResNeXtBottleneck(256, 64, cardinality=1, bottleneck_width=64),
                  "ResNeXt": ResNeXtBottleneck(256, 64, cardinality=32, bottleneck_width=4)}
    page = plots.bottleneck_row(blocks)._repr_html_()
    assert "flex-wrap:wrap" in page and page.count("<img ") == 2
    assert 'alt="ResNet: conv1 1x1 from 256 to 64 channels (16,384 weights)' in page
    assert "conv2 3x3 from 128 to 128 channels in 32 groups (4,608 weights)" in page
    # each picture keeps its own size (a 5-inch figure), so its 9-point labels do not shrink with a wide row
    width = re.search(r'width="([\d.]+)pt"', base64.b64decode(re.findall(r"base64,([^\"]+)", page)[0]).decode())
    assert 300 <= float(width.group(1)) <= 400
    with pytest.raises(ValueError, match="blocks is empty"):
        plots.bottleneck_row({})
