"""``resnext_teach.paper``: the paper's quoted numbers (Tables 1, 2 and 3) against what the package computes."""

import pytest
import torch

from resnext_teach import build_model, complexity_table, count_parameters, template_macs
from resnext_teach import paper

from helpers import counted_macs


def test_table_2_and_the_template_budget():
    rows = complexity_table(tuple(c for c, _, _ in paper.TABLE2))
    assert [(r["cardinality"], r["bottleneck_width"], r["grouped_width"]) for r in rows] == list(paper.TABLE2)
    for r in rows:  # "~70k" parameters and "~0.22 billion" FLOPs (Table 2 caption)
        assert round(r["template_params"], -4) == paper.TEMPLATE_PARAMS_APPROX
        macs = template_macs(r["cardinality"], r["bottleneck_width"], spatial=paper.TEMPLATE_SPATIAL)
        assert round(macs / 1e9, 2) == paper.TEMPLATE_GFLOPS_APPROX


@pytest.mark.parametrize("name", ["resnet50", "resnext50_32x4d"])
def test_table_1_rounded_figures(name):
    with torch.device("meta"):  # shapes only: counting needs no numbers
        model = build_model(name).eval()
    # Table 1 prints one decimal (25.5 for ResNet-50's 25,557,032): agree to within that last digit
    assert count_parameters(model) / 1e6 == pytest.approx(paper.TABLE1_PARAMS_MILLIONS[name], abs=0.1)
    macs = counted_macs(model, torch.empty(1, 3, 224, 224, device="meta"))
    assert round(macs / 1e9, 1) == paper.TABLE1_GFLOPS[name]


def test_table_3_lookup_and_shape():
    assert paper.table3_top1_error(50, 1, 64) == 23.9 and paper.table3_top1_error(50, 32, 4) == 22.2
    assert paper.table3_top1_error(101, 1, 64) == 22.0 and paper.table3_top1_error(101, 32, 4) == 21.2
    for depth, rows in paper.TABLE3_TOP1_ERROR.items():
        assert list(rows) == [(c, d) for c, d, _ in paper.TABLE2]  # the same templates as Table 2
        errors = list(rows.values())
        assert errors == sorted(errors, reverse=True)  # as printed: error falls as C rises
    with pytest.raises(ValueError, match="depth=152 is not in Table 3"):
        paper.table3_top1_error(152, 32, 4)
    with pytest.raises(ValueError, match="cardinality=16, bottleneck_width=8 is not in Table 3"):
        paper.table3_top1_error(50, 16, 8)
    with pytest.raises(ValueError, match="cardinality=0 must be a positive integer"):
        paper.table3_top1_error(50, 0, 4)
