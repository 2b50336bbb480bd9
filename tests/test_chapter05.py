"""Chapter 5's notebook (the full model): its skeleton, the sections other pages link to (issue 21: the
whole-model counts, the roofline and the torchinfo summary live here only), and the facts it links to instead of
explaining them again."""

import re
from pathlib import Path

from sources import chapter, read_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = chapter("05_full_model")


def _markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_notebook_skeleton():
    nb = read_source(NOTEBOOK)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("(ch-model)=\n# Chapter 5: The full model")
    for heading in ("What you will learn", "Prerequisites", "Time needed", "## Summary", "## Exercises"):
        assert any(heading in c.source for c in nb.cells if c.cell_type == "markdown"), heading
    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert setup.metadata["tags"] == ["remove-cell"] and "setup(seed=" in setup.source
    assert sum("```{exercise}" in c.source for c in nb.cells if c.cell_type == "markdown") >= 3
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    assert sum(s.count("MODEL_EXPLORER.show()") for s in code) == 1  # the explorer stays


def test_the_sections_other_pages_link_to_carry_their_content():
    text = _markdown(read_source(NOTEBOOK))
    sections = {"ch5-table1": "## Table 1, read off the modules",
                "ch5-torchinfo": "## A `torchinfo` summary",
                "ch5-roofline": "## Why FLOPs are not time"}
    for label, heading in sections.items():
        assert text.count(f"({label})=") == 1, label
        assert re.search(rf"\({label}\)=\n{re.escape(heading)}", text), f"{label} is not on {heading!r}"


def test_the_whole_model_counts_torchinfo_and_roofline_are_computed_in_their_sections():
    nb = read_source(NOTEBOOK)
    section, code = None, {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            found = re.findall(r"^\((ch5-[a-z0-9]+)\)=", cell.source, flags=re.MULTILINE)
            headings = re.findall(r"^## ", cell.source, flags=re.MULTILINE)
            if found:
                section = found[-1]
            elif headings:
                section = None
        elif section is not None:
            code.setdefault(section, []).append(cell.source)
    table1, torchinfo, roofline = ("\n".join(code[s]) for s in ("ch5-table1", "ch5-torchinfo", "ch5-roofline"))
    assert "stage_table(resnet50_meta)" in table1 and "count_parameters(resnext50)" in table1
    assert "measure_flops(resnext50" in table1
    assert "summary(" in torchinfo and "depth=1" in torchinfo  # a depth-limited summary: a row per stage
    assert 'load_record("roofline")' in roofline and "roofline_figure(" in roofline


def test_facts_that_live_elsewhere_are_linked_not_explained_again():
    text = _markdown(read_source(NOTEBOOK))
    assert text.count("<ch1-macs>`") == 1  # the FLOP convention: one link
    for label in ("ch1-meta", "ch3-reinvest", "ch3-width-rule", "ch3-table3", "timing-method"):
        assert f"<{label}>`" in text, label
    prose = re.sub(r"```\{solution-start\}.*?```\{solution-end\}\n```", "", text, flags=re.DOTALL)
    assert prose.lower().count("shapes only") <= 1
    assert "ch4-timing" not in text  # the timing method is the appendix's
