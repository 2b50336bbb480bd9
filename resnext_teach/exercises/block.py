"""Check functions for Chapter 4's exercises (the ResNeXt block). The blocks of each exercise are named here once,
so the chapter's text, its solutions and these checks use the same ones."""

from __future__ import annotations

from torch import nn

from ..blocks import ResNeXtBottleneck
from ..counting import conv2d_macs, conv2d_output_size, conv2d_params
from ..design import grouped_width
from .core import MAX_MEMBERS, Feedback, check_integer, right, unanswered, wrong

# Exercise 1: the grouped 3x3 of a stage-3 block of ResNeXt-101 (64x4d).
CONV2_BLOCK = dict(in_channels=1024, planes=256, cardinality=64, bottleneck_width=4)

# Exercise 2: the first block of ResNeXt-50's stage 1 (64 channels from the stem, 256 out: projection shortcut).
FIRST_BLOCK = dict(in_channels=64, planes=64, cardinality=32, bottleneck_width=4)

# Exercise 3: the first block of stage 2 of ResNeXt-101 (32x8d), stride 2, on a 56x56 input.
STRIDED_BLOCK = dict(in_channels=256, planes=128, cardinality=32, bottleneck_width=8, stride=2)
STRIDED_INPUT = 56

# Exercise 4: which of these blocks get a projection shortcut (``downsample``)?
SHORTCUT_CHOICES: dict[str, dict[str, int]] = {
    "A": dict(in_channels=256, planes=64, cardinality=32, bottleneck_width=4, stride=1),
    "B": dict(in_channels=256, planes=128, cardinality=32, bottleneck_width=4, stride=2),
    "C": dict(in_channels=512, planes=128, cardinality=32, bottleneck_width=4, stride=1),
    "D": dict(in_channels=128, planes=32, cardinality=32, bottleneck_width=4, stride=1),
    "E": dict(in_channels=1024, planes=256, cardinality=32, bottleneck_width=4, stride=2),
    "F": dict(in_channels=64, planes=64, cardinality=1, bottleneck_width=64, stride=1),
}


def _conv2_shape(spec: dict[str, int]) -> tuple[int, int]:
    """(grouped width, cardinality) of a block's 3x3 layer."""
    return grouped_width(spec["planes"], spec["bottleneck_width"], spec["cardinality"]), spec["cardinality"]


def conv2_params_answer() -> int:
    w, c = _conv2_shape(CONV2_BLOCK)
    return conv2d_params(w, w, 3, groups=c)


def check_conv2_params(answer: object) -> Feedback:
    """Exercise 1: parameters of ``conv2`` in ``ResNeXtBottleneck(**CONV2_BLOCK)``."""
    w, c = _conv2_shape(CONV2_BLOCK)
    d = CONV2_BLOCK["bottleneck_width"]
    expected = conv2d_params(w, w, 3, groups=c)
    hints = {
        "That is the count without groups: each output channel sees only the input channels of its own group.":
            conv2d_params(w, w, 3),
        "That is one group's weights; the layer has one such set per group.": expected // c,
        "The convolutions of the block have no bias (BN follows each of them).": expected + w,
        f"The bottleneck width d={d} is the path width of stage 1 only; it doubles with every stage, "
        "like the planes (the width rule in Chapter 3).":
            conv2d_params(d * c, d * c, 3, groups=c),
    }
    method = ("Recount each factor of C_out x (C_in / G) x 3 x 3 for conv2: its width follows the width rule "
              "int(planes * d / 64) * C, and G is the cardinality.")
    return check_integer(answer, expected, hints, what="the parameter count", method=method)


def first_block_conv_params_answer() -> int:
    block = ResNeXtBottleneck(**FIRST_BLOCK)
    return sum(m.weight.numel() for m in block.modules() if isinstance(m, nn.Conv2d))


def check_first_block_conv_params(answer: object) -> Feedback:
    """Exercise 2: parameters of all convolutions (no BatchNorm) of ``ResNeXtBottleneck(**FIRST_BLOCK)``."""
    c_in, out = FIRST_BLOCK["in_channels"], FIRST_BLOCK["planes"] * 4
    w, c = _conv2_shape(FIRST_BLOCK)
    conv1, conv2, conv3 = conv2d_params(c_in, w, 1), conv2d_params(w, w, 3, groups=c), conv2d_params(w, out, 1)
    projection = conv2d_params(c_in, out, 1)
    expected = conv1 + conv2 + conv3 + projection
    bn = 2 * (w + w + out + out)
    hints = {
        "The block changes the channel count, so its shortcut is not the identity: count the projection too.":
            conv1 + conv2 + conv3,
        "That includes BatchNorm's weights and biases; the question asks for the convolutions only.": expected + bn,
        "That includes BatchNorm's weights and biases, and misses the projection shortcut.": conv1 + conv2 + conv3 + bn,
        "The 3x3 layer is grouped: divide its weights by the number of groups.":
            conv1 + conv2d_params(w, w, 3) + conv3 + projection,
    }
    method = ("Recount each convolution in turn: conv1 (1x1), the grouped conv2 (3x3, weights divided by the "
              "cardinality), conv3 (1x1) and the projection shortcut (1x1), each C_out x (C_in / G) x K x K.")
    return check_integer(answer, expected, hints, what="the parameter count", method=method)


def strided_macs_answer() -> int:
    w, c = _conv2_shape(STRIDED_BLOCK)
    out = conv2d_output_size(STRIDED_INPUT, 3, stride=STRIDED_BLOCK["stride"], padding=1)
    return conv2d_macs(w, w, 3, out, groups=c)


def check_strided_macs(answer: object) -> Feedback:
    """Exercise 3: multiply-adds of ``conv2`` of ``ResNeXtBottleneck(**STRIDED_BLOCK)`` on a 56x56 input."""
    w, c = _conv2_shape(STRIDED_BLOCK)
    d = STRIDED_BLOCK["bottleneck_width"]
    out = conv2d_output_size(STRIDED_INPUT, 3, stride=STRIDED_BLOCK["stride"], padding=1)
    expected = conv2d_macs(w, w, 3, out, groups=c)
    params = conv2d_params(w, w, 3, groups=c)
    hints = {
        "The 3x3 layer has stride 2: count its output positions, not its input positions.":
            conv2d_macs(w, w, 3, STRIDED_INPUT, groups=c),
        "That is what PyTorch's FlopCounterMode reports: it counts a multiply-add as 2 FLOPs.": 2 * expected,
        "That is the number of weights; each weight is used once per output position.": params,
        "The 3x3 layer is grouped: each output channel sees only its group's input channels.":
            conv2d_macs(w, w, 3, out),
        f"The bottleneck width d={d} is the stage-1 path width; in stage 2 each path is twice as wide.":
            conv2d_macs(d * c, d * c, 3, out, groups=c),
    }
    method = ("Recount each factor: conv2's weights, C_out x (C_in / G) x 3 x 3, times its output positions "
              "H_out x W_out (stride 2 halves each side).")
    return check_integer(answer, expected, hints, what="the number of multiply-adds", method=method)


def shortcut_answer() -> set[str]:
    return {k for k, spec in SHORTCUT_CHOICES.items() if ResNeXtBottleneck(**spec).downsample is not None}


def _needs_projection(spec: dict[str, int]) -> bool:
    # the rule, stated independently of the block: the shortcut must match the main branch's output shape
    return spec["stride"] != 1 or spec["in_channels"] != 4 * spec["planes"]


def check_shortcuts(answer: object) -> Feedback:
    """Exercise 4: the letters of the blocks in ``SHORTCUT_CHOICES`` that get a projection shortcut."""
    form = 'Give the letters as a string such as "AC" or a set such as {"A", "C"}'
    if answer is None:
        return unanswered()
    if isinstance(answer, str):
        letters = [ch for ch in answer.upper() if not ch.isspace() and ch != ","]
    elif isinstance(answer, (list, tuple, set, frozenset)):
        if len(answer) > MAX_MEMBERS:
            return wrong(f"That is far longer than any answer here. {form}.")
        if not all(isinstance(a, str) for a in answer):
            return wrong(f"{form}: every member is a letter (a str).")
        letters = [a.strip().upper() for a in answer]
    else:
        return wrong(f"{form}, not {type(answer).__name__}.")
    unknown = sorted(set(letters) - set(SHORTCUT_CHOICES))
    if unknown:
        shown = ", ".join(repr(u) if len(u) <= 10 else repr(u[:10] + "...") for u in unknown[:3])
        return wrong(f"Choose among the letters {', '.join(SHORTCUT_CHOICES)}; {shown} is not one of them.")
    chosen = set(letters)
    expected = {k for k, spec in SHORTCUT_CHOICES.items() if _needs_projection(spec)}
    if chosen == expected:
        return right("A projection is needed exactly when the stride is not 1 or the channel count changes.")
    extra, missing = chosen - expected, expected - chosen
    parts = []
    if extra:
        verb = "keeps" if len(extra) == 1 else "keep"
        parts.append(
            f"{len(extra)} of your choices {verb} both the channel count and the spatial size: an identity "
            "shortcut already matches the output there."
        )
    if missing:
        parts.append(f"You left out {len(missing)} block{'s' if len(missing) > 1 else ''} that need{'' if len(missing) > 1 else 's'} one.")
        strided_same_channels = [
            k for k in missing if SHORTCUT_CHOICES[k]["stride"] != 1
            and SHORTCUT_CHOICES[k]["in_channels"] == 4 * SHORTCUT_CHOICES[k]["planes"]
        ]
        if strided_same_channels:
            parts.append("Remember that a stride of 2 alone changes the shape, even when the channels stay the same.")
        else:
            parts.append("Compare each block's input channels with its output channels, 4 x planes.")
    return wrong(" ".join(parts))
