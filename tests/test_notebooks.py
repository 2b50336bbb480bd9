"""Every chapter follows the book's skeleton, is stored stripped, and installs from the configured repository."""

import ast
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
        match = re.search(r"\{exercise\}[^\n]*\n:label: (\S+)", cell.source) if cell.cell_type == "markdown" else None
        if match is None:
            continue
        label = match.group(1)
        j = i + 1
        while "remove-input" in cells[j].metadata.get("tags", []):  # what the question shows: its options
            j += 1
        check, solution = cells[j], cells[j + 1]
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


# What a reader sees of the code: every code cell not tagged remove-cell or remove-input (a hide-input cell's code
# unfolds on the page). It reads as chapters 1 and 2 do (STYLE.md, points 10 and 11): lines a reader never scrolls
# sideways, required imports as plain imports, and none of the build's plumbing.
PAGES = [*CHAPTERS, sources.GUIDE]
LINE_LIMIT = 88  # characters: black's default, and what a notebook shows without scrolling
PLUMBING_CALLS = {"glue", "prose"}  # hand values to the prose: hidden prose(...) cells only
# Settings that exist so that a build runs fast or reads stably, never what is computed: a settings dict for the
# build, a repeat count for stable timings, a helper that makes a glued range read stably
PLUMBING_NAMES = {"HOW", "RUNS", "span"}
# Keyword arguments that change how fast or how visibly a result is computed, not the result: they belong in the
# package (experiments.plans), and a visible cell calls it in one line
PLUMBING_KEYWORDS = {"eval_batch_size", "workers", "num_threads", "channels_last", "progress"}
IMPORT_ERRORS = {"ImportError", "ModuleNotFoundError"}


def _visible_code(path) -> list:
    """The code cells a reader sees, each with a name for messages: its index and its first line."""
    cells = read_source(path).cells
    return [(f"cell {i} ({c.source.strip().partition(chr(10))[0][:50]!r})", c) for i, c in enumerate(cells)
            if c.cell_type == "code" and not {"remove-cell", "remove-input"} & set(c.metadata.get("tags", []))]


def _plumbing(tree) -> list[str]:
    """What in a cell's syntax tree is build plumbing (PLUMBING_CALLS, _NAMES, _KEYWORDS)."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called in PLUMBING_CALLS:
                found.append(f"{called}(...)")
            found += [f"{k.arg}=" for k in node.keywords if k.arg in PLUMBING_KEYWORDS]
        elif isinstance(node, ast.Name) and node.id in PLUMBING_NAMES:
            found.append(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in PLUMBING_NAMES:
            found.append(f"def {node.name}")
    return found


def _guarded_imports(tree) -> list[str]:
    """Imports inside a try, or handlers that catch a failed import: a required import is a plain import."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Try):
            continue
        found += [ast.unparse(n) for part in node.body for n in ast.walk(part)
                  if isinstance(n, (ast.Import, ast.ImportFrom))]
        for handler in node.handlers:
            caught = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
            found += [f"except {n.id}" for n in caught if isinstance(n, ast.Name) and n.id in IMPORT_ERRORS]
    return found


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_visible_code_lines_fit_the_page(path):
    long = [f"{name}: {len(line)} characters: {line.strip()[:50]!r}"
            for name, c in _visible_code(path) for line in c.source.split("\n") if len(line) > LINE_LIMIT]
    assert not long, f"{len(long)} visible code lines over {LINE_LIMIT} characters:\n" + "\n".join(long)


@pytest.mark.parametrize("path", PAGES, ids=[p.stem for p in PAGES])
def test_visible_cells_hold_no_build_plumbing_and_no_guarded_import(path):
    plumbing, guarded = [], []
    for name, cell in _visible_code(path):
        tree = ast.parse(cell.source)
        plumbing += [f"{name}: {what}" for what in _plumbing(tree)]
        guarded += [f"{name}: {what}" for what in _guarded_imports(tree)]
    assert not plumbing, "build plumbing in cells a reader sees:\n" + "\n".join(plumbing)
    assert not guarded, "imports wrapped in try/except (import required packages plainly):\n" + "\n".join(guarded)


def test_the_visible_code_checks_catch_what_they_forbid():
    """Each check finds its fault in a small example (and passes its corrected form)."""
    bad = ast.parse("try:\n    import torchinfo\nexcept ImportError:\n    pass\n"
                    "HOW = dict(workers=2)\nrun(data, progress=True, **HOW)\nprose(x=1)\n"
                    "def span(low, high):\n    return low, high\n")
    assert sorted(_plumbing(bad)) == sorted(["HOW", "HOW", "progress=", "prose(...)", "def span", "workers="])
    assert _guarded_imports(bad) == ["import torchinfo", "except ImportError"]
    good = ast.parse("import torchinfo\nplan = plan_for('digits')\nruns = plan.train(models, seeds, data)\n"
                     "try:\n    f(x)\nexcept ValueError as error:\n    print(error)\n")
    assert _plumbing(good) == [] and _guarded_imports(good) == []
