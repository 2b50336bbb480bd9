"""Check functions for Chapter 2's exercises (grouped convolution). Each returns ``Feedback``.

The sizes of each exercise are constants here, so the chapter prints them from the same place the checks read
them. Hints name common slips (forgot to divide by G, divided C_out as well, used channels-per-group as G, added
a bias); no message contains the expected answer.
"""

from __future__ import annotations

from ..counting import conv2d_params, legal_groups
from ..validation import check_groups, describe
from .core import Feedback, check_integer, read_whole_numbers, right, wrong

METHOD = ("Recount each factor of C_out x (C_in / G) x K x K: every one of the C_out filters is C_in / G channels "
          "deep and K x K wide.")

# Exercise "parameters": the grouped 3x3 conv of the first block of stage 2 (conv3) in ResNeXt-50 (32x4d).
PARAMS_EXERCISE = {"in_channels": 256, "out_channels": 256, "kernel_size": 3, "groups": 32}

# Exercise "legal groups": which G does a convolution from 48 to 72 channels accept?
LEGAL_EXERCISE = {"in_channels": 48, "out_channels": 72}

# Exercise "per group": weights of one group of a 256 -> 512 3x3 convolution with 32 groups.
PER_GROUP_EXERCISE = {"in_channels": 256, "out_channels": 512, "kernel_size": 3, "groups": 32}

# Exercise "depthwise": a 3x3 depthwise convolution on 512 channels (groups = in = out channels).
DEPTHWISE_EXERCISE = {"channels": 512, "kernel_size": 3}

# Exercise "perturbation": in the 64 -> 128 layer with 32 groups, which outputs change if one input channel does?
PERTURB_EXERCISE = {"in_channels": 64, "out_channels": 128, "groups": 32, "perturbed_input": 37}


def _slips(in_channels: int, out_channels: int, kernel_size: int, groups: int) -> dict[str, int]:
    """Wrong totals that common mistakes produce for a grouped convolution's weight count (bias=False)."""
    c_in, c_out, g, k = in_channels, out_channels, groups, kernel_size
    dense = conv2d_params(c_in, c_out, k)
    right_value = conv2d_params(c_in, c_out, k, groups=g)
    slips = {
        "That is the count of a standard convolution: did you forget to divide by the number of groups G?": dense,
        "That is C_in/G x C_out/G x K x K, the weights of a single group. Did you divide C_out by G as well? "
        "Every one of the C_out filters is C_in/G channels deep, so only C_in is divided.": (c_in // g) * (c_out // g) * k * k,
        "Did you use the channels per group (C_in/G) where G belongs? G is the number of groups.": c_in * c_out * k * k // (c_in // g),
        "The layer has bias=False: count the weights only.": right_value + c_out,
        "The kernel is K x K: did you use K once instead of K squared?": right_value // k,
    }
    return slips  # a slip that coincides with the right value for special sizes is dropped by check_integer


def check_params_exercise(answer: object) -> Feedback:
    """Weights of ``nn.Conv2d(256, 256, 3, groups=32, bias=False)`` (the sizes are ``PARAMS_EXERCISE``)."""
    c = PARAMS_EXERCISE
    expected = conv2d_params(c["in_channels"], c["out_channels"], c["kernel_size"], groups=c["groups"])
    hints = _slips(c["in_channels"], c["out_channels"], c["kernel_size"], c["groups"])
    return check_integer(answer, expected, hints=hints, what="the number of weights", method=METHOD)


def check_per_group_exercise(answer: object) -> Feedback:
    """Weights in one group of ``nn.Conv2d(256, 512, 3, groups=32, bias=False)`` (``PER_GROUP_EXERCISE``)."""
    c = PER_GROUP_EXERCISE
    c_in, c_out, k, g = c["in_channels"], c["out_channels"], c["kernel_size"], c["groups"]
    expected = conv2d_params(c_in, c_out, k, groups=g) // g
    hints = {
        "That is the whole layer (or a group whose filters see all C_in channels): a group has C_out/G filters, "
        "each C_in/G channels deep.": conv2d_params(c_in, c_out, k, groups=g),
        "Did you use the channels per group where G belongs? G is the number of groups.":
            conv2d_params(c_in, c_out, k, groups=c_in // g) // (c_in // g),
        "A filter is K x K as well: did you forget the kernel size?": (c_in // g) * (c_out // g),
        "The kernel is K x K: did you use K once instead of K squared?": (c_in // g) * (c_out // g) * k,
        "The layer has bias=False: count the weights only.": expected + c_out // g,
    }
    method = ("Recount each factor of one group: C_out / G filters, each C_in / G channels deep and K x K wide.")
    return check_integer(answer, expected, hints=hints, what="the number of weights in one group", method=method)


def check_depthwise_exercise(answer: object) -> Feedback:
    """Weights of a 3x3 depthwise convolution on 512 channels, ``nn.Conv2d(512, 512, 3, groups=512, bias=False)``."""
    c = DEPTHWISE_EXERCISE
    n, k = c["channels"], c["kernel_size"]
    expected = conv2d_params(n, n, k, groups=n)
    hints = {
        "That is a standard convolution: a depthwise one has one group per channel.": conv2d_params(n, n, k),
        "The layer has bias=False: count the weights only.": expected + n,
        "The kernel is K x K: did you use K once instead of K squared?": n * k,
        "That is one channel's filter: there is one filter per channel.": k * k,
    }
    method = "With G = C_in = C_out, recount each factor of C_out x (C_in / G) x K x K."
    return check_integer(answer, expected, hints=hints, what="the number of weights", method=method)


def _as_int_set(answer: object, what: str) -> set[int] | Feedback:
    """The answer as a set of ints, or the Feedback that explains why it cannot be read as one."""
    values = read_whole_numbers(answer, what)
    return values if isinstance(values, Feedback) else set(values)


def check_legal_groups_exercise(answer: object) -> Feedback:
    """Every ``groups`` value that ``nn.Conv2d(48, 72, 3, groups=G)`` accepts (``LEGAL_EXERCISE``), as a set or list.

    A wrong answer gets one illegal member named with the rule it breaks, or a count of the missing values and a
    nudge; never the full set.
    """
    c_in, c_out = LEGAL_EXERCISE["in_channels"], LEGAL_EXERCISE["out_channels"]
    given = _as_int_set(answer, "the legal values of G")
    if isinstance(given, Feedback):
        return given
    expected = set(legal_groups(c_in, c_out))
    for g in sorted(given - expected):
        if g <= 0:
            return wrong(f"groups={describe(g)} is not allowed: the number of groups is a positive integer.")
        try:
            check_groups(c_in, c_out, g)
        except ValueError as error:
            rule = str(error)
        if c_in % g and not c_out % g:
            rule += f" (it divides out_channels={c_out}, but G must divide both channel counts)"
        elif c_out % g and not c_in % g:
            rule += f" (it divides in_channels={c_in}, but G must divide both channel counts)"
        return wrong(f"{describe(g)} is not legal: {rule}.")
    missing = expected - given
    if not missing:
        return right(f"G = {', '.join(map(str, sorted(given)))}.")
    count = f"{len(missing)} legal value{'s are' if len(missing) > 1 else ' is'} missing"
    count = count[0].upper() + count[1:]
    if 1 in missing:
        return wrong(f"{count}. Is groups=1 (a standard convolution) in your answer?")
    if max(expected) in missing:
        which = "The largest legal value is missing" if len(missing) == 1 else f"{count}, the largest among them"
        return wrong(f"{which}. What is the largest number that divides both {c_in} and {c_out}?")
    return wrong(f"{count}. Is {min(missing)} in your answer? Check every number up to the largest legal G, "
                 "not only powers of 2.")


def check_perturbation_exercise(answer: object) -> Feedback:
    """Which output channels of ``nn.Conv2d(64, 128, 3, groups=32)`` change when input channel 37 changes?"""
    c = PERTURB_EXERCISE
    c_in, c_out, g, i = c["in_channels"], c["out_channels"], c["groups"], c["perturbed_input"]
    given = _as_int_set(answer, "the output channels")
    if isinstance(given, Feedback):
        return given
    out_per_group, in_per_group = c_out // g, c_in // g
    group = i // in_per_group
    expected = set(range(group * out_per_group, (group + 1) * out_per_group))
    if given == expected:
        return right(f"Output channels {min(given)} to {max(given)} (group {group}).")
    if any(o < 0 or o >= c_out for o in given):
        return wrong(f"Output channels are numbered 0 to {c_out - 1}.")
    if given == set(range(c_out)):
        return wrong("That is what a standard convolution does. With groups, an input channel reaches only the "
                     "outputs of its own group.")
    if len(given) == in_per_group:
        return wrong(f"You gave {in_per_group} channels: that is how many inputs a group has. How many outputs "
                     "does a group make?")
    if len(given) != out_per_group:
        return wrong(f"A group makes C_out/G output channels; you gave {len(given)}.")
    groups_given = {o // out_per_group for o in given}
    if len(groups_given) == 1 and abs(groups_given.pop() - group) == 1:
        return wrong("Right size, but one group off: groups and channels are numbered from 0 (group 0 holds the "
                     f"first {in_per_group} input channels).")
    return wrong("Right number of channels, but not the outputs of the input channel's group. Which group holds "
                 "that input channel (count from 0), and which output channels does that group make?")
