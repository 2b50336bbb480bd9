"""Numbers quoted from the ResNeXt paper, each with the table or section it comes from.

Xie, Girshick, Dollar, Tu and He, "Aggregated Residual Transformations for Deep Neural Networks", CVPR 2017
(arXiv:1611.05431). These are *reported* results and rounded figures as printed in the paper; the book glues them
into its text with a citation. Everything that can be computed (widths, parameter counts, multiply-adds) comes
from the rest of the package instead, and the tests check that the two agree where they overlap.

The paper's "FLOPs" are multiply-adds (Table 1). Its ImageNet-1K errors are single-crop (224x224) top-1 errors on
the validation set (Sec. 4, Table 3), one number per setting: the paper reports no spread over repeated runs.
"""

from __future__ import annotations

from types import MappingProxyType

from .validation import check_positive_int

# Table 1: ResNet-50 vs ResNeXt-50 (32x4d), printed as 25.5 x 10^6 / 25.0 x 10^6 parameters
# and 4.1 x 10^9 / 4.2 x 10^9 FLOPs (multiply-adds).
TABLE1_PARAMS_MILLIONS = MappingProxyType({"resnet50": 25.5, "resnext50_32x4d": 25.0})
TABLE1_GFLOPS = MappingProxyType({"resnet50": 4.1, "resnext50_32x4d": 4.2})

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


def table3_top1_error(depth: int, cardinality: int, bottleneck_width: int) -> float:
    """Top-1 error (%) that Table 3 reports for a ``depth``-layer model with template ``C x d``.

    >>> table3_top1_error(50, 32, 4)
    22.2
    """
    depth = check_positive_int("depth", depth)
    key = (check_positive_int("cardinality", cardinality), check_positive_int("bottleneck_width", bottleneck_width))
    if depth not in TABLE3_TOP1_ERROR:
        raise ValueError(f"depth={depth} is not in Table 3, which has depths {tuple(TABLE3_TOP1_ERROR)}")
    rows = TABLE3_TOP1_ERROR[depth]
    if key not in rows:
        names = ", ".join(f"{c}x{d}d" for c, d in rows)
        raise ValueError(f"cardinality={key[0]}, bottleneck_width={key[1]} is not in Table 3 (it has {names})")
    return rows[key]
