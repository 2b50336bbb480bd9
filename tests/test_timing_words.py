"""Every word a page says about speed comes from a committed campaign record, never from a timing taken while the
page was built: recomputed here from the records, each must equal what the built page glued, and no live timing
may reach the prose. (The wording of those sentences for every outcome is checked in test_records.py.)"""

import ast
import re

import pytest

from sources import chapter, read_source
from resnext_teach.experiments.evidence import Roofline, memory_sentence, word_sentence
from resnext_teach.experiments.records import load_record
from resnext_teach.experiments.rules import CLAIM_4A, CLAIM_4B
from resnext_teach.timing import CONFIDENCE, DEAD_BAND, VERDICTS, phrase


def _forms():
    forms = load_record("block_forms")
    return {"forms_a": word_sentence(forms.ratio("(a) aggregated", "(c) grouped")),
            "forms_b": word_sentence(forms.ratio("(b) concatenated", "(c) grouped")),
            "forms_resnet": word_sentence(forms.ratio("(c) grouped", "ResNet block"), than="the ResNet block"),
            "forms_where": forms.where(), **{f"word_{key}": phrase(key) for key in VERDICTS}}


def _roofline():
    roof = Roofline.from_record(load_record("roofline"))
    grouped_layers = [r for r in roof.layers if (r.model, r.kind) == ("ResNeXt-50 (32×4d)", "3×3 grouped")]
    macs = sum(r.count * r.intensity.macs for r in grouped_layers)
    bytes_moved = sum(r.count * r.intensity.bytes_moved for r in grouped_layers)
    seconds = sorted(sum(r.count * r.timing.times[i] for r in grouped_layers)
                     for i in range(len(grouped_layers[0].timing.times)))
    n = len(seconds)
    median = (seconds[(n - 1) // 2] + seconds[n // 2]) / 2
    per_macc = roof.per_macc_ratio(("ResNeXt-50 (32×4d)", "3×3 grouped"), ("ResNet-50", "3×3"))
    return {"ch5_macc": word_sentence(per_macc, than="one of the dense 3×3 layers"),
            "ch5_grouped_memory": memory_sentence("their summed work", macs / bytes_moved, macs / median, roof),
            "ch5_peak_source": roof.peak_source, "ch5_where": roof.record.where()}


def _claims():
    sweep, networks = (load_record(name) for name in ("groups_sweep", "networks"))
    return {"c4_verdict_a": sweep.decide(CLAIM_4A).words, "c4_verdict_b": networks.decide(CLAIM_4B).words,
            "c4_b8": word_sentence(networks.ratio("resnext50_32x4d batch 8", "resnet50 batch 8"), than="ResNet-50"),
            "c4_b1": word_sentence(networks.ratio("resnext50_32x4d batch 1", "resnet50 batch 1"), than="ResNet-50"),
            "c4_net_where": networks.where(),
            "c4_ratio_b8": networks.ratio("resnext50_32x4d batch 8", "resnet50 batch 8").value,
            "c4_ratio_b1": networks.ratio("resnext50_32x4d batch 1", "resnet50 batch 1").value,
            "c4_resnet_ms_b8": networks.timing("resnet50 batch 8").median * 1e3,
            "c4_resnext_ms_b8": networks.timing("resnext50_32x4d batch 8").median * 1e3}


def _learning():
    """Chapter 7 says no word about speed (its verdicts are training results, NOT_TIMING), but it times its runs
    live: the checks below still hold it to quoting no live value."""
    return {}


EXPECTED = {"04_resnext_block": _forms, "05_full_model": _roofline, "06_claims_about_cost": _claims,
            "07_claims_about_learning": _learning}


def _timing_page():
    """The appendix on timing (timing.md, label timing-method): the band, the confidence level and the words."""
    return {"conf_pct": 100 * CONFIDENCE, "band_low": 1 - DEAD_BAND, "band_high": 1 + DEAD_BAND,
            **{f"word_{key}": phrase(key) for key in VERDICTS}}


EXPECTED["../timing"] = _timing_page  # a top-level page: chapters/../timing.md, built as _build/jupyter_execute/timing
WORDLIKE = re.compile(r"(word|verdict|phrase|memory|macc|forms_|_b8$|_b1$|^c4_cl_|where|source|rule)")
NOT_TIMING = {"c1_verdict", "c2_verdict", "c2_verdict_a", "c2_verdict_b", "c5_verdict",  # training: deterministic
              "ch5_roof_phrase",  # counts layers right of the ridge: from the same record as ch5_peak_source
              "c4_memory_32", "c4_memory_256",  # memory_sentence, whose every case test_records checks
              "c4_rule_a_history", "c4_rule_b_history"}  # the rules' history, quoted


def _glued_names(stem: str) -> set[str]:
    nb = read_source(chapter(stem))
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return set(re.findall(r"\{glue:text\}`([^`:]+)", text))


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_every_word_about_speed_is_recomputed_here(stem):
    words = {name for name in _glued_names(stem) if WORDLIKE.search(name)} - NOT_TIMING
    assert words <= set(EXPECTED[stem]()), f"words with no recomputation from the records: {words - set(EXPECTED[stem]())}"


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_the_page_says_what_the_records_say(stem, executed_chapter):
    glued = executed_chapter(stem).glued
    for name, value in EXPECTED[stem]().items():
        assert ast.literal_eval(glued[name]) == value, name


LIVE = {"time_modules", "time_interleaved", "time_once", "measure_peaks", "measure_bandwidth",
        "groups_sweep", "model_latencies", "time_layers", "perf_counter"}


def _assigned_from_live_calls(tree: ast.AST) -> set[str]:
    """Names bound by an assignment whose value calls a live timing function (or uses a name so bound)."""
    live: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Assign, ast.AugAssign)):  # loop variables are rebound everywhere: not followed
                continue
            value = node.value
            calls = {getattr(n.func, "attr", getattr(n.func, "id", None)) for n in ast.walk(value)
                     if isinstance(n, ast.Call)}
            names = {n.id for n in ast.walk(value) if isinstance(n, ast.Name)}
            if calls & LIVE or names & live:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound = {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
                if not bound <= live:
                    live |= bound
                    changed = True
    return live


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_no_live_timing_reaches_the_prose(stem):
    """A live cell shows "this machine, now"; the text quotes only records (and deterministic results)."""
    nb = read_source(chapter(stem))
    code = [c for c in nb.cells if c.cell_type == "code"]
    visible = ast.parse("\n".join(c.source for c in code if "remove-cell" not in c.metadata.get("tags", [])))
    live = _assigned_from_live_calls(visible)
    for cell in code[1:]:
        if "remove-cell" in cell.metadata.get("tags", []):
            used = {n.id for n in ast.walk(ast.parse(cell.source)) if isinstance(n, ast.Name)}
            assert not used & live, f"the prose quotes live timings: {sorted(used & live)}"


def test_the_live_timing_check_catches_a_live_value():
    tree = ast.parse("t = time_modules(m, x)\nr = t.ratio('a', 'b')\nrecord = load_record('x')")
    assert _assigned_from_live_calls(tree) == {"t", "r"}
