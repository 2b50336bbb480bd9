"""Chapter 3 (cardinality): the explorer against real blocks, the paper's quoted numbers against the package,
the exercise checks, and the notebook's structure."""

import ast
import json
import re
from pathlib import Path

import matplotlib.text
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from torch.utils.flop_counter import FlopCounterMode

from resnext_teach import (
    ResNeXtBottleneck,
    build_model,
    complexity_preserving_width,
    complexity_table,
    count_parameters,
    grouped_width,
    template_macs,
)
from resnext_teach import paper
from resnext_teach.exercises.cardinality import (
    check_complexity_preserving_width,
    check_grouped_width,
    check_template_params,
)
from resnext_teach.explorers import all_explorers
from resnext_teach.explorers.cardinality import (
    CARDINALITIES,
    CARDINALITY_EXPLORER,
    cardinality_values,
    naive_bottleneck_width,
)
from resnext_teach.figures import FONT_SIZE, block_forms_figure

from helpers import free_of as shared_free_of

NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "03_cardinality.ipynb"
RESNET_TEMPLATE_PARAMS = 256 * 64 + 3 * 3 * 64 * 64 + 64 * 256  # ResNet-50's conv2 block convolutions, by hand


def conv_params(block: ResNeXtBottleneck) -> int:
    """Parameters of the block's three convolutions (the paper's template: no BN, no bias)."""
    return sum(p.numel() for conv in (block.conv1, block.conv2, block.conv3) for p in conv.parameters())


def counted_macs(block: torch.nn.Module, x: torch.Tensor) -> int:
    """Multiply-adds measured by PyTorch's FlopCounterMode, which counts a multiply-add as 2 FLOPs."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        block(x)
    return counter.get_total_flops() // 2


CONSTANT_TEXT = ("3x3", "1x1", "3 x 3 = 9", "9 d^2", "int(planes * d / 64)", "planes x 4", "256*d + 9*d*d + d*256",
                 "256 -> d", "d -> 256", "64 channels", "d = 64", "Eq. 4", "Table 2")
"""Fixed phrases of the feedback (formulas, layer names): the same whatever the answer, so they reveal nothing."""


def free_of(expected: int, message: str) -> bool:
    """``helpers.free_of``, apart from the fixed phrases in ``CONSTANT_TEXT``."""
    return shared_free_of(expected, message, ignore=CONSTANT_TEXT)


# --- the explorer ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("cardinality", CARDINALITIES)
def test_every_position_matches_real_blocks(cardinality):
    values = cardinality_values(cardinality)
    x = torch.randn(1, 256, 56, 56)  # the conv2 stage's map, where the paper counts the template's FLOPs
    designs = (
        (values["bottleneck_width"], "grouped_width", "template_params", "template_macs", "budget_share"),
        (values["naive_bottleneck_width"], "naive_grouped_width", "naive_params", "naive_macs", "naive_budget_share"),
    )
    for d, width_key, params_key, macs_key, share_key in designs:
        block = ResNeXtBottleneck(256, 64, cardinality=cardinality, bottleneck_width=d).eval()
        assert block.downsample is None  # the template: identity shortcut, nothing else counted
        assert block.conv2.groups == cardinality and block.conv2.in_channels == values[width_key]
        assert conv_params(block) == values[params_key]
        assert counted_macs(block, x) == values[macs_key]
        assert values[share_key] == pytest.approx(conv_params(block) / RESNET_TEMPLATE_PARAMS)
        if width_key == "grouped_width":
            assert block.conv2.weight.numel() == values["conv3x3_params"]
            assert values["conv3x3_share"] == pytest.approx(block.conv2.weight.numel() / conv_params(block))
    assert values["naive_grouped_width"] == 64 and values["naive_bottleneck_width"] * cardinality == 64


@pytest.mark.parametrize("cardinality", CARDINALITIES)
def test_width_is_the_integer_nearest_the_budget(cardinality):
    """Brute force over real blocks: no other integer d brings the template closer to ResNet's."""
    d = cardinality_values(cardinality)["bottleneck_width"]

    def miss(width: int) -> int:
        return abs(conv_params(ResNeXtBottleneck(256, 64, cardinality=cardinality, bottleneck_width=width)) - RESNET_TEMPLATE_PARAMS)

    assert all(miss(d) <= miss(other) for other in range(max(1, d - 3), d + 4))


def test_positions_on_table_2_are_the_papers():
    table = {c: (d, width) for c, d, width in paper.TABLE2}
    for c in CARDINALITIES:
        values = cardinality_values(c)
        if c in table:
            assert (values["bottleneck_width"], values["grouped_width"]) == table[c]
    assert set(table) <= set(CARDINALITIES)


def test_panes_have_their_pictures_and_formats():
    ex = CARDINALITY_EXPLORER
    assert all_explorers()[ex.name] is ex
    assert len(list(ex.positions())) == len(CARDINALITIES)
    for settings in ex.positions():  # the spans themselves are checked for every explorer in test_explorer_core
        pane = ex.pane(**settings)
        assert pane.count("<svg") == 2 and "base64" not in pane and len(pane) < 8000
    assert ex.format("budget_share", cardinality_values(32)["budget_share"]) == "100.7%"


def test_explorer_errors_name_the_rule():
    with pytest.raises(ValueError, match="cardinality=3 must divide the naive design's width=64"):
        naive_bottleneck_width(3)
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        cardinality_values(0)


# --- the paper's numbers -----------------------------------------------------------------------------------

def test_table_2_and_the_template_budget():
    rows = complexity_table(tuple(c for c, _, _ in paper.TABLE2))
    assert [(r["cardinality"], r["bottleneck_width"], r["grouped_width"]) for r in rows] == list(paper.TABLE2)
    for r in rows:  # "~70k" parameters and "~0.22 billion" FLOPs (Table 2 caption)
        assert round(r["template_params"], -4) == paper.TEMPLATE_PARAMS_APPROX
        macs = template_macs(r["cardinality"], r["bottleneck_width"], spatial=paper.TEMPLATE_SPATIAL)
        assert round(macs / 1e9, 2) == paper.TEMPLATE_GFLOPS_APPROX


@pytest.mark.parametrize("name", ["resnet50", "resnext50_32x4d"])
def test_table_1_rounded_figures(name):
    with torch.device("meta"):  # shapes only: counting needs no numbers
        model = build_model(name).eval()
    # Table 1 prints one decimal (25.5 for ResNet-50's 25,557,032): agree to within that last digit
    assert count_parameters(model) / 1e6 == pytest.approx(paper.TABLE1_PARAMS_MILLIONS[name], abs=0.1)
    macs = counted_macs(model, torch.empty(1, 3, 224, 224, device="meta"))
    assert round(macs / 1e9, 1) == paper.TABLE1_GFLOPS[name]


def test_table_3_lookup_and_shape():
    assert paper.table3_top1_error(50, 1, 64) == 23.9 and paper.table3_top1_error(50, 32, 4) == 22.2
    assert paper.table3_top1_error(101, 1, 64) == 22.0 and paper.table3_top1_error(101, 32, 4) == 21.2
    for depth, rows in paper.TABLE3_TOP1_ERROR.items():
        assert list(rows) == [(c, d) for c, d, _ in paper.TABLE2]  # the same templates as Table 2
        errors = list(rows.values())
        assert errors == sorted(errors, reverse=True)  # as printed: error falls as C rises
    with pytest.raises(ValueError, match="depth=152 is not in Table 3"):
        paper.table3_top1_error(152, 32, 4)
    with pytest.raises(ValueError, match="cardinality=16, bottleneck_width=8 is not in Table 3"):
        paper.table3_top1_error(50, 16, 8)
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        paper.table3_top1_error(50, 0, 4)


# --- the exercise checks -----------------------------------------------------------------------------------

def test_template_params_check():
    assert check_template_params(8 * (256 * 14 + 9 * 14 * 14 + 14 * 256))
    assert check_template_params(float(8 * (256 * 14 + 9 * 14 * 14 + 14 * 256)))
    assert check_template_params(32 * (256 * 2 + 9 * 2 * 2 + 2 * 256), cardinality=32, bottleneck_width=2)
    slips = {
        256 * 14 + 9 * 14 * 14 + 14 * 256: "one path",
        2 * 256 * 112 + 9 * 112 * 112: "dense",
        8 * (256 * 14 + 9 * 14 * 14): "two 1x1",
        8 * (2 * 256 * 14 + 14 * 14): "9 weights",
        71456 + 2 * (112 + 112 + 256): "BatchNorm",
        71456 + 112 + 112 + 256: "no bias",
    }
    for answer, hint in slips.items():
        fb = check_template_params(answer)
        assert not fb and hint in fb.message and free_of(71456, fb.message)
    assert "Replace None" in str(check_template_params(None))
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        check_template_params(1, cardinality=0)


def test_width_check():
    assert check_complexity_preserving_width(8)  # C = 16: the root 7.51 rounds to 8
    assert check_complexity_preserving_width(8.0)
    assert "107.4%" in check_complexity_preserving_width(8).message
    for c, d, _ in paper.TABLE2:
        assert check_complexity_preserving_width(d, cardinality=c)
    slips = {7: "rounded the root down", 4: "splits ResNet's 64 channels", 64: "factor C", 7.51: "exact root",
             9: "Solve", 2: "Solve", 0: "positive", 7.2: "whole number", "8": "not str",
             float("nan"): "finite", None: "Replace None"}
    for answer, hint in slips.items():
        fb = check_complexity_preserving_width(answer)
        assert not fb and hint in str(fb) and free_of(8, fb.message), (answer, fb)


@given(st.integers(1, 64), st.integers(-5, 200))
def test_width_check_never_reveals_the_answer(cardinality, answer):
    expected = complexity_preserving_width(cardinality)  # the rounded root of Eq. 4, as in Table 2
    fb = check_complexity_preserving_width(answer, cardinality=cardinality)
    assert bool(fb) == (answer == expected)
    if not fb:  # the message may quote the student's own d, never the expected one
        assert free_of(expected, fb.message.replace(f"d = {answer} ", " "))


def test_grouped_width_check():
    assert check_grouped_width(int(256 * 4 / 64) * 32)
    assert check_grouped_width(int(512 * 4 / 64) * 32, planes=512)
    slips = {16: "single group", 128: "first stage", 1024: "output width", 256: "planes itself",
             256 * 4 * 32: "divide by 64"}
    for answer, hint in slips.items():
        fb = check_grouped_width(answer)
        assert not fb and hint in fb.message and free_of(512, fb.message)
    assert "Recount" in check_grouped_width(600).message
    with pytest.raises(ValueError, match="channels per path"):
        check_grouped_width(1, planes=8, bottleneck_width=4)


@given(st.sampled_from([64, 128, 256, 512]), st.sampled_from([1, 2, 4, 8, 32, 64]), st.integers(1, 64),
       st.integers(0, 5000))
def test_checks_agree_with_the_formulas(planes, cardinality, d, answer):
    expected_params = cardinality * (256 * d + 9 * d * d + d * 256)
    fb = check_template_params(answer, cardinality=cardinality, bottleneck_width=d)
    assert bool(fb) == (answer == expected_params)
    assert fb or free_of(expected_params, fb.message)
    if planes * d >= 64:
        width = int(planes * d / 64) * cardinality
        fb = check_grouped_width(answer, planes=planes, cardinality=cardinality, bottleneck_width=d)
        assert bool(fb) == (answer == width)
        assert fb or free_of(width, fb.message)


# --- the figure of the three forms (Fig. 3) ------------------------------------------------------------------

@pytest.mark.parametrize("spec", [(256, 64, 32, 4), (256, 64, 8, 14), (256, 64, 2, 40), (512, 128, 32, 4), (64, 64, 4, 24)])
def test_block_forms_figure_labels_are_the_blocks(spec):
    """Every label with a number is one the package's blocks imply, and every such label is drawn."""
    in_channels, planes, c, d = spec
    block = ResNeXtBottleneck(in_channels, planes, cardinality=c, bottleneck_width=d)
    width, d_path, out = block.conv2.in_channels, block.conv2.in_channels // c, block.conv3.out_channels
    assert width == grouped_width(planes, d, c) and out == 4 * planes
    expected = {
        f"(a) aggregated, {c} paths", f"x: {in_channels} channels", f"y = x + F(x): {out} channels", "path 1", f"path {c}",
        f"{in_channels}, 1x1, {d_path}", f"{d_path}, 3x3, {d_path}", f"{d_path}, 1x1, {out}",  # one path, (a) and (b)
        f"concatenate: {width} channels", f"{width}, 1x1, {out}",  # (b)'s last layer, also (c)'s conv3
        f"{in_channels}, 1x1, {width}", f"{width}, 3x3, {width}\ngroups = {c}",  # (c)
    }
    drawing = block_forms_figure(in_channels, planes, c, d)
    texts = drawing.texts()
    assert {t for t in texts if re.search(r"\d", t)} == expected
    assert texts.count(f"{in_channels}, 1x1, {d_path}") == 4 and texts.count(f"{d_path}, 3x3, {d_path}") == 4
    assert ("..." in texts) == (c > 2)
    assert f"{c}x{d}d" in drawing.description


def test_block_forms_figure_is_true_to_scale_and_readable():
    drawing = block_forms_figure()
    fig = drawing.figure
    (ax,) = fig.axes
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert ax.get_aspect() == 1.0 and (x1 - x0) / (y1 - y0) == pytest.approx(fig.get_figwidth() / fig.get_figheight())
    assert tuple(ax.get_position().bounds) == (0, 0, 1, 1)  # one axes unit is one inch both ways
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
    assert texts and min(t.get_fontsize() for t in texts) >= FONT_SIZE >= 10
    svg = drawing._repr_svg_()
    assert svg.startswith("<svg ") and 'role="img"' in svg and "<title>The paper&#x27;s Figure 3" in svg
    assert svg == block_forms_figure().svg()  # the same figure gives the same file on every build
    with pytest.raises(ValueError, match="cardinality=1 must be at least 2"):
        block_forms_figure(cardinality=1, bottleneck_width=64)


# --- the notebook ------------------------------------------------------------------------------------------

def test_notebook_structure():
    nb = json.loads(NOTEBOOK.read_text())
    cells = nb["cells"]
    assert "".join(cells[0]["source"]).startswith("(ch-cardinality)=\n# Chapter 3: Cardinality")
    assert nb["metadata"]["kernelspec"]["name"] == "python3"
    code = [c for c in cells if c["cell_type"] == "code"]
    assert "remove-cell" in code[0]["metadata"].get("tags", []) and "setup(seed=0)" in "".join(code[0]["source"])
    source = "\n".join("".join(c["source"]) for c in code)
    text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    # the values the text quotes are handed over by hidden cells of prose(...) calls only; no cell a reader sees
    # calls glue( or prose(
    hidden = [c for c in code[1:] if "remove-cell" in c["metadata"].get("tags", [])]
    visible = [c for c in code if "remove-cell" not in c["metadata"].get("tags", [])]
    assert not any(re.search(r"\b(glue|prose)\(", "".join(c["source"])) for c in visible)
    glued = set()
    for cell in hidden:
        for statement in ast.parse("".join(cell["source"])).body:
            call = statement.value
            assert isinstance(statement, ast.Expr) and isinstance(call, ast.Call) and call.func.id == "prose"
            glued |= {keyword.arg for keyword in call.keywords}
    used = {m.split(":")[0] for m in re.findall(r"\{glue:text\}`([^`]+)`", text)}
    assert used and used <= glued, used - glued
    assert len(re.findall(r"```\{exercise\}", text)) >= 3
    assert "{cite:p}`xie2017resnext`" in text and "## Summary" in text
    assert source.count("CARDINALITY_EXPLORER.show()") == 1 and ".static()" not in source and ".widget()" not in source
