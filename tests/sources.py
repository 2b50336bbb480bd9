"""The book's page sources as the tests read them: chapters and the instructor guide are MyST Markdown notebooks
(jupytext ``format_name: myst``), read here as notebooks (``from sources import CHAPTERS, read_source``)."""

from __future__ import annotations

from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "chapters").glob("*.md"))  # the chapter sources, in chapter order
GUIDE = ROOT / "instructors.md"


def read_source(path: str | Path) -> nbformat.NotebookNode:
    """A page's source notebook: its cells as the build executes them (no outputs)."""
    return jupytext.read(Path(path), fmt="md:myst")


def chapter(stem: str) -> Path:
    """``chapter("02_grouped_convolution")``: that chapter's source file."""
    return ROOT / "chapters" / f"{stem}.md"
