"""The data set the experiments train on, held in memory: ``ImageData`` and its seeded batch loaders.

* ``ImageData`` - normalised float images ``(N, C, H, W)`` and int64 labels, split into training images and held-out
  images (the test images, or the validation images: ``held_out`` says which), checked when it is made;
* ``ImageData.loaders`` - ``Loaders`` whose shuffling is fixed by a seed, each batch fetched with one indexing
  operation;
* ``check_labels`` - the rule every label tensor follows: integer class indices.

``data`` loads the real data sets into it; ``splits`` cuts them into training, validation and test images.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler, TensorDataset

from ..validation import MAX_SIZE, check_bool, check_positive_int, check_seed, check_tensor, describe

__all__ = ["ImageData"]

HELD_OUT = ("test", "validation")
"""What the held-out images of an ``ImageData`` (``x_test``, ``y_test``) are: the test set or the validation set."""


def _dtype_name(tensor: Tensor) -> str:
    return str(tensor.dtype).removeprefix("torch.")


def check_labels(labels: Tensor, where: str = "") -> None:
    """Raise ``TypeError`` unless ``labels`` is a tensor of integers (class indices): not floats, complex or bools.
    ``where`` ends the message (" in y_train")."""
    check_tensor("labels", labels)
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise TypeError(f"labels must be integers (class indices), got {_dtype_name(labels)}{where}")


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
            raise TypeError(f"classes must be a non-empty tuple of class names (str), got {describe(names)}")
        if not isinstance(self.augment, bool):
            raise TypeError(f"augment={describe(self.augment)} must be True or False")
        for split in ("train", "test"):
            x, y = getattr(self, f"x_{split}"), getattr(self, f"y_{split}")
            for name, value in ((f"x_{split}", x), (f"y_{split}", y)):
                if not isinstance(value, Tensor):
                    raise TypeError(f"{name} must be a torch.Tensor, not {type(value).__name__}")
            if x.dim() != 4 or y.dim() != 1 or x.shape[0] != y.shape[0]:
                raise ValueError(
                    f"x_{split} must be (N, C, H, W) and y_{split} (N,), got {tuple(x.shape)} and {tuple(y.shape)}"
                )
            if x.shape[0] == 0:
                raise ValueError(f"x_{split} holds no images: both splits need at least one")
            if not x.dtype.is_floating_point:
                raise TypeError(f"images must be floating point, got {_dtype_name(x)} in x_{split}")
            check_labels(y, f" in y_{split}")
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
        batch_size = check_positive_int("batch_size", batch_size, MAX_SIZE)
        eval_batch_size = check_positive_int("eval_batch_size", eval_batch_size, MAX_SIZE)
        seed = check_seed("seed", seed)
        check_bool("pin_memory", pin_memory)
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
