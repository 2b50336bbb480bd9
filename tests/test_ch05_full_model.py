"""Chapter 5 (the full model): Table 1 read off modules, stage costs, arithmetic intensity, the family explorer,
torchvision weights and layouts, quoted paper results, the exercise checks, and the notebook itself."""

import importlib.util
import json
import re
import sys
from pathlib import Path
from urllib.error import URLError

import nbformat
import pytest
import torch
from torch import nn

from resnext_teach import MODEL_CONFIGS, ResNeXt, build_model, conv2d_output_size, count_parameters, measure_macs
from resnext_teach.explorers import all_explorers
from resnext_teach.explorers.model import DEPTH_LAYERS, MODEL_EXPLORER, TEMPLATES, family_config, model_label
from resnext_teach.exercises.model import (
    RESNEXT152_LAYERS,
    check_grouped_width,
    check_output_sizes,
    check_stage_params,
    resnext152_config,
    stage_params_hints,
)
from resnext_teach.intensity import Intensity, conv_intensity, conv_kind, profile_convolutions
from resnext_teach.paper_results import IMAGENET_RESULTS, TABLE1, top1_error
from resnext_teach.pretrained import (
    PretrainedUnavailable,
    check_torchvision_layout,
    checkpoint_path,
    compare_layouts,
    load_pretrained,
    torchvision_weights,
)
from resnext_teach.stages import block_spec, stage_costs, stage_names, stage_table, table1_html, table_html

from helpers import assert_never_reveals as assert_hidden

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "chapters" / "05_full_model.ipynb"
HAVE_TORCHVISION = importlib.util.find_spec("torchvision") is not None
needs_torchvision = pytest.mark.skipif(not HAVE_TORCHVISION, reason="torchvision is the reference here")

# torchvision's documented parameter counts ("num_params" of each model's weights).
TORCHVISION_PARAMS = {
    "resnet50": 25_557_032,
    "resnext50_32x4d": 25_028_904,
    "resnet101": 44_549_160,
    "resnext101_32x8d": 88_791_336,
    "resnext101_64x4d": 83_455_272,
}

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


def meta_model(config_or_name) -> ResNeXt:
    with torch.device("meta"):
        if isinstance(config_or_name, str):
            return build_model(config_or_name)
        return ResNeXt(config_or_name)


def meta_image(size: int = 224, batch: int = 1, channels: int = 3) -> torch.Tensor:
    with torch.device("meta"):
        return torch.empty(batch, channels, size, size)


def stage_inputs(model: ResNeXt, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The tensor that enters each top-level module (forward pre-hooks), for an independent per-stage count."""
    seen: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_pre_hook(lambda _m, args, name=name: seen.setdefault(name, args[0]))
             for name, m in model.named_children()]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return seen


# --- Table 1 ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["resnet50", "resnext50_32x4d"])
def test_table1_matches_the_paper_and_the_modules(name):
    model = meta_model(name)
    rows = stage_table(model)
    assert [r.stage for r in rows] == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc"]
    assert [r.lines for r in rows] == PAPER_TABLE1_SPECS[name]
    assert [r.output_size for r in rows] == PAPER_OUTPUT_SIZES
    assert rows[1].spec == "; then ".join(PAPER_TABLE1_SPECS[name][1])
    total = sum(r.params for r in rows)
    assert total == count_parameters(model) == TORCHVISION_PARAMS[name]
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
    rows = stage_table(meta_model(config), image_size=size)
    costs = stage_costs(config, image_size=size)
    assert [(c.stage, c.params, c.macs) for c in costs] == [(r.stage, r.params, r.macs) for r in rows]


def test_stage_table_errors_and_html():
    with pytest.raises(ValueError, match="model must be a resnext_teach ResNeXt, not Linear"):
        stage_table(nn.Linear(2, 2))
    with pytest.raises(ValueError, match="image_size=0 must be a positive integer"):
        stage_table(meta_model("resnet50"), image_size=0)
    with pytest.raises(ValueError, match="config must be a ModelConfig, not str"):
        stage_costs("resnet50")
    rows50, rowsx = stage_table(meta_model("resnet50")), stage_table(meta_model("resnext50_32x4d"))
    styler = table1_html({"ResNet-50": rows50, "ResNeXt-50": rowsx})
    frame = styler.data  # a pandas Styler: the table itself, then how it is drawn
    assert list(frame.columns) == ["stage", "output", "ResNet-50", "ResNeXt-50"]
    assert list(frame["stage"]) == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc", "# params.", "multiply-adds"]
    assert list(frame["output"][:6]) == [f"{h}×{w}" for h, w in PAPER_OUTPUT_SIZES]
    for column, name in (("ResNet-50", "resnet50"), ("ResNeXt-50", "resnext50_32x4d")):
        assert list(frame[column][:6]) == ["\n".join(lines) for lines in PAPER_TABLE1_SPECS[name]]
    assert list(frame["ResNet-50"][6:]) == [25_557_032, 4_089_184_256]
    assert list(frame["ResNeXt-50"][6:]) == [25_028_904, 4_230_479_872]
    html = styler.to_html()
    # each value in its own padded cell, so that neighbouring cells cannot run together
    for text in (">112×112</td>", ">25,557,032</td>", ">25,028,904</td>", ">4,230,479,872</td>", "C=32"):
        assert text in html, text
    assert "padding" in html and "white-space: pre-line" in html  # a line per layer or block
    with pytest.raises(ValueError, match="has other stages"):
        table1_html({"a": rows50, "b": stage_table(meta_model("resnext_cifar_small"), image_size=32)})
    with pytest.raises(ValueError, match="at least one model"):
        table1_html({})
    assert table_html(["a"], [["<b>"]]) == "<table><thead><tr><th>a</th></tr></thead><tbody><tr><td>&lt;b&gt;</td></tr></tbody></table>"


# --- arithmetic intensity -------------------------------------------------------------------------------------


@pytest.mark.parametrize("groups, stride, batch", [(1, 1, 1), (32, 1, 8), (4, 2, 2)])
def test_conv_intensity_by_hand(groups, stride, batch):
    conv = nn.Conv2d(128, 64, 3, stride=stride, padding=1, groups=groups, bias=False)
    h = (56 + 2 - 3) // stride + 1
    macs = batch * 64 * (128 // groups) * 9 * h * h
    x = torch.randn(batch, 128, 56, 56)
    assert macs == measure_macs(conv, x)
    bytes_moved = 4 * (conv.weight.numel() + x.numel() + conv(x).numel())
    result = conv_intensity(conv, 56, batch)
    assert result == Intensity(macs, bytes_moved)
    assert result.flops == 2 * macs and result.flops_per_byte == pytest.approx(2 * macs / bytes_moved)
    assert conv_intensity(conv, (56, 56), batch, bytes_per_element=2).bytes_moved == bytes_moved // 2


def test_grouped_layer_has_lower_intensity():
    dense, grouped = meta_model("resnet50").layer1[1].conv2, meta_model("resnext50_32x4d").layer1[1].conv2
    assert conv_intensity(dense, 56).flops_per_byte > 10 * conv_intensity(grouped, 56).flops_per_byte
    assert conv_intensity(dense, 56) + conv_intensity(grouped, 56) == Intensity(
        conv_intensity(dense, 56).macs + conv_intensity(grouped, 56).macs,
        conv_intensity(dense, 56).bytes_moved + conv_intensity(grouped, 56).bytes_moved,
    )


def test_profile_convolutions_groups_layers_by_kind_and_cleans_up():
    model = build_model("resnext_cifar_small").train()
    x = torch.randn(2, 3, 16, 16)
    profile = profile_convolutions(model, x, repeats=2)
    assert model.training
    convs = [m for m in model.modules() if isinstance(m, nn.Conv2d)]
    assert all(not c._forward_hooks and not c._forward_pre_hooks for c in convs)
    assert [p.kind for p in profile] == ["3×3", "1×1", "3×3 grouped"]  # order of first appearance
    assert {p.kind: p.layers for p in profile} == {"3×3": 1, "1×1": 9, "3×3 grouped": 3}
    assert sum(p.intensity.macs for p in profile) == measure_macs(model, x) - 2 * model.fc.in_features * model.fc.out_features
    assert all(p.seconds > 0 and p.gflops_per_second > 0 for p in profile)
    grouped = next(p for p in profile if p.kind == "3×3 grouped")
    inputs = stage_inputs(model, x)
    expected = sum((conv_intensity(s[0].conv2, tuple(inputs[f"layer{i + 1}"].shape[2:]), 2)
                    for i, s in enumerate(model.stages)), Intensity(0, 0))
    assert grouped.intensity == expected
    assert conv_kind(nn.Conv2d(4, 4, 3, groups=2)) == "3×3 grouped" and conv_kind(nn.Conv2d(4, 4, (1, 3))) == "1×3"


def test_intensity_errors():
    with pytest.raises(ValueError, match="conv must be a torch.nn.Conv2d, not Linear"):
        conv_intensity(nn.Linear(2, 2), 8)
    with pytest.raises(ValueError, match="padding='same'"):
        conv_intensity(nn.Conv2d(2, 2, 3, padding="same"), 8)
    with pytest.raises(ValueError, match="batch_size=0 must be a positive integer"):
        conv_intensity(nn.Conv2d(2, 2, 3), 8, batch_size=0)
    with pytest.raises(ValueError, match="model has no nn.Conv2d layer"):
        profile_convolutions(nn.Linear(2, 2), torch.randn(1, 2))
    with pytest.raises(ValueError, match="model must be a torch.nn.Module"):
        profile_convolutions("resnet50", torch.randn(1, 2))
    with pytest.raises(ValueError, match="repeats=0 must be a positive integer"):
        profile_convolutions(nn.Conv2d(2, 2, 1), torch.randn(1, 2, 4, 4), repeats=0)
    with pytest.raises(ValueError, match="times CPU execution; inputs are on meta"):
        profile_convolutions(nn.Conv2d(2, 2, 1), meta_image(4, channels=2))


# --- the explorer ---------------------------------------------------------------------------------------------


def test_explorer_is_registered_and_small():
    assert all_explorers()["model-family"] is MODEL_EXPLORER
    positions = list(MODEL_EXPLORER.positions())
    assert len(positions) == len(DEPTH_LAYERS) * len(TEMPLATES) <= 150
    assert DEPTH_LAYERS == {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
    assert len(MODEL_EXPLORER.pane(**MODEL_EXPLORER.defaults)) < 6000


@pytest.mark.parametrize("depth", sorted(DEPTH_LAYERS))
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_explorer_position_against_the_full_model(depth, template):
    values = MODEL_EXPLORER.compute(depth=depth, template=template)
    model = meta_model(family_config(depth, *template))
    assert values["params"] == count_parameters(model) == sum(p.numel() for p in model.parameters())
    assert values["gmacs"] == measure_macs(model, meta_image()) / 1e9
    assert values["params_conv1"] == count_parameters(model.conv1) + count_parameters(model.bn1)
    for i, layer in enumerate(model.stages):
        assert values[f"params_conv{i + 2}"] == count_parameters(layer)
    assert values["params_fc"] == count_parameters(model.fc)
    # what the reader sees is exactly explorer.format of compute (settings come back from the page as JSON)
    pane = MODEL_EXPLORER.pane(depth=depth, template=template)
    settings = json.loads(re.search(r'data-rxt-settings="([^"]*)"', pane).group(1).replace("&quot;", '"'))
    assert settings == {"depth": depth, "template": list(template)}
    again = MODEL_EXPLORER.compute(**settings)
    for key, value in again.items():
        assert f'<span data-rxt-key="{key}">{MODEL_EXPLORER.format(key, value)}</span>' in pane
    assert model_label(depth, *template) in pane


@pytest.mark.parametrize("name, documented", TORCHVISION_PARAMS.items())
def test_named_models_in_the_explorer_match_torchvision_documentation(name, documented):
    config = MODEL_CONFIGS[name]
    values = MODEL_EXPLORER.compute(depth=config.depth, template=(config.cardinality, config.bottleneck_width))
    assert values["params"] == documented
    if HAVE_TORCHVISION:
        from torchvision.models import get_model_weights

        meta = get_model_weights(name).DEFAULT.meta
        assert meta["num_params"] == documented
        assert abs(values["gmacs"] - meta["_ops"]) < 0.005  # torchvision documents GFLOPS as multiply-adds


def test_family_config_and_labels():
    assert family_config(50, 32, 4) == MODEL_CONFIGS["resnext50_32x4d"]
    assert family_config(101, 1, 64) == MODEL_CONFIGS["resnet101"]
    assert model_label(50, 1, 64) == "ResNet-50" and model_label(101, 64, 4) == "ResNeXt-101 (64×4d)"
    with pytest.raises(ValueError, match="depth=152 must be one of"):
        family_config(152, 32, 4)


# --- torchvision weights and layouts --------------------------------------------------------------------------


def test_compare_layouts_reports_every_kind_of_difference():
    ours = {"a": torch.zeros(2, 3), "b": torch.zeros(4), "c": torch.zeros(1)}
    assert compare_layouts(ours, dict(ours)).ok and "3 keys" in str(compare_layouts(ours, dict(ours)))
    reordered = {"b": torch.zeros(4), "a": torch.zeros(2, 3), "c": torch.zeros(1)}
    report = compare_layouts(ours, reordered)
    assert report.ok and not report.same_order and "another order" in str(report)
    reference = {"a": torch.zeros(3, 2), "b": torch.zeros(4), "d": torch.zeros(1)}
    report = compare_layouts(ours, reference)
    assert not report.ok
    assert report.missing == ("d",) and report.unexpected == ("c",) and report.mismatched == (("a", (2, 3), (3, 2)),)
    assert str(report) == ("layouts differ: 1 missing (e.g. d); 1 unexpected (e.g. c); "
                           "1 with other shapes (e.g. a: ours (2, 3), reference (3, 2))")


def test_groups_slip_is_caught_by_the_layout_check():
    from dataclasses import replace

    slip = meta_model(replace(MODEL_CONFIGS["resnext50_32x4d"], cardinality=4, bottleneck_width=32))
    report = compare_layouts(slip.state_dict(), meta_model("resnext50_32x4d").state_dict())
    assert not report.missing and not report.unexpected and len(report.mismatched) == 16
    assert all(key.endswith("conv2.weight") for key, _, _ in report.mismatched)


@needs_torchvision
@pytest.mark.parametrize("name", ["resnet50", "resnext50_32x4d", "resnet101", "resnext101_32x8d", "resnext101_64x4d"])
def test_layouts_match_torchvision(name):
    report = check_torchvision_layout(name)
    assert report.ok and report.same_order and report.keys == len(meta_model(name).state_dict())


@needs_torchvision
def test_weights_lookup_errors():
    assert torchvision_weights("resnext50_32x4d").name == "IMAGENET1K_V1"
    assert torchvision_weights("resnext50_32x4d", "DEFAULT").name == "IMAGENET1K_V2"
    with pytest.raises(ValueError, match="torchvision publishes no weights for 'resnext101_32x4d'"):
        torchvision_weights("resnext101_32x4d")
    with pytest.raises(ValueError, match="weights='V3' is not one of ResNeXt50_32X4D_Weights's members"):
        torchvision_weights("resnext50_32x4d", "V3")
    with pytest.raises(ValueError, match="name='resnext51' is not a known model"):
        torchvision_weights("resnext51")
    with pytest.raises(ValueError, match="name='resnext51' is not a known model"):
        check_torchvision_layout("resnext51")
    with pytest.raises(ValueError, match="torchvision has no model named 'resnext29_8x64d'"):
        check_torchvision_layout("resnext29_8x64d")


@needs_torchvision
def test_load_pretrained_without_cache_or_network(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(PretrainedUnavailable, match="not in the torch.hub cache .* and download=False"):
        load_pretrained("resnext50_32x4d", download=False)
    entry = torchvision_weights("resnext50_32x4d")

    def offline(*args, **kwargs):
        raise URLError("Name or service not known")

    monkeypatch.setattr(type(entry), "get_state_dict", lambda self, *a, **k: offline())
    with pytest.raises(PretrainedUnavailable, match="could not download https://download.pytorch.org/.*copy that file to"):
        load_pretrained("resnext50_32x4d", download=True)


@needs_torchvision
def test_load_pretrained_from_the_cache_gives_torchvisions_model(tmp_path, monkeypatch):
    import torchvision

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    entry = torchvision_weights("resnet50")
    reference = torchvision.models.resnet50().eval()
    with torch.no_grad():
        for m in reference.modules():  # non-trivial BN statistics, so a misplaced layer would show
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    path = Path(checkpoint_path(entry))
    assert path.parent == tmp_path / "checkpoints"
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)  # a stand-in for the downloaded file (its hash differs)
    model, weights = load_pretrained("resnet50", download=False, check_hash=False)
    assert weights is entry and not model.training
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(model(x), reference(x), rtol=0, atol=0)


def test_without_torchvision_everything_explains_itself(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes `import torchvision` raise ImportError
    for call in (lambda: load_pretrained("resnext50_32x4d"), lambda: check_torchvision_layout("resnet50")):
        with pytest.raises(PretrainedUnavailable, match="torchvision is not installed"):
            call()


# --- quoted paper results -------------------------------------------------------------------------------------


def test_paper_results_lookup_and_complexity():
    assert top1_error("ResNeXt-50", "32×4d") == 22.2 and top1_error("ResNet-50", "1×64d") == 23.9
    with pytest.raises(ValueError, match="is not a quoted result"):
        top1_error("ResNeXt-50", "64×4d")
    macs = {}
    for r in IMAGENET_RESULTS:
        if r.config is not None:
            macs[(r.model, r.template)] = sum(c.macs for c in stage_costs(r.config))
    r50, r101 = macs[("ResNet-50", "1×64d")], macs[("ResNet-101", "1×64d")]
    assert abs(macs[("ResNeXt-50", "32×4d")] / r50 - 1) < 0.05  # Table 3: about the same complexity
    assert abs(macs[("ResNeXt-101", "32×4d")] / r101 - 1) < 0.05
    for key in [("ResNet-101, wider", "1×100d"), ("ResNeXt-101", "2×64d"), ("ResNeXt-101", "64×4d")]:
        assert 1.9 < macs[key] / r101 < 2.05, key  # Table 4: twice ResNet-101's complexity
    assert [r.top1_error for r in IMAGENET_RESULTS if r.table == "Table 4"] == sorted(
        (r.top1_error for r in IMAGENET_RESULTS if r.table == "Table 4"), reverse=True)


# --- exercises ------------------------------------------------------------------------------------------------


def test_check_stage_params():
    with torch.device("meta"):
        stage = ResNeXt(resnext152_config()).layer3
    assert len(stage) == RESNEXT152_LAYERS[2] == 36
    expected = sum(p.numel() for p in stage.parameters())
    assert check_stage_params(expected) and check_stage_params(float(expected))
    hints = stage_params_hints()
    assert len(set(hints.values())) == len(hints) and expected not in hints.values()
    for message, value in hints.items():
        fb = check_stage_params(value)
        assert fb.message == message
        assert_hidden(fb, expected)
    for value in (expected + 1, expected * 2, 1, 0, -expected, "7", None, True, 2.5):
        fb = check_stage_params(value)
        assert_hidden(fb, expected)
    assert "Replace None" in check_stage_params(None).message


def test_check_output_sizes():
    model = meta_model("resnext50_32x4d")
    observed = []
    hooks = [s.register_forward_hook(lambda _m, _i, out: observed.append(out.shape[-1])) for s in model.stages]
    with torch.no_grad():
        model(meta_image(320))
    for h in hooks:
        h.remove()
    assert observed == [80, 40, 20, 10]
    assert check_output_sizes(observed) and check_output_sizes(tuple(observed))
    assert check_output_sizes([56, 28, 14, 7], image_size=224)
    cases = {
        "twice too large": [160, 80, 40, 20],
        "4 times too large": [320, 160, 80, 40],
        "half what it should be": [40, 20, 10, 5],
        "The first size is right; stage 3": [80, 20, 10, 5],
        "The first size is off": [79, 40, 20, 10],
        "Give 4 numbers": [80, 40, 20],
        "whole number": [80.5, 40, 20, 10],
        "Give a list of 4 whole numbers": "80, 40, 20, 10",
        "Replace None": None,
    }
    for phrase, answer in cases.items():
        fb = check_output_sizes(answer)
        assert phrase in fb.message, (answer, fb.message)
        assert_hidden(fb, *observed)
    assert conv2d_output_size(320, 7, 2, 3) == (160, 160)


def test_check_grouped_width():
    conv = meta_model("resnext101_32x8d").layer4[0].conv2
    expected = conv.out_channels
    assert conv.groups == 32 and conv.weight.shape[1] == expected // 32
    assert check_grouped_width(expected)
    for answer, phrase in ((256, "first stage"), (1024, "one stage earlier"), (expected // 32, "each group"),
                           (8, "That is d"), (512, "planes"), (4096, "Recount"), (2047, "Recount")):
        fb = check_grouped_width(answer)
        assert phrase in fb.message, (answer, fb.message)
        assert_hidden(fb, expected)


# --- the notebook ---------------------------------------------------------------------------------------------


def test_notebook_skeleton():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("(ch-model)=\n# Chapter 5: The full model")
    for heading in ("What you will learn", "Prerequisites", "Time needed", "## Summary", "## Exercises"):
        assert any(heading in c.source for c in nb.cells if c.cell_type == "markdown"), heading
    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert setup.metadata["tags"] == ["remove-cell"] and "setup(seed=" in setup.source
    assert sum("```{exercise}" in c.source for c in nb.cells if c.cell_type == "markdown") >= 3
    assert nb.metadata["kernelspec"]["name"] == "python3"
