"""The instructor guide's chapter map, the student export, and coverage of every exercise check function."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import nbformat
import pytest

import resnext_teach.book.exercises as exercises_pkg
from resnext_teach.book.syllabus import chapter_map_markdown, read_chapter, read_syllabus

import sources
from sources import read_source

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sources.CHAPTERS


def test_syllabus_reads_every_chapter_in_order():
    syllabus = read_syllabus(ROOT / "chapters")
    assert [c.number for c in syllabus] == list(range(1, len(CHAPTERS) + 1))
    for chapter in syllabus:
        assert chapter.objectives and chapter.prerequisites and chapter.time_needed
        assert len(chapter.exercises) >= 3
        text = read_source(chapter.path)
        assert all(f":label: {label}" in "".join(c.source for c in text.cells) for label in chapter.exercises)


def test_chapter_map_links_every_chapter_and_exercise():
    syllabus = read_syllabus(ROOT / "chapters")
    text = chapter_map_markdown(syllabus, ROOT)
    for chapter in syllabus:
        assert f"<{chapter.label}>`" in text
        for label in chapter.exercises:
            assert f"{{ref}}`{label}`" in text
    for role in re.findall(r"\{glue:\w+\}`([^`]+)`", text):
        assert role.startswith("chapters/") and "::" in role, role


def test_read_chapter_names_what_is_missing(tmp_path):
    path = tmp_path / "x.md"
    path.write_text("---\nkernelspec:\n  name: python3\n---\n\n(ch-x)=\n# Chapter 9: X\n\n**Time needed**: 5 minutes.\n\n"
                    "```{code-cell}\n# **Prerequisites**: in a code cell, not the prose\n```\n")
    with pytest.raises(ValueError, match=r"no '\*\*Prerequisites\*\*' paragraph"):
        read_chapter(path)


def test_student_export_copies_the_student_editions_which_keep_every_check_and_no_solution(tmp_path):
    import sys

    sys.path.insert(0, str(ROOT / "scripts"))
    from export_student import export

    written = {p.name: p for p in export(tmp_path)}
    assert sorted(written) == [f"{p.stem}_student.ipynb" for p in CHAPTERS]
    for path in CHAPTERS:
        original = read_source(path)
        student_path = written[f"{path.stem}_student.ipynb"]
        assert student_path.read_bytes() == (ROOT / "_build" / "notebooks" / "student" / student_path.name).read_bytes()
        student = nbformat.read(student_path, as_version=4)
        text = "\n".join(c.source for c in student.cells)
        assert "{solution" not in text and "Solution to" not in text
        chapter = read_chapter(path)
        assert re.findall(r"^### Exercise (\d+)\.\d+", text, re.M) == [str(chapter.number)] * len(chapter.exercises)
        # every check called in the chapter's exercise cells is still called (with the student's answer)
        checks = set(re.findall(r"(check_\w+)\(answer\b", "\n".join(c.source for c in original.cells)))
        assert checks and all(f"{name}(answer" in text for name in checks)
        # the set-up cell installs the package where it is missing, and no code cell carries outputs
        assert "find_spec" in next(c for c in student.cells if c.cell_type == "code").source
        assert all(not c.get("outputs") for c in student.cells if c.cell_type == "code")


def test_every_check_function_is_tested():
    tests_text = "\n".join(p.read_text() for p in (ROOT / "tests").glob("test_*.py"))
    checks = []
    for info in pkgutil.iter_modules(exercises_pkg.__path__):
        module = importlib.import_module(f"resnext_teach.book.exercises.{info.name}")
        checks += [name for name, obj in vars(module).items()
                   if name.startswith("check_") and inspect.isfunction(obj) and obj.__module__ == module.__name__]
    assert checks
    untested = [name for name in checks if not re.search(rf"\b{name}\(", tests_text)]
    assert not untested, f"check functions no test calls: {untested}"


def test_prerequisites_are_read_whole():
    """A line of the paragraph that starts with "(" (e.g. "(c)); ...") is not a label: the sentence goes on."""
    for chapter in read_syllabus(ROOT / "chapters"):
        assert chapter.prerequisites.endswith((".", ")")), (chapter.number, chapter.prerequisites)
        assert chapter.prerequisites.count("(") == chapter.prerequisites.count(")"), chapter.prerequisites
