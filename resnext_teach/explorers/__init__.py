"""Interactive explorers for the chapters (see ``core`` for how they stay live in static HTML).

Each chapter's explorers live in a module of this package and are registered by name; ``all_explorers()``
imports every module here and returns the registry.
"""

from __future__ import annotations

import importlib
import pkgutil

from .core import REGISTRY, Control, Explorer, register, value_span, value_table


def all_explorers() -> dict[str, Explorer]:
    """Every explorer of the book, by name (imports each module of this package)."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return dict(REGISTRY)


__all__ = ["REGISTRY", "Control", "Explorer", "all_explorers", "register", "value_span", "value_table"]
