"""The learning-rate search: every candidate rate trained on the development split and measured on its
validation images (``search_learning_rate``), and the rule that picks one (``best_candidate``), so that a recipe is
chosen without the test images.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ..validation import check_instance, check_list, check_real, describe
from .image_data import ImageData
from .runs import summarize, train_models
from .training import TrainingDiverged

__all__ = ["search_learning_rate", "best_candidate"]


@dataclass(frozen=True)
class Candidate:
    """One learning rate of ``search_learning_rate``: per model, the final validation accuracy and loss, each the
    mean over the search's seeds. ``diverged``: some run's loss became NaN or infinite (its numbers are then
    empty, and ``best_candidate`` never picks it)."""

    lr: float
    accuracy: dict[str, float]
    loss: dict[str, float]
    diverged: bool = False

    @property
    def mean_accuracy(self) -> float:
        """The validation accuracy averaged over the models (NaN for a diverged candidate)."""
        return statistics.fmean(self.accuracy.values()) if self.accuracy else math.nan

    @property
    def mean_loss(self) -> float:
        """The validation loss averaged over the models (NaN for a diverged candidate)."""
        return statistics.fmean(self.loss.values()) if self.loss else math.nan


def search_learning_rate(
    model_names: Sequence[str],
    seeds: Sequence[int],
    data: ImageData,
    epochs: int,
    learning_rates: Sequence[float],
    progress: bool = False,
    **train_options: object,
) -> list[Candidate]:
    """Train every model with every learning rate (``train_models``, with the same other ``train_options`` for all
    models and rates) on the training images of ``data`` and measure each on its validation images; return one
    ``Candidate`` per learning rate, in the order given.

    ``data`` must hold out validation images (``DataSplits.development``): a recipe chosen on the test images
    would make the test accuracy an optimistic estimate. A learning rate whose training diverges is kept as a
    ``diverged`` candidate instead of stopping the search. ``progress``: one progress bar per learning rate.
    """
    check_instance("data", data, ImageData, "ImageData (DataSplits.development)")
    if data.held_out != "validation":
        raise ValueError(f"data holds out the {data.held_out} images: choose a recipe on validation images, "
                         f"e.g. DataSplits.development, never on the test images")
    learning_rates = check_list("learning_rates", learning_rates, "learning rates such as [0.01, 0.1]")
    rates = [check_real(f"learning_rates[{i}]", lr, 0.0, low_open=True) for i, lr in enumerate(learning_rates)]
    if not rates:
        raise ValueError("learning_rates is empty: the search needs at least one candidate")
    if len(set(rates)) < len(rates):
        raise ValueError(f"learning_rates={describe(list(learning_rates))} names a learning rate twice")
    if "lr" in train_options:
        raise ValueError("lr is what the search chooses: give the candidates in learning_rates, not lr")
    candidates = []
    for lr in rates:
        try:
            runs = train_models(model_names, seeds, data, epochs, progress=progress, lr=lr, **train_options)
        except TrainingDiverged:
            candidates.append(Candidate(lr, {}, {}, diverged=True))
            continue
        summary = summarize(runs)
        candidates.append(Candidate(lr, {name: s["test_acc"].mean for name, s in summary.items()},
                                    {name: s["test_loss"].mean for name, s in summary.items()}))
    return candidates


def best_candidate(candidates: Sequence[Candidate]) -> Candidate:
    """The candidate with the highest validation accuracy averaged over the models; a tie goes to the lower mean
    validation loss, and then to the earlier candidate. Diverged candidates are never chosen."""
    candidates = check_list("candidates", candidates, "Candidate (from search_learning_rate)")
    if not all(isinstance(c, Candidate) for c in candidates):
        raise TypeError("candidates must hold Candidate objects (from search_learning_rate)")
    usable = [c for c in candidates if not c.diverged]
    if not usable:
        reason = "every one diverged (try lower learning rates)" if candidates else "the list is empty"
        raise ValueError(f"candidates hold none to choose: {reason}")
    return min(usable, key=lambda c: (-c.mean_accuracy, c.mean_loss))  # min keeps the first of equal keys
