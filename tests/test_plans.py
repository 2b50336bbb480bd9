"""``experiments.plans``: chapter 7's plans hand the search and the experiment exactly their recipe and their
``how`` settings, and a data set without a plan is refused by name."""

import pytest

from resnext_teach.experiments import plans
from resnext_teach.experiments.plans import PLANS, Plan, plan_for


def test_plans_hold_what_chapter_6_trains():
    digits, cifar = plan_for("digits"), plan_for("cifar10")
    assert (digits.epochs, digits.learning_rates, digits.batch_size) == (8, (0.01, 0.03, 0.1, 0.3), 32)
    assert digits.recipe == dict(batch_size=32, momentum=0.9, weight_decay=5e-4)
    assert dict(digits.how) == dict(eval_batch_size=2048, channels_last=True, num_threads=1, workers=2)
    assert (cifar.epochs, cifar.learning_rates, cifar.batch_size) == (15, (0.03, 0.1, 0.3), 128)
    assert cifar.recipe == dict(batch_size=128, momentum=0.9, weight_decay=5e-4, train_eval_size=10_000)
    assert dict(cifar.how) == {} and cifar.search_progress and not digits.search_progress
    assert str(digits) == ("digits: 8 epochs, learning rates tried 0.01, 0.03, 0.1, 0.3;\n"
                           "batches of 32, momentum 0.9, weight decay 0.0005")
    assert "training accuracy on 10,000 images" in str(cifar)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_search_and_train_pass_the_recipe_and_the_how_settings_through(name, monkeypatch):
    calls = []
    monkeypatch.setattr(plans, "search_learning_rate", lambda *args, **kw: calls.append(("search", args, kw)))
    monkeypatch.setattr(plans, "train_models", lambda *args, **kw: calls.append(("train", args, kw)))
    plan = plan_for(name)
    plan.search(["a", "b"], [100], "development")
    plan.train(["a", "b"], [0, 1], "final", lr=0.1)
    (_, search_args, search_kw), (_, train_args, train_kw) = calls
    assert search_args == (["a", "b"], [100], "development", plan.epochs, plan.learning_rates)
    assert search_kw == {"progress": plan.search_progress, **plan.recipe, **plan.how}
    assert train_args == (["a", "b"], [0, 1], "final", plan.epochs)
    assert train_kw == {"lr": 0.1, **plan.recipe, **plan.how}


@pytest.mark.parametrize("bad", ["mnist", "Digits", None, 3])
def test_a_data_set_without_a_plan_is_refused(bad):
    error, words = (ValueError, "has no plan") if isinstance(bad, str) else (TypeError, "must be a data set's name")
    with pytest.raises(error, match=rf"{words}: choose one of 'digits', 'cifar10'"):
        plan_for(bad)


def test_a_plan_is_immutable():
    with pytest.raises(AttributeError):
        plan_for("digits").epochs = 3  # type: ignore[misc]
    assert isinstance(plan_for("digits"), Plan)
