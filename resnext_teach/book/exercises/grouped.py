"""Check functions for Chapter 2's exercises (grouped convolution). Each returns ``Feedback``.

The sizes of each exercise are constants here, so the chapter prints them from the same place the checks read
them; each exercise is an ``Exercise`` (see ``core``). Hints name common slips (forgot to divide by G, divided
C_out as well, used channels-per-group as G, added a bias); no message contains the expected answer.
"""

from __future__ import annotations

from ...counting import conv2d_params, legal_groups
from ...validation import check_groups, describe
from .core import Exercise
from .feedback import Feedback
from .readers import WholeSet

__all__ = ["PARAMS_EXERCISE", "LEGAL_EXERCISE", "PER_GROUP_EXERCISE", "DEPTHWISE_EXERCISE", "PERTURB_EXERCISE",
    "check_params_exercise", "check_legal_groups_exercise", "check_per_group_exercise", "check_depthwise_exercise",
    "check_perturbation_exercise"]

# Exercise "parameters": the grouped 3x3 conv of the first block of stage 2 (conv3) in ResNeXt-50 (32x4d).
# Exercise "params": ResNeXt-101 64x4d's last stage opens with this grouped 3x3 (layer4[0].conv2). ResNeXt-50's
# stage-2 layer (256 -> 256, G = 32) has 18,432 weights, the running layer's count at G = 4, which the chapter
# shows; at 32 channels per group and G = 32 the slip "channels per group as G" would give the right answer.
PARAMS_EXERCISE = {"in_channels": 2048, "out_channels": 2048, "kernel_size": 3, "groups": 64}

# Exercise "legal groups": which G does a convolution from 48 to 72 channels accept?
LEGAL_EXERCISE = {"in_channels": 48, "out_channels": 72}

# Exercise "per group": weights of one group of a 384 -> 768 3x3 convolution with 32 groups (2,592: no count the
# chapter shows before it; 256 -> 512 gave 1,152, the running layer's weights at G = 64).
PER_GROUP_EXERCISE = {"in_channels": 384, "out_channels": 768, "kernel_size": 3, "groups": 32}

# Exercise "depthwise": a 3x3 depthwise convolution on 768 channels (groups = in = out channels; 512 channels gave
# 4,608, the running layer's weights at G = 16).
DEPTHWISE_EXERCISE = {"channels": 768, "kernel_size": 3}

# Exercise "perturbation": in the 64 -> 128 layer with 32 groups, which outputs change if one input channel does?
PERTURB_EXERCISE = {"in_channels": 64, "out_channels": 128, "groups": 32, "perturbed_input": 37}

_K_SQUARED = "The kernel is K x K: did you use K once instead of K squared?"
_NO_BIAS = "The layer has bias=False: count the weights only."


# --- parameters ------------------------------------------------------------------------------------------------


def _params_slips(in_channels: int, out_channels: int, kernel_size: int, groups: int) -> dict[str, int]:
    """Wrong totals that common mistakes produce for a grouped convolution's weight count (bias=False)."""
    c_in, c_out, g, k = in_channels, out_channels, groups, kernel_size
    right_value = conv2d_params(c_in, c_out, k, groups=g)
    return {
        "That is the count of a standard convolution: did you forget to divide by the number of groups G?":
            conv2d_params(c_in, c_out, k),
        "That is C_in/G x C_out/G x K x K, the weights of a single group. Did you divide C_out by G as well? "
        "Every one of the C_out filters is C_in/G channels deep, so only C_in is divided.": (c_in // g) * (c_out // g) * k * k,
        "Did you use the channels per group (C_in/G) where G belongs? G is the number of groups.": c_in * c_out * k * k // (c_in // g),
        _NO_BIAS: right_value + c_out,
        _K_SQUARED: right_value // k,
    }


_PARAMS = Exercise(
    "the number of weights", PARAMS_EXERCISE,
    solve=lambda in_channels, out_channels, kernel_size, groups: conv2d_params(in_channels, out_channels, kernel_size,
                                                                                groups=groups),
    slips=_params_slips,
    method=("Recount each factor of C_out x (C_in / G) x K x K: every one of the C_out filters is C_in / G channels "
            "deep and K x K wide."),
)


def check_params_exercise(answer: object) -> Feedback:
    """Weights of a grouped convolution without bias, its sizes ``PARAMS_EXERCISE``."""
    return _PARAMS.check(answer)


# --- one group -------------------------------------------------------------------------------------------------


def _per_group(in_channels: int, out_channels: int, kernel_size: int, groups: int) -> int:
    return conv2d_params(in_channels, out_channels, kernel_size, groups=groups) // groups


def _per_group_slips(in_channels: int, out_channels: int, kernel_size: int, groups: int) -> dict[str, int]:
    c_in, c_out, k, g = in_channels, out_channels, kernel_size, groups
    return {
        "That is the whole layer (or a group whose filters see all C_in channels): a group has C_out/G filters, "
        "each C_in/G channels deep.": conv2d_params(c_in, c_out, k, groups=g),
        "Did you use the channels per group where G belongs? G is the number of groups.":
            _per_group(c_in, c_out, k, c_in // g),
        "A filter is K x K as well: did you forget the kernel size?": (c_in // g) * (c_out // g),
        _K_SQUARED: (c_in // g) * (c_out // g) * k,
        _NO_BIAS: _per_group(c_in, c_out, k, g) + c_out // g,
    }


_PER_GROUP = Exercise(
    "the number of weights in one group", PER_GROUP_EXERCISE,
    solve=_per_group,
    slips=_per_group_slips,
    method="Recount each factor of one group: C_out / G filters, each C_in / G channels deep and K x K wide.",
)


def check_per_group_exercise(answer: object) -> Feedback:
    """Weights in one group of a grouped convolution without bias, its sizes ``PER_GROUP_EXERCISE``."""
    return _PER_GROUP.check(answer)


# --- depthwise -------------------------------------------------------------------------------------------------


def _depthwise(channels: int, kernel_size: int) -> int:
    return conv2d_params(channels, channels, kernel_size, groups=channels)


_DEPTHWISE = Exercise(
    "the number of weights", DEPTHWISE_EXERCISE,
    solve=_depthwise,
    slips=lambda channels, kernel_size: {
        "That is a standard convolution: a depthwise one has one group per channel.":
            conv2d_params(channels, channels, kernel_size),
        _NO_BIAS: _depthwise(channels, kernel_size) + channels,
        _K_SQUARED: channels * kernel_size,
        "That is one channel's filter: there is one filter per channel.": _depthwise(1, kernel_size),
    },
    method="With G = C_in = C_out, recount each factor of C_out x (C_in / G) x K x K.",
)


def check_depthwise_exercise(answer: object) -> Feedback:
    """Weights of a depthwise convolution without bias (groups = in = out channels): ``DEPTHWISE_EXERCISE``."""
    return _DEPTHWISE.check(answer)


# --- legal values of groups ------------------------------------------------------------------------------------


def _legal_diagnosis(given: set[int], expected: list[int], in_channels: int, out_channels: int) -> str:
    """One illegal member named with the rule it breaks, or how many legal values are missing and where to look;
    never a missing member itself, which would hand the set over one attempt at a time."""
    c_in, c_out = in_channels, out_channels
    for g in sorted(given - set(expected)):
        if g <= 0:
            return f"groups={describe(g)} is not allowed: the number of groups is a positive integer."
        try:
            check_groups(c_in, c_out, g)
        except ValueError as error:
            rule = str(error)
        if c_in % g and not c_out % g:
            rule += f" (it divides out_channels={c_out}, but G must divide both channel counts)"
        elif c_out % g and not c_in % g:
            rule += f" (it divides in_channels={c_in}, but G must divide both channel counts)"
        return f"{describe(g)} is not legal: {rule}."
    missing = set(expected) - given
    count = f"{len(missing)} legal value{'s are' if len(missing) > 1 else ' is'} missing"
    count = count[0].upper() + count[1:]
    if 1 in missing:
        return f"{count}. Is groups=1 (a standard convolution) in your answer?"
    if max(expected) in missing:
        which = "The largest legal value is missing" if len(missing) == 1 else f"{count}, the largest among them"
        return f"{which}. What is the largest number that divides both {c_in} and {c_out}?"
    return (f"{count}. Check every number up to the largest legal G, the largest number that divides both {c_in} "
            f"and {c_out}: not only powers of 2.")


_LEGAL = Exercise(
    "the legal values of G", LEGAL_EXERCISE,
    solve=legal_groups,
    reader=WholeSet(),
    slips=lambda in_channels, out_channels: {
        "Those are the powers of 2 that divide both channel counts; other numbers divide both as well. Check every "
        "number up to the largest legal G, not only powers of 2.":
            {g for g in legal_groups(in_channels, out_channels) if g & (g - 1) == 0},
    },
    diagnose=_legal_diagnosis,
    echo=lambda given, in_channels, out_channels: f"G = {', '.join(map(str, sorted(given)))}.",
)


def check_legal_groups_exercise(answer: object) -> Feedback:
    """Every ``groups`` value that a convolution with ``LEGAL_EXERCISE``'s channels accepts, as a set or list.

    A wrong answer gets one illegal member named with the rule it breaks, or a count of the missing values and a
    nudge; never the set nor one of its missing members.
    """
    return _LEGAL.check(answer)


# --- which outputs a perturbed input reaches -------------------------------------------------------------------


def _group_outputs(out_channels: int, groups: int, group: int) -> set[int]:
    per_group = out_channels // groups
    return set(range(group * per_group, (group + 1) * per_group))


def _group_of(in_channels: int, groups: int, perturbed_input: int) -> int:
    return perturbed_input // (in_channels // groups)


def _reached(in_channels: int, out_channels: int, groups: int, perturbed_input: int) -> set[int]:
    return _group_outputs(out_channels, groups, _group_of(in_channels, groups, perturbed_input))


def _perturb_diagnosis(given: set[int], expected: set[int], in_channels: int, out_channels: int, groups: int,
                       perturbed_input: int) -> str:
    per_in, per_out = in_channels // groups, out_channels // groups
    if any(o < 0 or o >= out_channels for o in given):
        return f"Output channels are numbered 0 to {out_channels - 1}."
    if len(given) == per_in != per_out:
        return (f"You gave {len(given)} channels: that is how many inputs a group has. How many outputs does a group "
                "make?")
    if len(given) != per_out:
        return f"A group makes C_out/G output channels; you gave {len(given)}."
    group = _group_of(in_channels, groups, perturbed_input)
    if any(given == _group_outputs(out_channels, groups, g) for g in (group - 1, group + 1)):  # which side is not said
        return ("Right size, but one group off: groups and channels are numbered from 0 (group 0 holds the first "
                f"{per_in} input channels).")
    return ("Right number of channels, but not the outputs of the input channel's group. Which group holds that "
            "input channel (count from 0), and which output channels does that group make?")


_PERTURB = Exercise(
    "the output channels", PERTURB_EXERCISE,
    solve=_reached,
    reader=WholeSet(),
    slips=lambda in_channels, out_channels, groups, perturbed_input: {
        "That is what a standard convolution does. With groups, an input channel reaches only the outputs of its own "
        "group.": set(range(out_channels)),
    },
    diagnose=_perturb_diagnosis,
    method="Which group holds the input channel (count from 0), and which output channels does that group make?",
    echo=lambda given, in_channels, out_channels, groups, perturbed_input: (
        f"Output channels {', '.join(map(str, sorted(given)))}: "
        f"group {_group_of(in_channels, groups, perturbed_input)}."),
)


def check_perturbation_exercise(answer: object) -> Feedback:
    """Which output channels change when one input channel changes (the layer and the channel: ``PERTURB_EXERCISE``)?"""
    return _PERTURB.check(answer)
