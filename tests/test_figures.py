"""``resnext_teach.book.figures``: the figure of the block's three forms (the paper's Fig. 3), its labels against the
package's blocks, its scale and its readability."""

import re

import matplotlib.text
import pytest

from resnext_teach import ResNeXtBottleneck, grouped_width
from resnext_teach.book.figures import FONT_SIZE, block_forms_figure


@pytest.mark.parametrize("spec", [(256, 64, 32, 4), (256, 64, 8, 14), (256, 64, 2, 40), (512, 128, 32, 4), (64, 64, 4, 24)])
def test_block_forms_figure_labels_are_the_blocks(spec):
    """Every label with a number is one the package's blocks imply, and every such label is drawn."""
    in_channels, planes, c, d = spec
    block = ResNeXtBottleneck(in_channels, planes, cardinality=c, bottleneck_width=d)
    width, d_path, out = block.conv2.in_channels, block.conv2.in_channels // c, block.conv3.out_channels
    assert width == grouped_width(planes, d, c) and out == 4 * planes
    expected = {
        f"(a) aggregated, {c} paths", f"x: {in_channels} channels", f"y = x + F(x): {out} channels", "path 1", f"path {c}",
        f"{in_channels}, 1x1, {d_path}", f"{d_path}, 3x3, {d_path}", f"{d_path}, 1x1, {out}",  # one path, (a) and (b)
        f"concatenate: {width} channels", f"{width}, 1x1, {out}",  # (b)'s last layer, also (c)'s conv3
        f"{in_channels}, 1x1, {width}", f"{width}, 3x3, {width}\ngroups = {c}",  # (c)
    }
    drawing = block_forms_figure(in_channels, planes, c, d)
    texts = drawing.texts()
    assert {t for t in texts if re.search(r"\d", t)} == expected
    assert texts.count(f"{in_channels}, 1x1, {d_path}") == 4 and texts.count(f"{d_path}, 3x3, {d_path}") == 4
    assert ("..." in texts) == (c > 2)
    assert f"{c}x{d}d" in drawing.description


def test_block_forms_figure_is_true_to_scale_and_readable():
    drawing = block_forms_figure()
    fig = drawing.figure
    (ax,) = fig.axes
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    assert ax.get_aspect() == 1.0 and (x1 - x0) / (y1 - y0) == pytest.approx(fig.get_figwidth() / fig.get_figheight())
    assert tuple(ax.get_position().bounds) == (0, 0, 1, 1)  # one axes unit is one inch both ways
    texts = [t for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
    assert texts and min(t.get_fontsize() for t in texts) >= FONT_SIZE >= 10
    svg = drawing._repr_svg_()
    assert svg.startswith("<svg ") and 'role="img"' in svg and "<title>The paper&#x27;s Figure 3" in svg
    assert svg == block_forms_figure().svg()  # the same figure gives the same file on every build
    with pytest.raises(ValueError, match="cardinality=1 must be at least 2"):
        block_forms_figure(cardinality=1, bottleneck_width=64)
