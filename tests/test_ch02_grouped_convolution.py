"""Chapter 2 (grouped convolution): the explorer against real nn.Conv2d(groups=G) layers, legal_groups against
what PyTorch accepts, the exercise checks, and the notebook's structure."""

import re
from pathlib import Path

import nbformat
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from resnext_teach import GroupedConv2d, build_model
from resnext_teach.exercises.core import NOT_ANSWERED
from resnext_teach.exercises.grouped import (
    DEPTHWISE_EXERCISE,
    LEGAL_EXERCISE,
    PARAMS_EXERCISE,
    PER_GROUP_EXERCISE,
    PERTURB_EXERCISE,
    check_depthwise_exercise,
    check_legal_groups_exercise,
    check_params_exercise,
    check_per_group_exercise,
    check_perturbation_exercise,
)
from resnext_teach.explorers import all_explorers
from resnext_teach.explorers.grouped import (
    GROUPED_EXPLORER,
    IN_CHANNELS,
    KERNEL_SIZE,
    OUT_CHANNELS,
    OUTPUT_SIZE,
    grouped_layer_numbers,
)
from resnext_teach import legal_groups
from resnext_teach.svg import PALETTE

from helpers import free_of

NOTEBOOK = Path(__file__).resolve().parents[1] / "chapters" / "02_grouped_convolution.ipynb"
GROUPS = [1, 2, 4, 8, 16, 32, 64]  # the divisors of 64, written out by hand


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def pytorch_accepts(c_in: int, c_out: int, g: int) -> bool:
    try:
        nn.Conv2d(c_in, c_out, 1, groups=g, device="meta")
    except ValueError:
        return False
    return True


def reach_matrix(conv: nn.Conv2d) -> torch.Tensor:
    """(C_out, C_in) boolean: does output channel o respond to input channel i? Measured on the real layer with
    one one-pixel image per input channel (only the kernel's centre tap touches a 1x1 image with padding 1)."""
    conv = conv.double()
    basis = torch.eye(conv.in_channels, dtype=torch.float64).reshape(conv.in_channels, conv.in_channels, 1, 1)
    with torch.no_grad():
        out = conv(basis)[:, :, 0, 0]  # (input i, output o)
    return (out != 0).T


def rects(svg: str) -> list[tuple[float, float, float, float, str]]:
    """The (x, y, width, height, fill) of every rectangle in an SVG."""
    found = re.findall(r'<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)" fill="([^"]+)"', svg)
    return [(float(x), float(y), float(w), float(h), fill) for x, y, w, h, fill in found]


# --- legal_groups ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("c_in, c_out", [(64, 128), (48, 72), (7, 14), (1, 1), (12, 18), (128, 64)])
def test_legal_groups_are_what_pytorch_accepts(c_in, c_out):
    accepted = [g for g in range(1, 2 * max(c_in, c_out) + 1) if pytorch_accepts(c_in, c_out, g)]
    assert legal_groups(c_in, c_out) == accepted


def test_legal_groups_errors_name_the_argument():
    with pytest.raises(ValueError, match="in_channels=0 must be a positive integer"):
        legal_groups(0, 4)
    with pytest.raises(ValueError, match="out_channels=2.5 must be a positive integer"):
        legal_groups(4, 2.5)


# --- the explorer ------------------------------------------------------------------------------------------

def test_explorer_options_are_the_legal_groups_of_the_running_example():
    assert (IN_CHANNELS, OUT_CHANNELS, KERNEL_SIZE) == (64, 128, 3)
    (control,) = GROUPED_EXPLORER.controls
    assert list(control.options) == GROUPS and control.default == 32
    assert all_explorers()[GROUPED_EXPLORER.name] is GROUPED_EXPLORER


@pytest.mark.parametrize("g", GROUPS)
def test_every_position_matches_a_real_grouped_conv(g):
    values = grouped_layer_numbers(g)
    assert values == GROUPED_EXPLORER.compute(groups=g)
    conv = nn.Conv2d(64, 128, 3, padding=1, groups=g, bias=False)
    dense = nn.Conv2d(64, 128, 3, padding=1, bias=False)
    assert values["params"] == numel(conv) == conv.weight.numel()
    assert values["reduction"] == pytest.approx(numel(dense) / numel(conv))
    assert values["saved"] == pytest.approx(100 * (numel(dense) - numel(conv)) / numel(dense))
    assert values["in_per_group"] == conv.weight.shape[1]
    scratch = GroupedConv2d.from_conv2d(conv)  # one ordinary conv per group
    assert len(scratch.convs) == g
    assert values["out_per_group"] == scratch.convs[0].out_channels
    assert values["weights_per_group"] == numel(scratch.convs[0])
    assert all(numel(part) == values["weights_per_group"] for part in scratch.convs)
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        out = conv(torch.randn(1, 64, OUTPUT_SIZE, OUTPUT_SIZE))
    assert out.shape[-2:] == (56, 56)
    assert values["macs"] == counter.get_total_flops() // 2  # FlopCounterMode counts a multiply-add as 2


@pytest.mark.parametrize("g", GROUPS)
def test_connectivity_picture_matches_the_real_weight_layout(g):
    """The coloured rectangles of the pane's picture are exactly the blocks where the real layer's outputs respond
    to its inputs."""
    reach = reach_matrix(nn.Conv2d(64, 128, 3, padding=1, groups=g, bias=False))
    pane = GROUPED_EXPLORER.pane(groups=g)
    svg = pane[pane.index("<svg"):]
    coloured = [r for r in rects(svg) if r[4] in PALETTE]
    size = rects(svg)[0][2]  # the background square
    drawn = torch.zeros(128, 64, dtype=torch.bool)
    for x, y, w, h, _fill in coloured:
        c0, c1 = round(x / size * 64), round((x + w) / size * 64)
        r0, r1 = round(y / size * 128), round((y + h) / size * 128)
        assert not drawn[r0:r1, c0:c1].any(), "rectangles overlap"
        drawn[r0:r1, c0:c1] = True
    assert torch.equal(drawn, reach)
    assert len(coloured) == (1 if g == 1 else g)  # one block per group (G=1: one full square)
    assert int(reach.sum()) == 64 * 128 // g


def test_panes_have_their_pictures_and_formats():
    ex = GROUPED_EXPLORER
    assert len(list(ex.positions())) == len(GROUPS)
    for settings in ex.positions():  # the spans themselves are checked for every explorer in test_explorer_core
        pane = ex.pane(**settings)
        assert pane.count("<svg") == 1 and "base64" not in pane and len(pane) < 8000
    assert ex.format("params", grouped_layer_numbers(32)["params"]) == "2,304"
    assert ex.format("reduction", grouped_layer_numbers(32)["reduction"]) == "32"
    assert ex.format("saved", grouped_layer_numbers(32)["saved"]) == "96.9"


# --- the exercises -----------------------------------------------------------------------------------------

def assert_wrong(feedback, *expected: int, mentions: str | None = None) -> None:
    assert not feedback and feedback.message
    for value in expected:
        assert free_of(value, feedback.message), feedback.message
    if mentions is not None:
        assert mentions in feedback.message, feedback.message


def test_params_exercise():
    c = PARAMS_EXERCISE
    layer = build_model("resnext50_32x4d").layer2[0].conv2  # the layer the exercise describes
    assert (layer.in_channels, layer.out_channels, layer.kernel_size, layer.groups) == (
        c["in_channels"], c["out_channels"], (c["kernel_size"],) * 2, c["groups"])
    expected = numel(layer)
    assert check_params_exercise(expected) and check_params_exercise(float(expected))
    dense = numel(nn.Conv2d(256, 256, 3, bias=False))
    assert_wrong(check_params_exercise(dense), expected, mentions="divide by the number of groups")
    one_group = numel(nn.Conv2d(256 // 32, 256 // 32, 3, bias=False))
    assert_wrong(check_params_exercise(one_group), expected, mentions="divide C_out by G as well")
    channels_per_group_as_g = numel(nn.Conv2d(256, 256, 3, groups=256 // 32, bias=False))
    assert_wrong(check_params_exercise(channels_per_group_as_g), expected, mentions="channels per group")
    assert_wrong(check_params_exercise(numel(nn.Conv2d(256, 256, 3, groups=32))), expected, mentions="bias=False")
    assert_wrong(check_params_exercise(expected // 3), expected, mentions="K squared")
    for other in (1, 999, expected + 1, expected * 5, 0, -expected):
        assert_wrong(check_params_exercise(other), expected)
    assert check_params_exercise(None).message == NOT_ANSWERED
    assert_wrong(check_params_exercise(str(expected)), expected, mentions="not str")
    assert_wrong(check_params_exercise(expected + 0.5), expected)


def test_per_group_exercise():
    c = PER_GROUP_EXERCISE
    g = c["groups"]
    conv = nn.Conv2d(c["in_channels"], c["out_channels"], c["kernel_size"], groups=g, bias=False)
    expected = numel(GroupedConv2d.from_conv2d(conv).convs[0])
    assert expected * g == numel(conv)
    assert check_per_group_exercise(expected)
    assert_wrong(check_per_group_exercise(numel(conv)), expected, mentions="whole layer")
    as_g = nn.Conv2d(c["in_channels"], c["out_channels"], 3, groups=c["in_channels"] // g, bias=False)
    assert_wrong(check_per_group_exercise(numel(as_g) // as_g.groups), expected, mentions="channels per group")
    assert_wrong(check_per_group_exercise(expected // 9), expected, mentions="kernel size")
    assert_wrong(check_per_group_exercise(expected // 3), expected, mentions="K squared")
    assert_wrong(check_per_group_exercise(expected + c["out_channels"] // g), expected, mentions="bias=False")
    for other in (1, expected - 1, expected * 2, None, "x"):
        assert_wrong(check_per_group_exercise(other), expected)


def test_depthwise_exercise():
    n, k = DEPTHWISE_EXERCISE["channels"], DEPTHWISE_EXERCISE["kernel_size"]
    expected = numel(nn.Conv2d(n, n, k, groups=n, bias=False))
    assert check_depthwise_exercise(expected)
    assert_wrong(check_depthwise_exercise(numel(nn.Conv2d(n, n, k, bias=False))), expected, mentions="standard")
    assert_wrong(check_depthwise_exercise(numel(nn.Conv2d(n, n, k, groups=n))), expected, mentions="bias=False")
    assert_wrong(check_depthwise_exercise(k * k), expected, mentions="one filter per channel")
    for other in (n, expected * 2, expected - 1, None):
        assert_wrong(check_depthwise_exercise(other), expected)


def assert_set_feedback_hides(feedback, expected: set[int]) -> None:
    """A wrong set answer's message names at most one member of the expected set (never the whole set)."""
    assert not feedback and feedback.message
    message = re.sub(r"\d+ legal values? (is|are) missing", " ", feedback.message)  # a count, not a member
    numbers = {int(n) for n in re.findall(r"(?<![\d.])\d+(?![\d.])", message)}
    assert len(numbers & expected) <= 1, feedback.message
    assert str(sorted(expected)) not in feedback.message


def test_legal_groups_exercise():
    c_in, c_out = LEGAL_EXERCISE["in_channels"], LEGAL_EXERCISE["out_channels"]
    expected = {g for g in range(1, c_in + 1) if pytorch_accepts(c_in, c_out, g)}
    assert check_legal_groups_exercise(sorted(expected)) and check_legal_groups_exercise(expected)
    assert check_legal_groups_exercise(tuple(expected) + (1,))  # duplicates do not matter
    powers_of_two = {g for g in expected if g & (g - 1) == 0}
    cases = {
        "divisors of in_channels only": ({g for g in range(1, c_in + 1) if c_in % g == 0}, "must divide out_channels"),
        "divisors of out_channels only": ({g for g in range(1, c_out + 1) if c_out % g == 0}, "must divide in_channels"),
        "powers of two only": (powers_of_two, "missing"),
        "without 1": (expected - {1}, "groups=1"),
        "without the largest": (expected - {max(expected)}, "largest"),
        "with 0": (expected | {0}, "positive integer"),
        "empty": (set(), "missing"),
    }
    for name, (answer, mention) in cases.items():
        feedback = check_legal_groups_exercise(sorted(answer))
        assert_set_feedback_hides(feedback, expected)
        assert mention in feedback.message, (name, feedback.message)
    assert check_legal_groups_exercise(None).message == NOT_ANSWERED
    assert "list or set" in check_legal_groups_exercise(24).message
    assert "list or set" in check_legal_groups_exercise("1, 2").message
    assert "integer" in check_legal_groups_exercise([1, 2.5]).message
    assert "integer" in check_legal_groups_exercise([True]).message


def test_perturbation_exercise():
    c = PERTURB_EXERCISE
    i = c["perturbed_input"]
    conv = nn.Conv2d(c["in_channels"], c["out_channels"], 3, padding=1, groups=c["groups"], bias=False)
    expected = set(torch.nonzero(reach_matrix(conv)[:, i]).flatten().tolist())  # measured on the real layer
    assert check_perturbation_exercise(sorted(expected)) and check_perturbation_exercise(expected)
    per_in, per_out = c["in_channels"] // c["groups"], c["out_channels"] // c["groups"]
    group = i // per_in
    cases = {
        "every channel": (set(range(c["out_channels"])), "standard convolution"),
        "the group's inputs": (set(range(group * per_in, (group + 1) * per_in)), "inputs a group has"),
        "next group": (set(range((group + 1) * per_out, (group + 2) * per_out)), "one group off"),
        "previous group": (set(range((group - 1) * per_out, group * per_out)), "one group off"),
        "group 0": (set(range(per_out)), "not the outputs"),
        "out of range": ({c["out_channels"]}, "numbered 0 to"),
        "one channel": ({i}, "C_out/G"),
    }
    for name, (answer, mention) in cases.items():
        feedback = check_perturbation_exercise(sorted(answer))
        assert_set_feedback_hides(feedback, expected)
        assert mention in feedback.message, (name, feedback.message)
    assert check_perturbation_exercise(None).message == NOT_ANSWERED


# --- the notebook ------------------------------------------------------------------------------------------

def test_notebook_structure():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.cells[0].source.startswith("(ch-grouped)=\n# Chapter 2: Grouped convolution")
    code = [c for c in nb.cells if c.cell_type == "code"]
    # Colab ignores tags: the deliberate errors are caught and printed, so "Run all" never stops
    assert not any("raises-exception" in c.metadata.get("tags", []) for c in code)
    caught = [c.source for c in code if "except ValueError as error" in c.source]
    assert [c.split("\n")[1].strip() for c in caught] == ["conv2d_params(64, 128, 3, groups=3)",
                                                         "nn.Conv2d(64, 128, 3, groups=3)"]
    text = "\n".join(c.source for c in code)
    # the teaching version and the package's module are both compared with nn.Conv2d(groups=G)
    for needle in ("GroupedConv2d.from_conv2d(reference)", "torch.testing.assert_close(package(x), expected)",
                   "grouped_conv2d(x, reference.weight, groups=g), expected)", "measure_macs(layer, x56)"):
        assert needle in text, needle
    assert text.count("GROUPED_EXPLORER.show()") == 1  # the explorer appears once
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    for key in ("xie2017resnext", "krizhevsky2012alexnet", "chollet2017xception", "howard2017mobilenets",
                "zhang2018shufflenet"):
        assert f"{{cite:p}}`{key}`" in markdown
    assert len(re.findall(r"\{exercise\}", markdown)) >= 3


def test_executed_chapter_raises_the_explained_errors_and_glues_reference_numbers(executed_chapter):
    """The chapter as the build executed it (glue names and stderr are checked for every chapter in
    test_notebooks): the deliberate errors are the ones the text explains; the headline numbers are the references."""
    run = executed_chapter("02_grouped_convolution")
    glued = run.glued
    assert run.errors == []
    assert "ValueError: groups=3 must divide in_channels=64" in run.stdout
    assert "ValueError: in_channels must be divisible by groups" in run.stdout
    assert (glued["params_g1"], glued["params_g32"], glued["weights_per_group"]) == ("73728", "2304", "72")
    assert (glued["in_per_group"], glued["out_per_group"]) == ("2", "4")
