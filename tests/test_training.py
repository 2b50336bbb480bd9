"""The deterministic training loop (``resnext_teach.experiments.training``): training, the runs over models and seeds, their
summaries, and the learning-rate search on validation images, each against a reference (``evaluate`` by hand,
``train_models`` itself, a search done by hand) on tiny inputs."""

import math

import pytest
import torch
from torch import nn

from resnext_teach import build_model
from resnext_teach.experiments.data import load_digits_data
from resnext_teach.experiments.image_data import ImageData
from resnext_teach.stats import mean_interval, spread
from resnext_teach.devices import cpu_threads, pick_device
from resnext_teach.experiments.runs import METRICS, Run, paired_differences, summarize, train_models
from resnext_teach.experiments.search import Candidate, best_candidate, search_learning_rate
from resnext_teach.experiments.training import History, evaluate, progress_bar, train


@pytest.fixture(scope="module")
def digits():
    return load_digits_data(train_size=0.25, validation_size=0.25).final


def tiny_data(n_train=40, n_test=20, channels=1, size=8, classes=4, augment=False, held_out="test"):
    g = torch.Generator().manual_seed(0)
    return ImageData(
        "tiny",
        torch.randn(n_train, channels, size, size, generator=g),
        torch.arange(n_train) % classes,
        torch.randn(n_test, channels, size, size, generator=g),
        torch.arange(n_test) % classes,
        tuple(str(i) for i in range(classes)),
        augment=augment,
        held_out=held_out,
    )



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
    """The other way to pass data (not what the chapter does): a function seed -> ImageData."""
    made = []

    def data_for_seed(seed):
        made.append(seed)
        return load_digits_data(train_size=100, validation_size=100, split_seed=seed).final

    runs = train_models(["resnet_cifar_small", "resnext_cifar_small"], [3, 4], data_for_seed, epochs=1,
                        progress=False, batch_size=50, max_batches=1, device="cpu")
    assert made == [3, 4]  # each split drawn once
    by_key = {(r.model_name, r.seed): r for r in runs}
    assert by_key[("resnet_cifar_small", 3)].data is by_key[("resnext_cifar_small", 3)].data
    assert torch.equal(by_key[("resnet_cifar_small", 4)].data.y_test, load_digits_data(train_size=100, validation_size=100, split_seed=4).final.y_test)
    assert not torch.equal(by_key[("resnet_cifar_small", 3)].data.y_test, by_key[("resnet_cifar_small", 4)].data.y_test)


def test_cpu_threads_sets_and_restores():
    before = torch.get_num_threads()
    other = 2 if before == 1 else 1  # a count that differs from the current one (the suite runs on 1 thread)
    with cpu_threads(other):
        assert torch.get_num_threads() == other
    assert torch.get_num_threads() == before
    with cpu_threads(None):
        assert torch.get_num_threads() == before
    with pytest.raises(RuntimeError, match="boom"), cpu_threads(other):
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
    assert set(summary["a"]) == set(METRICS) and summary["b"]["train_loss"].mean == pytest.approx(0.1)
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


# --- the learning-rate search -----------------------------------------------------------------------------


MODELS = ["resnet_cifar_small", "resnext_cifar_small"]
SMALL = dict(epochs=1, batch_size=20, max_batches=2, device="cpu", num_threads=1)


def test_search_measures_each_candidate_as_train_models_does_on_the_validation_images():
    """The reference: train_models with each learning rate by hand, summarised over the seeds."""
    data = tiny_data(held_out="validation")
    candidates = search_learning_rate(MODELS, [0, 1], data, learning_rates=[0.01, 0.1], **SMALL)
    assert [c.lr for c in candidates] == [0.01, 0.1] and not any(c.diverged for c in candidates)
    for c in candidates:
        options = dict(SMALL)
        epochs = options.pop("epochs")
        runs = train_models(MODELS, [0, 1], data, epochs, progress=False, lr=c.lr, **options)
        for name in MODELS:
            held_out = [r.history.test_acc[-1] for r in runs if r.model_name == name]
            losses = [r.history.test_loss[-1] for r in runs if r.model_name == name]
            assert c.accuracy[name] == pytest.approx(sum(held_out) / 2, abs=1e-15)
            assert c.loss[name] == pytest.approx(sum(losses) / 2, rel=1e-12)
        assert c.mean_accuracy == pytest.approx(sum(c.accuracy.values()) / 2)
        assert c.mean_loss == pytest.approx(sum(c.loss.values()) / 2)
    # one run by hand: train, then evaluate on the validation images
    torch.manual_seed(0)  # what train_models does before it builds the run's model
    model = build_model(MODELS[0], in_channels=1, num_classes=4)
    options = dict(SMALL)
    train(model, data, options.pop("epochs"), seed=0, lr=0.1, **options)
    loss, accuracy = evaluate(model, [(data.x_test, data.y_test)])
    (alone,) = search_learning_rate(MODELS[:1], [0], data, learning_rates=[0.1], **SMALL)
    assert alone.accuracy == {MODELS[0]: accuracy} and alone.loss[MODELS[0]] == pytest.approx(loss, rel=1e-12)


def test_search_keeps_a_diverged_candidate_and_never_chooses_it():
    data = tiny_data(held_out="validation")
    candidates = search_learning_rate(MODELS[:1], [0], data, learning_rates=[1e30, 0.05], **SMALL)
    assert candidates[0].diverged and candidates[0].accuracy == {} and math.isnan(candidates[0].mean_accuracy)
    assert not candidates[1].diverged
    assert best_candidate(candidates) is candidates[1]


def test_search_refuses_the_test_images_and_a_fixed_lr():
    with pytest.raises(ValueError, match="data holds out the test images: choose a recipe on validation images"):
        search_learning_rate(MODELS, [0], tiny_data(), learning_rates=[0.1], **SMALL)
    validation = tiny_data(held_out="validation")
    with pytest.raises(ValueError, match="lr is what the search chooses"):
        search_learning_rate(MODELS, [0], validation, learning_rates=[0.1], lr=0.1, **SMALL)
    with pytest.raises(ValueError, match="learning_rates is empty"):
        search_learning_rate(MODELS, [0], validation, learning_rates=[], **SMALL)
    with pytest.raises(ValueError, match="names a learning rate twice"):
        search_learning_rate(MODELS, [0], validation, learning_rates=[0.1, 0.1], **SMALL)
    with pytest.raises(ValueError, match=r"learning_rates\[1\]=0 must be a finite number in \(0, inf\)"):
        search_learning_rate(MODELS, [0], validation, learning_rates=[0.1, 0], **SMALL)
    with pytest.raises(TypeError, match="learning_rates must be a list of learning rates"):
        search_learning_rate(MODELS, [0], validation, learning_rates=0.1, **SMALL)
    with pytest.raises(TypeError, match=r"data must be an ImageData \(DataSplits.development\), not DataSplits"):
        search_learning_rate(MODELS, [0], load_digits_data(), learning_rates=[0.1], **SMALL)


def candidate(lr, accuracy, loss, diverged=False):
    return Candidate(lr, {} if diverged else {"a": accuracy, "b": accuracy},
                     {} if diverged else {"a": loss, "b": loss}, diverged)


def test_best_candidate_takes_the_highest_mean_accuracy_then_the_lower_loss_then_the_first():
    a, b, c = candidate(0.01, 0.90, 0.3), candidate(0.1, 0.95, 0.4), candidate(1.0, 0.95, 0.2)
    assert best_candidate([a, b]) is b  # higher accuracy wins, even with a higher loss
    assert best_candidate([a, b, c]) is c  # a tie of accuracy: the lower loss
    twin = candidate(2.0, 0.95, 0.2)
    assert best_candidate([c, twin]) is c and best_candidate([twin, c]) is twin  # a full tie: the first
    mixed = Candidate(0.5, {"a": 1.0, "b": 0.8}, {"a": 0.1, "b": 0.1})  # the mean over models counts
    assert best_candidate([mixed, candidate(0.3, 0.89, 0.1)]) is mixed
    with pytest.raises(ValueError, match="every one diverged"):
        best_candidate([candidate(1.0, 0, 0, diverged=True)])
    with pytest.raises(ValueError, match="the list is empty"):
        best_candidate([])
    with pytest.raises(TypeError, match="candidates must hold Candidate objects"):
        best_candidate([0.1])
    with pytest.raises(TypeError, match="candidates must be a list of Candidate"):
        best_candidate(a)
