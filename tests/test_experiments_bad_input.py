"""Bad input to the experiments (chapter 6), rule by rule: each mistake is refused early with a ValueError or
TypeError that names the argument and the rule, instead of a KeyError, a ZeroDivisionError, a crash inside
``statistics`` or scikit-learn, or a silently wrong result. Also: the batch loaders against torch's own
``DataLoader``, the Student t quantile against a printed table and scipy, and two runs side by side bit for bit."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from resnext_teach import build_model
from resnext_teach.experiments.correlations import group_correlations
from resnext_teach.experiments.data import load_cifar10_data, load_digits_data, random_crop_flip
from resnext_teach.experiments.evidence import word_sentence
from resnext_teach.experiments.image_data import ImageData
from resnext_teach.experiments.plans import Plan, plan_for
from resnext_teach.experiments.probes import channel_jacobian, perturb_group, perturbation_probe
from resnext_teach.experiments.records import load_record
from resnext_teach.experiments.runs import METRICS, Run, paired_differences, summarize, train_models
from resnext_teach.experiments.search import best_candidate, search_learning_rate
from resnext_teach.experiments.speed import groups_sweep, model_latencies
from resnext_teach.experiments.splits import class_counts, stratified_split
from resnext_teach.experiments.training import History, TrainingDiverged, evaluate, train
from resnext_teach.stats import t_quantile


def tiny_data(n_train=24, n_test=12, classes=4, **changes):  # changes: any ImageData field
    g = torch.Generator().manual_seed(0)
    fields = dict(name="tiny", x_train=torch.randn(n_train, 1, 8, 8, generator=g),
                  y_train=torch.arange(n_train) % classes, x_test=torch.randn(n_test, 1, 8, 8, generator=g),
                  y_test=torch.arange(n_test) % classes, classes=tuple(str(i) for i in range(classes)))
    return ImageData(**{**fields, **changes})


def tiny_model(in_channels=1):
    torch.manual_seed(0)
    return build_model("resnet_cifar_small", in_channels=in_channels, num_classes=4)


def fake_run(name, seed, test_acc=0.9):
    return Run(name, seed, None, History(name, seed, "cpu", [0.1], [1.0], [0.2], [test_acc], [1.0]), None)


DATA, MODEL, RUNS = tiny_data(), tiny_model(), [fake_run("a", 0), fake_run("b", 0)]
LABELS, GROUPED, IMAGE = torch.arange(24) % 4, nn.Conv2d(8, 8, 3, padding=1, groups=4), torch.zeros(1, 8, 2, 2)


def _train(**options):
    return train(options.pop("model", MODEL), options.pop("data", DATA), **{"epochs": 1, "max_batches": 1, **options})


RULES = [  # (call, error, words of its message)
    (lambda: tiny_data(y_train=LABELS.float()), TypeError, "labels must be integers (class indices), got float32 in y"),
    (lambda: tiny_data(y_test=torch.arange(12) % 5), ValueError, "labels must be class indices 0..3 (one per class"),
    (lambda: tiny_data(y_train=LABELS - 1), ValueError, "got -1 in y_train"),
    (lambda: tiny_data(x_train=torch.zeros(24, 1, 8, 8, dtype=torch.long)), TypeError,
     "images must be floating point, got int64 in x_train"),
    (lambda: tiny_data(x_test=torch.full((12, 1, 8, 8), math.nan)), ValueError, "x_test holds NaN or infinite values"),
    (lambda: tiny_data(x_test=torch.zeros(0, 1, 8, 8), y_test=LABELS[:0]), ValueError, "x_test holds no images"),
    (lambda: tiny_data(y_train=np.arange(24) % 4), TypeError, "y_train must be a torch.Tensor, not ndarray"),
    (lambda: tiny_data(x_test=torch.zeros(12, 1, 9, 9)), ValueError, "and test images (1, 9, 9) differ"),
    (lambda: replace(DATA, classes=["0", "1", "2", "3"]), TypeError, "classes must be a non-empty tuple"),
    (lambda: replace(DATA, augment="yes"), TypeError, "augment='yes' must be True or False"),
    (lambda: replace(DATA, held_out="train"), ValueError, "held_out='train' must be 'test' or 'validation'"),
    (lambda: DATA.loaders(batch_size=0), ValueError, "batch_size=0 must be a positive integer"),
    (lambda: class_counts(torch.tensor([0, 2]), 2), ValueError, "labels must be class indices 0..1"),
    (lambda: class_counts([0, 1], 2), TypeError, "labels must be a torch.Tensor, not list"),
    (lambda: stratified_split(np.arange(4) % 2, (2, 3)), ValueError, "sizes=[2, 3] add up to 5, but labels holds 4"),
    (lambda: stratified_split(np.arange(4) % 2, (2, 2), split_seed=2**32), ValueError, "split_seed=4294967296 must"),
    (lambda: random_crop_flip(torch.zeros(1, 8, 8)), ValueError, "x must have the shape (N, C, H, W), got (1, 8, 8)"),
    (lambda: random_crop_flip(torch.zeros(1, 1, 8, 8), padding=9), ValueError, "padding=9 is too large: at most 8"),
    (lambda: load_digits_data(0.6, 0.45), ValueError, "take 1,887 of the 1,797 images, leaving none to test on"),
    (lambda: load_digits_data(5, 0.25), ValueError, "train_size=5 gives 5 images, fewer than the 10 classes"),
    (lambda: load_digits_data(1000, 790), ValueError, "the test set (the rest) gets 7 images, fewer than the 10"),
    (lambda: load_digits_data(1.0), ValueError, "train_size=1.0 must be a fraction strictly between 0 and 1"),
    (lambda: load_digits_data(0.25, None), TypeError, "validation_size=None must be a fraction (0 < float < 1) or"),
    (lambda: load_cifar10_data(root=5), TypeError, "root must be a folder (a str or a Path), not int"),
    (lambda: evaluate(MODEL, []), ValueError, "evaluate needs at least one batch with at least one image"),
    (lambda: evaluate(MODEL, [(DATA.x_test[:0], DATA.y_test[:0])]), ValueError, "evaluate needs at least one batch"),
    (lambda: evaluate("model", []), TypeError, "model must be a torch.nn.Module, not str"),
    (lambda: _train(epochs=10**6), ValueError, "epochs=1000000 is too large: at most 1,000"),
    (lambda: _train(seed=-1), ValueError, "seed=-1 must be an integer >= 0 (a random seed)"),
    (lambda: _train(lr=0), ValueError, "lr=0 must be a finite number in (0, inf)"),
    (lambda: _train(lr="0.1"), TypeError, "lr='0.1' must be a real number, not str"),
    (lambda: _train(momentum=1.0), ValueError, "momentum=1.0 must be a finite number in (0, 1)"),
    (lambda: _train(weight_decay=-1e-4), ValueError, "weight_decay=-0.0001 must be a finite number in [0, 1)"),
    (lambda: _train(channels_last=1), TypeError, "channels_last=1 must be True or False"),
    (lambda: _train(model=tiny_model(in_channels=3)), ValueError, "data's images of shape (1, 1, 8, 8) do not fit"),
    (lambda: _train(data=(DATA.x_train, DATA.y_train)), TypeError, "data must be an ImageData, not tuple"),
    (lambda: _train(model="resnet"), TypeError, "model must be a torch.nn.Module, not str"),
    (lambda: paired_differences(RUNS, "a", "b", key="bogus"), ValueError, "key='bogus' is not a known recorded metric"),
    (lambda: paired_differences(RUNS, "a", "c"), ValueError, "second='c' is not a model in runs, which hold 'a', 'b'"),
    (lambda: paired_differences(RUNS, "a", "a"), ValueError, "first and second are both 'a'"),
    (lambda: summarize([fake_run("a", 0), fake_run("a", 1, math.nan)]), ValueError,
     "run 'a' seed 1 has a final test_acc of nan: its training diverged"),
    (lambda: summarize([]), ValueError, "runs is empty"),
    (lambda: summarize([fake_run("a", 0), fake_run("a", 0)]), ValueError, "runs hold 'a' with seed 0 twice"),
    (lambda: summarize([{"model_name": "a"}]), TypeError, "runs must hold Run objects"),
    (lambda: summarize(RUNS[0]), TypeError, "runs must be a list of Run (from train_models), not Run"),
    (lambda: search_learning_rate(["resnet_cifar_small"], [0], DATA, 1, [0.1]), ValueError,
     "data holds out the test images: choose a recipe on validation images"),
    (lambda: best_candidate([]), ValueError, "candidates hold none to choose: the list is empty"),
    (lambda: perturb_group(IMAGE, True, 4), TypeError, "group=True must be an integer"),
    (lambda: perturb_group(IMAGE, 0, 3), ValueError, "groups=3 must divide channels=8"),
    (lambda: perturb_group(IMAGE, 4, 4), ValueError, "group=4 must be in 0..3"),
    (lambda: perturb_group(IMAGE, 0, 4, eps=math.nan), ValueError, "eps=nan must be a finite number"),
    (lambda: perturb_group(IMAGE, 0, 4, seed=1.0), TypeError, "seed=1.0 must be an integer >= 0"),
    (lambda: perturbation_probe(GROUPED, GROUPED, torch.randn(1, 8, 4, 4), 4), ValueError,
     "source_group=4 must be in 0..3 (conv has 4 groups)"),
    (lambda: perturbation_probe(GROUPED, nn.Conv2d(8, 8, 1), torch.randn(1, 8, 4, 4), 0), ValueError,
     "conv must be a layer of model"),
    (lambda: channel_jacobian(GROUPED, torch.randn(2, 8, 4, 4)), ValueError, "x must be one image of shape (1, C_in"),
    (lambda: channel_jacobian(GROUPED, torch.randn(1, 4, 4, 4)), ValueError, "x of shape (1, 4, 4, 4) do not fit"),
    (lambda: group_correlations(build_model("resnext_cifar_small", in_channels=1), DATA.x_test, groups=0),
     ValueError, "groups=0 must be a positive integer"),
    (lambda: group_correlations(build_model("resnet_cifar_small", in_channels=1), DATA.x_test), ValueError,
     "has one group: pass groups > 1"),
    (lambda: group_correlations(GROUPED, IMAGE), ValueError, "model has no ResNeXtBottleneck blocks"),
    (lambda: groups_sweep(8, 4, (1, 3), device="cpu"), ValueError, "groups=3 must divide channels=8"),
    (lambda: groups_sweep(8, 4, (), device="cpu"), ValueError, "groups_list is empty"),
    (lambda: groups_sweep(8, 4, (1, 1), device="cpu"), ValueError, "names a group count twice"),
    (lambda: groups_sweep(8, 4, (1,), min_time=math.nan, device="cpu"), ValueError, "min_time=nan must be a finite"),
    (lambda: model_latencies("resnet50"), TypeError, "names must be a list of model names, not str"),
    (lambda: model_latencies(("resnet51",)), ValueError, "names[0]='resnet51' is not a known model"),
    (lambda: load_record("nonsense"), ValueError, "experiment='nonsense' is not a known experiment"),
    (lambda: word_sentence((1.1, 1.3)), TypeError, "ratio must be a Ratio"),
    (lambda: plan_for(None), TypeError, "dataset=None must be a data set's name: choose one of 'digits', 'cifar10'"),
    (lambda: Plan("digits", 8, (), 32), ValueError, "learning_rates is empty"),
    (lambda: Plan("digits", 8, (0.1, -0.3), 32), ValueError, "learning_rates[1]=-0.3 must be a finite number in (0,"),
    (lambda: Plan("digits", 8, 0.1, 32), TypeError, "learning_rates must be a list of learning rates, not float"),
    (lambda: Plan("digits", 8.0, (0.1,), 32), TypeError, "epochs=8.0 must be a positive integer"),
    (lambda: Plan("digits", 8, (0.1,), 32, momentum=1.5), ValueError, "momentum=1.5 must be a finite number in [0, 1)"),
    (lambda: Plan("digits", 8, (0.1,), 32, how=dict(lr=0.1)), ValueError,
     "how's key='lr' is not a known option that changes only the time"),
]


@pytest.mark.parametrize("call, error, words", RULES, ids=[words[:40] for _, _, words in RULES])
def test_a_broken_rule_is_refused_by_name(call, error, words):
    with pytest.raises(error) as info:
        call()
    assert words in str(info.value) and issubclass(info.type, (ValueError, TypeError)), str(info.value)


def test_every_metric_compares_and_one_batch_is_enough():
    for key in METRICS:  # every recorded metric works, train_loss included (the chapter uses it)
        assert len(paired_differences(RUNS, "a", "b", key=key)) == 1
    loss, acc = evaluate(MODEL, [(DATA.x_test, DATA.y_test)])  # the mean over the one batch's images
    with torch.no_grad():
        logits = MODEL.eval()(DATA.x_test)
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, DATA.y_test).item(), rel=1e-6)
    assert acc == (logits.argmax(1) == DATA.y_test).float().mean().item()
    assert tiny_data(y_train=LABELS.to(torch.int32)).y_train.dtype == torch.int64  # converted exactly


def test_none_still_means_no_limit_where_the_signature_says_so():
    history = _train(model=tiny_model(), max_batches=None, train_eval_size=None, num_threads=None)
    assert history.epochs == 1


def test_the_seeds_of_train_models_are_a_list_of_distinct_seeds():
    for seeds, words in (([0, 0], r"seeds=\[0, 0\] repeats a seed"), ([], "seeds is empty"),
                         ([0, -1], r"seeds\[1\]=-1"), (3, r"seeds must be a list of seeds such as \[0, 1, 2\]")):
        with pytest.raises((ValueError, TypeError), match=words):
            train_models(["resnet_cifar_small"], seeds, DATA, 1, progress=False)
    for names, words in (("resnet_cifar_small", "model_names must be a list of model names, not str"),
                         (["resnet_cifar_small"] * 2, "names a model twice")):
        with pytest.raises((ValueError, TypeError), match=words):
            train_models(names, [0], DATA, 1, progress=False)
    with pytest.raises(TypeError, match=r"data\(0\) must return an ImageData, not dict"):
        train_models(["resnet_cifar_small"], [0], lambda seed: {}, 1, progress=False)
    runs = train_models(["resnet_cifar_small"], range(2), DATA, 1, progress=False, max_batches=1, device="cpu")
    assert [r.seed for r in runs] == [0, 1]  # a range of seeds will do


class BlowsUp(nn.Module):
    """A linear classifier whose output becomes NaN from its ``after``-th training forward pass on."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.fc, self.after, self.calls = nn.Linear(64, 4), after, 0

    def forward(self, x):
        out = self.fc(x.flatten(1))
        if self.training:
            self.calls += 1
            out = out * math.nan if self.calls >= self.after else out
        return out


def test_a_diverged_run_stops_with_the_epoch_and_the_advice():
    words = r"diverged at epoch 3 \(BlowsUp, seed 0\): loss is nan \(lower lr=0.05\)"
    with pytest.raises(TrainingDiverged, match=words) as error:
        train(BlowsUp(after=2 * 3 + 1), DATA, epochs=5, batch_size=8, device="cpu")  # 3 steps per epoch
    assert isinstance(error.value, ValueError) and error.value.history.epochs == 2  # the epochs before it are kept
    with pytest.raises(TrainingDiverged, match="diverged at epoch 1 .*resnet_cifar_small, seed 0.*lower lr"):
        train_models(["resnet_cifar_small"], [0], DATA, 2, progress=False, lr=1e30, batch_size=8, device="cpu")


def test_training_two_runs_at_a_time_gives_the_same_runs_bit_for_bit():
    def runs(workers):
        return train_models(["resnet_cifar_small", "resnext_cifar_small"], [0, 1], lambda seed: tiny_data(), 2,
                            progress=False, workers=workers, batch_size=8, device="cpu", num_threads=1)

    before = torch.get_num_threads()
    one, two = runs(1), runs(2)
    assert torch.get_num_threads() == before  # num_threads is set for the runs and restored
    for a, b in zip(one, two, strict=True):
        assert (a.model_name, a.seed, a.history.train_loss, a.history.test_acc) == (
            b.model_name, b.seed, b.history.train_loss, b.history.test_acc)
        assert all(torch.equal(x, y) for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()))
    with pytest.raises(TrainingDiverged, match="training diverged at epoch 1"):  # a failed run stops the others
        train_models(["resnet_cifar_small", "resnext_cifar_small"], [0, 1], tiny_data(), 2, progress=False,
                     workers=2, lr=1e30, batch_size=8, device="cpu")


@given(n=st.integers(1, 70), batch=st.integers(1, 80), seed=st.integers(0, 2**32), epochs=st.integers(1, 3))
def test_loaders_give_exactly_the_batches_of_a_shuffling_dataloader(n, batch, seed, epochs):
    data = tiny_data(n_train=n, n_test=max(1, n // 2), classes=1)
    loaders = data.loaders(batch_size=batch, seed=seed, eval_batch_size=batch)
    reference = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=batch, shuffle=True,
                           generator=torch.Generator().manual_seed(seed))
    assert len(loaders.train) == len(reference) == math.ceil(n / batch)
    for _ in range(epochs):  # the shuffling generator advances in the same way from epoch to epoch
        for (x, y), (x_ref, y_ref) in zip(loaders.train, reference, strict=True):
            assert torch.equal(x, x_ref) and torch.equal(y, y_ref)
    ordered = DataLoader(TensorDataset(data.x_test, data.y_test), batch_size=batch)
    for (x, y), (x_ref, y_ref) in zip(loaders.test, ordered, strict=True):
        assert torch.equal(x, x_ref) and torch.equal(y, y_ref)


T_TABLE = {0.975: {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 9: 2.2622, 10: 2.2281, 29: 2.0452,
                   30: 2.0423},
           0.995: {1: 63.6567, 2: 9.9248, 5: 4.0321, 10: 3.1693, 30: 2.7500}}


def test_t_quantile_matches_the_printed_table():
    for p, table in T_TABLE.items():
        for dof, value in table.items():
            assert t_quantile(p, dof) == pytest.approx(value, abs=6e-5), (p, dof)
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.75, 1) == pytest.approx(1.0, rel=1e-15)  # the Cauchy distribution's quartile is exactly 1
    assert t_quantile(0.9, 2) == pytest.approx(0.8 / math.sqrt(2 * 0.9 * 0.1), rel=1e-14)  # closed form for dof 2


@given(p=st.floats(0.001, 0.999), dof=st.integers(1, 200))
def test_t_quantile_agrees_with_scipy_and_is_symmetric(p, dof):
    scipy_t = pytest.importorskip("scipy.stats").t
    assert t_quantile(p, dof) == pytest.approx(float(scipy_t.ppf(p, dof)), rel=1e-11, abs=1e-13)
    assert t_quantile(1 - p, dof) == pytest.approx(-t_quantile(p, dof), rel=1e-12, abs=1e-13)
