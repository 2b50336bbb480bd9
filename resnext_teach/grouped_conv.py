"""Grouped convolution from scratch: ``groups`` ordinary convolutions side by side.

``nn.Conv2d(C_in, C_out, K, groups=G)`` is equivalent to cutting the input channels into G consecutive slices
of ``C_in / G``, convolving slice ``g`` with its own ordinary ``nn.Conv2d(C_in / G, C_out / G, K)``, and
concatenating the G results along the channel axis. ``GroupedConv2d`` does exactly that, so the equivalence
can be checked (``from_conv2d`` / ``to_conv2d`` copy weights both ways).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from .validation import MAX_SIZE, check_bool, check_groups, check_instance, check_pair, check_tensor

__all__ = ["GroupedConv2d", "connectivity_mask"]


class GroupedConv2d(nn.Module):
    """A grouped convolution written as a list of ``groups`` ordinary convolutions (for teaching; slow)."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        groups: int = 1,
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = False,
    ) -> None:
        super().__init__()
        self.in_channels, self.out_channels, self.groups = check_groups(in_channels, out_channels, groups, MAX_SIZE)
        self.kernel_size = check_pair("kernel_size", kernel_size, maximum=MAX_SIZE)
        stride = check_pair("stride", stride, maximum=MAX_SIZE)
        padding = check_pair("padding", padding, minimum=0, maximum=MAX_SIZE)
        check_bool("bias", bias)
        self.convs = nn.ModuleList(
            nn.Conv2d(
                self.in_channels // self.groups,
                self.out_channels // self.groups,
                self.kernel_size,
                stride=stride,
                padding=padding,
                bias=bias,
            )
            for _ in range(self.groups)
        )

    def forward(self, x: Tensor) -> Tensor:
        # x: (N, C_in, H, W) -> G slices of (N, C_in/G, H, W) -> G outputs (N, C_out/G, H', W') -> (N, C_out, H', W')
        check_tensor("x", x)
        if x.dim() != 4 or x.shape[1] != self.in_channels:
            raise ValueError(f"x: expected input of shape (N, {self.in_channels}, H, W), got {tuple(x.shape)}")
        slices = torch.chunk(x, self.groups, dim=1)
        return torch.cat([conv(part) for conv, part in zip(self.convs, slices)], dim=1)

    @classmethod
    def from_conv2d(cls, conv: nn.Conv2d) -> GroupedConv2d:
        """Build a ``GroupedConv2d`` that computes exactly what ``conv`` computes (weights copied)."""
        check_instance("conv", conv, nn.Conv2d, "torch.nn.Conv2d")
        if conv.dilation != (1, 1) or conv.padding_mode != "zeros" or isinstance(conv.padding, str):
            raise ValueError("only dilation=1, padding_mode='zeros' and numeric padding are supported")
        module = cls(
            conv.in_channels,
            conv.out_channels,
            conv.kernel_size,
            groups=conv.groups,
            stride=conv.stride,
            padding=conv.padding,
            bias=conv.bias is not None,
        )
        module.load_conv2d(conv)
        return module.to(conv.weight.device, conv.weight.dtype)

    @torch.no_grad()
    def load_conv2d(self, conv: nn.Conv2d) -> None:
        """Copy the weights of a grouped ``nn.Conv2d``: output rows ``g*C_out/G ... (g+1)*C_out/G - 1`` are group g's."""
        check_instance("conv", conv, nn.Conv2d, "torch.nn.Conv2d")
        if (conv.in_channels, conv.out_channels, conv.groups) != (self.in_channels, self.out_channels, self.groups):
            raise ValueError(
                f"conv has (in_channels, out_channels, groups)={(conv.in_channels, conv.out_channels, conv.groups)}, "
                f"this module has {(self.in_channels, self.out_channels, self.groups)}"
            )
        for part, weight in zip(self.convs, torch.chunk(conv.weight, self.groups, dim=0)):
            part.weight.copy_(weight)  # (C_out/G, C_in/G, K, K)
        if conv.bias is not None:
            for part, bias in zip(self.convs, torch.chunk(conv.bias, self.groups, dim=0)):
                part.bias.copy_(bias)

    @torch.no_grad()
    def to_conv2d(self) -> nn.Conv2d:
        """Export to one ``nn.Conv2d(..., groups=G)`` that gives the same output."""
        first = self.convs[0]
        conv = nn.Conv2d(
            self.in_channels,
            self.out_channels,
            self.kernel_size,
            stride=first.stride,
            padding=first.padding,
            groups=self.groups,
            bias=first.bias is not None,
        ).to(first.weight.device, first.weight.dtype)
        conv.weight.copy_(torch.cat([part.weight for part in self.convs], dim=0))
        if conv.bias is not None:
            conv.bias.copy_(torch.cat([part.bias for part in self.convs], dim=0))
        return conv


def connectivity_mask(in_channels: int, out_channels: int, groups: int = 1) -> torch.Tensor:
    """Boolean matrix ``(out_channels, in_channels)``: entry ``[o, i]`` is True when input channel ``i`` reaches
    output channel ``o``. A standard convolution is all True; ``groups=G`` gives G blocks on the diagonal."""
    c_in, c_out, g = check_groups(in_channels, out_channels, groups, MAX_SIZE)
    out_group = torch.arange(c_out) // (c_out // g)
    in_group = torch.arange(c_in) // (c_in // g)
    return out_group[:, None] == in_group[None, :]
