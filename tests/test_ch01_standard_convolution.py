"""Chapter 1: the convolution explorer against real nn.Conv2d layers and FlopCounterMode at every position, its
pictures, the exercise checks (right, wrong, never revealing), and the notebook's structure."""

import ast
import json
import re
from html import unescape
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from resnext_teach import connectivity_mask
from resnext_teach.explorers import all_explorers
from resnext_teach.explorers.convolution import (
    CONVOLUTION_EXPLORER,
    EXPLORER_OUTPUT_SIZE,
    MAX_BIPARTITE_CHANNELS,
    bipartite_svg,
    convolution_numbers,
    dense_layer_svg,
)
from resnext_teach.exercises.convolution import (
    DOUBLING_LAYER,
    MACS_INPUT_SIZE,
    MACS_LAYER,
    PARAMS_LAYER,
    SHAPE_LAYER,
    ConvLayer,
    check_doubling_exercise,
    check_macs_exercise,
    check_params_exercise,
    check_weight_shape_exercise,
)

from helpers import assert_never_reveals

NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "01_standard_convolution.ipynb"
POSITIONS = list(CONVOLUTION_EXPLORER.positions())


def real_conv(in_channels, out_channels, kernel_size, bias, **kwargs):
    return nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias, device="meta", **kwargs)


def counted_flops(module, x):
    counter = FlopCounterMode(display=False)
    with counter:
        out = module(x)
    return counter.get_total_flops(), out


def spans(pane):
    return {key: unescape(text) for key, text in re.findall(r'<span data-rxt-key="([^"]+)">([^<]*)</span>', pane)}


# ---------------------------------------------------------------- explorer


def test_explorer_is_registered_and_small():
    assert all_explorers()["convolution-cost"] is CONVOLUTION_EXPLORER
    assert len(POSITIONS) == 4 * 4 * 3 * 2 <= 150
    assert CONVOLUTION_EXPLORER.defaults == {"in_channels": 64, "out_channels": 128, "kernel_size": 3, "bias": False}


@pytest.mark.parametrize("settings", POSITIONS, ids=lambda s: "{in_channels}-{out_channels}-k{kernel_size}-{bias}".format(**s))
def test_every_position_matches_a_real_conv_and_the_flop_counter(settings):
    c_in, c_out, k, bias = settings["in_channels"], settings["out_channels"], settings["kernel_size"], settings["bias"]
    values = CONVOLUTION_EXPLORER.compute(**settings)
    conv = real_conv(c_in, c_out, k, bias, padding=k // 2)
    hw = EXPLORER_OUTPUT_SIZE
    flops, out = counted_flops(conv, torch.empty(1, c_in, hw, hw, device="meta"))
    assert tuple(out.shape) == (1, c_out, hw, hw)  # the pane's promise: the output really is 56 x 56
    assert values["weights"] == conv.weight.numel()
    assert values["bias"] == (conv.bias.numel() if bias else 0) and (conv.bias is not None) == bias
    assert values["params"] == sum(p.numel() for p in conv.parameters())
    assert values["macs"] == flops // 2 and flops == 2 * values["macs"]  # the counter: a multiply-add is 2 FLOPs
    assert values["macs"] == c_in * c_out * k * k * hw * hw  # the textbook formula, written out
    assert values["macs_per_value"] == c_in * k * k
    assert values["bias_share"] == pytest.approx(values["bias"] / values["params"])


def test_every_pane_shows_exactly_the_computed_numbers_and_the_real_weight_shape():
    for settings in POSITIONS:
        values = CONVOLUTION_EXPLORER.compute(**settings)
        pane = CONVOLUTION_EXPLORER.pane(**settings)
        shown = spans(pane)
        assert set(shown) == set(values)
        for key, value in values.items():
            assert shown[key] == CONVOLUTION_EXPLORER.format(key, value)
        conv = real_conv(settings["in_channels"], settings["out_channels"], settings["kernel_size"], settings["bias"])
        text = unescape(pane)
        assert f"weight shape <code>{tuple(conv.weight.shape)}</code>" in text
        bias_shape = str(tuple(conv.bias.shape)) if settings["bias"] else "None"
        assert f"bias shape <code>{bias_shape}</code>" in text
        assert f"{EXPLORER_OUTPUT_SIZE}x{EXPLORER_OUTPUT_SIZE} output" in text
        assert pane.count("<svg") == 1 and "base64" not in pane
        assert len(pane) < 6000  # every pane is stored in the page


def test_default_pane_is_the_running_example():
    shown = spans(CONVOLUTION_EXPLORER.pane(**CONVOLUTION_EXPLORER.defaults))
    conv = nn.Conv2d(64, 128, 3, bias=False)
    assert shown["params"] == f"{conv.weight.numel():,}" == "73,728"
    assert shown["macs"] == f"{conv.weight.numel() * 56 * 56:,}"
    assert shown["bias_share"] == "0.00%"
    with_bias = spans(CONVOLUTION_EXPLORER.pane(**{**CONVOLUTION_EXPLORER.defaults, "bias": True}))
    assert with_bias["params"] == f"{sum(p.numel() for p in nn.Conv2d(64, 128, 3).parameters()):,}" == "73,856"


def test_convolution_numbers_rejects_bad_arguments():
    with pytest.raises(ValueError, match="in_channels=0 must be a positive integer"):
        convolution_numbers(0, 8, 3, False)
    with pytest.raises(ValueError, match="bias=1 must be True or False"):
        convolution_numbers(8, 8, 3, 1)


# ---------------------------------------------------------------- pictures


@pytest.mark.parametrize("c_in, c_out, k, bias", [(64, 128, 3, False), (16, 128, 5, True), (128, 16, 1, True)])
def test_dense_layer_svg_draws_the_weight_to_scale(c_in, c_out, k, bias):
    svg = dense_layer_svg(c_in, c_out, k, bias)
    assert f'width="{c_in}" height="{c_out}"' in svg  # one pixel per channel
    assert (f'height="{c_out}" fill="#DD8452"' in svg) == bias  # the bias strip, one pixel row per output channel
    assert f"{k}x{k} kernel" in svg and svg.count("<path") == k - 1  # the enlarged kernel's inner grid lines
    assert f"C_in = {c_in}" in svg and f"C_out = {c_out}" in svg and "<title>" in svg


def test_dense_layer_svg_rejects_bad_arguments():
    with pytest.raises(ValueError, match="kernel_size=0 must be a positive integer"):
        dense_layer_svg(8, 8, 0, False)
    with pytest.raises(ValueError, match="out_channels=2.5 must be a positive integer"):
        dense_layer_svg(8, 2.5, 3, False)


@pytest.mark.parametrize("c_in, c_out, groups", [(4, 6, 1), (4, 6, 2), (16, 16, 4), (1, 1, 1)])
def test_bipartite_svg_draws_one_edge_per_kernel(c_in, c_out, groups):
    mask = connectivity_mask(c_in, c_out, groups)
    svg = bipartite_svg(mask, "test picture")
    conv = nn.Conv2d(c_in, c_out, 3, groups=groups, bias=False, device="meta")
    assert svg.count("<line") == int(mask.sum()) == conv.weight.shape[0] * conv.weight.shape[1]
    assert svg.count("<circle") == c_in + c_out
    assert ">x0<" in svg and f">y{c_out - 1}<" in svg and "<title>test picture</title>" in svg


def test_bipartite_svg_rejects_bad_masks():
    with pytest.raises(ValueError, match="2-D boolean tensor"):
        bipartite_svg(torch.ones(3, 4), "float mask")
    with pytest.raises(ValueError, match="2-D boolean tensor"):
        bipartite_svg(torch.ones(4, dtype=torch.bool), "1-D mask")
    too_many = MAX_BIPARTITE_CHANNELS + 1
    with pytest.raises(ValueError, match=f"got in_channels={too_many}, out_channels=4"):
        bipartite_svg(connectivity_mask(too_many, 4), "too wide")


# ---------------------------------------------------------------- exercises


def test_exercise_layers_print_as_code_that_builds_them():
    for layer in (PARAMS_LAYER, SHAPE_LAYER, MACS_LAYER, DOUBLING_LAYER):
        built = eval(layer.code(), {"nn": nn})  # noqa: S307 - our own constant strings
        reference = layer.build(device="cpu")
        assert repr(built) == repr(reference)
    assert ConvLayer(3, 8, 3).code() == "nn.Conv2d(3, 8, 3)"
    assert ConvLayer(3, 8, 3, stride=2, bias=False).code() == "nn.Conv2d(3, 8, 3, stride=2, bias=False)"


def test_params_exercise():
    layer = nn.Conv2d(32, 96, 5)  # the exercise's layer, PyTorch's default bias
    assert PARAMS_LAYER.code() == "nn.Conv2d(32, 96, 5)"
    answer = sum(p.numel() for p in layer.parameters())
    assert check_params_exercise(answer) and check_params_exercise(float(answer))
    forms = (str(answer), f"{answer:,}")
    weights = layer.weight.numel()
    slips = {
        weights: "forget the bias",
        32 * 96 * 5 + 96: "K instead of K*K",
        32 * 96 * 5: "K instead of K*K",
        weights + 32: "per output channel, not per input channel",
        weights + 1: "not one for the whole layer",
    }
    for wrong, hint in slips.items():
        feedback = check_params_exercise(wrong)
        assert_never_reveals(feedback, *forms)
        assert hint in feedback.message
    for wrong in (answer + 7, 2 * answer, 0, -answer, answer + 0.5):
        assert_never_reveals(check_params_exercise(wrong), *forms)
    assert "Replace None" in check_params_exercise(None).message
    assert "not str" in check_params_exercise(str(answer)).message


def test_weight_shape_exercise():
    expected = tuple(nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False).weight.shape)
    assert check_weight_shape_exercise(expected)
    assert check_weight_shape_exercise(list(expected))
    assert check_weight_shape_exercise(torch.Size(expected))
    assert check_weight_shape_exercise(tuple(torch.tensor(expected).tolist()))
    forms = (str(expected), str(list(expected)), ", ".join(map(str, expected)))
    c_out, c_in, k, _ = expected
    slips = {
        (c_in, c_out, k, k): "swapped the first two axes",
        (c_out, k, k): "four axes",
        (c_out, c_in, k): "four axes",
        (1, c_out, c_in, k, k): "four axes",
        (k, k, c_out, c_in): "wrong order",
        (c_out, c_in, 4, 4): "kernel's height and width",
        (c_out, 1, k, k): "input channels",
        (2 * c_out, c_in, k, k): "output channels",
    }
    for wrong, hint in slips.items():
        feedback = check_weight_shape_exercise(wrong)
        assert_never_reveals(feedback, *forms)
        assert hint in feedback.message, (wrong, feedback.message)
    for wrong, hint in ((None, "Replace None"), ("(64, 3, 7, 7)", "tuple of integers"), (64, "tuple of integers"),
                        ((64.5, 3, 7, 7), "whole number"), ((True, 3, 7, 7), "whole number")):
        feedback = check_weight_shape_exercise(wrong)
        assert not feedback and hint in feedback.message


def test_macs_exercise():
    layer = nn.Conv2d(64, 64, 3, stride=2, padding=1, bias=False)
    assert MACS_LAYER.code() == "nn.Conv2d(64, 64, 3, stride=2, padding=1, bias=False)" and MACS_INPUT_SIZE == 56
    flops, out = counted_flops(layer, torch.randn(1, 64, 56, 56))
    answer = flops // 2
    assert answer == 64 * 64 * 3 * 3 * out.shape[2] * out.shape[3]
    assert check_macs_exercise(answer)
    forms = (str(answer), f"{answer:,}")
    weights = layer.weight.numel()
    slips = {
        weights: "multiply by H x W",
        weights * 56 * 56: "output size, not the input size",
        64 * 64 * 3 * out.shape[2] * out.shape[3]: "K instead of K*K",
        weights * out.shape[2]: "only one side",
        flops: "FlopCounterMode",
    }
    for wrong, hint in slips.items():
        feedback = check_macs_exercise(wrong)
        assert_never_reveals(feedback, *forms)
        assert hint in feedback.message
    for wrong in (answer - 1, answer * 3, -5):
        assert_never_reveals(check_macs_exercise(wrong), *forms)


def test_doubling_exercise():
    assert DOUBLING_LAYER.code() == "nn.Conv2d(64, 128, 3, bias=False)"
    small = nn.Conv2d(64, 128, 3, bias=False).weight.numel()
    large = nn.Conv2d(64, 128, 6, bias=False).weight.numel()
    answer = large / small
    assert check_doubling_exercise(answer) and check_doubling_exercise(int(answer))
    slips = {2: "height and its width", small / large: "inverse", 1: "every kernel gets bigger",
             -answer: "positive", 0: "positive", 3: "divide", 8: "divide"}
    for wrong, hint in slips.items():
        feedback = check_doubling_exercise(wrong)
        assert not feedback and hint in feedback.message
        assert not re.search(rf"\b{int(answer)}(\.0+)?\b", feedback.message), feedback.message
    assert "Replace None" in check_doubling_exercise(None).message
    assert "not str" in check_doubling_exercise("4").message
    assert "not bool" in check_doubling_exercise(True).message


# ---------------------------------------------------------------- notebook


@pytest.fixture(scope="module")
def notebook():
    return json.loads(NOTEBOOK.read_text())


def test_notebook_skeleton(notebook):
    cells = notebook["cells"]
    assert "".join(cells[0]["source"]).startswith("(ch-standard)=\n# Chapter 1: Standard convolution")
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert code[0]["metadata"]["tags"] == ["remove-cell"] and "setup(seed=0)" in "".join(code[0]["source"])
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    for heading in ("**What you will learn**", "**Prerequisites.**", "**Time needed.**", "## Summary", "## Exercises"):
        assert heading in text
    labels = re.findall(r":label: (ch1-ex-[a-z-]+)", text)
    assert len(labels) >= 3
    for label in labels:
        assert f"{{solution-start}} {label}" in text
    assert text.count("{solution-end}") == len(labels)


def handed_to_prose(source):
    """The names a hidden cell hands to the prose, or None if the cell does anything but call prose(...)."""
    statements = ast.parse(source).body
    calls = [node.value for node in statements if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)]
    if len(calls) != len(statements) or not all(isinstance(c.func, ast.Name) and c.func.id == "prose" for c in calls):
        return None
    return {keyword.arg for call in calls for keyword in call.keywords}


def test_every_glued_name_is_glued_and_no_computed_number_is_typed(notebook):
    cells = notebook["cells"]
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    code = [c for c in cells if c["cell_type"] == "code"]
    visible = [c for c in code if "remove-cell" not in c["metadata"].get("tags", [])]
    hidden = [c for c in code[1:] if "remove-cell" in c["metadata"].get("tags", [])]  # code[0] is the set-up
    # teaching cells hold the idea; the values the text quotes are handed over by hidden prose(...) cells
    assert not [c for c in visible if re.search(r"\b(glue|prose)\(", "".join(c["source"]))]
    handed = [handed_to_prose("".join(c["source"])) for c in hidden]
    assert hidden and None not in handed, "a hidden cell does more than hand values to the prose"
    used = set(re.findall(r"\{glue:text\}`([a-z0-9_]+)", text))
    glued = set().union(*handed)
    assert used and used <= glued, used - glued
    for number in ("73,728", "73728", "73,856", "73856", "231,211,008", "8,192", "576", "462,422,016"):
        assert number not in text, number


def test_exercise_texts_name_the_checked_layers(notebook):
    text = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "markdown")
    for layer in (PARAMS_LAYER, SHAPE_LAYER, MACS_LAYER, DOUBLING_LAYER):
        assert f"`{layer.code()}`" in text
    assert f"{MACS_INPUT_SIZE}×{MACS_INPUT_SIZE} image" in text
    source = "\n".join("".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code")
    for check in ("check_params_exercise", "check_weight_shape_exercise", "check_macs_exercise", "check_doubling_exercise"):
        assert source.count(f"{check}(answer)") == 2  # the student's cell and the solution's
