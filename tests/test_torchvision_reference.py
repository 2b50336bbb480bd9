"""Our models against torchvision's: same state_dict keys and shapes, the parameters and multiply-adds torchvision
documents (its weights' metadata: the one place the tests check them), strict loading, identical outputs."""

import pytest
import torch

from resnext_teach import MODEL_CONFIGS, build_model, count_parameters

from helpers import TORCHVISION_MODELS, full_model_costs, torchvision_gmacs, torchvision_params

torchvision = pytest.importorskip("torchvision", reason="torchvision is the reference; requirements.txt installs it")

NAMES = TORCHVISION_MODELS


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_layout_and_documented_counts(name):
    with torch.device("meta"):
        ref = getattr(torchvision.models, name)()
        ours = build_model(name)
    ref_shapes = {k: tuple(v.shape) for k, v in ref.state_dict().items()}
    our_shapes = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    assert list(our_shapes) == list(ref_shapes)
    assert our_shapes == ref_shapes
    assert count_parameters(ours) == count_parameters(ref) == torchvision_params(name)
    macs = sum(macs for _, _, macs in full_model_costs(MODEL_CONFIGS[name]))  # every layer of ours, counted by hand
    assert abs(macs / 1e9 - torchvision_gmacs(name)) < 0.005  # documented to 3 decimals


@pytest.mark.parametrize("name", ["resnet50", "resnext50_32x4d"])
def test_torchvision_weights_load_strict_and_give_the_same_output(name):
    ref = getattr(torchvision.models, name)().eval()
    with torch.no_grad():  # non-trivial BN statistics, so a misplaced layer would show
        for m in ref.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    ours = build_model(name).eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        torch.testing.assert_close(ours(x), ref(x), rtol=0, atol=0)
