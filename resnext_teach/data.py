"""Real image data for the experiments: scikit-learn's handwritten digits (offline) and CIFAR-10 (torchvision).

Each data set is split once into training, validation and test images by a stratified split whose own seed
(``split_seed``) is fixed and separate from the seeds of the training runs, so every run sees the same images:

* ``load_digits_data`` - the 1,797 8x8 grayscale digits that ship with scikit-learn (UCI "optical recognition of
  handwritten digits"). Small enough to train on a CPU in seconds and to over-fit visibly.
* ``load_cifar10_data`` - CIFAR-10 (50,000 + 10,000 colour 32x32 images) through ``torchvision.datasets``; the
  validation images are held out of the 50,000 training images, the 10,000 test images stay the test set. It
  downloads about 170 MB, so it is meant for Colab with a GPU and is never run by the book's build or tests.

Both return ``DataSplits``: two ``ImageData`` with the same training images, ``development`` (held out: the
validation images, for choosing a recipe) and ``final`` (held out: the test images, for the result).
``ImageData`` holds normalised float tensors ``(N, C, H, W)`` and int64 labels; its ``loaders`` method makes
``DataLoader``s whose shuffling is fixed by a seed. ``stratified_split`` is the split itself, on labels.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
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
CIFAR10_TRAIN_IMAGES = 50_000  # CIFAR-10's training set, out of which the validation images are held
CIFAR10_VALIDATION_IMAGES = 5_000  # held out of the training set by load_cifar10_data (500 per class)
CIFAR10_TEST_IMAGES = 10_000  # CIFAR-10's test set
SPLIT_SEED = 0
"""The seed of the train / validation / test split; not a seed of the training runs, which never re-split."""
HELD_OUT = ("test", "validation")
"""What the held-out images of an ``ImageData`` (``x_test``, ``y_test``) are: the test set or the validation set."""


class Loaders(NamedTuple):
    """``train``: shuffled batches for the optimiser; ``train_eval``: the training images in a fixed order (or a
    fixed subset of them) for measuring training accuracy; ``test``: the held-out images (``ImageData.held_out``
    says whether they are the test or the validation images)."""

    train: DataLoader
    train_eval: DataLoader
    test: DataLoader


@dataclass(frozen=True)
class ImageData:
    """An image classification data set held in memory as tensors.

    ``x_*``: ``(N, C, H, W)`` float32, normalised; ``y_*``: ``(N,)`` int64 class indices. ``x_test``/``y_test``
    are the held-out images that training never sees: the test images, or the validation images when
    ``held_out="validation"`` (the ``development`` part of ``DataSplits``; the training loop measures whatever is
    held out, and calls it "test"). ``augment`` says whether training batches should get random crops and flips
    (``random_crop_flip``), as is usual for CIFAR-10.
    """

    name: str
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor
    classes: tuple[str, ...]
    augment: bool = False
    held_out: str = "test"

    def __post_init__(self) -> None:
        if not isinstance(self.held_out, str) or self.held_out not in HELD_OUT:
            raise ValueError(f"held_out={describe(self.held_out)} must be 'test' or 'validation': what x_test and "
                             f"y_test hold")
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


@dataclass(frozen=True)
class DataSplits:
    """One fixed train / validation / test split of a data set, as the two ``ImageData`` the experiments train on.

    Both hold the same training images (the same tensors, as the loaders build them) and differ only in what is
    held out: ``development`` holds out the validation images, to choose a recipe on; ``final`` holds out the test
    images, to measure the chosen recipe once. Nothing in the split depends on the seed of a training run.
    """

    development: ImageData
    final: ImageData

    def __post_init__(self) -> None:
        for part, held_out in (("development", "validation"), ("final", "test")):
            data = getattr(self, part)
            if not isinstance(data, ImageData):
                raise ArgumentTypeError(f"{part} must be an ImageData, not {type(data).__name__}")
            if data.held_out != held_out:
                raise ValueError(f"{part} must hold out the {held_out} images (held_out={held_out!r}), "
                                 f"got held_out={data.held_out!r}")
        dev, final = self.development, self.final
        same = all(a is b or (a.shape == b.shape and torch.equal(a, b))
                   for a, b in ((dev.x_train, final.x_train), (dev.y_train, final.y_train)))
        if not same:
            raise ValueError("development and final must hold the same training images: only the held-out images "
                             "differ")
        if (dev.name, dev.classes, dev.augment) != (final.name, final.classes, final.augment):
            raise ValueError("development and final must be the same data set (name, classes and augment agree)")

    @property
    def sizes(self) -> dict[str, int]:
        """How many images each part holds: ``{"train": ..., "validation": ..., "test": ...}``."""
        return {"train": len(self.final.y_train), "validation": len(self.development.y_test),
                "test": len(self.final.y_test)}


def _three_parts(name: str, x: Tensor, y: Tensor, parts: tuple[np.ndarray, np.ndarray],
                 x_test: Tensor, y_test: Tensor, classes: tuple[str, ...], augment: bool) -> DataSplits:
    """``DataSplits`` from images ``x`` split into training and validation images by ``parts`` (index arrays)."""
    train, validation = (torch.from_numpy(index) for index in parts)
    development = ImageData(name, x[train], y[train], x[validation], y[validation], classes, augment, "validation")
    final = ImageData(name, development.x_train, development.y_train, x_test, y_test, classes, augment, "test")
    return DataSplits(development, final)


def _part_size(name: str, value: object, total: int) -> int:
    """A part's size as a number of images: a fraction of ``total`` (0 < float < 1, rounded) or an int count."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ArgumentTypeError(f"{name}={describe(value)} must be a fraction (0 < float < 1) or a number of "
                                f"images (int), not {type(value).__name__}")
    if isinstance(value, Integral):
        if not 0 < value < total:
            raise ValueError(f"{name}={describe(value)} images must be between 1 and {total - 1}, so that every "
                             f"part holds images")
        return int(value)
    if not (math.isfinite(value) and 0 < value < 1):
        raise ValueError(f"{name}={value!r} must be a fraction strictly between 0 and 1 (or an int count)")
    return round(value * total)


def _check_split_seed(value: object) -> int:
    """A seed for ``stratified_split``: an integer from 0 to 2**32 - 1 (what NumPy's ``RandomState`` takes)."""
    seed = _check_seed("split_seed", value)
    if seed >= 2**32:
        raise ValueError(f"split_seed={seed} must be below 2**32 (NumPy's RandomState takes 32-bit seeds)")
    return seed


def _apportion(size: int, available: np.ndarray) -> np.ndarray:
    """Split ``size`` among classes in proportion to ``available`` (examples per class), by largest remainders
    (Hamilton's method): each class gets its share rounded down or up, never more than it has, and the counts add
    up to ``size`` exactly."""
    share = size * available / available.sum()  # (classes,) real-valued shares
    counts = np.floor(share).astype(np.int64)
    extra = size - int(counts.sum())  # < the number of classes with a fractional share
    counts[np.argsort(counts - share, kind="stable")[:extra]] += 1  # the largest remainders first
    return counts


def stratified_split(labels: Tensor | np.ndarray, sizes: Sequence[int], split_seed: int = SPLIT_SEED
                     ) -> tuple[np.ndarray, ...]:
    """Split the examples ``0 .. len(labels) - 1`` into disjoint parts of exactly ``sizes`` examples (which must
    add up to ``len(labels)``), stratified by class; return each part's indices, sorted.

    Part by part, the part's size is shared among the classes in proportion to the examples each class has left
    (``_apportion``), and each class gives that many of its examples in a random order fixed by ``split_seed``
    (NumPy's legacy ``RandomState``, whose stream NumPy keeps the same across versions). The first part holds
    every class in its share to within one example; with two or three parts, the others are within two.
    """
    if isinstance(labels, Tensor):
        if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
            raise ArgumentTypeError(f"labels must be integers (class indices), got {_dtype_name(labels)}")
        labels = labels.detach().cpu().numpy()
    if not isinstance(labels, np.ndarray):
        raise ArgumentTypeError(f"labels must be a torch.Tensor or a numpy array, not {type(labels).__name__}")
    if labels.ndim != 1 or labels.dtype == np.bool_ or not np.issubdtype(labels.dtype, np.integer):
        raise ArgumentTypeError(f"labels must be one integer class index per example, got an array of shape "
                                f"{labels.shape} and dtype {labels.dtype}")
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ArgumentTypeError(f"sizes={describe(sizes)} must be a list of at least two part sizes (ints)")
    sizes = [check_positive_int(f"sizes[{i}]", size) for i, size in enumerate(sizes)]
    if sum(sizes) != len(labels):
        raise ValueError(f"sizes={sizes} add up to {sum(sizes):,}, but labels holds {len(labels):,} examples: "
                         f"every example goes into exactly one part")
    split_seed = _check_split_seed(split_seed)
    rng = np.random.RandomState(split_seed)
    classes = np.unique(labels)
    pools = [rng.permutation(np.flatnonzero(labels == c)) for c in classes]  # each class's examples, shuffled
    taken = np.zeros(len(classes), dtype=np.int64)
    available = np.array([len(pool) for pool in pools], dtype=np.int64)
    parts = []
    for size in sizes[:-1]:
        counts = _apportion(size, available - taken)
        parts.append(np.sort(np.concatenate([pool[t:t + n] for pool, t, n in zip(pools, taken, counts)])))
        taken += counts
    parts.append(np.sort(np.concatenate([pool[t:] for pool, t in zip(pools, taken)])))  # the rest
    return tuple(parts)


def load_digits_data(train_size: int | float = 0.25, validation_size: int | float = 0.25,
                     split_seed: int = SPLIT_SEED) -> DataSplits:
    """scikit-learn's handwritten digits as ``(N, 1, 8, 8)`` tensors, split once into training, validation and
    test images by ``stratified_split`` with ``split_seed``.

    ``train_size`` and ``validation_size`` are each a fraction of the 1,797 images or a number of images; the test
    set gets the rest. Pixels (0..16) are scaled to 0..1 and then standardised with the training images' mean and
    std, so no statistic of the validation or test images leaks into training.
    """
    n_train = _part_size("train_size", train_size, DIGITS_IMAGES)
    n_validation = _part_size("validation_size", validation_size, DIGITS_IMAGES)
    if n_train + n_validation >= DIGITS_IMAGES:
        raise ValueError(f"train_size={describe(train_size)} and validation_size={describe(validation_size)} "
                         f"take {n_train + n_validation:,} of the {DIGITS_IMAGES:,} images, leaving none to test on")
    for name, value, count in (("train_size", train_size, n_train), ("validation_size", validation_size, n_validation),
                               ("the test set (the rest)", None, DIGITS_IMAGES - n_train - n_validation)):
        if count < len(DIGITS_CLASSES):
            given = f"{name}={describe(value)} gives" if value is not None else f"{name} gets"
            raise ValueError(f"{given} {count} image{'s' if count != 1 else ''}, fewer than the "
                             f"{len(DIGITS_CLASSES)} classes: a stratified split needs room for every class in "
                             f"every part")
    split_seed = _check_split_seed(split_seed)
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = digits.images.astype(np.float32) / 16.0  # (1797, 8, 8), 0..1
    labels = digits.target.astype(np.int64)
    train, validation, test = stratified_split(
        labels, (n_train, n_validation, DIGITS_IMAGES - n_train - n_validation), split_seed)
    mean, std = float(images[train].mean()), float(images[train].std())
    x = torch.from_numpy((images - mean) / std).unsqueeze(1)  # (1797, 1, 8, 8)
    y = torch.from_numpy(labels)
    index = torch.from_numpy(test)
    return _three_parts("digits", x, y, (train, validation), x[index], y[index], DIGITS_CLASSES, augment=False)


def load_cifar10_data(root: str = "data", download: bool = True, validation_size: int = CIFAR10_VALIDATION_IMAGES,
                      split_seed: int = SPLIT_SEED) -> DataSplits:
    """CIFAR-10 through ``torchvision.datasets.CIFAR10`` as normalised ``(N, 3, 32, 32)`` tensors.

    ``validation_size`` images (500 per class for the default 5,000) are held out of the 50,000 training images by
    ``stratified_split`` with ``split_seed``; the 10,000 test images stay the test set. The images are normalised
    with CIFAR-10's published per-channel mean and std (of all 50,000 training images).
    Downloads about 170 MB into ``root`` the first time (``download=False`` only reads what is there). The
    images are held in memory (about 740 MB as float32); training batches are augmented on the device by
    ``random_crop_flip`` (``augment=True``), which keeps a Colab GPU busy without a slow image pipeline.
    """
    validation_size = check_positive_int("validation_size", validation_size)
    split_seed = _check_split_seed(split_seed)
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

    x, y = to_tensors(train=True)
    if validation_size >= len(y):
        raise ValueError(f"validation_size={validation_size:,} must be smaller than the {len(y):,} training images, "
                         f"so that some remain to train on")
    parts = stratified_split(y, (len(y) - validation_size, validation_size), split_seed)
    x_test, y_test = to_tensors(train=False)
    return _three_parts("cifar10", x, y, parts, x_test, y_test, CIFAR10_CLASSES, augment=True)


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
