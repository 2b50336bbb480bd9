"""What a plain notebook client (Colab, classic Jupyter) renders of the package's HTML: the connectivity pictures keep
their axis labels inside the picture (a 64 -> 128 layer drawn 80 px wide once cut "input channels (64)" to
"input channels (6"), and no explorer pane spaces its tables in a way those clients drop."""

import re

import pytest
import torch

from resnext_teach.book.svg import connectivity_svg

CHAR_PX = 6.5  # 11 px text, as svg.py estimates it


@pytest.mark.parametrize("c_in, c_out, size", [(64, 128, 160), (64, 128, 200), (128, 64, 160), (6, 6, 120),
                                               (256, 256, 180), (4, 128, 160)])
def test_the_input_label_fits_the_picture(c_in, c_out, size):
    svg = connectivity_svg(torch.ones(c_out, c_in, dtype=torch.bool), "a layer", size=size)
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg).group(1))
    shift = float(re.search(r'translate\(([\d.]+),', svg).group(1))
    x, anchor, text = re.search(r'<text x="([\d.-]+)" y="[\d.]+" font-size="11" text-anchor="(\w+)">(input[^<]+)<',
                                svg).groups()
    length = CHAR_PX * len(text)
    left = shift + float(x) - (length / 2 if anchor == "middle" else 0)
    assert text == f"input channels ({c_in})"
    assert 0 <= left and left + length <= width, (left, left + length, width)


def test_no_pane_spaces_a_table_with_border_spacing_or_a_negative_margin():
    """Notebook themes collapse table borders, which drops border-spacing (chapter 4's three-forms table ran its
    headers together in classic Jupyter); a negative margin pulls the table out of its output area."""
    from resnext_teach.book.explorers import EXPLORERS

    for explorer in EXPLORERS:
        pane = explorer.pane(**explorer.defaults)
        assert "border-spacing" not in pane and not re.search(r"margin:[^;\"'>]*-\d", pane), explorer.name
