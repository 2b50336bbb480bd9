"""The ResNeXt bottleneck block in the paper's three equivalent forms (Xie et al. 2017, Fig. 3).

(a) ``AggregatedBottleneck``: C paths, each 1x1 -> 3x3 -> 1x1, whose outputs are summed (Eq. 3);
(b) ``ConcatBottleneck``: C paths of 1x1 -> 3x3, concatenated, then one 1x1 ("early concatenation");
(c) ``ResNeXtBottleneck``: 1x1 -> one grouped 3x3 (``groups=cardinality``) -> 1x1; torchvision's layout.

All three have BN after each convolution (after the sum for the last one), ReLU, and a shortcut that is the
identity or, when the shape changes, a 1x1 projection ``downsample = (conv, BN)`` as in torchvision. With the
same weights they compute the same function; ``convert_block`` copies weights between forms. A ResNet
bottleneck is the member with ``cardinality=1, bottleneck_width=64``.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import Tensor, nn

from .design import BLOCK_EXPANSION, grouped_width
from .validation import MAX_SIZE, check_choice, check_positive_int

__all__ = ["FORMS", "FORM_TOLERANCE", "ResNeXtBottleneck", "AggregatedBottleneck", "ConcatBottleneck", "make_block",
    "convert_block"]

FORMS = ("aggregated", "concatenated", "grouped")
"""Names of the paper's Fig. 3 forms (a), (b), (c), as ``convert_block`` accepts them."""

FORM_TOLERANCE = {"rtol": 1e-5, "atol": 1e-5}
"""How close the forms' float32 outputs are (BN in eval mode): they add the same products in another order."""


def make_downsample(in_channels: int, out_channels: int, stride: int) -> nn.Sequential | None:
    """The projection shortcut (1x1 conv with stride, then BN), or ``None`` when the identity fits."""
    in_channels = check_positive_int("in_channels", in_channels, MAX_SIZE)
    out_channels = check_positive_int("out_channels", out_channels, MAX_SIZE)
    stride = check_positive_int("stride", stride, MAX_SIZE)
    if stride == 1 and in_channels == out_channels:
        return None
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=False),
        nn.BatchNorm2d(out_channels),
    )


class _Bottleneck(nn.Module):
    """What the three forms share: hyperparameters, the shortcut, and the final add + ReLU."""

    expansion = BLOCK_EXPANSION

    def __init__(
        self, in_channels: int, planes: int, cardinality: int = 1, bottleneck_width: int = 64, stride: int = 1
    ) -> None:
        super().__init__()
        self.in_channels = check_positive_int("in_channels", in_channels, MAX_SIZE)
        self.planes = check_positive_int("planes", planes, MAX_SIZE // self.expansion)
        self.cardinality = check_positive_int("cardinality", cardinality, MAX_SIZE)
        self.bottleneck_width = check_positive_int("bottleneck_width", bottleneck_width, MAX_SIZE)
        self.stride = check_positive_int("stride", stride, MAX_SIZE)
        self.width = grouped_width(self.planes, self.bottleneck_width, self.cardinality)  # channels of the 3x3 layer
        if self.width > MAX_SIZE:
            raise ValueError(
                f"planes={self.planes}, bottleneck_width={self.bottleneck_width}, cardinality={self.cardinality} give "
                f"a grouped width of {self.width:,} channels; at most {MAX_SIZE:,}"
            )
        self.path_width = self.width // self.cardinality  # d at this stage
        self.out_channels = self.planes * self.expansion
        self.relu = nn.ReLU(inplace=True)

    def _add_shortcut(self) -> None:
        # Registered after the main branch, so the state_dict order is torchvision's (downsample last).
        self.downsample = make_downsample(self.in_channels, self.out_channels, self.stride)

    def spec(self) -> dict[str, int]:
        """The constructor arguments, so another form can be built with the same shape."""
        return {
            "in_channels": self.in_channels,
            "planes": self.planes,
            "cardinality": self.cardinality,
            "bottleneck_width": self.bottleneck_width,
            "stride": self.stride,
        }

    def _finish(self, out: Tensor, x: Tensor) -> Tensor:
        identity = x if self.downsample is None else self.downsample(x)
        out += identity  # in place, as torchvision does: one fewer (N, 4*planes, H, W) buffer per block
        return self.relu(out)

    def grouped_state_dict(self) -> OrderedDict[str, Tensor]:
        """This block's weights under form (c)'s (torchvision's) names and shapes."""
        raise NotImplementedError

    def load_grouped_state_dict(self, state: dict[str, Tensor]) -> None:
        """Load weights given under form (c)'s names (the inverse of ``grouped_state_dict``)."""
        raise NotImplementedError


class ResNeXtBottleneck(_Bottleneck):
    """Form (c): 1x1 conv -> grouped 3x3 conv (``groups=cardinality``, stride here) -> 1x1 conv.

    Layer names and shapes are torchvision's ``Bottleneck``: ``conv1, bn1, conv2, bn2, conv3, bn3`` and
    ``downsample.0, downsample.1``, so torchvision checkpoints load into it.
    """

    def __init__(
        self, in_channels: int, planes: int, cardinality: int = 1, bottleneck_width: int = 64, stride: int = 1
    ) -> None:
        super().__init__(in_channels, planes, cardinality, bottleneck_width, stride)
        w = self.width
        self.conv1 = nn.Conv2d(self.in_channels, w, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(w)
        self.conv2 = nn.Conv2d(w, w, 3, stride=self.stride, padding=1, groups=self.cardinality, bias=False)
        self.bn2 = nn.BatchNorm2d(w)
        self.conv3 = nn.Conv2d(w, self.out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(self.out_channels)
        self._add_shortcut()

    def forward(self, x: Tensor) -> Tensor:
        out = self.relu(self.bn1(self.conv1(x)))  # (N, width, H, W)
        out = self.relu(self.bn2(self.conv2(out)))  # (N, width, H/s, W/s), C groups of width/C channels
        out = self.bn3(self.conv3(out))  # (N, 4*planes, H/s, W/s)
        return self._finish(out, x)

    def grouped_state_dict(self) -> OrderedDict[str, Tensor]:
        return self.state_dict()

    def load_grouped_state_dict(self, state: dict[str, Tensor]) -> None:
        self.load_state_dict(state, strict=True)


def _path_branch(block: _Bottleneck, with_conv3: bool) -> nn.Sequential:
    """One path of forms (a)/(b): 1x1 (in -> d), BN, ReLU, 3x3 (d -> d), BN, ReLU[, 1x1 (d -> out)]."""
    d = block.path_width
    layers: list[tuple[str, nn.Module]] = [
        ("conv1", nn.Conv2d(block.in_channels, d, 1, bias=False)),
        ("bn1", nn.BatchNorm2d(d)),
        ("relu1", nn.ReLU(inplace=True)),
        ("conv2", nn.Conv2d(d, d, 3, stride=block.stride, padding=1, bias=False)),
        ("bn2", nn.BatchNorm2d(d)),
        ("relu2", nn.ReLU(inplace=True)),
    ]
    if with_conv3:
        layers.append(("conv3", nn.Conv2d(d, block.out_channels, 1, bias=False)))
    return nn.Sequential(OrderedDict(layers))


_BN_KEYS = ("weight", "bias", "running_mean", "running_var")


def _split_paths(block: _Bottleneck, state: dict[str, Tensor], with_conv3: bool) -> dict[str, Tensor]:
    """Form (c) weights -> per-path weights: group i of every layer is path i."""
    c = block.cardinality
    out: dict[str, Tensor] = {}
    chunks = {
        "conv1.weight": state["conv1.weight"].chunk(c, dim=0),  # (width, in, 1, 1) -> C x (d, in, 1, 1)
        "conv2.weight": state["conv2.weight"].chunk(c, dim=0),  # (width, d, 3, 3) -> C x (d, d, 3, 3)
    }
    for bn in ("bn1", "bn2"):
        for key in _BN_KEYS:
            chunks[f"{bn}.{key}"] = state[f"{bn}.{key}"].chunk(c, dim=0)
    if with_conv3:
        chunks["conv3.weight"] = state["conv3.weight"].chunk(c, dim=1)  # (out, width, 1, 1) -> C x (out, d, 1, 1)
    for i in range(c):
        for key, parts in chunks.items():
            out[f"paths.{i}.{key}"] = parts[i]
        for bn in ("bn1", "bn2"):
            out[f"paths.{i}.{bn}.num_batches_tracked"] = state[f"{bn}.num_batches_tracked"]
    for key, value in state.items():  # what is not per-path: conv3 (form b), bn3, downsample
        if not key.startswith(("conv1.", "conv2.", "bn1.", "bn2.")) and not (with_conv3 and key.startswith("conv3.")):
            out[key] = value
    return out


def _join_paths(block: _Bottleneck, with_conv3: bool) -> OrderedDict[str, Tensor]:
    """Per-path weights -> form (c) weights: concatenate the paths' tensors in path order."""
    paths = [p.state_dict() for p in block.paths]
    state: OrderedDict[str, Tensor] = OrderedDict()

    def cat(key: str, dim: int = 0) -> Tensor:
        return torch.cat([p[key] for p in paths], dim=dim)

    state["conv1.weight"] = cat("conv1.weight")
    for key in _BN_KEYS:
        state[f"bn1.{key}"] = cat(f"bn1.{key}")
    state["bn1.num_batches_tracked"] = paths[0]["bn1.num_batches_tracked"]
    state["conv2.weight"] = cat("conv2.weight")
    for key in _BN_KEYS:
        state[f"bn2.{key}"] = cat(f"bn2.{key}")
    state["bn2.num_batches_tracked"] = paths[0]["bn2.num_batches_tracked"]
    state["conv3.weight"] = cat("conv3.weight", dim=1) if with_conv3 else block.conv3.weight.detach()
    for key, value in block.state_dict().items():
        if key.startswith(("bn3.", "downsample.")):
            state[key] = value
    return state


class AggregatedBottleneck(_Bottleneck):
    """Form (a): ``bn3(sum_i T_i(x))`` with C paths ``T_i`` = 1x1 -> 3x3 -> 1x1 (the paper's Eq. 3).

    BN after the last 1x1 is applied once to the sum, which is what form (c)'s ``bn3`` does.
    """

    def __init__(
        self, in_channels: int, planes: int, cardinality: int = 1, bottleneck_width: int = 64, stride: int = 1
    ) -> None:
        super().__init__(in_channels, planes, cardinality, bottleneck_width, stride)
        self.paths = nn.ModuleList(_path_branch(self, with_conv3=True) for _ in range(self.cardinality))
        self.bn3 = nn.BatchNorm2d(self.out_channels)
        self._add_shortcut()

    def forward(self, x: Tensor) -> Tensor:
        out = sum(path(x) for path in self.paths)  # C tensors of (N, 4*planes, H/s, W/s), summed
        return self._finish(self.bn3(out), x)

    def grouped_state_dict(self) -> OrderedDict[str, Tensor]:
        return _join_paths(self, with_conv3=True)

    def load_grouped_state_dict(self, state: dict[str, Tensor]) -> None:
        self.load_state_dict(_split_paths(self, state, with_conv3=True), strict=True)


class ConcatBottleneck(_Bottleneck):
    """Form (b): C paths of 1x1 -> 3x3, concatenated along channels, then one 1x1 conv (early concatenation)."""

    def __init__(
        self, in_channels: int, planes: int, cardinality: int = 1, bottleneck_width: int = 64, stride: int = 1
    ) -> None:
        super().__init__(in_channels, planes, cardinality, bottleneck_width, stride)
        self.paths = nn.ModuleList(_path_branch(self, with_conv3=False) for _ in range(self.cardinality))
        self.conv3 = nn.Conv2d(self.width, self.out_channels, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(self.out_channels)
        self._add_shortcut()

    def forward(self, x: Tensor) -> Tensor:
        out = torch.cat([path(x) for path in self.paths], dim=1)  # (N, width, H/s, W/s)
        return self._finish(self.bn3(self.conv3(out)), x)

    def grouped_state_dict(self) -> OrderedDict[str, Tensor]:
        return _join_paths(self, with_conv3=False)

    def load_grouped_state_dict(self, state: dict[str, Tensor]) -> None:
        self.load_state_dict(_split_paths(self, state, with_conv3=False), strict=True)


_FORM_CLASSES: dict[str, type[_Bottleneck]] = {
    "aggregated": AggregatedBottleneck,
    "concatenated": ConcatBottleneck,
    "grouped": ResNeXtBottleneck,
}


def make_block(
    form: str, in_channels: int, planes: int, cardinality: int = 1, bottleneck_width: int = 64, stride: int = 1
) -> _Bottleneck:
    """Build a bottleneck in the named form: ``"aggregated"`` (a), ``"concatenated"`` (b) or ``"grouped"`` (c)."""
    return _FORM_CLASSES[check_choice("form", form, FORMS)](in_channels, planes, cardinality, bottleneck_width, stride)


@torch.no_grad()
def convert_block(block: nn.Module, form: str) -> _Bottleneck:
    """Return a new block in ``form`` with ``block``'s weights, computing the same function (in eval mode)."""
    if not isinstance(block, _Bottleneck):
        raise TypeError(
            f"block must be one of {[cls.__name__ for cls in _FORM_CLASSES.values()]}, not {type(block).__name__}"
        )
    new = make_block(form, **block.spec())
    new.load_grouped_state_dict(block.grouped_state_dict())
    param = next(block.parameters())
    return new.to(param.device, param.dtype).train(block.training)
