"""What every chapter notebook does first: seed, quiet timings, and glue that also works outside the build.

Chapters run in three places: the Jupyter Book build (myst-nb present), Jupyter, and Colab (no myst-nb). ``glue``
hands a value to MyST's ``{glue:text}`` role during the build and does nothing elsewhere.
"""

from __future__ import annotations

import os
import random
import warnings

import numpy as np
import torch

from .benchmarking import quiet_allocator


def setup(seed: int = 0, threads: int | None = None) -> torch.device:
    """Seed Python, NumPy and PyTorch, raise the allocator thresholds for steady timings, and return the device
    the chapter should use (CUDA when available, else CPU)."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads is not None:
        torch.set_num_threads(threads)
    quiet_allocator()
    warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
    os.environ.setdefault("PYTHONHASHSEED", str(seed))
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def in_colab() -> bool:
    """True inside Google Colab."""
    try:
        import google.colab  # noqa: F401
    except ImportError:
        return False
    return True


def glue(name: str, value: object) -> object:
    """Store ``value`` for the prose (``{glue:text}`name``` or ``{glue:text}`name:,d```) and return it.

    In the book build this is ``myst_nb.glue(name, value, display=False)``; in Colab or plain Jupyter, where
    myst-nb is absent, it only returns the value.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return value
    myst_glue(name, value, display=False)
    return value
