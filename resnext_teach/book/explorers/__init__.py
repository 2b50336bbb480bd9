"""Interactive explorers for the chapters (see ``core`` for how they stay live in static HTML).

Each chapter's explorers live in a module of this package; where an explorer measures much before it draws, what
it measures lives beside it (``image_maps`` for ``image``, ``dataflow_forms`` for ``dataflow``, ``sweep_data`` for
``sweep``). ``EXPLORERS`` lists the book's fixed explorers in chapter order; a new one is added to it by hand. Data explorers (``sweep.sweep_explorer``) are not in it: a
chapter builds them from what it measures, and each of their panes carries those data (``Explorer.data``).
"""

from __future__ import annotations

from .block import BLOCK_EXPLORER
from .cardinality import CARDINALITY_EXPLORER
from .convolution import CONVOLUTION_EXPLORER
from .core import Control, Explorer, value_span, value_table  # noqa: F401 - the machinery, for the tests; not exported
from .dataflow import DATAFLOW_EXPLORER
from .grouped import GROUPED_EXPLORER
from .image import IMAGE_EXPLORER
from .isolation import ISOLATION_EXPLORER
from .model import MODEL_EXPLORER

EXPLORERS: tuple[Explorer, ...] = (
    CONVOLUTION_EXPLORER,  # Chapter 1
    ISOLATION_EXPLORER,  # Chapter 2
    IMAGE_EXPLORER,
    GROUPED_EXPLORER,
    CARDINALITY_EXPLORER,  # Chapter 3
    DATAFLOW_EXPLORER,  # Chapter 4
    BLOCK_EXPLORER,
    MODEL_EXPLORER,  # Chapter 5
)
"""The book's fixed explorers, in the order the chapters show them."""


def all_explorers() -> dict[str, Explorer]:
    """The fixed explorers by name (``EXPLORERS``, in chapter order); raises if two share a name."""
    by_name = {explorer.name: explorer for explorer in EXPLORERS}
    if len(by_name) != len(EXPLORERS):
        names = [explorer.name for explorer in EXPLORERS]
        raise ValueError(f"explorer names must be unique: {sorted({n for n in names if names.count(n) > 1})}")
    return by_name
