"""resnext_teach: the formulas, blocks and models of the ResNeXt teaching book, in small readable modules.

The math (this namespace re-exports its public names):

* ``counting``     - parameter and multiply-accumulate formulas for (grouped) convolutions
* ``validation``   - the argument checks every public function uses (errors that name the constraint)
* ``grouped_conv`` - grouped convolution written as ``groups`` ordinary convolutions; connectivity masks
* ``design``       - the width rule and the paper's complexity-preserving widths (Eq. 4, Table 2)
* ``blocks``       - the ResNeXt bottleneck in the paper's three equivalent forms (Fig. 3)
* ``models``       - named configurations (``MODEL_CONFIGS``) and one builder (``build_model``)
* ``flops``        - FLOPs measured with PyTorch's ``FlopCounterMode``, with the grouped-backward correction

What chapters 3-5 measure and show, built on the math:

* ``layer_table``, ``stages`` - per-layer and per-stage tables (the paper's Table 1, read off real modules)
* ``intensity``    - multiply-adds and least bytes moved per layer; ``roofline`` - the machine's limits, measured
* ``timing``, ``stats`` - the book's one timing method (interleaved rounds, intervals, words) and its statistics
* ``devices``      - the device (``pick_device``), the CPU threads (``cpu_threads``) and where a timing was taken
* ``mistakes``     - common mistakes, written out so a chapter can show what they do
* ``paper``        - numbers quoted from the paper (and torchvision's documentation), with sources
* ``pretrained``   - torchvision's weights and the layout check

Subpackages: ``experiments`` (chapters 6-7: data and splits, training, runs and the learning-rate search, the probes of
the claims) and ``book`` (the book's machinery: notebook helpers, SVG, figures, explorers, exercises). The math
imports neither; ``experiments`` never imports ``book`` (``tests/test_layout.py`` checks it).

Public means what a chapter or a reader calls: each public module lists it in ``__all__``, and every name there
refuses a bad argument with a ``ValueError`` or ``TypeError`` that names the rule (``tests/test_public_api.py``
calls each with awkward arguments). A module without ``__all__`` (``validation``, the explorers' and exercises'
machinery, the grader, the campaigns) is internal.
"""

from .blocks import (
    FORM_TOLERANCE,
    FORMS,
    AggregatedBottleneck,
    ConcatBottleneck,
    ResNeXtBottleneck,
    convert_block,
    make_block,
)
from .counting import conv2d_macs, conv2d_output_size, conv2d_params, count_parameters, legal_groups
from .design import (
    complexity_preserving_width,
    complexity_table,
    grouped_width,
    stage_widths,
    template_macs,
    template_params,
)
from .flops import flops_by_module, measure_flops, measure_macs
from .grouped_conv import GroupedConv2d, connectivity_mask
from .models import MODEL_CONFIGS, ModelConfig, ResNeXt, build_model, resolve_config

__version__ = "0.1.0"

__all__ = [
    "FORMS",
    "FORM_TOLERANCE",
    "MODEL_CONFIGS",
    "AggregatedBottleneck",
    "ConcatBottleneck",
    "GroupedConv2d",
    "ModelConfig",
    "ResNeXt",
    "ResNeXtBottleneck",
    "build_model",
    "complexity_preserving_width",
    "complexity_table",
    "connectivity_mask",
    "conv2d_macs",
    "conv2d_output_size",
    "conv2d_params",
    "convert_block",
    "count_parameters",
    "flops_by_module",
    "grouped_width",
    "legal_groups",
    "make_block",
    "measure_flops",
    "measure_macs",
    "resolve_config",
    "stage_widths",
    "template_macs",
    "template_params",
]
