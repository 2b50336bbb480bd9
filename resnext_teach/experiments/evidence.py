"""What chapters 4-6 read from the campaign records (``experiments.records``): the roofline, and the sentences whose
wording depends on a recorded outcome.

* ``Roofline.from_record(record)`` - the machine's peak (the highest multiply-add rate any problem of the record
  reached: the two peak candidates and every layer, all timed in the same rounds, so no layer lies above it), the
  bandwidth of a large copy, the ridge point, every distinct layer as a ``roofline.LayerRate``, sums by kind
  (``roofline.by_kind``), and a per-multiply-add time ratio of two kinds with its interval over processes;
* ``memory_sentence(intensity, rate, roofline)`` - what the roofline says about one layer, worded for every case;
* ``word_sentence(ratio, ...)`` - a time ratio with its interval and its word from ``timing.phrase``.

Every sentence is built from the same data as its word, so it reads true whatever the record holds
(``tests/test_records.py`` checks them on synthetic records for every outcome).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..intensity import Intensity
from ..roofline import KindRate, LayerRate, attainable, by_kind
from ..timing import CONFIDENCE, Ratio
from ..validation import check_instance, check_int, check_real
from .records import Record

__all__ = ["Roofline", "memory_sentence", "word_sentence"]

CLOSE_TO_ROOF = 0.8
"""A layer at 80 % or more of its roof is "close to" it; below, the roof does not explain its speed."""


@dataclass(frozen=True)
class Roofline:
    """The roofline of one ``roofline`` record."""

    record: Record
    peak: float  # multiply-adds per second
    peak_source: str  # the problem that reached it: "a 1024 x 1024 matrix product", "ResNet-50's layer3.0.conv2"
    candidates: dict[str, float]  # the two peak candidates' rates
    bandwidth: float  # bytes per second
    layers: tuple[LayerRate, ...]

    @classmethod
    def from_record(cls, record: Record) -> Roofline:
        """The roofline of ``load_record("roofline")``."""
        check_instance("record", record, Record, "Record (from load_record)")
        if record.experiment != "roofline":
            raise ValueError(f"a Roofline reads the roofline record, not {record.experiment}")
        rates = {label: c["macs"] / record.timing(label).median for label, c in record.candidates.items()
                 if "macs" in c}
        copy = record.candidates["bandwidth: copy"]
        layers = tuple(
            LayerRate(c["model"], c["layer"], c["kind"], c["count"], tuple(c["input_shape"]),
                      Intensity(c["macs"], c["bytes"]), record.timing(label))
            for label, c in record.candidates.items() if "model" in c)
        best = max(rates, key=rates.get)
        c = record.candidates[best]
        source = c["source"] if "source" in c else f"{c['model']}'s {c['layer']}"
        return cls(record, rates[best], source, {k: rates[k] for k in ("peak: matmul", "peak: conv")},
                   copy["bytes"] / record.timing("bandwidth: copy").median, layers)

    @property
    def ridge(self) -> float:
        """Multiply-adds per byte where the two limits meet."""
        return self.peak / self.bandwidth

    def roof(self, macs_per_byte: float) -> float:
        """The highest rate the roofline allows at this intensity."""
        return attainable(macs_per_byte, self.peak, self.bandwidth)

    def kinds(self) -> dict[tuple[str, str], KindRate]:
        """``{(model, kind): KindRate}``: every layer of a kind summed, round by round."""
        return {(k.model, k.kind): k for k in by_kind(list(self.layers))}

    def per_macc_ratio(self, first: tuple[str, str], second: tuple[str, str]) -> Ratio:
        """How many times as long a multiply-add of kind ``first`` (model, kind) took as one of ``second``, with
        the interval over the campaign's processes."""
        kinds = self.kinds()
        sums = {f"{m}: {k}": {f"{r.model}: {r.name}": r.count for r in self.layers if (r.model, r.kind) == (m, k)}
                for m, k in (first, second)}
        ratio = self.record.combined(sums).ratio(*sums)
        scale = kinds[second].macs / kinds[first].macs  # time per multiply-add: divide each side by its work
        return Ratio(ratio.first, ratio.second, ratio.value * scale, ratio.low * scale, ratio.high * scale,
                     ratio.rounds, ratio.processes)


def memory_sentence(name: str, macs_per_byte: float, rate: float, roofline: Roofline) -> str:
    """What the roofline says about one layer, true for every case: right of the ridge (memory cannot be what
    limits it), or left of it, close to or well below its memory roof."""
    check_instance("name", name, str, "str")
    check_instance("roofline", roofline, Roofline, "Roofline (Roofline.from_record)")
    macs_per_byte = check_real("macs_per_byte", macs_per_byte, 0.0, low_open=True)
    share = check_real("rate", rate, 0.0) / roofline.roof(macs_per_byte)
    if macs_per_byte >= roofline.ridge:
        return (f"{name} lies right of the ridge point, where memory bandwidth cannot be what limits it; it reached "
                f"{share:.0%} of its roof")
    if share >= CLOSE_TO_ROOF:
        return (f"{name} lies left of the ridge point and reached {share:.0%} of its memory roof: memory bandwidth "
                "can explain its speed")
    return (f"{name} lies left of the ridge point, yet reached only {share:.0%} of its memory roof: memory "
            "bandwidth is not what held it back")


def word_sentence(ratio: Ratio, than: str = "", digits: int = 2) -> str:
    """"1.23 times as long as <than> (95 % interval 1.10 to 1.37: slower by more than 5 %)": the ratio, its
    interval and the word the interval earns, so that no sentence around it has to assume an outcome."""
    check_instance("ratio", ratio, Ratio, "Ratio (from Timings.ratio or a record)")
    check_instance("than", than, str, "str")
    digits = check_int("digits", digits, 0, 6)
    than = f" as {than}" if than else ""
    return (f"{ratio.value:.{digits}f} times as long{than} ({CONFIDENCE:.0%} interval {ratio.low:.{digits}f} to "
            f"{ratio.high:.{digits}f}: {ratio.word()})")
