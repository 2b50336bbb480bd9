"""A real browser on the built book: Chromium (Debian's package) driven by Playwright, the site served on
127.0.0.1, and every request that would leave the machine blocked and counted.

The site is `_build/html` (made by `bash scripts/build_book.sh`; `RXT_SITE_DIR` points elsewhere). Screenshots and
a JSON report go to `_build/screenshots/` next to it.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE = Path(os.environ.get("RXT_SITE_DIR", ROOT / "_build" / "html")).resolve()
SCREENSHOTS = SITE.parent / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-default-apps",
    "--disable-extensions",
    # element.computedName / computedRole: the accessible name and role Chromium computes (tests/browser/test_barriers.py)
    "--enable-blink-features=ComputedAccessibilityInfo",
    # belt and braces: no host name resolves, so nothing could leave even if a request slipped past the router
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
MISSING_SITE = (
    f"the built book is missing: {SITE / 'index.html'} does not exist. Build it first with "
    "`bash scripts/build_book.sh` (or run the whole suite with `bash scripts/test.sh`, which builds it)."
)


def site_pages() -> list[str]:
    """The pages the browser tests visit: the front page and every chapter page, relative to the site root."""
    if not (SITE / "index.html").is_file():
        return []
    pages = ["intro.html"] if (SITE / "intro.html").is_file() else []
    return pages + sorted(p.relative_to(SITE).as_posix() for p in (SITE / "chapters").rglob("*.html"))


def chromium_path() -> str:
    for candidate in (os.environ.get("RXT_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    pytest.fail("Chromium is missing: install Debian's `chromium` package (scripts/test.sh does when run as root), "
                "or point RXT_CHROMIUM at a Chromium executable.")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "browser: runs the built book in Chromium (tests/browser)")
    config.addinivalue_line("markers", "reads(*probes): the probes of tests/browser/pages.py a test reads")


NEEDED: set[tuple[str, tuple[str, int, str]]] = set()
"""(probe, (page, width, mode)) that the selected tests read: what each page's one load runs (pages.Loads)."""


def pytest_collection_finish(session: pytest.Session) -> None:
    """What the selected tests read from loaded pages (NEEDED); the sweep that loads them starts now, in a thread of
    its own with a Chromium of its own, beside the other tests (tests/browser/pages.py)."""
    from .pages import Loads, needs

    NEEDED.update(need for item in session.items for need in needs(item))
    if NEEDED and (SITE / "index.html").is_file() and not session.config.option.collectonly:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        SWEEP.append(Loads(serve(), NEEDED))
        SWEEP[0].start()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.browser)


def pytest_sessionfinish(session: pytest.Session) -> None:
    if SWEEP:
        SWEEP[0].stop()
    with _LOCK:
        for server in _SERVER:
            server.shutdown()
            server.server_close()
        _SERVER.clear()


@dataclass
class Report:
    """What the browser tests did, printed at the end of the run and saved as browser-report.json."""

    pages: list[str] = field(default_factory=list)
    explorers: list[str] = field(default_factory=list)  # "page: explorer name"
    positions: int = 0  # explorer positions checked: every one by key events in the page, some again by keyboard
    by_keyboard: int = 0  # of those, positions reached with Playwright's key presses (each control's keys)
    slowest_update: tuple[float, str] = (0.0, "")  # ms from the key presses to the new pane, and where
    slowest_render: tuple[float, str] = (0.0, "")  # ms in the page from a key press (or event) to the new pane
    requests_local: int = 0
    loaded: set[str] = field(default_factory=set)  # pages loaded in the session (each made local requests)
    requests_outside: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0
    phases: dict[str, list[float]] = field(default_factory=dict)  # phase -> [seconds, times]
    lock: threading.Lock = field(default_factory=threading.Lock)
    sweep_ended: float = 0.0  # seconds into the session when the sweep's thread had loaded its last page

    @contextlib.contextmanager
    def timed(self, phase: str) -> Iterator[None]:
        """Add the wall time of the block to `phase` (where the browser tests spend their time, in the summary)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            with self.lock:  # the sweep's thread times its phases too
                spent = self.phases.setdefault(phase, [0.0, 0])
                spent[0] += time.perf_counter() - start
                spent[1] += 1


REPORT = Report()

# In the page: from each key press to the frame after a pane of an explorer was switched (a class or child change
# on an element holding an .rxt-pane), measured with the page's own clock, without Playwright's round trips.
MEASURE_UPDATES = """
(() => {
  const record = {start: null, worst: 0, count: 0};
  window.__rxtUpdates = record;
  document.addEventListener('keydown', () => { record.start = performance.now(); }, true);
  const switchesPane = m => {
    const node = m.target;
    return node.nodeType === 1 && (node.classList.contains('rxt-pane') || node.querySelector('.rxt-pane') !== null);
  };
  const observer = new MutationObserver(mutations => {
    if (record.start === null || !mutations.some(switchesPane)) return;
    const start = record.start;
    record.start = null;
    requestAnimationFrame(() => requestAnimationFrame(() => {
      const ms = performance.now() - start;
      record.count += 1;
      record.worst = Math.max(record.worst, ms);
    }));
  });
  const watch = () => observer.observe(document.body, {subtree: true, childList: true, attributes: true,
                                                       attributeFilter: ['class', 'style', 'hidden']});
  if (document.body) watch(); else document.addEventListener('DOMContentLoaded', watch);
})();
"""


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").is_file():
        pytest.fail(MISSING_SITE)
    return SITE


_SERVER: list[http.server.ThreadingHTTPServer] = []
_LOCK = threading.Lock()


def serve() -> str:
    """The site on a free port of 127.0.0.1 (a threaded http.server, quiet), started once; its address."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    with _LOCK:
        if not _SERVER:
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(SITE)))
            threading.Thread(target=server.serve_forever, daemon=True).start()
            _SERVER.append(server)
        return f"http://127.0.0.1:{_SERVER[0].server_address[1]}/"


@pytest.fixture(scope="session")
def base_url(site: Path) -> str:
    return serve()


@contextlib.contextmanager
def chromium(base_url: str) -> Iterator[object]:
    """A persistent Chromium context with a fresh profile, for the thread that calls this (Playwright's objects
    belong to the thread that made them); every request that leaves the site is routed, aborted and recorded in
    REPORT.requests_outside; the site's own are counted."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("Playwright is missing: `bash scripts/setup.sh` installs it from requirements.txt.")
    executable = chromium_path()
    profile = tempfile.mkdtemp(prefix="rxt-chromium-")
    try:
        with sync_playwright() as pw:
            with REPORT.timed("browser start"):
                context = pw.chromium.launch_persistent_context(
                    profile, executable_path=executable, headless=True, args=CHROMIUM_ARGS,
                    viewport={"width": 1280, "height": 900}, service_workers="block",
                )
            context.set_default_timeout(30_000)
            context.add_init_script(MEASURE_UPDATES)

            seen: set[object] = set()

            def outside(request) -> None:
                with _LOCK:
                    if request not in seen:
                        seen.add(request)
                        REPORT.requests_outside.append(request.url)

            def block(route) -> None:
                outside(route.request)
                route.abort()

            def seen_request(request) -> None:
                if request.url.startswith(base_url):
                    with _LOCK:
                        REPORT.requests_local += 1
                elif not request.url.startswith(("data:", "blob:", "about:")):
                    outside(request)  # any request the router might not see is counted as well

            # only what leaves the site is routed (and aborted): the site's own requests go straight through,
            # without a round trip to this process each
            context.route(re.compile("^(?!" + re.escape(base_url) + ")"), block)
            context.on("request", seen_request)
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="session")
def browser(base_url: str):
    """The tests' Chromium (tests/browser/pages.py's sweep has one of its own, in its thread)."""
    with chromium(base_url) as context:
        yield context


SWEEP: list = []  # the session's pages.Loads, started when the tests are collected


@pytest.fixture(scope="session")
def loads(browser, base_url: str):
    """Each page at each width loaded once, in both modes, for the tests that only read it (tests/browser/pages.py):
    the sweep started when the session's tests were collected, else one made now."""
    from .pages import Loads

    if not SWEEP:
        SWEEP.append(Loads(base_url, NEEDED))
    SWEEP[0].browser = browser  # for a probe no test declared (run on a load of its own)
    return SWEEP[0]


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture(scope="session")
def report() -> Report:
    return REPORT


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    if not REPORT.pages:
        return
    REPORT.seconds = time.perf_counter() - REPORT.started
    summary = {
        "pages": len(REPORT.pages),
        "explorers": len(REPORT.explorers),
        "positions_checked": REPORT.positions,
        "by_keyboard": REPORT.by_keyboard,
        "slowest_update_ms": round(REPORT.slowest_update[0], 1),
        "slowest_render_ms": round(REPORT.slowest_render[0], 1),
        "requests_local": REPORT.requests_local,
        "requests_outside": len(REPORT.requests_outside),
        "seconds": round(REPORT.seconds, 1),
    }
    terminalreporter.write_sep("-", "static book in Chromium")
    terminalreporter.write_line(
        f"{summary['pages']} pages, {summary['explorers']} explorers, {summary['positions_checked']} positions "
        f"checked ({summary['by_keyboard']} of them reached with the real keyboard), {summary['requests_local']} "
        f"local requests, {summary['requests_outside']} requests outside the site, {summary['seconds']} s; slowest "
        f"explorer update in the page (key press to the painted pane, {summary['slowest_render_ms']} ms, {REPORT.slowest_render[1]}); with Playwright's round trips "
        f"{summary['slowest_update_ms']} ms ({REPORT.slowest_update[1]}); screenshots in {SCREENSHOTS}"
    )
    if REPORT.sweep_ended:
        summary["sweep_ended_s"] = round(REPORT.sweep_ended, 1)
        terminalreporter.write_line(f"the sweep (tests/browser/pages.py) loaded its last page {REPORT.sweep_ended:.0f} s "
                                    "into the session, in its own thread")
    phases = sorted(REPORT.phases.items(), key=lambda kv: -kv[1][0])
    terminalreporter.write_line("where the time went (wall, the sweep's thread beside the tests): " + "; ".join(
        f"{name} {seconds:.1f} s ({count}x)" for name, (seconds, count) in phases))
    summary["phases"] = {name: {"seconds": round(seconds, 1), "times": count} for name, (seconds, count) in phases}
    if SCREENSHOTS.is_dir():
        detail = {**summary, "page_list": REPORT.pages, "explorer_list": REPORT.explorers,
                  "outside": REPORT.requests_outside}
        (SCREENSHOTS / "browser-report.json").write_text(json.dumps(detail, indent=2))
