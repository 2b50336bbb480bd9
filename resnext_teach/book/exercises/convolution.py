"""Chapter 1's exercise checks: parameters, weight shape and multiply-accumulates of a standard convolution.

Each exercise's layer is data (``ConvLayer``): the notebook prints ``layer.code()``, and the exercise (an
``Exercise``, see ``core``) builds ``layer.build()`` and computes its answer from it and from
``resnext_teach.counting``. The hints name the common slips (forgot the bias, K instead of K*K, forgot H*W, FLOPs
instead of MACs) without giving the answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from ...counting import conv2d_macs, conv2d_output_size, conv2d_params, count_parameters
from .core import Exercise
from .feedback import Feedback
from .readers import Approx, WholeTuple

__all__ = ["PARAMS_LAYER", "SHAPE_LAYER", "MACS_LAYER", "MACS_INPUT_SIZE", "DOUBLING_LAYER", "check_params_exercise",
    "check_weight_shape_exercise", "check_macs_exercise", "check_doubling_exercise"]


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


# --- parameters ------------------------------------------------------------------------------------------------


def _params_slips(layer: ConvLayer) -> dict[str, int]:
    c_in, c_out, k = layer.in_channels, layer.out_channels, layer.kernel_size
    weights = conv2d_params(c_in, c_out, k)
    return {
        "That is the weights only. nn.Conv2d has bias=True by default: did you forget the bias?": weights,
        "A K x K kernel has K*K weights per channel pair: did you use K instead of K*K?": c_in * c_out * k + c_out,
        "Two slips: K instead of K*K (a K x K kernel has K*K weights), and the default bias is missing.": c_in * c_out * k,
        "The bias has one number per output channel, not per input channel.": weights + c_in,
        "The bias has one number per output channel, not one for the whole layer.": weights + 1,
    }


_PARAMS = Exercise(
    "the parameter count", {"layer": PARAMS_LAYER},
    solve=lambda layer: count_parameters(layer.build()),
    slips=_params_slips,
    method="Recount each factor of C_in x C_out x K x K, then add the bias: one number per output channel.",
)


def check_params_exercise(answer: object) -> Feedback:
    """Exercise: all parameters of ``PARAMS_LAYER`` (weights and the default bias)."""
    return _PARAMS.check(answer)


# --- weight shape ----------------------------------------------------------------------------------------------


def _shape_diagnosis(shape: tuple[int, ...], expected: tuple[int, ...], layer: ConvLayer) -> str:
    if len(shape) == 3:
        return ("A Conv2d weight has four axes. Each filter spans every input channel, so one axis counts the input "
                "channels, next to the output channels and the kernel's height and width.")
    if len(shape) != 4:
        return "A Conv2d weight has four axes: (output channels, input channels, kernel height, kernel width)."
    if sorted(shape) == sorted(expected):
        return ("Right numbers, wrong order: the axes are (output channels, input channels, kernel height, kernel "
                "width).")
    if shape[:2] == expected[:2]:
        return ("The channel axes are right; check the kernel's height and width. Stride and padding change the "
                "output size, not the weight.")
    names = ("output channels", "input channels", "kernel height", "kernel width")
    return f"Check the axis for {', '.join(name for name, got, want in zip(names, shape, expected) if got != want)}."


_SHAPE = Exercise(
    "the shape", {"layer": SHAPE_LAYER},
    solve=lambda layer: tuple(layer.build().weight.shape),  # (C_out, C_in, K, K)
    reader=WholeTuple("a tuple of integers, like (a, b, c, d)"),
    slips=lambda layer: {
        "You swapped the first two axes: PyTorch stores output channels first, so weight[o] is the filter that makes "
        "output channel o.": (layer.in_channels, layer.out_channels, layer.kernel_size, layer.kernel_size),
    },
    diagnose=_shape_diagnosis,
    echo=lambda shape, layer: f"The weight has shape {tuple(shape)}.",
)


def check_weight_shape_exercise(answer: object) -> Feedback:
    """Exercise: ``tuple(SHAPE_LAYER.build().weight.shape)``, given as a tuple, list or ``torch.Size``."""
    return _SHAPE.check(answer)


# --- multiply-accumulates --------------------------------------------------------------------------------------


def _output_size(layer: ConvLayer, input_size: int) -> tuple[int, int]:
    return conv2d_output_size(input_size, layer.kernel_size, layer.stride, layer.padding)


def _macs(layer: ConvLayer, input_size: int) -> int:
    return conv2d_macs(layer.in_channels, layer.out_channels, layer.kernel_size, _output_size(layer, input_size))


def _macs_slips(layer: ConvLayer, input_size: int) -> dict[str, int]:
    c_in, c_out, k = layer.in_channels, layer.out_channels, layer.kernel_size
    h_out, w_out = _output_size(layer, input_size)
    weights = conv2d_params(c_in, c_out, k)
    return {
        "That is the number of weights. Each weight is used once at every output position: multiply by H x W "
        "of the output.": weights,
        "Use the output size, not the input size: a convolution with stride 2 computes every other position.":
            weights * input_size**2,
        "A K x K kernel has K*K weights per channel pair: did you use K instead of K*K?": c_in * c_out * k * h_out * w_out,
        "The output has H x W positions: did you multiply by only one side?": weights * h_out,
        "That is the FLOP count of PyTorch's FlopCounterMode, which counts a multiply-add as 2. The question asks "
        "for multiply-adds.": 2 * _macs(layer, input_size),
    }


_MACS = Exercise(
    "the number of multiply-accumulates", {"layer": MACS_LAYER, "input_size": MACS_INPUT_SIZE},
    solve=_macs,
    slips=_macs_slips,
    method=("Recount each factor: the weights C_in x C_out x K x K, times the output's H_out x W_out "
            "(floor((H + 2 x padding - K) / stride) + 1 on each side)."),
)


def check_macs_exercise(answer: object) -> Feedback:
    """Exercise: multiply-accumulates of ``MACS_LAYER`` on one ``MACS_INPUT_SIZE x MACS_INPUT_SIZE`` image."""
    return _MACS.check(answer)


# --- doubling the kernel ---------------------------------------------------------------------------------------


def _weights(layer: ConvLayer, kernel_size: int) -> int:
    return conv2d_params(layer.in_channels, layer.out_channels, kernel_size)


def _doubling_slips(layer: ConvLayer) -> dict[str, float]:
    k = layer.kernel_size
    return {
        "Doubling K doubles the kernel's height and its width: count how the K*K weights of one kernel change.":
            (2 * k) / k,  # the kernel's side, not its area
        "That is the inverse: new count divided by old count, please.": _weights(layer, k) / _weights(layer, 2 * k),
        "The channels stay the same, but every kernel gets bigger.": 1.0,  # no growth at all
    }


_DOUBLING = Exercise(
    "the factor", {"layer": DOUBLING_LAYER},
    solve=lambda layer: _weights(layer, 2 * layer.kernel_size) / _weights(layer, layer.kernel_size),
    reader=Approx(rel=1e-6),
    slips=_doubling_slips,
    method="Only K changes: write the weight count C_in * C_out * K * K for both kernel sizes and divide.",
)


def check_doubling_exercise(answer: object) -> Feedback:
    """Exercise: the factor by which weights (and MACs at a fixed output size) grow when K doubles."""
    return _DOUBLING.check(answer)
