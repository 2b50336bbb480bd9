"""Chapter 3's notebook (cardinality): its structure and the numbers its text takes from hidden prose(...) cells."""

import ast
import re
from resnext_teach.book.exercises.cardinality import GROUPED_WIDTH_EXERCISE
from sources import chapter, read_source

NOTEBOOK = chapter("03_cardinality")


def test_notebook_structure():
    nb = read_source(NOTEBOOK)
    cells = nb["cells"]
    assert "".join(cells[0]["source"]).startswith("(ch-cardinality)=\n# Chapter 3: Cardinality")
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in cells if c["cell_type"] == "code"]
    calls = [ast.unparse(n.func) for c in code for n in ast.walk(ast.parse("".join(c["source"])))
             if isinstance(n, ast.Call)]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    # the values the text quotes are handed over by hidden cells of prose(...) calls only; no cell a reader sees
    # calls glue( or prose(
    hidden = [c for c in code[1:] if "remove-cell" in c["metadata"].get("tags", [])]
    visible = [c for c in code if "remove-cell" not in c["metadata"].get("tags", [])]
    assert not any(re.search(r"\b(glue|prose)\(", "".join(c["source"])) for c in visible)
    glued = set()
    for cell in hidden:
        for statement in ast.parse("".join(cell["source"])).body:
            if isinstance(statement, ast.ImportFrom):
                continue
            call = statement.value
            assert isinstance(statement, ast.Expr) and isinstance(call, ast.Call) and call.func.id == "prose"
            glued |= {keyword.arg for keyword in call.keywords}
    used = {m.split(":")[0] for m in re.findall(r"\{glue:(?:text|md)\}`([^`]+)`", text)}
    assert used and used <= glued, used - glued
    assert len(re.findall(r"```\{exercise\}", text)) >= 3
    assert "{cite:p}`xie2017resnext`" in text and "## Summary" in text
    assert calls.count("CARDINALITY_EXPLORER.show") == 1  # shown once, and only through show()
    assert not [c for c in calls if c.endswith((".static", ".widget"))]


def test_sections_each_fact_lives_in():
    """Issue 21's map: chapter 3 holds the bottleneck, Fig. 4, the reinvested saving, the width rule and Table 3,
    each under its label, in reading order; whole-model counts live in chapter 5."""
    nb = read_source(NOTEBOOK)
    text = "\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "markdown")
    code = "\n".join(c["source"] for c in nb["cells"] if c["cell_type"] == "code")
    labels = ["ch3-bottleneck", "ch3-fig4", "ch3-reinvest", "ch3-width-rule", "ch3-table3"]
    positions = [text.find(f"({label})=\n") for label in labels]
    assert all(p >= 0 for p in positions) and positions == sorted(positions), dict(zip(labels, positions))
    assert "bottleneck_figure(" in code and "stage_widths(" in code
    assert "int(planes * (base_width / 64.0)) * groups" in text  # torchvision's line, quoted once
    assert "{ref}`the meta device <ch1-meta>`" in text and "<ch1-macs>`" in text
    assert 'build_model("resnet50")' not in code and "count_parameters(model)" not in code  # no whole models


def test_width_exercise_is_not_answered_by_the_width_table():
    """Exercise "stage3" asks a grouped width the chapter's per-stage table (ResNet-50, 32x4d, 32x8d) does not show."""
    from resnext_teach import grouped_width, stage_widths

    cells = read_source(NOTEBOOK)["cells"]
    i = next(i for i, c in enumerate(cells) if ":label: ch3-ex-stage3" in c["source"])
    call = next(n for n in ast.walk(ast.parse(cells[i + 1]["source"])) if isinstance(n, ast.Call)
                and ast.unparse(n.func) == "checks.check_grouped_width")
    kwargs = {**GROUPED_WIDTH_EXERCISE, **{k.arg: ast.literal_eval(k.value) for k in call.keywords}}
    answer = grouped_width(kwargs["planes"], kwargs["bottleneck_width"], kwargs["cardinality"])
    shown = {v for c, d in ((1, 64), (32, 4), (32, 8)) for row in stage_widths(c, d) for v in row.values()}
    assert answer not in shown
    assert "templates = {\"ResNet-50\": (1, 64), \"32x4d\": (32, 4), \"32x8d\": (32, 8)}" in "".join(
        c["source"] for c in cells if c["cell_type"] == "code")
