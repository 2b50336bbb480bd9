"""Recorded measurement campaigns: the evidence the book's words about speed rest on.

A record (JSON, written by ``experiments.campaign``) holds every raw time of one experiment, measured in several
fresh processes of interleaved rounds, with its provenance: processor or GPU, threads, Python, torch, OS, date,
commit, the load average before and after, the processes and rounds, and the digest of each rule that reads it.
The book's records ship inside the package (``resnext_teach/measurements/<device>/<experiment>.json``), so that a
page in Colab reads the same words as the HTML book.

* ``load_record(experiment, device="cpu")`` -> ``Record`` (``None`` where no record of that device exists);
* ``Record.timing(label)`` - every round of every process pooled: a median with its distribution-free interval;
* ``Record.ratio(first, second)`` - the geometric mean time ratio, one value per process (the mean of its paired
  rounds' log ratios), with a Student t interval over the processes: it covers what changes from one fresh
  process to the next, not only the noise between the rounds of one;
* ``Record.decide(rule)`` - a rule of ``experiments.rules`` applied to the record.
"""

from __future__ import annotations

import json
import math
import os
import textwrap
import statistics
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from ..devices import Environment
from ..stats import t_quantile
from ..timing import CONFIDENCE, Ratio, Timing
from ..validation import check_choice, check_instance, describe
from .rules import Decision, Rule, decide

__all__ = ["load_record"]

FORMAT = 1
"""The record format this module reads (``format`` in the JSON)."""


@dataclass(frozen=True)
class Record:
    """One experiment's campaign: ``runs[p][label]`` is process p's time per call in each round (seconds)."""

    experiment: str
    description: str
    settings: dict
    provenance: dict
    rules: dict
    candidates: dict
    runs: tuple[dict[str, tuple[float, ...]], ...]

    @property
    def processes(self) -> int:
        return len(self.runs)

    @property
    def labels(self) -> list[str]:
        return list(self.candidates)

    @property
    def environment(self) -> Environment:
        p = self.provenance
        return Environment(p["processor"], p["cores"], p["threads"], p["torch"], p["device"], p.get("cudnn"))

    def where(self) -> str:
        """Where and when: "one thread of an AMD EPYC 7B13, torch 2.13.0, Linux, 2026-12-06"."""
        p = self.provenance
        if p["device"] != "cpu":
            machine = f"{p['device']} (cuDNN {p.get('cudnn')})"
        else:
            threads = "one thread" if p["threads"] == 1 else f"{p['threads']} threads"
            article = "an" if p["processor"][:1].upper() in "AEIOU" else "a"
            machine = f"{threads} of {article} {p['processor']}"
        return f"{machine}, torch {p['torch']}, {p['os']}, {p['date'][:10]}"

    def _check(self, label: str) -> None:
        if label not in self.candidates:
            raise KeyError(f"{label!r} is not in the {self.experiment} record; its candidates are "
                           f"{', '.join(map(repr, self.candidates))}")

    def timing(self, label: str) -> Timing:
        """Every round of every process, pooled (seconds per call)."""
        self._check(label)
        times = tuple(t for run in self.runs for t in run[label])
        return Timing(label, times, 1, self.environment)

    def ratio(self, first: str, second: str) -> Ratio:
        """``first``'s time over ``second``'s: per process the mean log ratio of its paired rounds; the geometric
        mean over processes with a t interval over processes (at least 2)."""
        self._check(first), self._check(second)
        if first == second:
            raise ValueError(f"first and second are both {first!r}: a ratio with itself is 1")
        if self.processes < 2:
            raise ValueError(f"the {self.experiment} record has {self.processes} process: an interval over "
                             "processes needs at least 2")
        means = [statistics.fmean(math.log(a / b) for a, b in zip(run[first], run[second])) for run in self.runs]
        mean, n = statistics.fmean(means), len(means)
        half = t_quantile(0.5 + CONFIDENCE / 2, n - 1) * statistics.stdev(means) / math.sqrt(n)
        rounds = sum(len(run[first]) for run in self.runs)
        return Ratio(first, second, math.exp(mean), math.exp(mean - half), math.exp(mean + half), rounds, n)

    def combined(self, sums: dict[str, dict[str, float]]) -> Record:
        """A record of sums: ``sums[new_label] = {label: weight}`` adds the weighted times of each round (e.g. every
        layer of a kind, each weighted by how many layers share its shape), process by process, so that the sums'
        ratios keep the pairing of rounds and the interval over processes."""
        for parts in sums.values():
            for label in parts:
                self._check(label)
        runs = tuple({new: tuple(sum(weight * run[label][i] for label, weight in parts.items())
                                 for i in range(len(run[next(iter(parts))])))
                      for new, parts in sums.items()} for run in self.runs)
        return Record(self.experiment, self.description, self.settings, self.provenance, self.rules,
                      {new: {} for new in sums}, runs)

    def decide(self, rule: Rule) -> Decision:
        """``rule``'s verdict on this record (its comparison, read with ``ratio``)."""
        if rule.experiment != self.experiment:
            raise ValueError(f"{rule.name} reads the {rule.experiment} record, not {self.experiment}")
        return decide(rule, self.ratio(rule.first, rule.second))

    def load_range(self) -> tuple[float, float]:
        """The lowest and highest one-minute load average seen before and after the processes."""
        loads = [p[k][0] for p in self.provenance["process_loads"] for k in ("before", "after")]
        return min(loads), max(loads)

    def __str__(self) -> str:
        p = self.provenance
        low, high = self.load_range()
        lines = (f"record {self.experiment}: {self.description}",
                 f"measured on {self.where()}",
                 f"{self.processes} fresh processes x {p['rounds']} interleaved rounds after {p['warmup']} warm-up "
                 f"call{'s' * (p['warmup'] != 1)}; load average {low:.1f} to {high:.1f}; commit {p['commit'][:10]}")
        return "\n".join(textwrap.fill(line, 80, subsequent_indent="  ") for line in lines)


def record_from_dict(data: dict) -> Record:
    """A ``Record`` from its JSON form (``format`` must be ``FORMAT``)."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ValueError(f"not a measurement record of format {FORMAT}")
    runs = tuple({label: tuple(times) for label, times in run["times"].items()} for run in data["runs"])
    return Record(data["experiment"], data["description"], data["settings"], data["provenance"], data["rules"],
                  data["candidates"], runs)


def _folder() -> Path:
    return Path(str(resources.files("resnext_teach") / "measurements"))


def record_path(experiment: str, device: str = "cpu", folder: Path | None = None) -> Path:
    """Where the record of ``experiment`` (one of ``timed.EXPERIMENTS``) on ``device`` ("cpu" or "cuda") lives."""
    from .timed import EXPERIMENTS  # what the campaigns measure (it builds models: imported when needed)

    check_choice("experiment", experiment, EXPERIMENTS, "experiment")
    if not isinstance(device, str) or device not in ("cpu", "cuda"):
        raise ValueError(f"device must be 'cpu' or 'cuda', not {describe(device)}")
    if folder is not None:
        check_instance("folder", folder, (str, os.PathLike), "folder (a str or a Path)")
    return Path(folder or _folder()) / device / f"{experiment}.json"


def load_record(experiment: str, device: str = "cpu", folder: Path | None = None) -> Record | None:
    """The committed record of ``experiment`` measured on ``device``; ``None`` where there is none (on "cuda",
    until a campaign has run on a GPU). A missing CPU record is an error: the book's pages need it."""
    path = record_path(experiment, device, folder)
    if folder is not None and not Path(folder).is_dir():
        raise ValueError(f"folder={str(folder)!r} is not a folder")
    if not path.exists():
        if device == "cpu":
            raise FileNotFoundError(f"no CPU record of {experiment!r} at {path}: run "
                                    f"`python -m resnext_teach.experiments.campaign {experiment}`")
        return None
    return record_from_dict(json.loads(path.read_text(encoding="utf-8")))
