"""Chapter 7 (testing the claims: learning): the correlation probe of Claim 5 against numpy, and the notebook. The
data and the training loop are tested in test_data.py and test_training.py, the exercise checks in
test_exercises_claims.py."""

import numpy as np
import pytest
import torch
from sources import chapter, read_source
from torch import nn

from resnext_teach import build_model
from resnext_teach.book.exercises import claims as ex
from resnext_teach.experiments.correlations import (
    channel_correlation,
    group_correlations,
)


def test_group_correlations_against_numpy():
    torch.manual_seed(0)
    model = build_model("resnext_cifar_small", in_channels=1, num_classes=10)
    x = torch.randn(16, 1, 8, 8)
    rows = group_correlations(model, x)
    assert [r.layer for r in rows] == ["layer1.0.conv2", "layer2.0.conv2", "layer3.0.conv2"]
    assert all(r.groups == 4 for r in rows)
    acts = {}
    model.layer1[0].conv2.register_forward_hook(lambda m, a, o: acts.setdefault("a", o.detach()))
    model.eval()(x)
    a = acts["a"].transpose(0, 1).reshape(24, -1).numpy().astype(np.float64)
    corr = np.abs(np.corrcoef(a))
    group = np.arange(24) // 6
    same = group[:, None] == group[None, :]
    within = corr[same & ~np.eye(24, dtype=bool)].mean()
    between = corr[~same].mean()
    assert rows[0].within == pytest.approx(within) and rows[0].between == pytest.approx(between)
    resnet = build_model("resnet_cifar_small", in_channels=1, num_classes=10)
    assert [r.groups for r in group_correlations(resnet, x, groups=4)] == [4, 4, 4]
    with pytest.raises(ValueError, match="has one group"):
        group_correlations(resnet, x)
    with pytest.raises(ValueError, match="no ResNeXtBottleneck"):
        group_correlations(nn.Conv2d(1, 4, 3), x)
    torch.testing.assert_close(channel_correlation(torch.ones(3, 2, 2, 2) * torch.arange(2.).view(1, 2, 1, 1)).isnan(),
                               torch.ones(2, 2, dtype=torch.bool))


# --- the chapter notebook -------------------------------------------------------------------------------


def test_chapter_notebook_structure():
    """Stored without outputs, labelled, with the set-up cell hidden, the CIFAR-10 switch off, the claims' labels
    that other pages link (each exercise's check cell and solution: tests/test_notebooks.py). Between them,
    chapters 6 and 7 ask every exercise of the claims module."""
    nb = read_source(chapter("07_claims_about_learning"))
    code = [c for c in nb.cells if c.cell_type == "code"]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].source.splitlines()[0] == "(ch-claims-learning)="
    assert code[0].metadata.get("tags") == ["remove-cell"] and "setup(seed=0)" in code[0].source
    assert any('DATASET = "digits"' in c.source for c in code)
    for claim in ("ch6-claim1-accuracy", "ch6-claim2", "ch6-claim5"):
        assert f"({claim})=" in markdown
    checks = {"check_test_images", "check_training_macs", "check_channel_pairs"}
    assert {name for name in checks if any(f"{name}(answer)" in c.source for c in code)} == checks
    cost = read_source(chapter("06_claims_about_cost"))
    asked = {name for name in ex.__all__ for nb_ in (nb, cost) for c in nb_.cells if f"{name}(answer)" in c.source}
    every = {name for name in dir(ex) if name.startswith("check_") and getattr(ex, name).__module__ == ex.__name__}
    assert asked == every == {name for name in ex.__all__ if name.startswith("check_")}
