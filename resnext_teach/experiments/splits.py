"""One fixed train / validation / test split of a data set, stratified by class.

* ``stratified_split`` - the split itself, on labels: disjoint parts of given sizes, every class in its share, in
  an order fixed by ``split_seed`` (``SPLIT_SEED``), which is separate from the seeds of the training runs;
* ``DataSplits`` - the two ``ImageData`` the experiments train on: ``development`` (held out: the validation
  images, for choosing a recipe) and ``final`` (held out: the test images, for the result), with the same
  training images; ``three_parts`` makes one from images and index arrays;
* ``class_counts`` - how many examples of each class a part holds;
* ``part_size``, ``check_split_seed`` - the checks of a part's size and of a split's seed (``data`` uses them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import torch
from torch import Tensor

from ..validation import MAX_SIZE, check_positive_int, check_seed, check_tensor, describe
from .image_data import ImageData, check_labels

__all__ = ["class_counts", "stratified_split"]

SPLIT_SEED = 0
"""The seed of the train / validation / test split; not a seed of the training runs, which never re-split."""


def class_counts(labels: Tensor, num_classes: int) -> list[int]:
    """How many examples of each class ``labels`` holds (index = class)."""
    num_classes = check_positive_int("num_classes", num_classes, MAX_SIZE)
    check_tensor("labels", labels)
    check_labels(labels)
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
                raise TypeError(f"{part} must be an ImageData, not {type(data).__name__}")
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


def three_parts(name: str, x: Tensor, y: Tensor, parts: tuple[np.ndarray, np.ndarray],
                 x_test: Tensor, y_test: Tensor, classes: tuple[str, ...], augment: bool) -> DataSplits:
    """``DataSplits`` from images ``x`` split into training and validation images by ``parts`` (index arrays)."""
    train, validation = (torch.from_numpy(index) for index in parts)
    development = ImageData(name, x[train], y[train], x[validation], y[validation], classes, augment, "validation")
    final = ImageData(name, development.x_train, development.y_train, x_test, y_test, classes, augment, "test")
    return DataSplits(development, final)


def part_size(name: str, value: object, total: int) -> int:
    """A part's size as a number of images: a fraction of ``total`` (0 < float < 1, rounded) or an int count."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name}={describe(value)} must be a fraction (0 < float < 1) or a number of "
                                f"images (int), not {type(value).__name__}")
    if isinstance(value, Integral):
        if not 0 < value < total:
            raise ValueError(f"{name}={describe(value)} images must be between 1 and {total - 1}, so that every "
                             f"part holds images")
        return int(value)
    if not (math.isfinite(value) and 0 < value < 1):
        raise ValueError(f"{name}={value!r} must be a fraction strictly between 0 and 1 (or an int count)")
    return round(value * total)


def check_split_seed(value: object) -> int:
    """A seed for ``stratified_split``: an integer from 0 to 2**32 - 1 (what NumPy's ``RandomState`` takes)."""
    seed = check_seed("split_seed", value)
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
        check_labels(labels)
        labels = labels.detach().cpu().numpy()
    if not isinstance(labels, np.ndarray):
        raise TypeError(f"labels must be a torch.Tensor or a numpy array, not {type(labels).__name__}")
    if labels.ndim != 1 or labels.dtype == np.bool_ or not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"labels must be one integer class index per example, got an array of shape "
                                f"{labels.shape} and dtype {labels.dtype}")
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise TypeError(f"sizes={describe(sizes)} must be a list of at least two part sizes (ints)")
    sizes = [check_positive_int(f"sizes[{i}]", size) for i, size in enumerate(sizes)]
    if sum(sizes) != len(labels):
        raise ValueError(f"sizes={sizes} add up to {sum(sizes):,}, but labels holds {len(labels):,} examples: "
                         f"every example goes into exactly one part")
    split_seed = check_split_seed(split_seed)
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
