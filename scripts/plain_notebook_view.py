#!/usr/bin/env python3
"""Show a notebook as a plain notebook client (Colab, classic Jupyter) shows it, without running it.

    .venv/bin/python scripts/plain_notebook_view.py NOTEBOOK.ipynb [--out DIR] [--shots N]

Markdown cells are rendered as plain CommonMark + HTML (what Colab and Jupyter render; no MyST roles or
directives), code cells are shown with their source, whatever their tags (Colab ignores tags). Writes
DIR/NAME.html and, with Chromium and Playwright present, DIR/NAME-1.png ... (the first N screens, 1000 px
wide). Prints every MyST-only mark that such a client would show raw, and a count last.
Needs: markdown-it-py, nbformat (the book's .venv has both); for pictures, playwright and /usr/bin/chromium.
"""
import argparse, html, pathlib, re, sys

import nbformat
from markdown_it import MarkdownIt

MYST_ONLY = re.compile(
    r"\{[a-z][\w:-]*\}`[^`]*`"            # roles: {glue:text}`x`, {cite:p}`key`, {ref}`label`
    r"|^\(\S+\)=\s*$"                      # labels: (ch-grouped)=
    r"|^(```+|:::+)\s*\{[\w:-]+\}"         # directives: ```{exercise}, :::{note}
    r"|^:(label|class|name|tags?):",       # directive options left as text
    re.M)

def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("notebook", type=pathlib.Path)
    ap.add_argument("--out", type=pathlib.Path, default=pathlib.Path("_build/plain-view"))
    ap.add_argument("--shots", type=int, default=6)
    a = ap.parse_args()
    nb = nbformat.read(a.notebook, as_version=4)
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    parts, marks = [], []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            for m in MYST_ONLY.finditer(cell.source):
                marks.append(f"cell {i}: {m.group(0)[:70]}")
            parts.append(f'<div class="md">{md.render(cell.source)}</div>')
        elif cell.cell_type == "code":
            tags = ", ".join(cell.metadata.get("tags", []))
            note = f'<div class="tags">tags ignored here: {html.escape(tags)}</div>' if tags else ""
            parts.append(f'<div class="code">{note}<pre>{html.escape(cell.source)}</pre></div>')
    page = ("<!doctype html><meta charset=utf-8><title>plain view</title><style>"
            "body{font:15px/1.5 sans-serif;max-width:900px;margin:20px auto}"
            ".code pre{background:#f5f5f5;padding:8px;border-left:3px solid #999;overflow:auto}"
            ".tags{color:#a60;font-size:12px}code{background:#eee}table{border-collapse:collapse}"
            "td,th{border:1px solid #ccc;padding:2px 8px}</style>" + "\n".join(parts))
    a.out.mkdir(parents=True, exist_ok=True)
    target = a.out / f"{a.notebook.stem}.html"
    target.write_text(page, encoding="utf-8")
    shots = []
    try:
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu",
                                  "--disable-background-networking", "--disable-component-update"])
            pg = b.new_page(viewport={"width": 1000, "height": 1200})
            pg.goto(target.resolve().as_uri())
            height = pg.evaluate("document.body.scrollHeight")
            for k in range(min(a.shots, height // 1200 + 1)):
                pg.evaluate(f"window.scrollTo(0, {k * 1200})")
                shot = a.out / f"{a.notebook.stem}-{k + 1}.png"
                pg.screenshot(path=str(shot)); shots.append(shot.name)
            b.close()
    except Exception as exc:  # pictures are a convenience; the markup count is the check
        print(f"(no screenshots: {type(exc).__name__}: {str(exc)[:120]})", file=sys.stderr)
    for m in marks[:40]:
        print(m)
    print(f"{a.notebook.name}: {len(marks)} MyST-only marks a plain client shows raw; "
          f"page {target}; {len(shots)} screenshots")
    return 1 if marks else 0

if __name__ == "__main__":
    sys.exit(main())
