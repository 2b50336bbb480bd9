"""Claim 3 of Chapter 6, "gradients stay within a group", put to the test: does information (and gradient) stay
within a group of a grouped convolution, and inside a whole block around it?

* ``channel_jacobian`` - which input channels can change which output channels (the exact zeros of the Jacobian);
* ``perturb_group`` / ``perturbation_probe`` - add noise to one group's input channels and measure what changes:
  the convolution's outputs, the model's outputs and each group's weight gradient (``group_changes``).

``correlations`` asks whether groups learn different features; ``speed`` whether a grouped convolution runs as
much faster as its FLOPs fall.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..flops import inspection
from ..validation import (check_divides, check_instance, check_int, check_module, check_positive_int,
                          check_real, check_seed, check_tensor, forward)

__all__ = ["channel_jacobian", "perturb_group", "perturbation_probe"]


def channel_jacobian(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``(C_out, C_in)`` matrix whose entry ``[o, i]`` is the largest ``|d y[o, p] / d x[i, q]|`` over all
    output positions p and input positions q, for one input ``x`` of shape ``(1, C_in, H, W)``.

    An entry is exactly 0 when no element of input channel i can change output channel o (at this x).
    """
    check_instance("fn", fn, Callable, "function")
    check_tensor("x", x, floating=True)
    if x.dim() != 4 or x.shape[0] != 1:
        raise ValueError(f"x must be one image of shape (1, C_in, H, W), got {tuple(x.shape)}")
    jac = torch.autograd.functional.jacobian(lambda t: forward(fn, t, "x"), x)  # (1, C_out, H', W', 1, C_in, H, W)
    if jac.dim() != 8:
        raise ValueError(f"fn must map x to one image (1, C_out, H', W'), got a jacobian of shape {tuple(jac.shape)}")
    jac = jac.abs().squeeze(4).squeeze(0)  # (C_out, H', W', C_in, H, W)
    return jac.amax(dim=(1, 2, 4, 5))  # (C_out, C_in)


def perturb_group(x: Tensor, group: int, groups: int, eps: float = 1.0, seed: int = 0) -> Tensor:
    """A copy of ``x`` ``(N, C, H, W)`` with Gaussian noise of size ``eps`` added to the channels of one group
    (channels ``group * C/groups`` to ``(group + 1) * C/groups - 1``); the other channels are left exactly as
    they were."""
    check_tensor("x", x, dims=4, floating=True)
    groups = check_positive_int("groups", groups)
    check_divides("groups", groups, "channels", x.shape[1])
    group = check_int("group", group)
    if not 0 <= group < groups:
        raise ValueError(f"group={group} must be in 0..{groups - 1}")
    eps = check_real("eps", eps, -math.inf)
    seed = check_seed("seed", seed)
    size = x.shape[1] // groups
    noise = torch.randn(x[:, :size].shape, generator=torch.Generator().manual_seed(seed)).to(x)
    out = x.clone()
    out[:, group * size : (group + 1) * size] += eps * noise
    return out


def group_changes(before: Tensor, after: Tensor, groups: int, dim: int = 1) -> list[float]:
    """Largest absolute change of each of ``groups`` equal slices along ``dim`` (channels of ``(N, C, ...)``
    activations by default; ``dim=0`` for the filters of a weight ``(C_out, C_in / G, K, K)``)."""
    groups = check_positive_int("groups", groups)
    check_divides("groups", groups, f"size {before.shape[dim]} of dim {dim}", before.shape[dim])
    diff = (after - before).abs()
    return [chunk.max().item() for chunk in diff.chunk(groups, dim=dim)]


@dataclass(frozen=True)
class PerturbationResult:
    """Largest change, per group, when one group of a grouped convolution's input channels is perturbed.

    ``conv_output``: of the convolution's output channels (groups as the convolution defines them);
    ``model_output``: of the whole model's output channels, cut into as many equal slices;
    ``weight_grad``: of the gradient of a fixed loss with respect to each group's filters.
    """

    source_group: int
    conv_output: list[float]
    model_output: list[float]
    weight_grad: list[float]


def perturbation_probe(
    model: nn.Module, conv: nn.Conv2d, x: Tensor, source_group: int, eps: float = 1.0, seed: int = 0
) -> PerturbationResult:
    """Add noise to the input channels of group ``source_group`` of ``conv`` (a grouped ``nn.Conv2d`` that
    ``model`` uses; it may be ``model`` itself) and measure what changes, with the model in eval mode.

    The loss is ``(model(x) * R).sum()`` for a fixed random ``R``, so the gradient reaching the model output
    is the same in both runs; any change of a group's weight gradient comes from inside the model.
    """
    check_module("model", model)
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"conv must be an nn.Conv2d, not {type(conv).__name__}")
    if not any(m is conv for m in model.modules()):
        raise ValueError("conv must be a layer of model (or model itself)")
    check_tensor("x", x, floating=True)
    check_real("eps", eps, -math.inf)
    seed = check_seed("seed", seed)
    groups = conv.groups
    source_group = check_int("source_group", source_group)
    if not 0 <= source_group < groups:
        raise ValueError(f"source_group={source_group} must be in 0..{groups - 1} (conv has {groups} groups)")
    captured: dict[str, Tensor] = {}
    perturb = {"on": False}

    def pre_hook(_module: nn.Module, args: tuple[Tensor, ...]) -> tuple[Tensor, ...] | None:
        if perturb["on"]:
            return (perturb_group(args[0], source_group, groups, eps, seed),)  # checks eps and seed
        return None

    def hook(_module: nn.Module, _args: tuple[Tensor, ...], output: Tensor) -> None:
        captured["conv"] = output.detach().clone()

    saved_grads = [(p, p.grad) for p in model.parameters()]  # restored at the end: the probe leaves no trace
    handles = [conv.register_forward_pre_hook(pre_hook), conv.register_forward_hook(hook)]
    results = {}
    try:
        with inspection(model, handles):  # eval mode; every module's mode put back and the hooks removed
            with torch.no_grad():
                shape = forward(model, x, "x").shape
            weights = torch.randn(shape, generator=torch.Generator().manual_seed(seed + 1)).to(x)
            for state in (False, True):
                perturb["on"] = state
                conv.weight.grad = None
                out = model(x)
                (out * weights).sum().backward()
                results[state] = (captured["conv"], out.detach().clone(), conv.weight.grad.clone())
    finally:
        for p, grad in saved_grads:
            p.grad = grad
    (conv0, out0, grad0), (conv1, out1, grad1) = results[False], results[True]
    return PerturbationResult(
        source_group,
        conv_output=group_changes(conv0, conv1, groups),
        model_output=group_changes(out0, out1, groups),
        weight_grad=group_changes(grad0, grad1, groups, dim=0),  # rows of the weight = filters, grouped like outputs
    )
