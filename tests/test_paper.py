"""``resnext_teach.paper``: the paper's quoted numbers (Tables 2-4, Sec. 5.1) against what the package computes,
the one lookup of a top-1 error, and torchvision's documented accuracies against torchvision itself. (Table 1's
printed totals are checked once, with its rows, in test_stages.py.)"""

import pytest

from resnext_teach import complexity_table, paper, template_macs
from resnext_teach.stages import stage_costs

from helpers import HAVE_TORCHVISION


def test_table_2_and_the_template_budget():
    rows = complexity_table(tuple(c for c, _, _ in paper.TABLE2))
    assert [(r["cardinality"], r["bottleneck_width"], r["grouped_width"]) for r in rows] == list(paper.TABLE2)
    for r in rows:  # "~70k" parameters and "~0.22 billion" FLOPs (Table 2 caption)
        assert round(r["template_params"], -4) == paper.TEMPLATE_PARAMS_APPROX
        macs = template_macs(r["cardinality"], r["bottleneck_width"], spatial=paper.TEMPLATE_SPATIAL)
        assert round(macs / 1e9, 2) == paper.TEMPLATE_GFLOPS_APPROX


def test_table_1_is_read_only():
    with pytest.raises(TypeError):
        paper.TABLE1["resnet50"] = paper.PaperComplexity(0.0, 0.0)


def test_table_3_shape():
    for depth, rows in paper.TABLE3_TOP1_ERROR.items():
        assert list(rows) == [(c, d) for c, d, _ in paper.TABLE2]  # the same templates as Table 2
        errors = list(rows.values())
        assert errors == sorted(errors, reverse=True)  # as printed: error falls as C rises


def test_the_lookup_reads_tables_3_and_4():
    assert paper.top1_error("ResNeXt-50", "32×4d") == 22.2 and paper.top1_error("ResNet-50", "1×64d") == 23.9
    assert paper.top1_error("ResNet-101", "1×64d") == 22.0 and paper.top1_error("ResNeXt-101", "32×4d") == 21.2
    assert paper.top1_error("ResNeXt-101", "64×4d") == 20.4  # Table 4
    for r in paper.IMAGENET_RESULTS:  # the Table 3 rows are Table 3's numbers, not typed again
        if r.table == "Table 3":
            depth = int(r.model.rsplit("-", 1)[1])  # "ResNeXt-101" -> 101
            c, d = (int(part) for part in r.template.removesuffix("d").split("×"))  # "32×4d" -> 32, 4
            assert r.top1_error == paper.TABLE3_TOP1_ERROR[depth][c, d], r
    with pytest.raises(ValueError, match="is not a quoted result"):
        paper.top1_error("ResNeXt-50", "64×4d")


def test_the_results_have_the_complexity_the_paper_says():
    macs = {}
    for r in paper.IMAGENET_RESULTS:
        if r.config is not None:
            macs[(r.model, r.template)] = sum(c.macs for c in stage_costs(r.config))
    r50, r101 = macs[("ResNet-50", "1×64d")], macs[("ResNet-101", "1×64d")]
    assert abs(macs[("ResNeXt-50", "32×4d")] / r50 - 1) < 0.05  # Table 3: about the same complexity
    assert abs(macs[("ResNeXt-101", "32×4d")] / r101 - 1) < 0.05
    for key in [("ResNet-101, wider", "1×100d"), ("ResNeXt-101", "2×64d"), ("ResNeXt-101", "64×4d")]:
        assert 1.9 < macs[key] / r101 < 2.05, key  # Table 4: twice ResNet-101's complexity
    assert [r.top1_error for r in paper.IMAGENET_RESULTS if r.table == "Table 4"] == sorted(
        (r.top1_error for r in paper.IMAGENET_RESULTS if r.table == "Table 4"), reverse=True)


def test_the_training_times_are_a_resnext_and_its_resnet_baseline_of_about_the_same_complexity():
    """Sec. 5.1 times ResNeXt-101 (32×4d) against a ResNet-101 "of similar FLOPs"; chapter 6 unpacks the two in this
    order (the grouped model, then its baseline) and says how many times as long the first took."""
    grouped, baseline = paper.TRAINING_TIMES
    configs = {(r.model, r.template): r.config for r in paper.IMAGENET_RESULTS}
    models = [configs[t.model, t.template] for t in (grouped, baseline)]  # each names a result row we can build
    assert models[0].cardinality > 1 and models[1].cardinality == 1 and models[0].layers == models[1].layers
    macs = [sum(c.macs for c in stage_costs(config)) for config in models]
    assert abs(macs[0] / macs[1] - 1) < 0.05  # similar FLOPs
    assert grouped.seconds_per_minibatch > baseline.seconds_per_minibatch > 0  # the grouped model trained slower


@pytest.mark.skipif(not HAVE_TORCHVISION, reason="torchvision's weights entries are the reference")
def test_torchvision_accuracies_are_its_documented_ones():
    from torchvision.models import get_model_weights

    for (name, recipe), accuracy in paper.TORCHVISION_TOP1.items():
        meta = get_model_weights(name)[recipe].meta  # no download: the entry's metadata only
        assert meta["_metrics"]["ImageNet-1K"]["acc@1"] == pytest.approx(accuracy, abs=1e-9), (name, recipe)
