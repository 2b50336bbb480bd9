"""Chapter 1's notebook (standard convolution): its skeleton, the numbers its text takes from hidden prose(...)
cells (the exercises' questions quote their layers: tests/test_exercise_questions.py)."""

import ast
import re

import pytest

from sources import chapter, read_source

NOTEBOOK = chapter("01_standard_convolution")


@pytest.fixture(scope="module")
def notebook():
    return read_source(NOTEBOOK)


def test_notebook_skeleton(notebook):
    cells = notebook["cells"]
    assert "".join(cells[0]["source"]).startswith("(ch-standard)=\n# Chapter 1: Standard convolution")
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    # (the tagged set-up cell and each exercise's check cell: tests/test_notebooks.py, for every chapter)
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for heading in ("**What you will learn**", "**Prerequisites.**", "**Time needed**:", "## Summary", "## Exercises"):
        assert heading in text
    labels = re.findall(r":label: (ch1-ex-[a-z-]+)", text)
    assert len(labels) >= 3
    for label in labels:
        assert f"{{solution-start}} {label}" in text
    assert text.count("{solution-end}") == len(labels)


def handed_to_prose(source):
    """The names a hidden cell hands to the prose, or None if the cell does anything but call prose(...)."""
    statements = [node for node in ast.parse(source).body if not isinstance(node, ast.ImportFrom)]
    calls = [node.value for node in statements if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)]
    if len(calls) != len(statements) or not all(isinstance(c.func, ast.Name) and c.func.id == "prose" for c in calls):
        return None
    return {keyword.arg for call in calls for keyword in call.keywords}


def test_every_glued_name_is_glued_and_no_computed_number_is_typed(notebook):
    cells = notebook["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = [c for c in cells if c["cell_type"] == "code"]
    visible = [c for c in code if "remove-cell" not in c["metadata"].get("tags", [])]
    hidden = [c for c in code[1:] if "remove-cell" in c["metadata"].get("tags", [])]  # code[0] is the set-up
    # teaching cells hold the idea; the values the text quotes are handed over by hidden prose(...) cells
    assert not [c for c in visible if re.search(r"\b(glue|prose)\(", "".join(c["source"]))]
    handed = [handed_to_prose("".join(c["source"])) for c in hidden]
    assert hidden and None not in handed, "a hidden cell does more than hand values to the prose"
    used = set(re.findall(r"\{glue:(?:text|md)\}`([a-z0-9_]+)", text))
    glued = set().union(*handed)
    assert used and used <= glued, used - glued
    for number in ("73,728", "73728", "73,856", "73856", "231,211,008", "8,192", "576", "462,422,016"):
        assert number not in text, number
