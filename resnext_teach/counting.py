"""Counting formulas for 2-D convolutions: parameters and multiply-accumulates.

A convolution with ``groups=G`` splits its ``C_in`` input and ``C_out`` output channels into G groups; each
output channel sees only the ``C_in / G`` inputs of its own group. Its weight has shape
``(C_out, C_in / G, K_h, K_w)``, so

    parameters = C_in * C_out * K_h * K_w / G   (+ C_out with a bias)
    MACs       = parameters_without_bias * H_out * W_out   (per image)

A multiply-accumulate (MAC, "multiply-add") is what the ResNeXt paper calls a FLOP (Xie et al. 2017, Table 1
footnote); PyTorch's ``FlopCounterMode`` counts each MAC as 2 FLOPs (see ``flops.py``).
"""

from __future__ import annotations

from torch import nn

from .validation import MAX_SIZE, check_bool, check_groups, check_module, check_pair, check_positive_int, describe

__all__ = ["conv2d_params", "conv2d_macs", "conv2d_output_size", "legal_groups", "count_parameters"]


def conv2d_params(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    groups: int = 1,
    bias: bool = False,
) -> int:
    """Number of learnable parameters of ``nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups,
    bias=bias)``: ``C_in * C_out * K_h * K_w / groups``, plus ``C_out`` if ``bias``.

    >>> conv2d_params(64, 128, 3), conv2d_params(64, 128, 3, groups=32), conv2d_params(64, 128, 3, bias=True)
    (73728, 2304, 73856)
    """
    c_in, c_out, g = check_groups(in_channels, out_channels, groups)
    k_h, k_w = check_pair("kernel_size", kernel_size)
    check_bool("bias", bias)
    weights = c_out * (c_in // g) * k_h * k_w
    return weights + (c_out if bias else 0)


def legal_groups(in_channels: int, out_channels: int) -> list[int]:
    """The values of ``groups`` a convolution from ``in_channels`` to ``out_channels`` accepts, ascending: the
    common divisors of both counts (the rule ``conv2d_params`` enforces and ``nn.Conv2d`` shares).

    >>> legal_groups(64, 128)
    [1, 2, 4, 8, 16, 32, 64]
    """
    c_in = check_positive_int("in_channels", in_channels, MAX_SIZE)
    c_out = check_positive_int("out_channels", out_channels, MAX_SIZE)
    return [g for g in range(1, min(c_in, c_out) + 1) if c_in % g == 0 and c_out % g == 0]


def conv2d_output_size(
    input_size: int | tuple[int, int],
    kernel_size: int | tuple[int, int],
    stride: int | tuple[int, int] = 1,
    padding: int | tuple[int, int] = 0,
) -> tuple[int, int]:
    """Spatial output size ``floor((H + 2p - K) / s) + 1`` of a convolution (dilation 1)."""
    h, w = check_pair("input_size", input_size)
    k_h, k_w = check_pair("kernel_size", kernel_size)
    s_h, s_w = check_pair("stride", stride)
    p_h, p_w = check_pair("padding", padding, minimum=0)
    out_h = (h + 2 * p_h - k_h) // s_h + 1
    out_w = (w + 2 * p_w - k_w) // s_w + 1
    if out_h <= 0 or out_w <= 0:
        raise ValueError(
            f"kernel_size={describe(kernel_size)} is larger than the padded input_size={describe(input_size)}"
        )
    return out_h, out_w


def conv2d_macs(
    in_channels: int,
    out_channels: int,
    kernel_size: int | tuple[int, int],
    output_size: int | tuple[int, int],
    groups: int = 1,
    batch_size: int = 1,
) -> int:
    """Multiply-accumulates of one forward pass: every weight is used once per output position.

    ``output_size`` is the spatial size ``H_out x W_out`` of the output (an int for a square one). Bias additions
    are not counted, following the paper and PyTorch's counter.
    """
    weights = conv2d_params(in_channels, out_channels, kernel_size, groups=groups, bias=False)
    h_out, w_out = check_pair("output_size", output_size)
    n = check_positive_int("batch_size", batch_size)
    return weights * h_out * w_out * n


def count_parameters(module: nn.Module, trainable_only: bool = False) -> int:
    """Total number of parameter elements of ``module`` (``sum(p.numel())``), shared tensors counted once.

    This is the count torchvision documents for its models (e.g. 25,028,904 for ResNeXt-50 32x4d); BatchNorm
    running statistics are buffers, not parameters, and are not counted.
    """
    check_module("module", module)
    check_bool("trainable_only", trainable_only)
    params = module.parameters()
    return sum(p.numel() for p in params if p.requires_grad or not trainable_only)
