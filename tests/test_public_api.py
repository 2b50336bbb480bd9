"""The public surface (each public module's ``__all__``) called with awkward arguments: one argument at a time is
spoiled (None, text, 0, -1, a float, NaN, 10**12, a bool, an object whose ``__index__`` raises, an empty, wrongly
shaped or integer tensor, ...) and the call may only return or raise a ValueError or TypeError whose message names
that argument; never an AttributeError, IndexError, KeyError, ZeroDivisionError or torch RuntimeError, and never a
hang (each call has a few seconds). Also: the public surface holds every name the chapters import."""

from __future__ import annotations

import importlib
import inspect
import json
import math
import pkgutil
import re
import signal
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from functools import cache
from pathlib import Path
from unittest import mock

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

import resnext_teach
from resnext_teach import MODEL_CONFIGS, ResNeXtBottleneck, build_model
from resnext_teach.book.exercises import concepts
from resnext_teach.book.explorers.sweep_data import GroupsSweep
from resnext_teach.devices import environment
from resnext_teach.experiments.evidence import Roofline
from resnext_teach.experiments.image_data import ImageData
from resnext_teach.experiments.records import load_record
from resnext_teach.experiments.runs import Run
from resnext_teach.experiments.search import Candidate
from resnext_teach.experiments.training import History
from resnext_teach.pretrained import PretrainedUnavailable
from resnext_teach.stages import stage_table
from resnext_teach.timing import Ratio, Timing, Timings

ROOT = Path(__file__).resolve().parent.parent
CPU_SECONDS, WALL_SECONDS = 3, 30  # a call that takes longer hangs (CPU time; wall time for a wait)


def public_modules() -> dict[str, object]:
    """Every module of the package that declares ``__all__`` (the package's own ``__all__`` re-exports the math)."""
    found = {}
    for info in pkgutil.walk_packages(resnext_teach.__path__, "resnext_teach."):
        module = importlib.import_module(info.name)
        if hasattr(module, "__all__"):
            found[info.name] = module
    return found


def public_callables(modules: dict[str, object]) -> dict[str, Callable]:
    """``{"counting.conv2d_params": fn}``: the functions and classes of ``__all__`` (not the exceptions: the
    package raises them), and the public classmethods (alternative constructors, such as ``Roofline.from_record``)
    of those classes."""
    found = {}
    for name, module in modules.items():
        short = name.removeprefix("resnext_teach.")
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.isclass(obj) and issubclass(obj, Exception):
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found[f"{short}.{attr}"] = obj
            if inspect.isclass(obj):
                found.update({f"{short}.{attr}.{k}": getattr(obj, k) for k, v in vars(obj).items()
                              if isinstance(v, classmethod) and not k.startswith("_")})
    return found


MODULES = public_modules()
CALLABLES = public_callables(MODULES)


# --- valid arguments: by parameter name, then per callable where one name means another thing ------------------


@cache
def conv() -> nn.Conv2d:
    return nn.Conv2d(4, 8, 3, padding=1)


@cache
def grouped() -> nn.Conv2d:
    return nn.Conv2d(8, 8, 3, padding=1, groups=2)


def classifier() -> nn.Module:
    """A fresh model for the training loop (a spoiled argument may ruin a model's weights, e.g. ``lr=10**12``)."""
    return nn.Sequential(nn.Flatten(), nn.Linear(64, 4))


@cache
def data(held_out: str = "test") -> ImageData:
    g = torch.Generator().manual_seed(0)
    return ImageData("tiny", torch.randn(16, 1, 8, 8, generator=g), torch.arange(16) % 4,
                     torch.randn(8, 1, 8, 8, generator=g), torch.arange(8) % 4, ("a", "b", "c", "d"),
                     held_out=held_out)


def timing(label: str, scale: float = 1.0) -> Timing:
    return Timing(label, tuple(scale * t for t in (1.0e-3, 1.1e-3, 0.9e-3, 1.05e-3)), 1)


def sweep() -> GroupsSweep:
    return GroupsSweep.from_timings({1: timing("G=1"), 2: timing("G=2", 0.6)}, channels=8, size=4)


def timings(*labels: str) -> Timings:
    """What ``time_modules`` returns, without measuring: ``{label: Timing}`` and where it was "measured"."""
    return Timings({label: timing(label) for label in labels}, environment("cpu", 1))


def run(name: str = "m") -> Run:
    return Run(name, 0, None, History(name, 0, "cpu", [0.1], [1.0], [0.2], [0.9], [1.0]), None)


class FakeCIFAR10:
    """torchvision's ``CIFAR10`` without the 170 MB download: 20 images, two of each class."""

    def __init__(self, root: str, train: bool, download: bool) -> None:
        self.data = np.zeros((20, 32, 32, 3), dtype=np.uint8)
        self.targets = [i % 10 for i in range(20)]


BY_NAME: dict[str, Callable[[], object]] = {
    "in_channels": lambda: 8, "out_channels": lambda: 8, "kernel_size": lambda: 3, "groups": lambda: 2,
    "planes": lambda: 4, "cardinality": lambda: 2, "bottleneck_width": lambda: 32, "output_size": lambda: 4,
    "input_size": lambda: 6, "form": lambda: "grouped", "name": lambda: "resnet_cifar_small", "module": conv,
    "conv": conv, "inputs": lambda: torch.randn(1, 4, 6, 6), "x": lambda: torch.randn(1, 8, 4, 4),
    "mask": lambda: torch.eye(4, dtype=torch.bool), "description": lambda: "a picture", "answer": lambda: None,
    "config": lambda: MODEL_CONFIGS["resnet_cifar_small"], "model": classifier, "layers": lambda: (1, 1),
    "labels": lambda: torch.arange(4) % 2, "num_classes": lambda: 2, "sizes": lambda: (2, 2),
    "values": lambda: [1.0, 2.0], "probability": lambda: 0.975, "dof": lambda: 3, "macs_per_byte": lambda: 2.0,
    "peak": lambda: 1e10, "bandwidth": lambda: 1e9, "rate": lambda: 1e9, "models": lambda: {"conv": conv()},
    "modules": lambda: {"conv": conv()}, "fns": lambda: {"f": lambda: None},
    "ratio": lambda: Ratio("a", "b", 1.2, 1.1, 1.3, 6), "key": lambda: "within", "data": data,
    "epochs": lambda: 1, "seeds": lambda: [0], "model_names": lambda: ["resnet_cifar_small"],
    "runs": lambda: [run("m"), run("n")], "first": lambda: "m", "second": lambda: "n",
    "candidates": lambda: [Candidate(0.1, {"m": 0.9}, {"m": 0.3})], "sweep": sweep,
    "record": lambda: load_record("roofline"), "roofline": lambda: Roofline.from_record(load_record("roofline")),
    "experiment": lambda: "roofline", "fn": grouped, "group": lambda: 0, "source_group": lambda: 0,
    "ours": lambda: {"w": torch.zeros(2)}, "reference": lambda: {"w": torch.zeros(2)},
    "chapters_dir": lambda: ROOT / "chapters", "relative_to": lambda: ROOT, "learning_rates": lambda: [0.05],
    "loader": lambda: [(torch.randn(2, 1, 8, 8), torch.tensor([0, 1]))], "num_threads": lambda: 1,
    "timings": lambda: {1: timing("G=1"), 2: timing("G=2")}, "channels": lambda: 8,
    "dataset": lambda: "digits", "batch_size": lambda: 8, "text": lambda: "nn.Conv2d(8, 8, 3)",
    "block": lambda: dict(in_channels=8, planes=2, cardinality=2, bottleneck_width=32),
}
FAST = dict(rounds=lambda: 2, warmup=lambda: 0, min_time=lambda: 0.0, threads=lambda: 1)  # two rounds of one call
BY_CALLABLE: dict[str, dict[str, Callable[[], object]]] = {  # where a name means something else, or for speed
    "layer_table.layer_table": {"input_size": lambda: (1, 4, 6, 6)},
    "blocks.convert_block": {"block": lambda: ResNeXtBottleneck(16, 4, 2, 32)},
    "mistakes.misbuilt_model": {"name": lambda: "resnext_cifar_small"},
    "stages.stage_table": {"model": lambda: build_model("resnet_cifar_small"), "image_size": lambda: 8},
    "stages.stage_costs": {"image_size": lambda: 8},
    "stages.table1_html": {"tables": lambda: {"m": stage_table(build_model("resnet_cifar_small"), 8)}},
    "grouped_conv.GroupedConv2d.from_conv2d": {"conv": grouped},
    "timing.time_interleaved": FAST,
    "timing.time_modules": FAST,
    "roofline.time_layers": FAST,
    "roofline.measure_peaks": {"size": lambda: 16, "rounds": lambda: 2},
    "roofline.measure_bandwidth": {"megabytes": lambda: 1, "rounds": lambda: 2},
    "experiments.speed.groups_sweep": {"channels": lambda: 8, "size": lambda: 4, "groups_list": lambda: (1, 2),
                                       "device": lambda: "cpu", **FAST},
    "experiments.speed.model_latencies": {"names": lambda: ("resnet_cifar_small",), "batch_sizes": lambda: (1,),
                                          "image_size": lambda: 8, "rounds": lambda: 2, "device": lambda: "cpu"},
    "experiments.probes.channel_jacobian": {"x": lambda: torch.randn(1, 8, 2, 2)},
    "experiments.probes.perturbation_probe": {"model": grouped, "conv": grouped},
    "experiments.correlations.group_correlations": {"model": lambda: build_model("resnext_cifar_small"),
                                                    "x": lambda: torch.randn(2, 3, 8, 8)},
    "experiments.data.random_crop_flip": {"x": lambda: torch.randn(2, 3, 8, 8)},
    "experiments.data.load_cifar10_data": {"validation_size": lambda: 10},
    "experiments.training.train": {"max_batches": lambda: 1, "batch_size": lambda: 8},
    "experiments.runs.train_models": {"progress": lambda: False, "max_batches": lambda: 1},
    "experiments.search.search_learning_rate": {"data": lambda: data("validation"), "max_batches": lambda: 1},
    "experiments.image_data.ImageData": {"name": lambda: "tiny", "x_train": lambda: data().x_train,
                                         "y_train": lambda: data().y_train, "x_test": lambda: data().x_test,
                                         "y_test": lambda: data().y_test, "classes": lambda: data().classes},
    "experiments.evidence.Roofline": {"peak_source": lambda: "x", "candidates": lambda: {}, "layers": lambda: ()},
    "pretrained.load_pretrained": {"download": lambda: False},
    "pretrained.check_torchvision_layout": {"name": lambda: "resnet50"},
    "book.explorers.cardinality.cardinality_values": {"cardinality": lambda: 4},
    "book.explorers.sweep_data.GroupsSweep": {"channels": lambda: 8, "size": lambda: 4,
                                              "points": lambda: sweep().points},
    "book.explorers.sweep_data.GroupsSweep.from_timings": {"channels": lambda: 8, "size": lambda: 4},
    "book.explorers.sweep_data.GroupsSweep.from_data": {"data": lambda: sweep().to_data()},
    "book.syllabus.chapter_map_markdown": {"chapters": lambda: []},
    "book.notebook.setup": {"threads": lambda: 1},
    "paper.top1_error": {"model": lambda: "ResNeXt-50", "template": lambda: "32×4d"},
    "timing.Ratio": {"first": lambda: "a", "second": lambda: "b", "value": lambda: 1.2, "low": lambda: 1.1,
                     "high": lambda: 1.3, "rounds": lambda: 6},
    "intensity.Intensity": {"macs": lambda: 10, "bytes_moved": lambda: 10},
    "book.plots.bottleneck_figure": {"blocks": lambda: {"ResNeXt": ResNeXtBottleneck(16, 4, 2, 32)}},
    "book.exercises.concepts.choices": {"check": lambda: concepts.check_what_mixes_groups},
    "book.plots.bottleneck_row": {"blocks": lambda: {"ResNeXt": ResNeXtBottleneck(16, 4, 2, 32)}},
    "book.plots.FigureRow": {"pictures": lambda: {"a picture": plt.figure()}},
    "book.plots.roofline_figure": {"roof": lambda: Roofline.from_record(load_record("roofline")),
                                   "models": lambda: ["ResNet-50"]},
    "book.plots.training_curves": {"model_names": lambda: ["m", "n"]},
    "book.plots.groups_sweep_figure": {"rows": lambda: {1: dict(timing=timing("G=1"), macs=100, rate=1e9),
                                                        2: dict(timing=timing("G=2", 0.6), macs=50, rate=8e8)}},
    "pretrained.torchvision_weights": {"name": lambda: "resnext50_32x4d"},
    "pretrained.torchvision_model": {"name": lambda: "resnext50_32x4d"},
}
CONTEXTS = {  # what a call runs in: for a fake of what it needs from outside the package, or shapes only
    "experiments.data.load_cifar10_data": lambda: mock.patch("torchvision.datasets.CIFAR10", FakeCIFAR10),
    "mistakes.misbuilt_model": lambda: torch.device("meta"),  # a whole (misbuilt) model, as chapter 4 builds it
    "pretrained.torchvision_model": lambda: torch.device("meta"),  # torchvision's ResNeXt-50, shapes only
}


def arguments(name: str) -> dict[str, object]:
    """Valid keyword arguments for the callable ``name``: every required parameter, and the speed-ups."""
    fn, own = CALLABLES[name], BY_CALLABLE.get(name, {})
    params = inspect.signature(fn).parameters
    kwargs = {}
    for p in params.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name in own:
            kwargs[p.name] = own[p.name]()
        elif p.default is p.empty:
            kwargs[p.name] = BY_NAME[p.name]()
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):  # e.g. train_models' options for train
        kwargs.update({k: v() for k, v in own.items() if k not in kwargs})
    return kwargs


# --- awkward values -----------------------------------------------------------------------------------------


class Boom(Exception):
    """Raised by ``Unconvertible``: a call that lets it escape converted an argument it had not checked."""


class Unconvertible:
    def __index__(self) -> int:
        raise Boom("__index__")

    __int__ = __float__ = __index__

    def __repr__(self) -> str:
        return "Unconvertible()"


def awkward() -> dict[str, object]:
    """The awkward values, made afresh for each callable (a call may change a list or a tensor it is given)."""
    return {
        "None": None, "'x'": "x", "-1": -1, "0": 0, "3.0": 3.0, "nan": math.nan, "10**12": 10**12, "True": True,
        "object()": object(), "Unconvertible()": Unconvertible(), "[]": [], "tensor(3)": torch.tensor(3),
        "empty batch": torch.zeros(0, 4, 6, 6), "wrong shape": torch.zeros(2, 3),
        "int tensor": torch.zeros(1, 4, 6, 6, dtype=torch.int64), "meta tensor": torch.zeros(1, 4, 6, 6, device="meta"),
    }


SKIPPED = {("pretrained.load_pretrained", "download", "True")}  # downloads 100 MB


class Hang(Exception):
    pass


def _expire(signum, frame):
    raise Hang()


def outcome(name: str, kwargs: dict[str, object], argument: str) -> str:
    """What ``CALLABLES[name](**kwargs)`` does: ``"ok"``, ``"named"`` (a ValueError or TypeError whose message names
    ``argument``), ``"unnamed: <message>"``, ``"hang"`` or ``"crash: <type>: <message>"``."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    previous = {sig: signal.signal(sig, _expire) for sig in (signal.SIGALRM, signal.SIGVTALRM)}
    signal.setitimer(signal.ITIMER_VIRTUAL, CPU_SECONDS)
    signal.setitimer(signal.ITIMER_REAL, WALL_SECONDS)
    try:
        with CONTEXTS.get(name, nullcontext)():
            result = CALLABLES[name](**kwargs)
            if isinstance(result, AbstractContextManager):  # devices.cpu_threads: its checks run on entering
                with result:
                    pass
        return "ok"
    except Hang:
        return "hang"
    except PretrainedUnavailable:  # documented: no torchvision, or no cached weights and no internet
        return "ok"
    except (ValueError, TypeError) as error:
        named = re.search(rf"(?<![\w.]){re.escape(argument)}(?!\w)", str(error))
        return "named" if named else f"unnamed: {type(error).__name__}: {' '.join(str(error).split())[:160]}"
    except Exception as error:  # noqa: BLE001 - what the fuzz looks for
        return f"crash: {type(error).__name__}: {' '.join(str(error).split())[:160]}"
    finally:
        signal.setitimer(signal.ITIMER_VIRTUAL, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        torch.set_num_threads(threads)
        if name.startswith("book.plots."):
            plt.close("all")  # pyplot keeps every figure it draws (and a figure it began before an error)


def fuzz(name: str) -> dict[tuple[str, str], str]:
    """``{(argument, awkward value): outcome}`` for every parameter of ``name``, one spoiled at a time."""
    valid = arguments(name)
    results = {}
    for p in inspect.signature(CALLABLES[name]).parameters.values():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        for label, value in awkward().items():
            if (name, p.name, label) not in SKIPPED:
                results[(p.name, label)] = outcome(name, {**valid, p.name: value}, p.name)
    return results


def test_the_surface_is_found():
    assert len(MODULES) > 40 and len(CALLABLES) > 100
    assert {"counting.conv2d_params", "models.build_model", "experiments.probes.perturb_group"} <= set(CALLABLES)


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_valid_arguments_are_accepted(name):
    """The table's arguments are valid: the fuzz below spoils one at a time a call that works."""
    assert outcome(name, arguments(name), "") == "ok"


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_awkward_arguments_give_named_errors(name):
    bad = {key: result for key, result in fuzz(name).items() if result not in ("ok", "named")}
    assert not bad, "\n".join(f"{name}({arg}={value}): {result}" for (arg, value), result in bad.items())


def _chapter_code() -> str:
    """The code of every chapter and of the instructor guide (notebooks or MyST text)."""
    texts = []
    for path in sorted([*ROOT.glob("chapters/*"), *ROOT.glob("instructors.*")]):
        if path.suffix == ".ipynb":
            cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
            texts += ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
        elif path.suffix == ".md":
            texts.append(path.read_text(encoding="utf-8"))
    return "\n".join(texts)


def test_the_public_surface_holds_what_the_chapters_import():
    imports = re.findall(r"from (resnext_teach[\w.]*) import \(?([\w\s,]+?)\)?\s*(?:#.*)?$", _chapter_code(), re.M)
    assert len(imports) > 50
    missing = []
    for module_name, names in imports:
        module = importlib.import_module(module_name)
        for name in (n.split(" as ")[0].strip() for n in names.split(",")):
            if name and not inspect.ismodule(getattr(module, name)) and name not in getattr(module, "__all__", ()):
                missing.append(f"{module_name}.{name}")
    assert not missing, f"chapters import names that are not public (add them to __all__): {missing}"
