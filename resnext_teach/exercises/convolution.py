"""Chapter 1's exercise checks: parameters, weight shape and multiply-accumulates of a standard convolution.

Each exercise's layer is data (``ConvLayer``): the notebook prints ``layer.code()``, the check builds
``layer.build()`` and computes the expected answer from it and from ``resnext_teach.counting``. The hints name the
common slips (forgot the bias, K instead of K*K, forgot H*W, FLOPs instead of MACs) without giving the answer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from torch import nn

from ..counting import conv2d_macs, conv2d_output_size, conv2d_params, count_parameters
from .core import Feedback, check_integer, read_real, read_whole_numbers, right, wrong


@dataclass(frozen=True)
class ConvLayer:
    """The arguments of one ``nn.Conv2d`` in an exercise (PyTorch's defaults: stride 1, padding 0, bias=True)."""

    in_channels: int
    out_channels: int
    kernel_size: int
    stride: int = 1
    padding: int = 0
    bias: bool = True

    def code(self) -> str:
        """How the layer is written in PyTorch, default arguments left out: ``nn.Conv2d(32, 96, 5)``."""
        extra = "".join(
            f", {name}={value}"
            for name, value, default in (("stride", self.stride, 1), ("padding", self.padding, 0), ("bias", self.bias, True))
            if value != default
        )
        return f"nn.Conv2d({self.in_channels}, {self.out_channels}, {self.kernel_size}{extra})"

    def build(self, device: str = "meta") -> nn.Conv2d:
        """The real module (on the meta device by default: shapes only, no memory)."""
        return nn.Conv2d(self.in_channels, self.out_channels, self.kernel_size, stride=self.stride,
                         padding=self.padding, bias=self.bias, device=device)


PARAMS_LAYER = ConvLayer(32, 96, 5)
"""Exercise "parameters": count every parameter of ``nn.Conv2d(32, 96, 5)``, bias included (PyTorch's default)."""

SHAPE_LAYER = ConvLayer(3, 64, 7, stride=2, padding=3, bias=False)
"""Exercise "weight shape": the stem convolution of ResNet and ResNeXt (7x7, stride 2, on RGB images)."""

MACS_LAYER = ConvLayer(64, 64, 3, stride=2, padding=1, bias=False)
MACS_INPUT_SIZE = 56
"""Exercise "MACs": ``MACS_LAYER`` applied to one ``56 x 56`` image; stride 2 makes the output smaller."""

DOUBLING_LAYER = ConvLayer(64, 128, 3, bias=False)
"""Exercise "doubling the kernel": the running example with its kernel size doubled (3 -> 6)."""


def check_params_exercise(answer: object) -> Feedback:
    """Exercise: all parameters of ``PARAMS_LAYER`` (weights and the default bias)."""
    c_in, c_out, k = PARAMS_LAYER.in_channels, PARAMS_LAYER.out_channels, PARAMS_LAYER.kernel_size
    expected = count_parameters(PARAMS_LAYER.build())
    weights = conv2d_params(c_in, c_out, k)
    hints = {
        "That is the weights only. nn.Conv2d has bias=True by default: did you forget the bias?": weights,
        "A K x K kernel has K*K weights per channel pair: did you use K instead of K*K?": c_in * c_out * k + c_out,
        "Two slips: K instead of K*K (a K x K kernel has K*K weights), and the default bias is missing.": c_in * c_out * k,
        "The bias has one number per output channel, not per input channel.": weights + c_in,
        "The bias has one number per output channel, not one for the whole layer.": weights + 1,
    }
    method = "Recount each factor of C_in x C_out x K x K, then add the bias: one number per output channel."
    return check_integer(answer, expected, hints, what="the parameter count", method=method)


def check_weight_shape_exercise(answer: object) -> Feedback:
    """Exercise: ``tuple(SHAPE_LAYER.build().weight.shape)``, given as a tuple, list or ``torch.Size``."""
    expected = tuple(SHAPE_LAYER.build().weight.shape)  # (C_out, C_in, K, K)
    values = read_whole_numbers(answer, "the shape", ordered=True, form="a tuple of integers, like (a, b, c, d)")
    if isinstance(values, Feedback):
        return values
    shape = tuple(values)
    if shape == expected:
        return right(f"The weight has shape {shape}.")
    if len(shape) == 3:
        return wrong("A Conv2d weight has four axes. Each filter spans every input channel, so one axis counts the "
                     "input channels, next to the output channels and the kernel's height and width.")
    if len(shape) != 4:
        return wrong("A Conv2d weight has four axes: (output channels, input channels, kernel height, kernel width).")
    if shape == (expected[1], expected[0], *expected[2:]):
        return wrong("You swapped the first two axes: PyTorch stores output channels first, so weight[o] is the "
                     "filter that makes output channel o.")
    if sorted(shape) == sorted(expected):
        return wrong("Right numbers, wrong order: the axes are (output channels, input channels, kernel height, "
                     "kernel width).")
    if shape[:2] == expected[:2]:
        return wrong("The channel axes are right; check the kernel's height and width. Stride and padding change "
                     "the output size, not the weight.")
    names = ("output channels", "input channels", "kernel height", "kernel width")
    off = [name for name, got, want in zip(names, shape, expected) if got != want]
    return wrong(f"Check the axis for {', '.join(off)}.")


def macs_exercise_output_size() -> tuple[int, int]:
    """The output size of ``MACS_LAYER`` on a ``MACS_INPUT_SIZE`` input."""
    return conv2d_output_size(MACS_INPUT_SIZE, MACS_LAYER.kernel_size, MACS_LAYER.stride, MACS_LAYER.padding)


def check_macs_exercise(answer: object) -> Feedback:
    """Exercise: multiply-accumulates of ``MACS_LAYER`` on one ``MACS_INPUT_SIZE x MACS_INPUT_SIZE`` image."""
    c_in, c_out, k = MACS_LAYER.in_channels, MACS_LAYER.out_channels, MACS_LAYER.kernel_size
    h_out, w_out = macs_exercise_output_size()
    expected = conv2d_macs(c_in, c_out, k, (h_out, w_out))
    weights = conv2d_params(c_in, c_out, k)
    hints = {
        "That is the number of weights. Each weight is used once at every output position: multiply by H x W "
        "of the output.": weights,
        "Use the output size, not the input size: with stride 2 the output is smaller than the input.":
            weights * MACS_INPUT_SIZE**2,
        "A K x K kernel has K*K weights per channel pair: did you use K instead of K*K?": c_in * c_out * k * h_out * w_out,
        "The output has H x W positions: did you multiply by only one side?": weights * h_out,
        "That is the FLOP count of PyTorch's FlopCounterMode, which counts a multiply-add as 2. The question asks "
        "for multiply-adds.": 2 * expected,
    }
    method = ("Recount each factor: the weights C_in x C_out x K x K, times the output's H_out x W_out "
              "(floor((H + 2 x padding - K) / stride) + 1 on each side).")
    return check_integer(answer, expected, hints, what="the number of multiply-accumulates", method=method)


def doubling_factor() -> float:
    """How many times more weights ``DOUBLING_LAYER`` has with its kernel size doubled."""
    layer = DOUBLING_LAYER
    before = conv2d_params(layer.in_channels, layer.out_channels, layer.kernel_size)
    after = conv2d_params(layer.in_channels, layer.out_channels, 2 * layer.kernel_size)
    return after / before


def check_doubling_exercise(answer: object) -> Feedback:
    """Exercise: the factor by which weights (and MACs at a fixed output size) grow when K doubles."""
    expected = doubling_factor()
    value = read_real(answer, "the factor")
    if isinstance(value, Feedback):
        return value
    if math.isclose(value, expected, rel_tol=1e-6):
        return right(f"The factor is {value:g}.")
    if math.isclose(value, math.sqrt(expected), rel_tol=1e-6):
        return wrong("Doubling K doubles the kernel's height and its width: count how the K*K weights of one "
                     "kernel change.")
    if value > 0 and math.isclose(value, 1 / expected, rel_tol=1e-6):
        return wrong("That is the inverse: new count divided by old count, please.")
    if math.isclose(value, 1.0):
        return wrong("The channels stay the same, but every kernel gets bigger.")
    if value <= 0:
        return wrong("The factor is positive: a bigger kernel has more weights.")
    return wrong("Only K changes: write the weight count C_in * C_out * K * K for both kernel sizes and divide.")
