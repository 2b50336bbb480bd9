"""The chapters' matplotlib plots, drawn from what a chapter computed: a ``hide-input`` cell calls one function
(and ``plt.show()``), so a reader who unfolds it reads one line instead of thirty lines of axes and colours.

* ``bottleneck_figure``  - chapter 4: ResNet's and ResNeXt's bottleneck, layer by layer with their weights
* ``timing_figure``      - chapter 4: single ``time.time()`` calls against medians of interleaved rounds
* ``roofline_figure``    - chapter 5: every distinct convolution of the recorded campaign under the roofline
* ``training_curves``    - chapter 6: training loss and test accuracy per epoch, every seed and their mean
* ``groups_sweep_figure`` - chapter 6: the recorded groups sweep, relative time and achieved rate

Each draws with ``pyplot`` (so a notebook shows it inline) and returns the figure; every number in a label comes
from the objects passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..blocks import ResNeXtBottleneck
from ..experiments.evidence import Roofline
from ..experiments.runs import Run
from ..timing import Timings

__all__ = ["bottleneck_figure", "timing_figure", "roofline_figure", "training_curves", "groups_sweep_figure"]


def _draw_block(ax, block: ResNeXtBottleneck, title: str) -> None:
    convs = [("conv1", block.conv1), ("conv2", block.conv2), ("conv3", block.conv3)]
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.7, 5.6)
    ax.axis("off")
    ax.set_title(title, fontsize=11)
    ax.text(4, 5.3, f"input: {block.conv1.in_channels} channels", ha="center", va="center", fontsize=9)
    ax.annotate("", xy=(4, 4.42), xytext=(4, 5.15), arrowprops=dict(arrowstyle="->"))
    for i, (name, conv) in enumerate(convs):
        y = 4 - 1.25 * i  # box centre
        grouped = conv.groups > 1
        ax.add_patch(FancyBboxPatch((1, y - 0.35), 6, 0.7, boxstyle="round,pad=0.05",
                                    fc="#DD8452" if grouped else "#c6d6ea", ec="#333"))
        k = conv.kernel_size[0]
        label = f"{name}: {conv.in_channels}, {k}x{k}, {conv.out_channels}"
        label += f", groups={conv.groups}" if grouped else ""
        ax.text(4, y + 0.1, label, ha="center", va="center", fontsize=9)
        ax.text(4, y - 0.2, f"{conv.weight.numel():,} weights, then BN" + (", ReLU" if i < 2 else ""),
                ha="center", va="center", fontsize=7.5, color="#333")
        bottom, next_top = y - 0.42, (y - 1.25 + 0.42 if i < 2 else 0.22)
        ax.annotate("", xy=(4, next_top), xytext=(4, bottom), arrowprops=dict(arrowstyle="->"))
    ax.add_patch(plt.Circle((4, 0.0), 0.2, fc="white", ec="#333"))
    ax.text(4, 0.0, "+", ha="center", va="center", fontsize=11)
    ax.plot([4, 8.6, 8.6, 4.2], [4.85, 4.85, 0.0, 0.0], color="#55A868", lw=1.5)  # shortcut: input -> add
    ax.text(8.8, 2.5, "identity shortcut" if block.downsample is None else "projection shortcut",
            rotation=90, va="center", fontsize=8, color="#55A868")
    ax.annotate("", xy=(4, -0.45), xytext=(4, -0.2), arrowprops=dict(arrowstyle="->"))
    ax.text(4, -0.6, f"ReLU -> output: {block.conv3.out_channels} channels", ha="center", va="center", fontsize=9)


def bottleneck_figure(blocks: Mapping[str, ResNeXtBottleneck]) -> Figure:
    """Each block of ``{title: block}`` side by side: its three convolutions (grouped ones in orange) with their
    channels, kernel, groups and weight count, the shortcut (identity or projection) and the final ReLU."""
    fig, axes = plt.subplots(1, len(blocks), figsize=(5 * len(blocks), 4.2), squeeze=False)
    for ax, (title, block) in zip(axes[0], blocks.items()):
        _draw_block(ax, block, title)
    fig.tight_layout()
    return fig


def timing_figure(single_shots: Mapping[str, Sequence[float]], timings: Timings) -> Figure:
    """Per candidate of ``timings``: its single calls (seconds, ``single_shots[label]``) as red dots, and the median
    of the interleaved rounds with its interval, on a log scale of milliseconds."""
    labels = list(timings)
    fig, ax = plt.subplots(figsize=(8, 3.6))
    for i, label in enumerate(labels):
        shots = np.array(single_shots[label]) * 1e3
        ax.scatter(shots, np.full(len(shots), i) + np.linspace(-0.12, 0.12, len(shots)), s=22, color="#C44E52",
                   alpha=0.8, label="single call, time.time()" if i == 0 else None, zorder=3)
        t = timings[label]
        low, high = (v * 1e3 for v in t.interval)
        ax.errorbar([t.median * 1e3], [i], xerr=[[t.median * 1e3 - low], [high - t.median * 1e3]], fmt="s", ms=7,
                    color="#4C72B0", capsize=3, zorder=4,
                    label=f"median of {t.rounds} interleaved rounds, with its interval" if i == 0 else None)
        ax.annotate(f"median {t.median * 1e3:.1f} ms [{low:.1f}, {high:.1f}]", (t.median * 1e3, i),
                    xytext=(0, -13), textcoords="offset points", ha="center", fontsize=7.5, color="#4C72B0")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xscale("log")
    ax.margins(x=0.12)
    ax.set_xlabel("milliseconds per forward pass (batch 8, 256 x 28 x 28), log scale")
    ax.invert_yaxis()
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2, fontsize=8, frameon=False)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# each kind has its own marker and colour; ResNet-50 filled, ResNeXt-50 hollow: no colour needed to tell them apart
_KINDS_DRAWN = {"3×3": ("o", "#4C72B0"), "3×3 grouped": ("s", "#C44E52"), "1×1": ("^", "#2F7D46"),
                "7×7": ("D", "#8172B2")}


def roofline_figure(roof: Roofline, models: Sequence[str]) -> Figure:
    """The roofline of ``roof`` (a recorded campaign) on log-log axes, with every distinct convolution of
    ``models`` as a point: its marker shows its kind, filled for ResNet-50 and hollow for the others."""
    fig, ax = plt.subplots(figsize=(8, 4.4))
    x_roof = np.logspace(-1, 2.5, 200)
    ax.plot(x_roof, [roof.roof(i) / 1e9 for i in x_roof], color="black", lw=1.5,
            label="roofline: min(peak, intensity × bandwidth)")
    ax.axvline(roof.ridge, color="grey", ls=":", lw=1)
    ax.annotate(f"ridge point {roof.ridge:.1f}", (roof.ridge, roof.peak / 1e9 / 8), xytext=(4, 0),
                textcoords="offset points", fontsize=8, color="grey")
    for model in models:
        for kind, (marker, colour) in _KINDS_DRAWN.items():
            chosen = [r for r in roof.layers if r.model == model and r.kind == kind]
            if chosen:
                ax.scatter([r.intensity.macs_per_byte for r in chosen], [r.rate / 1e9 for r in chosen], s=38,
                           marker=marker, edgecolors=colour, linewidths=1.4,
                           facecolors=colour if model == "ResNet-50" else "none", label=f"{model}: {kind}")
    ax.set_xscale("log")
    ax.set_yscale("log")
    for axis in (ax.xaxis, ax.yaxis):  # plain numbers on the log axes
        axis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:g}"))
        axis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    ax.set_xlabel("arithmetic intensity (multiply-adds per byte, each tensor moved once)")
    ax.set_ylabel("G multiply-adds per second")
    ax.set_title(f"Every distinct convolution of the two networks, recorded on {roof.record.where()}", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def training_curves(runs: Sequence[Run], model_names: Sequence[str], epochs: int) -> Figure:
    """Training loss (log scale) and test accuracy against the epoch: a thin line per run, a thick line per model
    for the mean over its seeds (the first model blue, the second orange)."""
    colours = dict(zip(model_names, ("tab:blue", "tab:orange")))
    x = np.arange(1, epochs + 1)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.6))
    panels = (("train_loss", "training loss (eval mode)", 1), ("test_acc", "test accuracy (%)", 100))
    lowest_acc = 100.0
    for ax, (key, title, scale) in zip(axes, panels):
        for name in model_names:
            curves = np.array([getattr(run.history, key) for run in runs if run.model_name == name]) * scale
            for curve in curves:
                ax.plot(x, curve, color=colours[name], alpha=0.3, lw=1)
            ax.plot(x, curves.mean(axis=0), color=colours[name], lw=2.2, label=f"{name} (mean of {len(curves)})")
            if key == "test_acc":
                lowest_acc = min(lowest_acc, curves.min())
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_yscale("log")
    axes[1].set_ylim(max(0, 5 * np.floor(lowest_acc / 5) - 5), 100)  # every seed's curve, up to 100 %
    handles, labels = axes[1].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=2, frameon=False)  # below the axes, clear of the data
    fig.tight_layout(rect=(0, 0.1, 1, 1))
    return fig


def groups_sweep_figure(rows: Mapping[int, Mapping], peak: float) -> Figure:
    """The groups sweep: per group count ``G`` (``rows[G]``: its ``timing``, ``macs`` and ``rate``), the FLOPs and
    the recorded time relative to the dense layer (``G = 1``), and the achieved rate against ``peak``."""
    groups = np.array(sorted(rows))
    dense = rows[1]
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.4))
    relative = np.array([rows[g]["timing"].median / dense["timing"].median for g in groups])
    spread = np.array([[rows[g]["timing"].median - rows[g]["timing"].interval[0],
                        rows[g]["timing"].interval[1] - rows[g]["timing"].median] for g in groups]).T
    axes[0].loglog(groups, [rows[g]["macs"] / dense["macs"] for g in groups], "o--", color="grey",
                   label="FLOPs (1/G)", base=2)
    axes[0].errorbar(groups, relative, yerr=spread / dense["timing"].median, fmt="s-", color="tab:red", capsize=3,
                     label="recorded time (median, interval)")
    axes[0].set_title("relative to the dense layer (G = 1)")
    axes[0].set_xlabel("groups G")
    axes[0].legend()
    axes[1].semilogx(groups, [rows[g]["rate"] / 1e9 for g in groups], "s-", color="tab:red", base=2,
                     label="achieved")
    axes[1].axhline(peak / 1e9, color="black", lw=1, ls="--", label="recorded peak (Chapter 5)")
    axes[1].set_title("G multiply-adds per second")
    axes[1].set_xlabel("groups G")
    axes[1].set_ylim(bottom=0)
    axes[1].legend()
    for ax in axes:
        ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    return fig
