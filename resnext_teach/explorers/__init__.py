"""Interactive explorers for the chapters (see ``core`` for how they stay live in static HTML)."""

from .core import Control, Explorer, value_span, value_table

__all__ = ["Control", "Explorer", "value_span", "value_table"]
