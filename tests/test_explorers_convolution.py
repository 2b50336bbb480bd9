"""``resnext_teach.book.explorers.convolution``: the convolution explorer against real nn.Conv2d layers and
FlopCounterMode at every position, its panes, and its pictures (the dense weight, the bipartite connections)."""

import re
from html import unescape

import pytest
import torch
from torch import nn

from resnext_teach import connectivity_mask
from resnext_teach.book.explorers import EXPLORERS
from resnext_teach.book.explorers.convolution import (
    CONVOLUTION_EXPLORER,
    EXPLORER_OUTPUT_SIZE,
    MAX_BIPARTITE_CHANNELS,
    bipartite_svg,
    convolution_numbers,
    dense_layer_svg,
)

from helpers import counted_flops

POSITIONS = list(CONVOLUTION_EXPLORER.positions())


def real_conv(in_channels, out_channels, kernel_size, bias, **kwargs):
    return nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias, device="meta", **kwargs)


def spans(pane):
    return {key: unescape(text) for key, text in re.findall(r'<span data-rxt-key="([^"]+)">([^<]*)</span>', pane)}


def test_explorer_is_listed_and_small():
    assert CONVOLUTION_EXPLORER in EXPLORERS and CONVOLUTION_EXPLORER.name == "convolution-cost"
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
    with pytest.raises(TypeError, match="bias=1 must be True or False"):
        convolution_numbers(8, 8, 3, 1)


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
    with pytest.raises(TypeError, match="out_channels=2.5 must be a positive integer"):
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
