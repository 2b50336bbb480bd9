"""The explorer mechanism: panes, formats, nested stacks linked to controls, and the ipywidgets 7 fallback."""

import json
import re

import ipywidgets
import pytest

from resnext_teach import conv2d_params
from resnext_teach.explorers import Control, Explorer, all_explorers, value_table
from resnext_teach.exercises import Feedback, check_integer


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
    box = ex.widget()
    _title, groups, bias, outer = box.children
    assert isinstance(outer, ipywidgets.Stack) and outer.selected_index == 1
    assert len(outer.children) == 3 and all(len(inner.children) == 2 for inner in outer.children)
    targets = {(id(link.source[0]), id(link.target[0])) for link in box.rxt_links}
    assert all(link.source[1] == "index" and link.target[1] == "selected_index" for link in box.rxt_links)
    assert (id(groups), id(outer)) in targets
    assert all((id(bias), id(inner)) in targets for inner in outer.children)
    leaf = outer.children[2].children[1]
    assert "data-rxt-settings" in leaf.value and '&quot;groups&quot;: 4' in leaf.value


def test_bad_controls():
    with pytest.raises(ValueError, match="default=3 of control 'g' is not one of its options"):
        Control("g", "g", (1, 2), 3)
    with pytest.raises(ValueError, match="kind='knob' must be 'slider' or 'toggle'"):
        Control("g", "g", (1, 2), 1, kind="knob")


def test_registry_names_are_unique_and_every_explorer_builds_its_default_pane():
    for name, ex in all_explorers().items():
        assert ex.name == name
        assert "rxt-pane" in ex.pane(**ex.defaults)


def test_check_integer_feedback_never_shows_the_answer():
    assert check_integer(2304, 2304)
    for wrong in (73728, 2305, 1, -5, 0, 2304.5):
        fb = check_integer(wrong, 2304)
        assert not fb and "2304" not in fb.message and "2,304" not in fb.message
    assert "Replace None" in str(check_integer(None, 2304))
    assert "not str" in check_integer("2304", 2304).message
    assert check_integer(73728, 2304, hints={"Did you divide by the groups?": 73728}).message == "Did you divide by the groups?"
    assert isinstance(check_integer(1, 2), Feedback) and "Not yet" in check_integer(1, 2)._repr_html_()


def test_every_explorer_widget_holds_every_pane_in_order_with_one_link_per_stack():
    """For each registered explorer: the nested stacks' leaves are exactly the panes of positions(), in order,
    each stack starts at its control's default, and each stack is linked to its control."""
    if not hasattr(ipywidgets, "Stack"):
        pytest.skip("ipywidgets 7 has no Stack (covered by the Colab-like test)")
    for name, ex in all_explorers().items():
        box = ex.widget()
        controls, root = box.children[1:-1], box.children[-1]
        leaves, stacks = [], []

        def walk(w, level):
            if isinstance(w, ipywidgets.Stack):
                stacks.append(w)
                assert w.selected_index == ex.controls[level].default_index, name
                for child in w.children:
                    walk(child, level + 1)
            else:
                leaves.append(w.value)

        walk(root, 0)
        assert leaves == [ex.pane(**p) for p in ex.positions()], name
        linked = {(id(link.source[0]), id(link.target[0])) for link in box.rxt_links}
        assert len(box.rxt_links) == len(stacks)
        assert all(any((id(c), id(s)) in linked for c in controls) for s in stacks), name


def test_every_explorer_pane_shows_exactly_its_formatted_values():
    """What a reader sees at each position is the explorer's numbers, formatted by its own rules, with no images
    embedded as base64 and every picture an accessible SVG."""
    for name, ex in all_explorers().items():
        for settings in ex.positions():
            values = ex.compute(**settings)
            pane = ex.pane(**settings)
            shown = dict(re.findall(r'<span data-rxt-key="([^"]+)">([^<]*)</span>', pane))
            assert shown == {k: ex.format(k, v) for k, v in values.items()}, (name, settings)
            assert pane.count("<svg") == pane.count('role="img"'), (name, settings)
            # inline pictures only as <img> with a text alternative (the photo explorer's maps)
            assert pane.count("base64") == pane.count('<img src="data:image/png;base64,'), (name, settings)
            assert pane.count("<img") == len(re.findall(r'<img [^>]*alt="[^"]{8,}"', pane)), (name, settings)


def test_every_explorer_draws_its_bars_on_one_scale_across_all_positions():
    """Doubling a number doubles its bar: length / value is one constant per explorer, over every position."""
    from resnext_teach.explorers import all_explorers

    bar = re.compile(r'<rect x="[\d.]+" y="[\d.]+" width="(?P<w>[\d.]+)" height="[\d.]+" fill="[^"]+" '
                     r'data-rxt-value="(?P<v>[\d.e+-]+)"/>')
    checked = 0
    for name, explorer in all_explorers().items():
        bars = [(float(m["w"]), float(m["v"])) for position in explorer.positions()
                for m in bar.finditer(explorer.pane(**position))]
        if bars:
            checked += 1
            longest, value = max(bars)
            scale = longest / value  # pixels per unit of the longest bar
            wrong = [(w, v) for w, v in bars if abs(w - v * scale) > 0.002]  # widths are written to 0.001 px
            assert not wrong, f"{name}: bars not drawn on one scale: {wrong[:5]}"
    assert checked >= 3, "the block, cardinality and model explorers draw bars"


def test_show_is_one_output_with_the_widget_view_and_the_default_pane():
    """A chapter shows an explorer once: one output whose widget view names the live widget, and whose HTML is
    the default pane naming the same widget (what a client without widgets, or the built page, shows first)."""
    from resnext_teach.explorers import all_explorers

    for name, explorer in all_explorers().items():
        bundle = explorer.show()._repr_mimebundle_()
        view = bundle["application/vnd.jupyter.widget-view+json"]
        html = bundle["text/html"]
        assert html.startswith(f'<div class="rxt-static" data-rxt-model="{view["model_id"]}">'), name
        assert explorer.pane(**explorer.defaults) in html, name
        assert view["version_major"] == 2 and view["model_id"]
