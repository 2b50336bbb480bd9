"""``resnext_teach.stages``: Table 1 read off real modules (against the paper and torchvision's counts), stage
costs, and the tables' HTML."""

import functools

import pytest
from torch import nn

from resnext_teach import MODEL_CONFIGS, build_model, count_parameters, measure_macs
from resnext_teach.paper import TABLE1
from resnext_teach.stages import block_spec, stage_costs, stage_names, stage_table, table1_html

from helpers import full_model_costs, meta_image, meta_model, stage_inputs

# The paper's Table 1, typed from the paper as the reference (Xie et al. 2017).
PAPER_TABLE1_SPECS = {
    "resnet50": [
        ("7×7, 64, stride 2",),
        ("3×3 max pool, stride 2", "[1×1, 64; 3×3, 64; 1×1, 256] ×3"),
        ("[1×1, 128; 3×3, 128; 1×1, 512] ×4",),
        ("[1×1, 256; 3×3, 256; 1×1, 1024] ×6",),
        ("[1×1, 512; 3×3, 512; 1×1, 2048] ×3",),
        ("global average pool, 1000-d fc",),
    ],
    "resnext50_32x4d": [
        ("7×7, 64, stride 2",),
        ("3×3 max pool, stride 2", "[1×1, 128; 3×3, 128, C=32; 1×1, 256] ×3"),
        ("[1×1, 256; 3×3, 256, C=32; 1×1, 512] ×4",),
        ("[1×1, 512; 3×3, 512, C=32; 1×1, 1024] ×6",),
        ("[1×1, 1024; 3×3, 1024, C=32; 1×1, 2048] ×3",),
        ("global average pool, 1000-d fc",),
    ],
}

PAPER_OUTPUT_SIZES = [(112, 112), (56, 56), (28, 28), (14, 14), (7, 7), (1, 1)]


@functools.cache
def table1_rows(name: str) -> tuple:
    """``stage_table`` of one of Table 1's models on the meta device, made once for the tests below."""
    return tuple(stage_table(meta_model(name)))


@pytest.mark.parametrize("name", ["resnet50", "resnext50_32x4d"])
def test_table1_matches_the_paper_and_the_modules(name):
    model = meta_model(name)
    rows = table1_rows(name)  # stage_table of this configuration, the same as stage_table(model)
    assert [r.stage for r in rows] == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc"]
    assert [r.lines for r in rows] == PAPER_TABLE1_SPECS[name]
    assert [r.output_size for r in rows] == PAPER_OUTPUT_SIZES
    assert rows[1].spec == "; then ".join(PAPER_TABLE1_SPECS[name][1])
    total = sum(r.params for r in rows)
    assert total == count_parameters(model)  # torchvision's count of the model: test_torchvision_reference.py
    assert sum(r.macs for r in rows) == measure_macs(model, meta_image())
    # the paper's printed totals: parameters truncated to 0.1 million, FLOPs (multiply-adds) rounded to 0.1 billion
    assert int(total / 1e5) / 10 == TABLE1[name].params_millions
    assert round(sum(r.macs for r in rows) / 1e9, 1) == TABLE1[name].gflops
    # each stage against its own modules, measured separately on the tensor that enters them
    inputs = stage_inputs(model, meta_image())
    by_stage = {r.stage: r for r in rows}
    for i in range(4):
        layer = getattr(model, f"layer{i + 1}")
        assert by_stage[f"conv{i + 2}"].params == sum(p.numel() for p in layer.parameters())
        assert by_stage[f"conv{i + 2}"].macs == measure_macs(layer, inputs[f"layer{i + 1}"])
    stem = nn.Sequential(model.conv1, model.bn1)
    assert by_stage["conv1"].params == sum(p.numel() for p in stem.parameters())
    assert by_stage["conv1"].macs == measure_macs(model.conv1, inputs["conv1"])
    assert by_stage["fc"].params == 2048 * 1000 + 1000 and by_stage["fc"].macs == 2048 * 1000


def test_stage_table_on_a_real_cpu_model_equals_meta_and_keeps_training_mode():
    cpu = build_model("resnext_cifar_small").train()
    rows = stage_table(cpu, image_size=32)
    assert cpu.training
    assert [r.stage for r in rows] == stage_names(cpu.config) == ["conv1", "conv2", "conv3", "conv4", "fc"]
    meta_rows = stage_table(meta_model("resnext_cifar_small"), image_size=32)
    assert rows == meta_rows
    assert rows[1].lines == (block_spec(cpu.layer1),)  # no max-pool in the CIFAR stem
    assert [r.output_size for r in rows] == [(32, 32), (32, 32), (16, 16), (8, 8), (1, 1)]


def test_block_spec_leaves_out_c_for_resnet():
    assert block_spec(meta_model("resnet50").layer1) == "[1×1, 64; 3×3, 64; 1×1, 256] ×3"
    assert block_spec(meta_model("resnext101_32x8d").layer3) == "[1×1, 1024; 3×3, 1024, C=32; 1×1, 1024] ×23"


@pytest.mark.parametrize("name", sorted(MODEL_CONFIGS))
def test_stage_costs_equal_the_whole_model(name):
    config = MODEL_CONFIGS[name]
    size = 224 if config.stem == "imagenet" else 32
    costs = stage_costs(config, image_size=size)  # two blocks per stage, against every block counted by hand
    assert [(c.stage, c.params, c.macs) for c in costs] == list(full_model_costs(config, size))


def test_stage_table_errors_and_html():
    with pytest.raises(TypeError, match="model must be a resnext_teach ResNeXt, not Linear"):
        stage_table(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="image_size=0 must be a positive integer"):
        stage_table(meta_model("resnet50"), image_size=0)
    with pytest.raises(TypeError, match="config must be a ModelConfig, not str"):
        stage_costs("resnet50")
    rows50, rowsx = list(table1_rows("resnet50")), list(table1_rows("resnext50_32x4d"))
    styler = table1_html({"ResNet-50": rows50, "ResNeXt-50": rowsx})
    frame = styler.data  # a pandas Styler: the table itself, then how it is drawn
    assert list(frame.columns) == ["stage", "output", "ResNet-50", "ResNeXt-50"]
    assert list(frame["stage"]) == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc", "# params.", "multiply-adds"]
    assert list(frame["output"][:6]) == [f"{h}×{w}" for h, w in PAPER_OUTPUT_SIZES]
    for column, name in (("ResNet-50", "resnet50"), ("ResNeXt-50", "resnext50_32x4d")):
        assert list(frame[column][:6]) == ["\n".join(lines) for lines in PAPER_TABLE1_SPECS[name]]
    totals = {column: [sum(r.params for r in rows), sum(r.macs for r in rows)]
              for column, rows in (("ResNet-50", rows50), ("ResNeXt-50", rowsx))}
    assert list(frame["ResNet-50"][6:]) == totals["ResNet-50"] and list(frame["ResNeXt-50"][6:]) == totals["ResNeXt-50"]
    html = styler.to_html()
    # each value in its own padded cell, so that neighbouring cells cannot run together
    shown = [f">{n:,}</td>" for column in totals.values() for n in column]
    for text in (">112×112</td>", *shown, "C=32"):
        assert text in html, text
    assert "padding" in html and "white-space: pre-line" in html  # a line per layer or block
    with pytest.raises(ValueError, match="has other stages"):
        table1_html({"a": rows50, "b": stage_table(meta_model("resnext_cifar_small"), image_size=32)})
    with pytest.raises(ValueError, match="at least one model"):
        table1_html({})
