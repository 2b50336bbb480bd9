"""Chapter 6 (testing the claims): data, the deterministic training loop, the probes, the timing helpers and the
exercise checks, each against an independent reference on tiny inputs."""

import sys

import numpy as np
import pytest
import torch
from torch import nn

from resnext_teach import build_model, conv2d_macs, conv2d_params, connectivity_mask, make_block, measure_macs
from resnext_teach.benchmarking import Timing
from resnext_teach.data import (
    CIFAR10_CLASSES,
    ImageData,
    class_counts,
    load_cifar10_data,
    load_digits_data,
    random_crop_flip,
)
from resnext_teach.exercises import claims as ex
from resnext_teach.probes import (
    channel_correlation,
    channel_jacobian,
    group_changes,
    group_correlations,
    groups_sweep,
    model_latencies,
    perturb_group,
    perturbation_probe,
    time_interleaved,
)
from resnext_teach.training import (
    History,
    cpu_threads,
    mean_interval,
    Run,
    evaluate,
    paired_differences,
    pick_device,
    progress_bar,
    spread,
    summarize,
    train,
    train_models,
)

from helpers import assert_never_reveals as _never_shows


@pytest.fixture(scope="module")
def digits():
    return load_digits_data(train_size=0.25, seed=0)


def tiny_data(n_train=40, n_test=20, channels=1, size=8, classes=4, augment=False):
    g = torch.Generator().manual_seed(0)
    return ImageData(
        "tiny",
        torch.randn(n_train, channels, size, size, generator=g),
        torch.arange(n_train) % classes,
        torch.randn(n_test, channels, size, size, generator=g),
        torch.arange(n_test) % classes,
        tuple(str(i) for i in range(classes)),
        augment=augment,
    )


# --- data -----------------------------------------------------------------------------------------------


def test_digits_shapes_split_and_normalisation(digits):
    from sklearn.datasets import load_digits

    raw = load_digits()
    assert digits.x_train.shape[1:] == (1, 8, 8) and digits.x_test.shape[1:] == (1, 8, 8)
    assert digits.x_train.dtype == torch.float32 and digits.y_train.dtype == torch.int64
    assert len(digits.y_train) + len(digits.y_test) == len(raw.target) == 1797
    assert len(digits.y_train) == round(0.25 * 1797)
    assert digits.in_channels == 1 and digits.num_classes == 10 and not digits.augment
    # standardised with the training set's statistics
    assert abs(digits.x_train.mean().item()) < 1e-5 and abs(digits.x_train.std(unbiased=False).item() - 1) < 1e-4
    # train + test are exactly the 1,797 images, mapped by one affine map of the pixel values 0..16
    both = torch.cat([digits.x_train, digits.x_test]).flatten(1).double()
    levels = torch.unique(both)
    assert len(levels) == 17
    pixels = ((both - levels[0]) / (levels[1] - levels[0])).round().long().numpy()
    assert np.allclose(((both - levels[0]) / (levels[1] - levels[0])).numpy(), pixels, atol=1e-4)
    order = np.lexsort(pixels.T)
    raw_order = np.lexsort(raw.data.T)
    assert np.array_equal(pixels[order], raw.data[raw_order].astype(np.int64))


def test_digits_split_is_stratified_and_seeded(digits):
    total = np.bincount(load_digits_data(train_size=0.25, seed=0).y_train.numpy(), minlength=10)
    full = class_counts(torch.cat([digits.y_train, digits.y_test]), 10)
    train_counts = class_counts(digits.y_train, 10)
    assert list(total) == train_counts
    for n_class, n_train in zip(full, train_counts):
        assert abs(n_train - 0.25 * n_class) <= 1  # every class keeps its share
    again = load_digits_data(train_size=0.25, seed=0)
    assert torch.equal(again.x_train, digits.x_train) and torch.equal(again.y_test, digits.y_test)
    other = load_digits_data(train_size=0.25, seed=1)
    assert not torch.equal(other.x_train, digits.x_train)
    assert len(load_digits_data(train_size=300).y_train) == 300


def test_loaders_shapes_and_seeded_shuffling(digits):
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
    sub = digits.loaders(seed=3, train_eval_size=50).train_eval
    assert sum(len(b[1]) for b in sub) == 50
    assert torch.equal(next(iter(sub))[0], next(iter(digits.loaders(seed=3, train_eval_size=50).train_eval))[0])
    with pytest.raises(ValueError, match="batch_size=0 must be a positive integer"):
        digits.loaders(batch_size=0)


def test_image_data_rejects_bad_shapes():
    with pytest.raises(ValueError, match=r"x_train must be \(N, C, H, W\)"):
        ImageData("bad", torch.zeros(4, 8, 8), torch.zeros(4, dtype=torch.long), torch.zeros(2, 1, 8, 8),
                  torch.zeros(2, dtype=torch.long), ("a",))
    with pytest.raises(ValueError, match="differ"):
        ImageData("bad", torch.zeros(4, 1, 8, 8), torch.zeros(4, dtype=torch.long), torch.zeros(2, 1, 6, 6),
                  torch.zeros(2, dtype=torch.long), ("a",))


class FakeCIFAR10:
    """Stands in for torchvision.datasets.CIFAR10 (no download): uint8 (N, 32, 32, 3) data and integer targets."""

    calls = []

    def __init__(self, root, train, download):
        FakeCIFAR10.calls.append((root, train, download))
        n = 20 if train else 10
        rng = np.random.default_rng(0 if train else 1)
        self.data = rng.integers(0, 256, size=(n, 32, 32, 3), dtype=np.uint8)
        self.targets = [i % 10 for i in range(n)]


def test_cifar10_loader_with_a_fake_dataset(monkeypatch):
    import torchvision.datasets

    monkeypatch.setattr(torchvision.datasets, "CIFAR10", FakeCIFAR10)
    FakeCIFAR10.calls.clear()
    data = load_cifar10_data(root="somewhere", download=False)
    assert FakeCIFAR10.calls == [("somewhere", True, False), ("somewhere", False, False)]
    assert data.x_train.shape == (20, 3, 32, 32) and data.x_test.shape == (10, 3, 32, 32)
    assert data.classes == CIFAR10_CLASSES and data.augment and data.in_channels == 3
    raw = FakeCIFAR10("r", True, False).data
    pixel = raw[3, 5, 7]  # (3,) channel values of image 3 at row 5, column 7
    expected = (torch.tensor(pixel / 255.0, dtype=torch.float32) - torch.tensor((0.4914, 0.4822, 0.4465))) / torch.tensor(
        (0.2470, 0.2435, 0.2616))
    torch.testing.assert_close(data.x_train[3, :, 5, 7], expected)
    assert data.y_train.tolist() == [i % 10 for i in range(20)]


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


# --- training -------------------------------------------------------------------------------------------


def test_training_is_deterministic(digits):
    def run():
        torch.manual_seed(0)
        model = build_model("resnext_cifar_small", in_channels=1, num_classes=10)
        history = train(model, digits, epochs=1, seed=5, batch_size=16, max_batches=3, device="cpu", num_threads=1)
        return model, history

    (m1, h1), (m2, h2) = run(), run()
    assert h1.train_loss == h2.train_loss and h1.test_acc == h2.test_acc and h1.train_acc == h2.train_acc
    assert h1.epochs == 1 and len(h1.seconds) == 1 and h1.device == "cpu"
    for a, b in zip(m1.parameters(), m2.parameters()):
        assert torch.equal(a, b)
    # another seed shuffles differently, so the weights after 3 steps differ
    torch.manual_seed(0)
    m3 = build_model("resnext_cifar_small", in_channels=1, num_classes=10)
    train(m3, digits, epochs=1, seed=6, batch_size=16, max_batches=3, device="cpu")
    assert not all(torch.equal(a, b) for a, b in zip(m1.parameters(), m3.parameters()))


def test_training_learns_and_history_is_consistent():
    data = tiny_data()
    torch.manual_seed(0)
    model = build_model("resnet_cifar_small", in_channels=1, num_classes=4)
    history = train(model, data, epochs=3, seed=0, batch_size=8, lr=0.05, device="cpu")
    assert history.epochs == 3 and len(history.train_loss) == 3
    assert history.gap == [a - b for a, b in zip(history.train_acc, history.test_acc)]
    assert history.train_loss[-1] < history.train_loss[0]
    # the recorded final numbers are what evaluate() gives for the trained model
    loaders = data.loaders(batch_size=8)
    assert evaluate(model, loaders.test) == (history.test_loss[-1], history.test_acc[-1])
    logits = model.eval()(data.x_train)
    assert history.train_acc[-1] == (logits.argmax(1) == data.y_train).sum().item() / len(data.y_train)
    torch.testing.assert_close(history.train_loss[-1], nn.functional.cross_entropy(logits, data.y_train).item())


def test_channels_last_training_is_deterministic_and_computes_the_same_function(digits):
    def run(channels_last):
        torch.manual_seed(0)
        model = build_model("resnext_cifar_small", in_channels=1, num_classes=10)
        return model, train(model, digits, epochs=1, seed=1, batch_size=32, max_batches=2, device="cpu",
                            channels_last=channels_last)

    (m1, h1), (_, h2), (_, h3) = run(True), run(True), run(False)
    assert h1.test_loss == h2.test_loss and h1.train_acc == h2.train_acc
    assert m1.layer1[0].conv2.weight.is_contiguous(memory_format=torch.channels_last)
    # the same arithmetic in another order: the same function up to rounding
    assert h1.test_loss[0] == pytest.approx(h3.test_loss[0], rel=1e-3)
    x = digits.x_test[:64]
    with torch.no_grad():
        out_cl = m1.eval()(x.contiguous(memory_format=torch.channels_last))
        out = m1.to(memory_format=torch.contiguous_format)(x)
    torch.testing.assert_close(out_cl, out, rtol=1e-4, atol=1e-5)


def test_training_with_augmentation_is_deterministic():
    data = tiny_data(channels=3, size=8, augment=True)

    def run():
        torch.manual_seed(1)
        model = build_model("resnext_cifar_small", num_classes=4)
        return train(model, data, epochs=1, seed=2, batch_size=8, max_batches=2, device="cpu")

    assert run().train_loss == run().train_loss


def test_train_models_runs_every_model_and_seed_and_writes_no_stderr(capsys):
    data = tiny_data()
    runs = train_models(["resnet_cifar_small", "resnext_cifar_small"], [0, 1], data, epochs=1, batch_size=20,
                        max_batches=1, device="cpu")
    assert [(r.model_name, r.seed) for r in runs] == [("resnet_cifar_small", 0), ("resnet_cifar_small", 1),
                                                      ("resnext_cifar_small", 0), ("resnext_cifar_small", 1)]
    assert runs[1].model.config.cardinality == 1 and runs[2].model.config.cardinality == 4
    assert runs[0].model.config.in_channels == 1 and runs[0].model.fc.out_features == 4
    captured = capsys.readouterr()
    assert captured.err == "" and "4/4" in captured.out
    quiet = train_models(["resnet_cifar_small"], [0], data, epochs=1, progress=False, max_batches=1, device="cpu")
    assert capsys.readouterr().out == "" and len(quiet) == 1


def test_train_models_draws_the_data_per_seed_and_shares_it_between_models():
    made = []

    def data_for_seed(seed):
        made.append(seed)
        return load_digits_data(train_size=100, seed=seed)

    runs = train_models(["resnet_cifar_small", "resnext_cifar_small"], [3, 4], data_for_seed, epochs=1,
                        progress=False, batch_size=50, max_batches=1, device="cpu")
    assert made == [3, 4]  # each split drawn once
    by_key = {(r.model_name, r.seed): r for r in runs}
    assert by_key[("resnet_cifar_small", 3)].data is by_key[("resnext_cifar_small", 3)].data
    assert torch.equal(by_key[("resnet_cifar_small", 4)].data.y_test, load_digits_data(train_size=100, seed=4).y_test)
    assert not torch.equal(by_key[("resnet_cifar_small", 3)].data.y_test, by_key[("resnet_cifar_small", 4)].data.y_test)


def test_cpu_threads_sets_and_restores():
    before = torch.get_num_threads()
    with cpu_threads(1):
        assert torch.get_num_threads() == 1
    assert torch.get_num_threads() == before
    with cpu_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="boom"), cpu_threads(1):
        raise RuntimeError("boom")
    assert torch.get_num_threads() == before
    with pytest.raises(ValueError, match="num_threads=0 must be a positive integer"), cpu_threads(0):
        pass


def test_training_rejects_bad_arguments():
    data = tiny_data()
    model = build_model("resnet_cifar_small", in_channels=1, num_classes=4)
    with pytest.raises(ValueError, match="epochs=0 must be a positive integer"):
        train(model, data, epochs=0)
    with pytest.raises(ValueError, match="max_batches=0 must be a positive integer"):
        train(model, data, epochs=1, max_batches=0)


def fake_run(name, seed, test_acc, train_acc=1.0):
    h = History(name, seed, "cpu", train_loss=[0.1], train_acc=[train_acc], test_loss=[0.2], test_acc=[test_acc],
                seconds=[1.0])
    return Run(name, seed, None, h, None)


def test_spread_summarize_and_paired_differences():
    s = spread([0.9, 0.95, 1.0])
    assert s.mean == pytest.approx(0.95) and s.std == pytest.approx(0.05) and (s.low, s.high, s.count) == (0.9, 1.0, 3)
    assert spread([0.5]).std == 0.0
    with pytest.raises(ValueError, match="at least one value"):
        spread([])
    runs = [fake_run("a", 0, 0.9), fake_run("a", 1, 0.8), fake_run("b", 0, 0.85), fake_run("b", 2, 0.7)]
    summary = summarize(runs)
    assert summary["a"]["test_acc"].mean == pytest.approx(0.85) and summary["a"]["gap"].mean == pytest.approx(0.15)
    assert paired_differences(runs, "a", "b") == [pytest.approx(0.05)]  # only seed 0 was run for both
    assert paired_differences(runs, "a", "b", key="gap") == [pytest.approx(-0.05)]
    with pytest.raises(ValueError, match="no seed was run for both"):
        paired_differences(runs, "a", "c")


def test_mean_interval_matches_the_t_table():
    low, high = mean_interval([1.0, 2.0, 3.0])
    half = 4.302653 / 3**0.5  # t(0.975, 2 degrees of freedom) from a table; sample std = 1
    assert low == pytest.approx(2 - half, rel=1e-6) and high == pytest.approx(2 + half, rel=1e-6)
    assert type(low) is float and type(high) is float  # plain floats, which glue can format
    low, high = mean_interval([0.5, 1.5], confidence=0.9)
    assert high - 1.0 == pytest.approx(6.313752 * 0.5**0.5 / 2**0.5, rel=1e-6)  # t(0.95, 1) = 6.3138
    with pytest.raises(ValueError, match="at least 2 values"):
        mean_interval([1.0])
    with pytest.raises(ValueError, match="confidence=1.5"):
        mean_interval([1.0, 2.0], confidence=1.5)


def test_progress_bar_writes_to_stdout(capsys):
    with progress_bar(2, desc="x") as bar:
        bar.update(2)
    out = capsys.readouterr()
    assert out.err == "" and "2/2" in out.out
    assert pick_device().type in ("cpu", "cuda")


# --- probes: gradients and groups -----------------------------------------------------------------------


@pytest.mark.parametrize("channels,groups", [(4, 1), (8, 2), (8, 4), (12, 3), (8, 8)])
def test_channel_jacobian_of_a_grouped_conv_is_exactly_block_diagonal(channels, groups):
    conv = nn.Conv2d(channels, channels, 3, padding=1, groups=groups, bias=False)
    x = torch.randn(1, channels, 4, 4)
    jac = channel_jacobian(conv, x)
    assert torch.equal(jac != 0, connectivity_mask(channels, channels, groups))
    # against the weights: d y[o] / d x[i] at the centre is the weight, so the largest entry is the largest weight
    reference = torch.zeros(channels, channels)
    per = channels // groups
    for o in range(channels):
        g = o // per
        reference[o, g * per:(g + 1) * per] = conv.weight[o].abs().amax(dim=(1, 2))
    torch.testing.assert_close(jac, reference)


def test_channel_jacobian_of_a_block_is_dense_and_rejects_batches():
    block = make_block("grouped", 16, 8, cardinality=4, bottleneck_width=16).eval()
    jac = channel_jacobian(block, torch.randn(1, 16, 4, 4))
    assert jac.shape == (32, 16) and bool((jac > 0).all())
    with pytest.raises(ValueError, match="one image"):
        channel_jacobian(block, torch.randn(2, 16, 4, 4))


def test_perturb_group_and_group_changes():
    x = torch.randn(2, 8, 3, 3)
    y = perturb_group(x, group=2, groups=4, eps=0.5)
    changed = group_changes(x, y, 4)
    assert changed[2] > 0 and changed[0] == changed[1] == changed[3] == 0.0
    assert torch.equal(y[:, :4], x[:, :4]) and torch.equal(y[:, 6:], x[:, 6:])
    with pytest.raises(ValueError, match="group=4 must be in 0..3"):
        perturb_group(x, group=4, groups=4)
    with pytest.raises(ValueError, match="groups=3 must divide channels=8"):
        perturb_group(x, group=0, groups=3)


@pytest.mark.parametrize("source", [0, 3])
def test_perturbation_stays_in_its_group_within_the_layer(source):
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=4, bias=False)
    result = perturbation_probe(conv, conv, torch.randn(2, 8, 5, 5), source_group=source)
    for values in (result.conv_output, result.model_output, result.weight_grad):
        assert len(values) == 4
        assert all((v > 0) == (g == source) for g, v in enumerate(values))


def test_perturbation_spreads_across_groups_in_a_block():
    torch.manual_seed(0)
    block = make_block("grouped", 32, 16, cardinality=4, bottleneck_width=16).train()
    result = perturbation_probe(block, block.conv2, torch.randn(2, 32, 6, 6), source_group=1)
    assert [v > 0 for v in result.conv_output] == [False, True, False, False]
    assert all(v > 0 for v in result.model_output)  # conv3 (1x1, dense) mixes the groups
    assert all(v > 0 for v in result.weight_grad)  # so every group's weight gradient changes too
    assert block.training and not block.conv2._forward_hooks and not block.conv2._forward_pre_hooks
    assert all(p.grad is None for p in block.parameters())  # the probe leaves no gradients behind
    with pytest.raises(ValueError, match="conv must be an nn.Conv2d"):
        perturbation_probe(block, block.bn2, torch.randn(1, 32, 6, 6), 0)


def test_group_correlations_against_numpy():
    torch.manual_seed(0)
    model = build_model("resnext_cifar_small", in_channels=1, num_classes=10)
    x = torch.randn(16, 1, 8, 8)
    rows = group_correlations(model, x)
    assert [r.layer for r in rows] == ["layer1.0.conv2", "layer2.0.conv2", "layer3.0.conv2"]
    assert all(r.groups == 4 for r in rows)
    acts = {}
    model.layer1[0].conv2.register_forward_hook(lambda m, a, o: acts.setdefault("a", o.detach()))
    model.eval()(x)
    a = acts["a"].transpose(0, 1).reshape(24, -1).numpy().astype(np.float64)
    corr = np.abs(np.corrcoef(a))
    group = np.arange(24) // 6
    same = group[:, None] == group[None, :]
    within = corr[same & ~np.eye(24, dtype=bool)].mean()
    between = corr[~same].mean()
    assert rows[0].within == pytest.approx(within) and rows[0].between == pytest.approx(between)
    resnet = build_model("resnet_cifar_small", in_channels=1, num_classes=10)
    assert [r.groups for r in group_correlations(resnet, x, groups=4)] == [4, 4, 4]
    with pytest.raises(ValueError, match="has one group"):
        group_correlations(resnet, x)
    with pytest.raises(ValueError, match="no ResNeXtBottleneck"):
        group_correlations(nn.Conv2d(1, 4, 3), x)
    torch.testing.assert_close(channel_correlation(torch.ones(3, 2, 2, 2) * torch.arange(2.).view(1, 2, 1, 1)).isnan(),
                               torch.ones(2, 2, dtype=torch.bool))


# --- probes: timing -------------------------------------------------------------------------------------


def test_time_interleaved_reports_every_function():
    calls = {"a": 0, "b": 0}

    def make(name):
        def fn():
            calls[name] += 1
        return fn

    timings = time_interleaved({"a": make("a"), "b": make("b")}, rounds=3, warmup=1, min_time=0.001)
    assert set(timings) == {"a", "b"}
    for name, t in timings.items():
        assert isinstance(t, Timing) and t.median > 0 and t.iqr >= 0
        assert calls[name] == 1 + 1 + t.repeats  # warm-up, calibration, timed calls
    calls.update(a=0)
    single = time_interleaved({"a": make("a")}, rounds=4, warmup=2, min_time=0.0)
    assert calls["a"] == 2 + 4 and single["a"].repeats == 4  # no calibration call when min_time is 0
    with pytest.raises(ValueError, match="rounds=0"):
        time_interleaved({"a": make("a")}, rounds=0)


def test_groups_sweep_counts_match_the_counter():
    rows = groups_sweep(channels=16, size=6, groups_list=(1, 4, 16), batch_size=2, device="cpu", rounds=2, min_time=0.001)
    assert [r.groups for r in rows] == [1, 4, 16]
    for r in rows:
        conv = nn.Conv2d(16, 16, 3, padding=1, groups=r.groups, bias=False)
        assert r.params == sum(p.numel() for p in conv.parameters())
        assert r.macs == measure_macs(conv, torch.randn(2, 16, 6, 6)) == conv2d_macs(16, 16, 3, 6, r.groups, 2)
        assert r.intensity == pytest.approx(r.macs / (4 * (2 * 2 * 16 * 36 + r.params)))
        assert r.gflops == pytest.approx(r.macs / r.seconds / 1e9)
    assert groups_sweep(channels=8, size=4, groups_list=(2,), device="cpu", channels_last=True, rounds=1)[0].seconds > 0


def test_model_latencies_on_small_models():
    timings = model_latencies(("resnet_cifar_small", "resnext_cifar_small"), batch_sizes=(1, 2), image_size=8,
                              rounds=2, device="cpu")
    assert set(timings) == {(n, b) for n in ("resnet_cifar_small", "resnext_cifar_small") for b in (1, 2)}
    assert all(t.median > 0 and t.repeats == 2 for t in timings.values())


# --- exercises ------------------------------------------------------------------------------------------


def test_check_parameter_cut():
    dense, grouped = conv2d_params(256, 256, 3), conv2d_params(256, 256, 3, groups=64)
    expected = 100 * (dense - grouped) / dense
    assert ex.check_parameter_cut(expected) and ex.check_parameter_cut(round(expected, 2))
    for wrong, hint in [(100 - expected, "remain"), (expected / 100, "percentage"), (96.875, "32 groups"),
                        (50.0, "Count the weights"), (-3, "positive"), ("98", "not str")]:
        fb = ex.check_parameter_cut(wrong)
        assert not fb and hint in fb.message
        _never_shows(fb, expected)
    assert "Replace None" in str(ex.check_parameter_cut(None))


def test_check_jacobian_zeros():
    conv = nn.Conv2d(64, 64, 3, padding=1, groups=8, bias=False)
    expected = int((channel_jacobian(conv, torch.randn(1, 64, 3, 3)) == 0).sum())
    assert ex.expected_jacobian_zeros() == expected
    assert ex.check_jacobian_zeros(expected)
    for wrong, hint in [(64 * 8, "can be non-zero"), (56, "blocks"), (4000, "non-zero first")]:
        fb = ex.check_jacobian_zeros(wrong)
        assert not fb and hint in fb.message
        _never_shows(fb, expected)


def test_check_training_macs():
    conv = nn.Conv2d(64, 64, 3, padding=1, groups=16, bias=False)
    x = torch.randn(1, 64, 8, 8, requires_grad=True)
    from resnext_teach import measure_flops

    expected = measure_flops(conv, x, backward=True) // 2
    assert ex.expected_training_macs() == expected and ex.check_training_macs(expected)
    raw = measure_flops(conv, x, backward=True, corrected=False)
    forward = expected // 3
    for wrong, hint in [(raw // 2, "raw count"), (raw, "units"), (2 * expected, "2 FLOPs"), (forward, "forward pass"),
                        (2 * forward, "input needs"), (expected + 1, "forward pass's")]:
        fb = ex.check_training_macs(wrong)
        assert not fb and hint in fb.message, (wrong, fb)
        _never_shows(fb, expected)


def test_check_intensity():
    rows = groups_sweep(channels=256, size=28, groups_list=(256,), device="cpu", rounds=1, min_time=0.0)
    expected = rows[0].intensity
    assert ex.expected_intensity() == pytest.approx(expected)
    assert ex.check_intensity(expected) and ex.check_intensity(round(expected, 3))
    macs, params = rows[0].macs, rows[0].params
    for wrong, hint in [(macs / (2 * 256 * 784 + params), "bytes"), (macs / (4 * (256 * 784 + params)), "output"),
                        (expected * 256 * 0.999, "dense"), (expected * 3, "Divide"), (0, "positive")]:
        fb = ex.check_intensity(wrong)
        assert not fb and hint in fb.message, (wrong, fb)
        _never_shows(fb, expected)


# --- the chapter notebook -------------------------------------------------------------------------------


def test_chapter_notebook_structure():
    """Stored without outputs, labelled, with the set-up cell hidden, the CIFAR-10 switch off, and every exercise
    followed by a check cell and a gated solution (the build executes the notebook itself)."""
    from pathlib import Path

    import nbformat

    nb = nbformat.read(Path(__file__).parents[1] / "chapters" / "06_testing_the_claims.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].source.splitlines()[0] == "(ch-claims)="
    assert code[0].metadata.get("tags") == ["remove-cell"] and "setup(seed=0)" in code[0].source
    assert any('DATASET = "digits"' in c.source for c in code)
    labels = [line.split()[-1] for line in markdown.splitlines() if line.startswith(":label: ch6-ex-")]
    assert len(labels) >= 3
    for label in labels:
        assert f"```{{solution-start}} {label}" in markdown
    checks = {name for name in dir(ex) if name.startswith("check_") and getattr(ex, name).__module__ == ex.__name__}
    used = {name for name in checks if any(f"{name}(answer)" in c.source for c in code)}
    assert used == checks and len(used) >= 3


def test_the_papers_own_training_time():
    """Sec. 5.1 of the paper: ResNeXt-101 (32x4d) 0.95 s per mini-batch against 0.70 s for ResNet-101 (8 GPUs),
    at similar FLOPs; Chapter 6 quotes them and their ratio under claim 4b."""
    from resnext_teach.paper_results import TRAINING_TIMES

    times = {(t.model, t.template): t for t in TRAINING_TIMES}
    assert times[("ResNeXt-101", "32×4d")].seconds_per_minibatch == 0.95
    assert times[("ResNet-101", "1×64d")].seconds_per_minibatch == 0.70
    assert all(t.where == "Sec. 5.1" for t in TRAINING_TIMES)
    ratio = times[("ResNeXt-101", "32×4d")].seconds_per_minibatch / times[("ResNet-101", "1×64d")].seconds_per_minibatch
    assert ratio == pytest.approx(1.357, abs=5e-4) and f"{ratio:.2f}" == "1.36"
