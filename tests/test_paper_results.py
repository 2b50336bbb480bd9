"""``resnext_teach.paper_results``: the quoted ImageNet results, their lookup, and their complexity."""

import pytest

from resnext_teach.paper_results import IMAGENET_RESULTS, top1_error
from resnext_teach.stages import stage_costs


def test_paper_results_lookup_and_complexity():
    assert top1_error("ResNeXt-50", "32×4d") == 22.2 and top1_error("ResNet-50", "1×64d") == 23.9
    with pytest.raises(ValueError, match="is not a quoted result"):
        top1_error("ResNeXt-50", "64×4d")
    macs = {}
    for r in IMAGENET_RESULTS:
        if r.config is not None:
            macs[(r.model, r.template)] = sum(c.macs for c in stage_costs(r.config))
    r50, r101 = macs[("ResNet-50", "1×64d")], macs[("ResNet-101", "1×64d")]
    assert abs(macs[("ResNeXt-50", "32×4d")] / r50 - 1) < 0.05  # Table 3: about the same complexity
    assert abs(macs[("ResNeXt-101", "32×4d")] / r101 - 1) < 0.05
    for key in [("ResNet-101, wider", "1×100d"), ("ResNeXt-101", "2×64d"), ("ResNeXt-101", "64×4d")]:
        assert 1.9 < macs[key] / r101 < 2.05, key  # Table 4: twice ResNet-101's complexity
    assert [r.top1_error for r in IMAGENET_RESULTS if r.table == "Table 4"] == sorted(
        (r.top1_error for r in IMAGENET_RESULTS if r.table == "Table 4"), reverse=True)
