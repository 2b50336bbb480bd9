"""Chapter 2's mechanism explorers: a grouped convolution on a photo (``image``), and a group staying a group
(``isolation``). Every number a pane shows is checked against real modules, every picture is decoded and checked
against the tensors it draws, on one scale at every position."""

from __future__ import annotations

import base64
import io
import json
import re
from html.parser import HTMLParser

import ipywidgets
import numpy as np
import pytest
import torch
from PIL import Image
from torch import nn
from torch.nn import functional as F

from resnext_teach import GroupedConv2d, ResNeXtBottleneck, connectivity_mask
import resnext_teach.book.explorers as package
from resnext_teach.book.explorers import image as im
from resnext_teach.book.explorers import image_maps as im_maps
from resnext_teach.book.explorers import isolation as iso
from resnext_teach.book.explorers.image import IMAGE_EXPLORER
from resnext_teach.book.explorers.isolation import ISOLATION_EXPLORER
from test_explorer_core import saved_links

EXPLORERS = [IMAGE_EXPLORER, ISOLATION_EXPLORER]
ids = [e.name for e in EXPLORERS]


class Parts(HTMLParser):
    """The <img> and outermost <svg> elements of a pane, with their attributes and the <svg>'s <title>."""

    def __init__(self) -> None:
        super().__init__()
        self.imgs: list[dict[str, str]] = []
        self.svgs: list[dict[str, str]] = []
        self.depth = 0
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "img":
            self.imgs.append(a)
        elif tag == "svg":
            if self.depth == 0:
                self.svgs.append({**a, "title": ""})
            self.depth += 1
        elif tag == "title" and self.depth:
            self.in_title = True

    def handle_endtag(self, tag):
        if tag == "svg":
            self.depth -= 1
        elif tag == "title":
            self.in_title = False

    def handle_data(self, data):
        if self.in_title:
            self.svgs[-1]["title"] += data


def parts(pane: str) -> Parts:
    p = Parts()
    p.feed(pane)
    return p


def decode(src: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert src.startswith(prefix)
    return Image.open(io.BytesIO(base64.b64decode(src[len(prefix):])))


def shown_numbers(pane: str) -> dict[str, str]:
    return dict(re.findall(r'<span data-rxt-key="([^"]+)">([^<]*)</span>', pane))


# --- both explorers: the standard of test_explorer_core -------------------------------------------------------


@pytest.mark.parametrize("explorer", EXPLORERS, ids=ids)
def test_listed_with_a_small_number_of_positions(explorer):
    assert explorer in package.EXPLORERS
    positions = list(explorer.positions())
    assert len(positions) == {"grouped-image": 32, "group-isolation": 16}[explorer.name]
    assert len(positions) <= 48, "the browser test steps through every position"


@pytest.mark.parametrize("explorer", EXPLORERS, ids=ids)
def test_every_pane_shows_exactly_its_formatted_values(explorer):
    for settings in explorer.positions():
        values = explorer.compute(**settings)
        pane = explorer.pane(**settings)
        assert shown_numbers(pane) == {k: explorer.format(k, v) for k, v in values.items()}, settings
        settings_shown = json.loads(re.search(r'data-rxt-settings="([^"]*)"', pane).group(1).replace("&quot;", '"'))
        assert settings_shown == json.loads(json.dumps(settings))


@pytest.mark.parametrize("explorer", EXPLORERS, ids=ids)
def test_every_picture_has_a_text_alternative(explorer):
    """Each <img> has an alt that says what it shows (not empty, not a file name); each <svg> is role=img with a
    title and the same aria-label."""
    for settings in explorer.positions():
        found = parts(explorer.pane(**settings))
        for a in found.imgs:
            alt = a.get("alt", "").strip()
            assert len(alt) > 20 and not re.search(r"\.(png|jpe?g|gif|svg)$", alt, re.I), (settings, alt)
        for s in found.svgs:
            assert s.get("role") == "img" and s["title"].strip() and s.get("aria-label") == s["title"], settings


@pytest.mark.parametrize("explorer, limit", [(IMAGE_EXPLORER, 450_000), (ISOLATION_EXPLORER, 200_000)], ids=ids)
def test_panes_stay_small(explorer, limit):
    """All panes together are the explorer's widget state in the page: well under 600 KB."""
    sizes = [len(explorer.pane(**settings)) for settings in explorer.positions()]
    assert sum(sizes) < limit, sum(sizes)
    assert max(sizes) < 16_000, max(sizes)


@pytest.mark.parametrize("explorer", EXPLORERS, ids=ids)
def test_widget_holds_every_pane_in_order_and_show_is_one_output(explorer):
    if not hasattr(ipywidgets, "Stack"):
        pytest.skip("ipywidgets 7 has no Stack (covered by the Colab-like test)")
    box, links = saved_links(explorer.widget)
    controls, root = box.children[1:-1], box.children[-1]
    assert len(controls) == len(explorer.controls)
    leaves: list[str] = []
    stacks: list = []

    def walk(w, level):
        if isinstance(w, ipywidgets.Stack):
            stacks.append(w)
            assert w.selected_index == explorer.controls[level].default_index
            for child in w.children:
                walk(child, level + 1)
        else:
            leaves.append(w.value)

    walk(root, 0)
    assert leaves == [explorer.pane(**p) for p in explorer.positions()]
    assert len(links) == len(stacks)  # one link per stack, saved with the page (test_explorer_core checks where)
    bundle = explorer.show()._repr_mimebundle_()
    model = bundle["application/vnd.jupyter.widget-view+json"]["model_id"]
    assert bundle["text/html"].startswith(f'<div class="rxt-static" data-rxt-model="{model}">')
    assert explorer.pane(**explorer.defaults) in bundle["text/html"]


# --- the photo explorer ---------------------------------------------------------------------------------------


def correlate3(x: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """3x3 cross-correlation with edges repeated, written out in numpy (no torch)."""
    p = np.pad(x, 1, mode="edge")
    h, w = x.shape
    return sum(kernel[i, j] * p[i:i + h, j:j + w] for i in range(3) for j in range(3))


def test_photo_is_a_32x32_grey_crop_of_the_china_photo():
    from sklearn.datasets import load_sample_image

    picture, what = im_maps.photo()
    assert picture.shape == (32, 32) and "china.jpg" in what
    rgb = load_sample_image("china.jpg").astype(np.float64) / 255
    top, left, side = im_maps.CROP
    grey = (rgb @ [0.299, 0.587, 0.114])[top:top + side, left:left + side]
    want = grey.reshape(32, 6, 32, 6).mean(axis=(1, 3))
    np.testing.assert_allclose(picture.numpy(), want, atol=1e-6)
    assert 0.1 < want.std(), "the crop has contrast: not a flat patch of sky"


def test_photo_falls_back_to_a_digit_when_the_photo_cannot_load(monkeypatch):
    import sklearn.datasets

    def broken(name):
        raise OSError("no photo here")

    monkeypatch.setattr(sklearn.datasets, "load_sample_image", broken)
    picture, what = im_maps.photo.__wrapped__()
    assert picture.shape == (32, 32) and "digit" in what
    assert 0 <= picture.min() and picture.max() <= 1 and picture.std() > 0.1


def test_input_channels_are_the_named_kernels_applied_to_the_photo():
    x = im_maps.photo()[0].numpy().astype(np.float64) - 0.5
    maps = im_maps.input_maps()
    assert maps.shape == (8, 32, 32) and len(im_maps.INPUT_CHANNELS) == 8
    for k, (label, what, kernel) in enumerate(im_maps.INPUT_CHANNELS):
        want = correlate3(x, np.array(kernel, dtype=np.float64))
        want /= np.abs(want).max()
        np.testing.assert_allclose(maps[k].numpy(), want, atol=1e-5, err_msg=label)
        assert label and what
    np.testing.assert_allclose(maps[1].numpy(), -maps[0].numpy(), atol=1e-6)  # inverse = minus brightness
    assert maps.abs().amax(dim=(1, 2)).tolist() == pytest.approx([im.INPUT_SCALE] * 8)


@pytest.mark.parametrize("groups", im_maps.GROUPS)
def test_outputs_equal_nn_conv2d_the_from_scratch_grouped_conv_and_a_manual_per_group_convolution(groups):
    x = im_maps.input_maps()[None]  # (1, 8, 32, 32)
    w_full = im_maps.full_weight()  # (8, 8, 3, 3)
    n = 8 // groups
    # the same kernels at every G: output k keeps the kernels of its own group's inputs
    weight = torch.stack([w_full[k, (k // n) * n:(k // n + 1) * n] for k in range(8)])
    torch.testing.assert_close(im_maps.grouped_weight(groups), weight)
    conv = nn.Conv2d(8, 8, 3, padding=1, groups=groups, bias=False)
    with torch.no_grad():
        conv.weight.copy_(weight)
        reference = conv(x)[0]
        scratch = GroupedConv2d.from_conv2d(conv)(x)[0]
        manual = torch.cat([F.conv2d(x[:, g * n:(g + 1) * n], w_full[g * n:(g + 1) * n, g * n:(g + 1) * n],
                                     padding=1) for g in range(groups)], dim=1)[0]
    out = im_maps.output_maps(groups)
    torch.testing.assert_close(out, reference)
    torch.testing.assert_close(out, scratch, rtol=1e-5, atol=1e-5)
    torch.testing.assert_close(out, manual, rtol=1e-5, atol=1e-5)
    layer = im_maps.grouped_layer(groups)
    assert (layer.in_channels, layer.out_channels, layer.groups, layer.bias) == (8, 8, groups, None)
    assert layer.padding == (1, 1) and layer.kernel_size == (3, 3)


def test_image_numbers_match_the_real_layer_and_its_connectivity():
    for settings in IMAGE_EXPLORER.positions():
        g, k = settings["groups"], settings["channel"]
        values = IMAGE_EXPLORER.compute(**settings)
        conv = im_maps.grouped_layer(g)
        reads = connectivity_mask(8, 8, g)[k].nonzero().flatten().tolist()
        assert values["groups"] == conv.groups
        assert values["params"] == conv.weight.numel() == sum(p.numel() for p in conv.parameters())
        assert values["in_per_group"] == conv.weight.shape[1] == len(reads)
        if g > 1:
            assert values["group"] == k // (8 // g)
            assert values["first_input"] == reads[0] and values.get("last_input", reads[0]) == reads[-1]
            assert values["unseen"] == 8 - len(reads)
        else:
            assert "group" not in values  # one group: nothing to single out
        assert values["output_scale"] == im_maps.output_scale() and values["weight_scale"] == im.WEIGHT_SCALE


def test_output_scale_is_the_99th_percentile_over_every_g():
    every = torch.cat([im_maps.output_maps(g).flatten().abs() for g in im_maps.GROUPS]).numpy()
    assert im_maps.output_scale() == pytest.approx(np.ceil(10 * np.quantile(every, 0.99)) / 10)
    assert (every > im_maps.output_scale()).mean() <= 0.01


def test_pictures_decode_to_the_maps_and_weights_on_one_scale_at_every_position():
    """Each pane has three images: the 8 inputs, the 8 filters, the 8 outputs. Decoded, each pixel is the map's
    value on the fixed scale (inputs +-1, outputs +-output_scale, weights +-WEIGHT_SCALE), the same sizes drawn at
    every position."""
    inputs = im_maps.input_maps()
    sizes = set()
    for settings in IMAGE_EXPLORER.positions():
        g = settings["groups"]
        pane = IMAGE_EXPLORER.pane(**settings)
        found = parts(pane)
        assert len(found.imgs) == 3
        sizes.add(tuple((a["width"], a["height"]) for a in found.imgs))
        col_in, col_filter, col_out = (decode(a["src"]) for a in found.imgs)
        for picture, maps, scale in ((col_in, inputs, 1.0), (col_out, im_maps.output_maps(g), im_maps.output_scale())):
            assert picture.mode == "L" and picture.size == (32, 8 * 40 - 8)
            pixels = np.asarray(picture) // 17  # PIL scales 4-bit greys to 0..255
            for k in range(8):
                want = np.round((np.clip(maps[k].numpy() / scale, -1, 1) + 1) * 7)
                np.testing.assert_array_equal(pixels[40 * k:40 * k + 32], want)
                if k < 7:
                    assert (pixels[40 * k + 32:40 * k + 40] == 15).all(), "the gap between maps is transparent"
            assert picture.info["transparency"] == 15
        assert col_filter.mode == "P" and col_filter.size == (31, 96) and col_filter.info["transparency"] == 0
        idx = np.asarray(col_filter)
        n = 8 // g
        weight = im_maps.grouped_weight(g)
        for k in range(8):
            rows = idx[12 * k + 3:12 * k + 6]  # the 3 weight rows of output k
            for i in range(8):
                slot = rows[:, 4 * i:4 * i + 3]
                if i // n == k // n:  # input i is in output k's group: its kernel is drawn
                    w = weight[k, i - (k // n) * n].numpy()
                    want = np.round(np.clip(w / im.WEIGHT_SCALE, -1, 1) * 7) + 8
                    np.testing.assert_array_equal(slot, want)
                else:
                    assert (slot == 0).all(), "no kernel from outside the group"
        assert (np.delete(idx, [12 * k + r for k in range(8) for r in (3, 4, 5)], axis=0) == 0).all()
    assert sizes == {(("48", "468"), ("155", "480"), ("48", "468"))}, "every column is drawn the same size"


def test_palette_runs_from_blue_through_white_to_red():
    colours = im.WEIGHT_COLOURS
    assert len(colours) == 16 and colours[8] == (247, 247, 247)
    assert colours[1][2] > colours[1][0] and colours[15][0] > colours[15][2]  # -scale blue, +scale red


def test_the_followed_channel_lights_up_its_group():
    """The tint covers the rows of the followed channel's group, veils cover every other row's pictures, and the
    outline rings sit on the followed output channel and its filter."""
    for settings in IMAGE_EXPLORER.positions():
        g, k = settings["groups"], settings["channel"]
        n = 8 // g
        lit = k // n
        pane = IMAGE_EXPLORER.pane(**settings)
        tint = re.search(r'left:0px; top:(-?\d+)px; width:\d+px; height:(\d+)px; background:rgba', pane)
        assert (int(tint[1]), int(tint[2])) == (60 * lit * n - 4, 60 * n - 4)
        veiled = sum(int(h) for h in re.findall(r'height:(\d+)px; background:var\(--pst-color-background', pane))
        assert veiled == 60 * (8 - n)
        rings = re.findall(r'left:(\d+)px; top:(\d+)px; width:(\d+)px; height:\d+px; outline', pane)
        assert rings == [(str(im.X_FILTER), str(60 * k + 15), "155"), (str(im.X_OUT), str(60 * k), "48")]
        assert f"Output channel {k} (outlined)" in pane


def test_pictures_fit_a_phone():
    assert im.WIDTH <= 358, "a 390 px phone leaves about 358 px for the pane"


# --- the isolation explorer -----------------------------------------------------------------------------------


def reference_changes(group: int, path: str) -> list[torch.Tensor]:
    """The per-channel largest change at the input and after each stage, recomputed with F.conv2d, F.batch_norm
    and F.relu from the modules' weights (no hooks, no module forward)."""
    x = iso.clean_input()
    y = x.clone()
    noise = torch.randn(1, 4, 8, 8, generator=torch.Generator().manual_seed(iso.SEED + 1))
    y[:, 4 * group:4 * group + 4] += iso.EPS * noise

    def stages(t: torch.Tensor) -> list[torch.Tensor]:
        if path == "ResNeXt block":
            b = iso.resnext_block()

            def bn(m, v):
                return F.batch_norm(v, m.running_mean, m.running_var, m.weight, m.bias, False, 0.0, m.eps)

            c1 = F.conv2d(t, b.conv1.weight)
            c2 = F.conv2d(F.relu(bn(b.bn1, c1)), b.conv2.weight, padding=1, groups=4)
            c3 = F.conv2d(F.relu(bn(b.bn2, c2)), b.conv3.weight)
            return [c1, c2, c3, F.relu(bn(b.bn3, c3) + t)]
        convs = [m for m in iso.grouped_layers() if isinstance(m, nn.Conv2d)]
        outs, h = [], t
        for conv in convs[:iso.PATHS.index(path) + 1]:
            h = F.conv2d(h, conv.weight, padding=1, groups=4)
            outs.append(h)
            h = F.relu(h)
        return outs

    with torch.no_grad():
        return [(y - x).abs().amax(dim=(0, 2, 3))] + [
            (a - b).abs().amax(dim=(0, 2, 3)) for a, b in zip(stages(y), stages(x))]


def test_perturbation_is_probes_perturb_group():
    from resnext_teach.experiments.probes import perturb_group

    for g in range(4):
        torch.testing.assert_close(iso.perturbed_input(g), perturb_group(iso.clean_input(), g, 4, 1.0, seed=1))
        changed = (iso.perturbed_input(g) != iso.clean_input()).any(dim=3).any(dim=2)[0]
        assert changed.nonzero().flatten().tolist() == list(range(4 * g, 4 * g + 4))


def test_the_modules_are_the_ones_named():
    convs = [m for m in iso.grouped_layers() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3 and all((c.in_channels, c.out_channels, c.groups, c.padding) == (16, 16, 4, (1, 1))
                                   for c in convs)
    assert [type(m) for m in iso.grouped_layers()] == [nn.Conv2d, nn.ReLU] * 2 + [nn.Conv2d]
    block = iso.resnext_block()
    assert isinstance(block, ResNeXtBottleneck) and not block.training
    assert (block.conv1.in_channels, block.conv2.groups, block.conv2.in_channels, block.conv3.out_channels) == (
        16, 4, 16, 16) and block.downsample is None


@pytest.mark.parametrize("path", iso.PATHS)
def test_changes_equal_an_independent_computation(path):
    for group in range(4):
        got = iso.stage_changes(group, path)
        want = reference_changes(group, path)
        assert [name for name, _ in got] == ["input"] + (
            list(iso.BLOCK_STAGES) if path == "ResNeXt block" else [f"layer {i + 1}" for i in range(len(want) - 1)])
        for (name, row), ref in zip(got, want):
            torch.testing.assert_close(torch.tensor(row), ref, rtol=1e-5, atol=1e-6, msg=f"{path} {group} {name}")
            assert (torch.tensor(row) > 0).tolist() == (ref > 0).tolist()


def test_grouped_layers_change_exactly_what_the_connectivity_mask_reaches():
    """After d grouped layers the changed channels are those reachable from the perturbed group through d
    connectivity masks: the group itself, at every depth. Outside it, outputs are bit-for-bit unchanged."""
    mask = connectivity_mask(16, 16, 4)
    for group in range(4):
        for path in iso.PATHS[:3]:
            rows = iso.stage_changes(group, path)
            reach = torch.zeros(16, dtype=torch.bool)
            reach[4 * group:4 * group + 4] = True
            for name, row in rows:
                if name != "input":
                    reach = mask[:, reach].any(dim=1)
                changed = torch.tensor(row) > 0
                assert changed.tolist() == reach.tolist(), (group, path, name)
                assert torch.equal(torch.tensor(row)[~reach], torch.zeros(int((~reach).sum())))
            assert iso.isolation_numbers(group, path)[f"changed_layer{len(rows) - 1}"] == 4


def test_the_block_changes_every_channel():
    dense = connectivity_mask(16, 16, 1)
    for group in range(4):
        rows = dict(iso.stage_changes(group, "ResNeXt block"))
        assert dense.all()  # the 1x1 convolutions connect every channel to every channel
        for name in iso.BLOCK_STAGES:
            assert all(c > 0 for c in rows[name]), (group, name)
        values = iso.isolation_numbers(group, "ResNeXt block")
        assert values == {"first": 4 * group, "last": 4 * group + 3, "changed_input": 4, "changed_conv1": 16,
                          "changed_conv2": 16, "changed_conv3": 16, "changed_output": 16}


def test_strips_draw_every_change_on_one_scale():
    """Each cell records its channel's change; a changed cell's colour is change_colour of it (one scale at every
    position, 0 to change_scale()), an unchanged one is empty and dashed with a 0; strips and legend are the same
    size everywhere, and the legend is the same picture everywhere."""
    top = iso.change_scale()
    assert top >= max(c for g in range(4) for p in iso.PATHS for _, r in iso.stage_changes(g, p) for c in r)
    channel_at = {str(iso._cell_x(k) + 1): k for k in range(16)}
    cell = re.compile(r'<rect x="(\d+)" y="1" width="(\d+)" height="(\d+)"(?: fill="(#[0-9a-f]{6})")? '
                      r'data-rxt-change="([^"]+)"/>')
    strip = re.compile(rf'<svg [^>]*width="{iso.STRIP_WIDTH}" height="{iso.CELL + 5}" .*?</svg>')
    legends = set()
    for settings in ISOLATION_EXPLORER.positions():
        pane = ISOLATION_EXPLORER.pane(**settings)
        rows = iso.stage_changes(**settings)
        drawn = strip.findall(pane)
        assert len(drawn) == len(rows)
        for svg, (name, row) in zip(drawn, rows):
            cells = {channel_at[x]: (w, h, fill, recorded) for x, w, h, fill, recorded in cell.findall(svg)}
            assert sorted(cells) == list(range(16)), name
            for k, change in enumerate(row):
                w, h, fill, recorded = cells[k]
                assert (w, h) == (str(iso.CELL - 2),) * 2
                if change > 0:
                    assert float(recorded) == pytest.approx(change, rel=1e-3) and fill == iso.change_colour(change)
                else:
                    assert recorded == "0" and fill == ""
            zeros = sum(c == 0 for c in row)
            assert svg.count(">0</text>") == zeros and ('stroke-dasharray="2 2"' in svg) == (zeros > 0)
            assert f"{sum(c > 0 for c in row)} of 16 channels changed" in svg  # its text alternative
        legends.add(re.search(r'<svg[^>]*aria-label="Colour scale.*?</svg>', pane).group(0))
    assert len(legends) == 1
    assert iso.change_colour(top) == "#800026" and iso.change_colour(1e-9) == "#ffeda0"
