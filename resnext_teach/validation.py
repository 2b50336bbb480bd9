"""Argument checks shared by the package: fail early and name the rule that was broken."""

from __future__ import annotations

from numbers import Integral


def check_positive_int(name: str, value: object) -> int:
    """Return ``value`` as an ``int`` if it is a positive integer, else raise ``ValueError``.

    Booleans are rejected on purpose: ``True`` is an ``int`` in Python, but ``groups=True`` is a bug.
    """
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name}={value!r} must be a positive integer, not {type(value).__name__}")
    if value <= 0:
        raise ValueError(f"{name}={value!r} must be a positive integer (>= 1)")
    return int(value)


def check_pair(name: str, value: object) -> tuple[int, int]:
    """Accept an int or a pair of ints (as ``nn.Conv2d`` does) and return a pair of positive ints."""
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ValueError(f"{name}={value!r} must be an int or a pair (height, width)")
        return check_positive_int(f"{name}[0]", value[0]), check_positive_int(f"{name}[1]", value[1])
    size = check_positive_int(name, value)
    return size, size


def check_divides(divisor_name: str, divisor: int, name: str, value: int) -> None:
    """Raise ``ValueError("groups=3 must divide in_channels=64")`` style errors."""
    if value % divisor != 0:
        raise ValueError(f"{divisor_name}={divisor} must divide {name}={value}")


def check_groups(in_channels: object, out_channels: object, groups: object) -> tuple[int, int, int]:
    """Validate the channel counts and ``groups`` of a convolution; return them as ints."""
    c_in = check_positive_int("in_channels", in_channels)
    c_out = check_positive_int("out_channels", out_channels)
    g = check_positive_int("groups", groups)
    check_divides("groups", g, "in_channels", c_in)
    check_divides("groups", g, "out_channels", c_out)
    return c_in, c_out, g
