"""A small, deterministic training loop for the experiments: SGD with momentum, a cosine learning rate, a
progress bar, and per-epoch train/test loss and accuracy.

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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader
from tqdm import tqdm

from .data import ImageData, random_crop_flip
from .models import ResNeXt, build_model
from .validation import check_positive_int


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


@torch.no_grad()
def evaluate(
    model: nn.Module, loader: DataLoader, device: torch.device | None = None, channels_last: bool = False
) -> tuple[float, float]:
    """Mean cross-entropy loss and accuracy of ``model`` (in eval mode) over ``loader``."""
    device = device or next(model.parameters()).device
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.eval()
    total_loss, correct, count = 0.0, 0, 0
    for x, y in loader:
        x = x.to(device, non_blocking=True).contiguous(memory_format=memory_format)
        y = y.to(device, non_blocking=True)
        logits = model(x)  # (N, num_classes)
        total_loss += F.cross_entropy(logits, y, reduction="sum").item()
        correct += (logits.argmax(dim=1) == y).sum().item()
        count += y.numel()
    return total_loss / count, correct / count


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
    of ``train_eval_size``) and on the test images, ``eval_batch_size`` images at a time. ``max_batches`` cuts
    each epoch short (for quick tests).
    ``device=None`` picks CUDA when available. ``channels_last`` stores the weights and activations in the
    channels-last memory format (the same arithmetic in another order, often faster for grouped convolutions).
    ``num_threads`` fixes PyTorch's CPU threads during training (restored afterwards): on a CPU, results depend
    on how many threads split each sum, so fixing the count makes a run repeatable on machines with more or
    fewer cores. ``bar``: a progress bar to advance by one per epoch (else none).
    """
    epochs = check_positive_int("epochs", epochs)
    if max_batches is not None:
        max_batches = check_positive_int("max_batches", max_batches)
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
        for _ in range(epochs):
            start = time.perf_counter()
            model.train()
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
            train_loss, train_acc = evaluate(model, loaders.train_eval, device, channels_last)
            test_loss, test_acc = evaluate(model, loaders.test, device, channels_last)
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
    **train_options: object,
) -> list[Run]:
    """Train every named model (``build_model(name, in_channels=..., num_classes=...)``) once per seed.

    ``data`` is one data set for all runs, or a function ``seed -> ImageData`` (e.g. a train/test split drawn
    with that seed), so that the seeds also sample the data; both models get the same data for a seed.
    Seed ``s`` fixes the initial weights (``torch.manual_seed(s)`` just before building), the batch order and
    the augmentation, so each run is reproducible by itself. One progress bar covers all runs.
    """
    runs = []
    datasets: dict[int, ImageData] = {}
    with progress_bar(len(model_names) * len(seeds) * epochs, enabled=progress) as bar:
        for name in model_names:
            for seed in seeds:
                if seed not in datasets:
                    datasets[seed] = data if isinstance(data, ImageData) else data(seed)
                seed_data = datasets[seed]
                torch.manual_seed(seed)
                model = build_model(name, in_channels=seed_data.in_channels, num_classes=seed_data.num_classes)
                history = train(model, seed_data, epochs, seed=seed, bar=bar, model_name=name, **train_options)
                runs.append(Run(name, seed, model, history, seed_data))
    return runs


@dataclass(frozen=True)
class Spread:
    """Mean, sample standard deviation, minimum and maximum of one measurement over seeds."""

    mean: float
    std: float
    low: float
    high: float
    count: int


def spread(values: Sequence[float]) -> Spread:
    """Summarise ``values`` (one per seed); the standard deviation is 0 for a single value."""
    if not values:
        raise ValueError("spread needs at least one value")
    std = statistics.stdev(values) if len(values) > 1 else 0.0
    return Spread(statistics.fmean(values), std, min(values), max(values), len(values))


def mean_interval(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float]:
    """Confidence interval of the mean of ``values`` (e.g. paired differences, one per seed) from Student's t
    distribution with ``len(values) - 1`` degrees of freedom; it assumes the values are independent draws."""
    from scipy.stats import t as student_t

    if len(values) < 2:
        raise ValueError(f"an interval needs at least 2 values, got {len(values)}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence={confidence} must be between 0 and 1")
    mean = statistics.fmean(values)
    t = float(student_t.ppf(0.5 + confidence / 2, len(values) - 1))
    half = t * statistics.stdev(values) / math.sqrt(len(values))
    return mean - half, mean + half


def summarize(runs: Sequence[Run]) -> dict[str, dict[str, Spread]]:
    """Per model: the spread over seeds of the final test accuracy, training accuracy, gap and test loss."""
    by_model: dict[str, list[History]] = {}
    for run in runs:
        by_model.setdefault(run.model_name, []).append(run.history)
    return {
        name: {
            "test_acc": spread([h.test_acc[-1] for h in histories]),
            "train_acc": spread([h.train_acc[-1] for h in histories]),
            "gap": spread([h.gap[-1] for h in histories]),
            "test_loss": spread([h.test_loss[-1] for h in histories]),
        }
        for name, histories in by_model.items()
    }


def paired_differences(runs: Sequence[Run], first: str, second: str, key: str = "test_acc") -> list[float]:
    """``first`` minus ``second`` of a final measurement (``"test_acc"``, ``"train_acc"``, ``"gap"``,
    ``"test_loss"``), seed by seed, for the seeds both models were trained with."""
    final: dict[tuple[str, int], float] = {}
    for run in runs:
        values = run.history.gap if key == "gap" else getattr(run.history, key)
        final[(run.model_name, run.seed)] = values[-1]
    seeds = sorted({s for (n, s) in final if n == first} & {s for (n, s) in final if n == second})
    if not seeds:
        raise ValueError(f"no seed was run for both {first!r} and {second!r}")
    return [final[(first, s)] - final[(second, s)] for s in seeds]

