"""Chapter 5's notebook (the full model): its skeleton."""

from pathlib import Path

from sources import chapter, read_source

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = chapter("05_full_model")


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
