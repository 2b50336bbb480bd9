"""Bad input to the experiment modules (``data``, ``training``, ``probes``): each is refused early with a
ValueError or TypeError that names the argument and the rule, instead of a KeyError, a ZeroDivisionError, a crash
inside ``statistics`` or scikit-learn, or a silently wrong result. Also: the batch loaders against torch's own ``DataLoader`` and
the Student t quantile against a printed table and scipy."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest
import torch
from hypothesis import assume, given
from hypothesis import strategies as st
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from resnext_teach import build_model
from resnext_teach.experiments.data import load_cifar10_data, load_digits_data, random_crop_flip
from resnext_teach.experiments.image_data import ImageData
from resnext_teach.experiments.splits import class_counts, stratified_split
from resnext_teach.experiments.correlations import group_correlations
from resnext_teach.experiments.probes import perturb_group, perturbation_probe
from resnext_teach.experiments.speed import groups_sweep, model_latencies
from resnext_teach.stats import mean_interval, spread, t_quantile
from resnext_teach.timing import time_interleaved
from resnext_teach.experiments.runs import METRICS, Run, paired_differences, summarize, train_models
from resnext_teach.experiments.search import search_learning_rate
from resnext_teach.experiments.training import History, TrainingDiverged, evaluate, train

BAD = (ValueError, TypeError)


def tiny_data(n_train=24, n_test=12, classes=4, **changes):  # changes: any ImageData field
    g = torch.Generator().manual_seed(0)
    fields = dict(
        name="tiny",
        x_train=torch.randn(n_train, 1, 8, 8, generator=g),
        y_train=torch.arange(n_train) % classes,
        x_test=torch.randn(n_test, 1, 8, 8, generator=g),
        y_test=torch.arange(n_test) % classes,
        classes=tuple(str(i) for i in range(classes)),
    )
    fields.update(changes)
    return ImageData(**fields)


def tiny_model():
    torch.manual_seed(0)
    return build_model("resnet_cifar_small", in_channels=1, num_classes=4)


def fake_run(name, seed, test_acc=0.9, train_acc=1.0, train_loss=0.1):
    history = History(name, seed, "cpu", train_loss=[train_loss], train_acc=[train_acc], test_loss=[0.2],
                      test_acc=[test_acc], seconds=[1.0])
    return Run(name, seed, None, history, None)


# Values that no size-like argument (a count: epochs, batch size, rounds, ...) may take. Floats are refused even
# when whole (2.0), as the package's other size arguments are (resnext_teach/validation.py).
NOT_A_COUNT = st.one_of(
    st.integers(max_value=0),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.sampled_from([None, [2], np.float64(2.0), torch.tensor(2)]),
)
# ... and no seed (0 is a seed; a negative number, a float, a bool or a string is not)
NOT_A_SEED = st.one_of(
    st.integers(max_value=-1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
    st.sampled_from([None, torch.tensor(1)]),
)


def refused(call, name, value):
    """``call(value)`` raises a ValueError or TypeError whose message names the argument ``name``."""
    with pytest.raises(BAD) as error:
        call(value)
    assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", str(error.value)), (name, value, str(error.value))


# --- the four failures of the issue, one by one ----------------------------------------------------------------


def test_paired_differences_names_the_metrics_for_an_unknown_key():
    runs = [fake_run("a", 0), fake_run("b", 0)]
    with pytest.raises(ValueError, match=r"key='bogus' is not a recorded metric; choose one of 'train_loss'"):
        paired_differences(runs, "a", "b", key="bogus")
    for key in METRICS:  # every recorded metric works, train_loss included (the chapter uses it)
        assert len(paired_differences(runs, "a", "b", key=key)) == 1
    with pytest.raises(ValueError, match="'c' is not a model in runs, which hold 'a', 'b'"):
        paired_differences(runs, "a", "c")
    with pytest.raises(ValueError, match="first and second are both 'a'"):
        paired_differences(runs, "a", "a")


def test_evaluate_needs_at_least_one_batch():
    model = tiny_model()
    data = tiny_data()
    empty = DataLoader(TensorDataset(data.x_test[:0], data.y_test[:0]), batch_size=4)
    with pytest.raises(ValueError, match="evaluate needs at least one batch"):
        evaluate(model, empty)
    with pytest.raises(ValueError, match="evaluate needs at least one batch"):
        evaluate(model, [])
    with pytest.raises(ValueError, match="evaluate needs at least one batch"):
        evaluate(model, [(data.x_test[:0], data.y_test[:0])])  # a batch without images
    with pytest.raises(TypeError, match="model must be a torch.nn.Module"):
        evaluate("model", empty)
    # one batch is enough, and the result is the mean over its images
    loss, acc = evaluate(model, [(data.x_test, data.y_test)])
    with torch.no_grad():
        logits = model.eval()(data.x_test)
    assert loss == pytest.approx(nn.functional.cross_entropy(logits, data.y_test).item(), rel=1e-6)
    assert acc == (logits.argmax(1) == data.y_test).float().mean().item()


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.float16, torch.bool, torch.complex64])
@pytest.mark.parametrize("split", ["train", "test"])
def test_image_data_refuses_labels_that_are_not_integers(dtype, split):
    data = tiny_data()
    labels = getattr(data, f"y_{split}").to(dtype)
    name = str(dtype).removeprefix("torch.")
    with pytest.raises(TypeError, match=rf"labels must be integers \(class indices\), got {name} in y_{split}"):
        tiny_data(**{f"y_{split}": labels})


def test_image_data_checks_labels_images_and_classes():
    data = tiny_data(y_train=(torch.arange(24) % 4).to(torch.int32), y_test=(torch.arange(12) % 4).to(torch.uint8))
    assert data.y_train.dtype == data.y_test.dtype == torch.int64  # converted exactly, so cross_entropy takes them
    assert data.y_train.tolist() == (torch.arange(24) % 4).tolist()
    with pytest.raises(ValueError, match=r"labels must be class indices 0..3 .* got 4 in y_test"):
        tiny_data(y_test=torch.arange(12) % 5)
    with pytest.raises(ValueError, match="got -1 in y_train"):
        tiny_data(y_train=torch.arange(24) % 4 - 1)
    with pytest.raises(TypeError, match="images must be floating point, got int64 in x_train"):
        tiny_data(x_train=torch.zeros(24, 1, 8, 8, dtype=torch.long))
    with pytest.raises(ValueError, match="x_test holds NaN or infinite values"):
        tiny_data(x_test=torch.full((12, 1, 8, 8), math.nan))
    with pytest.raises(ValueError, match="x_test holds no images"):
        tiny_data(x_test=torch.zeros(0, 1, 8, 8), y_test=torch.zeros(0, dtype=torch.long))
    with pytest.raises(TypeError, match="y_train must be a torch.Tensor, not ndarray"):
        tiny_data(y_train=np.arange(24) % 4)
    with pytest.raises(TypeError, match="classes must be a non-empty tuple"):
        replace(data, classes=["0", "1", "2", "3"])
    with pytest.raises(TypeError, match="augment='yes' must be True or False"):
        replace(data, augment="yes")
    for held_out in ("train", "Test", 1, None, torch.tensor(0)):
        with pytest.raises(ValueError, match="must be 'test' or 'validation': what x_test and y_test hold"):
            replace(data, held_out=held_out)


def test_class_counts_and_crops_check_their_input():
    assert class_counts(torch.tensor([0, 2, 2]), 3) == [1, 0, 2]
    with pytest.raises(TypeError, match="labels must be integers"):
        class_counts(torch.tensor([0.0, 1.0]), 2)
    with pytest.raises(ValueError, match="class indices 0..1"):
        class_counts(torch.tensor([0, 2]), 2)
    with pytest.raises(ValueError, match=r"x must be a batch of images \(N, C, H, W\)"):
        random_crop_flip(torch.zeros(1, 8, 8))


class BlowsUp(nn.Module):
    """A linear classifier whose output becomes NaN from its ``after``-th training forward pass on."""

    def __init__(self, after: int) -> None:
        super().__init__()
        self.fc = nn.Linear(64, 4)
        self.after, self.calls = after, 0

    def forward(self, x):
        out = self.fc(x.flatten(1))
        if self.training:
            self.calls += 1
            if self.calls >= self.after:
                out = out * math.nan
        return out


def test_a_diverged_run_stops_with_the_epoch_and_the_advice():
    data = tiny_data()
    steps_per_epoch = 3  # 24 images in batches of 8
    model = BlowsUp(after=2 * steps_per_epoch + 1)  # the first step of epoch 3
    with pytest.raises(TrainingDiverged, match=r"training diverged at epoch 3 \(BlowsUp, seed 0\): loss is nan "
                                               r"\(lower lr=0.05\)") as error:
        train(model, data, epochs=5, batch_size=8, device="cpu")
    assert isinstance(error.value, ValueError)
    assert error.value.history.epochs == 2  # the epochs before the divergence are kept
    # a learning rate far too high makes a real model diverge, and train_models passes the error on
    with pytest.raises(TrainingDiverged, match="training diverged at epoch 1 .*resnet_cifar_small, seed 0.*lower lr"):
        train_models(["resnet_cifar_small"], [0], data, epochs=2, progress=False, lr=1e30, batch_size=8,
                     device="cpu")


def test_summarize_and_spread_refuse_nan_instead_of_crashing_in_statistics():
    runs = [fake_run("a", 0), fake_run("a", 1, test_acc=math.nan), fake_run("b", 0)]
    with pytest.raises(ValueError, match="run 'a' seed 1 has a final test_acc of nan: its training diverged"):
        summarize(runs)
    with pytest.raises(ValueError, match="final test_acc of nan"):
        paired_differences(runs, "a", "b")
    with pytest.raises(ValueError, match="spread needs finite numbers, got nan at position 1"):
        spread([0.5, math.nan])
    with pytest.raises(ValueError, match="spread needs finite numbers, got 'x' at position 0"):
        spread(["x"])
    with pytest.raises(ValueError, match="mean_interval needs finite numbers, got inf"):
        mean_interval([1.0, math.inf])
    with pytest.raises(ValueError, match="spread needs finite numbers, got <an integer of 1329 bits>"):
        spread([10**400])  # more than a float holds
    with pytest.raises(ValueError, match="runs is empty"):
        summarize([])
    with pytest.raises(ValueError, match="runs hold 'a' with seed 0 twice"):
        summarize([fake_run("a", 0), fake_run("a", 0)])
    empty = fake_run("a", 0)
    empty.history.test_acc.clear()
    with pytest.raises(ValueError, match="run 'a' seed 0 has no recorded epochs"):
        summarize([empty])
    with pytest.raises(TypeError, match="runs must hold Run objects"):
        summarize([{"model_name": "a"}])


# --- size-like arguments: 0, negative, NaN, float, bool, string, ... are refused with their name ----------------


def _train(model=None, **bad):
    """``train`` on tiny data; a refused argument is refused before the model is touched, so one model serves."""
    options = dict(epochs=1, max_batches=1, batch_size=8, device="cpu")
    options.update(bad)
    return train(model or MODEL, DATA, **options)


MODEL, DATA = tiny_model(), tiny_data()
OPTIONAL = {"max_batches", "train_eval_size", "num_threads"}  # None means "no limit" / "leave the threads alone"

COUNT_ARGUMENTS = {
    "train: epochs": ("epochs", lambda v: _train(epochs=v)),
    "train: batch_size": ("batch_size", lambda v: _train(batch_size=v)),
    "train: eval_batch_size": ("eval_batch_size", lambda v: _train(eval_batch_size=v)),
    "train: max_batches": ("max_batches", lambda v: _train(max_batches=v)),
    "train: train_eval_size": ("train_eval_size", lambda v: _train(train_eval_size=v)),
    "train: num_threads": ("num_threads", lambda v: _train(num_threads=v)),
    "train_models: epochs": ("epochs", lambda v: train_models(["resnet_cifar_small"], [0], tiny_data(), v,
                                                              progress=False)),
    "train_models: workers": ("workers", lambda v: train_models(["resnet_cifar_small"], [0], tiny_data(), 1,
                                                                progress=False, workers=v)),
    "loaders: batch_size": ("batch_size", lambda v: tiny_data().loaders(batch_size=v)),
    "loaders: eval_batch_size": ("eval_batch_size", lambda v: tiny_data().loaders(eval_batch_size=v)),
    "time_interleaved: rounds": ("rounds", lambda v: time_interleaved({"f": lambda: None}, rounds=v)),
    "groups_sweep: rounds": ("rounds", lambda v: groups_sweep(8, 4, (1, 2), rounds=v, device="cpu")),
    "groups_sweep: channels": ("channels", lambda v: groups_sweep(v, 4, (1,), device="cpu")),
    "groups_sweep: size": ("size", lambda v: groups_sweep(8, v, (1,), device="cpu")),
    "groups_sweep: batch_size": ("batch_size", lambda v: groups_sweep(8, 4, (1,), batch_size=v, device="cpu")),
    "groups_sweep: groups_list": ("groups_list", lambda v: groups_sweep(8, 4, (1, v), device="cpu")),
    "model_latencies: rounds": ("rounds", lambda v: model_latencies(("resnet_cifar_small",), (1,), 8, rounds=v)),
    "model_latencies: batch_sizes": ("batch_sizes", lambda v: model_latencies(("resnet_cifar_small",), (1, v), 8)),
    "model_latencies: image_size": ("image_size", lambda v: model_latencies(("resnet_cifar_small",), (1,), v)),
    "class_counts: num_classes": ("num_classes", lambda v: class_counts(torch.tensor([0]), v)),
    "stratified_split: sizes": ("sizes[1]", lambda v: stratified_split(np.arange(4) % 2, (2, v))),
    "load_cifar10_data: validation_size": ("validation_size", lambda v: load_cifar10_data(download=False,
                                                                                          validation_size=v)),
    "search_learning_rate: epochs": ("epochs", lambda v: search_learning_rate(
        ["resnet_cifar_small"], [0], tiny_data(held_out="validation"), v, [0.1])),
    "t_quantile: dof": ("dof", lambda v: t_quantile(0.975, v)),
}


@pytest.mark.parametrize("case", sorted(COUNT_ARGUMENTS))
@given(value=NOT_A_COUNT)
def test_a_count_that_is_not_a_positive_integer_is_refused_with_its_name(case, value):
    name, call = COUNT_ARGUMENTS[case]
    assume(not (value is None and name in OPTIONAL))
    refused(call, name, value)


def test_none_still_means_no_limit_where_the_signature_says_so():
    history = _train(tiny_model(), max_batches=None, train_eval_size=None, num_threads=None, epochs=1)
    assert history.epochs == 1


WARMUP_ARGUMENTS = {
    "time_interleaved": lambda v: time_interleaved({"f": lambda: None}, rounds=1, warmup=v),
    "model_latencies": lambda v: model_latencies(("resnet_cifar_small",), (1,), 8, rounds=1, warmup=v),
}


@pytest.mark.parametrize("case", sorted(WARMUP_ARGUMENTS))
@given(value=st.one_of(st.integers(max_value=-1), st.floats(allow_nan=True), st.booleans(), st.text(max_size=3)))
def test_warmup_may_be_zero_but_not_negative_or_fractional(case, value):
    refused(WARMUP_ARGUMENTS[case], "warmup", value)


def test_warmup_zero_is_allowed():
    calls = []
    time_interleaved({"f": lambda: calls.append(1)}, rounds=2, warmup=0, min_time=0)
    assert len(calls) == 2


SEED_ARGUMENTS = {
    "train": ("seed", lambda v: _train(seed=v)),
    "loaders": ("seed", lambda v: tiny_data().loaders(seed=v)),
    "load_digits_data": ("split_seed", lambda v: load_digits_data(0.25, 0.25, split_seed=v)),
    "stratified_split": ("split_seed", lambda v: stratified_split(np.arange(4) % 2, (2, 2), split_seed=v)),
    "load_cifar10_data": ("split_seed", lambda v: load_cifar10_data(download=False, split_seed=v)),
    "search_learning_rate": ("seeds[0]", lambda v: search_learning_rate(
        ["resnet_cifar_small"], [v], tiny_data(held_out="validation"), 1, [0.1])),
    "perturb_group": ("seed", lambda v: perturb_group(torch.zeros(1, 4, 2, 2), 0, 2, seed=v)),
    "train_models": ("seeds[1]", lambda v: train_models(["resnet_cifar_small"], [0, v], tiny_data(), 1,
                                                          progress=False)),
}


@pytest.mark.parametrize("case", sorted(SEED_ARGUMENTS))
@given(value=NOT_A_SEED)
def test_a_seed_must_be_an_integer_of_at_least_zero(case, value):
    name, call = SEED_ARGUMENTS[case]
    refused(call, name, value)


def test_the_seeds_of_train_models_are_a_list_of_distinct_seeds():
    data = tiny_data()
    with pytest.raises(ValueError, match=r"seeds=\[0, 0\] repeats a seed"):
        train_models(["resnet_cifar_small"], [0, 0], data, 1, progress=False)
    with pytest.raises(ValueError, match="seeds is empty"):
        train_models(["resnet_cifar_small"], [], data, 1, progress=False)
    with pytest.raises(TypeError, match=r"seeds must be a list of seeds such as \[0, 1, 2\], not int"):
        train_models(["resnet_cifar_small"], 3, data, 1, progress=False)
    with pytest.raises(TypeError, match="model_names must be a list of model names, not str"):
        train_models("resnet_cifar_small", [0], data, 1, progress=False)
    with pytest.raises(ValueError, match="names a model twice"):
        train_models(["resnet_cifar_small", "resnet_cifar_small"], [0], data, 1, progress=False)
    with pytest.raises(TypeError, match=r"data\(0\) must return an ImageData, not dict"):
        train_models(["resnet_cifar_small"], [0], lambda seed: {}, 1, progress=False)
    with pytest.raises(TypeError, match="progress='yes' must be True or False"):
        train_models(["resnet_cifar_small"], [0], data, 1, progress="yes")
    runs = train_models(["resnet_cifar_small"], range(2), data, 1, progress=False, max_batches=1, device="cpu")
    assert [r.seed for r in runs] == [0, 1]  # any iterable of seeds, such as a range


@pytest.mark.parametrize("name,value,rule", [
    ("lr", 0, r"lr=0 must be a finite number in \(0, inf\)"),
    ("lr", -0.1, "lr=-0.1 must be a finite number"),
    ("lr", math.nan, "lr=nan must be a finite number"),
    ("lr", "0.1", "lr='0.1' must be a real number, not str"),
    ("lr", True, "lr=True must be a real number, not bool"),
    ("momentum", 1.0, r"momentum=1.0 must be a finite number in \(0, 1\)"),
    ("momentum", 0, r"momentum=0 must be a finite number in \(0, 1\)"),
    ("weight_decay", -1e-4, r"weight_decay=-0.0001 must be a finite number in \[0, inf\)"),
    ("weight_decay", math.inf, "weight_decay=inf must be a finite number"),
    ("channels_last", 1, "channels_last=1 must be True or False"),
])
def test_train_checks_its_real_valued_and_flag_arguments(name, value, rule):
    with pytest.raises(BAD, match=rule):
        _train(**{name: value})


def test_train_checks_the_model_and_the_data():
    with pytest.raises(TypeError, match="data must be an ImageData, not tuple"):
        train(tiny_model(), (torch.zeros(1), torch.zeros(1)), epochs=1)
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, not str"):
        train("resnet", tiny_data(), epochs=1)


@given(value=st.one_of(st.floats(max_value=0), st.floats(min_value=1), st.just(math.nan), st.booleans(),
                       st.text(max_size=3)))
def test_confidence_and_probability_must_lie_strictly_between_0_and_1(value):
    refused(lambda v: mean_interval([1.0, 2.0], confidence=v), "confidence", value)
    refused(lambda v: t_quantile(v, 3), "probability", value)


@pytest.mark.parametrize("sizes,rule", [
    ((0,), "train_size=0 images must be between 1 and 1796"),
    ((1797,), "train_size=1797 images must be between 1 and 1796"),
    ((0.0,), "train_size=0.0 must be a fraction strictly between 0 and 1"),
    ((1.0,), "train_size=1.0 must be a fraction strictly between 0 and 1"),
    ((math.nan,), "train_size=nan must be a fraction"),
    ((True,), "train_size=True must be a fraction .* not bool"),
    (("half",), "train_size='half' must be a fraction .* not str"),
    ((0.25, 0), "validation_size=0 images must be between 1 and 1796"),
    ((0.25, -0.1), "validation_size=-0.1 must be a fraction strictly between 0 and 1"),
    ((0.25, None), "validation_size=None must be a fraction .* not NoneType"),
    ((0.6, 0.45), "train_size=0.6 and validation_size=0.45 take 1,887 of the 1,797 images, leaving none to test on"),
    ((0.5, 0.5), "the test set \\(the rest\\) gets 1 image, fewer than the 10 classes"),
    ((1000, 797), "take 1,797 of the 1,797 images, leaving none to test on"),
    ((5, 0.25), "train_size=5 gives 5 images, fewer than the 10 classes"),
    ((0.25, 9), "validation_size=9 gives 9 images, fewer than the 10 classes"),
    ((1000, 790), "the test set \\(the rest\\) gets 7 images, fewer than the 10 classes"),
])
def test_load_digits_data_checks_the_split(sizes, rule):
    with pytest.raises(BAD, match=rule):
        load_digits_data(*sizes)


def test_a_split_of_the_right_sizes_is_accepted_at_the_edges():
    splits = load_digits_data(10, 10)  # one image per class in training and validation
    assert splits.sizes == {"train": 10, "validation": 10, "test": 1777}
    assert sorted(splits.final.y_train.tolist()) == list(range(10))


def test_probe_arguments_are_checked():
    x = torch.zeros(1, 8, 2, 2)
    with pytest.raises(BAD, match="group=True must be an integer"):
        perturb_group(x, True, 4)
    with pytest.raises(ValueError, match="eps=nan must be a finite number"):
        perturb_group(x, 0, 4, eps=math.nan)
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=4)
    with pytest.raises(ValueError, match=r"source_group=4 must be in 0..3 \(conv has 4 groups\)"):
        perturbation_probe(conv, conv, torch.randn(1, 8, 4, 4), source_group=4)
    with pytest.raises(BAD, match="groups=0 must be a positive integer"):
        group_correlations(build_model("resnext_cifar_small", in_channels=1), torch.randn(2, 1, 8, 8), groups=0)
    with pytest.raises(ValueError, match="groups=3 must divide channels=8"):
        groups_sweep(8, 4, (1, 3), device="cpu")
    with pytest.raises(ValueError, match="groups_list is empty"):
        groups_sweep(8, 4, (), device="cpu")
    with pytest.raises(ValueError, match="min_time=-1 must be a finite number >= 0"):
        time_interleaved({"f": lambda: None}, min_time=-1)
    with pytest.raises(BAD, match="min_time=nan"):
        groups_sweep(8, 4, (1,), min_time=math.nan, device="cpu")
    with pytest.raises(ValueError, match="min_time=<an integer of 1329 bits> must be a finite number"):
        time_interleaved({"f": lambda: None}, min_time=10**400)
    with pytest.raises(ValueError, match="lr=<an integer of 1329 bits> must be a finite number"):
        _train(lr=10**400)
    with pytest.raises(ValueError, match="fns must be a non-empty dict"):
        time_interleaved({})
    with pytest.raises(TypeError, match=r"fns\['f'\] must be a function to time, not int"):
        time_interleaved({"f": 3})
    with pytest.raises(ValueError, match="names=.* must be a non-empty tuple of model names"):
        model_latencies("resnet50")


# --- the references: workers, batch loaders against DataLoader, t quantiles against a table and scipy ----------


def test_training_two_runs_at_a_time_gives_the_same_runs_bit_for_bit():
    def runs(workers):
        return train_models(["resnet_cifar_small", "resnext_cifar_small"], [0, 1], lambda seed: tiny_data(), 2,
                            progress=False, workers=workers, batch_size=8, device="cpu", num_threads=1)

    before = torch.get_num_threads()
    one, two = runs(1), runs(2)
    assert torch.get_num_threads() == before  # num_threads is set for the runs and restored
    assert [(r.model_name, r.seed) for r in two] == [(r.model_name, r.seed) for r in one]
    for a, b in zip(one, two):
        assert (a.history.train_loss, a.history.test_loss, a.history.test_acc) == (
            b.history.train_loss, b.history.test_loss, b.history.test_acc)
        for x, y in zip(a.model.state_dict().values(), b.model.state_dict().values()):
            assert torch.equal(x, y)
    # a run that fails stops the experiment with its own error
    with pytest.raises(TrainingDiverged, match="training diverged at epoch 1"):
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


T_TABLE_975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 9: 2.2622, 10: 2.2281, 29: 2.0452, 30: 2.0423}
T_TABLE_995 = {1: 63.6567, 2: 9.9248, 5: 4.0321, 10: 3.1693, 30: 2.7500}


def test_t_quantile_matches_the_printed_table():
    for table, p in ((T_TABLE_975, 0.975), (T_TABLE_995, 0.995)):
        for dof, expected in table.items():
            assert t_quantile(p, dof) == pytest.approx(expected, abs=6e-5), (p, dof)
    assert t_quantile(0.5, 7) == 0.0
    assert t_quantile(0.75, 1) == pytest.approx(1.0, rel=1e-15)  # the Cauchy distribution's quartile is exactly 1
    assert t_quantile(0.9, 2) == pytest.approx(0.8 / math.sqrt(2 * 0.9 * 0.1), rel=1e-14)  # closed form for dof 2


@given(p=st.floats(0.001, 0.999), dof=st.integers(1, 200))
def test_t_quantile_agrees_with_scipy_and_is_symmetric(p, dof):
    scipy_t = pytest.importorskip("scipy.stats").t
    assert t_quantile(p, dof) == pytest.approx(float(scipy_t.ppf(p, dof)), rel=1e-11, abs=1e-13)
    assert t_quantile(1 - p, dof) == pytest.approx(-t_quantile(p, dof), rel=1e-12, abs=1e-13)
