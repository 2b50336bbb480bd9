"""What chapter 4's data-flow explorer (``dataflow``) shows, measured: one block in the paper's three forms (Fig. 3).

For ``ResNeXtBottleneck(256, 64, C, d)`` (stage 1, identity shortcut), on real modules built by ``make_block``:

* ``form_numbers`` - shapes, parameters and multiply-adds on a 56x56 map, on the meta device (no memory, no
  arithmetic): output shapes and per-layer counts from ``layer_table`` (PyTorch's ``FlopCounterMode``), totals from
  ``count_parameters``; the tests compare every number with ``measure_macs`` and ``count_parameters`` of each
  form's own modules;
* ``form_blocks`` / ``form_outputs`` - "the same output": form (c) is built with a fixed seed (BN statistics
  randomised too), converted with ``convert_block`` to (a) and (b), and the three are run on one random 8x8 input;
* ``dataflow_numbers`` - everything a pane shows, keyed by form letter, with the largest absolute differences and
  how many output numbers fall outside ``FORM_TOLERANCE``.
"""

from __future__ import annotations

import functools
from typing import Any

import torch
from torch import Tensor, nn

from ...blocks import FORM_TOLERANCE, convert_block, make_block
from ...counting import count_parameters
from ...devices import cpu_threads
from ...layer_table import layer_table

CHANNELS = 256  # block input and output channels (stage 1 of ResNeXt-50)
PLANES = 64  # stage 1: out = 4 * planes = 256
SPATIAL = 56  # the stage-1 map of a 224x224 image: shapes and counts
CHECK_SPATIAL = 8  # the map on which the three forms' outputs are compared (small, so it runs in milliseconds)
SEED = 0  # the one set of weights (and the input) of the output check
CARDINALITIES = (1, 2, 4, 8, 16, 32)
BOTTLENECK_WIDTHS = (1, 4, 8, 16, 64)
FORM_KEYS = {"a": "aggregated", "b": "concatenated", "c": "grouped"}  # the paper's Fig. 3 letters
CONVS = ("conv1", "conv2", "conv3")
SHAPE_KEYS = ("input_shape", "check_shape", "a_sum_shape", "b_cat_shape",
              *(f"{f}_{name}_shape" for f in FORM_KEYS for name in (*CONVS, "out")))
DRAWN_CHANNELS = CHANNELS  # a diagram is drawn when no tensor is wider than the block's input (C x d <= 256)


def _layer(name: str) -> str:
    """The layer a leaf module belongs to: ``paths.3.conv1`` -> ``conv1``; every BatchNorm -> ``bn``."""
    last = name.rsplit(".", 1)[-1]
    return "bn" if last.startswith("bn") else last


def form_numbers(form: str, cardinality: int, bottleneck_width: int) -> dict[str, Any]:
    """Shapes, module counts, parameters and multiply-adds of one form at 56x56, measured on the meta device.

    Keys (without the form's letter): ``{conv}_n`` modules, ``{conv}_params``, ``{conv}_macs``, ``{conv}_shape``
    (the output of each of those modules) for conv1-3; ``bn_params``; ``convs`` (convolution
    modules), ``params`` (``count_parameters``), ``macs`` (the whole pass), ``out_shape``; and the tensor
    where the paths meet: ``sum_shape`` (form a, the input of bn3) or ``cat_shape`` (form b, the input of conv3).
    """
    with torch.device("meta"):
        block = make_block(form, CHANNELS, PLANES, cardinality, bottleneck_width)
    x = torch.empty(1, CHANNELS, SPATIAL, SPATIAL, device="meta")
    seen: dict[str, tuple[int, ...]] = {}

    def keep(key: str) -> Any:
        def hook(_module: nn.Module, args: tuple[Tensor, ...], output: Tensor | None = None) -> None:
            # returns None: a hook's return value would replace the module's input or output
            seen.setdefault(key, tuple((args[0] if output is None else output).shape))
        return hook

    hooks = [block.register_forward_hook(keep("out_shape"))]
    join = {"aggregated": ("bn3", "sum_shape"), "concatenated": ("conv3", "cat_shape")}.get(form)
    if join is not None:  # where the paths meet: the input of form (a)'s bn3, of form (b)'s conv3
        module, key = join
        hooks.append(block.get_submodule(module).register_forward_pre_hook(keep(key)))
    try:
        table = layer_table(block, x)
    finally:
        for hook in hooks:
            hook.remove()
    values: dict[str, Any] = {}
    for name in (*CONVS, "bn"):
        rows = [r for r in table if _layer(r.name) == name]
        values[f"{name}_params"] = sum(r.params for r in rows)
        if name != "bn":  # BN does no multiply-adds in this count (FlopCounterMode counts convolutions)
            values[f"{name}_macs"] = sum(r.macs for r in rows)
            shapes = {r.output_shape for r in rows}
            if len(shapes) != 1:  # the C paths of a layer have one shape
                raise RuntimeError(f"the {name} modules of form {form!r} give different shapes: {sorted(shapes)}")
            values[f"{name}_n"] = len(rows)
            values[f"{name}_shape"] = shapes.pop()
    values["convs"] = sum(isinstance(m, nn.Conv2d) for m in block.modules())
    values["params"] = count_parameters(block)
    values["macs"] = table.total_macs  # FlopCounterMode's count of the whole pass (the tests check measure_macs)
    values.update(seen)
    return values


def _randomise_batchnorm(block: nn.Module) -> None:
    """Give every BN layer non-trivial statistics and affine weights, so the conversion is tested on them too."""
    for m in block.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.weight.uniform_(0.5, 1.5)
            m.bias.normal_(0.0, 0.1)
            m.running_mean.normal_(0.0, 0.1)
            m.running_var.uniform_(0.5, 1.5)


@torch.no_grad()
def form_blocks(cardinality: int, bottleneck_width: int) -> tuple[Tensor, dict[str, nn.Module]]:
    """One random input of shape ``(1, 256, 8, 8)`` and the three forms holding ONE set of weights: form (c)
    built with ``SEED`` (BN statistics and affine weights randomised too), converted with ``convert_block`` to
    (a) and (b); all in eval mode, so BN uses its running statistics. The caller's random state is left alone."""
    with torch.random.fork_rng(devices=[]):  # make_block (inside convert_block too) draws initial weights
        torch.manual_seed(SEED)
        grouped = make_block("grouped", CHANNELS, PLANES, cardinality, bottleneck_width).eval()
        _randomise_batchnorm(grouped)
        x = torch.randn(1, CHANNELS, CHECK_SPATIAL, CHECK_SPATIAL)
        blocks = {form: convert_block(grouped, form) for form in ("aggregated", "concatenated")}
    return x, {**blocks, "grouped": grouped}


@torch.no_grad()
def form_outputs(cardinality: int, bottleneck_width: int) -> tuple[Tensor, dict[str, Tensor]]:
    """The input of ``form_blocks`` and each form's output for it, in float32 on one thread (so the rounding,
    and the differences shown, are the same on every run)."""
    x, blocks = form_blocks(cardinality, bottleneck_width)
    with cpu_threads(1):
        outputs = {form: block(x.clone()) for form, block in blocks.items()}
    return x, outputs


@functools.cache
def _numbers(cardinality: int, bottleneck_width: int) -> dict[str, Any]:
    values: dict[str, Any] = {"input_shape": (1, CHANNELS, SPATIAL, SPATIAL)}
    for letter, form in FORM_KEYS.items():
        values.update({f"{letter}_{k}": v for k, v in form_numbers(form, cardinality, bottleneck_width).items()})
    x, out = form_outputs(cardinality, bottleneck_width)
    a, b, c = out["aggregated"], out["concatenated"], out["grouped"]
    close = torch.isclose(a, c, **FORM_TOLERANCE) & torch.isclose(b, c, **FORM_TOLERANCE)
    values["check_shape"] = tuple(x.shape)
    values["a_vs_c"] = (a - c).abs().max().item()
    values["b_vs_c"] = (b - c).abs().max().item()
    values["outputs"] = c.numel()
    values["outside"] = int((~close).sum())
    return values


def dataflow_numbers(cardinality: int, bottleneck_width: int) -> dict[str, Any]:
    """Everything the pane shows for ``ResNeXtBottleneck(256, 64, cardinality, bottleneck_width)``, keyed by form
    letter (``a_``, ``b_``, ``c_``; see ``form_numbers``), plus the output check: ``check_shape`` (the input),
    ``a_vs_c`` and ``b_vs_c`` (largest absolute differences), ``outside`` (output numbers of (a) or (b) not within
    ``FORM_TOLERANCE`` of (c)) of ``outputs``. Cached per position."""
    return dict(_numbers(cardinality, bottleneck_width))


def channel_scale() -> int:
    """The channel count drawn at full length, for every position: one scale, so a tensor with twice the channels
    is drawn twice as wide. It is the largest tensor drawn at any position: every position draws the block's
    input, and none with a wider tensor is drawn (the tests check both over all positions). A constant, so that
    one pane is drawn without computing the others (Colab builds panes one at a time)."""
    return DRAWN_CHANNELS
