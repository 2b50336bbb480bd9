"""The built book in Chromium with no network: every chapter page loads without errors, its math renders, its
widgets come alive, and every explorer, stepped through every position with the keyboard, shows the numbers
`resnext_teach` computes. Nothing may be fetched from outside the site.

A pane names its explorer (`data-rxt-explorer`). A fixed explorer is found by that name in `resnext_teach.book.explorers`;
a data explorer (made by its chapter from what the chapter measured) is rebuilt from the data its panes carry
(`data-rxt-data`) by its builder in `DATA_EXPLORERS`, and checked like the others."""

from __future__ import annotations

import itertools
import json
import re
import time
from html.parser import HTMLParser
from typing import Any

import pytest

from resnext_teach.book.explorers import Explorer, all_explorers, sweep

from .conftest import REPORT, SCREENSHOTS, site_pages
from .pages import declared_widgets, open_in_mode, probe

ALLOWED_ERRORS = [
    # Jupyter Book 1 declares THEBE_JS_URL in two inline scripts of every page (sphinx-thebe); unrelated to us.
    re.compile(r"Identifier 'THEBE_JS_URL' has already been declared"),
]
PAGES = site_pages()


WIDGET_PAGES = [p for p in PAGES if declared_widgets(p)]

DATA_EXPLORERS = {sweep.NAME: sweep.explorer_from_data}
"""Each kind of data explorer by name: the function that rebuilds one from the data its panes carry."""


def explorer_behind(name: str, data: str | None, where: str) -> Explorer:
    """The explorer whose pane is named `name` and carries `data` (the text of its data-rxt-data, or None)."""
    if data is not None:
        assert name in DATA_EXPLORERS, f"{where}: a pane carries data for {name!r}, which is no known data explorer"
        return DATA_EXPLORERS[name](json.loads(data))
    fixed = all_explorers()
    assert name in fixed, f"{where}: explorer {name!r} is not in resnext_teach.book.explorers.EXPLORERS"
    return fixed[name]


JS_SORTED = "const sorted = o => JSON.stringify(Object.keys(o).sort().map(k => [k, o[k]]));"
JS_VISIBLE_PANES = "box => Array.from(box.querySelectorAll('.rxt-pane')).filter(p => p.checkVisibility())"


def unexpected(errors: list[str]) -> list[str]:
    return [e for e in errors if not any(p.search(e) for p in ALLOWED_ERRORS)]


def check_controls_are_labelled(page, page_path: str) -> None:
    """Every explorer control can be reached from the keyboard and has an accessible name."""
    problems = page.evaluate("""() => {
        const out = [];
        const labelled = el => (el.getAttribute('aria-labelledby') || '').split(' ').filter(Boolean)
            .map(id => (document.getElementById(id) || {textContent: ''}).textContent.trim()).join(' ');
        document.querySelectorAll('.rxt-explorer .noUi-handle').forEach(h => {
            if (h.getAttribute('role') !== 'slider' || h.tabIndex < 0 || !labelled(h)) out.push('slider handle '
                + 'not focusable or unlabelled: ' + h.outerHTML.slice(0, 160));
            if (!(h.getAttribute('aria-valuetext') || '').trim()) out.push('slider without aria-valuetext');
        });
        document.querySelectorAll('.rxt-explorer .widget-toggle-buttons').forEach(g => {
            if (g.getAttribute('role') !== 'group' || !labelled(g)) out.push('toggle buttons without a labelled '
                + 'group: ' + g.outerHTML.slice(0, 160));
            g.querySelectorAll('button').forEach(b => { if (b.tabIndex < 0 || !b.getAttribute('aria-pressed'))
                out.push('toggle button not focusable or without aria-pressed: ' + b.outerHTML.slice(0, 120)); });
        });
        return out;
    }""")
    assert not problems, f"{page_path}: " + "\n".join(problems)


class Pictures(HTMLParser):
    """Finds pictures without a text alternative in a page: <img> whose alt is empty or just its file name, and
    outermost <svg> without role="img" and a name (aria-label, or a <title> first). Widget state (the explorers'
    panes at every position) is parsed too."""

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[str] = []
        self.svg_depth = 0
        self.pending_svg: dict[str, str] | None = None  # outermost <svg> waiting for a <title>
        self.in_title = False
        self.title = ""
        self.state_json: list[str] = []
        self.in_state = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "script" and a.get("type") == "application/vnd.jupyter.widget-state+json":
            self.in_state = True
        elif tag == "img":
            alt, src = a.get("alt", "").strip(), a.get("src", "")
            if not alt or alt == src or re.search(r"\.(png|jpe?g|gif|svg|webp)$", alt, re.I):
                self.problems.append(f"<img src={src!r}> has no text alternative (alt={alt!r})")
        elif tag == "svg":
            if self.svg_depth == 0:
                self.close_pending()
                self.pending_svg = a
            self.svg_depth += 1
        elif tag == "title" and self.pending_svg is not None:
            self.in_title = True
        elif self.svg_depth and self.pending_svg is not None:
            self.close_pending()

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.in_state = False
        elif tag == "title" and self.in_title:
            self.in_title = False
            if self.pending_svg is not None and self.title.strip():
                self.pending_svg["aria-label"] = self.pending_svg.get("aria-label") or self.title
            self.close_pending()
        elif tag == "svg":
            self.svg_depth = max(0, self.svg_depth - 1)
            if not self.svg_depth:
                self.close_pending()

    def handle_data(self, data: str) -> None:
        if self.in_state:
            self.state_json.append(data)
        elif self.in_title:
            self.title += data

    def close_pending(self) -> None:
        svg, self.pending_svg, self.title = self.pending_svg, None, ""
        if svg is None or svg.get("aria-hidden") == "true":
            return
        if svg.get("role") != "img" or not (svg.get("aria-label", "").strip() or svg.get("aria-labelledby")):
            self.problems.append(f"<svg> without role=img and a name: {svg}")


def pictures_without_text(html: str) -> list[str]:
    parser = Pictures()
    parser.feed(html)
    parser.close_pending()
    for blob in parser.state_json:
        for model in json.loads(blob).get("state", {}).values():
            value = model.get("state", {}).get("value")
            if isinstance(value, str) and ("<svg" in value or "<img" in value):
                inner = Pictures()
                inner.feed(value)
                inner.close_pending()
                parser.problems += [f"{p} (in a widget)" for p in inner.problems]
    return sorted(set(parser.problems))


_EXPECTED: dict[tuple[str, str], dict[str, str]] = {}


def expected_numbers(explorer: Explorer, settings: dict[str, Any]) -> dict[str, str]:
    """What the pane must show at `settings`: compute() formatted by the explorer (cached: some build models)."""
    key = (explorer.name, json.dumps(explorer.data, sort_keys=True),  # data: two sweeps on a page differ
           json.dumps(settings_json(settings), sort_keys=True))
    if key not in _EXPECTED:
        with REPORT.timed("compute() for the expected numbers"):
            values = explorer.compute(**settings)
        _EXPECTED[key] = {k: explorer.format(k, v) for k, v in values.items()}
    return _EXPECTED[key]


def settings_json(settings: dict[str, Any]) -> Any:
    """The settings as a pane records them (json.dumps with default=str), parsed back."""
    return json.loads(json.dumps(settings, default=str))


JS_READ_PANE = """p => [p.dataset.rxtExplorer, JSON.parse(p.dataset.rxtSettings),
    Array.from(p.querySelectorAll('span[data-rxt-key]')).map(s => [s.dataset.rxtKey, s.textContent]),
    Array.from(p.querySelectorAll('rect[data-rxt-value]'))
        .map(r => [r.width.baseVal.value, Number(r.dataset.rxtValue)])]"""

# Every position of an explorer in one call: for each step, one key event (a slider's handle gets the keydown its
# keyboard handler reads; a row's button is clicked, what Enter or Space on it does), then wait until the page shows
# exactly one pane, the one with the step's settings, and read it; the next event only then, as a reader's next key.
# Returns {"seen": [...]}, or where it got stuck.
JS_STEP_EVERY_POSITION = f"""async (box, steps) => {{ {JS_SORTED}
    const read = {JS_READ_PANE};
    const controls = Array.from(box.querySelectorAll(':scope > .widget-slider, :scope > .widget-toggle-buttons'));
    const frame = () => new Promise(resolve => requestAnimationFrame(resolve));
    const seen = [];
    for (const [level, key, want] of steps) {{
        const start = performance.now(), control = controls[level];
        if (typeof key === 'number') control.querySelectorAll('button')[key].click();
        else control.querySelector('.noUi-handle').dispatchEvent(
            new KeyboardEvent('keydown', {{key, code: key, bubbles: true, cancelable: true}}));
        for (;;) {{
            const panes = ({JS_VISIBLE_PANES})(box);
            if (panes.length === 1 && sorted(JSON.parse(panes[0].dataset.rxtSettings)) === sorted(want)) {{
                seen.push([...read(panes[0]), performance.now() - start]);
                break;
            }}
            if (performance.now() - start > 5000)
                return {{seen, stuck: want, shown: panes.map(p => p.dataset.rxtSettings)}};
            await frame();
        }}
    }}
    return {{seen}};
}}"""


class ExplorerDriver:
    """Moves one explorer's controls and reads its visible pane: every position by key events sent in the page (one
    call for all of them), and every control by the real keyboard (Playwright's key presses)."""

    def __init__(self, page, box, explorer: Explorer, where: str) -> None:
        self.page, self.box, self.explorer, self.where = page, box, explorer, where
        self.controls = box.locator(":scope > .widget-slider, :scope > .widget-toggle-buttons")
        count = self.controls.count()
        assert count == len(explorer.controls), (
            f"{where}: explorer {explorer.name!r} has {len(explorer.controls)} controls, the page shows {count}")
        self.index = [c.default_index for c in explorer.controls]
        self.handle = box.element_handle()
        self.bars: list[tuple[float, float]] = []  # (drawn width, value) of every bar seen, at every position
        self.by_keyboard = 0  # positions reached with the real keyboard

    def settings(self, combo) -> dict[str, Any]:
        return {c.name: c.options[i] for c, i in zip(self.explorer.controls, combo)}

    def shown(self, settings: dict[str, Any]) -> list:
        """Wait until the one visible pane is the one for `settings`; return [name, its settings, its numbers as
        [key, text] pairs, its bars as [drawn width, value] pairs]."""
        try:
            found = self.page.wait_for_function(
                f"""([box, want]) => {{ {JS_SORTED}
                    const panes = ({JS_VISIBLE_PANES})(box);
                    if (panes.length !== 1 || sorted(JSON.parse(panes[0].dataset.rxtSettings)) !== sorted(want)) {{
                        return false;
                    }}
                    return ({JS_READ_PANE})(panes[0]);
                }}""",
                arg=[self.handle, settings_json(settings)], timeout=5_000)
        except Exception:
            shown = self.handle.evaluate(f"box => ({JS_VISIBLE_PANES})(box).map(p => p.dataset.rxtSettings)")
            pytest.fail(f"{self.where}: explorer {self.explorer.name!r} did not switch to {settings} after keyboard "
                        f"input (visible panes: {shown}): the explorer is dead")
        return found.json_value()

    def check(self, settings: dict[str, Any], found: list) -> None:
        """The pane read at `settings` shows its settings, and exactly the numbers resnext_teach computes there."""
        name, shown_settings, spans, bars = found
        assert name == self.explorer.name
        self.bars += [tuple(b) for b in bars]
        assert shown_settings == settings_json(settings)
        shown = dict(spans)
        want = expected_numbers(self.explorer, settings)
        assert shown, f"{self.where}: the pane of {self.explorer.name!r} shows no numbers"
        for key, text in shown.items():
            assert key in want, f"{self.where}: {self.explorer.name!r} shows {key!r}, which compute() does not return"
            assert text == want[key], (f"{self.where}: {self.explorer.name!r} at {settings} shows {key}={text!r}, "
                                       f"resnext_teach computes {want[key]!r}")

    def keys(self, level: int, target: int) -> list[tuple[Any, int]]:
        """The key presses that move control `level` to option `target`, each with the option it leads to: on a
        slider Home, End or arrows; on a row of buttons, the button's index (what Enter or Space on it does)."""
        spec, current = self.explorer.controls[level], self.index[level]
        if target == current:
            return []
        if spec.kind != "slider":
            return [(target, target)]
        if target == 0:
            return [("Home", 0)]
        if target == len(spec.options) - 1 and target - current > 1:
            return [("End", target)]
        step = 1 if target > current else -1
        return [("ArrowRight" if step > 0 else "ArrowLeft", i) for i in range(current + step, target + step, step)]

    def press(self, level: int, target: int, key: str) -> None:
        """Move control `level` to option `target` with the real keyboard: on a slider press `key` on its focused
        handle; on a row of buttons Tab from its first button to button `target`, then press `key` (Enter or Space)."""
        control, spec = self.controls.nth(level), self.explorer.controls[level]
        started = time.perf_counter()
        with REPORT.timed("explorer keys pressed with Playwright"):
            if spec.kind == "slider":
                handle = control.locator(".noUi-handle")
                handle.focus()
                handle.press(key)
            else:
                buttons = control.locator("button")
                buttons.nth(0).focus()
                for _ in range(target):
                    self.page.keyboard.press("Tab")
                focused = buttons.nth(target).evaluate("b => b === document.activeElement")
                assert focused, f"{self.where}: Tab did not reach option {target} of {spec.name!r}"
                self.page.keyboard.press(key)
            self.index[level] = target
            settings = self.settings(self.index)
            found = self.shown(settings)  # waits for the pane to switch
        update_ms = 1000 * (time.perf_counter() - started)  # key presses to the new pane, Playwright included
        if update_ms > REPORT.slowest_update[0]:
            REPORT.slowest_update = (update_ms, f"{self.explorer.name} {settings}")
        self.check(settings, found)
        self.by_keyboard += 1

    def step_every_position(self) -> int:
        """Every position in order (the last control moving fastest), by key events sent in the page (one call);
        the pane after each event is read and checked, so positions passed on the way are checked too."""
        steps, wants = [], []
        for combo in itertools.product(*(range(len(c.options)) for c in self.explorer.controls)):
            for level, target in enumerate(combo):
                for key, index in self.keys(level, target):
                    self.index[level] = index
                    wants.append(self.settings(self.index))
                    steps.append([level, key, settings_json(wants[-1])])
        with REPORT.timed("explorer positions stepped in the page"):
            result = self.handle.evaluate(JS_STEP_EVERY_POSITION, steps)
        if "stuck" in result:
            pytest.fail(f"{self.where}: explorer {self.explorer.name!r} did not switch to {result['stuck']} after key "
                        f"events (visible panes: {result['shown']}): the explorer is dead")
        assert len(result["seen"]) == len(steps)
        for settings, (*found, ms) in zip(wants, result["seen"]):
            self.check(settings, found)
            if ms > REPORT.slowest_render[0]:
                REPORT.slowest_render = (ms, f"{self.where}: {self.explorer.name}")
        return len(steps)

    def walk(self) -> int:
        """Check the default; then every position in order, by key events in the page; then every control with the
        real keyboard, from its last option (where the walk leaves it): a slider's Home, ArrowRight, End and
        ArrowLeft, a row's first button (Space) and last (Enter). Returns the number of positions checked."""
        self.check(self.explorer.defaults, self.shown(self.explorer.defaults))
        checked = 1 + self.step_every_position()
        for level, spec in enumerate(self.explorer.controls):
            last = len(spec.options) - 1
            if last == 0:
                continue
            if spec.kind == "slider":
                for target, key in [(0, "Home"), (1, "ArrowRight"), (last, "End"), (last - 1, "ArrowLeft")]:
                    self.press(level, target, key)
            else:
                self.press(level, 0, "Space")
                self.press(level, last, "Enter")
        measured = self.page.evaluate("() => window.__rxtUpdates")  # the page's own clock (conftest.py)
        if measured and measured["count"] and measured["worst"] > REPORT.slowest_render[0]:
            REPORT.slowest_render = (measured["worst"], f"{self.where}: {self.explorer.name}")
        REPORT.by_keyboard += self.by_keyboard
        self.check_announced_values()
        self.check_one_scale()
        return checked + self.by_keyboard

    def check_one_scale(self) -> None:
        """Every bar the reader saw, at every position, is drawn on one scale: doubling a number doubles its bar."""
        bars = [(w, v) for w, v in self.bars if v > 0]
        if not bars:
            return
        longest, value = max(bars)
        off = [(w, v) for w, v in bars if abs(w - v * longest / value) > 0.01]
        assert not off, f"{self.where}: {self.explorer.name!r} draws bars on more than one scale: {off[:5]}"

    def check_announced_values(self) -> None:
        """A screen reader hears each slider's option label (aria-valuetext), not its index."""
        for level, spec in enumerate(self.explorer.controls):
            if spec.kind != "slider":
                continue
            want = spec.labels()[self.index[level]]
            handle = self.controls.nth(level).locator(".noUi-handle")
            try:
                self.page.wait_for_function("([h, want]) => h.getAttribute('aria-valuetext') === want",
                                            arg=[handle.element_handle(), want], timeout=5_000)
            except Exception:
                pytest.fail(f"{self.where}: slider {spec.name!r} announces "
                            f"{handle.get_attribute('aria-valuetext')!r}, not {want!r}")


@pytest.mark.parametrize("page_path", PAGES or ["(no built site)"])
def test_page_in_browser(page_path, site, browser, base_url, screenshots, report):
    errors: list[str] = []
    outside: list[str] = []  # what this page asked for outside the site (the session's list holds both browsers')
    report.pages.append(page_path)
    with report.timed("page loads (explorers live, math typeset)"):
        page = open_in_mode(browser, base_url, page_path, 1280, "light", errors, outside)
    try:
        with report.timed("full-page screenshots"):
            page.screenshot(path=str(screenshots / (page_path.replace("/", "__").removesuffix(".html") + ".png")),
                            full_page=True)
        check_controls_are_labelled(page, page_path)

        boxes = page.locator(".rxt-explorer")
        # each explorer appears once: one live widget per printed explorer, its default pane hidden beside it
        assert boxes.count() == declared_widgets(page_path), f"{page_path}: not one live widget per explorer"
        seen_twice = page.evaluate("""() => Array.from(document.querySelectorAll('.rxt-static'))
            .filter(p => p.checkVisibility()).map(p => p.querySelector('.rxt-pane').dataset.rxtExplorer)""")
        assert not seen_twice, f"{page_path}: default panes still shown beside their live explorer: {seen_twice}"
        for i in range(boxes.count()):
            box = boxes.nth(i)
            first = box.locator(".rxt-pane").first
            name, data = first.get_attribute("data-rxt-explorer"), first.get_attribute("data-rxt-data")
            where = f"{page_path} (explorer {i + 1})"
            explorer = explorer_behind(name, data, where)
            report.positions += ExplorerDriver(page, box, explorer, where).walk()
            report.explorers.append(f"{page_path}: {name}")
        assert not outside, f"{page_path} asked for {len(outside)} resources outside the site: {outside}"
        assert not unexpected(errors), f"{page_path}: console errors:\n" + "\n".join(unexpected(errors))
    finally:
        page.close()


@pytest.mark.skipif(not WIDGET_PAGES, reason="no page with widgets in the built site")
@pytest.mark.parametrize("blocked, note", [
    ("**/embed-amd.js*", "could not start"),  # the widget manager fails to load
    ("**/_static/rxt/**/*.js*", "needs JavaScript"),  # none of the widget scripts load
])
def test_fallback_when_widget_scripts_fail(blocked, note, browser, base_url, screenshots):
    """With the widget scripts blocked, each explorer shows a short note over its default pane, whose figure and
    numbers stay visible and correct."""
    page_path = WIDGET_PAGES[0]
    page = browser.new_page()
    try:
        page.route(blocked, lambda route: route.abort())
        page.goto(base_url + page_path, wait_until="load")
        outputs = page.locator(".rxt-static")
        assert outputs.count() == declared_widgets(page_path)
        page.wait_for_function(
            """([sel, note]) => Array.from(document.querySelectorAll(sel))
                .every(o => getComputedStyle(o, '::before').content.includes(note))""",
            arg=[".rxt-static", note], timeout=10_000)
        assert page.locator(".widget-subarea:visible").count() == 0
        static = page.evaluate("""() => Array.from(document.querySelectorAll('.rxt-pane'))
            .filter(p => p.checkVisibility() && !p.closest('.widget-subarea'))
            .map(p => [p.dataset.rxtExplorer, p.dataset.rxtData ?? null, JSON.parse(p.dataset.rxtSettings),
                       Object.fromEntries(Array.from(p.querySelectorAll('span[data-rxt-key]'))
                                           .map(s => [s.dataset.rxtKey, s.textContent]))])""")
        assert static, f"{page_path}: no static default pane visible without widgets"
        for name, data, settings, numbers in static:
            explorer = explorer_behind(name, data, page_path)
            position = next(p for p in explorer.positions() if settings_json(p) == settings)
            want = expected_numbers(explorer, position)
            assert numbers and all(want[k] == v for k, v in numbers.items()), (page_path, name, numbers, want)
        slug = "js-missing" if "rxt/**" in blocked else "manager-missing"
        page.screenshot(path=str(screenshots / f"fallback-{slug}.png"), full_page=True)
    finally:
        page.close()


@pytest.mark.parametrize("page_path", PAGES or ["(no built site)"])
def test_pictures_have_text_alternatives(page_path, site):
    """Every figure has a text alternative: explorer SVGs carry role="img" and a title; a plot saved as an image
    needs alt text (cell metadata `"mystnb": {"image": {"alt": "..."}}`), not myst-nb's default, its file name."""
    problems = pictures_without_text((site / page_path).read_text(encoding="utf-8"))
    assert not problems, f"{page_path}: {len(problems)} pictures without a text alternative:\n" + "\n".join(problems)


def test_no_request_left_the_machine(browser, base_url, report):
    """Every page of the site opened in this session (here, those no test before opened, so the test stands alone):
    the site's own requests go through, and not one request of the session went anywhere else. The router is shown
    to catch an outside request first, so an empty list means something."""
    page = browser.new_page()
    page.goto(base_url + "intro.html", wait_until="load")
    probe = "https://example.invalid/probe.js"
    page.evaluate(f"fetch('{probe}').catch(() => null)")
    page.wait_for_timeout(200)
    assert probe in report.requests_outside, "the router did not see a request leaving the site"
    report.requests_outside.remove(probe)
    for name in site_pages():
        if name not in report.loaded:
            local_before = report.requests_local
            page.goto(base_url + name, wait_until="networkidle")
            assert report.requests_local > local_before, f"{name} made no request: it was not loaded"
            report.loaded.add(name)
    page.close()
    assert set(site_pages()) <= report.loaded
    assert report.requests_outside == [], f"requests outside the site: {report.requests_outside}"


JS_LAYOUT = """() => {
    const W = document.documentElement.clientWidth, out = {overflow: [], touching: [], small: []};
    if (document.documentElement.scrollWidth > W + 1) out.overflow.push('page ' + document.documentElement.scrollWidth);
    // numbers in neighbouring table cells must not touch (a few pixels at least between their text)
    const textBox = el => { const r = document.createRange(); r.selectNodeContents(el);
        const b = r.getBoundingClientRect(); return b.width ? b : null; };
    document.querySelectorAll('article table tr').forEach(tr => {
        const cells = Array.from(tr.children).filter(c => c.checkVisibility() && /\\d/.test(c.textContent));
        for (let i = 1; i < cells.length; i++) {
            const a = textBox(cells[i - 1]), b = textBox(cells[i]);
            if (a && b && Math.abs(a.top - b.top) < a.height && b.left - a.right < 4)
                out.touching.push(cells[i - 1].textContent.trim() + ' | ' + cells[i].textContent.trim());
        }
    });
    // touch targets: slider handles and buttons of the explorers
    document.querySelectorAll('.rxt-explorer .noUi-handle, .rxt-explorer button').forEach(el => {
        const r = el.getBoundingClientRect();
        if (r.width && (r.width < 24 || r.height < 24)) out.small.push(el.className + ' ' + r.width + 'x' + r.height);
    });
    return out;
}"""


JS_RED_FEEDBACK = """() => Array.from(document.querySelectorAll('.rxt-feedback'))
    .filter(p => /Not yet/.test(p.textContent)).map(p => p.textContent.slice(0, 80))"""


@probe("layout", order=10, wants=lambda page, width, mode: page in PAGES)
def read_layout(page, page_path: str, width: int, mode: str) -> dict[str, list[str]]:
    return {**page.evaluate(JS_LAYOUT), "red": page.evaluate(JS_RED_FEEDBACK)}


@probe("phone screenshot", order=50, wants=lambda page, width, mode: page in PAGES and width < 500 and mode == "light")
def phone_screenshot(page, page_path: str, width: int, mode: str) -> str:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / (f"phone__{page_path.replace('/', '__')}".removesuffix(".html") + ".png")
    page.screenshot(path=str(path), full_page=False)
    return str(path)


@pytest.mark.reads("layout", "phone screenshot")
@pytest.mark.parametrize("width", [1280, 390])
def test_layout_at_desktop_and_phone_width(width, site, loads, screenshots):
    """At 1280 and 390 px, in light and dark mode: no page is wider than the screen, no two numbers in a table
    touch, every explorer control is a touch target of at least 24 px, and no exercise output is coloured as an
    error. At 390 px a screenshot of each page's first screen is saved (phone__*.png)."""
    problems = []
    for page_path in PAGES:
        for mode in ("light", "dark"):
            found = loads.read("layout", page_path, width, mode)
            problems += [f"{page_path} @{width}px {mode} {kind}: {v}" for kind, values in found.items() if kind != "red"
                         for v in values[:5]]
            problems += [f"{page_path} ({mode}): an exercise output reads as an error: {r}" for r in found["red"]]
        if width < 500:
            loads.read("phone screenshot", page_path, width, "light")
    assert not problems, "\n".join(problems)
