"""Numbers quoted from the ResNeXt paper (and torchvision's documentation), each with the table or section it
comes from: the only typed numbers of the chapters.

Xie, Girshick, Dollar, Tu and He, "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017
(arXiv:1611.05431). These are *reported* results and rounded figures as printed in the paper; the book glues them
into its text with a citation. Everything that can be computed (widths, parameter counts, multiply-adds) comes
from the rest of the package instead, and the tests check that the two agree where they overlap.

* ``TABLE1`` - parameters and FLOPs of ResNet-50 and ResNeXt-50 (32x4d); the paper's "FLOPs" are multiply-adds;
* ``TEMPLATE_*``, ``TABLE2`` - the conv2-stage block template and the widths that preserve its complexity;
* ``TABLE3_TOP1_ERROR`` - ImageNet-1K top-1 error per depth and template (C, d);
* ``IMAGENET_RESULTS`` - the rows chapter 5 lists (Tables 3 and 4), and ``top1_error(model, template)``, the one
  lookup of a top-1 error;
* ``TRAINING_TIMES`` - the paper's seconds per mini-batch (Sec. 5.1); ``TORCHVISION_TOP1`` - torchvision's
  documented accuracies of its published weights.

Top-1 errors are single-crop (224x224) errors on the ImageNet-1K validation set, in percent (Sec. 4, Table 3), one
number per setting: the paper reports no spread over repeated runs. Those of ResNet-50/101, ResNeXt-50 (32×4d) and
ResNeXt-101 (32×4d, 64×4d) also appear in the authors' repository (github.com/facebookresearch/ResNeXt,
"Single-crop (224x224) validation error rate").
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from .models import MODEL_CONFIGS, ModelConfig
from .validation import check_instance, describe

__all__ = ["TABLE1", "TEMPLATE_PARAMS_APPROX", "TEMPLATE_GFLOPS_APPROX", "TEMPLATE_SPATIAL", "TABLE2",
    "TABLE3_TOP1_ERROR", "SMALLEST_ADOPTED_BOTTLENECK_WIDTH", "IMAGENET_RESULTS", "TRAINING_TIMES",
    "TORCHVISION_TOP1", "top1_error"]


@dataclass(frozen=True)
class PaperComplexity:
    """A column of the paper's Table 1: parameters and FLOPs (= multiply-adds) as the paper prints them."""

    params_millions: float  # "# params. 25.0 x 10^6"
    gflops: float  # "FLOPs 4.2 x 10^9", one multiply-add = one FLOP


# Table 1 (bottom rows): ResNet-50 vs ResNeXt-50 (32x4d), printed as 25.5 x 10^6 / 25.0 x 10^6 parameters
# and 4.1 x 10^9 / 4.2 x 10^9 FLOPs (multiply-adds).
TABLE1 = MappingProxyType({
    "resnet50": PaperComplexity(params_millions=25.5, gflops=4.1),
    "resnext50_32x4d": PaperComplexity(params_millions=25.0, gflops=4.2),
})
"""Xie et al. 2017, Table 1, for ResNet-50 and ResNeXt-50 (32×4d)."""

# Sec. 3.4 and Table 2 caption: the conv2-stage block template has "~70k" parameters and "~0.22 billion" FLOPs
# (# params x 56 x 56).
TEMPLATE_PARAMS_APPROX = 70_000
TEMPLATE_GFLOPS_APPROX = 0.22
TEMPLATE_SPATIAL = 56

# Table 2: (cardinality C, width of bottleneck d, width of group conv.) at roughly preserved complexity.
TABLE2 = ((1, 64, 64), (2, 40, 80), (4, 24, 96), (8, 14, 112), (32, 4, 128))

# Table 3: ImageNet-1K top-1 error (%), single 224x224 crop, at preserved complexity. Top: 50 layers
# (ResNet-50 = 1x64d, ResNeXt-50 otherwise); bottom: 101 layers (ResNet-101, ResNeXt-101). Keys: (C, d).
TABLE3_TOP1_ERROR = MappingProxyType(
    {
        50: MappingProxyType({(1, 64): 23.9, (2, 40): 23.0, (4, 24): 22.6, (8, 14): 22.3, (32, 4): 22.2}),
        101: MappingProxyType({(1, 64): 22.0, (2, 40): 21.7, (4, 24): 21.4, (8, 14): 21.3, (32, 4): 21.2}),
    }
)

# Sec. 5.1 ("Cardinality vs. Width"): with complexity preserved, accuracy starts to saturate when the bottleneck
# width is small, so the paper adopts a bottleneck width no smaller than 4d for its later models.
SMALLEST_ADOPTED_BOTTLENECK_WIDTH = 4


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
    PaperResult("ResNet-50", "1×64d", TABLE3_TOP1_ERROR[50][1, 64], "Table 3", MODEL_CONFIGS["resnet50"]),
    PaperResult("ResNeXt-50", "32×4d", TABLE3_TOP1_ERROR[50][32, 4], "Table 3", MODEL_CONFIGS["resnext50_32x4d"]),
    PaperResult("ResNet-101", "1×64d", TABLE3_TOP1_ERROR[101][1, 64], "Table 3", MODEL_CONFIGS["resnet101"]),
    PaperResult("ResNeXt-101", "32×4d", TABLE3_TOP1_ERROR[101][32, 4], "Table 3", MODEL_CONFIGS["resnext101_32x4d"]),
    # Table 4: twice the complexity of ResNet-101, reached by going deeper, wider, or to a higher cardinality.
    PaperResult("ResNet-200", "1×64d", 21.7, "Table 4", None),  # a 200-layer ResNet from other work: not built here
    PaperResult("ResNet-101, wider", "1×100d", 21.3, "Table 4", _wider("resnet101", 1, 100)),
    PaperResult("ResNeXt-101", "2×64d", 20.7, "Table 4", _wider("resnet101", 2, 64)),
    PaperResult("ResNeXt-101", "64×4d", 20.4, "Table 4", MODEL_CONFIGS["resnext101_64x4d"]),
)
"""ImageNet-1K top-1 errors (%) quoted from Xie et al. 2017, Tables 3 and 4."""


def top1_error(model: str, template: str) -> float:
    """The paper's top-1 error (%) for a row of ``IMAGENET_RESULTS``, by the paper's row name and template.

    >>> top1_error("ResNeXt-50", "32×4d")
    22.2
    """
    check_instance("model", model, str, "row name such as 'ResNeXt-50'")
    check_instance("template", template, str, "template such as '32×4d'")
    for result in IMAGENET_RESULTS:
        if (result.model, result.template) == (model, template):
            return result.top1_error
    known = [(r.model, r.template) for r in IMAGENET_RESULTS]
    raise ValueError(f"model={describe(model)}, template={describe(template)} is not a quoted result; quoted are "
                     f"{known}")


@dataclass(frozen=True)
class PaperTiming:
    """A training speed the paper reports: wall-clock seconds per mini-batch on its 8 GPUs."""

    model: str  # the paper's name
    template: str  # C×d
    seconds_per_minibatch: float  # as printed
    where: str  # where it is printed


TRAINING_TIMES: tuple[PaperTiming, ...] = (
    # Sec. 5.1, its "Performance" paragraph: training ResNeXt-101 (32×4d) takes 0.95 s per mini-batch on 8 GPUs,
    # vs. 0.70 s for the ResNet-101 baseline of similar FLOPs. The paper calls its grouped-convolution
    # implementation "brute-force" and expects that "the inference time on CPUs will present less overhead".
    PaperTiming("ResNeXt-101", "32×4d", 0.95, "Sec. 5.1, Performance"),
    PaperTiming("ResNet-101", "1×64d", 0.70, "Sec. 5.1, Performance"),
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
