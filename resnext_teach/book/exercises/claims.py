"""Check functions for the exercises of Chapters 6 and 7 (testing the claims: cost, then learning).

Each exercise is an ``Exercise`` (see ``core``) whose answer is computed from the package's formulas; messages say
what is off, never the answer.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, comb

from torch import nn

from ...counting import conv2d_macs, conv2d_params
from ...intensity import conv_intensity
from .core import Exercise
from .feedback import Feedback
from .readers import Approx

# chapter 6: check_parameter_cut, check_jacobian_zeros, check_intensity; chapter 7: the others
__all__ = ["check_channel_pairs", "check_intensity", "check_jacobian_zeros", "check_parameter_cut",
           "check_test_images", "check_training_macs",
           # each exercise's sizes, which the chapters' questions and worked solutions read
           "CUT_CHANNELS", "CUT_GROUPS", "JACOBIAN_CHANNELS", "JACOBIAN_GROUPS", "STEP_CHANNELS", "STEP_GROUPS",
           "STEP_SIZE", "INTENSITY_CHANNELS", "INTENSITY_SIZE", "BYTES_PER_FLOAT", "TEST_IMAGES_RIGHT",
           "TEST_IMAGES_OF", "TEST_IMAGES_SE_PER_MILLE", "PAIRS_CHANNELS", "PAIRS_GROUPS"]

# Exercise "parameter cut": a 3x3 convolution, 256 -> 256 channels, dense vs 64 groups (as in ResNeXt-101 64x4d).
CUT_CHANNELS, CUT_GROUPS = 256, 64

# Exercise "Jacobian zeros": a grouped 3x3 convolution, 64 -> 64 channels, 8 groups.
JACOBIAN_CHANNELS, JACOBIAN_GROUPS = 64, 8

# Exercise "training FLOPs": a 3x3 convolution, 64 -> 64 channels, 16 groups, one 8x8 image; its input needs a
# gradient (it is not the first layer).
STEP_CHANNELS, STEP_GROUPS, STEP_SIZE = 64, 16, 8

# Exercise "arithmetic intensity": a depthwise 3x3 convolution (groups = channels = 256) on one 28x28 image,
# float32 (4 bytes), input, weight and output each moved once.
INTENSITY_CHANNELS, INTENSITY_SIZE, BYTES_PER_FLOAT = 256, 28, 4

# Exercise "test images": a model right on 9 images in 10; the binomial standard error of its test accuracy at most
# 5 per mille (half a percentage point).
TEST_IMAGES_RIGHT, TEST_IMAGES_OF, TEST_IMAGES_SE_PER_MILLE = 9, 10, 5

# Exercise "channel pairs": a grouped layer's 24 output channels in 4 groups of 6 (the first block of chapter 7's
# ResNeXt-style model); unordered pairs of channels in different groups.
PAIRS_CHANNELS, PAIRS_GROUPS = 24, 4


# --- the parameter cut -----------------------------------------------------------------------------------------


def _cut(channels: int, groups: int) -> float:
    """Percentage of the dense 3x3 layer's weights that the grouped one removes."""
    return 100 * (1 - conv2d_params(channels, channels, 3, groups=groups) / conv2d_params(channels, channels, 3))


_CUT = Exercise(
    "the percentage", {"channels": CUT_CHANNELS, "groups": CUT_GROUPS},
    solve=_cut,
    reader=Approx(rel=1e-3),
    slips=lambda channels, groups: {
        "That is the share of weights that remain, not the share removed.": 100 - _cut(channels, groups),
        "Give a percentage (a number between 0 and 100), not a fraction.": _cut(channels, groups) / 100,
        f"That is the cut for 32 groups (the popular {_cut(channels, 32):.1f}%); this layer has {groups}.":
            _cut(channels, 32),
    },
    method="Count the weights of both layers, C_out x (C_in / G) x 3 x 3, and give 100 x (dense - grouped) / dense.",
)


def check_parameter_cut(answer: object) -> Feedback:
    """The percentage of a dense 3x3 convolution's weights that groups remove (``CUT_CHANNELS``, ``CUT_GROUPS``)."""
    return _CUT.check(answer)


# --- the zeros of the channel Jacobian -------------------------------------------------------------------------


def _jacobian_zeros(channels: int, groups: int) -> int:
    """Entries of the (C_out, C_in) channel Jacobian of the grouped layer that are exactly zero."""
    return channels * channels - channels * (channels // groups)  # all pairs minus those inside a group


_JACOBIAN = Exercise(
    "the number of zero entries", {"channels": JACOBIAN_CHANNELS, "groups": JACOBIAN_GROUPS},
    solve=_jacobian_zeros,
    slips=lambda channels, groups: {
        "That counts the entries that can be non-zero (the diagonal blocks); the question asks for the zeros.":
            channels * channels // groups,
        "That counts the off-diagonal blocks, not their entries: each block holds (C/G) x (C/G) entries.":
            groups * groups - groups,
    },
    method=("Count the entries that can be non-zero first: each of the C output channels sees C/G input channels. "
            "The zeros are all the other entries of the C x C matrix."),
)


def check_jacobian_zeros(answer: object) -> Feedback:
    """How many entries of a grouped convolution's channel Jacobian are zero (``JACOBIAN_CHANNELS``,
    ``JACOBIAN_GROUPS``)."""
    return _JACOBIAN.check(answer)


# --- the multiply-adds of a training step ----------------------------------------------------------------------


def _forward(channels: int, groups: int, size: int) -> int:
    return conv2d_macs(channels, channels, 3, size, groups=groups)


def _training_slips(channels: int, groups: int, size: int) -> dict[str, int]:
    forward = _forward(channels, groups, size)
    raw = (2 + groups) * forward  # FlopCounterMode's backward formula: (1 + G) x forward, plus the forward
    return {
        "That is FlopCounterMode's raw count, which ignores the groups in the weight gradient.": raw,
        "That is the raw count in FlopCounterMode's units (2 per multiply-add); it also ignores the groups.": 2 * raw,
        "That is in FlopCounterMode's units, 2 FLOPs per multiply-add; the paper counts a multiply-add once.":
            2 * 3 * forward,
        "That is the forward pass alone; the backward pass computes two gradients.": forward,
        "The input needs a gradient too: the backward pass computes the input gradient and the weight gradient.":
            2 * forward,
    }


_TRAINING = Exercise(
    "the number of multiply-adds", {"channels": STEP_CHANNELS, "groups": STEP_GROUPS, "size": STEP_SIZE},
    solve=lambda channels, groups, size: 3 * _forward(channels, groups, size),  # forward, input and weight gradients
    slips=_training_slips,
    method=("Count the forward pass's multiply-adds, C_out x (C_in / G) x 3 x 3 x H_out x W_out, then what the "
            "backward pass adds: the input gradient and the weight gradient each redo the forward's work."),
)


def check_training_macs(answer: object) -> Feedback:
    """Multiply-adds (the paper's FLOPs) of forward + backward of a grouped 3x3 convolution (``STEP_*``)."""
    return _TRAINING.check(answer)


# --- arithmetic intensity --------------------------------------------------------------------------------------


def _intensity(channels: int, size: int, bytes_per_float: int) -> float:
    """Multiply-adds per byte of the depthwise layer if input, weight and output are each moved once."""
    layer = nn.Conv2d(channels, channels, 3, padding=1, groups=channels, bias=False, device="meta")
    return conv_intensity(layer, size, bytes_per_element=bytes_per_float).macs_per_byte


def _intensity_slips(channels: int, size: int, bytes_per_float: int) -> dict[str, float]:
    c, s = channels, size
    macs = conv2d_macs(c, c, 3, s, groups=c)
    weights = conv2d_params(c, c, 3, groups=c)
    return {
        "Count bytes, not numbers: a float32 takes 4 bytes.": macs / (2 * c * s * s + weights),
        "That either counts 2 FLOPs per multiply-add, as hardware data sheets do (in this book and the paper a FLOP "
        "is one multiply-add), or leaves out the output, which has to be written to memory too.":
            macs / (bytes_per_float * (c * s * s + weights)),
        "That uses the dense layer's multiply-adds; this layer has one group per channel.":
            conv2d_macs(c, c, 3, s) / (bytes_per_float * (2 * c * s * s + weights)),
    }


_INTENSITY = Exercise(
    "the intensity", {"channels": INTENSITY_CHANNELS, "size": INTENSITY_SIZE, "bytes_per_float": BYTES_PER_FLOAT},
    solve=_intensity,
    reader=Approx(rel=0.01),
    slips=_intensity_slips,
    method=("Divide the layer's multiply-adds by the bytes it moves: input, weights and output, 4 bytes per float32 "
            "number."),
)


def check_intensity(answer: object) -> Feedback:
    """Arithmetic intensity (multiply-adds per byte) of a depthwise 3x3 convolution (``INTENSITY_*``,
    ``BYTES_PER_FLOAT``)."""
    return _INTENSITY.check(answer)


# --- how many test images (chapter 7) --------------------------------------------------------------------------


def _test_images(right: int, of: int, se_per_mille: int) -> int:
    """The fewest test images n with sqrt(p (1 - p) / n) <= se, p = right / of (exact, in fractions)."""
    p, se = Fraction(right, of), Fraction(se_per_mille, 1000)
    return ceil(p * (1 - p) / se ** 2)


def _test_images_slips(right: int, of: int, se_per_mille: int) -> dict[str, int]:
    p, se = Fraction(right, of), Fraction(se_per_mille, 1000)
    return {
        "That is for a standard error of one percentage point; the question asks for half a point.":
            ceil(p * (1 - p) / Fraction(1, 100) ** 2),
        "The standard error is a square root: square it before you solve for n.": ceil(p * (1 - p) / se),
        "The variance of one right-or-wrong image is p (1 - p), not p.": ceil(p / se ** 2),
        "That is the worst case p = 1/2; this model is right on 9 images in 10.": ceil(Fraction(1, 4) / se ** 2),
    }


_TEST_IMAGES = Exercise(
    "the number of test images",
    {"right": TEST_IMAGES_RIGHT, "of": TEST_IMAGES_OF, "se_per_mille": TEST_IMAGES_SE_PER_MILLE},
    solve=_test_images,
    slips=_test_images_slips,
    method=(f"Solve sqrt(p (1 - p) / n) <= se for n, with p and se as fractions ({TEST_IMAGES_SE_PER_MILLE / 10:g} "
            f"percentage points is {Fraction(TEST_IMAGES_SE_PER_MILLE, 1000)})."),
)


def check_test_images(answer: object) -> Feedback:
    """The fewest test images for a binomial standard error of at most ``TEST_IMAGES_SE_PER_MILLE`` per mille, for a
    model right ``TEST_IMAGES_RIGHT`` times in ``TEST_IMAGES_OF``."""
    return _TEST_IMAGES.check(answer)


# --- pairs of channels between groups (chapter 7) --------------------------------------------------------------


def _pairs_between(channels: int, groups: int) -> int:
    """Unordered pairs of distinct channels that lie in different groups."""
    return comb(channels, 2) - groups * comb(channels // groups, 2)


_PAIRS = Exercise(
    "the number of pairs", {"channels": PAIRS_CHANNELS, "groups": PAIRS_GROUPS},
    solve=_pairs_between,
    slips=lambda channels, groups: {
        "That counts the pairs within a group; the question asks for pairs in different groups.":
            groups * comb(channels // groups, 2),
        "That counts every pair; leave out those within a group.": comb(channels, 2),
        "That counts each pair twice (once in each order).": 2 * _pairs_between(channels, groups),
    },
    method="Count all pairs of the channels, C (C - 1) / 2, then take away the pairs inside each group.",
)


def check_channel_pairs(answer: object) -> Feedback:
    """Unordered pairs of channels in different groups (``PAIRS_CHANNELS`` channels in ``PAIRS_GROUPS`` groups)."""
    return _PAIRS.check(answer)
