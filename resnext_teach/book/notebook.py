"""What every chapter notebook does first (seed, quiet timings), and how values reach the prose.

Chapters run in three places: the Jupyter Book build (myst-nb present), Jupyter, and Colab (no myst-nb).
Teaching cells compute; they do not glue. Once per section, a hidden cell hands the numbers the text quotes to
MyST's ``{glue:text}`` role::

    # For the text (hidden on the page; the notebook editions write these numbers into the text)
    prose(params_g1=params_g1, params_ratio=params_g1 // params_g32)

``prose`` (and ``glue``, its one-value form) stores values during the build and does nothing elsewhere; the
notebook editions leave such cells out, since their text already holds the numbers. A value that reads as code, such
as an exercise's layer, goes through ``as_code`` and MyST's ``{glue:md}`` role: a role inside a code span is not
read, so ``` `nn.Conv2d({glue:text}`c_in`, ...)` ``` would show raw::

    prose(ex_layer=as_code(PARAMS_LAYER.code()))   # the text: How many parameters does {glue:md}`ex_layer` have?

What makes a run repeatable: ``setup(seed)`` seeds Python's, NumPy's and PyTorch's random generators, and every
experiment seeds its own generators (``experiments.training``). The order of a ``set`` of strings depends on
Python's hash seed, which is fixed only before the interpreter starts: ``scripts/build_book.sh`` exports
``PYTHONHASHSEED=0`` before it starts Python (setting it from inside a running kernel changes nothing).
"""

from __future__ import annotations

import random
import warnings

import numpy as np
import torch

from ..devices import MAX_THREADS, pick_device
from ..timing import quiet_allocator
from ..validation import check_int, check_positive_int

__all__ = ["setup", "prose", "as_code", "in_colab"]


def setup(seed: int = 0, threads: int | None = None) -> torch.device:
    """Seed Python, NumPy and PyTorch, raise the allocator thresholds for steady timings, and return the device
    the chapter should use (CUDA when available, else CPU)."""
    seed = check_int("seed", seed, 0, 2**32 - 1)  # NumPy's seeds are 32-bit
    if threads is not None:
        threads = check_positive_int("threads", threads, MAX_THREADS)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if threads is not None:
        torch.set_num_threads(threads)
    quiet_allocator()
    _crisp_figures()
    warnings.filterwarnings("ignore", message=".*TypedStorage is deprecated.*")
    return pick_device()


def _crisp_figures() -> None:
    """Matplotlib figures as SVG (sharp on any screen and at any zoom) with text of at least 10 points."""
    try:
        import matplotlib as mpl
        from matplotlib_inline.backend_inline import set_matplotlib_formats  # optional: only inside a kernel

        set_matplotlib_formats("svg")
    except Exception:  # no matplotlib, or not inside IPython: nothing to set
        return
    mpl.rcParams.update({"font.size": 11, "axes.titlesize": 12, "axes.labelsize": 11, "legend.fontsize": 10,
                         "xtick.labelsize": 10, "ytick.labelsize": 10})


def in_colab() -> bool:
    """True inside Google Colab."""
    try:
        import google.colab  # noqa: F401 - optional: exists only in Colab
    except ImportError:
        return False
    return True


def prose(**values: object) -> None:
    """Hand each ``name=value`` to the prose (``{glue:text}`name```); nothing happens outside the book build."""
    for name, value in values.items():
        glue(name, value)


def as_code(text: str) -> object:
    """``text`` as inline code for ``{glue:md}`name```: ``as_code("nn.Conv2d(32, 96, 5)")`` reads
    `nn.Conv2d(32, 96, 5)` on the page and in the notebook editions."""
    from IPython.display import Markdown

    if not isinstance(text, str):
        raise TypeError(f"text must be a string of code, not {type(text).__name__}")
    if not text.strip() or "`" in text or "\n" in text:
        raise ValueError(f"text must be one line of code without backticks, not {text!r}")
    return Markdown(f"`{text}`")


def glue(name: str, value: object) -> object:
    """Store ``value`` for the prose (``{glue:text}`name``` or ``{glue:text}`name:,d```) and return it.

    In the book build this is ``myst_nb.glue(name, value, display=False)``; in Colab or plain Jupyter, where
    myst-nb is absent, it only returns the value.
    """
    try:
        from myst_nb import glue as myst_glue  # optional: exists only in the book build
    except ImportError:
        return value
    # a NumPy or torch scalar (np.float64(7.8), tensor(3)) as the Python number it holds: myst-nb formats the
    # glued text, "7.8", and cannot read "np.float64(7.8)"
    plain = value.item() if hasattr(value, "item") and getattr(value, "ndim", None) == 0 else value
    myst_glue(name, plain, display=False)
    return value
