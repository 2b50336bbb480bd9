"""Chapter 2's notebook (grouped convolution): its structure, and the chapter as the build executed it."""

import ast
import re

from sources import chapter, read_source

NOTEBOOK = chapter("02_grouped_convolution")


def test_notebook_structure():
    nb = read_source(NOTEBOOK)
    assert nb.cells[0].source.startswith("(ch-grouped)=\n# Chapter 2: Grouped convolution")
    code = [c for c in nb.cells if c.cell_type == "code"]
    # Colab ignores tags: the deliberate errors are caught and printed, so "Run all" never stops
    assert not any("raises-exception" in c.metadata.get("tags", []) for c in code)
    # the teaching version and the package's module are both compared with nn.Conv2d by an executed assertion (the
    # build fails if it does not hold; the deliberate errors are checked by their printed messages, below)
    compared, shows = set(), 0
    for cell in code:
        tree = ast.parse(cell.source)
        calls = [ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)]
        shows += calls.count("GROUPED_EXPLORER.show")
        if "torch.testing.assert_close" in calls:
            compared |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    assert {"GroupedConv2d", "grouped_conv2d", "nn"} <= compared, compared
    assert shows == 1  # the explorer appears once
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for key in ("xie2017resnext", "krizhevsky2012alexnet", "chollet2017xception", "howard2017mobilenets",
                "zhang2018shufflenet"):
        assert f"{{cite:p}}`{key}`" in markdown
    assert len(re.findall(r"\{exercise\}", markdown)) >= 3


def test_executed_chapter_raises_the_explained_errors_and_glues_reference_numbers(executed_chapter):
    """The chapter as the build executed it (glue names and stderr are checked for every chapter in
    test_notebooks): the deliberate errors are the ones the text explains; the headline numbers are the references."""
    run = executed_chapter("02_grouped_convolution")
    glued = run.glued
    assert run.errors == []
    assert "ValueError: groups=3 must divide in_channels=64" in run.stdout
    assert "ValueError: in_channels must be divisible by groups" in run.stdout
    assert (glued["params_g1"], glued["params_g32"], glued["weights_per_group"]) == ("73728", "2304", "72")
    assert (glued["in_per_group"], glued["out_per_group"]) == ("2", "4")
