"""The paper's ImageNet results as Chapter 5 lists them (Xie et al. 2017, Tables 1, 3 and 4), and the training time it
reports (Sec. 5.1), which Chapter 6 quotes.

Table 1 and Table 3 numbers come from ``resnext_teach.paper`` (one place for each quoted number); Table 4's rows
are quoted here.

These are the only typed numbers of Chapter 5; everything the book computes itself comes from real modules. Top-1
errors are single 224×224 crops on the ImageNet-1K validation set, in percent. Those of ResNet-50/101,
ResNeXt-50 (32×4d) and ResNeXt-101 (32×4d, 64×4d) also appear in the authors' repository
(github.com/facebookresearch/ResNeXt, "Single-crop (224x224) validation error rate").
"""

from __future__ import annotations

from dataclasses import dataclass

from .models import MODEL_CONFIGS, ModelConfig
from .paper import TABLE1_GFLOPS, TABLE1_PARAMS_MILLIONS, table3_top1_error


@dataclass(frozen=True)
class PaperComplexity:
    """A column of the paper's Table 1: parameters and FLOPs (= multiply-adds) as the paper prints them."""

    params_millions: float  # "# params. 25.0 x 10^6"
    gflops: float  # "FLOPs 4.2 x 10^9", one multiply-add = one FLOP


TABLE1: dict[str, PaperComplexity] = {
    name: PaperComplexity(params_millions=TABLE1_PARAMS_MILLIONS[name], gflops=TABLE1_GFLOPS[name])
    for name in ("resnet50", "resnext50_32x4d")
}
"""Xie et al. 2017, Table 1 (bottom rows), for ResNet-50 and ResNeXt-50 (32×4d)."""


@dataclass(frozen=True)
class PaperResult:
    """One ImageNet-1K result of the paper."""

    model: str  # the paper's row name
    template: str  # C×d
    top1_error: float  # percent, 224×224 single crop
    table: str  # where it is printed
    config: ModelConfig | None  # the model, where our builder makes it (None: not a member of our family)


def _wider(name: str, cardinality: int, bottleneck_width: int) -> ModelConfig:
    base = MODEL_CONFIGS[name]
    return ModelConfig(base.layers, cardinality=cardinality, bottleneck_width=bottleneck_width)


IMAGENET_RESULTS: tuple[PaperResult, ...] = (
    # Table 3: about the same complexity as ResNet-50 (4.1 GFLOPs) and as ResNet-101 (7.8 GFLOPs).
    PaperResult("ResNet-50", "1×64d", table3_top1_error(50, 1, 64), "Table 3", MODEL_CONFIGS["resnet50"]),
    PaperResult("ResNeXt-50", "32×4d", table3_top1_error(50, 32, 4), "Table 3", MODEL_CONFIGS["resnext50_32x4d"]),
    PaperResult("ResNet-101", "1×64d", table3_top1_error(101, 1, 64), "Table 3", MODEL_CONFIGS["resnet101"]),
    PaperResult("ResNeXt-101", "32×4d", table3_top1_error(101, 32, 4), "Table 3", MODEL_CONFIGS["resnext101_32x4d"]),
    # Table 4: twice the complexity of ResNet-101, reached by going deeper, wider, or to a higher cardinality.
    PaperResult("ResNet-200", "1×64d", 21.7, "Table 4", None),  # a 200-layer ResNet from other work: not built here
    PaperResult("ResNet-101, wider", "1×100d", 21.3, "Table 4", _wider("resnet101", 1, 100)),
    PaperResult("ResNeXt-101", "2×64d", 20.7, "Table 4", _wider("resnet101", 2, 64)),
    PaperResult("ResNeXt-101", "64×4d", 20.4, "Table 4", MODEL_CONFIGS["resnext101_64x4d"]),
)
"""ImageNet-1K top-1 errors (%) quoted from Xie et al. 2017, Tables 3 and 4."""


def top1_error(model: str, template: str) -> float:
    """The paper's top-1 error for a row, e.g. ``top1_error("ResNeXt-50", "32×4d")`` (22.2)."""
    for result in IMAGENET_RESULTS:
        if (result.model, result.template) == (model, template):
            return result.top1_error
    known = [(r.model, r.template) for r in IMAGENET_RESULTS]
    raise ValueError(f"({model!r}, {template!r}) is not a quoted result; quoted are {known}")


@dataclass(frozen=True)
class PaperTiming:
    """A training speed the paper reports: wall-clock seconds per mini-batch on its 8 GPUs."""

    model: str  # the paper's name
    template: str  # C×d
    seconds_per_minibatch: float  # as printed
    where: str  # where it is printed


TRAINING_TIMES: tuple[PaperTiming, ...] = (
    # Sec. 5.1 (implementation details): "ResNeXt-101 (32×4d) takes 0.95s per mini-batch, vs. 0.70s of ResNet-101
    # baseline that has similar FLOPs", both trained on 8 GPUs.
    PaperTiming("ResNeXt-101", "32×4d", 0.95, "Sec. 5.1"),
    PaperTiming("ResNet-101", "1×64d", 0.70, "Sec. 5.1"),
)
"""The paper's own timing of ResNeXt-101 (32×4d) against ResNet-101 (Xie et al. 2017, Sec. 5.1)."""


TORCHVISION_TOP1: dict[tuple[str, str], float] = {
    ("resnet50", "IMAGENET1K_V1"): 76.130,
    ("resnet50", "IMAGENET1K_V2"): 80.858,
    ("resnext50_32x4d", "IMAGENET1K_V1"): 77.618,
    ("resnext50_32x4d", "IMAGENET1K_V2"): 81.198,
}
"""torchvision's documented ImageNet-1K top-1 accuracy (%) of its published weights (torchvision's model
documentation, "Table of all available classification weights"; the same numbers are in each weights entry's
``meta["_metrics"]``). V1: the original training recipe, which follows the ResNet/ResNeXt papers; V2: torchvision's
newer recipe (longer training, stronger augmentation and regularization; Vryniotis 2021, "How to Train
State-Of-The-Art Models Using TorchVision's Latest Primitives"). The tests check them against torchvision."""
