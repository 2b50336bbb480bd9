"""An exercise's feedback is legible in every notebook theme (WCAG 1.4.3): it brings its own paper, and each state's
colour has at least 4.5:1 against it, whatever the page behind it (Colab and JupyterLab dark themes included)."""

import re

import pytest

from resnext_teach.book.exercises.feedback import right, unanswered, wrong


def luminance(hex_colour: str) -> float:
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("feedback", [right("Correct!"), wrong("Not yet: recount."), unanswered()],
                         ids=["right", "wrong", "unanswered"])
def test_feedback_brings_its_own_paper_with_enough_contrast(feedback):
    style = re.search(r'class="rxt-feedback" style="([^"]+)"', feedback._repr_html_()).group(1)
    declared = dict(part.split(":", 1) for part in style.replace(" ", "").split(";") if part)
    assert "background" in declared, "without its own background the colour depends on the notebook's theme"
    assert contrast(declared["color"], declared["background"]) >= 4.5, declared
