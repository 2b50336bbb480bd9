"""A small, deterministic training loop for the experiments: SGD with momentum, a cosine learning rate, a
progress bar, and per-epoch train/test loss and accuracy (``train``, ``evaluate``, ``History``).

``runs`` trains several models over several seeds with it and summarises them; ``search`` chooses a learning rate
on validation images. "Test" in a ``History`` means the held-out images of the ``ImageData`` trained on: the test
images of ``DataSplits.final``, or the validation images of ``DataSplits.development`` (``ImageData.held_out``
says which).

Determinism: a run is fixed by its ``seed`` - it seeds the shuffling of the training batches (the loader's own
generator) and the augmentation (``runs.train_models`` also seeds the model's initialisation). On a CPU with the
same number of threads (``num_threads`` fixes it) two runs give identical histories. On a GPU, cuDNN is asked for
deterministic kernels (a global setting that stays on), but some backward kernels (e.g. adaptive average
pooling) add in a varying order, so runs can differ in the last digits.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import torch
from torch import nn
from torch.nn import functional as F
from tqdm import tqdm

from ..devices import MAX_THREADS, cpu_threads, pick_device
from ..flops import inspection
from ..validation import (MAX_COUNT, MAX_SIZE, check_bool, check_instance, check_module, check_positive_int, check_real,
                          check_seed, forward)
from .data import random_crop_flip
from .image_data import ImageData

__all__ = ["TrainingDiverged", "train", "evaluate"]


class TrainingDiverged(ValueError):
    """A training run whose loss became NaN or infinite; ``history`` holds the epochs completed before."""

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


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
    """Mean cross-entropy loss and accuracy of ``model`` (in eval mode, its modes put back afterwards) over the batches ``(x, y)`` of ``loader``,
    which must hold at least one image. Without autograd (``torch.inference_mode``); the sums stay on the device
    (the loss in float64) until the end, so a GPU is waited for once, not twice per batch."""
    check_module("model", model)
    if isinstance(loader, (str, bytes, torch.Tensor)) or not isinstance(loader, Iterable):
        raise TypeError(f"loader must give batches (x, y), such as a DataLoader, not {type(loader).__name__}")
    device = next(model.parameters()).device if device is None else pick_device(device)
    channels_last = check_bool("channels_last", channels_last)
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    total_loss = torch.zeros((), dtype=torch.float64, device=device)
    correct = torch.zeros((), dtype=torch.int64, device=device)
    count = 0
    with inspection(model):  # eval mode for the measurement; every module's mode put back afterwards
        for x, y in loader:
            x = x.to(device, non_blocking=True).contiguous(memory_format=memory_format)
            y = y.to(device, non_blocking=True)
            logits = forward(model, x, "loader's images")  # (N, num_classes)
            total_loss += F.cross_entropy(logits, y, reduction="sum")  # the batch's float32 sum, added in float64
            correct += (logits.argmax(dim=1) == y).sum()
            count += y.numel()
    if count == 0:
        raise ValueError("evaluate needs at least one batch with at least one image; the loader yielded none")
    return total_loss.item() / count, correct.item() / count


def progress_bar(total: int, desc: str = "training", enabled: bool = True) -> tqdm:
    """A plain-text ``tqdm`` bar on stdout (never stderr) that redraws at most every 10 seconds, so an executed
    notebook stores a few lines rather than hundreds of updates. Off while the book is built
    (``RXT_BOOK_BUILD=1``, set by scripts/build_book.sh): a page would keep its partial lines."""
    layout = "{desc}: {percentage:3.0f}%|{bar:20}| {n_fmt}/{total_fmt} epochs [{elapsed}<{remaining}]{postfix}"
    building = os.environ.get("RXT_BOOK_BUILD") == "1"
    return tqdm(total=total, desc=desc, file=sys.stdout, mininterval=10.0, ascii=True,
                disable=not enabled or building, bar_format=layout)


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
    fewer cores. ``bar``: a progress bar to advance by one per epoch (else none). The model is left in training
    mode (each evaluation puts the modes back).

    A run whose training loss (summed over an epoch) or evaluated loss is NaN or infinite stops at the end of that
    epoch with ``TrainingDiverged`` (a ``ValueError``), which names the epoch and suggests a lower ``lr``.
    """
    check_module("model", model)
    check_instance("data", data, ImageData, "ImageData")
    epochs = check_positive_int("epochs", epochs, MAX_COUNT)
    seed = check_seed("seed", seed)
    batch_size = check_positive_int("batch_size", batch_size, MAX_SIZE)
    eval_batch_size = check_positive_int("eval_batch_size", eval_batch_size, MAX_SIZE)
    lr = check_real("lr", lr, 0.0, low_open=True)
    momentum = check_real("momentum", momentum, 0.0, 1.0, low_open=True)  # Nesterov needs momentum > 0
    weight_decay = check_real("weight_decay", weight_decay, 0.0, 1.0)
    if max_batches is not None:
        max_batches = check_positive_int("max_batches", max_batches)
    if train_eval_size is not None:
        train_eval_size = check_positive_int("train_eval_size", train_eval_size)
    if num_threads is not None:
        num_threads = check_positive_int("num_threads", num_threads, MAX_THREADS)
    channels_last = check_bool("channels_last", channels_last)
    check_instance("model_name", model_name, str, "str")
    if bar is not None:
        check_instance("bar", bar, tqdm, "tqdm progress bar")
    device = pick_device(device)
    if device.type == "cuda":
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.benchmark = False
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(device, memory_format=memory_format)
    with inspection(model), torch.no_grad():  # the model takes data's images (channels, size): checked on one
        forward(model, data.x_train[:1].to(device).contiguous(memory_format=memory_format), "data's images")
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
