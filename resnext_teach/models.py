"""The ResNet/ResNeXt family as data (``MODEL_CONFIGS``) plus one builder (``build_model``).

A configuration names the depth (blocks per stage), the cardinality C and the bottleneck width d, and the stem.
ResNet-50 is the 1x64d member of the family. Module names follow torchvision (``conv1, bn1, layer1.0.conv2,
layer1.0.downsample.0, fc``), so torchvision's checkpoints load with ``strict=True``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from types import MappingProxyType

import torch
from torch import Tensor, nn

from .blocks import ResNeXtBottleneck
from .design import BLOCK_EXPANSION
from .validation import MAX_COUNT, MAX_SIZE, check_bool, check_choice, check_instance, check_positive_int, describe

__all__ = ["MODEL_CONFIGS", "ModelConfig", "ResNeXt", "build_model", "resolve_config"]

STEMS = ("imagenet", "cifar")


@dataclass(frozen=True)
class ModelConfig:
    """One member of the family.

    ``layers``: bottleneck blocks per stage (ResNet-50: 3, 4, 6, 3). Stage i has ``planes = base_planes * 2**i``
    and outputs ``4 * planes`` channels; stages after the first halve the spatial size (stride 2 in the 3x3).
    ``stem``: ``"imagenet"`` = 7x7/2 conv + 3x3/2 max-pool; ``"cifar"`` = 3x3/1 conv, no pooling (paper Sec. 5.3).
    """

    layers: tuple[int, ...]
    cardinality: int
    bottleneck_width: int
    stem: str = "imagenet"
    stem_channels: int = 64
    base_planes: int = 64
    num_classes: int = 1000
    in_channels: int = 3
    zero_init_residual: bool = False

    def __post_init__(self) -> None:
        # Checked, then stored as plain ints (numpy integers are accepted), so equal configurations compare equal.
        if not isinstance(self.layers, tuple):
            raise TypeError(f"layers must be a non-empty tuple of block counts per stage, not "
                            f"{type(self.layers).__name__}")
        if not 1 <= len(self.layers) <= MAX_COUNT:
            raise ValueError(f"layers={describe(self.layers)} must hold 1 to {MAX_COUNT:,} block counts, one per stage")
        layers = tuple(check_positive_int(f"layers[{i}]", n, MAX_COUNT) for i, n in enumerate(self.layers))
        object.__setattr__(self, "layers", layers)
        for name in ("cardinality", "bottleneck_width", "stem_channels", "base_planes", "num_classes", "in_channels"):
            object.__setattr__(self, name, check_positive_int(name, getattr(self, name), MAX_SIZE))
        check_choice("stem", self.stem, STEMS)
        check_bool("zero_init_residual", self.zero_init_residual)

    @property
    def depth(self) -> int:
        """Weighted layers: the stem conv, 3 per bottleneck, and the classifier (50 for ResNet-50)."""
        return 1 + 3 * sum(self.layers) + 1

    @property
    def label(self) -> str:
        """The paper's "C x d" template name, e.g. ``"32x4d"``."""
        return f"{self.cardinality}x{self.bottleneck_width}d"


# Options a named model may change; the others define the variant and must not silently differ from it.
FREE_OPTIONS = ("num_classes", "in_channels", "zero_init_residual")

_IMAGENET_50 = (3, 4, 6, 3)
_IMAGENET_101 = (3, 4, 23, 3)

MODEL_CONFIGS: MappingProxyType[str, ModelConfig] = MappingProxyType(
    {
        # ImageNet models (paper Table 1 and 2; torchvision's resnet50 / resnext50_32x4d / resnext101_*)
        "resnet50": ModelConfig(_IMAGENET_50, cardinality=1, bottleneck_width=64),
        "resnext50_2x40d": ModelConfig(_IMAGENET_50, cardinality=2, bottleneck_width=40),
        "resnext50_4x24d": ModelConfig(_IMAGENET_50, cardinality=4, bottleneck_width=24),
        "resnext50_8x14d": ModelConfig(_IMAGENET_50, cardinality=8, bottleneck_width=14),
        "resnext50_32x4d": ModelConfig(_IMAGENET_50, cardinality=32, bottleneck_width=4),
        "resnet101": ModelConfig(_IMAGENET_101, cardinality=1, bottleneck_width=64),
        "resnext101_32x4d": ModelConfig(_IMAGENET_101, cardinality=32, bottleneck_width=4),
        "resnext101_32x8d": ModelConfig(_IMAGENET_101, cardinality=32, bottleneck_width=8),
        "resnext101_64x4d": ModelConfig(_IMAGENET_101, cardinality=64, bottleneck_width=4),
        # CIFAR models (paper Sec. 5.3, Table 7): 3 stages of 3 blocks, 3x3 stem, output widths 256, 512, 1024
        "resnext29_8x64d": ModelConfig((3, 3, 3), cardinality=8, bottleneck_width=64, stem="cifar", num_classes=10),
        "resnext29_16x64d": ModelConfig((3, 3, 3), cardinality=16, bottleneck_width=64, stem="cifar", num_classes=10),
        # Small CIFAR-style models that train on a CPU in seconds: one block per stage, a quarter of the width
        # (output widths 64, 128, 256). They are Table 2's 1x64d / 4x24d pair: the ResNeXt one has 4 paths of
        # d = 6, 12, 24 channels (grouped widths 24, 48, 96) where the ResNet one has one path of 16, 32, 64.
        "resnext_cifar_small": ModelConfig(
            (1, 1, 1), cardinality=4, bottleneck_width=24, stem="cifar", stem_channels=16, base_planes=16, num_classes=10
        ),
        "resnet_cifar_small": ModelConfig(
            (1, 1, 1), cardinality=1, bottleneck_width=64, stem="cifar", stem_channels=16, base_planes=16, num_classes=10
        ),
    }
)


class ResNeXt(nn.Module):
    """A ResNet/ResNeXt built from a ``ModelConfig``: stem, stages of ``ResNeXtBottleneck``, pooling, classifier."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        check_instance("config", config, ModelConfig, "ModelConfig")
        self.config = config
        c = config
        if c.stem == "imagenet":
            self.conv1 = nn.Conv2d(c.in_channels, c.stem_channels, 7, stride=2, padding=3, bias=False)
            self.maxpool: nn.Module = nn.MaxPool2d(3, stride=2, padding=1)
        else:
            self.conv1 = nn.Conv2d(c.in_channels, c.stem_channels, 3, stride=1, padding=1, bias=False)
            self.maxpool = nn.Identity()
        self.bn1 = nn.BatchNorm2d(c.stem_channels)
        self.relu = nn.ReLU(inplace=True)
        channels = c.stem_channels
        for i, blocks in enumerate(c.layers):
            planes = c.base_planes * 2**i
            stage = []
            for j in range(blocks):
                stride = 2 if (i > 0 and j == 0) else 1  # the first block of stages 2, 3, ... halves H and W
                stage.append(ResNeXtBottleneck(channels, planes, c.cardinality, c.bottleneck_width, stride))
                channels = planes * BLOCK_EXPANSION
            self.add_module(f"layer{i + 1}", nn.Sequential(*stage))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(channels, c.num_classes)
        self._init_weights()

    def _init_weights(self) -> None:
        # torchvision's initialisation: He (fan_out) for convolutions, BN as identity.
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if self.config.zero_init_residual:  # each block starts as the identity (Goyal et al. 2017)
            for m in self.modules():
                if isinstance(m, ResNeXtBottleneck):
                    nn.init.zeros_(m.bn3.weight)

    @property
    def stages(self) -> list[nn.Sequential]:
        """The residual stages ``layer1, layer2, ...`` in order."""
        return [getattr(self, f"layer{i + 1}") for i in range(len(self.config.layers))]

    def forward_features(self, x: Tensor) -> Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (N, 64, H/4, W/4) ImageNet; (N, 16..64, H, W) CIFAR
        for stage in self.stages:
            x = stage(x)
        return torch.flatten(self.avgpool(x), 1)  # (N, 4 * planes of the last stage)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc(self.forward_features(x))  # (N, num_classes)


def resolve_config(name: str, **overrides: object) -> ModelConfig:
    """The named configuration with ``overrides`` applied; overriding what defines the variant is an error."""
    config = MODEL_CONFIGS[check_choice("name", name, MODEL_CONFIGS, "model")]
    known = {f.name for f in fields(ModelConfig)}
    for key in overrides:
        if key not in known:
            raise ValueError(f"{key!r} is not a model option; options are {sorted(known)}")
    changed = replace(config, **overrides)  # checks every value (ModelConfig.__post_init__)
    for key, value in overrides.items():
        current = getattr(config, key)
        if key not in FREE_OPTIONS and getattr(changed, key) != current:
            raise ValueError(
                f"{key}={describe(value)} conflicts with {name!r}, which has {key}={current!r}; "
                f"to build another variant use ResNeXt(dataclasses.replace(MODEL_CONFIGS[{name!r}], {key}=...))"
            )
    return changed


def build_model(name: str, **overrides: object) -> ResNeXt:
    """Build a named model, e.g. ``build_model("resnext50_32x4d")`` or ``build_model("resnet50", num_classes=10)``.

    Only ``num_classes``, ``in_channels`` and ``zero_init_residual`` may differ from the named configuration;
    any other override must equal it (as torchvision's builders require) or ``ValueError`` is raised.
    """
    return ResNeXt(resolve_config(name, **overrides))
