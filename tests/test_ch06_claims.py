"""Chapter 6 (testing the claims: cost): the gradient probes, the timing helpers and the notebook, each against an
independent reference on tiny inputs. Chapter 7's probe and notebook: test_ch07_claims.py; the exercise checks:
test_exercises_claims.py."""

import math

import pytest
import torch
from sources import chapter, read_source
from torch import nn

from resnext_teach import (
    connectivity_mask,
    conv2d_macs,
    make_block,
    measure_macs,
)
from resnext_teach.book.exercises import claims as ex
from resnext_teach.experiments.probes import (
    channel_jacobian,
    group_changes,
    perturb_group,
    perturbation_probe,
)
from resnext_teach.experiments.speed import groups_sweep, model_latencies
from resnext_teach.intensity import conv_intensity

# --- probes: gradients and groups -----------------------------------------------------------------------


@pytest.mark.parametrize("channels,groups", [(4, 1), (8, 2), (8, 4), (12, 3), (8, 8)])
def test_channel_jacobian_of_a_grouped_conv_is_exactly_block_diagonal(channels, groups):
    conv = nn.Conv2d(channels, channels, 3, padding=1, groups=groups, bias=False)
    x = torch.randn(1, channels, 4, 4)
    jac = channel_jacobian(conv, x)
    assert torch.equal(jac != 0, connectivity_mask(channels, channels, groups))
    # against the weights: d y[o] / d x[i] at the centre is the weight, so the largest entry is the largest weight
    reference = torch.zeros(channels, channels)
    per = channels // groups
    for o in range(channels):
        g = o // per
        reference[o, g * per:(g + 1) * per] = conv.weight[o].abs().amax(dim=(1, 2))
    torch.testing.assert_close(jac, reference)


def test_channel_jacobian_of_a_block_is_dense_and_rejects_batches():
    block = make_block("grouped", 16, 8, cardinality=4, bottleneck_width=16).eval()
    jac = channel_jacobian(block, torch.randn(1, 16, 4, 4))
    assert jac.shape == (32, 16) and bool((jac > 0).all())
    with pytest.raises(ValueError, match="one image"):
        channel_jacobian(block, torch.randn(2, 16, 4, 4))


def test_perturb_group_and_group_changes():
    x = torch.randn(2, 8, 3, 3)
    y = perturb_group(x, group=2, groups=4, eps=0.5)
    changed = group_changes(x, y, 4)
    assert changed[2] > 0 and changed[0] == changed[1] == changed[3] == 0.0
    assert torch.equal(y[:, :4], x[:, :4]) and torch.equal(y[:, 6:], x[:, 6:])
    with pytest.raises(ValueError, match="group=4 must be in 0..3"):
        perturb_group(x, group=4, groups=4)
    with pytest.raises(ValueError, match="groups=3 must divide channels=8"):
        perturb_group(x, group=0, groups=3)


@pytest.mark.parametrize("source", [0, 3])
def test_perturbation_stays_in_its_group_within_the_layer(source):
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=4, bias=False)
    result = perturbation_probe(conv, conv, torch.randn(2, 8, 5, 5), source_group=source)
    for values in (result.conv_output, result.model_output, result.weight_grad):
        assert len(values) == 4
        assert all((v > 0) == (g == source) for g, v in enumerate(values))


def test_perturbation_spreads_across_groups_in_a_block():
    torch.manual_seed(0)
    block = make_block("grouped", 32, 16, cardinality=4, bottleneck_width=16).train()
    result = perturbation_probe(block, block.conv2, torch.randn(2, 32, 6, 6), source_group=1)
    assert [v > 0 for v in result.conv_output] == [False, True, False, False]
    assert all(v > 0 for v in result.model_output)  # conv3 (1x1, dense) mixes the groups
    assert all(v > 0 for v in result.weight_grad)  # so every group's weight gradient changes too
    assert block.training and not block.conv2._forward_hooks and not block.conv2._forward_pre_hooks
    assert all(p.grad is None for p in block.parameters())  # the probe leaves no gradients behind
    with pytest.raises(ValueError, match="conv must be an nn.Conv2d"):
        perturbation_probe(block, block.bn2, torch.randn(1, 32, 6, 6), 0)


class WithoutFinalReLU(nn.Module):
    """A ResNeXtBottleneck's forward() with the ReLU after the residual sum left out (as in Chapter 6)."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x):
        b = self.block
        out = b.relu(b.bn1(b.conv1(x)))
        out = b.relu(b.bn2(b.conv2(out)))
        out = b.bn3(b.conv3(out))
        return out + (x if b.downsample is None else b.downsample(x))


@pytest.mark.parametrize("in_channels,planes,cardinality,width,stride,source", [
    (32, 8, 4, 32, 1, 1),  # the chapter's block: identity shortcut
    (16, 16, 8, 8, 2, 5),  # a projection shortcut with stride 2, 8 groups
])
def test_without_the_final_relu_the_other_groups_weight_gradients_do_not_change_at_all(
        in_channels, planes, cardinality, width, stride, source):
    """With a linear loss, the gradient reaching conv2's output passes only linear maps (conv3, BN in eval mode)
    and each group's own ReLU mask, so perturbing group `source` leaves every other group's weight gradient
    exactly as it was; the ReLU after the residual sum, whose mask depends on all groups, couples them."""
    torch.manual_seed(0)
    block = make_block("grouped", in_channels, planes, cardinality=cardinality, bottleneck_width=width,
                       stride=stride).eval()
    x = torch.randn(4, in_channels, 6, 6)
    linear_end = WithoutFinalReLU(block)
    with torch.no_grad():
        assert torch.equal(linear_end(x).relu(), block(x))  # the same block, but for its final ReLU
    with_relu = perturbation_probe(block, block.conv2, x, source_group=source)
    without = perturbation_probe(linear_end, block.conv2, x, source_group=source)
    assert [v == 0 for v in without.weight_grad] == [g != source for g in range(cardinality)]  # exactly 0
    assert without.weight_grad[source] > 0
    assert all(v > 0 for v in with_relu.weight_grad)  # the final ReLU couples every group
    assert all(v > 0 for v in without.model_output)  # the forward mixing by conv3 is still there
    assert without.conv_output == with_relu.conv_output  # and the grouped layer's own output is the same


# --- probes: timing -------------------------------------------------------------------------------------


def test_groups_sweep_counts_match_the_counter_and_its_times_are_paired():
    sweep = groups_sweep(channels=16, size=6, groups_list=(1, 4, 16), batch_size=2, device="cpu", rounds=3,
                         min_time=0.001)
    assert [r.groups for r in sweep] == [1, 4, 16] and len(sweep) == 3
    for r in sweep:
        conv = nn.Conv2d(16, 16, 3, padding=1, groups=r.groups, bias=False)
        assert r.params == sum(p.numel() for p in conv.parameters())
        assert r.macs == measure_macs(conv, torch.randn(2, 16, 6, 6)) == conv2d_macs(16, 16, 3, 6, r.groups, 2)
        assert r.intensity == conv_intensity(conv, 6, 2)  # the book's one count of bytes moved
        assert r.intensity.bytes_moved == 4 * (2 * 2 * 16 * 36 + r.params)
        assert r.rate == pytest.approx(r.macs / r.seconds) and r.timing.rounds == 3
    speedup = sweep.speedup(16)
    dense, depthwise = sweep.row(1).timing.times, sweep.row(16).timing.times
    expected = math.exp(sum(math.log(a / b) for a, b in zip(dense, depthwise)) / 3)
    assert speedup.value == pytest.approx(expected) and speedup.low <= speedup.value <= speedup.high
    assert sweep.environment.threads >= 1
    with pytest.raises(KeyError, match="groups=8 was not swept"):
        sweep.row(8)
    with pytest.raises(ValueError, match="names a group count twice"):
        groups_sweep(channels=8, size=4, groups_list=(2, 2), device="cpu", rounds=1)
    assert groups_sweep(channels=8, size=4, groups_list=(2,), device="cpu", channels_last=True, rounds=1)[0].seconds > 0


def test_model_latencies_on_small_models():
    latency = model_latencies(("resnet_cifar_small", "resnext_cifar_small"), batch_sizes=(1, 2), image_size=8,
                              rounds=2, device="cpu")
    assert set(latency) == {1, 2}
    for timings in latency.values():
        assert list(timings) == ["resnet_cifar_small", "resnext_cifar_small"]
        assert all(t.median > 0 and t.rounds == 2 and t.calls == 1 for t in timings.values())
        assert timings.ratio("resnext_cifar_small", "resnet_cifar_small").rounds == 2


# --- the chapter notebook -------------------------------------------------------------------------------


def test_chapter_notebook_structure():
    """Labelled (ch-claims-cost; ch-claims on how each claim is tested), with the set-up cell hidden, and asking the
    cost exercises of the claims module (each exercise's check cell and solution: tests/test_notebooks.py). Chapter
    7 (tests/test_ch07_claims.py) asks the others."""
    nb = read_source(chapter("06_claims_about_cost"))
    code = [c for c in nb.cells if c.cell_type == "code"]
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].source.splitlines()[0] == "(ch-claims-cost)="
    assert "(ch-claims)=\n## How each claim is tested" in markdown  # what chapter 7 links for the method
    assert code[0].metadata.get("tags") == ["remove-cell"] and "setup(seed=0)" in code[0].source
    for claim in ("ch6-claim1", "ch6-claim3", "ch6-claim4"):
        assert f"({claim})=" in markdown
    checks = {"check_parameter_cut", "check_jacobian_zeros", "check_intensity"}
    assert {name for name in checks if any(f"{name}(answer)" in c.source for c in code)} == checks
    assert all(f"{name}(answer)" not in c.source for c in code for name in set(ex.__all__) - checks)
