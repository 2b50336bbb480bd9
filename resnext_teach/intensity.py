"""Arithmetic intensity: how many multiply-adds a layer performs per byte it must move (Williams et al. 2009).

A FLOP is a multiply-add in this book, as in the paper, so intensity is in multiply-adds per byte (a hardware data
sheet, counting 2 FLOPs per multiply-add, would print twice the number). A layer that does M multiply-adds and
must move at least B bytes between memory and the processor can run no faster than
``min(peak multiply-adds/s, bandwidth * M / B)`` (the roofline: ``roofline.py`` measures both limits). For a
convolution, the least traffic is reading its weights and its input once and writing its output once:

    bytes >= (weights + N*C_in*H*W + N*C_out*H_out*W_out) * bytes_per_element

A grouped convolution divides its multiply-adds (and weights) by ``groups`` but moves the same activations, so its
intensity falls. ``conv_intensity`` is the book's one count of the bytes a convolution moves.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch import nn

from .counting import conv2d_macs, conv2d_output_size
from .validation import check_instance, check_pair, check_positive_int

__all__ = ["Intensity", "conv_intensity"]


@dataclass(frozen=True)
class Intensity:
    """Work and least memory traffic of one layer (or a sum of layers) for one forward pass."""

    macs: int  # multiply-adds
    bytes_moved: int  # weights + input + output, each moved once

    @property
    def macs_per_byte(self) -> float:
        """Arithmetic intensity: multiply-adds (the book's FLOPs) per byte moved."""
        return self.macs / self.bytes_moved

    def __add__(self, other: Intensity) -> Intensity:
        return Intensity(self.macs + other.macs, self.bytes_moved + other.bytes_moved)


def conv_intensity(
    conv: nn.Conv2d, input_size: int | tuple[int, int], batch_size: int = 1, bytes_per_element: int = 4
) -> Intensity:
    """Multiply-adds and least bytes moved by ``conv`` on a ``(batch_size, C_in, H, W)`` input (float32 = 4 bytes).

    ``input_size`` is ``H`` for a square input or ``(H, W)``; any integer type (``numpy.int64`` too) will do."""
    check_instance("conv", conv, nn.Conv2d, "torch.nn.Conv2d")
    if isinstance(conv.padding, str) or conv.dilation != (1, 1):
        raise ValueError(f"padding={conv.padding!r}, dilation={conv.dilation!r}: only numeric padding and dilation 1 "
                         "are supported")
    h_in, w_in = check_pair("input_size", input_size)
    n = check_positive_int("batch_size", batch_size)
    element = check_positive_int("bytes_per_element", bytes_per_element)
    h, w = conv2d_output_size((h_in, w_in), conv.kernel_size, conv.stride, conv.padding)
    macs = conv2d_macs(conv.in_channels, conv.out_channels, conv.kernel_size, (h, w), conv.groups, n)
    weights = conv.weight.numel() + (conv.bias.numel() if conv.bias is not None else 0)
    activations = n * conv.in_channels * h_in * w_in + n * conv.out_channels * h * w
    return Intensity(macs, (weights + activations) * element)


def conv_kind(conv: nn.Conv2d) -> str:
    """A convolution's kind for profiles: ``"3×3 grouped"`` when ``groups > 1``, else its kernel, e.g. ``"1×1"``."""
    check_instance("conv", conv, nn.Conv2d, "torch.nn.Conv2d")
    k_h, k_w = conv.kernel_size
    return f"{k_h}×{k_w}" + (" grouped" if conv.groups > 1 else "")
