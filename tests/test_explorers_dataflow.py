"""Chapter 4's data-flow explorer (the block in forms (a), (b), (c)): every position's shapes, parameters and
multiply-adds against the real modules of each form, the three outputs against each other, the drawing's one
scale, the pictures' text alternatives, the page weight, and ``show()``."""

import json
import re
from collections import defaultdict

import ipywidgets
import pytest
import torch
from torch import nn

from resnext_teach import FORM_TOLERANCE, FORMS, count_parameters, make_block, measure_macs
from resnext_teach.book.explorers import EXPLORERS
from resnext_teach.book.explorers.dataflow import DATAFLOW_EXPLORER, SVG_WIDTH
from resnext_teach.book.explorers.dataflow_forms import (
    BOTTLENECK_WIDTHS,
    CARDINALITIES,
    CHANNELS,
    DRAWN_CHANNELS,
    FORM_KEYS,
    dataflow_numbers,
    form_blocks,
    form_outputs,
)
from test_explorer_core import saved_links

POSITIONS = list(DATAFLOW_EXPLORER.positions())
LETTER = {form: letter for letter, form in FORM_KEYS.items()}
SPAN = re.compile(r'<span data-rxt-key="([^"]+)">([^<]*)</span>')


def position_id(settings: dict) -> str:
    return f"{settings['cardinality']}x{settings['bottleneck_width']}d"


def measured(form: str, cardinality: int, bottleneck_width: int) -> dict:
    """What the real module of ``form`` has at 56x56 (meta device): per layer name (conv1, conv2, conv3) its
    modules, their parameters, their multiply-adds (``measure_macs`` of each module on the input it received)
    and output shapes; BN parameters; totals by ``count_parameters`` and ``measure_macs``; the tensor where the
    paths meet and the block's output shape."""
    with torch.device("meta"):
        block = make_block(form, CHANNELS, 64, cardinality, bottleneck_width)
    x = torch.empty(1, CHANNELS, 56, 56, device="meta")
    seen = defaultdict(list)

    def hook(name):
        def record(module, args, output):
            seen[name].append((module, args[0], tuple(output.shape)))  # returns None: output unchanged
        return record

    handles = [m.register_forward_hook(hook(name.rsplit(".", 1)[-1]))
               for name, m in block.named_modules() if isinstance(m, nn.Conv2d)]
    meet = {}

    def record_input(_module, args):
        meet["shape"] = tuple(args[0].shape)  # returns None: input unchanged

    def record_output(_module, _args, output):
        meet["out"] = tuple(output.shape)

    if form != "grouped":  # where the paths meet: the input of (a)'s bn3 (the sum), of (b)'s conv3 (the concatenation)
        handles.append((block.bn3 if form == "aggregated" else block.conv3).register_forward_pre_hook(record_input))
    handles.append(block.register_forward_hook(record_output))
    macs = measure_macs(block, x)  # its one forward pass fires the hooks
    for h in handles:
        h.remove()
    layers = {}
    for name, calls in seen.items():
        layers[name] = {
            "n": len(calls),
            "params": sum(p.numel() for m, _, _ in calls for p in m.parameters()),
            "macs": sum(measure_macs(m, inp) for m, inp, _ in calls),
            "shapes": {shape for _, _, shape in calls},
        }
    return {
        "layers": layers,
        "convs": sum(isinstance(m, nn.Conv2d) for m in block.modules()),
        "bn_params": sum(p.numel() for m in block.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters()),
        "params": count_parameters(block),
        "macs": macs,
        "meet": meet.get("shape"),
        "out": meet["out"],
    }


def test_positions_and_total_size():
    assert len(POSITIONS) == len(CARDINALITIES) * len(BOTTLENECK_WIDTHS) <= 48
    assert DATAFLOW_EXPLORER.defaults == {"cardinality": 32, "bottleneck_width": 4}  # the paper's ResNeXt-50 block
    assert {"cardinality": 1, "bottleneck_width": 64} in POSITIONS  # ResNet's block, the C=1 member
    sizes = [len(DATAFLOW_EXPLORER.pane(**p)) for p in POSITIONS]
    assert sum(sizes) < 400_000, f"{sum(sizes):,} characters in all panes"  # each pane is saved in the page
    assert max(sizes) < 12_000


@pytest.mark.parametrize("settings", POSITIONS, ids=position_id)
def test_every_position_matches_the_real_modules_of_each_form(settings):
    c, d = settings["cardinality"], settings["bottleneck_width"]
    values = dataflow_numbers(**settings)
    assert values["input_shape"] == (1, CHANNELS, 56, 56)
    for form in FORMS:
        f = LETTER[form]
        real = measured(form, c, d)
        assert values[f"{f}_params"] == real["params"]
        assert values[f"{f}_macs"] == real["macs"]
        paper = {"aggregated": 3 * c, "concatenated": 2 * c + 1, "grouped": 3}[form]  # Fig. 3: 3C, 2C + 1, 3
        assert values[f"{f}_convs"] == real["convs"] == paper
        assert values[f"{f}_bn_params"] == real["bn_params"]
        for name, layer in real["layers"].items():
            assert values[f"{f}_{name}_n"] == layer["n"], (form, name)
            assert values[f"{f}_{name}_params"] == layer["params"], (form, name)
            assert values[f"{f}_{name}_macs"] == layer["macs"], (form, name)
            assert {values[f"{f}_{name}_shape"]} == layer["shapes"], (form, name)
        assert sum(values[f"{f}_{n}_params"] for n in ("conv1", "conv2", "conv3", "bn")) == real["params"]
        assert sum(values[f"{f}_{n}_macs"] for n in ("conv1", "conv2", "conv3")) == real["macs"]
        assert values[f"{f}_out_shape"] == real["out"] == (1, CHANNELS, 56, 56)
        if form == "aggregated":
            assert values["a_sum_shape"] == real["meet"] == (1, CHANNELS, 56, 56)
        if form == "concatenated":
            assert values["b_cat_shape"] == real["meet"] == (1, c * d, 56, 56)
    # the three forms: the same parameters and multiply-adds, layer by layer
    for key in ("conv1_params", "conv1_macs", "conv2_params", "conv2_macs", "conv3_params", "conv3_macs",
                "bn_params", "params", "macs"):
        assert values[f"a_{key}"] == values[f"b_{key}"] == values[f"c_{key}"], key
    assert values["c_conv1_shape"] == values["c_conv2_shape"] == (1, c * d, 56, 56)
    assert values["a_conv1_shape"] == values["b_conv2_shape"] == (1, d, 56, 56)


def test_every_position_reports_outputs_within_the_tolerance():
    for settings in POSITIONS:
        values = dataflow_numbers(**settings)
        assert values["check_shape"] == (1, CHANNELS, 8, 8)
        assert values["outputs"] == CHANNELS * 8 * 8
        assert values["outside"] == 0, settings
        assert 0 <= values["a_vs_c"] < 1e-4 and 0 <= values["b_vs_c"] < 1e-4, settings


CHECKED = [{"cardinality": 32, "bottleneck_width": 4}, {"cardinality": 8, "bottleneck_width": 16},
           {"cardinality": 1, "bottleneck_width": 64}]


@pytest.mark.parametrize("settings", CHECKED, ids=position_id)
def test_the_output_check_uses_one_set_of_weights_and_is_computed(settings):
    x, blocks = form_blocks(**settings)
    grouped = blocks["grouped"].state_dict()
    assert not grouped["bn2.running_var"].eq(1).all() and not grouped["bn3.bias"].eq(0).all()  # BN is not trivial
    for form in ("aggregated", "concatenated"):
        assert not blocks[form].training
        copied = blocks[form].grouped_state_dict()
        assert copied.keys() == grouped.keys()
        assert all(torch.equal(copied[k], grouped[k]) for k in grouped), form
    _, outputs = form_outputs(**settings)
    c = outputs["grouped"]
    assert c.abs().max() > 0.1  # a real output, not zeros
    values = dataflow_numbers(**settings)
    for form in ("aggregated", "concatenated"):
        torch.testing.assert_close(outputs[form], c, **FORM_TOLERANCE)
        assert values[f"{LETTER[form]}_vs_c"] == (outputs[form] - c).abs().max().item()
    if settings["cardinality"] == 1:  # one path: (a) and (c) do the same arithmetic
        assert values["a_vs_c"] == 0.0


def test_the_check_leaves_the_random_state_and_threads_alone():
    threads = torch.get_num_threads()
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    form_outputs(cardinality=2, bottleneck_width=4)
    assert torch.equal(torch.rand(3), expected)
    assert torch.get_num_threads() == threads


def test_every_pane_shows_exactly_its_values():
    for settings in POSITIONS:
        values = dataflow_numbers(**settings)
        pane = DATAFLOW_EXPLORER.pane(**settings)
        shown = SPAN.findall(pane)
        for key, text in shown:  # a key shown twice shows the same text
            assert text == DATAFLOW_EXPLORER.format(key, values[key]), (settings, key)
        assert {k for k, _ in shown} == set(values), settings
        assert "the same in the three forms" in pane and "base64" not in pane
        assert f"cardinality={settings['cardinality']}, bottleneck_width={settings['bottleneck_width']})" in pane
        assert DATAFLOW_EXPLORER.format("a_vs_c", values["a_vs_c"]) in pane


BOX = re.compile(r'<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="[^"]+" '
                 r'data-rxt-value="(\d+)"/>')
DASH = re.compile(r'<path d="M([\d.]+) [\d.]+h([\d.]+)" [^>]*stroke-dasharray="([\d.]+) ([\d.]+)" '
                  r'data-rxt-channels="(\d+)"/>')


def test_one_drawing_scale_across_every_position():
    """Every box, whole tensor or one of a row of paths and groups, is as wide as its channels on one scale,
    and nothing is drawn beyond the picture."""
    per_channel = set()
    drawn = 0
    for settings in POSITIONS:
        values = dataflow_numbers(**settings)
        pane = DATAFLOW_EXPLORER.pane(**settings)
        widest = max(v[1] for k, v in values.items() if k.endswith("_shape"))
        if widest > DRAWN_CHANNELS:
            assert "<svg" not in pane and "No diagrams here" in pane, settings
            continue
        drawn += 1
        boxes = BOX.findall(pane)
        dashes = DASH.findall(pane)
        assert boxes and (dashes or settings["cardinality"] == 1), settings
        for x, width, channels in boxes:
            per_channel.add(round(float(width) / int(channels), 5))
            assert float(x) + float(width) <= SVG_WIDTH
        for x, length, dash, _gap, channels in dashes:
            per_channel.add(round(float(dash) / int(channels), 5))
            assert float(x) + float(length) <= SVG_WIDTH
        if settings["cardinality"] > 1:  # C separate paths: 2 rows in (a), 2 in (b); C groups: 1 in (b), 2 in (c)
            assert len(dashes) == 7, settings
    assert drawn >= 0.8 * len(POSITIONS)
    assert max(int(ch) for p in POSITIONS for *_, ch in BOX.findall(DATAFLOW_EXPLORER.pane(**p))) == DRAWN_CHANNELS
    scales = sorted(per_channel)
    assert scales[-1] - scales[0] < 0.001 * scales[0], scales  # widths are written to 0.001 px


def test_every_picture_has_a_text_alternative():
    for settings in POSITIONS:
        pane = DATAFLOW_EXPLORER.pane(**settings)
        svgs = re.findall(r"<svg [^>]*>.*?</svg>", pane)
        assert len(svgs) in (0, 3) and pane.count("<svg") == len(svgs)
        for letter, svg in zip("abc", svgs):
            label = re.search(r'aria-label="([^"]+)"', svg).group(1)
            title = re.search(r"<title>([^<]+)</title>", svg).group(1)
            assert 'role="img"' in svg and label == title
            assert title.startswith(f"Form ({letter}), {settings['cardinality']}x{settings['bottleneck_width']}d:")


def test_show_is_one_output_with_the_live_widget_and_the_default_pane():
    assert DATAFLOW_EXPLORER in EXPLORERS
    bundle = DATAFLOW_EXPLORER.show()._repr_mimebundle_()
    view = bundle["application/vnd.jupyter.widget-view+json"]
    assert bundle["text/html"].startswith(f'<div class="rxt-static" data-rxt-model="{view["model_id"]}">')
    assert DATAFLOW_EXPLORER.pane(**DATAFLOW_EXPLORER.defaults) in bundle["text/html"]
    assert "interactive explorer" in bundle["text/plain"]
    if not hasattr(ipywidgets, "Stack"):
        pytest.skip("ipywidgets 7 has no Stack (covered by the Colab-like test)")
    box, links = saved_links(DATAFLOW_EXPLORER.widget)
    root = box.children[-1]
    assert len(box.children) == 2 + len(DATAFLOW_EXPLORER.controls) and len(links) == 1 + len(CARDINALITIES)
    assert root.selected_index == CARDINALITIES.index(32)
    leaves = [leaf.value for stack in root.children for leaf in stack.children]
    assert leaves == [DATAFLOW_EXPLORER.pane(**p) for p in POSITIONS]
    recorded = [re.search(r'data-rxt-settings="([^"]*)"', v).group(1).replace("&quot;", '"') for v in leaves]
    settings = [json.loads(r) for r in recorded]
    assert settings == [{k: p[k] for k in sorted(p)} for p in POSITIONS]
