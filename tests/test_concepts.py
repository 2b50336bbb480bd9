"""The questions of why (``book/exercises/concepts.py``): each wrong option is answered with its own reason, the right
one with why it is right, anything else with a form message; the chapters show them and check them."""

import pytest

from resnext_teach.book.exercises import concepts
from resnext_teach.book.exercises.concepts import Concept

CHECKS = {name: getattr(concepts, name) for name in concepts.__all__}
QUESTIONS = [v for v in vars(concepts).values() if isinstance(v, Concept)]
CHECK_NAMES = [n for n in concepts.__all__ if n.startswith("check_")]


def test_one_question_per_chapter_and_each_check_reads_its_own_question():
    assert len(QUESTIONS) == len(CHECK_NAMES) == 7
    for name in CHECK_NAMES:
        shown = concepts.choices(CHECKS[name])
        concept = next(q for q in QUESTIONS if q.question == shown.question)
        assert CHECKS[name](concept.right), name  # the check reads the question its options show
    rights = [q.right for q in QUESTIONS]
    assert len(set(rights)) > 2, f"the right letters must vary, not always {rights[0]}"


@pytest.mark.parametrize("concept", QUESTIONS, ids=lambda q: q.question[:40])
def test_every_option_gets_its_own_feedback(concept):
    check = concept.exercise.check
    verdict = check(concept.right)
    assert verdict and concept.why in verdict.message
    assert check(concept.right.lower()) and check(f" {concept.right} ")
    for letter, reason in concept.wrong.items():
        feedback = check(letter)
        assert not feedback and feedback.answered and reason in feedback.message, letter
    for odd in ("", "AB", "Z", 3, float("nan"), ["A", "B"], b"A", object()):
        feedback = check(odd)
        assert not feedback and feedback.message, odd
    assert not check(None).answered


def test_a_question_without_a_reason_for_every_wrong_option_is_refused():
    with pytest.raises(ValueError, match="needs its reason"):
        Concept("Q?", {"A": "a", "B": "b", "C": "c"}, right="A", why="because", wrong={"B": "no"})


def test_the_options_show_as_markdown_in_a_notebook_without_the_answer():
    shown = concepts.choices(concepts.check_what_mixes_groups)
    md = shown._repr_markdown_()
    assert md.splitlines()[0].startswith("- **A.** ") and len(md.splitlines()) == 4
    assert not hasattr(shown, "right") and not hasattr(shown, "why")
    with pytest.raises(ValueError, match="check='print' is not a question of why"):
        concepts.choices(print)
    with pytest.raises(TypeError, match="check must be one of"):
        concepts.choices("B")


def test_every_chapter_asks_a_question_of_why_and_shows_its_options_from_the_package():
    from sources import CHAPTERS, read_source

    for path in CHAPTERS:
        cells = read_source(path).cells
        code = "\n".join(c.source for c in cells if c.cell_type == "code")
        asked = [name for name in CHECK_NAMES if f"{name}(answer)" in code]
        assert len(asked) == 1, f"{path.name}: asks {asked}; each chapter asks one question of why"
        assert f"choices({asked[0]})" in code, f"{path.name}: the options come from concepts.choices"
        question = concepts.choices(CHECKS[asked[0]]).question
        prose = " ".join("\n".join(c.source for c in cells if c.cell_type == "markdown").split())
        assert question in prose, f"{path.name}: the exercise does not ask {question!r} as the package declares it"


def test_each_question_named_answers_a_letter_outside_its_options_with_the_options():
    for feedback in (concepts.check_why_weights_are_shared("Z"), concepts.check_what_mixes_groups("Z"),
                     concepts.check_why_fix_the_budget("Z"), concepts.check_why_dense_1x1("Z"),
                     concepts.check_why_not_faster_on_a_gpu("Z"), concepts.check_why_not_32_times_faster("Z"),
                     concepts.check_why_several_seeds("Z")):
        assert not feedback and "A, B, C, D" in feedback.message


def test_what_the_reasons_say_of_the_models_holds():
    """The reasons state facts about the models; the package's own models say so (on the meta device)."""
    import torch
    from torch import nn

    from resnext_teach import build_model, conv2d_params

    with torch.device("meta"):
        resnet, resnext = build_model("resnet50"), build_model("resnext50_32x4d")
    size = [sum(p.numel() for p in m.parameters()) for m in (resnet, resnext)]
    assert size[1] < size[0]  # "it has slightly fewer (Table 1)"
    depth = [sum(isinstance(m, (nn.Conv2d, nn.Linear)) and not _shortcut(name)
                 for name, m in model.named_modules()) for model in (resnet, resnext)]
    assert depth == [50, 50]  # "both have 50 layers"
    assert conv2d_params(128, 128, 1, groups=32) * 32 == conv2d_params(128, 128, 1)  # "nn.Conv2d(256, 128, 1,
    # groups=32) is a legal layer", and grouping divides a layer's weights by G
    nn.Conv2d(256, 128, 1, groups=32, device="meta")


def _shortcut(name: str) -> bool:
    return "downsample" in name
