"""``resnext_teach.book.explorers.model``: the model-family explorer against the full model at every position (the
named models against torchvision's documented counts: test_torchvision_reference.py)."""

import json
import re

import pytest

from resnext_teach import MODEL_CONFIGS
from resnext_teach.book.explorers import EXPLORERS
from resnext_teach.book.explorers.model import DEPTH_LAYERS, MODEL_EXPLORER, TEMPLATES, family_config, model_label

from helpers import full_model_costs


def test_explorer_is_listed_and_small():
    assert MODEL_EXPLORER in EXPLORERS and MODEL_EXPLORER.name == "model-family"
    positions = list(MODEL_EXPLORER.positions())
    assert len(positions) == len(DEPTH_LAYERS) * len(TEMPLATES) <= 150
    assert DEPTH_LAYERS == {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
    assert len(MODEL_EXPLORER.pane(**MODEL_EXPLORER.defaults)) < 6000


@pytest.mark.parametrize("depth", sorted(DEPTH_LAYERS))
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_explorer_position_against_the_full_model(depth, template):
    """The explorer's numbers (two blocks per stage, by ``stage_costs``) against the whole model, every block built
    and counted by hand (``helpers.full_model_costs``, shared with test_stages.py)."""
    values = MODEL_EXPLORER.compute(depth=depth, template=template)
    rows = full_model_costs(family_config(depth, *template))
    assert values["params"] == sum(params for _, params, _ in rows)
    assert values["gmacs"] == sum(macs for _, _, macs in rows) / 1e9
    assert [stage for stage, _, _ in rows] == ["conv1", "conv2", "conv3", "conv4", "conv5", "fc"]
    for stage, params, _ in rows:
        assert values[f"params_{stage}"] == params, stage
    # what the reader sees is exactly explorer.format of compute (settings come back from the page as JSON)
    pane = MODEL_EXPLORER.pane(depth=depth, template=template)
    settings = json.loads(re.search(r'data-rxt-settings="([^"]*)"', pane).group(1).replace("&quot;", '"'))
    assert settings == {"depth": depth, "template": list(template)}
    again = MODEL_EXPLORER.compute(**settings)
    for key, value in again.items():
        assert f'<span data-rxt-key="{key}">{MODEL_EXPLORER.format(key, value)}</span>' in pane
    assert model_label(depth, *template) in pane


def test_family_config_and_labels():
    assert family_config(50, 32, 4) == MODEL_CONFIGS["resnext50_32x4d"]
    assert family_config(101, 1, 64) == MODEL_CONFIGS["resnet101"]
    assert model_label(50, 1, 64) == "ResNet-50" and model_label(101, 64, 4) == "ResNeXt-101 (64×4d)"
    with pytest.raises(ValueError, match="depth=152 must be one of"):
        family_config(152, 32, 4)
