"""What an automated audit cannot see (issue 23), each with a test, in Chromium on the built book:

* every explorer announces its result: a polite live region holds the first sentence of the pane on show, and
  moving any control changes its text;
* a slider's readout is not an editable field: hidden from assistive technology and the tab order, and typing on it
  cannot make the slider announce a value it does not have;
* every tab stop (the explorers' controls, the header's buttons, links, formulas) shows a focus outline at least
  2 px wide and 3:1 against the page, and has an accessible name;
* the controls (slider track and handle, the selected button of a row) are at least 3:1 against what is beside them;
* dark mode: code in outputs, captions, the exercises' feedback and the pictures' labels are legible (4.5:1);
* WCAG 1.4.12's text spacing does not clip or overlap an explorer's text.

Each check runs through JS helpers (JS_HELPERS); test_checks_catch_planted_barriers shows they fail on a barrier."""

from __future__ import annotations

import pytest

from .pages import open_in_mode, probe
from .test_axe import PAGES as ALL_PAGES
from .test_static_book import WIDGET_PAGES

# Colours and contrast (WCAG 2.x relative luminance), the colour behind an element (its ancestors' backgrounds
# composited over the page's), and what a text box is.
JS_HELPERS = """
window.__rxt = (() => {
  const parse = c => { const m = (c || '').match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => { const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const contrast = (a, b) => { const x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); };
  const page = () => { for (const el of [document.body, document.documentElement]) {
      const c = parse(getComputedStyle(el).backgroundColor); if (c && c[3] > 0) return over(c, [255, 255, 255, 1]); }
    return [255, 255, 255, 1]; };
  // the opaque colour behind `el` (from its parent up when `own` is false)
  const behind = (el, own = true) => { const layers = [];
    for (let e = own ? el : el.parentElement; e && e.nodeType === 1; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor); if (c && c[3] > 0) layers.push(c);
      if (c && c[3] >= 1) break; }
    let colour = page(); for (const c of layers.reverse()) colour = over(c, colour); return colour; };
  const colourOf = (el, prop) => { const c = parse(getComputedStyle(el)[prop]); return c ? over(c, behind(el)) : null; };
  const visible = el => el.checkVisibility({opacityProperty: true, visibilityProperty: true})
    && el.getBoundingClientRect().width > 0;
  const describe = el => (el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && el.className.baseVal
    === undefined && el.className ? '.' + String(el.className).trim().split(/\\s+/).slice(0, 3).join('.') : '')
    + ' "' + (el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 40) + '"');
  // the focus indicator of the focused element: outline width, and its contrast with the colour around it
  const focusRing = el => { const s = getComputedStyle(el);
    const width = s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth);
    const colour = parse(s.outlineColor);
    const ratio = width && colour ? contrast(over(colour, behind(el, false)), behind(el, false)) : 0;
    return {width, ratio: Math.round(ratio * 100) / 100}; };
  return {parse, over, contrast, behind, colourOf, visible, describe, focusRing,
          textContrast: el => { const fg = parse(getComputedStyle(el).color);
            return contrast(over(fg, behind(el)), behind(el)); }};
})();
"""


def with_helpers(page) -> None:
    page.evaluate(JS_HELPERS)


# ----------------------------------------------------------------------------------------------- announcements


def first_sentence_js() -> str:
    """The reference first sentence of a pane: its rendered text (innerText of a copy laid out off screen, pictures
    left out), up to the first . ! or ? followed by a capital letter (not "3.5", not "Eq. 4"), or its first 300
    characters (to a word) when it has no sentence that short."""
    return """pane => { const copy = pane.cloneNode(true);
        copy.querySelectorAll('svg, img').forEach(e => e.remove());
        const holder = document.createElement('div'); holder.style.position = 'absolute';
        holder.style.left = '-9999px'; holder.style.width = '2000px';
        holder.appendChild(copy); document.body.appendChild(holder);
        const text = copy.innerText.replace(/\\s+/g, ' ').trim(); holder.remove();
        const end = text.search(/[.!?](\\s+[A-Z]|$)/);
        if (end >= 0 && end < 300) return text.slice(0, end + 1);
        return text.length <= 300 ? text : text.slice(0, text.lastIndexOf(' ', 300)) + '\u2026'; }"""


JS_SAID_AND_WANT = f"""box => {{ const first = {first_sentence_js()};
    const shown = Array.from(box.querySelectorAll('.rxt-pane')).filter(p => p.checkVisibility());
    const region = box.querySelector('[aria-live="polite"]');
    return [region.textContent.trim(), shown.length === 1 ? first(shown[0]) : null]; }}"""
JS_REGION_CHANGED = """([box, before]) => box.querySelector('[aria-live="polite"]').textContent.trim() !== before"""


@probe("announce", order=70,
       wants=lambda page, width, mode: page in WIDGET_PAGES and width == 1280 and mode == "light")
def announcements(page, page_path: str, width: int, mode: str) -> list[str]:
    """What the explorers' live regions get wrong when each control is moved with the keyboard and back (back
    where it was, so that the probes after this one see every explorer at its default)."""
    problems = []
    boxes = page.locator(".rxt-explorer")
    assert boxes.count(), f"{page_path}: no live explorer"
    for i in range(boxes.count()):
        box = boxes.nth(i)
        name = box.locator(".rxt-pane").first.get_attribute("data-rxt-explorer")
        where = f"{page_path} explorer {i + 1} ({name})"
        regions = box.locator('[aria-live="polite"]')
        if regions.count() != 1:
            problems.append(f"{where}: {regions.count()} polite live regions, want 1")
            continue
        region = regions.first
        if region.get_attribute("role") != "status" or region.get_attribute("aria-atomic") != "true":
            problems.append(f"{where}: the live region is not role=status with aria-atomic=true")
        said, want = box.evaluate(JS_SAID_AND_WANT)
        if not said or said != want:
            problems.append(f"{where}: the live region says {said!r}, the pane's first sentence is {want!r}")
        controls = box.locator(":scope > .widget-slider, :scope > .widget-toggle-buttons")
        for level in range(controls.count()):
            control = controls.nth(level)
            if control.locator(".noUi-handle").count():
                handle = control.locator(".noUi-handle")
                at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
                keys = ["ArrowLeft", "ArrowRight"] if at_end else ["ArrowRight", "ArrowLeft"]
                moves = [lambda key=key: handle.press(key) for key in keys]
            else:
                buttons = control.locator("button")
                pressed = [b.get_attribute("aria-pressed") for b in buttons.all()].index("true")
                moves = [lambda b=b: (b.focus(), page.keyboard.press("Enter"))
                         for b in (buttons.nth(1 if pressed == 0 else 0), buttons.nth(pressed))]
            for move, how in zip(moves, ("moved", "moved back")):
                before = box.evaluate(JS_SAID_AND_WANT)[0]
                move()
                try:
                    page.wait_for_function(JS_REGION_CHANGED, arg=[box.element_handle(), before], timeout=10_000)
                except Exception:
                    problems.append(f"{where}: control {level + 1} {how} left the live region at {before!r}")
                    break
                said, want = box.evaluate(JS_SAID_AND_WANT)
                if said != want:
                    problems.append(f"{where}: after control {level + 1} {how}, the region says {said!r}, "
                                    f"the pane's first sentence is {want!r}")
    return problems


@pytest.mark.reads("announce")
@pytest.mark.parametrize("page_path", WIDGET_PAGES or ["(no widget page)"])
def test_explorers_announce_their_result(page_path, site, loads):
    """Each explorer has one polite live region (role=status, aria-live=polite) holding the first sentence of the
    pane on show; moving any of its controls (with the keyboard) switches the pane and changes that text, and so
    does moving it back."""
    problems = loads.read("announce", page_path, 1280, "light")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------------------------- readouts


@probe("readouts", order=80,
       wants=lambda page, width, mode: page in WIDGET_PAGES and width == 1280 and mode == "light")
def readout_problems(page, page_path: str, width: int, mode: str) -> list[str]:
    """What is wrong with the sliders' readouts: editable, announced, in the tab order, or changed by typing."""
    problems = []
    sliders = page.locator(".rxt-explorer .widget-slider")
    for i in range(sliders.count()):
        slider = sliders.nth(i)
        readout, handle = slider.locator(".widget-readout"), slider.locator(".noUi-handle")
        where = f"{page_path} slider {i + 1}"
        if not readout.count() or not readout.is_visible():
            continue  # no readout shown: nothing to check
        state = readout.evaluate("r => [r.isContentEditable, r.getAttribute('aria-hidden'), r.tabIndex]")
        if state[0] or state[1] != "true" or state[2] >= 0:
            problems.append(f"{where}: readout editable={state[0]}, aria-hidden={state[1]}, tabIndex={state[2]}")
        before = [readout.text_content(), handle.get_attribute("aria-valuenow"),
                  handle.get_attribute("aria-valuetext")]
        readout.click()
        page.keyboard.type("zzz4")
        page.keyboard.press("Enter")
        handle.focus()  # the view's "blur" handler, if any, runs here
        page.wait_for_timeout(100)
        after = [readout.text_content(), handle.get_attribute("aria-valuenow"),
                 handle.get_attribute("aria-valuetext")]
        if after != before or after[2] != after[0]:
            problems.append(f"{where}: typing on the readout changed (readout, valuenow, valuetext) "
                            f"from {before} to {after}")
        # Tab from the handle goes to the next control, never into the readout
        handle.focus()
        page.keyboard.press("Tab")
        if page.evaluate("() => !!document.activeElement.closest('.widget-readout')"):
            problems.append(f"{where}: Tab from the handle lands in the readout")
    return problems


@pytest.mark.reads("readouts")
@pytest.mark.parametrize("page_path", WIDGET_PAGES or ["(no widget page)"])
def test_slider_readouts_are_not_editable(page_path, site, loads):
    """Each slider's readout is text, not a field: not editable, hidden from assistive technology, out of the tab
    order; clicking it and typing changes neither the readout, nor the slider, nor what the slider announces."""
    problems = loads.read("readouts", page_path, 1280, "light")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------- focus, names, formulas

JS_TAB_STOP = """() => { const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    // the focus style as it settles: a transition (sphinx-copybutton fades its button in) runs to its end first
    el.getAnimations().forEach(a => { try { a.finish(); } catch (e) {} });
    const ring = __rxt.focusRing(el);
    if (!el.__rxtStop) el.__rxtStop = Math.random().toString(36).slice(2);
    return {key: el.__rxtStop, what: __rxt.describe(el), visible: __rxt.visible(el), width: ring.width, ratio: ring.ratio,
            name: (el.computedName ?? '\\u0000unsupported').trim(), role: el.computedRole ?? '',
            math: el.tagName === 'MJX-CONTAINER' && !(el.scrollWidth > el.clientWidth + 1), header: !!el.closest('.bd-header-article, .bd-header, header')}; }"""


def keep_accessibility_tree(page):
    """Keep Chromium's accessibility tree alive for `page` (DevTools' Accessibility domain, enabled on a session
    of its own): without one, each computedName or computedRole builds the whole page's tree afresh and throws it
    away (about 0.3 s a call on a chapter page); with it, each is a lookup in the tree Chromium keeps up to date.
    The names and roles are the same. Returns the session, which must stay open while the tree is needed."""
    session = page.context.new_cdp_session(page)
    session.send("Accessibility.enable")
    session.send("Accessibility.getRootAXNode")  # builds the tree now; later focus moves update it
    return session


# Tab from the top of the page whatever was focused or clicked before (a switch of mode clicks the theme's button):
# focus a mark at the start of the body and remove it, so the browser's starting point for Tab is the top.
FROM_THE_TOP = """() => { window.scrollTo(0, 0); const mark = document.createElement('span'); mark.tabIndex = -1;
    document.body.prepend(mark); mark.focus({preventScroll: true}); mark.remove(); }"""


def tab_through(page, limit: int = 600) -> list[dict]:
    """Every tab stop of the page, in order, from the top (Tab until focus comes back round or leaves the page)."""
    session = keep_accessibility_tree(page)
    page.evaluate(FROM_THE_TOP)
    stops, seen = [], set()
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = page.evaluate(JS_TAB_STOP)
        if stop is None or stop["key"] in seen:
            break
        seen.add(stop["key"])
        stops.append(stop)
    session.detach()
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    return stops


def focus_problems(stops: list[dict], where: str) -> list[str]:
    out = []
    for s in stops:
        if "\u0000unsupported" in s["name"]:
            return [f"{where}: this Chromium does not expose computedName (the ComputedAccessibilityInfo feature)"]
        if not s["visible"]:
            out.append(f"{where}: an invisible element takes focus: {s['what']}")
            continue
        if s["width"] < 2 or s["ratio"] < 3:
            out.append(f"{where}: focus outline {s['width']}px at {s['ratio']}:1 on {s['role']} {s['what']}")
        if not s["name"]:
            out.append(f"{where}: a tab stop without an accessible name: {s['role']} {s['what']}")
        if s["math"]:
            out.append(f"{where}: a formula that does not scroll is a tab stop: {s['what']}")
    return out


@probe("tab stops", order=60, wants=lambda page, width, mode: width == 1280)
def tab_stops(page, page_path: str, width: int, mode: str) -> list[dict]:
    """The page's tab stops (this probe moves the focus: it runs after those that only read the page)."""
    with_helpers(page)
    return tab_through(page)


@pytest.mark.reads("tab stops")
@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page_path", ALL_PAGES or ["(no built site)"])
def test_every_tab_stop_shows_focus_and_has_a_name(page_path, mode, site, loads):
    """Tab through the whole page: every stop (header buttons such as launch and search included) shows an outline
    of at least 2 px at 3:1 against the page and has an accessible name; no formula is a tab stop (unless it is
    too wide and scrolls: then it is a named region that shows focus)."""
    stops = loads.read("tab stops", page_path, 1280, mode)
    assert len(stops) >= 5, f"{page_path}: only {len(stops)} tab stops found: the walk did not work"
    assert any(s["header"] for s in stops), f"{page_path}: the walk never reached the header's buttons"
    problems = focus_problems(stops, f"{page_path} ({mode})")
    assert not problems, "\n".join(problems[:40])


# ------------------------------------------------------------------------------------------- control contrast

JS_CONTROLS = """() => { const out = [];
    const check = (what, ratio, el) => { if (ratio < 3) out.push(what + ' ' + ratio.toFixed(2) + ':1 at '
        + __rxt.describe(el)); };
    document.querySelectorAll('.rxt-explorer .widget-slider').forEach(s => {
      if (!__rxt.visible(s)) return;
      // noUiSlider: the track is .noUi-connects (ipywidgets paints it), the part up to the handle .noUi-connect
      const target = s.querySelector('.noUi-target'), track = s.querySelector('.noUi-connects'),
            fill = s.querySelector('.noUi-connect'), handle = s.querySelector('.noUi-handle');
      const around = __rxt.behind(target, false);
      // the track's line: its border, or its fill when it has no border
      const ts = getComputedStyle(track), tBorder = parseFloat(ts.borderTopWidth) >= 1;
      const trackColour = tBorder ? __rxt.over(__rxt.parse(ts.borderTopColor), around) : __rxt.behind(track);
      check('slider track vs page', __rxt.contrast(trackColour, around), track);
      if (fill && __rxt.visible(fill)) check('slider fill vs page', __rxt.contrast(__rxt.behind(fill), around), fill);
      // the handle: its border (if at least 1 px) or its fill, against the page and the track
      const hs = getComputedStyle(handle), hBorder = parseFloat(hs.borderTopWidth) >= 1;
      const handleColour = hBorder ? __rxt.over(__rxt.parse(hs.borderTopColor), around) : __rxt.behind(handle);
      check('slider handle vs page', __rxt.contrast(handleColour, around), handle);
      check('slider handle vs track fill', Math.max(__rxt.contrast(handleColour, __rxt.behind(fill || track)),
            __rxt.contrast(__rxt.behind(handle), __rxt.behind(fill || track))), handle);
    });
    document.querySelectorAll('.rxt-explorer .widget-toggle-buttons').forEach(row => {
      if (!__rxt.visible(row)) return;
      const buttons = Array.from(row.querySelectorAll('button')), on = buttons.find(b => b.classList.contains('mod-active'));
      const off = buttons.find(b => !b.classList.contains('mod-active'));
      if (!on) { out.push('a row of buttons with none selected'); return; }
      const around = __rxt.behind(row, false);
      check('selected button vs page', __rxt.contrast(__rxt.behind(on), around), on);
      if (off) check('selected vs unselected button', __rxt.contrast(__rxt.behind(on), __rxt.behind(off)), on);
      buttons.forEach(b => { const bs = getComputedStyle(b);
        const edge = parseFloat(bs.borderTopWidth) >= 1 ? __rxt.over(__rxt.parse(bs.borderTopColor), around)
                                                          : __rxt.behind(b);
        check('button edge vs page', Math.max(__rxt.contrast(edge, around), __rxt.contrast(__rxt.behind(b), around)), b);
        check('button text', __rxt.textContrast(b) / 1.5, b);  // text: 4.5:1
      });
    });
    return out; }"""


@probe("controls", order=20, wants=lambda page, width, mode: width == 1280 and page in WIDGET_PAGES)
def control_contrast(page, page_path: str, width: int, mode: str) -> tuple[list[str], int]:
    with_helpers(page)
    count = page.locator(".rxt-explorer .noUi-handle, .rxt-explorer .widget-toggle-button").count()
    return page.evaluate(JS_CONTROLS), count


@pytest.mark.reads("controls")
@pytest.mark.parametrize("mode", ["light", "dark"])
@pytest.mark.parametrize("page_path", WIDGET_PAGES or ["(no widget page)"])
def test_controls_stand_out(page_path, mode, site, loads):
    """WCAG 1.4.11: a slider's track and handle, each button's edge and the selected button of a row are at least
    3:1 against what is beside them (the selected one against the others too); button text 4.5:1."""
    problems, count = loads.read("controls", page_path, 1280, mode)
    assert count, f"{page_path}: no explorer controls found"
    assert not problems, f"{page_path} ({mode}):\n" + "\n".join(problems[:30])


# -------------------------------------------------------------------------------------------------- dark mode

JS_LEGIBLE = """() => { const out = []; let checked = 0;
    const text = el => Array.from(el.childNodes).some(n => n.nodeType === 3 && n.textContent.trim());
    const selectors = ['.cell_output code', '.cell_output pre', '.output code', '.rxt-feedback', '.rxt-feedback *',
                       'figcaption', 'figcaption *', '.caption', '.caption *', '.rxt-pane', '.rxt-pane *'];
    document.querySelectorAll(selectors.join(', ')).forEach(el => {
      if (el.closest('svg') || !text(el) || !__rxt.visible(el)) return;
      checked += 1;
      const r = __rxt.textContrast(el);
      if (r < 4.5) out.push(r.toFixed(2) + ':1 ' + __rxt.describe(el));
    });
    // the pictures' labels: SVG text against the colour behind the picture, unless drawn on a shape of its own
    document.querySelectorAll('.bd-article svg text').forEach(t => {
      if (!__rxt.visible(t) || !t.textContent.trim()) return;
      checked += 1;
      const fill = __rxt.parse(getComputedStyle(t).fill);
      if (!fill) { out.push('svg text without a colour: ' + t.textContent.slice(0, 30)); return; }
      const svg = t.ownerSVGElement, box = t.getBoundingClientRect();
      // a shape right under the label's centre is its background
      const x = box.left + box.width / 2, y = box.top + box.height / 2;
      let under = null;
      for (const shape of svg.querySelectorAll('rect, circle, path, polygon')) {
        const b = shape.getBoundingClientRect(), f = __rxt.parse(getComputedStyle(shape).fill);
        if (f && f[3] > 0 && getComputedStyle(shape).fillOpacity !== '0' && b.left <= x && x <= b.right
            && b.top <= y && y <= b.bottom && b.width < 2000) under = f;
      }
      const back = under ? __rxt.over(under, __rxt.behind(svg, false)) : __rxt.behind(svg, false);
      const r = __rxt.contrast(__rxt.over(fill, back), back);
      if (r < 4.5) out.push(r.toFixed(2) + ':1 svg label "' + t.textContent.trim().slice(0, 30) + '"');
    });
    return {out, checked}; }"""


@probe("legible", order=20, wants=lambda page, width, mode: width == 1280)
def legibility(page, page_path: str, width: int, mode: str) -> dict:
    with_helpers(page)
    return page.evaluate(JS_LEGIBLE)


@pytest.mark.reads("legible")
@pytest.mark.parametrize("mode", ["dark", "light"])
@pytest.mark.parametrize("page_path", ALL_PAGES or ["(no built site)"])
def test_outputs_and_pictures_are_legible(page_path, mode, site, loads):
    """In dark mode (and light), code printed by cells, captions, the exercises' feedback, the explorers' text and
    the labels of their pictures (SVG text, which axe does not check) reach 4.5:1 against what is behind them
    (inline code in outputs was 1.01:1 in dark mode, captions 1.71:1)."""
    found = loads.read("legible", page_path, 1280, mode)
    assert not found["out"], f"{page_path} ({mode}), {len(found['out'])} of {found['checked']} texts:\n" + "\n".join(
        sorted(set(found["out"]))[:40])


# ----------------------------------------------------------------------------------------------- text spacing

TEXT_SPACING = """
* { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
p { margin-bottom: 2em !important; }
"""

JS_CLIPPED_OR_OVERLAPPING = """scope => { const out = [];
    const boxes = [];
    const walker = document.createTreeWalker(scope, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!n.textContent.trim() || !el || el.closest('svg, script, style, .visually-hidden, [aria-hidden="true"]')
          || !__rxt.visible(el)) continue;
      const range = document.createRange(); range.selectNodeContents(n);
      for (const r of range.getClientRects()) if (r.width > 1 && r.height > 1) boxes.push([r, el, n.textContent.trim()]);
      // clipped: the text is cut by an ancestor that hides its overflow
      for (let a = el; a && a !== scope.parentElement; a = a.parentElement) {
        const s = getComputedStyle(a);
        if ((s.overflowX === 'hidden' || s.overflowX === 'clip') && a.scrollWidth > a.clientWidth + 1
            || (s.overflowY === 'hidden' || s.overflowY === 'clip') && a.scrollHeight > a.clientHeight + 1) {
          out.push('clipped: "' + n.textContent.trim().slice(0, 40) + '" by ' + __rxt.describe(a)); break; }
      }
    }
    // text under a picture (an image or a drawing that is not the text's own)
    const pictures = Array.from(scope.querySelectorAll('img, svg')).filter(p => __rxt.visible(p)
      && !p.parentElement.closest('svg')).map(p => [p.getBoundingClientRect(), p]);
    for (const [r, el, t] of boxes) for (const [b, pic] of pictures) {
      if (pic.contains(el)) continue;
      const w = Math.min(r.right, b.right) - Math.max(r.left, b.left), h = Math.min(r.bottom, b.bottom) - Math.max(r.top, b.top);
      if (w > 2 && h > 2) out.push('text under a picture: "' + t.slice(0, 30) + '"');
    }
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, ea, ta] = boxes[i], [b, eb, tb] = boxes[j];
      if (ea === eb && ta === tb) continue;  // lines of one text
      const w = Math.min(a.right, b.right) - Math.max(a.left, b.left), h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
      if (w > 2 && h > 2) out.push('overlap: "' + ta.slice(0, 30) + '" and "' + tb.slice(0, 30) + '"');
    }
    return Array.from(new Set(out)); }"""


@probe("text spacing", order=90, wants=lambda page, width, mode: page in WIDGET_PAGES and mode == "light")
def with_text_spacing(page, page_path: str, width: int, mode: str) -> list[str]:
    """What clips or overlaps with WCAG 1.4.12's spacing forced on the page (last on a page: it restyles it)."""
    with_helpers(page)
    page.add_style_tag(content=TEXT_SPACING)
    page.wait_for_timeout(300)
    problems = []
    boxes = page.locator(".rxt-explorer")
    for i in range(boxes.count()):
        found = boxes.nth(i).evaluate(JS_CLIPPED_OR_OVERLAPPING)
        problems += [f"{page_path} @{width}px explorer {i + 1}: {p}" for p in found]
    wide = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    if wide > 1:
        problems.append(f"{page_path} @{width}px: the page is {wide}px wider than the screen")
    return problems


@pytest.mark.reads("text spacing")
@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("page_path", WIDGET_PAGES or ["(no widget page)"])
def test_text_spacing_breaks_no_explorer(page_path, width, site, loads):
    """WCAG 1.4.12: with line height 1.5, letter spacing 0.12 em, word spacing 0.16 em and 2 em after paragraphs
    forced on the page, no explorer's text (its labels, numbers, the photo explorer's column heads) is clipped or
    overlaps other text, and the page gets no wider than the screen."""
    problems = loads.read("text spacing", page_path, width, "light")
    assert not problems, "\n".join(problems[:40])


# -------------------------------------------------------------------------------------- the checks can fail

def test_checks_catch_planted_barriers(site, browser, base_url):
    """Each check above fails on a barrier planted in a real page: an outline-less nameless button, a formula-like
    tab stop, grey code on a dark page, and two overlapping labels."""
    page = open_in_mode(browser, base_url, "intro.html", 1280, "dark")
    try:
        with_helpers(page)
        page.evaluate("""() => { const main = document.querySelector('.bd-article') || document.body;
            const d = document.createElement('div'); d.id = 'rxt-planted'; d.className = 'cell_output';
            d.innerHTML = '<button id="rxt-bare" style="outline:none !important; box-shadow:none"></button>'
              + '<code style="color:#333">None</code>'
              + '<div class="rxt-explorer" style="position:relative; height:40px">'
              + '<span style="position:absolute; left:0; top:0">first label</span>'
              + '<span style="position:absolute; left:4px; top:2px">second label</span>'
              + '<span style="position:absolute; left:200px; top:0">covered</span><img width="40" height="20" '
              + 'style="position:absolute; left:200px; top:0" src="data:image/gif;base64,R0lGODlhAQABAIAAAP///wAAACwAAAAAAQABAAACAkQBADs="></div>';
            main.prepend(d); }""")
        page.focus("#rxt-bare")
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")
        stop = page.evaluate(JS_TAB_STOP)
        legible = page.evaluate(JS_LEGIBLE)["out"]
        spacing = page.locator("#rxt-planted .rxt-explorer").evaluate(JS_CLIPPED_OR_OVERLAPPING)
    finally:
        page.close()
    problems = focus_problems([stop], "planted")
    assert any("focus outline" in p for p in problems) and any("without an accessible name" in p for p in problems), \
        problems
    assert any('"None"' in p for p in legible), legible
    assert any("overlap" in p for p in spacing) and any("under a picture" in p for p in spacing), spacing
