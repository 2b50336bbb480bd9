"""A quick estimate of a chapter's visible words, for editing to the word budget without building the book.

    .venv/bin/python scripts/chapter_words.py chapters/04_resnext_block.md [--execute]

Counts as `_ext/reading_time.py` does on the built page (prose; code a reader sees and its outputs; explorers and
exercises by number; solutions, folded code and removed cells not counted; a formula or a glued value is one word),
but from the notebook instead of the doctree, so it is an estimate (within a few per cent of the build's count).
Outputs come from the last build's executed copy (`_build/jupyter_execute/`), or from running the chapter with
``--execute``. The budget (issue 21): at most 4,500 words a chapter. The build's count is the one the pages quote.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import jupytext

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "_ext"))
from reading_time import BOOK_WORD_BUDGET, CHAPTER_WORD_BUDGET, Reading

_WORD = re.compile(r"\S+")
_TAG = re.compile(r"<(style|script|noscript)[^>]*>.*?</\1>|<[^>]+>", re.S)  # styles, scripts, no-JS text: not read
_HIDDEN = {"hide-input", "remove-input", "remove-cell"}
_NO_OUTPUT = {"hide-output", "remove-output", "remove-cell"}


def _prose_words(text: str) -> int:
    text = re.sub(r"\$\$.*?\$\$", " F ", text, flags=re.DOTALL)
    text = re.sub(r"\$[^$\n]+\$", " F ", text)
    text = re.sub(r"\{[a-z:-]+\}`[^`]*`", " G ", text)  # roles ({glue:text}, {ref}, {cite}...)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets
    lines = [l for l in text.splitlines() if not re.match(r"\s*(```|:::|:[a-z-]+:|\(.*\)=$)", l)]
    return len(_WORD.findall(" ".join(lines)))


def _output_words(output: dict) -> tuple[int, int]:
    """(words, explorers) of one output."""
    data = output.get("data", {})
    html = data.get("text/html", "")
    html = "".join(html) if isinstance(html, list) else html
    if 'class="rxt-static"' in html:
        return 0, 1
    if output.get("output_type") == "stream":
        text = output.get("text", "")
    elif html:
        text = _TAG.sub(" ", html)
    else:
        text = data.get("text/markdown", "") or data.get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    return len(_WORD.findall(text)), 0


def count(source: Path, executed) -> Reading:
    nb = jupytext.read(source)
    outputs = {}
    if executed is not None:
        ran = [c for c in executed.cells if c.cell_type == "code"]
        mine = [c for c in nb.cells if c.cell_type == "code"]
        if len(ran) == len(mine):
            outputs = {id(c): r.get("outputs", []) for c, r in zip(mine, ran)}
    prose = code = explorers = exercises = 0
    in_solution = False
    for cell in nb.cells:
        text = cell.source
        tags = set(cell.metadata.get("tags", []))
        if cell.cell_type == "markdown":
            exercises += text.count("```{exercise}")
            parts = re.split(r"```\{solution-(?:start|end)\}.*?```", text, flags=re.DOTALL)
            marks = re.findall(r"```\{solution-(start|end)\}", text)
            visible = []
            for i, part in enumerate(parts):
                if not in_solution:
                    visible.append(part)
                if i < len(marks):
                    in_solution = marks[i] == "start"
            prose += _prose_words("\n".join(visible))
            continue
        if in_solution or cell.cell_type != "code":
            continue
        if not tags & _HIDDEN:
            code += len(_WORD.findall(text))
        if not tags & _NO_OUTPUT:
            for out in outputs.get(id(cell), []):
                words, found = _output_words(out)
                code += words
                explorers += found
    return Reading(prose, code, explorers, exercises)


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    for arg in args:
        path = Path(arg)
        if "--execute" in sys.argv:
            import os

            from run_chapter import execute

            os.environ["RXT_BOOK_BUILD"] = "1"  # as the build: no progress bars in the outputs

            executed = execute(path)
        else:
            built = Path("_build/jupyter_execute") / path.parent.name / (path.stem + ".ipynb")
            executed = jupytext.read(built) if built.exists() else None
            if executed is None:
                print(f"{arg}: no executed copy in _build; outputs not counted (use --execute)")
        r = count(path, executed)
        flag = "" if r.words <= CHAPTER_WORD_BUDGET else f"  OVER the {CHAPTER_WORD_BUDGET:,}-word budget"
        print(f"{arg}: {r.words:,} words ({r.prose_words:,} prose, {r.code_words:,} code and outputs), "
              f"{r.explorers} explorers, {r.exercises} exercises: {r.sentence()}{flag}")
        book = Path("_build/reading-time.json")
        if book.exists():  # the book's total with this estimate in place of the last build's count of the page
            import json

            pages = {k: v["words"] for k, v in json.loads(book.read_text()).items()
                     if k.startswith("chapters/") or k == "timing"}
            pages[f"{path.parent.name}/{path.stem}"] = r.words
            total = sum(pages.values())
            print(f"  the book: about {total:,} words with this estimate (the other pages as last built); "
                  f"its budget is fewer than {BOOK_WORD_BUDGET:,}"
                  + (f": about {total - BOOK_WORD_BUDGET + 1:,} over" if total >= BOOK_WORD_BUDGET else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
