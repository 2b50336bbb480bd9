"""FLOPs measured with PyTorch's own counter, and the conventions behind the numbers.

Conventions (state them whenever a FLOP count is printed):

* The ResNeXt paper's "FLOPs" (4.1 billion for ResNet-50, 4.2 for ResNeXt-50) are **multiply-adds** (MACs) of
  convolutions and the fully connected layer (Xie et al. 2017, Table 1).
* ``torch.utils.flop_counter.FlopCounterMode`` counts a multiply-add as **2** FLOPs, and counts only
  convolutions and matrix products (no BN, ReLU, pooling or additions). So ``MACs = counted FLOPs / 2``.
* Its forward count of a grouped convolution is right. Its backward formula for ``convolution_backward`` ignores
  ``groups`` in the weight gradient and reports ``(1 + G)`` times the forward count instead of ``2`` times
  (checked with torch 2.13 and 2.14). ``measure_flops(..., backward=True)`` replaces that formula with one that
  counts each multiply-add of the forward once for the input gradient and once for the weight gradient.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from math import prod

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode, conv_backward_flop

from .validation import check_bool, check_module, check_tensor, forward

__all__ = ["measure_flops", "measure_macs", "flops_by_module"]

aten = torch.ops.aten


def _grouped_conv_backward_flop(
    grad_out_shape: list[int],
    x_shape: list[int],
    w_shape: list[int],
    _bias: object,
    _stride: object,
    _padding: object,
    _dilation: object,
    transposed: bool,
    _output_padding: object,
    _groups: int,
    output_mask: list[bool],
    out_shape: object,
    **kwargs: object,
) -> int:
    """FLOPs of ``convolution_backward`` that respect ``groups``.

    In the forward pass every weight meets every output position once: ``N * H_out * W_out * numel(weight)``
    multiply-adds (the weight of a grouped conv already has only ``C_in / G`` input channels). The input
    gradient and the weight gradient each redo exactly those multiply-adds, so each costs what the forward does.
    """
    if transposed:  # not used in this book; keep PyTorch's own formula
        return conv_backward_flop(
            grad_out_shape, x_shape, w_shape, _bias, _stride, _padding, _dilation, transposed,
            _output_padding, _groups, output_mask, out_shape, **kwargs,
        )
    forward = 2 * grad_out_shape[0] * prod(grad_out_shape[2:]) * prod(w_shape)
    return forward * (int(bool(output_mask[0])) + int(bool(output_mask[1])))


_CORRECTED: dict[object, Callable[..., int]] = {aten.convolution_backward: _grouped_conv_backward_flop}
"""``custom_mapping`` for ``FlopCounterMode`` that fixes the grouped-convolution backward count."""


@contextmanager
def inspection(module: nn.Module, hooks: Sequence[torch.utils.hooks.RemovableHandle] = ()) -> Iterator[nn.Module]:
    """Run ``module`` for inspection: in eval mode (BN statistics untouched), then put every submodule back in
    the mode it was in (a model may mix modes, e.g. frozen BN layers in eval inside a training model) and remove
    the given hook handles, even if the forward pass fails."""
    check_module("module", module)
    modes = [(m, m.training) for m in module.modules()]
    try:
        yield module.eval()
    finally:
        for m, training in modes:
            m.training = training
        for handle in hooks:
            handle.remove()


@contextmanager
def _untouched(module: nn.Module, inputs: Tensor) -> Iterator[nn.Module]:
    """Measure ``module`` and leave it exactly as it was: ``inspection`` (eval mode, modes restored), every
    buffer restored to its values (BN's running statistics, ``num_batches_tracked``), and every ``.grad`` of the
    module's parameters and of ``inputs`` put back (``None`` stays ``None``; an existing gradient is the same,
    unchanged tensor), however much a backward pass inside accumulated."""
    params = list(module.parameters())
    leaves = params + ([inputs] if inputs.is_leaf and inputs.requires_grad else [])
    grads = [t.grad for t in leaves]
    buffers = [(b, b.detach().clone()) for b in module.buffers()]
    for t in leaves:
        t.grad = None  # the backward pass writes fresh tensors; the old ones are not touched
    try:
        with inspection(module):
            yield module
    finally:
        for t, grad in zip(leaves, grads):
            t.grad = grad
        with torch.no_grad():
            for buffer, saved in buffers:
                buffer.copy_(saved)


def _check_measure_args(module: nn.Module, inputs: Tensor) -> None:
    check_module("module", module)
    check_tensor("inputs", inputs, floating=True)


def measure_flops(
    module: nn.Module,
    inputs: Tensor,
    backward: bool = False,
    corrected: bool = True,
) -> int:
    """FLOPs counted by ``FlopCounterMode`` for one forward pass (and, with ``backward=True``, its backward).

    A multiply-add counts as 2; divide by 2 for the paper's convention (or use ``measure_macs``). With
    ``corrected=False`` the backward count is PyTorch's raw one, which over-counts grouped convolutions.
    The module runs in eval mode and is left exactly as it was: parameters, buffers, ``.grad`` and modes.
    """
    _check_measure_args(module, inputs)
    check_bool("backward", backward)
    check_bool("corrected", corrected)
    mapping = _CORRECTED if corrected else None
    counter = FlopCounterMode(display=False, custom_mapping=mapping)
    with _untouched(module, inputs):
        if backward:
            with counter:
                forward(module, inputs).sum().backward()
        else:
            with counter, torch.no_grad():
                forward(module, inputs)
    return counter.get_total_flops()


def measure_macs(module: nn.Module, inputs: Tensor) -> int:
    """Multiply-adds of one forward pass as the paper counts them (``FlopCounterMode`` total / 2)."""
    return measure_flops(module, inputs) // 2


def flops_by_module(module: nn.Module, inputs: Tensor) -> dict[str, int]:
    """Forward FLOPs per submodule name as ``FlopCounterMode`` attributes them (``"Global"`` is the total).

    Like ``measure_flops``, it runs the module in eval mode and leaves it exactly as it was."""
    _check_measure_args(module, inputs)
    counter = FlopCounterMode(display=False, depth=None)
    with _untouched(module, inputs), counter, torch.no_grad():
        forward(module, inputs)
    return {name: sum(ops.values()) for name, ops in counter.get_flop_counts().items()}
