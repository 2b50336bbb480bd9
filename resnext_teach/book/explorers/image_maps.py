"""The layer of chapter 2's mechanism explorer (``image``) and what it computes, on a real photo.

* ``photo``          - a 32 x 32 greyscale crop of scikit-learn's sample photo ``china.jpg`` (a pagoda roof)
* ``input_maps``     - 8 input channels a reader can recognise, each the photo filtered by a fixed 3x3 kernel
                       (``INPUT_CHANNELS`` names them and gives the kernels)
* ``full_weight``    - the fixed filter bank of the dense 8 -> 8 layer; ``grouped_weight(G)`` keeps, for each output
                       channel, the same kernels but only those of its group's input channels
* ``output_maps``    - the 8 output maps of a real ``nn.Conv2d(8, 8, 3, padding=1, groups=G, bias=False)``
                       (``grouped_layer(G)``); ``output_scale`` - the one scale they are drawn on, at every G

The tests compare the output maps with ``GroupedConv2d`` and a per-group convolution.
"""

from __future__ import annotations

import functools
import math

import torch
from torch import Tensor, nn

CHANNELS = 8  # the layer is nn.Conv2d(8, 8, 3, padding=1, groups=G, bias=False)
GROUPS = (1, 2, 4, 8)
SIZE = 32  # the photo crop and every map: 32 x 32 pixels
CROP = (25, 90, 192)  # (top, left, side) of the square cut from china.jpg (427 x 640): the pagoda's top roof
WEIGHT_SEED = 2017  # the seed of the filter bank (the paper's year)

INPUT_CHANNELS: tuple[tuple[str, str, tuple[tuple[float, ...], ...]], ...] = (
    # (label, what it is, the 3x3 kernel applied to the photo, as torch's conv2d applies it: not flipped)
    ("brightness", "the photo itself", ((0, 0, 0), (0, 1, 0), (0, 0, 0))),
    ("inverse", "the photo's negative", ((0, 0, 0), (0, -1, 0), (0, 0, 0))),
    ("horizontal edges", "horizontal edges, above minus below (Sobel)", ((1, 2, 1), (0, 0, 0), (-1, -2, -1))),
    ("vertical edges", "vertical edges, left minus right (Sobel)", ((1, 0, -1), (2, 0, -2), (1, 0, -1))),
    ("\\ edges", "edges running top-left to bottom-right", ((0, 1, 2), (-1, 0, 1), (-2, -1, 0))),
    ("/ edges", "edges running bottom-left to top-right", ((2, 1, 0), (1, 0, -1), (0, -1, -2))),
    ("blur", "a 3x3 average (blur)", ((1 / 9,) * 3,) * 3),
    ("detail", "fine detail, centre minus its 4 neighbours (Laplacian)", ((0, -1, 0), (-1, 4, -1), (0, -1, 0))),
)
"""The 8 input channels. Each is the centred photo (grey level - 0.5) filtered by its kernel (edges repeated at the
border), then divided by its largest absolute value, so every input map lies in [-1, 1]."""

@functools.cache
def photo() -> tuple[Tensor, str]:
    """The 32 x 32 greyscale picture in [0, 1] and what it shows: a crop of scikit-learn's ``china.jpg`` (the
    pagoda's top roof: sloping edges, horizontal bands, columns) averaged over 6 x 6 pixel blocks, or, where that
    photo cannot load, scikit-learn's first handwritten digit (8 x 8) enlarged 4 times."""
    try:
        from sklearn.datasets import load_sample_image

        rgb = torch.tensor(load_sample_image("china.jpg"), dtype=torch.float64) / 255  # (427, 640, 3)
        grey = rgb @ torch.tensor([0.299, 0.587, 0.114], dtype=torch.float64)  # ITU-R 601 luma
        top, left, side = CROP
        f = side // SIZE
        crop = grey[top:top + side, left:left + side].reshape(SIZE, f, SIZE, f).mean(dim=(1, 3))
        return crop.float(), "a pagoda roof (a crop of scikit-learn's china.jpg)"
    except Exception:  # noqa: BLE001 - any failure to read the photo falls back to the digit shipped as data
        from sklearn.datasets import load_digits

        digit = torch.tensor(load_digits().images[0], dtype=torch.float32) / 16  # (8, 8) in [0, 1]
        return torch.kron(digit, torch.ones(SIZE // 8, SIZE // 8)), "a handwritten zero (scikit-learn's digits)"


@functools.cache
def _input_maps() -> Tensor:
    x = (photo()[0] - 0.5)[None, None]  # (1, 1, 32, 32), centred
    kernels = torch.tensor([k for _, _, k in INPUT_CHANNELS], dtype=torch.float32)[:, None]  # (8, 1, 3, 3)
    maps = nn.functional.conv2d(nn.functional.pad(x, (1, 1, 1, 1), mode="replicate"), kernels)[0]  # (8, 32, 32)
    return maps / maps.abs().amax(dim=(1, 2), keepdim=True)


def input_maps() -> Tensor:
    """The layer's input, ``(8, 32, 32)``: the channels of ``INPUT_CHANNELS``, each in [-1, 1]."""
    return _input_maps().clone()


@functools.cache
def _full_weight() -> Tensor:
    gen = torch.Generator().manual_seed(WEIGHT_SEED)
    w = 0.3 * torch.randn(CHANNELS, CHANNELS, 3, 3, generator=gen)  # (out, in, 3, 3)
    w[range(CHANNELS), range(CHANNELS), 1, 1] += 1.0  # each output starts from its own-numbered input
    return w


def full_weight() -> Tensor:
    """The filter bank of the dense layer (G = 1), ``(8, 8, 3, 3)``: seeded Gaussian weights (std 0.3), plus 1
    at the centre of kernel [k, k], so that at G = 8 output k is recognisably input k, and at G = 1 it mixes all."""
    return _full_weight().clone()


def group_of(channel: int, groups: int) -> int:
    """The group of a channel (input or output: 8 of each) when the layer has ``groups`` groups."""
    return channel // (CHANNELS // groups)


def grouped_weight(groups: int) -> Tensor:
    """The weight of ``nn.Conv2d(8, 8, 3, groups=groups)``, ``(8, 8/G, 3, 3)``: output channel k keeps the kernels
    of ``full_weight()`` for the input channels of its own group, the same kernels at every G."""
    n = CHANNELS // groups
    w = _full_weight()
    return torch.stack([w[k, group_of(k, groups) * n:(group_of(k, groups) + 1) * n] for k in range(CHANNELS)])


def grouped_layer(groups: int) -> nn.Conv2d:
    """The explorer's layer: ``nn.Conv2d(8, 8, 3, padding=1, groups=groups, bias=False)`` with ``grouped_weight``."""
    conv = nn.Conv2d(CHANNELS, CHANNELS, 3, padding=1, groups=groups, bias=False)
    with torch.no_grad():
        conv.weight.copy_(grouped_weight(groups))
    return conv


@functools.cache
def _output_maps(groups: int) -> Tensor:
    with torch.no_grad():
        return grouped_layer(groups)(_input_maps()[None])[0]  # (1, 8, 32, 32) -> (8, 32, 32)


def output_maps(groups: int) -> Tensor:
    """The 8 output maps ``(8, 32, 32)`` of ``grouped_layer(groups)`` applied to ``input_maps()``."""
    return _output_maps(groups).clone()


@functools.cache
def output_scale() -> float:
    """The scale s of every output map, at every G: the 99th percentile of |output| over all G, rounded up to one
    decimal. Outputs are drawn on [-s, s]; the 1 % of values beyond it are drawn black or white. (The largest
    |output| would be twice as large and leave most maps a flat grey.)"""
    values = torch.cat([_output_maps(g).abs().flatten() for g in GROUPS])
    return math.ceil(10 * torch.quantile(values, 0.99).item()) / 10
