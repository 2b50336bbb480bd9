"""``resnext_teach.pretrained``: torchvision weights and layouts, loading without network, and the messages
without torchvision."""

import sys
from pathlib import Path
from urllib.error import URLError

import pytest
import torch
from torch import nn

from resnext_teach import MODEL_CONFIGS
from resnext_teach.pretrained import (
    PretrainedUnavailable,
    check_torchvision_layout,
    checkpoint_path,
    compare_layouts,
    load_pretrained,
    torchvision_model,
    torchvision_weights,
)

from helpers import HAVE_TORCHVISION, meta_model

needs_torchvision = pytest.mark.skipif(not HAVE_TORCHVISION, reason="torchvision is the reference here")


def test_compare_layouts_reports_every_kind_of_difference():
    ours = {"a": torch.zeros(2, 3), "b": torch.zeros(4), "c": torch.zeros(1)}
    assert compare_layouts(ours, dict(ours)).ok and "3 keys" in str(compare_layouts(ours, dict(ours)))
    reordered = {"b": torch.zeros(4), "a": torch.zeros(2, 3), "c": torch.zeros(1)}
    report = compare_layouts(ours, reordered)
    assert report.ok and not report.same_order and "another order" in str(report)
    reference = {"a": torch.zeros(3, 2), "b": torch.zeros(4), "d": torch.zeros(1)}
    report = compare_layouts(ours, reference)
    assert not report.ok
    assert report.missing == ("d",) and report.unexpected == ("c",) and report.mismatched == (("a", (2, 3), (3, 2)),)
    assert str(report) == ("layouts differ: 1 missing (e.g. d); 1 unexpected (e.g. c); "
                           "1 with other shapes (e.g. a: ours (2, 3), reference (3, 2))")


def test_groups_slip_is_caught_by_the_layout_check():
    from dataclasses import replace

    slip = meta_model(replace(MODEL_CONFIGS["resnext50_32x4d"], cardinality=4, bottleneck_width=32))
    report = compare_layouts(slip.state_dict(), meta_model("resnext50_32x4d").state_dict())
    assert not report.missing and not report.unexpected and len(report.mismatched) == 16
    assert all(key.endswith("conv2.weight") for key, _, _ in report.mismatched)


@needs_torchvision
def test_the_layout_check_passes_on_our_model_and_torchvisions():
    """The check on one model (every model's layout against torchvision's: test_torchvision_reference.py)."""
    report = check_torchvision_layout("resnext50_32x4d")
    assert report.ok and report.same_order and report.keys == len(meta_model("resnext50_32x4d").state_dict())


@needs_torchvision
def test_weights_lookup_errors():
    assert torchvision_weights("resnext50_32x4d").name == "IMAGENET1K_V1"
    assert torchvision_weights("resnext50_32x4d", "DEFAULT").name == "IMAGENET1K_V2"
    with pytest.raises(ValueError, match="torchvision publishes no weights for 'resnext101_32x4d'"):
        torchvision_weights("resnext101_32x4d")
    with pytest.raises(ValueError, match="weights='V3' is not one of ResNeXt50_32X4D_Weights's members"):
        torchvision_weights("resnext50_32x4d", "V3")
    with pytest.raises(ValueError, match="name='resnext51' is not a known model"):
        torchvision_weights("resnext51")
    with pytest.raises(ValueError, match="name='resnext51' is not a known model"):
        check_torchvision_layout("resnext51")
    with pytest.raises(ValueError, match="torchvision has no model named 'resnext29_8x64d'"):
        check_torchvision_layout("resnext29_8x64d")


@needs_torchvision
def test_load_pretrained_without_cache_or_network(tmp_path, monkeypatch):
    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    with pytest.raises(PretrainedUnavailable, match="not in the torch.hub cache .* and download=False"):
        load_pretrained("resnext50_32x4d", download=False)
    entry = torchvision_weights("resnext50_32x4d")

    def offline(*args, **kwargs):
        raise URLError("Name or service not known")

    monkeypatch.setattr(type(entry), "get_state_dict", lambda self, *a, **k: offline())
    with pytest.raises(PretrainedUnavailable, match="could not download https://download.pytorch.org/.*copy that file to"):
        load_pretrained("resnext50_32x4d", download=True)


@needs_torchvision
def test_load_pretrained_from_the_cache_gives_torchvisions_model(tmp_path, monkeypatch):
    import torchvision

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    entry = torchvision_weights("resnet50")
    reference = torchvision.models.resnet50().eval()
    with torch.no_grad():
        for m in reference.modules():  # BN statistics a freshly built model does not have
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.1)
                m.running_var.uniform_(0.5, 1.5)
    path = Path(checkpoint_path(entry))
    assert path.parent == tmp_path / "checkpoints"
    path.parent.mkdir(parents=True)
    torch.save(reference.state_dict(), path)  # a stand-in for the downloaded file (its hash differs)
    model, weights = load_pretrained("resnet50", download=False, check_hash=False)
    assert weights is entry and not model.training
    # exactly the file's tensors, in torchvision's order (that these compute torchvision's outputs in our layout:
    # test_torchvision_reference.py)
    loaded, saved = model.state_dict(), reference.state_dict()
    assert list(loaded) == list(saved) and all(torch.equal(loaded[k], saved[k]) for k in saved)


@needs_torchvision
def test_torchvision_model_is_torchvisions_own_in_eval_mode():
    import torchvision

    torch.manual_seed(3)
    reference = torchvision.models.resnext50_32x4d(weights=None)
    torch.manual_seed(3)
    model = torchvision_model("resnext50_32x4d")  # the same builder: the same random weights
    assert type(model) is type(reference) and not model.training
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), reference.state_dict().values()))
    with pytest.raises(ValueError, match="not a known model"):
        torchvision_model("vgg16")


def test_without_torchvision_everything_explains_itself(monkeypatch):
    monkeypatch.setitem(sys.modules, "torchvision", None)  # makes `import torchvision` raise ImportError
    for call in (lambda: load_pretrained("resnext50_32x4d"), lambda: check_torchvision_layout("resnet50"),
                 lambda: torchvision_model("resnet50"), lambda: torchvision_weights("resnet50")):
        with pytest.raises(PretrainedUnavailable, match="torchvision is not installed"):
            call()
