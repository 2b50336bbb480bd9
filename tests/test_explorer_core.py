"""The explorer mechanism: panes, formats, nested stacks linked to controls, and the ipywidgets 7 fallback.

The checks that end this file run over every explorer: the book's fixed explorers (``EXPLORERS``) and the data
explorers, built from small real measurements (``test_explorers_sweep.small_sweep``) as a chapter builds them from
its own. A new kind of data explorer is added to ``data_explorers()`` and ``DATA_NAMES``.
"""

import functools
import importlib
import json
import pkgutil
import re
from html import unescape
from pathlib import Path

import ipywidgets
import pytest

import resnext_teach.book.explorers as explorers_package
from resnext_teach import conv2d_params
from resnext_teach.book.explorers import EXPLORERS, Control, Explorer, all_explorers, value_table
from resnext_teach.book.explorers import sweep
from resnext_teach.book.exercises import Feedback, check_integer
from test_explorers_sweep import small_sweep
import sources
from sources import read_source

CHAPTERS = Path(__file__).resolve().parent.parent / "chapters"


DATA_NAMES = (sweep.NAME,)
NAMES = [ex.name for ex in EXPLORERS] + list(DATA_NAMES)  # what the checks are parametrized over


@functools.cache
def data_explorers() -> tuple[Explorer, ...]:
    """The data explorers as a chapter makes them, from small real measurements (made when a test first asks,
    not when the tests are collected)."""
    return (sweep.sweep_explorer(small_sweep()),)


def every_explorer() -> tuple[Explorer, ...]:
    return EXPLORERS + data_explorers()


def explorer_named(name: str) -> Explorer:
    found = {ex.name: ex for ex in every_explorer()}
    assert list(found) == NAMES, "every explorer is checked once, under its own name"
    return found[name]


def saved_links(build) -> tuple[object, list[tuple[str, str, str, str]]]:
    """``build()`` a widget with no other widget alive, and return it with the links the page saves beside it:
    ``(source model id, trait, target model id, trait)`` of every ``LinkModel`` in the kernel's widget state, the
    state a built page embeds (ipywidgets' own ``Widget.get_manager_state``)."""
    ipywidgets.Widget.close_all()
    box = build()
    state = ipywidgets.Widget.get_manager_state()["state"]
    links = []
    for model in state.values():
        if model["model_name"] == "LinkModel":
            (source, source_trait), (target, target_trait) = model["state"]["source"], model["state"]["target"]
            model_id = "IPY_MODEL_"
            links.append((source.removeprefix(model_id), source_trait, target.removeprefix(model_id), target_trait))
    return box, links


def small_explorer() -> Explorer:
    return Explorer(
        name="test-small",
        title="Test",
        controls=(Control("groups", "groups", (1, 2, 4), 2), Control("bias", "bias", (False, True), False, kind="toggle")),
        compute=lambda groups, bias: {"params": conv2d_params(8, 8, 3, groups=groups, bias=bias)},
        render=lambda s, v: value_table([("weights", "params", f"{v['params']:,}")]),
    )


def test_positions_and_panes():
    ex = small_explorer()
    positions = list(ex.positions())
    assert len(positions) == 6 and positions[0] == {"groups": 1, "bias": False}
    pane = ex.pane(groups=4, bias=True)
    settings = json.loads(re.search(r'data-rxt-settings="([^"]*)"', pane).group(1).replace("&quot;", '"'))
    assert settings == {"bias": True, "groups": 4}
    assert '<span data-rxt-key="params">' + f"{conv2d_params(8, 8, 3, groups=4, bias=True):,}" + "</span>" in pane


def test_widget_stacks_are_linked_to_controls():
    if not hasattr(ipywidgets, "Stack"):
        pytest.skip("ipywidgets 7 has no Stack (covered by the Colab-like test)")
    ex = small_explorer()
    box, links = saved_links(ex.widget)
    _title, groups, bias, outer = box.children
    assert isinstance(outer, ipywidgets.Stack) and outer.selected_index == 1
    assert len(outer.children) == 3 and all(len(inner.children) == 2 for inner in outer.children)
    assert len(links) == 1 + len(outer.children)
    assert all(traits == ("index", "selected_index") for traits in ((s, t) for _, s, _, t in links))
    targets = {(source, target) for source, _, target, _ in links}
    assert (groups.model_id, outer.model_id) in targets
    assert all((bias.model_id, inner.model_id) in targets for inner in outer.children)
    leaf = outer.children[2].children[1]
    assert "data-rxt-settings" in leaf.value and '&quot;groups&quot;: 4' in leaf.value


def test_bad_controls():
    with pytest.raises(ValueError, match="default=3 of control 'g' is not one of its options"):
        Control("g", "g", (1, 2), 3)
    with pytest.raises(ValueError, match="kind='knob' must be 'slider' or 'toggle'"):
        Control("g", "g", (1, 2), 1, kind="knob")


def test_the_tuple_holds_every_fixed_explorer_once_in_chapter_order_with_unique_names():
    """``EXPLORERS`` is written by hand: it must hold each explorer constant of the package's modules, once, in the
    order the chapters import them; ``all_explorers()`` keeps that order; names are unique."""
    names = [ex.name for ex in EXPLORERS]
    assert len(set(names)) == len(names), names
    assert list(all_explorers()) == names and all(all_explorers()[ex.name] is ex for ex in EXPLORERS)
    constants = {}
    for info in pkgutil.iter_modules(explorers_package.__path__):
        module = importlib.import_module(f"{explorers_package.__name__}.{info.name}")
        constants |= {f"{info.name}.{k}": v for k, v in vars(module).items() if isinstance(v, Explorer)}
    missing = [k for k, v in constants.items() if not any(v is ex for ex in EXPLORERS)]
    assert not missing, f"explorers missing from EXPLORERS in resnext_teach/book/explorers/__init__.py: {missing}"
    by_constant = {k.split(".")[-1]: v for k, v in constants.items()}
    shown = []  # the explorer constants in the order the chapters import them
    for chapter in sources.CHAPTERS:
        cells = read_source(chapter).cells
        for cell in cells:
            source = "".join(cell["source"])
            for found in re.findall(r"from resnext_teach\.book\.explorers\.\w+ import (\([^)]*\)|.*)", source):
                shown += [n for n in re.findall(r"\b[A-Z_]+_EXPLORER\b", found) if n in by_constant]
    assert [by_constant[n].name for n in dict.fromkeys(shown)] == names, "EXPLORERS is not in chapter order"


@pytest.mark.parametrize("name", NAMES)
def test_every_explorer_builds_its_default_pane(name):
    explorer = explorer_named(name)
    assert "rxt-pane" in explorer.pane(**explorer.defaults)


def test_two_explorers_with_one_name_are_refused(monkeypatch):
    monkeypatch.setattr(explorers_package, "EXPLORERS", EXPLORERS + (EXPLORERS[0],))
    with pytest.raises(ValueError, match=f"explorer names must be unique: \\['{EXPLORERS[0].name}'\\]"):
        explorers_package.all_explorers()


@pytest.mark.parametrize("name", NAMES)
def test_a_data_explorer_carries_its_data_in_every_pane_and_a_fixed_one_none(name):
    """A pane's ``data-rxt-data`` is the explorer's data (JSON), so a page carries what its numbers come from."""
    explorer = explorer_named(name)
    for settings in explorer.positions():
        found = re.search(r'data-rxt-data="([^"]*)"', explorer.pane(**settings))
        if explorer.data is None:
            assert found is None
        else:
            assert json.loads(unescape(found.group(1))) == explorer.data


def test_check_integer_feedback_never_shows_the_answer():
    assert check_integer(2304, 2304)
    for wrong in (73728, 2305, 1, -5, 0, 2304.5):
        fb = check_integer(wrong, 2304)
        assert not fb and "2304" not in fb.message and "2,304" not in fb.message
    assert "Replace None" in str(check_integer(None, 2304))
    assert "not text" in check_integer("2304", 2304).message
    assert check_integer(73728, 2304, hints={"Did you divide by the groups?": 73728}).message == "Did you divide by the groups?"
    assert isinstance(check_integer(1, 2), Feedback) and "Not yet" in check_integer(1, 2)._repr_html_()


@pytest.mark.parametrize("name", NAMES)
def test_every_explorer_widget_holds_every_pane_in_order_with_one_link_per_stack(name):
    """For each explorer: the nested stacks' leaves are exactly the panes of positions(), in order, each stack
    starts at its control's default, and the page saves one link per stack, from the control of its level."""
    ex = explorer_named(name)
    if not hasattr(ipywidgets, "Stack"):
        pytest.skip("ipywidgets 7 has no Stack (covered by the Colab-like test)")
    box, links = saved_links(ex.widget)
    controls, root = box.children[1:-1], box.children[-1]
    leaves, stacks = [], []  # stacks: (stack, level)

    def walk(w, level):
        if isinstance(w, ipywidgets.Stack):
            stacks.append((w, level))
            assert w.selected_index == ex.controls[level].default_index
            for child in w.children:
                walk(child, level + 1)
        else:
            leaves.append(w.value)

    walk(root, 0)
    assert leaves == [ex.pane(**p) for p in ex.positions()]
    assert sorted(links) == sorted((controls[level].model_id, "index", stack.model_id, "selected_index")
                                   for stack, level in stacks)


@pytest.mark.parametrize("name", NAMES)
def test_every_explorer_pane_shows_exactly_its_formatted_values(name):
    """What a reader sees at each position is the explorer's numbers, formatted by its own rules, with no images
    embedded as base64 and every picture an accessible SVG."""
    ex = explorer_named(name)
    for settings in ex.positions():
        values = ex.compute(**settings)
        pane = ex.pane(**settings)
        shown = dict(re.findall(r'<span data-rxt-key="([^"]+)">([^<]*)</span>', pane))
        assert shown == {k: ex.format(k, v) for k, v in values.items()}, settings
        assert pane.count("<svg") == pane.count('role="img"'), settings
        # inline pictures only as <img> with a text alternative (the photo explorer's maps)
        assert pane.count("base64") == pane.count('<img src="data:image/png;base64,'), settings
        assert pane.count("<img") == len(re.findall(r'<img [^>]*alt="[^"]{8,}"', pane)), settings


BAR = re.compile(r'<rect x="[\d.]+" y="[\d.]+" width="(?P<w>[\d.]+)" height="[\d.]+" fill="[^"]+" '
                 r'data-rxt-value="(?P<v>[\d.e+-]+)"/>')


@pytest.mark.parametrize("name", NAMES)
def test_every_explorer_draws_its_bars_on_one_scale_across_all_positions(name):
    """Doubling a number doubles its bar: length / value is one constant per explorer, over every position."""
    explorer = explorer_named(name)
    bars = [(float(m["w"]), float(m["v"])) for position in explorer.positions()
            for m in BAR.finditer(explorer.pane(**position))]
    if not bars:
        return  # no bars to check (test_the_block_cardinality_model_and_sweep_explorers_draw_bars: who must)
    longest, value = max(bars)
    scale = longest / value  # pixels per unit of the longest bar
    wrong = [(w, v) for w, v in bars if abs(w - v * scale) > 0.002]  # widths are written to 0.001 px
    assert not wrong, f"bars not drawn on one scale: {wrong[:5]}"


def test_the_block_cardinality_model_and_sweep_explorers_draw_bars():
    """The bar check above means something: these explorers draw bars the pattern finds."""
    drawing = {ex.name for ex in every_explorer() if any(BAR.search(ex.pane(**p)) for p in ex.positions())}
    assert {"block-layer-counts", "cardinality-budget", "model-family", "groups-sweep"} <= drawing, drawing


@pytest.mark.parametrize("name", NAMES)
def test_show_is_one_output_with_the_widget_view_and_the_default_pane(name):
    """A chapter shows an explorer once: one output whose widget view names the live widget, and whose HTML is
    the default pane naming the same widget (what a client without widgets, or the built page, shows first)."""
    explorer = explorer_named(name)
    bundle = explorer.show()._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    html = bundle["text/html"]
    assert html.startswith(f'<div class="rxt-static" data-rxt-model="{view["model_id"]}">')
    assert explorer.pane(**explorer.defaults) in html
    assert view["version_major"] == 2 and view["model_id"]
