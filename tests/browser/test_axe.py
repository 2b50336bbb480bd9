"""WCAG 2.1 AA, measured: axe-core (fetched by npm at build time, package.json; copied by scripts/vendor_js.py into
_build/test_js/, outside the site) runs on every page of the built book at 1280 and 390 px wide, in light and dark
mode, with the explorers live and the math typeset. Every violation of a rule tagged wcag2a, wcag2aa, wcag21a or
wcag21aa fails the test, the theme's included: the book's CSS and JS (book_js/_static/rxt/) fix what the theme
gets wrong. No rule, page or element is excepted (accessibility.md says so); every violation found is also saved in
_build/screenshots/axe-violations.json."""

from __future__ import annotations

import json

import pytest

from .conftest import ROOT
from .pages import MODES, WIDTHS, all_pages, open_in_mode, probe

AXE = ROOT / "_build" / "test_js" / "axe-core" / "axe.min.js"
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

PAGES = all_pages()


def load_axe() -> str:
    if not AXE.is_file():
        pytest.fail(f"axe-core is missing ({AXE}): `bash scripts/build_book.sh` fetches it (npm ci) and copies it "
                    "(scripts/vendor_js.py)")
    return AXE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def axe_source() -> str:
    return load_axe()


def run_axe(page, axe_source: str) -> list[dict]:
    """axe-core on the whole document, WCAG 2.0/2.1 A and AA rules only: one entry per (rule, node)."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(content=axe_source)
    result = page.evaluate("""async tags => {
        const r = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return r.violations.flatMap(v => v.nodes.map(n => ({rule: v.id, impact: v.impact,
            target: n.target.map(t => Array.isArray(t) ? t.join(' >> ') : t).join(' | '),
            html: n.html.slice(0, 200), summary: (n.failureSummary || '').slice(0, 300)})));
    }""", TAGS)
    return result


@probe("axe", order=30)
def axe_violations(page, page_path: str, width: int, mode: str) -> list[dict]:
    return run_axe(page, load_axe())


@pytest.mark.reads("axe")
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("page_path", PAGES or ["(no built site)"])
def test_axe_finds_no_violation(page_path, width, mode, site, loads, axe_record):
    found = loads.read("axe", page_path, width, mode)
    axe_record.extend({**v, "page": page_path, "width": width, "mode": mode} for v in found)
    assert not found, f"{page_path} @{width}px {mode}: {len(found)} axe violations:\n" + "\n".join(
        f"  {v['rule']} ({v['impact']}) {v['target']}: {v['html'][:120]}\n    {v['summary'][:200]}" for v in found)


@pytest.fixture(scope="session")
def axe_record(screenshots):
    """Every violation found, saved as axe-violations.json beside the screenshots (counted by rule)."""
    record: list[dict] = []
    yield record
    (screenshots / "axe-violations.json").write_text(json.dumps(record, indent=1))


@pytest.mark.parametrize("mode", MODES)
def test_axe_catches_planted_violations(mode, site, browser, base_url, axe_source):
    """The sweep can fail: on a real page, an image without alt text, a nameless button, grey-on-grey text and a
    scrolling box the keyboard cannot reach are each reported (both modes, through the same helpers as the sweep)."""
    page = open_in_mode(browser, base_url, "intro.html", 1280, mode)
    try:
        page.evaluate("""() => {
            const main = document.querySelector('main') || document.body;
            const div = document.createElement('div');
            div.id = 'rxt-planted';
            div.innerHTML = '<img data-rxt-planted src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs=" '
                + 'width="20" height="20"><button data-rxt-planted></button>'
                + '<p data-rxt-planted style="color:#777; background:#888">grey on grey</p>'
                + '<div data-rxt-planted style="overflow:auto; height:40px; width:80px"><p>' + 'scroll '.repeat(80)
                + '</p></div>';
            main.prepend(div);
        }""")
        # each planted element says so in its markup (axe's selector for it may be as short as "img")
        rules = {v["rule"] for v in run_axe(page, axe_source) if "data-rxt-planted" in v["html"]}
    finally:
        page.close()
    assert {"image-alt", "button-name", "color-contrast", "scrollable-region-focusable"} <= rules, rules
