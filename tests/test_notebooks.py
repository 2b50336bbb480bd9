"""Every chapter follows the book's skeleton, is stored stripped, and installs from the configured repository."""

import re
from pathlib import Path

import pytest
import yaml
import sources
from sources import read_source

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sources.CHAPTERS
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text())


def markdown(nb) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")


def test_there_are_chapters_and_all_are_in_the_toc():
    assert CHAPTERS, "no chapters"
    entries = TOC.get("chapters", []) + [c for part in TOC.get("parts", []) for c in part["chapters"]]
    listed = {entry["file"] for entry in entries}
    for path in CHAPTERS:
        assert f"chapters/{path.stem}" in listed, f"{path.name} is not in _toc.yml"


def test_pages_are_stored_as_text():
    """Chapters and the guide are MyST Markdown notebooks (jupytext, as QuantEcon's lectures): no .ipynb to strip."""
    assert not list((ROOT / "chapters").glob("*.ipynb")) and not (ROOT / "instructors.ipynb").exists()
    for path in [*CHAPTERS, sources.GUIDE]:
        meta = read_source(path).metadata
        assert meta["jupytext"]["text_representation"]["format_name"] == "myst", path.name
        assert meta["kernelspec"]["name"] == "python3", path.name


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_skeleton(path):
    nb = read_source(path)
    text = markdown(nb)
    assert re.match(r"\(ch-[a-z-]+\)=\s*\n# Chapter \d+: ", nb.cells[0].source), "label and '# Chapter N: Title' first"
    for heading in ("What you will learn", "Prerequisites", "Time needed", "Summary"):
        assert heading in text, f"missing '{heading}'"
    exercises = re.findall(r"\{exercise\}`*\s*\n:label: (\S+)", text)
    assert len(exercises) >= 3, "at least three exercises"
    for label in exercises:
        assert re.search(r"\{solution(-start)?\} " + re.escape(label) + r"\s*\n(:label: \S+\s*\n)?:class: dropdown", text), (
            f"exercise {label} needs a solution in a dropdown"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_first_code_cell_is_the_tagged_set_up(path):
    """The source's set-up seeds and imports; the editions replace it by the install cell (tests/test_editions.py),
    so the repository is named only in _config.yml."""
    nb = read_source(path)
    first = next(c for c in nb.cells if c.cell_type == "code")
    assert "remove-cell" in first.metadata.get("tags", [])
    assert "setup(seed=" in first.source
    assert CONFIG["repository"]["url"] not in first.source


# Numbers typed into prose: thousands separators, decimals, percentages, or 4+ digits (years and the like excepted).
TYPED_NUMBER = re.compile(r"(?<![\w.-])(\d{1,3}(,\d{3})+|\d+\.\d+|\d+(\.\d+)?\s?%|\d{4,})(?![\w])")
ALLOWED = re.compile(r"^(19|20)\d\d$")  # years (publications)
REFERENCE = re.compile(r"(Sec\.|Section|Sections|§|Table|Fig\.|Figure|Eq\.|version|torch|ipywidgets|Python)\s*$")


def prose_without_code_math_roles(source: str) -> str:
    source = re.sub(r"```.*?```", " ", source, flags=re.DOTALL)  # fenced blocks and directives
    source = re.sub(r"\$\$.*?\$\$|\$[^$\n]+\$", " ", source, flags=re.DOTALL)  # math
    source = re.sub(r"\{[a-z:]+\}`[^`]*`", " ", source)  # roles: glue, cite, ref
    source = re.sub(r"`[^`]*`", " ", source)  # inline code
    source = re.sub(r"\]\([^)]*\)", "]", source)  # link targets
    return source


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_no_hand_typed_results_in_prose(path):
    nb = read_source(path)
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        prose = prose_without_code_math_roles(cell.source)
        for match in TYPED_NUMBER.finditer(prose):
            if not ALLOWED.match(match.group(0)) and not REFERENCE.search(prose[: match.start()]):
                found.append(match.group(0))
    assert not found, f"numbers typed into the prose (glue them from a cell): {found}"


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_each_exercise_is_followed_by_its_check_cell_and_then_its_solution(path):
    cells = read_source(path).cells
    for i, cell in enumerate(cells):
        match = re.search(r"\{exercise\}`*\s*\n:label: (\S+)", cell.source) if cell.cell_type == "markdown" else None
        if match is None:
            continue
        label = match.group(1)
        check, solution = cells[i + 1], cells[i + 2]
        assert check.cell_type == "code" and "answer = None" in check.source and "check_" in check.source, (
            f"{label}: the cell after the exercise must be the student's check cell"
        )
        assert solution.cell_type == "markdown" and re.search(r"\{solution(-start)?\} " + re.escape(label), solution.source), (
            f"{label}: the check cell must be followed by the exercise's solution"
        )


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_executed_chapter_glued_every_name_its_prose_uses_and_wrote_no_stderr(path, executed_chapter):
    run = executed_chapter(path.stem)
    assert not run.stderr, run.stderr
    used = set(re.findall(r"\{glue:text\}`([^`:]+)", markdown(read_source(path))))
    assert used and used <= set(run.glued), f"used in the prose but never glued: {used - set(run.glued)}"


def _sections(nb) -> list[list]:
    """The notebook's cells grouped by `##` section (the part before the first `##` is one section too)."""
    sections: list[list] = [[]]
    for cell in nb.cells:
        if cell.cell_type == "markdown" and re.search(r"^## ", cell.source, re.M):
            sections.append([])
        sections[-1].append(cell)
    return sections


@pytest.mark.parametrize("path", CHAPTERS, ids=[p.stem for p in CHAPTERS])
def test_teaching_cells_hold_no_book_plumbing(path):
    """No cell a reader sees glues; values reach the prose through at most one hidden prose(...) cell per
    section, which does nothing else (the notebook editions leave it out)."""
    import sys

    sys.path.insert(0, str(ROOT / "_ext"))
    from editions import only_hands_values_to_prose

    nb = read_source(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    visible = [c for c in code if "remove-cell" not in c.metadata.get("tags", [])]
    plumbing = [c.source.split("\n")[0] for c in visible if re.search(r"\b(glue|prose)\(", c.source)]
    assert not plumbing, f"visible cells that glue: {plumbing}"
    hidden = [c for c in code if "remove-cell" in c.metadata.get("tags", [])][1:]  # the first is the set-up
    doing_more = [c.source[:80] for c in hidden if not only_hands_values_to_prose(c.source)]
    assert not doing_more, f"hidden cells that do more than hand values to the prose: {doing_more}"
    for section in _sections(nb):
        prose_cells = [c for c in section if c.cell_type == "code" and c in hidden]
        assert len(prose_cells) <= 1, f"{len(prose_cells)} hidden prose cells in one section: {section[0].source[:60]}"
