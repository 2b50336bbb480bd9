"""Chapter 3's notebook (cardinality): its structure and the numbers its text takes from hidden prose(...) cells."""

import ast
import re
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
            call = statement.value
            assert isinstance(statement, ast.Expr) and isinstance(call, ast.Call) and call.func.id == "prose"
            glued |= {keyword.arg for keyword in call.keywords}
    used = {m.split(":")[0] for m in re.findall(r"\{glue:text\}`([^`]+)`", text)}
    assert used and used <= glued, used - glued
    assert len(re.findall(r"```\{exercise\}", text)) >= 3
    assert "{cite:p}`xie2017resnext`" in text and "## Summary" in text
    assert calls.count("CARDINALITY_EXPLORER.show") == 1  # shown once, and only through show()
    assert not [c for c in calls if c.endswith((".static", ".widget"))]
