"""Check functions for the exercises of Chapter 6 (testing the claims).

Each expected value is computed from the package's formulas; messages say what is off, never the answer.
"""

from __future__ import annotations

from ..counting import conv2d_macs, conv2d_params
from .core import Feedback, check_integer, read_real, right, wrong

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


def _check_close(
    answer: object,
    expected: float,
    rel: float,
    hints: dict[str, float] | None = None,
    what: str = "the value",
    method: str = "Recount each factor of the formula.",
) -> Feedback:
    """Check a real answer to relative tolerance ``rel``; ``hints`` map a message to a known wrong value (those
    within tolerance of ``expected`` are dropped); any other wrong answer gets ``method``, never a direction."""
    value = read_real(answer, what)
    if isinstance(value, Feedback):
        return value
    if abs(value - expected) <= rel * abs(expected):
        return right(f"{what.capitalize()}: {value:,.6g}.")
    for message, known in (hints or {}).items():
        if abs(known - expected) > rel * abs(expected) and abs(value - known) <= rel * abs(known):
            return wrong(message)
    if value <= 0:
        return wrong(f"{what[:1].upper() + what[1:]} is positive.")
    return wrong(f"That is not {what}. {method}")


def expected_parameter_cut() -> float:
    """Percentage of the dense 3x3 layer's weights that the grouped one removes."""
    dense = conv2d_params(CUT_CHANNELS, CUT_CHANNELS, 3)
    grouped = conv2d_params(CUT_CHANNELS, CUT_CHANNELS, 3, groups=CUT_GROUPS)
    return 100 * (1 - grouped / dense)


def check_parameter_cut(answer: object) -> Feedback:
    """The percentage of weights removed by going from 1 to 64 groups in a 256 -> 256 3x3 convolution."""
    expected = expected_parameter_cut()
    hints = {
        "That is the share of weights that remain, not the share removed.": 100 - expected,
        "Give a percentage (a number between 0 and 100), not a fraction.": expected / 100,
        "That is the cut for 32 groups (the popular 96.9%); this layer has 64.": 100 * (1 - 1 / 32),
    }
    method = "Count the weights of both layers, C_out x (C_in / G) x 3 x 3, and give 100 x (dense - grouped) / dense."
    return _check_close(answer, expected, 1e-3, hints, what="the percentage", method=method)


def expected_jacobian_zeros() -> int:
    """Entries of the (C_out, C_in) channel Jacobian of the grouped layer that are exactly zero."""
    c, g = JACOBIAN_CHANNELS, JACOBIAN_GROUPS
    return c * c - c * (c // g)  # all pairs minus those inside a group: each output sees C/G inputs


def check_jacobian_zeros(answer: object) -> Feedback:
    """How many of the 64 x 64 entries of the channel Jacobian of a 64 -> 64, 8-group convolution are zero."""
    c, g = JACOBIAN_CHANNELS, JACOBIAN_GROUPS
    hints = {
        "That counts the entries that can be non-zero (the diagonal blocks); the question asks for the zeros.": c * c // g,
        "That counts the off-diagonal blocks, not their entries: each block holds (C/G) x (C/G) entries.": g * g - g,
    }
    method = ("Count the entries that can be non-zero first: each of the C output channels sees C/G input "
              "channels. The zeros are all the other entries of the C x C matrix.")
    return check_integer(answer, expected_jacobian_zeros(), hints, what="the number of zero entries", method=method)


def expected_training_macs() -> int:
    """Multiply-adds of one training step of the layer: forward, input gradient and weight gradient."""
    forward = conv2d_macs(STEP_CHANNELS, STEP_CHANNELS, 3, STEP_SIZE, groups=STEP_GROUPS)
    return 3 * forward


def check_training_macs(answer: object) -> Feedback:
    """Multiply-adds (the paper's FLOPs) of forward + backward of a 64 -> 64, 16-group 3x3 conv on one 8x8 image."""
    forward = conv2d_macs(STEP_CHANNELS, STEP_CHANNELS, 3, STEP_SIZE, groups=STEP_GROUPS)
    raw = (2 + STEP_GROUPS) * forward  # FlopCounterMode's backward formula: (1 + G) x forward, plus the forward
    hints = {
        "That is FlopCounterMode's raw count, which ignores the groups in the weight gradient.": raw,
        "That is the raw count in FlopCounterMode's units (2 per multiply-add); it also ignores the groups.": 2 * raw,
        "That is in FlopCounterMode's units, 2 FLOPs per multiply-add; the paper counts a multiply-add once.":
            6 * forward,
        "That is the forward pass alone; the backward pass computes two gradients.": forward,
        "The input needs a gradient too: the backward pass computes the input gradient and the weight gradient.":
            2 * forward,
    }
    method = ("Count the forward pass's multiply-adds, C_out x (C_in / G) x 3 x 3 x H_out x W_out, then what the "
              "backward pass adds: the input gradient and the weight gradient each redo the forward's work.")
    return check_integer(answer, expected_training_macs(), hints, what="the number of multiply-adds", method=method)


def expected_intensity() -> float:
    """Multiply-adds per byte of the depthwise layer if input, weight and output are each moved once."""
    c, s = INTENSITY_CHANNELS, INTENSITY_SIZE
    macs = conv2d_macs(c, c, 3, s, groups=c)
    moved = BYTES_PER_FLOAT * (2 * c * s * s + conv2d_params(c, c, 3, groups=c))
    return macs / moved


def check_intensity(answer: object) -> Feedback:
    """Arithmetic intensity (multiply-adds per byte) of a depthwise 3x3 convolution, 256 channels, 28x28, float32."""
    c, s = INTENSITY_CHANNELS, INTENSITY_SIZE
    macs = conv2d_macs(c, c, 3, s, groups=c)
    hints = {
        "Count bytes, not numbers: a float32 takes 4 bytes.": macs / (2 * c * s * s + conv2d_params(c, c, 3, groups=c)),
        "The output has to be written to memory too, not only the input read.":
            macs / (BYTES_PER_FLOAT * (c * s * s + conv2d_params(c, c, 3, groups=c))),
        "That uses the dense layer's multiply-adds; this layer has one group per channel.":
            conv2d_macs(c, c, 3, s) / (BYTES_PER_FLOAT * (2 * c * s * s + conv2d_params(c, c, 3, groups=c))),
    }
    method = ("Divide the layer's multiply-adds by the bytes it moves: input, weights and output, 4 bytes per "
              "float32 number.")
    return _check_close(answer, expected_intensity(), 0.01, hints, what="the intensity", method=method)
