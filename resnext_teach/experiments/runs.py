"""Runs: several models trained over several seeds (``train_models``), and what their final numbers say
(``summarize``: the spread over seeds; ``paired_differences``: one model minus another, seed by seed).

Every run is one call of ``training.train`` on its own model, data and random generators, so the runs are the same
whether they train one after the other or side by side in threads.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch

from ..devices import cpu_threads, pick_device
from ..models import ResNeXt, build_model
from ..stats import Spread, spread
from ..validation import (MAX_COUNT, check_bool, check_choice, check_instance, check_list, check_positive_int, check_seed,
                          describe)
from .image_data import ImageData
from .training import History, progress_bar, train

__all__ = ["METRICS", "train_models", "summarize", "paired_differences"]

METRICS = ("train_loss", "train_acc", "test_loss", "test_acc", "gap")
"""The per-epoch measurements of a ``History`` that ``summarize`` and ``paired_differences`` compare."""


@dataclass
class Run:
    """One trained model, its history, and the data it was trained and tested on."""

    model_name: str
    seed: int
    model: ResNeXt
    history: History
    data: ImageData


def train_models(
    model_names: Sequence[str],
    seeds: Sequence[int],
    data: ImageData | Callable[[int], ImageData],
    epochs: int,
    progress: bool = True,
    workers: int = 1,
    **train_options: object,
) -> list[Run]:
    """Train every named model (``build_model(name, in_channels=..., num_classes=...)``) once per seed; the runs
    come back in the order model by model, seed by seed.

    ``data`` is one data set for all runs (e.g. ``DataSplits.final``: every seed trains and tests on the same
    images), or a function ``seed -> ImageData``, so that the seeds also sample the data; both models get the
    same data for a seed. Beware the second: splits drawn from one pool of images overlap, so the runs are not
    independent and a t-interval over the seeds is too narrow (Nadeau and Bengio, 2003).
    Seed ``s`` fixes the initial weights (``torch.manual_seed(s)`` just before building), the batch order and
    the augmentation, so each run is reproducible by itself. One progress bar covers all runs.

    ``workers``: how many runs train at the same time, in threads of this process (on a CPU; on a GPU, one at a
    time). Every model is built first, in order, and each run uses only its own model, data and random
    generators, so the results are the same for any ``workers``, bit for bit; only the time changes. With
    ``num_threads=1`` and two cores, ``workers=2`` keeps both cores busy. ``num_threads`` is set once for all runs.
    """
    model_names = check_list("model_names", model_names, "model names")
    if not model_names or not all(isinstance(name, str) for name in model_names):
        raise ValueError(f"model_names={describe(model_names)} must be a non-empty list of model names (str)")
    if len(set(model_names)) < len(model_names):
        raise ValueError(f"model_names={describe(model_names)} names a model twice")
    seeds = check_list("seeds", seeds, "seeds such as [0, 1, 2]")
    seeds = [check_seed(f"seeds[{i}]", seed) for i, seed in enumerate(seeds)]
    if not seeds:
        raise ValueError("seeds is empty: train_models needs at least one seed")
    if len(set(seeds)) < len(seeds):
        raise ValueError(f"seeds={describe(seeds)} repeats a seed: repeated runs are identical, not independent")
    epochs = check_positive_int("epochs", epochs, MAX_COUNT)
    progress = check_bool("progress", progress)
    workers = check_positive_int("workers", workers, MAX_COUNT)
    if not isinstance(data, ImageData) and not callable(data):
        raise TypeError(f"data must be an ImageData or a function seed -> ImageData, not {type(data).__name__}")
    num_threads = train_options.pop("num_threads", None)  # a setting of the whole process, so set once
    device = train_options.get("device")
    if pick_device(device).type != "cpu":
        workers = 1
    jobs = []  # (name, seed, model, data), in the order of the results
    datasets: dict[int, ImageData] = {}
    for name in model_names:
        for seed in seeds:
            if seed not in datasets:
                datasets[seed] = data if isinstance(data, ImageData) else data(seed)
                if not isinstance(datasets[seed], ImageData):
                    raise TypeError(f"data({seed}) must return an ImageData, not "
                                            f"{type(datasets[seed]).__name__}")
            seed_data = datasets[seed]
            torch.manual_seed(seed)
            model = build_model(name, in_channels=seed_data.in_channels, num_classes=seed_data.num_classes)
            jobs.append((name, seed, model, seed_data))

    with progress_bar(len(jobs) * epochs, enabled=progress) as bar, cpu_threads(num_threads):
        threads = torch.get_num_threads()

        def run(job: tuple[str, int, ResNeXt, ImageData]) -> Run:
            name, seed, model, seed_data = job
            history = train(model, seed_data, epochs, seed=seed, bar=bar, model_name=name, **train_options)
            return Run(name, seed, model, history, seed_data)

        def run_in_worker(job: tuple[str, int, ResNeXt, ImageData]) -> Run:
            # A new thread starts with OpenMP's and MKL's default thread count, not the process's setting (which
            # PyTorch's own kernels follow, but convolutions and matrix products would not): set it here.
            torch.set_num_threads(threads)
            return run(job)

        if workers == 1:
            return [run(job) for job in jobs]
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(run_in_worker, job) for job in jobs]
            try:
                return [future.result() for future in futures]
            except BaseException:
                for future in futures:  # a failed run (e.g. TrainingDiverged) stops the runs not yet started
                    future.cancel()
                raise


def _final_values(runs: Sequence[Run], key: str) -> dict[tuple[str, int], float]:
    """``{(model_name, seed): last value of key}`` for ``runs``; each (model, seed) at most once, each value finite."""
    check_choice("key", key, METRICS, "recorded metric")
    final: dict[tuple[str, int], float] = {}
    for run in check_list("runs", runs, "Run (from train_models)"):
        if not isinstance(run, Run):
            raise TypeError(f"runs must hold Run objects (from train_models), not {type(run).__name__}")
        values = run.history.gap if key == "gap" else getattr(run.history, key)
        if not values:
            raise ValueError(f"run {run.model_name!r} seed {run.seed} has no recorded epochs")
        if (run.model_name, run.seed) in final:
            raise ValueError(f"runs hold {run.model_name!r} with seed {run.seed} twice: each seed must count once")
        if not math.isfinite(values[-1]):
            raise ValueError(f"run {run.model_name!r} seed {run.seed} has a final {key} of {values[-1]}: "
                             f"its training diverged (lower lr)")
        final[(run.model_name, run.seed)] = values[-1]
    if not final:
        raise ValueError("runs is empty: there is nothing to compare")
    return final


def summarize(runs: Sequence[Run]) -> dict[str, dict[str, Spread]]:
    """Per model: the spread over seeds of each final measurement of ``METRICS`` (training loss and accuracy,
    test loss and accuracy, gap)."""
    finals = {key: _final_values(runs, key) for key in METRICS}
    names = list(dict.fromkeys(name for name, _ in finals["test_acc"]))  # in the order of the runs
    return {
        name: {key: spread([v for (n, _), v in values.items() if n == name]) for key, values in finals.items()}
        for name in names
    }


def paired_differences(runs: Sequence[Run], first: str, second: str, key: str = "test_acc") -> list[float]:
    """``first`` minus ``second`` of a final measurement (one of ``METRICS``: ``"train_loss"``, ``"train_acc"``,
    ``"test_loss"``, ``"test_acc"``, ``"gap"``), seed by seed, for the seeds both models were trained with."""
    final = _final_values(runs, key)
    check_instance("first", first, str, "model name")
    check_instance("second", second, str, "model name")
    if first == second:
        raise ValueError(f"first and second are both {first!r}: a model's difference with itself is 0")
    seeds = sorted({s for (n, s) in final if n == first} & {s for (n, s) in final if n == second})
    if not seeds:
        names = sorted({n for n, _ in final})
        missing = [f"{arg}={name!r}" for arg, name in (("first", first), ("second", second)) if name not in names]
        reason = (f"{missing[0]} is not a model in runs, which hold {', '.join(map(repr, names))}" if missing
                  else "their seeds do not overlap")
        raise ValueError(f"no seed was run for both {first!r} and {second!r}: {reason}")
    return [final[(first, s)] - final[(second, s)] for s in seeds]
