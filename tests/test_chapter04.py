"""Chapter 4's notebook (the ResNeXt block): its structure, where its exercises' blocks come from, and the chapter as
the build executed it."""

from helpers import RESNEXT50_PARAMS, independent_misbuilt_count
from sources import chapter, read_source

NOTEBOOK = chapter("04_resnext_block")


def test_notebook_structure_and_exercise_blocks_match_the_checks():
    nb = read_source(NOTEBOOK)
    assert nb.cells[0].source.startswith("(ch-block)=\n# Chapter 4: The ResNeXt block")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "setup(seed=" in code[0].source and "remove-cell" in code[0].metadata["tags"]
    # Colab ignores tags: a deliberate error is caught and printed, so "Run all" never stops
    assert not any("raises-exception" in c.metadata.get("tags", []) for c in code)
    assert sum(c.source.count("BLOCK_EXPLORER.show()") for c in code) == 1  # the explorer appears once
    markdown = " ".join(" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown")
    # the exercises' blocks reach their questions from the checks (tests/test_exercise_questions.py); the shortcut
    # exercise's blocks are listed by a cell, under its question
    i = next(i for i, c in enumerate(nb.cells) if ":label: ch4-ex-shortcut" in c.source)
    assert nb.cells[i + 1].source.endswith("shortcut_choices()") and "remove-input" in nb.cells[i + 1].metadata.tags
    for key in ("xie2017resnext", "he2016resnet", "zhang2023d2l", "torchvision2016", "pytorch_conv2d_docs"):
        assert f"{{cite:p}}`{key}`" in markdown


def test_executed_chapter_raises_the_explained_errors_and_glues_reference_numbers(executed_chapter):
    """The chapter as the build executed it (glue names and stderr are checked for every chapter in
    test_notebooks): the deliberate errors are the ones the text explains; the headline numbers are the references."""
    run = executed_chapter("04_resnext_block")
    glued = run.glued
    assert run.errors == []
    printed = run.stdout
    assert "ValueError: in_channels must be divisible by groups" in printed
    assert "ValueError: groups=8 must divide in_channels=28" in printed
    assert int(glued["correct_params"]) == RESNEXT50_PARAMS
    assert int(glued["misbuilt_params"]) == independent_misbuilt_count("resnext50_32x4d")
    assert (glued["d2l_groups"], glued["d2l_inputs_seen"], glued["intended_inputs_seen"]) == ("2", "16", "2")
    assert (glued["rn_conv2"], glued["rx_conv2"], glued["conv2_factor"]) == ("36864", "4608", "8")
    assert (glued["convs_aggregated"], glued["convs_concatenated"], glued["convs_grouped"]) == ("96", "65", "3")
    assert (glued["n_projections_50"], glued["n_blocks_50"], glued["v15_conv1_factor"]) == ("4", "16", "4")
    assert "ValueError: out_channels must be divisible by groups" in printed
    assert "ValueError: groups=8 must divide out_channels=28" in printed
