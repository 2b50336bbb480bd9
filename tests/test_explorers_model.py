"""``resnext_teach.book.explorers.model``: the model-family explorer against the full model at every position, and
against torchvision's documented counts."""

import json
import re

import pytest

from resnext_teach import MODEL_CONFIGS, count_parameters, measure_macs
from resnext_teach.book.explorers import EXPLORERS
from resnext_teach.book.explorers.model import DEPTH_LAYERS, MODEL_EXPLORER, TEMPLATES, family_config, model_label

from helpers import TORCHVISION_MODELS, meta_image, meta_model, torchvision_params


def test_explorer_is_listed_and_small():
    assert MODEL_EXPLORER in EXPLORERS and MODEL_EXPLORER.name == "model-family"
    positions = list(MODEL_EXPLORER.positions())
    assert len(positions) == len(DEPTH_LAYERS) * len(TEMPLATES) <= 150
    assert DEPTH_LAYERS == {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
    assert len(MODEL_EXPLORER.pane(**MODEL_EXPLORER.defaults)) < 6000


@pytest.mark.parametrize("depth", sorted(DEPTH_LAYERS))
@pytest.mark.parametrize("template", TEMPLATES)
def test_every_explorer_position_against_the_full_model(depth, template):
    values = MODEL_EXPLORER.compute(depth=depth, template=template)
    model = meta_model(family_config(depth, *template))
    assert values["params"] == count_parameters(model)
    assert values["gmacs"] == measure_macs(model, meta_image()) / 1e9
    assert values["params_conv1"] == count_parameters(model.conv1) + count_parameters(model.bn1)
    for i, layer in enumerate(model.stages):
        assert values[f"params_conv{i + 2}"] == count_parameters(layer)
    assert values["params_fc"] == count_parameters(model.fc)
    # what the reader sees is exactly explorer.format of compute (settings come back from the page as JSON)
    pane = MODEL_EXPLORER.pane(depth=depth, template=template)
    settings = json.loads(re.search(r'data-rxt-settings="([^"]*)"', pane).group(1).replace("&quot;", '"'))
    assert settings == {"depth": depth, "template": list(template)}
    again = MODEL_EXPLORER.compute(**settings)
    for key, value in again.items():
        assert f'<span data-rxt-key="{key}">{MODEL_EXPLORER.format(key, value)}</span>' in pane
    assert model_label(depth, *template) in pane


@pytest.mark.parametrize("name", TORCHVISION_MODELS)
def test_named_models_in_the_explorer_match_torchvision_documentation(name):
    from torchvision.models import get_model_weights

    config = MODEL_CONFIGS[name]
    values = MODEL_EXPLORER.compute(depth=config.depth, template=(config.cardinality, config.bottleneck_width))
    assert values["params"] == torchvision_params(name)
    ops = get_model_weights(name).IMAGENET1K_V1.meta["_ops"]
    assert abs(values["gmacs"] - ops) < 0.005  # torchvision documents GFLOPS as multiply-adds


def test_family_config_and_labels():
    assert family_config(50, 32, 4) == MODEL_CONFIGS["resnext50_32x4d"]
    assert family_config(101, 1, 64) == MODEL_CONFIGS["resnet101"]
    assert model_label(50, 1, 64) == "ResNet-50" and model_label(101, 64, 4) == "ResNeXt-101 (64×4d)"
    with pytest.raises(ValueError, match="depth=152 must be one of"):
        family_config(152, 32, 4)
