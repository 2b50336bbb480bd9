"""Chapter 7's training plans: per data set, what is trained (the epochs, the learning rates the search tries, the
recipe) and how it is computed (``how``: evaluation batches, threads, runs side by side), so that a chapter cell
names its data set and calls ``plan.search(...)`` and ``plan.train(...)`` in one line each.

``how`` changes how long the runs take, not what is computed: every run has its own model, optimizer and random
generators, so two at a time (``workers=2``) give, bit for bit, what one at a time would; a fixed thread count
(``num_threads=1``) rounds every sum the same way on any machine; channels-last activations are the same function
in another memory order; the evaluation batch size only splits the sum over the images differently.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ..validation import MAX_COUNT, MAX_SIZE, check_bool, check_choice, check_instance, check_list, \
    check_positive_int, check_real, describe
from .image_data import ImageData
from .runs import Run, train_models
from .search import Candidate, search_learning_rate

__all__ = ["Plan", "PLANS", "plan_for"]

_HOW = ("workers", "eval_batch_size", "device", "channels_last", "num_threads")
"""The options of ``train_models`` (and ``train``) a plan's ``how`` may set: they change the time, not the results."""


@dataclass(frozen=True)
class Plan:
    """What a data set's search and experiment train: ``epochs`` epochs of SGD (``momentum``, ``weight_decay``,
    batches of ``batch_size``) from each of ``learning_rates``; ``train_eval_size``: the training accuracy is
    measured on a fixed subset of that many training images (``None``: on all of them). ``how``: keyword arguments
    of ``train_models`` that change the time, not the results; ``search_progress``: a progress bar in the search."""

    dataset: str
    epochs: int
    learning_rates: tuple[float, ...]
    batch_size: int
    momentum: float = 0.9
    weight_decay: float = 5e-4
    train_eval_size: int | None = None
    how: Mapping[str, object] = field(default_factory=dict, repr=False)
    search_progress: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        check_instance("dataset", self.dataset, str, "str (the data set's name)")
        check_positive_int("epochs", self.epochs, MAX_COUNT)
        rates = check_list("learning_rates", self.learning_rates, "learning rates")
        if not rates:
            raise ValueError("learning_rates is empty: give at least one learning rate to try")
        rates = tuple(check_real(f"learning_rates[{i}]", lr, 0.0, low_open=True) for i, lr in enumerate(rates))
        object.__setattr__(self, "learning_rates", rates)  # a tuple, whatever sequence was given
        check_positive_int("batch_size", self.batch_size, MAX_SIZE)
        check_real("momentum", self.momentum, 0.0, 1.0)
        check_real("weight_decay", self.weight_decay, 0.0)
        if self.train_eval_size is not None:
            check_positive_int("train_eval_size", self.train_eval_size)
        check_instance("how", self.how, Mapping, "dict of train_models options")
        for key in self.how:
            check_choice("how's key", key, _HOW, "option that changes only the time")
        check_bool("search_progress", self.search_progress)

    @property
    def recipe(self) -> dict[str, object]:
        """The training options fixed for every candidate and both models (all but the learning rate)."""
        recipe = dict(batch_size=self.batch_size, momentum=self.momentum, weight_decay=self.weight_decay)
        if self.train_eval_size is not None:
            recipe["train_eval_size"] = self.train_eval_size
        return recipe

    def __str__(self) -> str:
        rates = ", ".join(f"{lr:g}" for lr in self.learning_rates)
        subset = "" if self.train_eval_size is None else f", training accuracy on {self.train_eval_size:,} images"
        return (f"{self.dataset}: {self.epochs} epochs, learning rates tried {rates};\n"
                f"batches of {self.batch_size}, momentum {self.momentum:g}, "
                f"weight decay {self.weight_decay:g}{subset}")

    def search(self, model_names: Sequence[str], seeds: Sequence[int], data: ImageData) -> list[Candidate]:
        """``search_learning_rate`` with this plan: every model with every learning rate, trained on ``data``'s
        training images and measured on its validation images (``DataSplits.development``)."""
        return search_learning_rate(model_names, seeds, data, self.epochs, self.learning_rates,
                                    progress=self.search_progress, **self.recipe, **self.how)

    def train(self, model_names: Sequence[str], seeds: Sequence[int], data: ImageData, lr: float) -> list[Run]:
        """``train_models`` with this plan and the learning rate ``lr``: every model once per seed."""
        return train_models(model_names, seeds, data, self.epochs, lr=lr, **self.recipe, **self.how)


PLANS = {
    # 1,797 8x8 digits on a CPU: two runs at a time, each on one thread
    "digits": Plan("digits", epochs=8, learning_rates=(0.01, 0.03, 0.1, 0.3), batch_size=32,
                   how=dict(eval_batch_size=2048, channels_last=True, num_threads=1, workers=2)),
    # CIFAR-10 on a GPU (Colab): augmentation on the device, training accuracy on 10,000 training images
    "cifar10": Plan("cifar10", epochs=15, learning_rates=(0.03, 0.1, 0.3), batch_size=128,
                    train_eval_size=10_000, search_progress=True),
}


def plan_for(dataset: str) -> Plan:
    """The plan of ``dataset`` (``"digits"`` or ``"cifar10"``)."""
    if not isinstance(dataset, str):
        raise TypeError(f"dataset={describe(dataset)} must be a data set's name: choose one of "
                        f"{', '.join(map(repr, PLANS))}")
    if dataset not in PLANS:
        raise ValueError(f"dataset={describe(dataset)} has no plan: choose one of {', '.join(map(repr, PLANS))}")
    return PLANS[dataset]
