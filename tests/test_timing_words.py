"""The words a chapter chooses from its timings ("slower", "no measurable difference", a verdict) must come out
the same when the chapter runs again: intervals with a dead band choose them, not single timings. Each timing
chapter is executed a second time here and its words compared with the build's."""

import re

import nbformat
import pytest

from conftest import ROOT, _execute

# Every glued word or verdict a timing chapter's prose quotes (test_every_timing_word_is_listed keeps this whole)
WORDS = {
    "04_resnext_block": ("word_a", "word_b", "word_resnet", "fastest_form"),
    "05_full_model": ("ch5_macc_word", "ch5_roof_phrase"),
    "06_testing_the_claims": ("c4_verdict_a", "c4_word_b8",
                              "c4_verdict_b", "c4_bandwidth_heading"),
}
WORDLIKE = re.compile(r"(word|verdict|phrase|fastest|heading|source)")
NOT_TIMING = {"c1_verdict", "c2_verdict", "c2_verdict_a", "c2_verdict_b", "c5_verdict"}  # training: deterministic


def _glued_names(stem: str) -> set[str]:
    nb = nbformat.read(ROOT / "chapters" / f"{stem}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    return set(re.findall(r"\{glue:text\}`([^`:]+)", text))


@pytest.mark.parametrize("stem", sorted(WORDS))
def test_every_timing_word_is_listed(stem):
    words = {name for name in _glued_names(stem) if WORDLIKE.search(name)} - NOT_TIMING
    assert words == set(WORDS[stem])


@pytest.mark.parametrize("stem", sorted(WORDS))
def test_timing_words_repeat_when_the_chapter_runs_again(stem, executed_chapter):
    first = executed_chapter(stem).glued
    second = _execute(ROOT / "chapters" / f"{stem}.ipynb").glued
    changed = {name: (first[name], second[name]) for name in WORDS[stem] if first[name] != second[name]}
    assert not changed, f"words that changed between two runs: {changed}"
