"""Chapter 4 (the ResNeXt block): the per-layer table, the mistakes module, the explorer, the exercise checks and
the notebook, each compared with real modules, PyTorch's FlopCounterMode and independent counts."""

import re
import time
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn

from resnext_teach import (
    FORMS,
    ResNeXtBottleneck,
    build_model,
    conv2d_macs,
    count_parameters,
    grouped_width,
    make_block,
    measure_macs,
)
from resnext_teach.exercises.block import (
    CONV2_BLOCK,
    FIRST_BLOCK,
    SHORTCUT_CHOICES,
    STRIDED_BLOCK,
    STRIDED_INPUT,
    check_conv2_params,
    check_first_block_conv_params,
    check_shortcuts,
    check_strided_macs,
    conv2_params_answer,
    first_block_conv_params_answer,
    shortcut_answer,
    strided_macs_answer,
)
from resnext_teach.exercises.core import NOT_ANSWERED
from resnext_teach.explorers.block import BLOCK_EXPLORER, block_counts
from resnext_teach.layer_table import LayerTable, layer_table
from resnext_teach.mistakes import (
    ChannelsPerGroupBlock,
    PerPathWidthBottleneck,
    misbuilt_model,
    per_path_width_mistake,
    time_once,
    width_floored_last,
)

from helpers import assert_never_reveals as assert_hides

NOTEBOOK = Path(__file__).resolve().parent.parent / "chapters" / "04_resnext_block.ipynb"
RESNEXT50_PARAMS = 25_028_904  # torchvision's documented count for resnext50_32x4d


def reference_rows(module: nn.Module, x: torch.Tensor) -> dict[str, tuple[int, int]]:
    """(parameters, multiply-adds) per leaf layer with parameters, measured layer by layer with FlopCounterMode
    on the layer's own recorded input: independent of how layer_table attributes the counter's totals."""
    inputs: dict[str, torch.Tensor] = {}

    def keeper(name):
        def hook(_module, args, _output):
            inputs.setdefault(name, args[0])  # returns None: a forward hook's return value replaces the output
        return hook

    handles = [m.register_forward_hook(keeper(name)) for name, m in module.named_modules() if not list(m.children())]
    module.eval()
    with torch.no_grad():
        module(x)
    for h in handles:
        h.remove()
    rows = {}
    for name, m in module.named_modules():
        params = sum(p.numel() for p in m.parameters(recurse=False))
        if name in inputs and params:
            rows[name] = (params, measure_macs(m, inputs[name]))
    return rows


# --- layer_table --------------------------------------------------------------------------------------------

@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("spec", [(256, 64, 32, 4, 1), (64, 64, 32, 4, 1), (256, 128, 8, 14, 2), (64, 16, 1, 64, 2)])
def test_layer_table_matches_every_layer_of_real_blocks(form, spec):
    block = make_block(form, *spec)
    x = torch.randn(1, spec[0], 12, 12)
    table = layer_table(block, x)
    reference = reference_rows(block, x)
    assert {r.name: (r.params, r.macs) for r in table} == reference
    assert table.total_params == count_parameters(block)
    assert table.total_macs == measure_macs(block, x)
    for r in table:
        module = block.get_submodule(r.name)
        assert r.type == type(module).__name__
        assert r.weight_shape == tuple(module.weight.shape)
        assert r.groups == (module.groups if isinstance(module, nn.Conv2d) else None)
        if isinstance(module, nn.Conv2d):
            assert r.macs == conv2d_macs(module.in_channels, module.out_channels, module.kernel_size,
                                         r.output_shape[2:], groups=module.groups)


def test_layer_table_rows_are_in_call_order_with_output_shapes():
    block = ResNeXtBottleneck(64, 64, cardinality=32, bottleneck_width=4, stride=2)
    table = layer_table(block, (2, 64, 16, 16))
    assert [r.name for r in table] == ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "downsample.0", "downsample.1"]
    assert table.row("conv1").output_shape == (2, 128, 16, 16)
    assert table.row("conv2").output_shape == (2, 128, 8, 8)
    assert table.row("downsample.0").output_shape == (2, 256, 8, 8)
    assert table.input_shape == (2, 64, 16, 16)


def test_layer_table_of_resnext50_on_meta_is_torchvisions_count():
    with torch.device("meta"):
        model = build_model("resnext50_32x4d")
    table = layer_table(model, (1, 3, 224, 224))
    assert table.total_params == RESNEXT50_PARAMS == count_parameters(model)
    assert table.total_macs == measure_macs(model, torch.empty(1, 3, 224, 224, device="meta"))
    fc = table.row("fc")
    assert (fc.type, fc.weight_shape, fc.params, fc.macs, fc.output_shape) == ("Linear", (1000, 2048), 2_049_000,
                                                                               2_048_000, (1, 1000))


def test_layer_table_of_a_leaf_module_and_a_layer_called_twice():
    conv = nn.Conv2d(8, 16, 3, groups=2)
    table = layer_table(conv, (2, 8, 10, 10))
    assert len(table) == 1 and table[0].name == "Conv2d" and table[0].params == 8 * 16 * 9 // 2 + 16
    assert table[0].macs == conv2d_macs(8, 16, 3, 8, groups=2, batch_size=2)

    shared = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    twice = nn.Sequential(shared, nn.ReLU(), shared)
    table = layer_table(twice, (1, 4, 5, 5))
    assert len(table) == 1 and table[0].params == 4 * 4 * 9
    assert table[0].macs == 2 * conv2d_macs(4, 4, 3, 5)


def test_layer_table_leaves_the_module_as_it_was():
    block = ResNeXtBottleneck(16, 4, cardinality=2, bottleneck_width=64).train()
    before = {k: v.clone() for k, v in block.state_dict().items()}
    layer_table(block, (4, 16, 6, 6))
    assert block.training
    for key, value in block.state_dict().items():
        assert torch.equal(value, before[key]), key  # BN running statistics untouched
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in block.modules())


def test_layer_table_display_and_errors():
    table = layer_table(ResNeXtBottleneck(256, 64, cardinality=32, bottleneck_width=4), (1, 256, 56, 56))
    assert isinstance(table, LayerTable)
    text, html = str(table), table._repr_html_()
    for needle in (f"{table.total_params:,}", f"{table.total_macs:,}", "128x4x3x3", "multiply-adds"):
        assert needle in text and needle in html
    assert "LayerTable(input_shape=(1, 256, 56, 56))" in repr(table)
    with pytest.raises(KeyError, match="no layer named 'conv4'"):
        table.row("conv4")
    with pytest.raises(ValueError, match="module must be a torch.nn.Module"):
        layer_table(lambda t: t, (1, 3))
    for bad in [(1, 0, 4, 4), (), (1, 3.0, 4, 4), (True, 3, 4, 4)]:
        with pytest.raises(ValueError, match="must be a shape of positive ints"):
            layer_table(nn.Conv2d(3, 3, 1), bad)


# --- mistakes -----------------------------------------------------------------------------------------------

def independent_misbuilt_count(name: str) -> int:
    """Parameters of ``misbuilt_model(name)`` from the formula: the correct model minus its blocks, plus C paths
    of width out*d//C (1x1 in, 3x3, 1x1 out, two BNs each), bn3 and the shortcut, block by block."""
    with torch.device("meta"):
        model = build_model(name)
    total = count_parameters(model)
    for stage in model.stages:
        for block in stage:
            total -= count_parameters(block)
            c, out, c_in = block.cardinality, block.out_channels, block.in_channels
            w = out * block.bottleneck_width // c
            total += c * (c_in * w + 9 * w * w + w * out + 4 * w) + 2 * out
            if block.downsample is not None:
                total += c_in * out + 2 * out
    return total


def test_mistake_1_counts():
    assert per_path_width_mistake(256, 4, 32) == 32 and grouped_width(64, 4, 32) // 32 == 4
    with torch.device("meta"):
        misbuilt = misbuilt_model("resnext50_32x4d")
    assert count_parameters(misbuilt) == independent_misbuilt_count("resnext50_32x4d")
    assert count_parameters(misbuilt) > 9 * RESNEXT50_PARAMS
    assert all(isinstance(b, PerPathWidthBottleneck) for stage in misbuilt.stages for b in stage)
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        per_path_width_mistake(256, 4, 0)


def test_mistake_1_block_runs_and_has_the_stated_width():
    block = PerPathWidthBottleneck(64, 16, cardinality=4, bottleneck_width=8, stride=2).eval()
    assert block.path_width == 64 * 8 // 4
    assert len(block.paths) == 4 and block.downsample is not None
    x = torch.randn(2, 64, 8, 8)
    assert block(x).shape == ResNeXtBottleneck(64, 16, 4, 8, stride=2)(x).shape == (2, 64, 4, 4)
    identity = PerPathWidthBottleneck(64, 16, cardinality=4, bottleneck_width=8)
    assert identity.downsample is None


def test_mistake_2_builds_channels_per_group():
    block = ChannelsPerGroupBlock(32, groups=16)
    assert block.conv2.groups == 2 and tuple(block.conv2.weight.shape) == (32, 16, 3, 3)
    assert sum(p.numel() for p in block.conv2.parameters()) == 32 * 16 * 9 + 32
    assert block.conv4 is None and block(torch.randn(1, 32, 6, 6)).shape == (1, 32, 6, 6)
    wide = ChannelsPerGroupBlock(256, groups=32, bottleneck_ratio=0.5, projection=True, stride=2)
    assert wide.conv2.in_channels == 128 and wide.conv2.groups == 4
    assert wide.eval()(torch.randn(1, 256, 8, 8)).shape == (1, 256, 4, 4)


def test_mistake_3_width_not_divisible():
    assert (width_floored_last(16, 14, 8), grouped_width(16, 14, 8)) == (28, 24)
    with pytest.raises(ValueError, match="in_channels must be divisible by groups"):
        nn.Conv2d(28, 28, 3, groups=8)
    with pytest.raises(ValueError, match="bottleneck_width=0 must be a positive integer"):
        width_floored_last(16, 0, 8)
    for planes in (16, 64, 128, 256):  # the two rules agree whenever planes * d is a multiple of 64
        for d in (4, 8, 16, 64):
            for c in (1, 8, 32):
                assert width_floored_last(planes, d, c) == grouped_width(planes, d, c)


def test_time_once_times_one_forward_pass_in_eval_mode():
    class Slow(nn.Module):
        """A forward pass of at least 20 ms that records the mode it ran in."""

        def forward(self, x):
            self.ran_in_training = self.training
            time.sleep(0.02)
            return x

    slow = Slow().train()
    seconds = time_once(slow, torch.randn(1, 16, 4, 4))
    assert isinstance(seconds, float) and seconds >= 0.02 and slow.ran_in_training is False


# --- the explorer -------------------------------------------------------------------------------------------

def test_explorer_size():
    positions = list(BLOCK_EXPLORER.positions())
    assert len(positions) <= 150
    assert max(len(BLOCK_EXPLORER.pane(**p)) for p in positions) < 6000


@pytest.mark.parametrize("settings", list(BLOCK_EXPLORER.positions()),
                         ids=lambda s: f"{s['cardinality']}x{s['bottleneck_width']}d")
def test_every_position_matches_a_real_block(settings):
    values = block_counts(**settings)
    with torch.device("meta"):
        block = ResNeXtBottleneck(256, 64, **settings)
        resnet = ResNeXtBottleneck(256, 64, cardinality=1, bottleneck_width=64)
    x = torch.empty(1, 256, 56, 56, device="meta")
    for name in ("conv1", "conv2", "conv3"):
        conv = block.get_submodule(name)
        assert values[f"{name}_params"] == conv.weight.numel()
        assert values[f"{name}_macs"] == measure_macs(conv, torch.empty(1, conv.in_channels, 56, 56, device="meta"))
    bn = [m for m in block.modules() if isinstance(m, nn.BatchNorm2d)]
    assert values["bn_params"] == sum(p.numel() for m in bn for p in m.parameters())
    assert values["total_params"] == count_parameters(block)
    assert values["total_macs"] == measure_macs(block, x)
    assert values["vs_resnet"] == pytest.approx(measure_macs(block, x) / measure_macs(resnet, x))
    assert values["width"] == block.conv2.in_channels and values["path_width"] == block.conv2.weight.shape[1]


@pytest.mark.parametrize("settings", [{"cardinality": 32, "bottleneck_width": 4}, {"cardinality": 1, "bottleneck_width": 64},
                                      {"cardinality": 64, "bottleneck_width": 1}, {"cardinality": 8, "bottleneck_width": 14}])
def test_panes_show_exactly_the_formatted_values(settings):
    values = BLOCK_EXPLORER.compute(**settings)
    pane = BLOCK_EXPLORER.pane(**settings)
    shown = dict(re.findall(r'<span data-rxt-key="([^"]+)">([^<]*)</span>', pane))
    assert set(shown) == set(values)
    for key, value in values.items():
        assert shown[key] == BLOCK_EXPLORER.format(key, value), key
    assert "<svg" in pane and f"groups={settings['cardinality']}" in pane


# --- the exercises ------------------------------------------------------------------------------------------

def test_conv2_params_exercise():
    answer = ResNeXtBottleneck(**CONV2_BLOCK).conv2.weight.numel()
    assert conv2_params_answer() == answer and check_conv2_params(answer) and check_conv2_params(float(answer))
    slips = {
        "without groups": 1024 * 1024 * 9,
        "one group's weights": answer // 64,
        "no bias": answer + 1024,
        "doubles with every stage": 256 * 4 * 9,
    }
    for phrase, wrong in slips.items():
        fb = check_conv2_params(wrong)
        assert_hides(fb, answer)
        assert phrase in fb.message, (phrase, fb.message)
    for wrong in (answer + 1, 2 * answer, 7):
        assert_hides(check_conv2_params(wrong), answer)
    assert check_conv2_params(None).message == NOT_ANSWERED
    assert "not str" in check_conv2_params(str(answer)).message


def test_first_block_exercise():
    block = ResNeXtBottleneck(**FIRST_BLOCK)
    answer = sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))
    assert first_block_conv_params_answer() == answer and check_first_block_conv_params(answer)
    bn = count_parameters(block) - answer
    projection = block.downsample[0].weight.numel()
    dense_conv2 = answer - block.conv2.weight.numel() + 128 * 128 * 9
    slips = {
        "count the projection too": answer - projection,
        "includes BatchNorm": answer + bn,
        "misses the projection": answer + bn - projection,
        "is grouped": dense_conv2,
    }
    for phrase, wrong in slips.items():
        fb = check_first_block_conv_params(wrong)
        assert_hides(fb, answer)
        assert phrase in fb.message, (phrase, fb.message)
    assert check_first_block_conv_params(None).message == NOT_ANSWERED


def test_strided_macs_exercise():
    block = ResNeXtBottleneck(**STRIDED_BLOCK)
    x = torch.zeros(1, STRIDED_BLOCK["in_channels"], STRIDED_INPUT, STRIDED_INPUT)
    table = layer_table(block, x)
    answer = table.row("conv2").macs
    assert table.row("conv2").output_shape[2:] == (28, 28)
    assert strided_macs_answer() == answer and check_strided_macs(answer)
    width = block.conv2.in_channels
    slips = {
        "output positions": answer * 4,
        "counts a multiply-add as 2": 2 * answer,
        "number of weights": block.conv2.weight.numel(),
        "only its group's": width * width * 9 * 28 * 28,
        "twice as wide": (width // 2) * 8 * 9 * 28 * 28,
    }
    for phrase, wrong in slips.items():
        fb = check_strided_macs(wrong)
        assert_hides(fb, answer)
        assert phrase in fb.message, (phrase, fb.message)
    assert check_strided_macs(None).message == NOT_ANSWERED


def test_shortcut_exercise():
    expected = {k for k, spec in SHORTCUT_CHOICES.items() if ResNeXtBottleneck(**spec).downsample is not None}
    assert expected == shortcut_answer() == {"B", "E", "F"}
    for right in ("BEF", "b, e, f", ["F", "B", "E"], {"B", "E", "F"}, ("e", "b", "f")):
        assert check_shortcuts(right), right
    cases = {
        "BF": "stride of 2 alone",  # E: same channels, stride 2
        "BE": "input channels",  # F: channels change
        "ABEF": "1 of your choices keeps",
        "ACDBEF": "3 of your choices keep",
        "": "You left out 3 blocks that need one",
    }
    for answer, phrase in cases.items():
        fb = check_shortcuts(answer)
        assert not fb and phrase in fb.message, (answer, fb.message)
        for leak in ("BEF", "B, E", "B and E", "'B'"):
            assert leak not in fb.message
    assert "not one of them" in check_shortcuts("BXZ").message
    assert "as a string" in check_shortcuts(5).message
    assert check_shortcuts(None).message == NOT_ANSWERED


# --- the notebook -------------------------------------------------------------------------------------------

def test_notebook_structure_and_exercise_blocks_match_the_checks():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.cells[0].source.startswith("(ch-block)=\n# Chapter 4: The ResNeXt block")
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert "setup(seed=" in code[0].source and "remove-cell" in code[0].metadata["tags"]
    # Colab ignores tags: a deliberate error is caught and printed, so "Run all" never stops
    assert not any("raises-exception" in c.metadata.get("tags", []) for c in code)
    assert sum(c.source.count("BLOCK_EXPLORER.show()") for c in code) == 1  # the explorer appears once
    markdown = " ".join(" ".join(c.source.split()) for c in nb.cells if c.cell_type == "markdown")

    def call(spec):
        args = f"ResNeXtBottleneck({spec['in_channels']}, {spec['planes']}, cardinality={spec['cardinality']}, "
        args += f"bottleneck_width={spec['bottleneck_width']}"
        return args + (f", stride={spec['stride']})" if spec.get("stride", 1) != 1 else ")")

    for spec in (CONV2_BLOCK, FIRST_BLOCK, STRIDED_BLOCK, *SHORTCUT_CHOICES.values()):
        assert call(spec) in markdown, call(spec)
    for letter, spec in SHORTCUT_CHOICES.items():
        assert f"{letter}: `{call(spec)}`" in markdown
    assert f"receives a {STRIDED_INPUT}x{STRIDED_INPUT} map" in markdown
    for key in ("xie2017resnext", "he2016resnet", "zhang2023d2l", "torchvision2016", "pytorch_conv2d_docs"):
        assert f"{{cite:p}}`{key}`" in markdown


def test_executed_chapter_raises_the_explained_errors_and_glues_reference_numbers(executed_chapter):
    """The chapter as the build executed it (glue names and stderr are checked for every chapter in
    test_notebooks): the deliberate errors are the ones the text explains; the headline numbers are the references."""
    run = executed_chapter("04_resnext_block")
    glued = run.glued
    assert run.errors == []
    printed = run.stdout
    assert "ValueError: in_channels must be divisible by groups" in printed
    assert "ValueError: groups=8 must divide in_channels=28" in printed
    assert int(glued["correct_params"]) == RESNEXT50_PARAMS
    assert int(glued["misbuilt_params"]) == independent_misbuilt_count("resnext50_32x4d")
    assert (glued["d2l_groups"], glued["d2l_inputs_seen"], glued["intended_inputs_seen"]) == ("2", "16", "2")
    assert (glued["rn_conv2"], glued["rx_conv2"], glued["conv2_factor"]) == ("36864", "4608", "8")
    assert (glued["convs_aggregated"], glued["convs_concatenated"], glued["convs_grouped"]) == ("96", "65", "3")
    assert int(glued["ti_extra"]) == 2 * (128 + 128 + 256)

