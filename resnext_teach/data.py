"""Real image data for the experiments: scikit-learn's handwritten digits (offline) and CIFAR-10 (torchvision).

* ``load_digits_data`` - the 1,797 8x8 grayscale digits that ship with scikit-learn (UCI "optical recognition of
  handwritten digits"), split into train and test sets by a stratified split with a fixed seed. Small enough
  to train on a CPU in seconds and to over-fit visibly.
* ``load_cifar10_data`` - CIFAR-10 (50,000 + 10,000 colour 32x32 images) through ``torchvision.datasets``; it
  downloads about 170 MB, so it is meant for Colab with a GPU and is never run by the book's build or tests.

Both return an ``ImageData``: normalised float tensors ``(N, C, H, W)`` and int64 labels, whose ``loaders``
method makes ``DataLoader``s whose shuffling is fixed by a seed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

from .validation import ArgumentTypeError, check_positive_int, describe

DIGITS_CLASSES = tuple(str(i) for i in range(10))
DIGITS_IMAGES = 1797  # images in scikit-learn's digits
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # per-channel mean and std of the CIFAR-10 training images
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
CIFAR10_DOWNLOAD_MB = 170  # cifar-10-python.tar.gz, 170,498,071 bytes (what torchvision downloads)


class Loaders(NamedTuple):
    """``train``: shuffled batches for the optimiser; ``train_eval``: the training images in a fixed order (or a
    fixed subset of them) for measuring training accuracy; ``test``: the held-out images."""

    train: DataLoader
    train_eval: DataLoader
    test: DataLoader


@dataclass(frozen=True)
class ImageData:
    """An image classification data set held in memory as tensors.

    ``x_*``: ``(N, C, H, W)`` float32, normalised; ``y_*``: ``(N,)`` int64 class indices. ``augment`` says whether
    training batches should get random crops and flips (``random_crop_flip``), as is usual for CIFAR-10.
    """

    name: str
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    classes: tuple[str, ...]
    augment: bool = False

    def __post_init__(self) -> None:
        names = self.classes
        if not isinstance(names, tuple) or not names or not all(isinstance(c, str) for c in names):
            raise ArgumentTypeError(f"classes must be a non-empty tuple of class names (str), got {describe(names)}")
        if not isinstance(self.augment, bool):
            raise ArgumentTypeError(f"augment={describe(self.augment)} must be True or False")
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            for name, value in ((f"x_{split}", x), (f"y_{split}", y)):
                if not isinstance(value, Tensor):
                    raise ArgumentTypeError(f"{name} must be a torch.Tensor, not {type(value).__name__}")
            if x.dim() != 4 or y.dim() != 1 or x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"x_{split} must be (N, C, H, W) and y_{split} (N,), got {tuple(x.shape)} and {tuple(y.shape)}"
                )
            if x.shape[0] == 0:
                raise ValueError(f"x_{split} holds no images: both splits need at least one")
            if not x.dtype.is_floating_point:
                raise ArgumentTypeError(f"images must be floating point, got {_dtype_name(x)} in x_{split}")
            if y.dtype.is_floating_point or y.dtype.is_complex or y.dtype == torch.bool:
                raise ArgumentTypeError(f"labels must be integers (class indices), got {_dtype_name(y)} in y_{split}")
            if y.dtype != torch.int64:  # cross_entropy wants int64 targets; a smaller integer type converts exactly
                object.__setattr__(self, f"y_{split}", y.long())
                y = y.long()
            low, high = int(y.min()), int(y.max())
            if low < 0 or high >= len(self.classes):
                bad = low if low < 0 else high
                raise ValueError(f"labels must be class indices 0..{len(self.classes) - 1} (one per class name), "
                                 f"got {bad} in y_{split}")
            if not bool(torch.isfinite(x).all()):
                raise ValueError(f"x_{split} holds NaN or infinite values")
        if self.x_train.shape[1:] != self.x_test.shape[1:]:
            train_shape, test_shape = tuple(self.x_train.shape[1:]), tuple(self.x_test.shape[1:])
            raise ValueError(f"train images {train_shape} and test images {test_shape} differ")

    @property
    def in_channels(self) -> int:
        return self.x_train.shape[1]

    @property
    def num_classes(self) -> int:
        return len(self.classes)

    def loaders(
        self,
        batch_size: int = 64,
        seed: int = 0,
        eval_batch_size: int = 512,
        train_eval_size: int | None = None,
        pin_memory: bool = False,
    ) -> Loaders:
        """Data loaders whose shuffling order is fixed by ``seed`` (a ``torch.Generator`` of its own, so the
        order does not depend on anything else that used the global random state).

        ``train_eval_size`` limits the training images used to measure training accuracy to a fixed subset
        (chosen with ``seed``); ``None`` uses them all.

        Each batch is fetched with one indexing operation (``x[indices]``) instead of image by image: the same
        batches, in the same order, as ``DataLoader(..., batch_size=..., shuffle=True, generator=...)``, without
        its per-image overhead, which on 8x8 digits costs more than the arithmetic of small batches.
        """
        batch_size = check_positive_int("batch_size", batch_size)
        eval_batch_size = check_positive_int("eval_batch_size", eval_batch_size)
        seed = _check_seed("seed", seed)
        if not isinstance(pin_memory, bool):
            raise ArgumentTypeError(f"pin_memory={describe(pin_memory)} must be True or False")
        generator = torch.Generator().manual_seed(seed)
        train_set = TensorDataset(self.x_train, self.y_train)
        if train_eval_size is None:
            eval_set = train_set
        else:
            size = min(check_positive_int("train_eval_size", train_eval_size), len(train_set))
            subset = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(seed))[:size]
            eval_set = TensorDataset(self.x_train[subset], self.y_train[subset])
        test_set = TensorDataset(self.x_test, self.y_test)
        return Loaders(
            train=_batch_loader(train_set, batch_size, pin_memory, generator),
            train_eval=_batch_loader(eval_set, eval_batch_size, pin_memory),
            test=_batch_loader(test_set, eval_batch_size, pin_memory),
        )


def _batch_loader(
    dataset: TensorDataset, batch_size: int, pin_memory: bool, generator: torch.Generator | None = None
) -> DataLoader:
    """A ``DataLoader`` over whole batches: the sampler yields a batch of indices and the dataset is indexed with
    all of them at once. ``generator``: shuffle with it (as ``shuffle=True, generator=generator`` would, drawing
    from it in the same order); ``None``: keep the order."""
    order = SequentialSampler(dataset) if generator is None else RandomSampler(dataset, generator=generator)
    return DataLoader(dataset, sampler=BatchSampler(order, batch_size, drop_last=False), batch_size=None,
                      generator=generator, pin_memory=pin_memory)


def _dtype_name(tensor: Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def _check_seed(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is a valid random seed (an integer >= 0; not a bool), else raise
    ``ArgumentTypeError`` (not an integer: a float, NaN, a string, ...) or ``ValueError`` (negative)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ArgumentTypeError(
            f"{name}={describe(value)} must be an integer >= 0 (a random seed), not {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(f"{name}={value!r} must be an integer >= 0 (a random seed)")
    return int(value)


def class_counts(labels: Tensor, num_classes: int) -> list[int]:
    """How many examples of each class ``labels`` holds (index = class)."""
    num_classes = check_positive_int("num_classes", num_classes)
    if not isinstance(labels, Tensor):
        raise ArgumentTypeError(f"labels must be a torch.Tensor, not {type(labels).__name__}")
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ArgumentTypeError(f"labels must be integers (class indices), got {_dtype_name(labels)}")
    if labels.numel() and (int(labels.min()) < 0 or int(labels.max()) >= num_classes):
        raise ValueError(f"labels must be class indices 0..{num_classes - 1}, got values from {int(labels.min())} "
                         f"to {int(labels.max())}")
    return torch.bincount(labels.flatten(), minlength=num_classes).tolist()


def load_digits_data(train_size: int | float = 0.5, seed: int = 0) -> ImageData:
    """scikit-learn's handwritten digits as ``(N, 1, 8, 8)`` tensors, split by a stratified split with ``seed``.

    ``train_size`` is a fraction of the 1,797 images or a number of images; every class gets its share in both
    splits. Pixels (0..16) are scaled to 0..1 and then standardised with the training set's mean and std, so
    no statistic of the test images leaks into training.
    """
    if isinstance(train_size, bool) or not isinstance(train_size, Real):
        raise ArgumentTypeError(f"train_size={describe(train_size)} must be a fraction (0 < float < 1) or a number "
                                f"of images (int), not {type(train_size).__name__}")
    if isinstance(train_size, Integral):
        if not 0 < train_size < DIGITS_IMAGES:
            raise ValueError(f"train_size={train_size} images must be between 1 and {DIGITS_IMAGES - 1}, so that "
                             f"both splits hold images")
    elif not (math.isfinite(train_size) and 0 < train_size < 1):
        raise ValueError(f"train_size={train_size!r} must be a fraction strictly between 0 and 1 (or an int count)")
    seed = _check_seed("seed", seed)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0  # (1797, 8, 8), 0..1
    labels = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(images, labels, train_size=train_size, random_state=seed, stratify=labels)
    mean, std = float(x_tr.mean()), float(x_tr.std())
    x_train = torch.from_numpy((x_tr - mean) / std).unsqueeze(1)  # (N_train, 1, 8, 8)
    x_test = torch.from_numpy((x_te - mean) / std).unsqueeze(1)  # (N_test, 1, 8, 8)
    return ImageData("digits", x_train, torch.from_numpy(y_tr), x_test, torch.from_numpy(y_te), DIGITS_CLASSES)


def load_cifar10_data(root: str = "data", download: bool = True) -> ImageData:
    """CIFAR-10 through ``torchvision.datasets.CIFAR10`` as normalised ``(N, 3, 32, 32)`` tensors.

    Downloads about 170 MB into ``root`` the first time (``download=False`` only reads what is there). The
    images are held in memory (about 740 MB as float32); training batches are augmented on the device by
    ``random_crop_flip`` (``augment=True``), which keeps a Colab GPU busy without a slow image pipeline.
    """
    try:
        from torchvision.datasets import CIFAR10
    except ImportError as error:
        raise ImportError("load_cifar10_data needs torchvision: pip install torchvision") from error

    mean = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)

    def to_tensors(train: bool) -> tuple[Tensor, Tensor]:
        dataset = CIFAR10(root=root, train=train, download=download)
        images = torch.from_numpy(np.asarray(dataset.data)).permute(0, 3, 1, 2)  # (N, 32, 32, 3) uint8 -> (N, 3, 32, 32)
        x = (images.float() / 255.0 - mean) / std
        return x.contiguous(), torch.as_tensor(dataset.targets, dtype=torch.int64)

    x_train, y_train = to_tensors(train=True)
    x_test, y_test = to_tensors(train=False)
    return ImageData("cifar10", x_train, y_train, x_test, y_test, CIFAR10_CLASSES, augment=True)


def random_crop_flip(x: Tensor, padding: int = 4, generator: torch.Generator | None = None) -> Tensor:
    """The standard CIFAR augmentation on a batch ``(N, C, H, W)``: zero-pad by ``padding``, crop a random
    ``H x W`` window, and flip half of the images left-right. Runs on ``x``'s device; ``generator`` (on the
    same device) makes it reproducible."""
    padding = check_positive_int("padding", padding)
    if not isinstance(x, Tensor) or x.dim() != 4:
        raise ValueError(f"x must be a batch of images (N, C, H, W), got {getattr(x, 'shape', type(x).__name__)}")
    n, _, h, w = x.shape
    padded = torch.nn.functional.pad(x, (padding, padding, padding, padding))  # (N, C, H + 2p, W + 2p)
    dy = torch.randint(0, 2 * padding + 1, (n,), device=x.device, generator=generator)
    dx = torch.randint(0, 2 * padding + 1, (n,), device=x.device, generator=generator)
    flip = torch.rand(n, device=x.device, generator=generator) < 0.5
    rows = (dy[:, None] + torch.arange(h, device=x.device)[None, :])[:, None, :, None]  # (N, 1, H, 1)
    cols = dx[:, None] + torch.arange(w, device=x.device)[None, :]  # (N, W)
    cols = torch.where(flip[:, None], cols.flip(1), cols)[:, None, None, :]  # (N, 1, 1, W)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(x.shape[1], device=x.device)[None, :, None, None]
    return padded[batch, channel, rows, cols]  # (N, C, H, W)
