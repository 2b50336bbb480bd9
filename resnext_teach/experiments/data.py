"""Real image data for the experiments: scikit-learn's handwritten digits (offline) and CIFAR-10 (torchvision).

Each data set is split once into training, validation and test images by ``splits.stratified_split``, whose own
seed (``split_seed``) is fixed and separate from the seeds of the training runs, so every run sees the same images:

* ``load_digits_data`` - the 1,797 8x8 grayscale digits that ship with scikit-learn (UCI "optical recognition of
  handwritten digits"). Small enough to train on a CPU in seconds and to over-fit visibly.
* ``load_cifar10_data`` - CIFAR-10 (50,000 + 10,000 colour 32x32 images) through ``torchvision.datasets``; the
  validation images are held out of the 50,000 training images, the 10,000 test images stay the test set. It
  downloads about 170 MB, so it is meant for Colab with a GPU and is never run by the book's build or tests.
* ``random_crop_flip`` - the standard CIFAR augmentation, on a batch on the device.

Both loaders return ``splits.DataSplits``: two ``image_data.ImageData`` with the same training images,
``development`` (held out: the validation images) and ``final`` (held out: the test images).
"""

from __future__ import annotations

import os

import numpy as np
import torch
from torch import Tensor

from ..validation import check_bool, check_instance, check_positive_int, check_tensor, describe
from .splits import SPLIT_SEED, DataSplits, check_split_seed, part_size, stratified_split, three_parts

__all__ = ["DIGITS_IMAGES", "UCI_DIGITS_IMAGES", "CIFAR10_DOWNLOAD_MB", "CIFAR10_TRAIN_IMAGES",
    "CIFAR10_VALIDATION_IMAGES", "CIFAR10_TEST_IMAGES", "load_digits_data", "load_cifar10_data", "random_crop_flip"]

DIGITS_CLASSES = tuple(str(i) for i in range(10))
DIGITS_IMAGES = 1797  # images in scikit-learn's digits
UCI_DIGITS_IMAGES = 5620  # the UCI "optical recognition of handwritten digits" set; scikit-learn ships its test part
CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
CIFAR10_MEAN = (0.4914, 0.4822, 0.4465)  # per-channel mean and std of the CIFAR-10 training images
CIFAR10_STD = (0.2470, 0.2435, 0.2616)
CIFAR10_DOWNLOAD_MB = 170  # cifar-10-python.tar.gz, 170,498,071 bytes (what torchvision downloads)
CIFAR10_TRAIN_IMAGES = 50_000  # CIFAR-10's training set, out of which the validation images are held
CIFAR10_VALIDATION_IMAGES = 5_000  # held out of the training set by load_cifar10_data (500 per class)
CIFAR10_TEST_IMAGES = 10_000  # CIFAR-10's test set


def load_digits_data(train_size: int | float = 0.25, validation_size: int | float = 0.25,
                     split_seed: int = SPLIT_SEED) -> DataSplits:
    """scikit-learn's handwritten digits as ``(N, 1, 8, 8)`` tensors, split once into training, validation and
    test images by ``stratified_split`` with ``split_seed``.

    ``train_size`` and ``validation_size`` are each a fraction of the 1,797 images or a number of images; the test
    set gets the rest. Pixels (0..16) are scaled to 0..1 and then standardised with the training images' mean and
    std, so no statistic of the validation or test images leaks into training.
    """
    n_train = part_size("train_size", train_size, DIGITS_IMAGES)
    n_validation = part_size("validation_size", validation_size, DIGITS_IMAGES)
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
    split_seed = check_split_seed(split_seed)
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
    return three_parts("digits", x, y, (train, validation), x[index], y[index], DIGITS_CLASSES, augment=False)


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
    check_instance("root", root, (str, os.PathLike), "folder (a str or a Path)")
    check_bool("download", download)
    validation_size = check_positive_int("validation_size", validation_size, CIFAR10_TRAIN_IMAGES - 1)
    split_seed = check_split_seed(split_seed)
    try:
        from torchvision.datasets import CIFAR10  # optional: torchvision is not a dependency of the package
    except ImportError as error:
        raise ImportError("load_cifar10_data needs torchvision: pip install torchvision") from error

    mean = torch.tensor(CIFAR10_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CIFAR10_STD).view(1, 3, 1, 1)

    def to_tensors(train: bool) -> tuple[Tensor, Tensor]:
        try:
            dataset = CIFAR10(root=root, train=train, download=download)
        except RuntimeError as error:  # torchvision's "Dataset not found or corrupted"
            raise ValueError(f"root={root!r} holds no CIFAR-10 ({error}); download={download}") from error
        images = torch.from_numpy(np.asarray(dataset.data)).permute(0, 3, 1, 2)  # (N, 32, 32, 3) uint8 -> (N, 3, 32, 32)
        x = (images.float() / 255.0 - mean) / std
        return x.contiguous(), torch.as_tensor(dataset.targets, dtype=torch.int64)

    x, y = to_tensors(train=True)
    if validation_size >= len(y):
        raise ValueError(f"validation_size={validation_size:,} must be smaller than the {len(y):,} training images, "
                         f"so that some remain to train on")
    parts = stratified_split(y, (len(y) - validation_size, validation_size), split_seed)
    x_test, y_test = to_tensors(train=False)
    return three_parts("cifar10", x, y, parts, x_test, y_test, CIFAR10_CLASSES, augment=True)


def random_crop_flip(x: Tensor, padding: int = 4, generator: torch.Generator | None = None) -> Tensor:
    """The standard CIFAR augmentation on a batch ``(N, C, H, W)``: zero-pad by ``padding``, crop a random
    ``H x W`` window, and flip half of the images left-right. Runs on ``x``'s device; ``generator`` (on the
    same device) makes it reproducible."""
    check_tensor("x", x, dims=4)
    n, _, h, w = x.shape
    padding = check_positive_int("padding", padding, min(h, w))
    if generator is not None:
        check_instance("generator", generator, torch.Generator, "torch.Generator")
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
