"""Opening a page of the built book as the tests read it, and reading it once for every test that only looks.

A page is opened at a width, in the theme's light or dark mode, with its explorers live and its math typeset
(`open_in_mode`). Most checks only read such a page (axe, contrast, focus, layout): each is a *probe*, registered
with `probe(...)` by its test module, and a test reads a probe's result with `Loads.read(probe, page, width, mode)`.
Every page the selected tests read (`needs`, from the tests' `reads` markers and parameters) is loaded once per
width by a *sweep* that starts when the tests are collected, in a thread of its own with a Chromium of its own, beside
the other tests (the tests that read it run last). A load (`plan_load`) opens the page in one mode (`FIRST_MODE`:
dark at 1280 px, light at 390 px) and runs, in their `order`, the probes the tests read there that only read the page;
then it switches to the other mode with the theme's own button, as a reader does (`switch_mode`), and runs that
mode's; then the probes that change the page (the tab walks move the focus, the live-region probe moves controls and
back, text spacing restyles the page), switching modes where they need it. Each mode is so checked both as a page
first opens in it and after a switch. The page is closed and the results kept: a page is loaded once per width
however many tests read it. A probe that fails fails only the tests that read it. Checks that change a page more
than that (planted barriers, answers typed) open pages of their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from .conftest import REPORT, SITE

WIDGET_VIEW = 'script[type="application/vnd.jupyter.widget-view+json"]'
WIDTHS = [1280, 390]
SWEEP_WAIT_S = 900  # a test waits this long for its page before it fails, naming the page
MODES = ["light", "dark"]
FIRST_MODE = {1280: "dark", 390: "light"}  # the mode a page opens in at each width; the other is switched to
CHANGES_PAGE = 60  # probes of this order or later change the page (focus, controls, styles): they run after the rest


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
    typeset = page.evaluate("""async () => { if (!(window.MathJax && MathJax.startup)) return true;
        return await Promise.race([MathJax.startup.promise.then(() => true),
                                   new Promise(done => setTimeout(() => done(false), 30000))]); }""")
    assert typeset, f"{page_path}: MathJax did not finish typesetting in 30 s"
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


def open_in_mode(browser, base_url: str, page_path: str, width: int, mode: str, errors: list[str] | None = None,
                 outside: list[str] | None = None):
    """The page at `width`, in the theme's `mode` (the theme switcher's choice, kept in localStorage), with its
    explorers live and its math typeset; the mode is checked on <html> (data-theme), so a test in "dark" cannot
    silently run in light mode. Console errors and uncaught exceptions go to `errors` when it is given; the URLs
    this page asked for outside the site (blocked) go to `outside`."""
    page = browser.new_page()
    if errors is not None:
        page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    local: list[str] = []  # this page's own requests to the site (the session's counters hold both browsers')

    def seen(request) -> None:
        if request.url.startswith(base_url):
            local.append(request.url)
        elif outside is not None and not request.url.startswith(("data:", "blob:", "about:")):
            outside.append(request.url)

    page.on("request", seen)
    page.set_viewport_size({"width": width, "height": 900})
    page.add_init_script(f"try {{ localStorage.setItem('mode', '{mode}'); localStorage.setItem('theme', '{mode}'); }}"
                         " catch (e) {}")
    try:
        page.goto(base_url + page_path, wait_until="load")
        if local:  # it was loaded from the site
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


def switch_mode(page, page_path: str, mode: str) -> None:
    """Switch the open page to `mode` as a reader does: the theme's colour-mode button, clicked until <html> shows
    the mode (its cycle is auto, dark, light with a light system setting); then the book's scripts settle and the
    colour transitions end."""
    for _ in range(len(MODES) + 1):
        if page.evaluate("() => document.documentElement.dataset.theme") == mode:
            break
        buttons = page.locator(".theme-switch-button:visible")
        if buttons.count():
            buttons.first.click()
        else:  # no button on show at this width: the reader opens the menu that holds it; its click is the same
            page.locator(".theme-switch-button").first.dispatch_event("click")
    theme = page.evaluate("() => document.documentElement.dataset.theme")
    assert theme == mode, f"{page_path}: the theme's button did not switch the page to {mode} mode ({theme!r})"
    settle(page)
    # the colours the switch started to fade (the theme's transitions) as the reader sees them a moment later
    page.evaluate("""async () => { await Promise.race([new Promise(done => setTimeout(done, 3000)),
        Promise.all(document.getAnimations().filter(a => a instanceof CSSTransition)
                    .map(a => a.finished.catch(() => null)))]); }""")


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


def plan_load(needed: set[tuple[str, tuple[str, int, str]]], page_path: str, width: int) -> list[tuple[str, list[Probe]]]:
    """The steps of one load, each (mode, probes): opened in `FIRST_MODE[width]` whatever the tests selected (so a
    failure reproduces under -k), the probes that only read the page in that mode, then in the other; then those
    that change it, in their order, each in the mode the page is in first, so that the page switches least (at
    1280 px: light tab walk, dark tab walk, then light for the live regions, readouts and text spacing)."""
    first = FIRST_MODE.get(width, "light")
    modes = [first] + [m for m in MODES if m != first]
    wanted = {m: sorted((p for p in PROBES.values() if (p.name, (page_path, width, m)) in needed),
                        key=lambda p: p.order) for m in modes}
    steps = [(m, [p for p in wanted[m] if p.order < CHANGES_PAGE]) for m in modes]
    steps = [step for step in steps if step[1]]
    current = steps[-1][0] if steps else first
    for order in sorted({p.order for m in modes for p in wanted[m] if p.order >= CHANGES_PAGE}):
        for m in sorted(modes, key=lambda m: m != current):
            probes = [p for p in wanted[m] if p.order == order]
            if probes:
                steps.append((m, probes))
                current = m
    if not steps or steps[0][0] != first:
        steps.insert(0, (first, []))
    return steps


class Loads:
    """Each page at each width loaded once (`plan_load`: both modes), every probe the selected tests need there run
    on it, and the results kept for the session. `start()` does it in a thread of its own, with a Chromium
    of its own, beside the other tests (started by conftest.py once the tests are collected); `read` waits for its
    page. A probe no test declared runs when it is read, on a load of its own in the tests' browser."""

    def __init__(self, base_url: str, needed: set[tuple[str, tuple[str, int, str]]]) -> None:
        self.base_url, self.browser = base_url, None
        self.results: dict[tuple[str, int, str], dict[str, tuple[bool, Any]]] = {}
        self.plans = {(page_path, width): plan_load(needed, page_path, width)
                      for page_path, width in sorted({(key[0], key[1]) for _, key in needed})}
        self.done = {key: threading.Event() for key in self.plans}
        self.stopped = False
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self._sweep, name="browser-sweep", daemon=True)
        self.thread.start()

    def stop(self) -> None:
        """Stop after the page in hand (the session is over) and wait for the thread's browser to close."""
        self.stopped = True
        if self.thread is not None:
            self.thread.join(timeout=120)

    def _sweep(self) -> None:
        from .conftest import chromium

        try:
            with chromium(self.base_url) as context:
                for (page_path, width), plan in self.plans.items():
                    if self.stopped:
                        break
                    self._run(context, page_path, width, plan)
                    self.done[(page_path, width)].set()
                REPORT.sweep_ended = time.perf_counter() - REPORT.started
        except BaseException as error:  # no browser, or it died: every page not yet read fails with the cause
            for key, plan in self.plans.items():
                if not self.done[key].is_set():
                    for mode, probes in plan:
                        self._fail((*key, mode), probes, error)
        finally:
            for event in self.done.values():
                event.set()

    def read(self, name: str, page_path: str, width: int, mode: str) -> Any:
        """The result of probe `name` on the page; an exception it raised (or the page's load raised) is raised."""
        key = (page_path, width, mode)
        event = self.done.get((page_path, width))
        if event is not None:
            if self.thread is None:  # not started: this thread does the sweep's work for the page now
                if not event.is_set():
                    self._run(self.browser, page_path, width, self.plans[(page_path, width)])
                    event.set()
            elif not event.wait(SWEEP_WAIT_S):
                state = "alive: a call in the page never returned?" if self.thread.is_alive() else "gone"
                pytest.fail(f"the browser sweep has not loaded {page_path} at {width} px after {SWEEP_WAIT_S} s "
                            f"(its thread is {state})")
        if name not in self.results.get(key, {}):  # a probe no test declared
            self._run(self.browser, page_path, width, [(mode, [PROBES[name]])])
        ok, value = self.results[key][name]
        if not ok:
            error, where = value
            raise error.with_traceback(where)  # from where it was raised (each read adds its own frames only)
        return value

    def _fail(self, key: tuple[str, int, str], probes: list[Probe], error: BaseException) -> None:
        self.results.setdefault(key, {}).update({p.name: (False, (error, error.__traceback__)) for p in probes})

    def _run(self, browser, page_path: str, width: int, plan: list[tuple[str, list[Probe]]]) -> None:
        """Open the page in the first mode of `plan`, run that mode's probes, switch to the next mode, and so on."""
        try:
            with REPORT.timed("page loads (explorers live, math typeset)"):
                page = open_in_mode(browser, self.base_url, page_path, width, plan[0][0])
        except (Exception, pytest.fail.Exception) as error:
            for mode, probes in plan:
                self._fail((page_path, width, mode), probes, error)
            return
        try:
            shown = plan[0][0]
            for step, (mode, probes) in enumerate(plan):
                if mode != shown:
                    shown = mode
                    try:
                        with REPORT.timed("mode switches"):
                            switch_mode(page, page_path, mode)
                    except (Exception, pytest.fail.Exception) as error:
                        for later, later_probes in plan[step:]:
                            self._fail((page_path, width, later), later_probes, error)
                        break
                results = self.results.setdefault((page_path, width, mode), {})
                for p in probes:
                    try:
                        with REPORT.timed(p.name):
                            results[p.name] = (True, p.run(page, page_path, width, mode))
                    except (Exception, pytest.fail.Exception) as error:
                        results[p.name] = (False, (error, error.__traceback__))
        finally:
            page.close()
