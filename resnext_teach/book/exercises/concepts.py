"""Questions of why: one per chapter, a choice of four, each wrong option answered with why it is wrong.

A ``Concept`` is the question, its options and the reason each wrong one fails; ``concept.exercise`` makes it an
``Exercise`` (``core``) read with ``Letters``, so it is checked, graded and shown in the page's answer box like every
other exercise. The chapter quotes ``options`` as they are here (tests/test_concepts.py holds it to that); the
feedback for a wrong letter is that option's reason, and a right answer is told why it is right.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .core import Exercise
from .feedback import Feedback
from .readers import Letters

__all__ = [
    "check_what_mixes_groups",
    "check_why_dense_1x1",
    "check_why_fix_the_budget",
    "check_why_not_32_times_faster",
    "check_why_not_faster_on_a_gpu",
    "check_why_several_seeds",
    "check_why_weights_are_shared",
    "choices",
]


@dataclass(frozen=True)
class Concept:
    """``options``: letter -> option text; ``right``: the right letter; ``why``: why it is right; ``wrong``:
    letter -> why that option is wrong (every other letter has one)."""

    question: str
    options: Mapping[str, str]
    right: str
    why: str
    wrong: Mapping[str, str]
    exercise: Exercise = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self.right not in self.options or set(self.wrong) != set(self.options) - {self.right}:
            raise ValueError(f"{self.question!r}: every option but the right one ({self.right}) needs its reason")
        exercise = Exercise(
            "the letter of the right option",
            {},
            solve=lambda: {self.right},
            reader=Letters(tuple(self.options)),
            slips=lambda: {f"Not {letter}: {reason}": {letter} for letter, reason in self.wrong.items()},
            method=f"Choose one letter among {', '.join(self.options)}.",
            echo=lambda value: f"{self.right}. {self.why}",
        )
        object.__setattr__(self, "exercise", exercise)



_WEIGHTS_SHARED = Concept(
    "Why does a convolution's parameter count not depend on the image size, while its multiply-adds do?",
    {
        "A": "Padding keeps the output as large as the input, so the size cancels out.",
        "B": "PyTorch stores the weights of one position and copies them to the others when it runs.",
        "C": "The same filters slide over every position: the weights are shared, each used once per output value.",
        "D": "The bias absorbs the dependence on the size.",
    },
    right="C",
    why="One K x K x C_in filter per output channel serves every position, so a larger image means more uses of the same weights (more multiply-adds) and no new weights.",
    wrong={
        "A": "padding changes the output size, but the weight count never had the size in it: C_out x C_in x K x K.",
        "B": "nothing is copied; a layer with its own weights at every position would be a different layer (a locally connected one).",
        "D": "the bias adds C_out numbers whatever the size; it has no part in this.",
    },
)

_GROUPS_MIX = Concept(
    "In a network of grouped 3x3 convolutions (G = 32), what lets an output channel of group 0 use an input channel of group 10?",
    {
        "A": "The bias of the grouped layer.",
        "B": "Nothing in that layer: a layer that is not grouped, such as the 1x1 convolution after it, mixes the groups.",
        "C": "Backpropagation: the gradients flow between the groups.",
        "D": "Batch normalization after the layer.",
    },
    right="B",
    why="Inside a grouped layer every output sees only its own group's inputs; the dense 1x1 convolutions of the block connect every channel to every channel, so information crosses groups there.",
    wrong={
        "A": "a bias is one number added per output channel; it reads no input channel.",
        "C": "the gradient of group 0's weights depends only on group 0's inputs: backpropagation follows the same connections as the forward pass.",
        "D": "batch normalization rescales each channel on its own; it never combines two channels.",
    },
)

_FIX_THE_BUDGET = Concept(
    "Why does the paper keep the parameters and FLOPs fixed when it compares cardinalities (Table 3)?",
    {
        "A": "Because training with more FLOPs would not fit ImageNet's schedule.",
        "B": "Because grouped convolutions cannot be made wider.",
        "C": "Because a GPU needs the same number of FLOPs to run every model.",
        "D": "So that a better result cannot come from a bigger model: only the way the budget is spent changes.",
    },
    right="D",
    why="Raising C at a fixed budget narrows each path (d shrinks) while the width C x d grows; if accuracy still improves, the gain is due to cardinality, not to capacity.",
    wrong={
        "A": "the schedule is the same for every model; the budget is fixed for fairness, not for time.",
        "B": "they can: the paper's Eq. 4 widens them (C x d grows) to keep the budget.",
        "C": "nothing forces a GPU to run equal FLOPs; the choice is about a fair comparison, not hardware.",
    },
)

_DENSE_1X1 = Concept(
    "Why are the two 1x1 convolutions of a ResNeXt block not grouped?",
    {
        "A": "They are where the block mixes channels; grouped, the block would be C separate narrow networks.",
        "B": "PyTorch cannot group a 1x1 convolution.",
        "C": "Grouping them would add parameters.",
        "D": "The paper's three forms require a 1x1 convolution to have one group.",
    },
    right="A",
    why="The paths of the grouped 3x3 never meet; the first 1x1 gives every path all of the block's input and the last one combines every path's output.",
    wrong={
        "B": "nn.Conv2d(256, 128, 1, groups=32) is a legal layer.",
        "C": "grouping divides a layer's weights by G; it would remove parameters, and the mixing with them.",
        "D": "the three forms show the aggregated paths are equivalent to one grouped 3x3; they say nothing that forbids a grouped 1x1, it would just break the aggregation of the paths.",
    },
)

_NOT_FASTER_ON_A_GPU = Concept(
    "ResNeXt-50 needs about as many multiply-adds as ResNet-50. Why is it often slower in practice?",
    {
        "A": "PyTorch's counter under-counts the multiply-adds of grouped convolutions.",
        "B": "It has more parameters than ResNet-50.",
        "C": "Its grouped 3x3 convolutions do few multiply-adds per byte they move, so they run far below the hardware's peak.",
        "D": "It has more layers than ResNet-50.",
    },
    right="C",
    why="Time follows the bytes moved as much as the arithmetic: a layer with low arithmetic intensity waits for memory, whatever its multiply-adds (chapter 5's roofline).",
    wrong={
        "A": "the forward count of a grouped convolution is exact; only the backward over-counts, and it over-counts.",
        "B": "it has slightly fewer (Table 1), and the parameter count does not set the time anyway.",
        "D": "both have 50 layers: the same stages, blocks and depth.",
    },
)

_NOT_32_TIMES_FASTER = Concept(
    "A 3x3 convolution with G = 32 does 32 times fewer multiply-adds than with G = 1. Why is it not 32 times faster?",
    {
        "A": "PyTorch runs the 32 groups one after another in a Python loop.",
        "B": "It still reads and writes the same activations, and each group is a small piece of work: memory traffic and overheads do not shrink with G.",
        "C": "Its weights are 32 times larger.",
        "D": "The multiply-adds are miscounted: a grouped layer does as many as a dense one.",
    },
    right="B",
    why="The arithmetic shrinks by G but the input and output tensors keep their size, so time stops following the multiply-adds once the layer waits on memory.",
    wrong={
        "A": "one library call computes all groups; there is no Python loop per group.",
        "C": "its weights are 32 times fewer, not larger.",
        "D": "the count is exact (checked against FlopCounterMode): 32 times fewer.",
    },
)

_SEVERAL_SEEDS = Concept(
    "Why does the book train each model with several seeds and report an interval, not one accuracy per model?",
    {
        "A": "Because a CPU gives a different result every time for the same seed.",
        "B": "To make training faster.",
        "C": "Because one run cannot use the whole training set.",
        "D": "Two runs of the same model differ with the seed; the interval says whether a difference is larger than that noise.",
    },
    right="D",
    why="A single pair of runs can differ by chance (initialization, order of the batches); only a difference outside the interval of paired differences counts as evidence.",
    wrong={
        "A": "with a fixed seed and one thread, a run repeats exactly; the seeds are varied on purpose.",
        "B": "several seeds take several times longer.",
        "C": "every run uses the whole training set; the seeds change the initialization and the order.",
    },
)


# the Exercise of each question, for the grader and the tests (a check function returns its verdict)
_WEIGHTS_SHARED_EXERCISE = _WEIGHTS_SHARED.exercise
_GROUPS_MIX_EXERCISE = _GROUPS_MIX.exercise
_FIX_THE_BUDGET_EXERCISE = _FIX_THE_BUDGET.exercise
_DENSE_1X1_EXERCISE = _DENSE_1X1.exercise
_NOT_FASTER_ON_A_GPU_EXERCISE = _NOT_FASTER_ON_A_GPU.exercise
_NOT_32_TIMES_FASTER_EXERCISE = _NOT_32_TIMES_FASTER.exercise
_SEVERAL_SEEDS_EXERCISE = _SEVERAL_SEEDS.exercise

def check_why_weights_are_shared(answer: object) -> Feedback:
    """Chapter 1: why parameters do not depend on the image size (one letter)."""
    return _WEIGHTS_SHARED_EXERCISE.check(answer)


def check_what_mixes_groups(answer: object) -> Feedback:
    """Chapter 2: what lets information cross groups (one letter)."""
    return _GROUPS_MIX_EXERCISE.check(answer)


def check_why_fix_the_budget(answer: object) -> Feedback:
    """Chapter 3: why the paper fixes the complexity when it varies C (one letter)."""
    return _FIX_THE_BUDGET_EXERCISE.check(answer)


def check_why_dense_1x1(answer: object) -> Feedback:
    """Chapter 4: why the block's 1x1 convolutions are not grouped (one letter)."""
    return _DENSE_1X1_EXERCISE.check(answer)


def check_why_not_faster_on_a_gpu(answer: object) -> Feedback:
    """Chapter 5: why equal multiply-adds do not mean equal time (one letter)."""
    return _NOT_FASTER_ON_A_GPU_EXERCISE.check(answer)


def check_why_not_32_times_faster(answer: object) -> Feedback:
    """Chapter 6: why G = 32 is not 32 times faster (one letter)."""
    return _NOT_32_TIMES_FASTER_EXERCISE.check(answer)


def check_why_several_seeds(answer: object) -> Feedback:
    """Chapter 7: why several seeds and an interval (one letter)."""
    return _SEVERAL_SEEDS_EXERCISE.check(answer)


_BY_CHECK = {
    check_why_weights_are_shared: _WEIGHTS_SHARED, check_what_mixes_groups: _GROUPS_MIX,
    check_why_fix_the_budget: _FIX_THE_BUDGET, check_why_dense_1x1: _DENSE_1X1,
    check_why_not_faster_on_a_gpu: _NOT_FASTER_ON_A_GPU, check_why_not_32_times_faster: _NOT_32_TIMES_FASTER,
    check_why_several_seeds: _SEVERAL_SEEDS,
}


@dataclass(frozen=True)
class Choices:
    """A question's options as a chapter shows them (no answer in it): Markdown in a notebook and on the page."""

    question: str
    options: Mapping[str, str]

    def _repr_markdown_(self) -> str:
        return "\n".join(f"- **{letter}.** {text}" for letter, text in self.options.items())


def choices(check: object) -> Choices:
    """The question and options that ``check`` (one of this module's check functions) reads a letter for."""
    names = ", ".join(f.__name__ for f in _BY_CHECK)
    if not callable(check):
        raise TypeError(f"check must be one of this module's check functions ({names}), not {type(check).__name__}")
    if check not in _BY_CHECK:
        raise ValueError(f"check={getattr(check, '__name__', check)!r} is not a question of why: give one of {names}")
    concept = _BY_CHECK[check]
    return Choices(concept.question, dict(concept.options))
