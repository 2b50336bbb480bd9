"""Print every chapter of the built book to a PDF handout: _build/html/handouts/<chapter>.pdf.

    .venv/bin/python scripts/handouts.py        (scripts/build_book.sh runs it after each build)

Headless Chromium (Debian's, through Playwright, as the browser tests use it) opens each chapter page from a local
server, waits for the math, and prints it with the page's print stylesheet (book_js/_static/rxt/print.css): no
solutions, code wrapped at the margin, each explorer as its default figure, no navigation. Each page of a handout
names the chapter and the licence in its footer. The handouts sit in the site, so the instructor guide links them.
Without Chromium it says so and writes nothing (the handout test then fails with that reason).
"""

from __future__ import annotations

import functools
import html
import os
import shutil
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "_build" / "html"
OUT = SITE / "handouts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-extensions", "--no-first-run",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"]  # nothing leaves the machine
FOOTER = ('<div style="font-size:7pt; width:100%; margin:0 12mm; color:#444; display:flex; '
          'justify-content:space-between"><span>{title}. Text CC BY-SA 4.0, code MIT.</span>'
          '<span><span class="pageNumber"></span> / <span class="totalPages"></span></span></div>')


def chromium() -> str | None:
    for candidate in (os.environ.get("RXT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def print_handouts(chapters: list[str]) -> list[Path]:
    """Print the chapter pages named (``01_standard_convolution``, ...) to ``OUT``; returns the PDFs."""
    from playwright.sync_api import sync_playwright

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(SITE)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium(), headless=True, args=ARGS)
            page = browser.new_page(viewport={"width": 1000, "height": 1400})
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base) else route.abort())
            for stem in chapters:
                page.goto(f"{base}chapters/{stem}.html", wait_until="load", timeout=60_000)
                page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
                page.emulate_media(media="print")
                title = html.escape(page.title().split("\u2014")[0].split(" | ")[0].strip())
                path = OUT / f"{stem}.pdf"
                page.pdf(path=str(path), format="A4", print_background=True, display_header_footer=True,
                         header_template="<span></span>", footer_template=FOOTER.format(title=title),
                         margin={"top": "14mm", "bottom": "16mm", "left": "12mm", "right": "12mm"})
                written.append(path)
            browser.close()
    finally:
        server.shutdown()
    return written


def main() -> int:
    if not (SITE / "index.html").is_file():
        print(f"[handouts] no built book in {SITE}: run bash scripts/build_book.sh", file=sys.stderr)
        return 1
    if chromium() is None:
        print("[handouts] Chromium is missing (Debian: apt-get install chromium): no PDF handouts written")
        return 0
    chapters = sorted(p.stem for p in (ROOT / "chapters").glob("*.md"))
    for path in print_handouts(chapters):
        print(f"[handouts] {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
