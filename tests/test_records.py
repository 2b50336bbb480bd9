"""The campaign records and what the pages read from them: the interval over processes, the rules' verdicts for
every outcome, the sentences built from the same data, the committed records (complete, with provenance, judged by
the rules as they are now), and the campaign command's worker and arguments. No test here times anything."""

import json
import math
import statistics

import pytest

from resnext_teach.experiments import campaign, timed
from resnext_teach.experiments.evidence import Roofline, memory_sentence, word_sentence
from resnext_teach.experiments.records import FORMAT, Record, load_record, record_from_dict, record_path
from resnext_teach.experiments.rules import CLAIM_4A, CLAIM_4B, RULES, decide
from resnext_teach.stats import t_quantile
from resnext_teach.timing import Ratio, phrase, verdict

PROVENANCE = dict(processor="Test CPU", cores=2, threads=1, torch="2.x", device="cpu", cudnn=None, python="3.11",
                  os="Linux", date="2026-12-06T00:00:00+00:00", commit="0" * 40, uncommitted_changes=False,
                  processes=3, rounds=2, warmup=2, min_time=0.02,
                  process_loads=[dict(before=[1.0, 1, 1], after=[2.0, 1, 1])] * 3)


def synthetic(experiment: str, runs: list[dict[str, list[float]]], candidates: dict | None = None) -> Record:
    """A record as the campaign writes it, from raw times (one dict per process)."""
    labels = list(runs[0])
    return record_from_dict(dict(
        format=FORMAT, experiment=experiment, description="synthetic", settings={},
        provenance=dict(PROVENANCE, processes=len(runs), rounds=len(runs[0][labels[0]])), rules={},
        candidates=candidates or {label: {} for label in labels},
        runs=[dict(times=run, calls={label: 1 for label in labels}) for run in runs]))


def test_a_ratio_is_the_geometric_mean_over_processes_with_a_t_interval_over_processes():
    runs = [{"a": [2.0, 2.2], "b": [1.0, 1.0]}, {"a": [3.0, 3.3], "b": [2.0, 2.0]}, {"a": [1.2, 1.2], "b": [1.0, 1.1]}]
    ratio = synthetic("x", runs).ratio("a", "b")
    per_process = [statistics.fmean(math.log(a / b) for a, b in zip(r["a"], r["b"])) for r in runs]
    half = t_quantile(0.975, 2) * statistics.stdev(per_process) / math.sqrt(3)
    assert ratio.value == pytest.approx(math.exp(statistics.fmean(per_process)))
    assert (ratio.low, ratio.high) == pytest.approx((math.exp(statistics.fmean(per_process) - half),
                                                     math.exp(statistics.fmean(per_process) + half)))
    assert (ratio.processes, ratio.rounds) == (3, 6) and "over 3 processes of 2 rounds" in str(ratio)


def test_processes_that_disagree_widen_the_interval_even_when_each_is_precise():
    """The audit's case: each run's rounds agree, the runs do not. The interval over processes says so."""
    steady = [{"a": [1.1] * 5, "b": [1.0] * 5}] * 3
    moving = [{"a": [v] * 5, "b": [1.0] * 5} for v in (1.01, 1.10, 1.19)]
    assert verdict(synthetic("x", steady).ratio("a", "b")) == "slower"  # the processes agree: a zero-width interval
    assert verdict(synthetic("x", moving).ratio("a", "b")) == "undecided"


def test_a_record_pools_rounds_for_a_median_and_sums_kinds_round_by_round():
    record = synthetic("x", [{"a": [1.0, 3.0], "b": [2.0, 2.0]}, {"a": [2.0, 5.0], "b": [1.0, 1.0]}])
    assert record.timing("a").times == (1.0, 3.0, 2.0, 5.0) and record.timing("a").median == 2.5
    both = record.combined({"a+2b": {"a": 1, "b": 2}})
    assert both.runs == ({"a+2b": (5.0, 7.0)}, {"a+2b": (4.0, 7.0)})
    with pytest.raises(KeyError, match="'c' is not in the x record"):
        record.ratio("a", "c")
    with pytest.raises(ValueError, match="needs at least 2"):
        synthetic("x", [{"a": [1.0], "b": [1.0]}]).ratio("a", "b")


def _ratio(low: float, high: float) -> Ratio:
    return Ratio("a", "b", math.sqrt(low * high), low, high, 30, 6)


@pytest.mark.parametrize("low, high, outcome", [(26.0, 30.0, "above"), (10.0, 20.0, "below"), (20.0, 30.0, "across")])
def test_claim_4a_gives_its_stated_verdict_for_every_outcome(low, high, outcome):
    decision = decide(CLAIM_4A, _ratio(low, high))
    assert decision.outcome == outcome and decision.words == CLAIM_4A.outcomes[outcome]
    assert f"{100 * CLAIM_4A.params['kept']:g} % of {CLAIM_4A.params['groups']}" in CLAIM_4A.text and decision.words in CLAIM_4A.text


@pytest.mark.parametrize("low, high, outcome", [(1.2, 1.4, "slower"), (0.97, 1.03, "within"), (0.7, 0.9, "faster"),
                                                 (1.02, 1.2, "undecided"), (0.9, 1.1, "undecided")])
def test_claim_4b_gives_its_stated_verdict_for_every_outcome(low, high, outcome):
    decision = decide(CLAIM_4B, _ratio(low, high))
    assert decision.outcome == outcome == verdict(decision.ratio)
    assert decision.words == CLAIM_4B.outcomes[outcome] and decision.words in CLAIM_4B.text
    assert phrase(outcome) in word_sentence(decision.ratio)


def test_every_outcome_of_every_rule_has_words_and_the_digest_covers_what_decides():
    assert set(CLAIM_4B.outcomes) == {"slower", "faster", "within", "undecided"}
    assert set(CLAIM_4A.outcomes) == {"above", "below", "across"}
    changed = type(CLAIM_4B)(**{**CLAIM_4B.__dict__, "text": CLAIM_4B.text + " "})
    assert changed.digest != CLAIM_4B.digest
    history_only = type(CLAIM_4B)(**{**CLAIM_4B.__dict__, "history": "rewritten"})
    assert history_only.digest == CLAIM_4B.digest


ROOF_CANDIDATES = {
    "peak: matmul": dict(kind="matmul", macs=1000, bytes=100, source="a matrix product"),
    "peak: conv": dict(kind="3×3", macs=2000, bytes=100, source="a big convolution"),
    "bandwidth: copy": dict(kind="copy", bytes=1000),
    "M: dense": dict(model="M", layer="dense", kind="3×3", count=2, input_shape=[1, 8, 4, 4], macs=1000, bytes=10),
    "M: thin": dict(model="M", layer="thin", kind="3×3 grouped", count=1, input_shape=[1, 8, 4, 4], macs=100,
                    bytes=100),
}


def test_the_roofline_peak_is_a_ceiling_of_every_rate_in_the_record():
    times = {"peak: matmul": 1.0, "peak: conv": 1.0, "bandwidth: copy": 1.0, "M: dense": 0.25, "M: thin": 1.0}
    record = synthetic("roofline", [{k: [v, v] for k, v in times.items()}] * 3, ROOF_CANDIDATES)
    roof = Roofline.from_record(record)
    assert roof.peak == 4000 and roof.peak_source == "M's dense"  # a layer beat both peak candidates
    assert all(layer.rate <= roof.peak for layer in roof.layers)
    assert roof.bandwidth == 1000 and roof.ridge == 4
    per_macc = roof.per_macc_ratio(("M", "3×3 grouped"), ("M", "3×3"))  # 1 s / 100 against 0.5 s / 2000
    assert per_macc.value == pytest.approx((1.0 / 100) / (0.5 / 2000))


@pytest.mark.parametrize("intensity, rate, expected", [
    (10.0, 1000.0, "right of the ridge point, where memory bandwidth cannot be what limits it; it reached 50%"),
    (1.0, 900.0, "left of the ridge point and reached 90% of its memory roof: memory bandwidth can explain"),
    (1.0, 340.0, "left of the ridge point, yet reached only 34% of its memory roof: memory bandwidth is not"),
])
def test_the_memory_sentence_reads_true_for_every_case(intensity, rate, expected):
    record = synthetic("roofline", [{k: [1.0, 1.0] for k in ROOF_CANDIDATES}] * 2, ROOF_CANDIDATES)
    roof = Roofline.from_record(record)  # peak 2000 (conv), bandwidth 1000, ridge 2
    assert expected in memory_sentence("the layer", intensity, rate, roof)


# --- the committed records ----------------------------------------------------------------------------------------

LABELS = {
    "block_forms": {"(a) aggregated", "(b) concatenated", "(c) grouped", "ResNet block"},
    "groups_sweep": {f"G={g}" for g in timed.SWEEP_GROUPS},
    "memory_formats": {f"{f} G={g}" for f in ("NCHW", "NHWC") for g in (1, 32)},
    "networks": {f"{n} batch {b}" for n in timed.NETWORKS for b in timed.NETWORK_BATCHES},
}


@pytest.mark.parametrize("experiment", list(timed.EXPERIMENTS))
def test_every_experiment_has_a_complete_cpu_record_with_its_provenance(experiment):
    record = load_record(experiment)
    p = record.provenance
    assert record.processes == p["processes"] >= 3 and len(p["process_loads"]) == record.processes
    for key in ("processor", "threads", "python", "torch", "os", "date", "commit", "rounds", "warmup"):
        assert p[key] not in (None, ""), key
    assert not p["uncommitted_changes"], "a record must be measured on committed code"
    for run in record.runs:
        assert set(run) == set(record.candidates)
        assert all(len(times) == p["rounds"] and min(times) > 0 for times in run.values())
    if experiment in LABELS:
        assert set(record.candidates) == LABELS[experiment]
    assert " ".join(str(record).split()).count(record.where()) == 1  # the page names where and when


@pytest.mark.parametrize("rule", list(RULES.values()), ids=list(RULES))
def test_each_rule_is_the_one_its_record_was_judged_by(rule):
    """A rule changed after its record exists needs a new campaign: the record keeps the digest it ran with."""
    record = load_record(rule.experiment)
    assert record.rules[rule.name]["digest"] == rule.digest, (
        f"{rule.name} changed after its record was measured: run "
        f"`python -m resnext_teach.experiments.campaign {rule.experiment}` and commit the new record")
    assert record.decide(rule).words in rule.outcomes.values()


def test_no_cuda_record_is_not_an_error_but_a_missing_cpu_record_is(tmp_path):
    assert load_record("networks", "cuda", tmp_path) is None
    with pytest.raises(FileNotFoundError, match="python -m resnext_teach.experiments.campaign networks"):
        load_record("networks", "cpu", tmp_path)
    with pytest.raises(ValueError, match="device must be 'cpu' or 'cuda'"):
        record_path("networks", "tpu")
    with pytest.raises(ValueError, match="not a measurement record"):
        record_from_dict({"format": 0})


# --- the campaign command -----------------------------------------------------------------------------------------

def test_a_worker_times_every_candidate_in_rounds_and_reports_raw_times(monkeypatch, capsys):
    def tiny(device):
        return {"a": lambda: sum(range(50)), "b": lambda: sum(range(100))}, {"a": {"n": 50}, "b": {"n": 100}}, {}

    monkeypatch.setitem(timed.EXPERIMENTS, "tiny", (tiny, dict(min_time=0.0, warmup=1)))
    assert campaign.main(["--worker", "tiny", "--rounds", "3"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])  # what the parent process reads
    assert set(result["times"]) == {"a", "b"} and all(len(t) == 3 for t in result["times"].values())
    assert result["candidates"]["b"] == {"n": 100} and result["environment"]["threads"] == 1
    json.dumps(result)  # plain JSON


@pytest.mark.parametrize("argv, message", [
    (["--processes", "1"], "at least 2"),
    (["--rounds", "0"], "between 1 and"),
    (["--rounds", "ten"], "'ten' is not a whole number"),
    (["nonsense"], "unknown experiment 'nonsense'"),
    (["--device", "tpu"], "invalid choice: 'tpu'"),
])
def test_the_campaign_command_refuses_bad_arguments_by_name(argv, message, capsys):
    with pytest.raises(SystemExit) as exit_:
        campaign.main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
