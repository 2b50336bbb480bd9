"""The experiments' data (``resnext_teach.experiments.data``): the stratified train / validation / test split, the digits and
CIFAR-10 loaders that use it, and the batch loaders, each against an independent reference (the raw images,
scikit-learn's copy of the digits, counting by hand)."""

import sys

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from resnext_teach.experiments.data import (
    CIFAR10_CLASSES,
    CIFAR10_MEAN,
    CIFAR10_STD,
    DIGITS_IMAGES,
    load_cifar10_data,
    load_digits_data,
    random_crop_flip,
)
from resnext_teach.experiments.image_data import ImageData
from resnext_teach.experiments.splits import SPLIT_SEED, DataSplits, class_counts, stratified_split


@pytest.fixture(scope="module")
def splits():
    return load_digits_data(train_size=0.25, validation_size=0.25)


@pytest.fixture(scope="module")
def raw():
    from sklearn.datasets import load_digits

    return load_digits()


def shares_ok(labels, parts, first_within=1.0, others_within=2.0):
    """Every part holds every class in its share of the whole (``len(part) * n_class / n``), the first to within
    ``first_within`` examples, the others to within ``others_within``."""
    classes, counts = np.unique(labels, return_counts=True)
    for k, part in enumerate(parts):
        got = np.array([(labels[part] == c).sum() for c in classes])
        share = len(part) * counts / len(labels)
        bound = first_within if k == 0 else others_within
        if not np.all(np.abs(got - share) < bound):
            return False
    return True


# --- the split ------------------------------------------------------------------------------------------


@given(counts=st.lists(st.integers(1, 60), min_size=2, max_size=8), data=st.data())
def test_stratified_split_is_a_partition_of_exact_sizes_with_every_class_in_its_share(counts, data):
    labels = np.repeat(np.arange(len(counts)), counts)
    labels = labels[np.random.RandomState(1).permutation(len(labels))]  # classes mixed, as real labels are
    n = len(labels)
    k = data.draw(st.integers(2, min(3, n)), label="parts")
    cuts = sorted(data.draw(st.lists(st.integers(1, n - 1), min_size=k - 1, max_size=k - 1, unique=True), label="cuts"))
    sizes = np.diff([0, *cuts, n]).tolist()
    seed = data.draw(st.integers(0, 2**32 - 1), label="seed")
    parts = stratified_split(labels, sizes, seed)
    assert [len(p) for p in parts] == sizes  # exactly the sizes asked for
    everything = np.concatenate(parts)
    assert np.array_equal(np.sort(everything), np.arange(n))  # disjoint, and every example somewhere
    assert all(np.array_equal(p, np.sort(p)) for p in parts)
    assert shares_ok(labels, parts)
    again = stratified_split(torch.from_numpy(labels), sizes, seed)  # a tensor of labels: the same parts
    assert all(np.array_equal(a, b) for a, b in zip(parts, again))


def test_stratified_split_is_fixed_by_its_seed_and_shares_exactly_when_it_can():
    labels = np.repeat(np.arange(4), 40)  # 4 classes of 40: a split 80 / 40 / 40 can be exact
    parts = stratified_split(labels, (80, 40, 40), split_seed=5)
    for part, size in zip(parts, (80, 40, 40)):
        assert np.bincount(labels[part], minlength=4).tolist() == [size // 4] * 4
    same = stratified_split(labels, (80, 40, 40), split_seed=5)
    other = stratified_split(labels, (80, 40, 40), split_seed=6)
    assert all(np.array_equal(a, b) for a, b in zip(parts, same))
    assert not np.array_equal(parts[0], other[0])
    # a class too small for every part simply goes where its share rounds to
    rare = np.array([0] * 9 + [1])
    train, test = stratified_split(rare, (5, 5))
    assert sorted(np.concatenate([train, test]).tolist()) == list(range(10))


@pytest.mark.parametrize("labels,sizes,rule", [
    (np.arange(6) % 2, (3, 2), r"sizes=\[3, 2\] add up to 5, but labels holds 6 examples"),
    (np.arange(6) % 2, (6,), "at least two part sizes"),
    (np.arange(6) % 2, (6, 0), r"sizes\[1\]=0 must be a positive integer"),
    (np.arange(6) % 2, (3.0, 3), r"sizes\[0\]=3.0 must be a positive integer, not float"),
    (np.arange(6) % 2, "33", "at least two part sizes"),
    (np.arange(6) % 2.0, (3, 3), "labels must be one integer class index per example"),
    (np.zeros((2, 3), dtype=int), (3, 3), r"shape \(2, 3\)"),
    (torch.zeros(6), (3, 3), "labels must be integers"),
    ([0, 1, 0, 1], (2, 2), "labels must be a torch.Tensor or a numpy array, not list"),
])
def test_stratified_split_names_the_broken_rule(labels, sizes, rule):
    with pytest.raises((ValueError, TypeError), match=rule):
        stratified_split(labels, sizes)


def test_stratified_split_checks_its_seed():
    with pytest.raises(ValueError, match="split_seed=-1 must be an integer >= 0"):
        stratified_split(np.arange(6) % 2, (3, 3), split_seed=-1)
    with pytest.raises(ValueError, match=r"split_seed=4294967296 must be below 2\*\*32"):
        stratified_split(np.arange(6) % 2, (3, 3), split_seed=2**32)
    with pytest.raises(TypeError, match="split_seed=1.5 must be an integer >= 0"):
        stratified_split(np.arange(6) % 2, (3, 3), split_seed=1.5)


# --- the digits -----------------------------------------------------------------------------------------


def test_digits_are_the_raw_images_split_by_stratified_split(splits, raw):
    """The three parts are exactly scikit-learn's 1,797 images at the indices stratified_split gives, scaled
    to 0..1 and standardised with the training images' mean and std."""
    sizes = (round(0.25 * DIGITS_IMAGES), round(0.25 * DIGITS_IMAGES))
    sizes = (*sizes, DIGITS_IMAGES - sum(sizes))
    assert splits.sizes == dict(zip(("train", "validation", "test"), sizes)) == {"train": 449, "validation": 449,
                                                                                  "test": 899}
    train, validation, test = stratified_split(raw.target, sizes, SPLIT_SEED)
    images = raw.images.astype(np.float32) / 16.0
    mean, std = images[train].mean(), images[train].std()
    for x, y, index in ((splits.final.x_train, splits.final.y_train, train),
                        (splits.development.x_test, splits.development.y_test, validation),
                        (splits.final.x_test, splits.final.y_test, test)):
        assert x.shape == (len(index), 1, 8, 8) and x.dtype == torch.float32 and y.dtype == torch.int64
        torch.testing.assert_close(x, torch.from_numpy((images[index] - mean) / std).unsqueeze(1))
        assert y.tolist() == raw.target[index].tolist()
    # standardised with the training images' statistics, not the others'
    assert abs(splits.final.x_train.mean().item()) < 1e-5
    assert abs(splits.final.x_train.std(unbiased=False).item() - 1) < 1e-4


def test_digits_split_is_disjoint_covers_every_image_and_is_stratified(splits, raw):
    # as pixels: every raw image appears exactly once in the three parts together (duplicates in the data
    # set are counted as often as they occur)
    parts = (splits.final.x_train, splits.development.x_test, splits.final.x_test)
    both = torch.cat(parts).flatten(1).double()
    levels = torch.unique(both)
    assert len(levels) == 17  # the 17 grey levels 0..16, mapped by one affine map
    pixels = ((both - levels[0]) / (levels[1] - levels[0])).round().long().numpy()
    assert np.array_equal(pixels[np.lexsort(pixels.T)], raw.data[np.lexsort(raw.data.T)].astype(np.int64))
    labels = torch.cat([splits.final.y_train, splits.development.y_test, splits.final.y_test]).numpy()
    index = np.arange(len(labels))
    assert shares_ok(labels, np.split(index, np.cumsum([449, 449])), others_within=2.0)
    full = class_counts(torch.from_numpy(labels), 10)
    for y in (splits.final.y_train, splits.development.y_test, splits.final.y_test):
        for n_class, n_part in zip(full, class_counts(y, 10)):
            assert abs(n_part - len(y) * n_class / len(labels)) < 2  # every class keeps its share in every part


def test_digits_splits_share_the_training_images_and_name_what_they_hold_out(splits):
    dev, final = splits.development, splits.final
    assert dev.x_train is final.x_train and dev.y_train is final.y_train  # one training set, not a copy
    assert (dev.held_out, final.held_out) == ("validation", "test")
    assert dev.name == final.name == "digits" and dev.classes == final.classes and not dev.augment
    assert dev.in_channels == 1 and dev.num_classes == 10


def test_the_split_depends_on_split_seed_only():
    a, b = load_digits_data(), load_digits_data(split_seed=SPLIT_SEED)
    for part in ("x_train", "y_train", "x_test", "y_test"):
        assert torch.equal(getattr(a.final, part), getattr(b.final, part))
    assert torch.equal(a.development.x_test, b.development.x_test)
    other = load_digits_data(split_seed=1)
    assert not torch.equal(other.final.y_train, a.final.y_train)
    counts = load_digits_data(train_size=300, validation_size=200)
    assert counts.sizes == {"train": 300, "validation": 200, "test": DIGITS_IMAGES - 500}


def test_training_runs_of_different_seeds_use_the_same_images(splits):
    """A run's seed changes its initial weights and batch order, never the split: the runs of all seeds hold the
    very same ImageData, and the batch order does change with the seed."""
    from resnext_teach.experiments.runs import train_models

    runs = train_models(["resnet_cifar_small"], [0, 1, 2], splits.final, epochs=1, progress=False, max_batches=1,
                        batch_size=16, device="cpu")
    assert all(run.data is splits.final for run in runs)
    orders = [next(iter(splits.final.loaders(batch_size=16, seed=s).train))[1] for s in (0, 1)]
    assert not torch.equal(*orders)


# --- ImageData and DataSplits ---------------------------------------------------------------------------


def test_image_data_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"x_train must be \(N, C, H, W\)"):
        ImageData("bad", torch.zeros(4, 8, 8), torch.zeros(4, dtype=torch.long), torch.zeros(2, 1, 8, 8),
                  torch.zeros(2, dtype=torch.long), ("a",))
    with pytest.raises(ValueError, match="differ"):
        ImageData("bad", torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long), torch.zeros(2, 1, 6, 6),
                  torch.zeros(2, dtype=torch.long), ("a",))


def image_data(held_out="test", n_test=2, size=8, x_train=None, name="tiny"):
    x_train = torch.zeros(4, 1, 8, 8) if x_train is None else x_train
    return ImageData(name, x_train, torch.arange(4) % 2, torch.ones(n_test, 1, size, size),
                     torch.arange(n_test) % 2, ("a", "b"), held_out=held_out)


def test_data_splits_check_that_their_parts_fit_together():
    x = torch.zeros(4, 1, 8, 8)
    dev, final = image_data("validation", x_train=x), image_data("test", n_test=3, x_train=x)
    splits = DataSplits(dev, final)
    assert splits.sizes == {"train": 4, "validation": 2, "test": 3}
    with pytest.raises(ValueError, match="held_out='wrong' must be 'test' or 'validation'"):
        image_data("wrong")
    with pytest.raises(ValueError, match=r"development must hold out the validation images .* got held_out='test'"):
        DataSplits(final, final)
    with pytest.raises(ValueError, match=r"final must hold out the test images .* got held_out='validation'"):
        DataSplits(dev, dev)
    with pytest.raises(ValueError, match="must hold the same training images"):
        DataSplits(dev, image_data("test", x_train=torch.ones(4, 1, 8, 8)))
    with pytest.raises(ValueError, match="must be the same data set"):
        DataSplits(dev, image_data("test", x_train=x, name="other"))
    with pytest.raises(TypeError, match="final must be an ImageData, not tuple"):
        DataSplits(dev, (x, x))
    # equal training images in different tensors are the same images
    assert DataSplits(dev, image_data("test", x_train=x.clone())).sizes["train"] == 4


# --- loaders --------------------------------------------------------------------------------------------


def test_loaders_shapes_and_seeded_shuffling(splits):
    digits = splits.final
    loaders = digits.loaders(batch_size=32, seed=3, eval_batch_size=100)
    x, y = next(iter(loaders.train))
    assert x.shape == (32, 1, 8, 8) and y.shape == (32,)
    assert sum(len(b[1]) for b in loaders.train) == len(digits.y_train)
    first = [b[1] for b in digits.loaders(batch_size=32, seed=3).train]
    second = [b[1] for b in digits.loaders(batch_size=32, seed=3).train]
    other = [b[1] for b in digits.loaders(batch_size=32, seed=4).train]
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert not all(torch.equal(a, b) for a, b in zip(first, other))
    # evaluation loaders keep the order; a train_eval subset is fixed by the seed
    assert torch.equal(torch.cat([b[1] for b in loaders.test]), digits.y_test)
    held_out = splits.development.loaders(eval_batch_size=100).test  # the development split holds out validation
    assert torch.equal(torch.cat([b[1] for b in held_out]), splits.development.y_test)
    sub = digits.loaders(seed=3, train_eval_size=50).train_eval
    assert sum(len(b[1]) for b in sub) == 50
    assert torch.equal(next(iter(sub))[0], next(iter(digits.loaders(seed=3, train_eval_size=50).train_eval))[0])
    with pytest.raises(ValueError, match="batch_size=0 must be a positive integer"):
        digits.loaders(batch_size=0)


# --- CIFAR-10 (a stand-in for torchvision's data set: nothing is downloaded) ----------------------------------


class FakeCIFAR10:
    """Stands in for torchvision.datasets.CIFAR10 (no download): uint8 (N, 32, 32, 3) data and integer targets."""

    calls = []

    def __init__(self, root, train, download):
        FakeCIFAR10.calls.append((root, train, download))
        n = 40 if train else 10
        rng = np.random.default_rng(0 if train else 1)
        self.data = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
        self.targets = [i % 10 for i in range(n)]


@pytest.fixture
def fake_cifar10(monkeypatch):
    import torchvision.datasets

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    FakeCIFAR10.calls.clear()
    return FakeCIFAR10


def normalised(images):
    """The reference: uint8 (N, 32, 32, 3) -> (N, 3, 32, 32) with CIFAR-10's mean and std, in float64."""
    x = torch.from_numpy(images).double().permute(0, 3, 1, 2) / 255.0
    return ((x - torch.tensor(CIFAR10_MEAN).double().view(1, 3, 1, 1))
            / torch.tensor(CIFAR10_STD).double().view(1, 3, 1, 1)).float()


def test_cifar10_holds_validation_images_out_of_the_training_images(fake_cifar10):
    splits = load_cifar10_data(root="somewhere", download=False, validation_size=10)
    assert fake_cifar10.calls == [("somewhere", True, False), ("somewhere", False, False)]
    assert splits.sizes == {"train": 30, "validation": 10, "test": 10}
    dev, final = splits.development, splits.final
    assert final.classes == CIFAR10_CLASSES and final.augment and dev.augment and final.in_channels == 3
    assert (dev.held_out, final.held_out) == ("validation", "test") and dev.x_train is final.x_train
    raw_train, raw_test = FakeCIFAR10("r", True, False), FakeCIFAR10("r", False, False)
    train, validation = stratified_split(np.array(raw_train.targets), (30, 10), SPLIT_SEED)
    torch.testing.assert_close(final.x_train, normalised(raw_train.data[train]))
    torch.testing.assert_close(dev.x_test, normalised(raw_train.data[validation]))
    torch.testing.assert_close(final.x_test, normalised(raw_test.data))  # the test set stays the test set
    assert class_counts(dev.y_test, 10) == [1] * 10 and class_counts(final.y_train, 10) == [3] * 10
    assert final.y_test.tolist() == raw_test.targets


def test_cifar10_checks_the_validation_size(fake_cifar10):
    with pytest.raises(ValueError, match="validation_size=0 must be a positive integer"):
        load_cifar10_data(download=False, validation_size=0)
    with pytest.raises(TypeError, match="validation_size=0.1 must be a positive integer, not float"):
        load_cifar10_data(download=False, validation_size=0.1)
    with pytest.raises(ValueError, match="split_seed=-1 must be an integer >= 0"):
        load_cifar10_data(download=False, split_seed=-1)
    assert fake_cifar10.calls == []  # refused before anything is read
    with pytest.raises(ValueError, match="validation_size=40 must be smaller than the 40 training images"):
        load_cifar10_data(download=False, validation_size=40)


def test_cifar10_loader_without_torchvision(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision.datasets", None)
    with pytest.raises(ImportError, match="needs torchvision"):
        load_cifar10_data()


def test_random_crop_flip_is_a_crop_of_the_padded_image():
    x = torch.randn(6, 2, 5, 5)
    out = random_crop_flip(x, padding=2, generator=torch.Generator().manual_seed(0))
    assert out.shape == x.shape
    padded = nn.functional.pad(x, (2, 2, 2, 2))
    for i in range(6):
        candidates = [padded[i, :, dy:dy + 5, dx:dx + 5] for dy in range(5) for dx in range(5)]
        candidates += [c.flip(-1) for c in candidates]
        assert any(torch.equal(out[i], c) for c in candidates)
    again = random_crop_flip(x, padding=2, generator=torch.Generator().manual_seed(0))
    assert torch.equal(out, again)
    with pytest.raises(ValueError, match="padding=0 must be a positive integer"):
        random_crop_flip(x, padding=0)
