"""Opening a page of the built book as the tests read it, and reading it once for every test that only looks.

A page is opened at a width, in the theme's light or dark mode, with its explorers live and its math typeset
(`open_in_mode`). Most checks only read such a page (axe, contrast, focus, layout): each is a *probe*, registered
with `probe(...)` by its test module, and a test reads a probe's result with `Loads.read(probe, page, width, mode)`.
The first read of a (page, width, mode) opens it once and runs, in their `order`, every probe the selected tests
read there (`needs`, from the tests' `reads` markers and parameters, when the session starts); the page is closed and
the results kept, so a page is loaded once per width and mode however many tests read it. A probe that fails fails only the tests
that read it. Checks that change the page (key presses on explorers, planted barriers) open pages of their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import REPORT, SITE

WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
WIDTHS = [1280, 390]
MODES = ["light", "dark"]


def all_pages() -> list[str]:
    """Every HTML page of the built book (the front page, the chapters, the back matter, the index and search
    pages), relative to the site root; not the sources or the static files."""
    if not (SITE / "index.html").is_file():
        return []
    skip = ("_static/", "_sources/", "_images/", "_downloads/")
    pages = sorted(p.relative_to(SITE).as_posix() for p in SITE.rglob("*.html"))
    # index.html only redirects to intro.html
    return [p for p in pages if not p.startswith(skip) and p != "index.html"]


def declared_widgets(page: str) -> int:
    """The explorers a page prints: each one's default pane names the widget the page makes live beside it."""
    return (SITE / page).read_text(encoding="utf-8").count('class="rxt-static" data-rxt-model=')


def wait_for_widgets(page, page_path: str) -> None:
    """Every widget view the page declares must be rendered by the HTML manager (no kernel)."""
    declared = declared_widgets(page_path)
    js = f"""() => Array.from(document.querySelectorAll('{WIDGET_VIEW}')).filter(s => {{
        const area = s.previousElementSibling;
        return area && area.classList.contains('widget-subarea') && area.childElementCount > 0; }}).length"""
    try:
        page.wait_for_function(f"() => ({js})() >= {declared}", timeout=30_000)
    except Exception:
        rendered = page.evaluate(js)
        pytest.fail(f"{page_path} declares {declared} widgets but only {rendered} came alive in the browser")


def wait_for_math(page, page_path: str) -> None:
    """MathJax (served from the site) has typeset every formula, without errors."""
    page.evaluate("async () => { if (window.MathJax && MathJax.startup) await MathJax.startup.promise; }")
    bad = page.evaluate("""() => Array.from(document.querySelectorAll('.bd-article .math'))
        .filter(m => !m.querySelector('mjx-container') || m.querySelector('mjx-merror'))
        .map(m => m.textContent.slice(0, 80))""")
    assert not bad, f"{page_path}: formulas not rendered by MathJax: {bad}"


# Resolves after two animation frames in a row without a change to the page (the book's fixes, a11y.js and
# widgets-setup.js, run one frame after a change), or after a second whatever happens.
SETTLE = """() => new Promise(resolve => {
    let changed = false;
    const observer = new MutationObserver(() => { changed = true; });
    observer.observe(document.documentElement, {subtree: true, childList: true, attributes: true, characterData: true});
    const done = () => { observer.disconnect(); resolve(); };
    const cap = setTimeout(done, 1000);
    const frame = quiet => requestAnimationFrame(() => {
        if (changed) { changed = false; frame(0); }
        else if (quiet >= 1) { clearTimeout(cap); done(); }
        else frame(quiet + 1);
    });
    frame(0);
})"""


def settle(page) -> None:
    """Wait until the book's scripts have finished with the page (see ``SETTLE``)."""
    page.evaluate(SETTLE)


def open_in_mode(browser, base_url: str, page_path: str, width: int, mode: str, errors: list[str] | None = None):
    """The page at `width`, in the theme's `mode` (the theme switcher's choice, kept in localStorage), with its
    explorers live and its math typeset; the mode is checked on <html> (data-theme), so a test in "dark" cannot
    silently run in light mode. Console errors and uncaught exceptions go to `errors` when it is given."""
    page = browser.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.set_viewport_size({"width": width, "height": 900})
    page.add_init_script(f"try {{ localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}'); }}"
                         " catch (e) {}")
    try:
        local_before = REPORT.requests_local
        page.goto(base_url + page_path, wait_until="load")
        if REPORT.requests_local > local_before:  # the router saw it load
            REPORT.loaded.add(page_path)
        theme = page.evaluate("() => document.documentElement.dataset.theme")
        assert theme == mode, f"{page_path}: asked for {mode} mode, the page shows data-theme={theme!r}"
        if declared_widgets(page_path):
            wait_for_widgets(page, page_path)
        wait_for_math(page, page_path)
        settle(page)
    except BaseException:
        page.close()
        raise
    return page


@dataclass(frozen=True)
class Probe:
    """What a test reads from a loaded page: `run(page, page_path, width, mode)`'s result, at the loads `wants`
    names (`wants(page_path, width, mode)`), run in `order` on each page (read-only probes first)."""

    name: str
    run: Callable[..., Any]
    wants: Callable[[str, int, str], bool]
    order: int


PROBES: dict[str, Probe] = {}


def probe(name: str, order: int, wants: Callable[[str, int, str], bool] = lambda page, width, mode: True):
    """Register the decorated `run(page, page_path, width, mode)` as the probe `name` (see the module docstring)."""
    def register(run: Callable[..., Any]) -> Callable[..., Any]:
        PROBES[name] = Probe(name, run, wants, order)
        return run
    return register


def needs(item: pytest.Item) -> set[tuple[str, tuple[str, int, str]]]:
    """What a test reads: (probe, (page, width, mode)) for each probe its `reads` marker names, at every load the
    probe wants that agrees with the test's parameters (page_path, width, mode; a test without one reads them all)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    found = set()
    for mark in item.iter_markers("reads"):
        for name in mark.args:
            for key in [(page, width, mode) for page in all_pages() for width in WIDTHS for mode in MODES]:
                if PROBES[name].wants(*key) and all(params.get(p, v) == v for p, v in
                                                    zip(("page_path", "width", "mode"), key)):
                    found.add((name, key))
    return found


class Loads:
    """Each (page, width, mode) loaded once, its probes' results kept for the session."""

    def __init__(self, browser, base_url: str, needed: set[tuple[str, tuple[str, int, str]]]) -> None:
        self.browser, self.base_url, self.needed = browser, base_url, needed
        self.results: dict[tuple[str, int, str], dict[str, tuple[bool, Any]]] = {}
        self.loads = 0

    def read(self, name: str, page_path: str, width: int, mode: str) -> Any:
        """The result of probe `name` on the page; an exception it raised (or the page's load raised) is raised."""
        key = (page_path, width, mode)
        if name not in self.results.get(key, {}):
            first = key not in self.results  # the first load of this page runs every probe the tests need there
            wanted = {p for p in PROBES.values() if first and (p.name, key) in self.needed}
            self._run(key, sorted({*wanted, PROBES[name]}, key=lambda p: p.order))
        ok, value = self.results[key][name]
        if not ok:
            raise value
        return value

    def _run(self, key: tuple[str, int, str], probes: list[Probe]) -> None:
        results = self.results.setdefault(key, {})
        try:
            self.loads += 1
            with REPORT.timed("page loads (explorers live, math typeset)"):
                page = open_in_mode(self.browser, self.base_url, *key)
        except (Exception, pytest.fail.Exception) as error:
            results.update({p.name: (False, error) for p in probes})
            return
        try:
            for p in probes:
                try:
                    with REPORT.timed(p.name):
                        results[p.name] = (True, p.run(page, *key))
                except (Exception, pytest.fail.Exception) as error:
                    results[p.name] = (False, error)
        finally:
            page.close()
