"""Per-layer parameters and multiply-adds of any module, measured on the real module.

``layer_table(module, (1, 256, 56, 56))`` runs one forward pass and returns a ``LayerTable``: one ``LayerRow`` per
layer that has parameters or does counted work (convolutions, BatchNorm, fully connected), in the order the
forward pass calls them. Each row holds

* ``params``: ``sum(p.numel())`` of that layer's own parameters (weight and bias; BN's running statistics are
  buffers and are not counted, as in ``count_parameters``);
* ``macs``: multiply-adds of that layer for the given input, from PyTorch's ``FlopCounterMode`` (which counts a
  multiply-add as 2 FLOPs, so its count is halved here; the ResNeXt paper calls a multiply-add a FLOP). The
  counter counts convolutions and matrix products only: BN, ReLU, pooling and the residual addition get 0.

Build the module on the meta device (``with torch.device("meta"): block = ...``) and the table of a whole
ResNeXt-50 costs no memory and a fraction of a second: shapes flow through, no arithmetic is done.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from numbers import Integral

import torch
from torch import Tensor, nn
from torch.utils.flop_counter import FlopCounterMode

from .flops import inspection
from .validation import MAX_SIZE, check_module, check_tensor, describe, forward

__all__ = ["layer_table"]


@dataclass(frozen=True)
class LayerRow:
    """One layer of a ``LayerTable``."""

    name: str  # qualified name in the module, e.g. "layer1.0.conv2"
    type: str  # class name, e.g. "Conv2d"
    weight_shape: tuple[int, ...] | None  # shape of ``.weight``; None for layers without one
    groups: int | None  # ``groups`` of a convolution; None for other layers
    params: int  # parameters of this layer (weight + bias)
    macs: int  # multiply-adds of one forward pass at the table's input size
    output_shape: tuple[int, ...]  # e.g. (1, 128, 56, 56)


class LayerTable(Sequence):
    """The rows of ``layer_table`` with their totals; shows as an HTML table in a notebook."""

    def __init__(self, rows: Sequence[LayerRow], input_shape: tuple[int, ...]) -> None:
        self.rows = list(rows)
        self.input_shape = tuple(input_shape)

    def __getitem__(self, index):  # type: ignore[override]
        return self.rows[index]

    def __len__(self) -> int:
        return len(self.rows)

    def row(self, name: str) -> LayerRow:
        """The row of the layer called ``name``."""
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no layer named {name!r}; layers are {[r.name for r in self.rows]}")

    @property
    def total_params(self) -> int:
        return sum(r.params for r in self.rows)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.rows)

    def _cells(self) -> list[tuple[str, ...]]:
        cells = []
        for r in self.rows:
            shape = "x".join(map(str, r.weight_shape)) if r.weight_shape else ""
            groups = "" if r.groups is None else str(r.groups)
            cells.append((r.name, r.type, shape, groups, f"{r.params:,}", f"{r.macs:,}"))
        cells.append(("total", "", "", "", f"{self.total_params:,}", f"{self.total_macs:,}"))
        return cells

    HEADER = ("layer", "type", "weight shape", "groups", "parameters", "multiply-adds")

    def __str__(self) -> str:
        cells = [self.HEADER, *self._cells()]
        widths = [max(len(row[i]) for row in cells) for i in range(len(self.HEADER))]
        lines = []
        for row in cells:
            left = [c.ljust(w) for c, w in zip(row[:4], widths[:4])]
            right = [c.rjust(w) for c, w in zip(row[4:], widths[4:])]
            lines.append("  ".join(left + right))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"LayerTable(input_shape={self.input_shape})\n{self}"

    def _repr_html_(self) -> str:
        head = "".join(f"<th>{escape(h)}</th>" for h in self.HEADER)
        body = []
        for i, row in enumerate(self._cells()):
            style = ' style="font-weight:bold; border-top:1px solid #999"' if i == len(self.rows) else ""
            tds = "".join(
                f'<td style="text-align:{"right" if j >= 3 else "left"}">{escape(c)}</td>' for j, c in enumerate(row)
            )
            body.append(f"<tr{style}>{tds}</tr>")
        caption = f"input {tuple(self.input_shape)}; multiply-adds = FlopCounterMode count / 2"
        return (
            f'<table style="font-variant-numeric: tabular-nums"><caption style="caption-side:bottom">'
            f"{escape(caption)}</caption><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        )


def _device_and_dtype(module: nn.Module) -> tuple[torch.device, torch.dtype]:
    for p in module.parameters():
        return p.device, p.dtype
    return torch.device("cpu"), torch.get_default_dtype()


def layer_table(module: nn.Module, input_size: Sequence[int] | Tensor) -> LayerTable:
    """Parameters and multiply-adds of every layer of ``module`` for one forward pass on ``input_size``.

    ``input_size`` is a full input shape such as ``(1, 256, 56, 56)`` (a zero tensor of that shape is made on the
    module's device, meta included) or an input tensor. The module runs once in eval mode under
    ``torch.no_grad()`` (so BN statistics are not touched) and is put back in the mode it was in.
    Rows are the leaf modules that ran and have parameters or counted multiply-adds, in call order; a layer
    called twice appears once with its multiply-adds summed. Work a module does outside its leaf layers (a
    functional call such as ``F.linear`` in its own ``forward``) is in no row.
    """
    check_module("module", module)
    if isinstance(input_size, Tensor):
        check_tensor("input_size", input_size, floating=True)
        x = input_size
    else:
        if not isinstance(input_size, (tuple, list)):
            raise TypeError(f"input_size={describe(input_size)} must be a shape such as (1, 3, 224, 224) or a tensor")
        if not input_size or not all(isinstance(s, Integral) and not isinstance(s, bool) and 0 < s <= MAX_SIZE
                                     for s in input_size):
            raise ValueError(f"input_size={describe(input_size)} must be a shape of positive ints (at most "
                             f"{MAX_SIZE:,}), e.g. (1, 3, 224, 224)")
        shape = tuple(int(s) for s in input_size)
        if math.prod(shape) > MAX_SIZE**2:
            raise ValueError(f"input_size={shape} holds {math.prod(shape):,} elements; at most {MAX_SIZE**2:,}")
        device, dtype = _device_and_dtype(module)
        x = torch.zeros(shape, device=device, dtype=dtype)

    names = {m: name for name, m in module.named_modules()}
    counter = FlopCounterMode(display=False)
    order: list[nn.Module] = []  # leaf modules in the order of their first call
    flops: dict[nn.Module, int] = {}
    outputs: dict[nn.Module, tuple[int, ...]] = {}
    before: dict[nn.Module, int] = {}

    # A leaf module's FLOPs are the counter's total after its call minus the total before it (leaves do not nest).
    def start(m: nn.Module, _args: object) -> None:
        before[m] = counter.get_total_flops()

    def stop(m: nn.Module, _args: object, out: object) -> None:
        if m not in flops:
            order.append(m)
            flops[m] = 0
        flops[m] += counter.get_total_flops() - before.pop(m)
        if isinstance(out, Tensor):
            outputs[m] = tuple(out.shape)

    leaves = [m for m in module.modules() if not list(m.children())]
    handles = [m.register_forward_pre_hook(start) for m in leaves]
    handles += [m.register_forward_hook(stop) for m in leaves]
    with inspection(module, handles), counter, torch.no_grad():
        forward(module, x, "input_size")

    root = type(module).__name__
    rows = []
    for m in order:
        params = sum(p.numel() for p in m.parameters(recurse=False))
        if params == 0 and flops[m] == 0:
            continue  # ReLU, pooling, identity: nothing to count
        weight = getattr(m, "weight", None)
        rows.append(
            LayerRow(
                name=names[m] or root,
                type=type(m).__name__,
                weight_shape=tuple(weight.shape) if isinstance(weight, Tensor) else None,
                groups=m.groups if isinstance(m, nn.modules.conv._ConvNd) else None,
                params=params,
                macs=flops[m] // 2,
                output_shape=outputs.get(m, ()),
            )
        )
    return LayerTable(rows, tuple(x.shape))
