"""A small, deterministic training loop for the experiments: SGD with momentum, a cosine learning rate, a
progress bar, and per-epoch train/test loss and accuracy; a learning-rate search on validation images.

"Test" in a ``History`` means the held-out images of the ``ImageData`` trained on: the test images of
``DataSplits.final``, or the validation images of ``DataSplits.development`` (``ImageData.held_out`` says which).
``search_learning_rate`` trains on the development split only, so a recipe is chosen without the test images.

Determinism: a run is fixed by its ``seed`` - it seeds the model's initialisation (``train_models``), the
shuffling of the training batches (the loader's own generator) and the augmentation. On a CPU with the same
number of threads (``num_threads`` fixes it) two runs give identical histories. On a GPU, cuDNN is asked for
deterministic kernels (a global setting that stays on), but some backward kernels (e.g. adaptive average
pooling) add in a varying order, so runs can differ in the last digits.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from .data import ImageData, _check_seed, random_crop_flip
from .models import ResNeXt, build_model
from .stats import Spread, spread
from .validation import ArgumentTypeError, check_positive_int, check_real, describe

METRICS = ("train_loss", "train_acc", "test_loss", "test_acc", "gap")
"""The per-epoch measurements of a ``History`` that ``summarize`` and ``paired_differences`` compare."""


class TrainingDiverged(ValueError):
    """A training run whose loss became NaN or infinite; ``history`` holds the epochs completed before."""

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{name}={describe(value)} must be True or False, not {type(value).__name__}")
    return value


@contextmanager
def cpu_threads(count: int | None) -> Iterator[None]:
    """Run the body with ``count`` PyTorch CPU threads, then restore the previous setting (``None``: no change)."""
    previous = torch.get_num_threads()
    if count is not None:
        torch.set_num_threads(check_positive_int("num_threads", count))
    try:
        yield
    finally:
        torch.set_num_threads(previous)


def pick_device() -> torch.device:
    """CUDA when a GPU is available, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


@dataclass
class History:
    """Per-epoch measurements of one training run (accuracies are fractions in 0..1)."""

    model_name: str
    seed: int
    device: str
    train_loss: list[float] = field(default_factory=list)
    train_acc: list[float] = field(default_factory=list)
    test_loss: list[float] = field(default_factory=list)
    test_acc: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # wall time of each epoch (training + evaluation)

    @property
    def epochs(self) -> int:
        return len(self.test_acc)

    @property
    def gap(self) -> list[float]:
        """Generalisation gap per epoch: training accuracy minus test accuracy."""
        return [a - b for a, b in zip(self.train_acc, self.test_acc)]


@torch.inference_mode()
def evaluate(
    model: nn.Module, loader: Iterable[tuple[torch.Tensor, torch.Tensor]], device: torch.device | None = None,
    channels_last: bool = False,
) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` (in eval mode) over the batches ``(x, y)`` of ``loader``,
    which must hold at least one image. Without autograd (``torch.inference_mode``); the sums stay on the device
    (the loss in float64) until the end, so a GPU is waited for once, not twice per batch."""
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    device = device or next(model.parameters()).device
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.eval()
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    count = 0
    for x, y in loader:
        x = x.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        y = y.to(device, non_blocking=True)
        logits = model(x)  # (N, num_classes)
        total_loss += F.cross_entropy(logits, y, reduction="sum")  # the batch's float32 sum, added in float64
        correct += (logits.argmax(dim=1) == y).sum()
        count += y.numel()
    if count == 0:
        raise ValueError("evaluate needs at least one batch with at least one image; the loader yielded none")
    return total_loss.item() / count, correct.item() / count


def progress_bar(total: int, desc: str = "training", enabled: bool = True) -> tqdm:
    """A plain-text ``tqdm`` bar on stdout (never stderr) that redraws at most every 10 seconds, so an executed
    notebook stores a few lines rather than hundreds of updates."""
    layout = "{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt} epochs [{elapsed}<{remaining}]{postfix}"
    return tqdm(total=total, desc=desc, file=sys.stdout, mininterval=10.0, ascii=True, disable=not enabled,
                bar_format=layout)


def train(
    model: nn.Module,
    data: ImageData,
    epochs: int,
    seed: int = 0,
    batch_size: int = 64,
    lr: float = 0.05,
    momentum: float = 0.9,
    weight_decay: float = 5e-4,
    max_batches: int | None = None,
    train_eval_size: int | None = None,
    eval_batch_size: int = 512,
    device: torch.device | str | None = None,
    channels_last: bool = False,
    num_threads: int | None = None,
    bar: tqdm | None = None,
    model_name: str = "",
) -> History:
    """Train ``model`` on ``data`` for ``epochs`` epochs and return its ``History``.

    SGD with Nesterov momentum and weight decay; the learning rate follows a cosine from ``lr`` to 0 over all
    steps. After each epoch the model is evaluated (eval mode) on the training images (all, or a fixed subset
    of ``train_eval_size``) and on the held-out images (``data.x_test``: the test or the validation images, as
    ``data.held_out`` says), ``eval_batch_size`` images at a time. ``max_batches`` cuts
    each epoch short (for quick tests).
    ``device=None`` picks CUDA when available. ``channels_last`` stores the weights and activations in the
    channels-last memory format (the same arithmetic in another order, often faster for grouped convolutions).
    ``num_threads`` fixes PyTorch's CPU threads during training (restored afterwards): on a CPU, results depend
    on how many threads split each sum, so fixing the count makes a run repeatable on machines with more or
    fewer cores. ``bar``: a progress bar to advance by one per epoch (else none).

    A run whose training loss (summed over an epoch) or evaluated loss is NaN or infinite stops at the end of that
    epoch with ``TrainingDiverged`` (a ``ValueError``), which names the epoch and suggests a lower ``lr``.
    """
    if not isinstance(model, nn.Module):
        raise ArgumentTypeError(f"model must be a torch.nn.Module, not {type(model).__name__}")
    if not isinstance(data, ImageData):
        raise ArgumentTypeError(f"data must be an ImageData, not {type(data).__name__}")
    epochs = check_positive_int("epochs", epochs)
    seed = _check_seed("seed", seed)
    batch_size = check_positive_int("batch_size", batch_size)
    eval_batch_size = check_positive_int("eval_batch_size", eval_batch_size)
    lr = check_real("lr", lr, 0.0, low_open=True)
    momentum = check_real("momentum", momentum, 0.0, 1.0, low_open=True)  # Nesterov needs momentum > 0
    weight_decay = check_real("weight_decay", weight_decay, 0.0)
    if max_batches is not None:
        max_batches = check_positive_int("max_batches", max_batches)
    if train_eval_size is not None:
        train_eval_size = check_positive_int("train_eval_size", train_eval_size)
    if num_threads is not None:
        num_threads = check_positive_int("num_threads", num_threads)
    channels_last = _check_flag("channels_last", channels_last)
    device = torch.device(device) if device is not None else pick_device()
    if device.type == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device, memory_format=memory_format)
    loaders = data.loaders(batch_size=batch_size, seed=seed, eval_batch_size=eval_batch_size,
                           train_eval_size=train_eval_size, pin_memory=device.type == "cuda")
    steps_per_epoch = len(loaders.train) if max_batches is None else min(max_batches, len(loaders.train))
    total_steps = epochs * steps_per_epoch
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay, nesterov=True)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 0.5 * (1 + math.cos(math.pi * step / total_steps)))
    augment_generator = torch.Generator(device=device).manual_seed(seed) if data.augment else None
    history = History(model_name or type(model).__name__, seed, str(device))
    with cpu_threads(num_threads):
        for epoch in range(1, epochs + 1):
            start = time.perf_counter()
            model.train()
            loss_sum = torch.zeros((), device=device)  # NaN or inf once any step's loss is: checked per epoch
            for step, (x, y) in enumerate(loaders.train):
                if step == steps_per_epoch:
                    break
                x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)  # (B, C, H, W), (B,)
                if augment_generator is not None:
                    x = random_crop_flip(x, generator=augment_generator)
                x = x.contiguous(memory_format=memory_format)
                loss = F.cross_entropy(model(x), y)
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                loss_sum += loss.detach()
            train_loss, train_acc = evaluate(model, loaders.train_eval, device, channels_last)
            test_loss, test_acc = evaluate(model, loaders.test, device, channels_last)
            for value in (loss_sum.item(), train_loss, test_loss):
                if not math.isfinite(value):
                    raise TrainingDiverged(
                        f"training diverged at epoch {epoch} ({history.model_name}, seed {seed}): loss is {value} "
                        f"(lower lr={lr:g})", history)
            history.train_loss.append(train_loss)
            history.train_acc.append(train_acc)
            history.test_loss.append(test_loss)
            history.test_acc.append(test_acc)
            history.seconds.append(time.perf_counter() - start)
            if bar is not None:
                bar.set_postfix_str(f"{history.model_name}, seed {seed}, test accuracy {test_acc:.3f}", refresh=False)
                bar.update(1)
    return history


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
    if isinstance(model_names, str) or not isinstance(model_names, Iterable):
        raise ArgumentTypeError(f"model_names must be a list of model names, not {type(model_names).__name__}")
    model_names = list(model_names)
    if not model_names or not all(isinstance(name, str) for name in model_names):
        raise ValueError(f"model_names={describe(model_names)} must be a non-empty list of model names (str)")
    if len(set(model_names)) < len(model_names):
        raise ValueError(f"model_names={describe(model_names)} names a model twice")
    if isinstance(seeds, (str, bytes)) or not isinstance(seeds, Iterable):
        raise ArgumentTypeError(f"seeds must be a list of seeds such as [0, 1, 2], not {type(seeds).__name__}")
    seeds = [_check_seed(f"seeds[{i}]", seed) for i, seed in enumerate(seeds)]
    if not seeds:
        raise ValueError("seeds is empty: train_models needs at least one seed")
    if len(set(seeds)) < len(seeds):
        raise ValueError(f"seeds={describe(seeds)} repeats a seed: repeated runs are identical, not independent")
    epochs = check_positive_int("epochs", epochs)
    progress = _check_flag("progress", progress)
    workers = check_positive_int("workers", workers)
    if not isinstance(data, ImageData) and not callable(data):
        raise ArgumentTypeError(f"data must be an ImageData or a function seed -> ImageData, not {type(data).__name__}")
    num_threads = train_options.pop("num_threads", None)  # a setting of the whole process, so set once
    device = train_options.get("device")
    if (torch.device(device) if device is not None else pick_device()).type != "cpu":
        workers = 1
    jobs = []  # (name, seed, model, data), in the order of the results
    datasets: dict[int, ImageData] = {}
    for name in model_names:
        for seed in seeds:
            if seed not in datasets:
                datasets[seed] = data if isinstance(data, ImageData) else data(seed)
                if not isinstance(datasets[seed], ImageData):
                    raise ArgumentTypeError(f"data({seed}) must return an ImageData, not "
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
    if key not in METRICS:
        raise ValueError(f"key={key!r} is not a recorded metric; choose one of {', '.join(map(repr, METRICS))}")
    if isinstance(runs, Run) or not isinstance(runs, Iterable):
        raise ArgumentTypeError(f"runs must be a list of Run, not {type(runs).__name__}")
    final: dict[tuple[str, int], float] = {}
    for run in runs:
        if not isinstance(run, Run):
            raise ArgumentTypeError(f"runs must hold Run objects (from train_models), not {type(run).__name__}")
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
    if not isinstance(runs, Run) and isinstance(runs, Iterable):
        runs = list(runs)  # read once per metric below
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
    if first == second:
        raise ValueError(f"first and second are both {first!r}: a model's difference with itself is 0")
    seeds = sorted({s for (n, s) in final if n == first} & {s for (n, s) in final if n == second})
    if not seeds:
        names = sorted({n for n, _ in final})
        missing = [name for name in (first, second) if name not in names]
        reason = (f"{missing[0]!r} is not a model in runs, which hold {', '.join(map(repr, names))}" if missing
                  else "their seeds do not overlap")
        raise ValueError(f"no seed was run for both {first!r} and {second!r}: {reason}")
    return [final[(first, s)] - final[(second, s)] for s in seeds]



@dataclass(frozen=True)
class Candidate:
    """One learning rate of ``search_learning_rate``: per model, the final validation accuracy and loss, each the
    mean over the search's seeds. ``diverged``: some run's loss became NaN or infinite (its numbers are then
    empty, and ``best_candidate`` never picks it)."""

    lr: float
    accuracy: dict[str, float]
    loss: dict[str, float]
    diverged: bool = False

    @property
    def mean_accuracy(self) -> float:
        """The validation accuracy averaged over the models (NaN for a diverged candidate)."""
        return statistics.fmean(self.accuracy.values()) if self.accuracy else math.nan

    @property
    def mean_loss(self) -> float:
        """The validation loss averaged over the models (NaN for a diverged candidate)."""
        return statistics.fmean(self.loss.values()) if self.loss else math.nan


def search_learning_rate(
    model_names: Sequence[str],
    seeds: Sequence[int],
    data: ImageData,
    epochs: int,
    learning_rates: Sequence[float],
    progress: bool = False,
    **train_options: object,
) -> list[Candidate]:
    """Train every model with every learning rate (``train_models``, with the same other ``train_options`` for all
    models and rates) on the training images of ``data`` and measure each on its validation images; return one
    ``Candidate`` per learning rate, in the order given.

    ``data`` must hold out validation images (``DataSplits.development``): a recipe chosen on the test images
    would make the test accuracy an optimistic estimate. A learning rate whose training diverges is kept as a
    ``diverged`` candidate instead of stopping the search. ``progress``: one progress bar per learning rate.
    """
    if not isinstance(data, ImageData):
        raise ArgumentTypeError(f"data must be an ImageData (DataSplits.development), not {type(data).__name__}")
    if data.held_out != "validation":
        raise ValueError(f"data holds out the {data.held_out} images: choose a recipe on validation images, "
                         f"e.g. DataSplits.development, never on the test images")
    if isinstance(learning_rates, (str, bytes)) or not isinstance(learning_rates, Iterable):
        raise ArgumentTypeError(f"learning_rates must be a list of learning rates such as [0.01, 0.1], not "
                                f"{type(learning_rates).__name__}")
    rates = [check_real(f"learning_rates[{i}]", lr, 0.0, low_open=True) for i, lr in enumerate(learning_rates)]
    if not rates:
        raise ValueError("learning_rates is empty: the search needs at least one candidate")
    if len(set(rates)) < len(rates):
        raise ValueError(f"learning_rates={describe(list(learning_rates))} names a learning rate twice")
    if "lr" in train_options:
        raise ValueError("lr is what the search chooses: give the candidates in learning_rates, not lr")
    candidates = []
    for lr in rates:
        try:
            runs = train_models(model_names, seeds, data, epochs, progress=progress, lr=lr, **train_options)
        except TrainingDiverged:
            candidates.append(Candidate(lr, {}, {}, diverged=True))
            continue
        summary = summarize(runs)
        candidates.append(Candidate(lr, {name: s["test_acc"].mean for name, s in summary.items()},
                                    {name: s["test_loss"].mean for name, s in summary.items()}))
    return candidates


def best_candidate(candidates: Sequence[Candidate]) -> Candidate:
    """The candidate with the highest validation accuracy averaged over the models; a tie goes to the lower mean
    validation loss, and then to the earlier candidate. Diverged candidates are never chosen."""
    if isinstance(candidates, Candidate) or not isinstance(candidates, Iterable):
        raise ArgumentTypeError(f"candidates must be a list of Candidate (from search_learning_rate), not "
                                f"{type(candidates).__name__}")
    candidates = list(candidates)
    if not all(isinstance(c, Candidate) for c in candidates):
        raise ArgumentTypeError("candidates must hold Candidate objects (from search_learning_rate)")
    usable = [c for c in candidates if not c.diverged]
    if not usable:
        raise ValueError(f"no candidate to choose: {'every one diverged (try lower learning rates)' if candidates else 'the list is empty'}")
    return min(usable, key=lambda c: (-c.mean_accuracy, c.mean_loss))  # min keeps the first of equal keys
