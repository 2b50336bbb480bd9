"""``resnext_teach.book.exercises.grouped``: chapter 2's exercise checks against real grouped layers (right, wrong,
never revealing)."""

import re

import torch
from torch import nn

from resnext_teach import GroupedConv2d, build_model
from resnext_teach.book.exercises.feedback import NOT_ANSWERED
from resnext_teach.book.exercises.grouped import (
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

from helpers import free_of, numel, pytorch_accepts, reach_matrix


def assert_wrong(feedback, *expected: int, mentions: str | None = None) -> None:
    assert not feedback and feedback.message
    for value in expected:
        assert free_of(value, feedback.message), feedback.message
    if mentions is not None:
        assert mentions in feedback.message, feedback.message


def test_params_exercise():
    c = PARAMS_EXERCISE
    with torch.device("meta"):
        layer = build_model("resnext101_64x4d").layer4[0].conv2  # the layer the exercise describes
    assert (layer.in_channels, layer.out_channels, layer.kernel_size, layer.groups) == (
        c["in_channels"], c["out_channels"], (c["kernel_size"],) * 2, c["groups"])
    expected = numel(layer)
    assert check_params_exercise(expected) and check_params_exercise(float(expected))
    n, g = c["in_channels"], c["groups"]
    dense = numel(nn.Conv2d(n, n, 3, bias=False))
    assert_wrong(check_params_exercise(dense), expected, mentions="divide by the number of groups")
    one_group = numel(nn.Conv2d(n // g, n // g, 3, bias=False))
    assert_wrong(check_params_exercise(one_group), expected, mentions="divide C_out by G as well")
    channels_per_group_as_g = numel(nn.Conv2d(n, n, 3, groups=n // g, bias=False))
    assert_wrong(check_params_exercise(channels_per_group_as_g), expected, mentions="channels per group")
    assert_wrong(check_params_exercise(numel(nn.Conv2d(n, n, 3, groups=g))), expected, mentions="bias=False")
    assert_wrong(check_params_exercise(expected // 3), expected, mentions="K squared")
    for other in (1, 999, expected + 1, expected * 5, 0, -expected):
        assert_wrong(check_params_exercise(other), expected)
    assert check_params_exercise(None).message == NOT_ANSWERED
    assert_wrong(check_params_exercise(str(expected)), expected, mentions="not text")
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
        "powers of two only": (powers_of_two, "not only powers of 2"),
        "some missing": ({1, 2, 4, 8, max(expected)}, "missing"),
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
