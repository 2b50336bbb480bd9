"""Argument checks: fail early, and name the argument and the rule it broke (STYLE.md, point 5).

A public function checks what a learner can get wrong with these helpers, so the rules read the same everywhere:

* a size or a count (channels, kernel size, groups, cardinality, rounds, epochs, ...) is an integer, ``int`` or
  ``numpy.int64``, but not a ``bool``; a float is refused even when whole (``in_channels=64.0``), and so is a tensor
  (use ``.item()``);
* what becomes a tensor dimension is at most ``MAX_SIZE`` (an image side ``MAX_IMAGE_SIZE``), and a repetition
  (rounds, epochs, ...) at most ``MAX_COUNT``: more would not fit in memory, or not finish;
* a flag is a ``bool``; a real number is finite and lies in its interval; a name is one of its choices;
* a wrong type raises ``TypeError``, a wrong value ``ValueError``; the message starts with ``name=value``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection
from numbers import Integral, Real
from typing import Any

MAX_SIZE = 8192
"""The largest tensor dimension (channels, classes, batch, kernel side) a function that builds a module or a tensor
accepts: twice the widest layer of the paper's models (ResNeXt-29 16x64d's 4,096 channels)."""
MAX_IMAGE_SIZE = 1024
"""The largest image side a function that runs a model on an image of its own making accepts (ResNet-50 on a
1,024 x 1,024 image is 86 billion multiply-adds: seconds on a CPU)."""
MAX_COUNT = 1000
"""The most repetitions (timing rounds, warm-up calls, epochs, blocks per stage, ...) a function accepts."""


def describe(value: object) -> str:
    """A short ``repr`` of ``value`` for an error message: one line of at most 60 characters."""
    try:
        text = " ".join(repr(value).split())  # a tensor's repr spans several lines
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 60 else text[:57] + "..."


def _hint(value: object) -> str:
    """What to pass instead, for the wrong types people actually pass."""
    if hasattr(value, "item") and hasattr(value, "shape"):  # torch.Tensor, numpy.ndarray
        return "; use .item() to turn a one-element tensor into a number"
    if isinstance(value, float) and value.is_integer():
        return f"; pass the int {int(value)}"
    return ""


def check_int(name: str, value: object, minimum: int | None = None, maximum: int | None = None,
              rule: str = "") -> int:
    """``value`` as an ``int`` if it is an integer in ``[minimum, maximum]``; else a ``TypeError`` (not an integer:
    ``True``, ``64.0``, ``"64"``, a tensor) or a ``ValueError`` (out of range). ``rule`` words the minimum."""
    rule = rule or {None: "an integer", 0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}")
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name}={describe(value)} must be {rule}, not {type(value).__name__}{_hint(value)}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}={value} must be {rule}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name}={value} is too large: at most {maximum:,}")
    return value


def check_positive_int(name: str, value: object, maximum: int | None = None) -> int:
    """``check_int`` with ``minimum=1``: a size or a count."""
    return check_int(name, value, 1, maximum)


def check_seed(name: str, value: object) -> int:
    """A random seed: an integer >= 0."""
    return check_int(name, value, 0, rule="an integer >= 0 (a random seed)")


def check_bool(name: str, value: object) -> bool:
    """``value`` if it is ``True`` or ``False``; a ``TypeError`` otherwise (``"no"`` is truthy)."""
    if not isinstance(value, bool):
        raise TypeError(f"{name}={describe(value)} must be True or False (a bool), not {type(value).__name__}")
    return value


def check_real(name: str, value: object, low: float, high: float = math.inf, low_open: bool = False,
               high_open: bool = True) -> float:
    """``value`` as a ``float`` if it is a finite real number in the interval from ``low`` to ``high`` (each end open
    or closed as told); a bool, a string or a tensor is a ``TypeError``, NaN or a number outside a ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name}={describe(value)} must be a real number, not {type(value).__name__}{_hint(value)}")
    number = float(value)
    inside = (low < number if low_open else low <= number) and (number < high if high_open else number <= high)
    if not (math.isfinite(number) and inside):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name}={describe(value)} must be a finite number in {interval}")
    return number


def check_pair(name: str, value: object, minimum: int = 1, maximum: int | None = None) -> tuple[int, int]:
    """An int or a pair of ints (as ``nn.Conv2d`` takes them), each ``>= minimum``, as a pair."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name}={describe(value)} must be an int or a pair (height, width)")
        return check_int(f"{name}[0]", value[0], minimum, maximum), check_int(f"{name}[1]", value[1], minimum, maximum)
    size = check_int(name, value, minimum, maximum)
    return size, size


def check_divides(divisor_name: str, divisor: int, name: str, value: int) -> None:
    """``ValueError("groups=3 must divide in_channels=64")`` unless ``divisor`` divides ``value``."""
    if value % divisor != 0:
        raise ValueError(f"{divisor_name}={divisor} must divide {name}={value}")


def check_groups(in_channels: object, out_channels: object, groups: object, maximum: int | None = None
                 ) -> tuple[int, int, int]:
    """The channel counts and ``groups`` of a convolution, as ints: ``groups`` divides both counts."""
    c_in = check_positive_int("in_channels", in_channels, maximum)
    c_out = check_positive_int("out_channels", out_channels, maximum)
    g = check_positive_int("groups", groups, maximum)
    check_divides("groups", g, "in_channels", c_in)
    check_divides("groups", g, "out_channels", c_out)
    return c_in, c_out, g


def check_choice(name: str, value: object, choices: Collection[str], what: str = "") -> str:
    """``value`` if it is one of the names ``choices`` (a form, a stem, a ``what``: a model, an experiment, ...)."""
    if not isinstance(value, str):
        raise TypeError(f"{name}={describe(value)} must be one of {sorted(choices)}, not {type(value).__name__}")
    if value not in choices:
        rule = f"is not a known {what}; choose one of" if what else "must be one of"
        raise ValueError(f"{name}={value!r} {rule} {sorted(choices)}")
    return value


def check_list(name: str, value: object, what: str) -> list:
    """``value`` (a list, a tuple or a range, not a string or a tensor) of at most ``MAX_COUNT`` items, as a list;
    ``what`` names the items."""
    if not isinstance(value, (list, tuple, range)):
        raise TypeError(f"{name} must be a list of {what}, not {type(value).__name__}")
    if len(value) > MAX_COUNT:
        raise ValueError(f"{name} holds {len(value):,} {what}; at most {MAX_COUNT:,}")
    return list(value)


def check_instance(name: str, value: object, kind: type | tuple[type, ...], kind_name: str) -> None:
    """``TypeError("module must be a torch.nn.Module, not list")`` unless ``value`` is a ``kind``."""
    if not isinstance(value, kind):
        article = "an" if kind_name[0] in "AEIOU" else "a"
        raise TypeError(f"{name} must be {article} {kind_name}, not {type(value).__name__}")


def check_module(name: str, value: object) -> None:
    """``TypeError`` unless ``value`` is a ``torch.nn.Module``."""
    from torch import nn  # here, so that the number checks above do not need torch

    check_instance(name, value, nn.Module, "torch.nn.Module")


def check_tensor(name: str, value: object, dims: int | None = None, floating: bool = False) -> None:
    """``TypeError`` unless ``value`` is a ``torch.Tensor`` (of a floating-point type, with ``floating``);
    ``ValueError`` unless it has ``dims`` dimensions (when given)."""
    import torch

    if not isinstance(value, torch.Tensor):
        raise TypeError(f"{name} must be a torch.Tensor, not {type(value).__name__}")
    if floating and not value.dtype.is_floating_point:
        raise TypeError(f"{name} must hold floating-point numbers, not {value.dtype} (use .float())")
    if dims is not None and value.dim() != dims:
        shape = "(N, C, H, W)" if dims == 4 else f"of {dims} dimensions"
        raise ValueError(f"{name} must have the shape {shape}, got {tuple(value.shape)}")


def forward(module: Callable[[Any], Any], inputs: Any, name: str = "inputs") -> Any:
    """``module(inputs)``; where the module cannot take the inputs (their channels, shape or dtype), a
    ``ValueError`` that names ``name`` and quotes PyTorch's reason, instead of a RuntimeError from inside the module."""
    try:
        return module(inputs)
    except RuntimeError as error:
        reason = (str(error).strip() or type(error).__name__).splitlines()[0]
        shape = tuple(getattr(inputs, "shape", ()))
        raise ValueError(f"{name} of shape {shape} do not fit {type(module).__name__}: {reason}") from error


ArgumentTypeError = TypeError
"""A plain ``TypeError`` under the name ``tests/test_explorers_sweep.py`` imports."""
