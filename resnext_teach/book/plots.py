"""The chapters' matplotlib plots, drawn from what a chapter computed: a ``hide-input`` cell calls one function
(and ``plt.show()``), so a reader who unfolds it reads one line instead of thirty lines of axes and colours.

* ``bottleneck_figure``  - chapter 4: ResNet's and ResNeXt's bottleneck, layer by layer with their weights
* ``bottleneck_row``     - the same blocks as separate pictures in a row that wraps on a phone (legible at 390 px)
* ``roofline_figure``    - chapter 5: every distinct convolution of the recorded campaign under the roofline
* ``training_curves``    - chapter 7: training loss and test accuracy per epoch, every seed and their mean
* ``groups_sweep_figure`` - chapter 6: the recorded groups sweep, relative time and achieved rate

Each draws with ``pyplot`` (so a notebook shows it inline) and returns the figure; every number in a label comes
from the objects passed in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import base64
import html
import io

import matplotlib.pyplot as plt
import matplotlib.ticker
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from ..blocks import ResNeXtBottleneck
from ..experiments.evidence import Roofline
from ..experiments.runs import Run
from ..validation import check_choice, check_instance, check_list, check_positive_int, check_real, describe

__all__ = ["FigureRow", "bottleneck_row", "bottleneck_figure", "roofline_figure", "training_curves", "groups_sweep_figure"]


def _check_mapping(name: str, value: object, what: str) -> None:
    """``TypeError`` unless ``value`` is a mapping, ``ValueError`` if it is empty (there would be nothing to draw)."""
    check_instance(name, value, Mapping, f"dict of {what}")
    if not value:
        raise ValueError(f"{name} is empty: give at least one of {what}")


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
    _check_mapping("blocks", blocks, "title -> ResNeXtBottleneck")
    for title, block in blocks.items():
        check_instance(f"blocks[{describe(title)}]", block, ResNeXtBottleneck, "ResNeXtBottleneck")
    fig, axes = plt.subplots(1, len(blocks), figsize=(5 * len(blocks), 4.2), squeeze=False)
    for ax, (title, block) in zip(axes[0], blocks.items()):
        _draw_block(ax, block, title)
    fig.tight_layout()
    return fig


class FigureRow:
    """Pictures side by side that wrap, one above the other, where the page is too narrow for them (a phone): each
    keeps its own size, so its labels stay legible instead of shrinking with the row. Shows itself in a notebook,
    in Colab and on the built page (``_repr_html_``); each picture is an image with its alt text."""

    def __init__(self, pictures: Mapping[str, Figure]):
        _check_mapping("pictures", pictures, "alt text -> matplotlib Figure")
        self._images = []
        for alt, fig in pictures.items():
            check_instance(f"pictures[{describe(alt)}]", fig, Figure, "matplotlib Figure")
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", facecolor="white")
            plt.close(fig)
            self._images.append((str(alt), base64.b64encode(buffer.getvalue()).decode("ascii")))

    def _repr_html_(self) -> str:
        images = "".join(
            f'<img src="data:image/svg+xml;base64,{data}" alt="{html.escape(alt)}" '
            'style="max-width:100%; height:auto; background:#fff">' for alt, data in self._images)
        return f'<div class="rxt-figure-row" style="display:flex; flex-wrap:wrap; gap:8px">{images}</div>'


def _describe_block(title: str, block: ResNeXtBottleneck) -> str:
    layers = []
    for name in ("conv1", "conv2", "conv3"):
        conv = getattr(block, name)
        k = conv.kernel_size[0]
        grouped = f" in {conv.groups} groups" if conv.groups > 1 else ""
        layers.append(f"{name} {k}x{k} from {conv.in_channels} to {conv.out_channels} channels{grouped} "
                      f"({conv.weight.numel():,} weights)")
    shortcut = "an identity shortcut" if block.downsample is None else "a projection shortcut"
    return f"{title}: " + ", then ".join(layers) + f", each followed by BatchNorm; {shortcut} added before the last ReLU."


def bottleneck_row(blocks: Mapping[str, ResNeXtBottleneck]) -> FigureRow:
    """``bottleneck_figure`` for each block of ``{title: block}``, as a ``FigureRow`` whose alt texts name every
    layer, its channels, groups and weights."""
    _check_mapping("blocks", blocks, "title -> ResNeXtBottleneck")
    for title, block in blocks.items():
        check_instance(f"blocks[{describe(title)}]", block, ResNeXtBottleneck, "ResNeXtBottleneck")
    return FigureRow({_describe_block(str(title), block): bottleneck_figure({title: block})
                      for title, block in blocks.items()})


# each kind has its own marker and colour; ResNet-50 filled, ResNeXt-50 hollow: no colour needed to tell them apart
_KINDS_DRAWN = {"3×3": ("o", "#4C72B0"), "3×3 grouped": ("s", "#C44E52"), "1×1": ("^", "#2F7D46"),
                "7×7": ("D", "#8172B2")}


def roofline_figure(roof: Roofline, models: Sequence[str]) -> Figure:
    """The roofline of ``roof`` (a recorded campaign) on log-log axes, with every distinct convolution of
    ``models`` as a point: its marker shows its kind, filled for ResNet-50 and hollow for the others."""
    check_instance("roof", roof, Roofline, "Roofline (Roofline.from_record)")
    recorded = {r.model for r in roof.layers}
    models = check_list("models", models, "model names")
    for i, model in enumerate(models):
        check_choice(f"models[{i}]", model, recorded, "model of the record")
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
    # the provenance on a line of its own, so that a long one does not widen the figure
    ax.set_title(f"Every distinct convolution of the two networks, recorded on\n{roof.record.where()}", fontsize=9)
    ax.grid(alpha=0.3, which="both")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, fontsize=8, frameon=False)
    fig.tight_layout()
    return fig


def training_curves(runs: Sequence[Run], model_names: Sequence[str], epochs: int) -> Figure:
    """Training loss (log scale) and test accuracy against the epoch: a thin line per run, a thick line per model
    for the mean over its seeds (the first model blue, the second orange); ``epochs``: each run's length."""
    runs = check_list("runs", runs, "runs (from train_models)")
    model_names = check_list("model_names", model_names, "model names")
    if not 1 <= len(model_names) <= 2:
        raise ValueError(f"model_names holds {len(model_names)} names: give one or two (one colour each)")
    epochs = check_positive_int("epochs", epochs)
    for i, run in enumerate(runs):
        if not (hasattr(run, "model_name") and hasattr(run, "history")):
            raise TypeError(f"runs[{i}] must be a Run (from train_models), not {type(run).__name__}")
        for key in ("train_loss", "test_acc"):
            if len(getattr(run.history, key, ())) != epochs:
                raise ValueError(f"runs[{i}] ({run.model_name}) has {len(getattr(run.history, key, ()))} epochs of "
                                 f"{key}, not epochs={epochs}")
    for i, name in enumerate(model_names):
        if not any(run.model_name == name for run in runs):
            raise ValueError(f"model_names[{i}]={describe(name)} has no run in runs; "
                             f"their models: {sorted({str(run.model_name) for run in runs})}")
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
    _check_mapping("rows", rows, "groups -> {timing, macs, rate}")
    for g, row in rows.items():
        name = f"rows[{describe(g)}]"
        check_positive_int(f"{name}'s group count", g)
        check_instance(name, row, Mapping, "dict with 'timing', 'macs' and 'rate'")
        missing = [key for key in ("timing", "macs", "rate") if key not in row]
        if missing:
            raise ValueError(f"{name} has no {missing}: each row needs 'timing', 'macs' and 'rate'")
        if not (hasattr(row["timing"], "median") and hasattr(row["timing"], "interval")):
            raise TypeError(f"{name}['timing'] must be a Timing, not {type(row['timing']).__name__}")
        check_real(f"{name}['macs']", row["macs"], 0.0, low_open=True)
        check_real(f"{name}['rate']", row["rate"], 0.0, low_open=True)
    if 1 not in rows:
        raise ValueError(f"rows has no dense layer (G = 1) to compare with: its groups are {sorted(rows)}")
    check_real("peak", peak, 0.0, low_open=True)
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
