"""The decision rules of the book's measured claims, in one place, and the verdicts they give on a record.

A rule says, before a campaign runs, which comparison of which experiment decides a claim, the thresholds, and
the words each outcome gets. ``Rule.digest`` hashes all of that; a campaign stores the digest of every rule that
reads its record (``experiments.campaign``), and ``tests/test_records.py`` fails when a rule's digest differs from
its record's: a rule changed after a record exists needs a new campaign.

Comparisons of time use one vocabulary (``timing.verdict``/``timing.phrase``): slower or faster by more than
5 % when the interval lies wholly outside the +/-5 % band, within 5 % when it lies wholly inside, and not decided
by this measurement when it crosses an edge of the band.

``Rule.history`` says what the project's commit history shows about when the rule was fixed: the pages quote it,
so that no page claims a rule was fixed before a measurement unless the commit order shows it.
"""

from __future__ import annotations

import hashlib
import json
import textwrap
from dataclasses import dataclass, field

from ..timing import CONFIDENCE, DEAD_BAND, Ratio, verdict

__all__ = ["CLAIM_4A", "CLAIM_4B"]


@dataclass(frozen=True)
class Rule:
    """A claim's decision rule: the comparison (``first`` over ``second`` in ``experiment``'s record), the
    parameters, the verdict for every outcome, the rule's text as the page states it, and its history."""

    name: str
    experiment: str
    first: str
    second: str
    text: str
    outcomes: dict[str, str]
    params: dict[str, float] = field(default_factory=dict)
    history: str = ""

    @property
    def digest(self) -> str:
        """SHA-256 of everything that decides (not of ``history``): the comparison, text, parameters, outcomes,
        the band and the confidence level."""
        decides = dict(name=self.name, experiment=self.experiment, first=self.first, second=self.second,
                       text=self.text, outcomes=self.outcomes, params=self.params, band=DEAD_BAND,
                       confidence=CONFIDENCE)
        return hashlib.sha256(json.dumps(decides, sort_keys=True).encode()).hexdigest()

    def __str__(self) -> str:
        """The rule and its history, as the page prints them (lines of at most 80 characters; "95 %" unbroken)."""
        parts = (f"The rule for {self.name}: {self.text}", f"When it was fixed: {self.history}")
        return "\n".join(textwrap.fill(part.replace(" %", "\u00a0%"), 80) for part in parts)


@dataclass(frozen=True)
class Decision:
    """What a rule gave on one record: the outcome's key, the verdict's words and the ratio it read."""

    rule: Rule
    outcome: str
    words: str
    ratio: Ratio


def _band_outcome(rule: Rule, ratio: Ratio) -> str:
    return verdict(ratio)


def _threshold_outcome(rule: Rule, ratio: Ratio) -> str:
    """For a speed-up (dense time over grouped time): above, below or across ``kept`` x ``groups``."""
    line = rule.params["kept"] * rule.params["groups"]
    if ratio.low >= line:
        return "above"
    if ratio.high < line:
        return "below"
    return "across"


CLAIM_4A = Rule(
    name="claim 4a", experiment="groups_sweep", first="G=1", second="G=32",
    text=("'About G times faster' is supported if the 95 % interval of the speed-up at 32 groups (the dense "
          "layer's time over the 32-group layer's) lies wholly at or above 80 % of 32, not supported if it lies "
          "wholly below, and not decided by this measurement if it crosses that line."),
    params={"groups": 32, "kept": 0.8},
    outcomes={"above": "supported", "below": "not supported", "across": "not decided by this measurement"},
    history=("This rule was last changed after single-build timings had been seen: an earlier version had a "
             "'partly supported' band, dropped in commit b7f80dc. It was then committed unchanged before the "
             "campaign whose record decides it."),
)

CLAIM_4B = Rule(
    name="claim 4b", experiment="networks", first="resnext50_32x4d batch 8", second="resnet50 batch 8",
    text=("'ResNeXt-50 runs as fast as ResNet-50' is judged on the forward time ratio ResNeXt-50 / ResNet-50 at "
          "batch 8 on one CPU thread: not supported if its 95 % interval lies wholly above 1.05 (slower by more "
          "than 5 %), supported if it lies wholly inside 0.95 to 1.05 (within 5 %) or wholly below 0.95 (faster), "
          "and not decided by this measurement if it crosses 0.95 or 1.05."),
    outcomes={"slower": "not supported", "within": "supported", "faster": "supported",
              "undecided": "not decided by this measurement"},
    history=("This rule was changed after single-build timings had been seen: commit 2c231c5 moved it from "
             "batch 1 to batch 8 after batch 1's word had flipped between builds, and this version reads 'within "
             "5 %' where the earlier one read 'no measurable difference'. It was committed before the campaign "
             "whose record decides it."),
)

RULES = {rule.name: rule for rule in (CLAIM_4A, CLAIM_4B)}
"""Every rule a page quotes, by name."""

_OUTCOME = {"claim 4a": _threshold_outcome, "claim 4b": _band_outcome}


def decide(rule: Rule, ratio: Ratio) -> Decision:
    """The rule's verdict on ``ratio`` (read from the rule's record: ``records.decide_from``)."""
    if not isinstance(rule, Rule) or rule.name not in _OUTCOME:
        raise ValueError(f"rule must be one of {', '.join(RULES)} (experiments.rules.RULES), not {rule!r}")
    if not isinstance(ratio, Ratio):
        raise TypeError(f"ratio must be a timing.Ratio, not {type(ratio).__name__}")
    outcome = _OUTCOME[rule.name](rule, ratio)
    return Decision(rule, outcome, rule.outcomes[outcome], ratio)

