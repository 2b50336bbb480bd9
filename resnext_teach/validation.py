"""Argument checks shared by the package: fail early and name the argument and the rule that was broken.

Every public function of the math modules checks its arguments with these helpers, so the rules are the same
everywhere:

* a size (channels, kernel size, groups, cardinality, bottleneck width, stride, output size, batch, ...) is an
  integer: ``numbers.Integral`` (``int``, ``numpy.int64``, ...) but not ``bool``. Floats are refused even when
  whole (``in_channels=64.0``), and so are NaN, infinities, strings, ``None`` and tensors (use ``.item()``);
* a flag (``bias``, ``trainable_only``, ...) is a ``bool``;
* a wrong type raises ``ArgumentTypeError`` (a ``TypeError``), a wrong value ``ValueError``; both messages start
  with ``name=value``.
"""

from __future__ import annotations

import math
from numbers import Integral, Real

TORCH_MAX_SIZE = 2**63 - 1
"""The largest size PyTorch can store (sizes are 64-bit integers); arguments that become tensor sizes are checked
against it, so that a huge number is refused here instead of deep inside PyTorch."""


class ArgumentTypeError(TypeError, ValueError):
    """An argument of the wrong type. A ``TypeError``; also a ``ValueError``, because this package raised
    ``ValueError`` for every bad argument before, and code that catches that keeps working."""


def describe(value: object) -> str:
    """A short ``repr`` of ``value`` for an error message: one line, at most 60 characters, and no 4,000-digit
    integers (which Python refuses to print)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 128:
        return f"<an integer of {value.bit_length()} bits>"
    try:
        text = " ".join(repr(value).split())  # a tensor's repr spans several lines
    except Exception:  # noqa: BLE001 - a broken __repr__ must not hide the real error
        text = f"<{type(value).__name__} object>"
    return text if len(text) <= 60 else text[:57] + "..."


def _type_hint(value: object) -> str:
    """What to do instead, for the wrong types people actually pass."""
    if hasattr(value, "item") and hasattr(value, "shape"):  # torch.Tensor, numpy.ndarray
        return "; use .item() to turn a one-element tensor into a number"
    if isinstance(value, float) and value.is_integer():
        return f"; pass the int {int(value)}"
    return ""


def check_int(name: str, value: object, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is an integer in ``[minimum, maximum]``, else raise.

    Booleans are refused on purpose: ``True`` is an ``int`` in Python, but ``groups=True`` is a bug.
    """
    rule = "an integer" if minimum is None else {0: "a non-negative integer", 1: "a positive integer"}.get(
        minimum, f"an integer >= {minimum}"
    )
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ArgumentTypeError(
            f"{name}={describe(value)} must be {rule}, not {type(value).__name__}{_type_hint(value)}"
        )
    value = int(value)
    if minimum is not None and value < minimum:
        bound = {0: " (>= 0)", 1: " (>= 1)"}.get(minimum, "")
        raise ValueError(f"{name}={describe(value)} must be {rule}{bound}")
    if maximum is not None and value > maximum:
        limit = "2**63 - 1, the largest size PyTorch can store" if maximum == TORCH_MAX_SIZE else f"{maximum:,}"
        raise ValueError(f"{name}={describe(value)} is too large: at most {limit}")
    return value


def check_positive_int(name: str, value: object, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int`` if it is a positive integer (at most ``maximum``), else raise.

    ``ArgumentTypeError`` for a non-integer (``64.0``, ``nan``, ``"64"``, a tensor, ``True``), ``ValueError`` for
    zero, a negative number, or a number above ``maximum``.
    """
    return check_int(name, value, minimum=1, maximum=maximum)


def check_seed(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is a valid random seed (an integer >= 0; not a bool), else raise
    ``ArgumentTypeError`` (not an integer: a float, NaN, a string, ...) or ``ValueError`` (negative)."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ArgumentTypeError(
            f"{name}={describe(value)} must be an integer >= 0 (a random seed), not {type(value).__name__}"
        )
    if value < 0:
        raise ValueError(f"{name}={describe(value)} must be an integer >= 0 (a random seed)")
    return int(value)


def check_bool(name: str, value: object) -> bool:
    """Return ``value`` if it is ``True`` or ``False``; raise ``ArgumentTypeError`` otherwise (``"no"`` is truthy)."""
    if not isinstance(value, bool):
        raise ArgumentTypeError(f"{name}={describe(value)} must be True or False (a bool), not {type(value).__name__}")
    return value


def check_positive_real(name: str, value: object, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number above zero (or zero, with ``allow_zero``)."""
    rule = "a finite number >= 0" if allow_zero else "a finite number > 0"
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ArgumentTypeError(
            f"{name}={describe(value)} must be {rule}, not {type(value).__name__}{_type_hint(value)}"
        )
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < 0 or (number == 0 and not allow_zero):
        raise ValueError(f"{name}={describe(value)} must be {rule}")
    return number


def as_float(value: Real) -> float:
    """``float(value)``, or infinity for an integer too large for a float (``10**400``)."""
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def check_real(name: str, value: object, low: float, high: float = math.inf, low_open: bool = False,
                high_open: bool = True) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number in the interval from ``low`` to ``high`` (each
    end open or closed as told); a bool, a string or a tensor is an ``ArgumentTypeError``, NaN a ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ArgumentTypeError(f"{name}={describe(value)} must be a real number, not {type(value).__name__}")
    number = as_float(value)
    inside = (low < number if low_open else low <= number) and (number < high if high_open else number <= high)
    if not (math.isfinite(number) and inside):
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name}={describe(value)} must be a finite number in {interval}")
    return number


def check_pair(name: str, value: object, minimum: int = 1, maximum: int | None = None) -> tuple[int, int]:
    """Accept an int or a pair of ints (as ``nn.Conv2d`` does) and return a pair of ints ``>= minimum``."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name}={describe(value)} must be an int or a pair (height, width)")
        return (
            check_int(f"{name}[0]", value[0], minimum, maximum),
            check_int(f"{name}[1]", value[1], minimum, maximum),
        )
    size = check_int(name, value, minimum, maximum)
    return size, size


def check_divides(divisor_name: str, divisor: int, name: str, value: int) -> None:
    """Raise ``ValueError("groups=3 must divide in_channels=64")`` style errors."""
    if value % divisor != 0:
        raise ValueError(f"{divisor_name}={describe(divisor)} must divide {name}={describe(value)}")


def check_groups(
    in_channels: object, out_channels: object, groups: object, maximum: int | None = None
) -> tuple[int, int, int]:
    """Validate the channel counts and ``groups`` of a convolution; return them as ints."""
    c_in = check_positive_int("in_channels", in_channels, maximum)
    c_out = check_positive_int("out_channels", out_channels, maximum)
    g = check_positive_int("groups", groups, maximum)
    check_divides("groups", g, "in_channels", c_in)
    check_divides("groups", g, "out_channels", c_out)
    return c_in, c_out, g


def check_instance(name: str, value: object, kind: type | tuple[type, ...], kind_name: str) -> None:
    """Raise ``ArgumentTypeError("module must be a torch.nn.Module, not list")`` unless ``value`` is a ``kind``."""
    if not isinstance(value, kind):
        raise ArgumentTypeError(f"{name} must be a {kind_name}, not {type(value).__name__}")


def check_module(name: str, value: object) -> None:
    """Raise ``ArgumentTypeError`` unless ``value`` is a ``torch.nn.Module``."""
    from torch import nn  # here, so that the number checks above do not need torch

    check_instance(name, value, nn.Module, "torch.nn.Module")


def check_tensor(name: str, value: object) -> None:
    """Raise ``ArgumentTypeError`` unless ``value`` is a ``torch.Tensor``."""
    import torch

    if not isinstance(value, torch.Tensor):
        raise ArgumentTypeError(f"{name} must be a torch.Tensor, not {type(value).__name__}")
