"""Common ways to get a ResNeXt block wrong, written as real code so the book can measure what each one costs.

Each mistake below runs without an error (except the last, which is the point of it), which is what makes it
dangerous. Nothing here is used by the rest of the package; Chapter 4 builds each one and compares it with the
correct block from ``blocks``.

1. ``PerPathWidthBottleneck``: the paper's form (a) as a list of paths, with each path's width computed as
   ``out_channels * bottleneck_width // cardinality`` instead of the paper's d (``grouped_width // cardinality``).
   ``misbuilt_model`` puts it into every block of a named model.
2. ``ChannelsPerGroupBlock``: an argument called ``groups`` that holds the number of channels per group, turned
   into ``nn.Conv2d(groups=width // groups)``. Dive into Deep Learning (Zhang et al. 2023, Sec. 8.6) follows this
   pattern; its example block with 32 channels and "groups" 16 has 2 groups of 16 channels.
3. ``width_floored_last``: the grouped width computed as ``int(planes * d * C / 64)``, flooring after multiplying
   by C, which can give a width that C does not divide (``nn.Conv2d`` then refuses it).
4. ``time_once``: timing one forward pass with ``time.time()``.
"""

from __future__ import annotations

import time

import torch
from torch import Tensor, nn

from .blocks import make_downsample
from .flops import inspection
from .design import BLOCK_EXPANSION
from .models import build_model
from .validation import MAX_SIZE, check_bool, check_module, check_positive_int, check_real, check_tensor, forward

__all__ = ["per_path_width_mistake", "PerPathWidthBottleneck", "misbuilt_model", "ChannelsPerGroupBlock",
    "width_floored_last", "time_once"]

# --- Mistake 1: a list of paths whose width is computed from the block's output channels -----------------------


def per_path_width_mistake(out_channels: int, bottleneck_width: int, cardinality: int) -> int:
    """MISTAKE: each path's width as ``out_channels * bottleneck_width // cardinality``.

    The paper's path width in stage 1 is d itself (4 for 32x4d); this gives 256 * 4 // 32 = 32 there. The
    correct width is ``grouped_width(planes, bottleneck_width, cardinality) // cardinality``.
    """
    out_channels = check_positive_int("out_channels", out_channels)
    bottleneck_width = check_positive_int("bottleneck_width", bottleneck_width)
    cardinality = check_positive_int("cardinality", cardinality)
    return out_channels * bottleneck_width // cardinality


class PerPathWidthBottleneck(nn.Module):
    """Form (a) written as an ``nn.ModuleList`` of C paths (1x1 -> 3x3 -> 1x1), summed, BN, shortcut, ReLU, with
    the path width of ``per_path_width_mistake``. Same constructor arguments as ``ResNeXtBottleneck``."""

    def __init__(
        self, in_channels: int, planes: int, cardinality: int = 1, bottleneck_width: int = 64, stride: int = 1
    ) -> None:
        super().__init__()
        in_channels = check_positive_int("in_channels", in_channels, MAX_SIZE)
        planes = check_positive_int("planes", planes, MAX_SIZE // BLOCK_EXPANSION)
        cardinality = check_positive_int("cardinality", cardinality, MAX_SIZE)
        stride = check_positive_int("stride", stride, MAX_SIZE)
        out_channels = planes * BLOCK_EXPANSION
        d = per_path_width_mistake(out_channels, bottleneck_width, cardinality)  # the mistake
        if not 1 <= d * cardinality <= MAX_SIZE:
            raise ValueError(
                f"planes={planes}, bottleneck_width={bottleneck_width}, cardinality={cardinality} give {cardinality} "
                f"paths of {d:,} channels; together they must hold 1 to {MAX_SIZE:,}"
            )
        self.path_width = d
        self.paths = nn.ModuleList(
            nn.Sequential(
                nn.Conv2d(in_channels, d, 1, bias=False),
                nn.BatchNorm2d(d),
                nn.ReLU(inplace=True),
                nn.Conv2d(d, d, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(d),
                nn.ReLU(inplace=True),
                nn.Conv2d(d, out_channels, 1, bias=False),
            )
            for _ in range(cardinality)
        )
        self.bn3 = nn.BatchNorm2d(out_channels)
        self.downsample = make_downsample(in_channels, out_channels, stride)
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        out = self.bn3(sum(path(x) for path in self.paths))  # (N, 4*planes, H/s, W/s)
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


def misbuilt_model(name: str = "resnext50_32x4d", block: type[nn.Module] = PerPathWidthBottleneck) -> nn.Module:
    """The named model with every ``ResNeXtBottleneck`` replaced by ``block`` built from the same arguments.

    Build it on the meta device (``with torch.device("meta"): ...``) to count its parameters without allocating
    them. The stem, the classifier and the stage layout stay those of the named model.
    """
    if not (isinstance(block, type) and issubclass(block, nn.Module)):
        raise TypeError(f"block must be a torch.nn.Module class, not {type(block).__name__}")
    model = build_model(name)
    for stage in model.stages:
        for i, good in enumerate(stage):  # every block of a built model is a ResNeXtBottleneck
            stage[i] = block(**good.spec())
    return model


# --- Mistake 2: channels per group where nn.Conv2d expects the number of groups ---------------------------------


class ChannelsPerGroupBlock(nn.Module):
    """MISTAKE: a bottleneck whose argument ``groups`` is the number of channels per group.

    The 3x3 convolution gets ``groups=width // groups``: with ``width=32`` and ``groups=16`` it has 2 groups of 16
    channels, not 16 groups of 2. The layout is the textbook's: 1x1 (channels -> width), grouped 3x3, 1x1 (width ->
    channels), BN after each, biases in every convolution, an optional 1x1 projection shortcut.
    """

    def __init__(
        self, channels: int, groups: int, bottleneck_ratio: float = 1.0, projection: bool = False, stride: int = 1
    ) -> None:
        super().__init__()
        channels = check_positive_int("channels", channels, MAX_SIZE)
        groups = check_positive_int("groups", groups, MAX_SIZE)
        bottleneck_ratio = check_real("bottleneck_ratio", bottleneck_ratio, 0.0, MAX_SIZE / channels, low_open=True,
                                      high_open=False)
        check_bool("projection", projection)
        stride = check_positive_int("stride", stride, MAX_SIZE)
        width = int(round(channels * bottleneck_ratio))
        self.conv1 = nn.Conv2d(channels, width, 1)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=width // groups)  # the mistake
        self.conv3 = nn.Conv2d(width, channels, 1)
        self.bn1, self.bn2, self.bn3 = nn.BatchNorm2d(width), nn.BatchNorm2d(width), nn.BatchNorm2d(channels)
        self.conv4 = nn.Conv2d(channels, channels, 1, stride=stride) if projection else None
        self.bn4 = nn.BatchNorm2d(channels) if projection else None

    def forward(self, x: Tensor) -> Tensor:
        y = torch.relu(self.bn1(self.conv1(x)))
        y = torch.relu(self.bn2(self.conv2(y)))
        y = self.bn3(self.conv3(y))
        if self.conv4 is not None:
            x = self.bn4(self.conv4(x))
        return torch.relu(y + x)


# --- Mistake 3: a grouped width that the number of groups does not divide ----------------------------------------


def width_floored_last(planes: int, bottleneck_width: int, cardinality: int) -> int:
    """MISTAKE: ``int(planes * bottleneck_width * cardinality / 64)``, flooring after multiplying by C.

    ``design.grouped_width`` floors first, ``int(planes * bottleneck_width / 64) * cardinality``, so the result
    is always a multiple of C. Flooring last gives, for planes=16, d=14, C=8, a width of 28 (``int(28.0)``) where
    the correct rule gives 3 * 8 = 24; 8 does not divide 28, and ``nn.Conv2d(28, 28, 3, groups=8)`` fails.
    """
    planes = check_positive_int("planes", planes)
    bottleneck_width = check_positive_int("bottleneck_width", bottleneck_width)
    cardinality = check_positive_int("cardinality", cardinality)
    return planes * bottleneck_width * cardinality // 64  # = int(... / 64), exact for sizes beyond a float's


# --- Mistake 4: one forward pass timed with time.time() ---------------------------------------------------------

def time_once(module: nn.Module, inputs: Tensor) -> float:
    """MISTAKE: the seconds of a single forward pass, measured with ``time.time()``.

    No warm-up (the first call pays for one-off set-up), one sample (no spread, no median), a wall clock with
    coarse resolution on some systems; whatever else the machine does lands in the number. Use
    ``timing.time_modules`` instead. (It runs the module in eval mode and puts it
    back in its mode afterwards: the mistake is the timing, not the module.)
    """
    check_module("module", module)
    check_tensor("inputs", inputs, floating=True)
    with inspection(module), torch.no_grad():
        start = time.time()
        forward(module, inputs)
        return time.time() - start
