"""The exercises' answer boxes in Chromium, on the built book with the network blocked and no kernel
(book_js/_static/rxt/exercises.js; tests/test_answer_boxes.py holds its verdicts to the Python check's on thousands
of answers). On every chapter page, every box, with the keyboard alone (Tab to the box, type or choose, Enter):

* one of its named slips gets that slip's hint, the right answer gets "Correct!", garbage (or nothing chosen) gets
  the check's message for it: each the Python check's own words for that answer;
* the verdict appears in a polite live region; the input has an accessible name that names the exercise;
* the verdict's colours reach 4.5:1 and the input's edge 3:1 against what is behind them, in light mode and in dark (the loaded page switched by the theme's button),
  and axe finds no violation on a page whose boxes show verdicts (the sweep of tests/browser/test_axe.py sees the
  boxes empty, as the page loads).

Screenshots of one box at 1280 and 390 px, light and dark, go to _build/screenshots/answer-box-*.png.
"""

from __future__ import annotations

import json

import pytest
from test_answer_boxes import CASES, CHECKS, exercise_of  # the unit test's list of the book's checks (tests/)

from resnext_teach.book.exercises.core import box_answer

from .conftest import site_pages
from .pages import open_in_mode, switch_mode
from .test_axe import TAGS, load_axe
from .test_barriers import keep_accessibility_tree, with_helpers
from .test_static_book import unexpected

CHAPTERS = [p for p in site_pages() if p.startswith("chapters/")]
MODES_AS_READ = ["light", "dark"]  # the page loads in light mode; the theme's button then switches it to dark


def exports() -> dict[str, tuple[str, dict]]:
    """Each exercise's exported JSON (as the page's attribute holds it) -> (check name, settings)."""
    return {CHECKS[name](None, **settings).exercise: (name, settings) for name, settings in CASES}


def typed(value, kind: str) -> str:
    """A value as a student types it into the box (or, for letters, the letters to choose)."""
    if kind == "letters":
        return "".join(sorted(value))
    if kind in ("set", "tuple"):
        return ", ".join(str(v) for v in (sorted(value) if kind == "set" else value))
    if isinstance(value, float) and (kind == "real" or not value.is_integer()):
        return repr(value)
    return str(int(value))


def python_says(name: str, settings: dict, text: str, kind: str) -> tuple[str, str]:
    check, reader = CHECKS[name], exercise_of(CHECKS[name]).reader
    value = box_answer(text, reader)
    if value is None:
        spec = json.loads(check(None, **settings).exercise)
        return "Your turn.", spec["empty"]
    feedback = check(value, **settings)
    return feedback.head, feedback.message


def answer_with_keyboard(page, index: int, kind: str, choices: list[str], single: bool, text: str) -> dict:
    """Tab from just above box `index` into it, enter `text` with the keyboard, press Enter; the verdict shown."""
    page.evaluate("""i => { const form = document.querySelectorAll('form.rxt-box')[i];
        const anchor = form.previousElementSibling; anchor.setAttribute('tabindex', '-1'); anchor.focus();
        form.querySelectorAll('input[type=checkbox], input[type=radio]').forEach(b => { b.checked = false; });
        }""", index)
    page.keyboard.press("Tab")
    focused = page.evaluate("""i => { const form = document.querySelectorAll('form.rxt-box')[i];
        const el = document.activeElement, group = el.closest('fieldset');
        return {inside: form.contains(el), type: el.type || el.tagName, role: el.computedRole || '',
                name: (group ? group.computedName + ': ' : '') + (el.computedName || '')}; }""", index)
    assert focused["inside"], f"box {index}: Tab from above did not reach it ({focused})"
    if kind != "letters":
        page.keyboard.press("Control+A")
        page.keyboard.press("Delete")
        if text:
            page.keyboard.insert_text(text) if len(text) > 200 else page.keyboard.type(text)
    elif single:
        if text:  # the arrow keys move through a radio group and choose as they go
            position = choices.index(text)
            page.keyboard.press("Space" if position == 0 else "ArrowRight")
            for _ in range(position - 1):
                page.keyboard.press("ArrowRight")
    else:
        for n, letter in enumerate(choices):  # Tab through the checkboxes, Space on each letter wanted
            if letter in text:
                page.keyboard.press("Space")
            if n < len(choices) - 1:
                page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_function("""i => { const r = document.querySelectorAll('form.rxt-box')[i]
        .querySelector('[role=status]'); return r && r.textContent.trim().length > 0; }""", arg=index, timeout=5_000)
    return {**focused, **page.evaluate("""i => { const form = document.querySelectorAll('form.rxt-box')[i];
        const region = form.querySelector('[role=status]');
        return {text: region.textContent.trim(), live: region.getAttribute('aria-live'),
                head: region.querySelector('b').textContent.slice(2)}; }""", index)}


@pytest.mark.parametrize("page_path", CHAPTERS or ["(no built site)"])
def test_every_answer_box_answers_a_slip_the_answer_and_garbage_from_the_keyboard(page_path, site, browser,
                                                                                  base_url, report):
    errors: list[str] = []
    page = open_in_mode(browser, base_url, page_path, 1280, "light", errors)
    try:
        keep_accessibility_tree(page)  # each box's accessible name is then a lookup, not the page's tree built anew
        known = exports()
        boxes = page.evaluate("""() => Array.from(document.querySelectorAll('form.rxt-box')).map(form => ({
            spec: form.previousElementSibling.getAttribute('data-rxt-exercise'),
            label: (form.querySelector('label.rxt-box-label, legend') || {}).textContent || ''}))""")
        declared = page.evaluate("() => document.querySelectorAll('p.rxt-feedback[data-rxt-exercise]').length")
        assert boxes and len(boxes) == declared, f"{page_path}: {declared} exercises, {len(boxes)} boxes"
        # above each box the page points to the box, not to a cell it cannot run
        above = set(page.evaluate("""() => Array.from(document.querySelectorAll('form.rxt-box'))
            .map(form => form.previousElementSibling.textContent.trim())"""))
        assert above == {"\u270e Your turn. Answer in the box below; in the notebook, replace None in the cell above "
                         "and run it."}, above
        problems = []
        for index, box in enumerate(boxes):
            assert box["spec"] in known, f"{page_path} box {index}: its exercise matches no check of the package"
            name, settings = known[box["spec"]]
            spec, exercise = json.loads(box["spec"]), exercise_of(CHECKS[name])
            kind, choices, single = spec["kind"], spec.get("choices", []), spec.get("single", False)
            hints = exercise.hints(**settings)
            slip_message, slip = next(iter(hints.items()))
            tries = [("slip", typed(slip, kind)), ("right", typed(exercise.expected(**settings), kind)),
                     ("garbage", "" if kind == "letters" else "abc")]
            for what, text in tries:
                shown = answer_with_keyboard(page, index, kind, choices, single, text)
                head, message = python_says(name, settings, text, kind)
                want = {"slip": "Not yet.", "right": "Correct!", "garbage": "Your turn." if kind == "letters"
                        else "Not yet."}[what]
                if what == "slip" and message != slip_message:
                    problems.append(f"box {index} ({name}): the slip's value {text!r} gets {message!r} in Python")
                if (shown["head"], shown["text"]) != (head, f"{head_mark(head)} {head} {message}") or head != want:
                    problems.append(f"box {index} ({name}) {what} {text[:40]!r}: page {shown['text'][:160]!r}, "
                                    f"Python {head} {message[:120]!r}")
                if shown["live"] != "polite":
                    problems.append(f"box {index}: the verdict is not in a polite live region ({shown['live']})")
                if "your answer" not in shown["name"].lower() or "Exercise" not in shown["name"]:
                    problems.append(f"box {index}: the focused control's name {shown['name']!r} names no exercise")
        report.pages.append(f"{page_path} (answer boxes)")
        assert not problems, f"{page_path}:\n" + "\n".join(problems)
        assert not unexpected(errors), unexpected(errors)
    finally:
        page.close()


def head_mark(head: str) -> str:
    return {"Correct!": "\u2714", "Not yet.": "\u2718", "Your turn.": "\u270e"}[head]


JS_BOX_CONTRAST = """() => { const out = [];
    document.querySelectorAll('form.rxt-box').forEach((form, i) => {
      form.querySelectorAll('.rxt-box-verdict, .rxt-box-verdict *, .rxt-box-label, .rxt-box-hint').forEach(el => {
        if (!__rxt.visible(el) || !el.textContent.trim()) return;
        const r = __rxt.textContrast(el);
        if (r < 4.5) out.push(`box ${i}: text ${r.toFixed(2)}:1 ${__rxt.describe(el)}`); });
      form.querySelectorAll('.rxt-box-input, .rxt-box-letter').forEach(el => {
        const s = getComputedStyle(el), edge = __rxt.parse(s.borderTopColor);
        const r = __rxt.contrast(__rxt.over(edge, __rxt.behind(el, false)), __rxt.behind(el, false));
        if (r < 3) out.push(`box ${i}: edge ${r.toFixed(2)}:1 ${__rxt.describe(el)}`); });
    });
    return out; }"""


# axe-core on the boxes alone (test_axe.py sweeps every whole page, with the boxes as the page loads)
JS_AXE_ON_BOXES = """async tags => {
    const r = await axe.run(document.querySelectorAll('form.rxt-box'),
                            {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
    return r.violations.flatMap(v => v.nodes.map(n => `${v.id}: ${n.target.join(' ')} ${n.html.slice(0, 120)}`)); }"""


def show_verdicts(page) -> None:
    """A verdict under every box: Correct! under the first, Not yet. under the second, Your turn. under the third."""
    page.evaluate("""() => { const forms = Array.from(document.querySelectorAll('form.rxt-box'));
        forms.forEach((form, i) => {
          const spec = JSON.parse(form.previousElementSibling.getAttribute('data-rxt-exercise'));
          const input = form.querySelector('.rxt-box-input');
          let text = i % 3 === 2 ? '' : 'abc';
          if (i % 3 === 0 && input) text = spec.kind === 'set' || spec.kind === 'tuple' ? spec.expected.join(', ')
              : String(spec.expected);
          if (input) input.value = text;
          else if (i % 3 !== 2) form.querySelector('input').checked = true;
          form.requestSubmit(); }); }""")
    page.wait_for_timeout(300)


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("chapter", ["02_", "04_"])  # a list and a one-of-four choice; checkboxes
def test_answer_boxes_are_legible_and_pass_axe_with_their_verdicts_shown(chapter, width, site, browser, base_url,
                                                                          screenshots):
    """In light mode as the page loads, then in dark mode after the theme's button (as a reader switches)."""
    page_path = next((p for p in CHAPTERS if chapter in p), None)
    if page_path is None:
        pytest.fail(f"no chapter page {chapter}* built")
    page = open_in_mode(browser, base_url, page_path, width, "light")
    try:
        show_verdicts(page)
        with_helpers(page)
        page.add_script_tag(content=load_axe())
        problems = []
        for mode in MODES_AS_READ:
            switch_mode(page, page_path, mode)
            where = f"{page_path} @{width}px {mode}"
            problems += [f"{where}: {p}" for p in page.evaluate(JS_BOX_CONTRAST)]
            problems += [f"{where}: axe: {v}" for v in page.evaluate(JS_AXE_ON_BOXES, TAGS)[:5]]
            overflow = page.evaluate("""() => Array.from(document.querySelectorAll('form.rxt-box')).filter(f =>
                f.scrollWidth > f.clientWidth + 1 || f.getBoundingClientRect().right > innerWidth + 1).length""")
            if overflow:
                problems.append(f"{where}: {overflow} boxes wider than the screen")
            box = page.locator("form.rxt-box").nth(1 if chapter == "02_" else 3)
            box.scroll_into_view_if_needed()
            shot = box.locator("xpath=ancestor::div[contains(@class, 'cell_output')][1]")
            (shot if shot.count() else box).first.screenshot(
                path=str(screenshots / f"answer-box-{chapter}{width}-{mode}.png"))
    finally:
        page.close()
    assert not problems, "\n".join(problems)


def test_the_box_checks_catch_planted_barriers(site, browser, base_url):
    """The contrast check and axe on the boxes can fail: a faint verdict, a faint edge and a nameless field."""
    page_path = next((p for p in CHAPTERS if "02_" in p), None)
    if page_path is None:
        pytest.fail("no chapter page 02_* built")
    page = open_in_mode(browser, base_url, page_path, 1280, "light")
    try:
        show_verdicts(page)
        page.evaluate("""() => { const form = document.querySelector('form.rxt-box');
            form.querySelector('.rxt-box-verdict').style.color = '#bbbbbb';
            const input = form.querySelector('.rxt-box-input');
            input.style.borderColor = '#eeeeee'; form.querySelector('label.rxt-box-label').remove();
            input.removeAttribute('aria-describedby'); }""")
        with_helpers(page)
        problems = page.evaluate(JS_BOX_CONTRAST)
        assert any("text" in p for p in problems) and any("edge" in p for p in problems), problems
        page.add_script_tag(content=load_axe())
        found = " ".join(page.evaluate(JS_AXE_ON_BOXES, TAGS))
        assert "color-contrast" in found and "label" in found, found
    finally:
        page.close()
