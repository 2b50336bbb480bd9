"""``book.notebook.glue``: what the prose quotes is the plain number, whatever kind of scalar a cell computed."""

import numpy as np
import pytest
import torch

from resnext_teach.book import notebook


@pytest.mark.parametrize("value, plain", [(np.float64(7.80140544), 7.80140544), (np.int64(3), 3),
                                          (torch.tensor(2.5), 2.5), (12, 12), ("32x4d", "32x4d")])
def test_a_scalar_is_glued_as_the_python_number_it_holds(monkeypatch, value, plain):
    import myst_nb

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, v, display: seen.update({name: v}))
    assert notebook.glue("x", value) is value  # the cell keeps its own object
    assert type(seen["x"]) is type(plain) and seen["x"] == plain  # myst-nb formats "7.8", not "np.float64(7.8)"
