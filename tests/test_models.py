"""The model family: exact parameter counts, torchvision layouts, every configuration trains a step."""

from dataclasses import replace

import pytest
import torch

from resnext_teach import MODEL_CONFIGS, ModelConfig, ResNeXt, build_model, count_parameters

from helpers import full_model_output_shape

# Xie et al. 2017, Table 7 (CIFAR): ResNeXt-29 8x64d 34.4M, 16x64d 68.1M parameters (truncated to 0.1M).
# (The ImageNet models' counts are checked once, against torchvision's weights metadata, in
# test_torchvision_reference.py; Table 1's FLOPs once, on the meta device, in test_stages.py.)
PAPER_CIFAR_PARAMS_M = {"resnext29_8x64d": 34.4, "resnext29_16x64d": 68.1}


def meta_model(name: str, **overrides) -> ResNeXt:
    with torch.device("meta"):  # shapes only: counts a 88M-parameter model in milliseconds
        return build_model(name, **overrides)


@pytest.mark.parametrize("name, expected", PAPER_CIFAR_PARAMS_M.items())
def test_cifar_models_match_the_paper(name, expected):
    assert int(count_parameters(meta_model(name)) / 1e5) / 10 == expected


def test_table_2_family_keeps_complexity():
    base = count_parameters(meta_model("resnet50"))
    for name in ("resnext50_2x40d", "resnext50_4x24d", "resnext50_8x14d", "resnext50_32x4d"):
        assert abs(count_parameters(meta_model(name)) - base) / base < 0.025, name


def test_state_dict_names_follow_torchvision():
    keys = list(meta_model("resnext50_32x4d").state_dict())
    assert keys[:5] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var"]
    for key in ("layer1.0.conv2.weight", "layer1.0.downsample.0.weight", "layer1.0.downsample.1.running_var",
                "layer4.2.bn3.weight", "fc.weight", "fc.bias"):
        assert key in keys
    assert sum(k.startswith("layer3.") and k.endswith("conv1.weight") for k in keys) == 6


def tiny_input(config: ModelConfig, batch: int, device: str = "cpu") -> torch.Tensor:
    size = 32 if config.stem == "imagenet" else 8  # ImageNet stems: 1x1 after the last stage; CIFAR: 8x8 at the end
    return torch.randn(batch, config.in_channels, size, size, device=device)


def check_forward_and_gradients(config: ModelConfig) -> None:
    """timm's check with two blocks per stage (the first, with its projection and stride, and a repeated one: every
    distinct block of the configuration; the full depth only repeats the second): a real forward is finite and
    every parameter gets a finite gradient."""
    shallow = ResNeXt(replace(config, num_classes=3, layers=tuple(min(2, n) for n in config.layers)))
    out = shallow(tiny_input(config, 2))
    assert out.shape == (2, 3) and torch.isfinite(out).all()
    out.square().mean().backward()
    missing = [n for n, p in shallow.named_parameters() if p.grad is None or not torch.isfinite(p.grad).all()]
    assert not missing, missing


@pytest.mark.parametrize("name", sorted(MODEL_CONFIGS))
def test_every_configuration_at_full_depth_gives_one_output_per_class(name):
    """Shapes on the meta device: every configuration, at full depth (the forward pass whose layers
    test_stages.py counts, made once per configuration)."""
    config = MODEL_CONFIGS[name]
    size = 224 if config.stem == "imagenet" else 32
    assert full_model_output_shape(config, size) == (1, config.num_classes)


def test_a_small_model_forwards_finite_and_every_parameter_gets_a_gradient():
    check_forward_and_gradients(MODEL_CONFIGS["resnext_cifar_small"])


@pytest.mark.book  # the slow tier: real forwards and backwards of every configuration's widths (seconds each)
@pytest.mark.parametrize("name", sorted(MODEL_CONFIGS))
def test_every_configuration_forwards_and_gets_gradients(name):
    check_forward_and_gradients(MODEL_CONFIGS[name])


def test_overrides():
    m = meta_model("resnext50_32x4d", num_classes=10, in_channels=1)
    assert m.fc.out_features == 10 and m.conv1.in_channels == 1
    assert meta_model("resnext50_32x4d", cardinality=32).config == MODEL_CONFIGS["resnext50_32x4d"]
    with pytest.raises(ValueError, match="cardinality=16 conflicts with 'resnext50_32x4d', which has cardinality=32"):
        build_model("resnext50_32x4d", cardinality=16)
    with pytest.raises(ValueError, match="'groups' is not a model option"):
        build_model("resnext50_32x4d", groups=32)
    with pytest.raises(ValueError, match="name='resnext51' is not a known model"):
        build_model("resnext51")
    with pytest.raises(ValueError, match="num_classes=0 must be a positive integer"):
        build_model("resnet50", num_classes=0)


def test_config_validation():
    with pytest.raises(ValueError, match="stem='tiny' must be one of"):
        ModelConfig((1,), 1, 64, stem="tiny")
    with pytest.raises(ValueError, match=r"layers\[1\]=0 must be a positive integer"):
        ModelConfig((1, 0), 1, 64)
    with pytest.raises(TypeError, match="must be a non-empty tuple"):
        ModelConfig([3, 4], 1, 64)
    assert MODEL_CONFIGS["resnext50_32x4d"].depth == 50 and MODEL_CONFIGS["resnext101_64x4d"].depth == 101
    assert MODEL_CONFIGS["resnext29_8x64d"].depth == 29 and MODEL_CONFIGS["resnext50_32x4d"].label == "32x4d"


def test_zero_init_residual():
    model = build_model("resnext_cifar_small", zero_init_residual=True)
    assert all(float(b.bn3.weight.detach().abs().sum()) == 0 for s in model.stages for b in s)
