"""``resnext_teach.layer_table``: the per-layer table against real modules, PyTorch's FlopCounterMode and
independent layer-by-layer counts."""

import pytest
import torch
from torch import nn

from resnext_teach import (
    FORMS,
    ResNeXtBottleneck,
    build_model,
    conv2d_macs,
    count_parameters,
    make_block,
    measure_macs,
)
from resnext_teach.layer_table import LayerTable, layer_table


def reference_rows(module: nn.Module, x: torch.Tensor) -> dict[str, tuple[int, int]]:
    """(parameters, multiply-adds) per leaf layer with parameters, measured layer by layer with FlopCounterMode
    on the layer's own recorded input: independent of how layer_table attributes the counter's totals."""
    inputs: dict[str, torch.Tensor] = {}

    def keeper(name):
        def hook(_module, args, _output):
            inputs.setdefault(name, args[0])  # returns None: a forward hook's return value replaces the output
        return hook

    handles = [m.register_forward_hook(keeper(name)) for name, m in module.named_modules() if not list(m.children())]
    module.eval()
    with torch.no_grad():
        module(x)
    for h in handles:
        h.remove()
    rows = {}
    for name, m in module.named_modules():
        params = sum(p.numel() for p in m.parameters(recurse=False))
        if name in inputs and params:
            rows[name] = (params, measure_macs(m, inputs[name]))
    return rows


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("spec", [(256, 64, 32, 4, 1), (64, 64, 32, 4, 1), (256, 128, 8, 14, 2), (64, 16, 1, 64, 2)])
def test_layer_table_matches_every_layer_of_real_blocks(form, spec):
    # a real block on a small map: for 32 paths this costs a third of the meta device, whose batch norm runs
    # through Python decompositions (the table of a whole model on meta: below)
    block = make_block(form, *spec)
    x = torch.randn(1, spec[0], 8, 8)
    table = layer_table(block, x)
    reference = reference_rows(block, x)
    assert {r.name: (r.params, r.macs) for r in table} == reference
    assert table.total_params == count_parameters(block)
    assert table.total_macs == measure_macs(block, x)
    for r in table:
        module = block.get_submodule(r.name)
        assert r.type == type(module).__name__
        assert r.weight_shape == tuple(module.weight.shape)
        assert r.groups == (module.groups if isinstance(module, nn.Conv2d) else None)
        if isinstance(module, nn.Conv2d):
            assert r.macs == conv2d_macs(module.in_channels, module.out_channels, module.kernel_size,
                                         r.output_shape[2:], groups=module.groups)


def test_layer_table_rows_are_in_call_order_with_output_shapes():
    block = ResNeXtBottleneck(64, 64, cardinality=32, bottleneck_width=4, stride=2)
    table = layer_table(block, (2, 64, 16, 16))
    assert [r.name for r in table] == ["conv1", "bn1", "conv2", "bn2", "conv3", "bn3", "downsample.0", "downsample.1"]
    assert table.row("conv1").output_shape == (2, 128, 16, 16)
    assert table.row("conv2").output_shape == (2, 128, 8, 8)
    assert table.row("downsample.0").output_shape == (2, 256, 8, 8)
    assert table.input_shape == (2, 64, 16, 16)


def test_layer_table_of_a_whole_model_on_meta_totals_the_model():
    with torch.device("meta"):
        model = build_model("resnext50_32x4d")
    table = layer_table(model, (1, 3, 224, 224))
    assert table.total_params == count_parameters(model)  # torchvision's count: test_torchvision_reference.py
    assert table.total_macs == measure_macs(model, torch.empty(1, 3, 224, 224, device="meta"))
    fc = table.row("fc")
    assert (fc.type, fc.weight_shape, fc.params, fc.macs, fc.output_shape) == ("Linear", (1000, 2048), 2_049_000,
                                                                               2_048_000, (1, 1000))


def test_layer_table_of_a_leaf_module_and_a_layer_called_twice():
    conv = nn.Conv2d(8, 16, 3, groups=2)
    table = layer_table(conv, (2, 8, 10, 10))
    assert len(table) == 1 and table[0].name == "Conv2d" and table[0].params == 8 * 16 * 9 // 2 + 16
    assert table[0].macs == conv2d_macs(8, 16, 3, 8, groups=2, batch_size=2)

    shared = nn.Conv2d(4, 4, 3, padding=1, bias=False)
    twice = nn.Sequential(shared, nn.ReLU(), shared)
    table = layer_table(twice, (1, 4, 5, 5))
    assert len(table) == 1 and table[0].params == 4 * 4 * 9
    assert table[0].macs == 2 * conv2d_macs(4, 4, 3, 5)


def test_layer_table_leaves_the_module_as_it_was():
    block = ResNeXtBottleneck(16, 4, cardinality=2, bottleneck_width=64).train()
    before = {k: v.clone() for k, v in block.state_dict().items()}
    layer_table(block, (4, 16, 6, 6))
    assert block.training
    for key, value in block.state_dict().items():
        assert torch.equal(value, before[key]), key  # BN running statistics untouched
    assert all(not m._forward_hooks and not m._forward_pre_hooks for m in block.modules())


def test_layer_table_display_and_errors():
    table = layer_table(ResNeXtBottleneck(256, 64, cardinality=32, bottleneck_width=4), (1, 256, 56, 56))
    assert isinstance(table, LayerTable)
    text, html = str(table), table._repr_html_()
    for needle in (f"{table.total_params:,}", f"{table.total_macs:,}", "128x4x3x3", "multiply-adds"):
        assert needle in text and needle in html
    assert "LayerTable(input_shape=(1, 256, 56, 56))" in repr(table)
    with pytest.raises(KeyError, match="no layer named 'conv4'"):
        table.row("conv4")
    with pytest.raises(TypeError, match="module must be a torch.nn.Module"):
        layer_table(lambda t: t, (1, 3))
    for bad in [(1, 0, 4, 4), (), (1, 3.0, 4, 4), (True, 3, 4, 4)]:
        with pytest.raises(ValueError, match="must be a shape of positive ints"):
            layer_table(nn.Conv2d(3, 3, 1), bad)
