"""The width rule and the paper's complexity-preserving design (Eq. 4, Table 2)."""

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from resnext_teach import MODEL_CONFIGS, ResNeXtBottleneck, build_model, complexity_preserving_width
from resnext_teach import complexity_table, grouped_width, stage_widths, template_params

# Xie et al. 2017, Table 2: cardinality C, width of bottleneck d, width of group conv.
PAPER_TABLE_2 = [(1, 64, 64), (2, 40, 80), (4, 24, 96), (8, 14, 112), (32, 4, 128)]


def test_reproduces_table_2():
    rows = complexity_table()
    assert [(r["cardinality"], r["bottleneck_width"], r["grouped_width"]) for r in rows] == PAPER_TABLE_2
    budget = template_params(1, 64)
    assert budget == 256 * 64 + 9 * 64 * 64 + 64 * 256  # the ResNet template, "~70k"
    for r in rows:  # every row stays within 3% of the budget, as the paper's "~70k" says
        assert abs(r["template_params"] - budget) / budget < 0.03


@given(st.integers(1, 64), st.sampled_from([None, 20_000, 69_632, 150_000]))
def test_solved_width_is_the_integer_closest_to_the_budget(c, budget):
    if budget is not None and budget < template_params(c, 1):
        with pytest.raises(ValueError, match=f"budget={budget} is too small for cardinality={c}"):
            complexity_preserving_width(c, budget=budget)
        return
    d = complexity_preserving_width(c, budget=budget)
    budget = budget or template_params(1, 64)
    best = min(range(1, 200), key=lambda w: (abs(template_params(c, w) - budget), w))  # brute force
    assert d == best


def test_template_params_equal_a_real_block():
    """The template counts the three convolutions of a stage-1 block (BN excluded)."""
    for c, d, _ in PAPER_TABLE_2:
        block = ResNeXtBottleneck(256, 64, cardinality=c, bottleneck_width=d)
        convs = sum(m.weight.numel() for m in (block.conv1, block.conv2, block.conv3))
        assert convs == template_params(c, d)


@given(st.sampled_from([64, 128, 256, 512]), st.integers(1, 128), st.integers(1, 64))
def test_grouped_width_is_torchvisions_rule(planes, d, c):
    if int(planes * d / 64) < 1:
        with pytest.raises(ValueError, match="channels per path"):
            grouped_width(planes, d, c)
    else:
        assert grouped_width(planes, d, c) == int(planes * (d / 64.0)) * c


def test_errors_are_named():
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        complexity_preserving_width(0)
    with pytest.raises(ValueError, match="too small for cardinality=64"):
        complexity_preserving_width(64, budget=100)
    with pytest.raises(ValueError, match="budget=0 must be a positive integer"):
        complexity_preserving_width(4, budget=0)
    with pytest.raises(TypeError, match="bottleneck_width=1.5 must be a positive integer"):
        template_params(2, 1.5)


@pytest.mark.parametrize("name", ["resnet50", "resnext50_32x4d", "resnext101_32x8d"])
def test_stage_widths_are_torchvisions_modules(name):
    """The per-stage table of chapter 3 (the width rule) against torchvision's own modules and against ours: every
    block's grouped 3x3 (``conv2``) has the stage's width and groups, and the block outputs ``planes * 4``."""
    import torchvision

    config = MODEL_CONFIGS[name]
    rows = stage_widths(config.cardinality, config.bottleneck_width)
    with torch.device("meta"):  # shapes only: ResNeXt-101 32x8d's 88 million weights cost nothing
        theirs = getattr(torchvision.models, name)(weights=None)
        ours = build_model(name)
    for model in (theirs, ours):
        stages = [model.layer1, model.layer2, model.layer3, model.layer4]
        assert len(stages) == len(rows)
        for stage, row in zip(stages, rows):
            for block in stage:
                assert block.conv2.out_channels == block.conv2.in_channels == row["grouped_width"]
                assert block.conv2.groups == config.cardinality
                assert block.conv2.in_channels // block.conv2.groups == row["per_group"]
                assert block.conv1.out_channels == row["grouped_width"]
                assert block.conv3.out_channels == row["out_channels"] == 4 * row["planes"]


def test_stage_widths_values_and_errors():
    assert [r["grouped_width"] for r in stage_widths(32, 4)] == [128, 256, 512, 1024]
    assert [r["per_group"] for r in stage_widths(32, 8)] == [8, 16, 32, 64]
    assert [r["grouped_width"] for r in stage_widths(1, 64)] == [r["planes"] for r in stage_widths(1, 64)]
    assert [r["planes"] for r in stage_widths(4, 24, num_stages=3, base_planes=16)] == [16, 32, 64]
    with pytest.raises(ValueError, match="num_stages=0 must be a positive integer"):
        stage_widths(32, 4, num_stages=0)
    with pytest.raises(ValueError, match="channels per path"):
        stage_widths(32, 1, base_planes=16)
