"""Helpers shared by the tests (``conftest.py`` puts this folder on ``sys.path``): ``from helpers import ...``.

The one home of "feedback never shows the answer": an exercise check may say what is off, never the value; and
of the measurements and reference numbers that the tests of more than one module share.
"""

from __future__ import annotations

import functools
import importlib.util
import re
from collections.abc import Iterable
from numbers import Integral, Real

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from resnext_teach import ModelConfig, ResNeXt, build_model, count_parameters


def _shows_whole_number(message: str, text: str) -> bool:
    # as a number of its own: not part of a longer number such as 184320, 1.8432 or 2,18432
    return re.search(rf"(?<![\d,.]){re.escape(text)}(?!\d)(?![,.]\d)", message) is not None


def shows(message: str, answer: object, ignore: Iterable[str] = ()) -> bool:
    """True when ``message`` shows ``answer``, once the fixed phrases in ``ignore`` (formulas such as
    ``"3 x 3 = 9"``, the same whatever the answer) are taken out.

    * an integer: written plainly or with thousands separators (``18432``, ``18,432``) as a number of its own;
    * a float: as ``repr`` or rounded to 3 significant digits, 2 or 1 decimals (and as an integer when whole);
    * a string: anywhere, as a substring (pass the printed forms of a shape, e.g. ``"(64, 3, 7, 7)"``);
    * a list, tuple or set: written as a whole (``[1, 2, 3]``, ``(1, 2, 3)``, ``1, 2, 3``, sorted or not).
    """
    for phrase in ignore:
        message = message.replace(phrase, " ")
    if isinstance(answer, str):
        return answer in message
    if isinstance(answer, bool):
        raise TypeError("a bool is no answer to look for")
    if isinstance(answer, Integral):
        n = int(answer)
        return any(_shows_whole_number(message, text) for text in {str(n), f"{n:,}"})
    if isinstance(answer, Real):
        x = float(answer)
        forms = {repr(x), f"{x:.3g}", f"{x:.2f}", f"{x:.1f}"}
        if x.is_integer():
            if shows(message, int(x)):
                return True
            forms = {form for form in forms if "." in form or "e" in form}  # the rest was checked just above
        return any(re.search(rf"(?<!\d){re.escape(form)}", message) for form in forms)
    if isinstance(answer, (list, tuple, set, frozenset)):
        orders = [list(answer)] if isinstance(answer, (list, tuple)) else []
        orders.append(sorted(answer))
        forms = set()
        for items in orders:
            forms |= {str(items), str(tuple(items)), ", ".join(map(str, items)), "".join(map(str, items))}
        return any(form in message for form in forms if len(form) > 1)
    raise TypeError(f"do not know how {type(answer).__name__} would show in a message")


def free_of(expected: object, message: str, ignore: Iterable[str] = ()) -> bool:
    """True when ``message`` does not show ``expected`` (see ``shows``)."""
    return not shows(message, expected, ignore)


def assert_never_reveals(feedback, *answers: object, ignore: Iterable[str] = ()) -> None:
    """The feedback says "not yet" and its message shows none of ``answers`` (see ``shows``)."""
    assert not feedback, feedback
    for answer in answers:
        assert free_of(answer, feedback.message, ignore), (answer, feedback.message)


# --- shared by the tests of several modules: reference numbers, real layers measured, meta-device models ---

HAVE_TORCHVISION = importlib.util.find_spec("torchvision") is not None


def torchvision_params(name: str) -> int:
    """torchvision's documented parameter count of ``name``: its weights' metadata (``num_params``, no download),
    the one source of the reference counts."""
    from torchvision.models import get_model_weights

    return get_model_weights(name).IMAGENET1K_V1.meta["num_params"]


def torchvision_gmacs(name: str) -> float:
    """torchvision's documented cost of ``name`` at 224x224, in billions: its weights' metadata (``_ops``, which
    torchvision labels "GFLOPS" and counts as multiply-adds, to 3 decimals)."""
    from torchvision.models import get_model_weights

    return get_model_weights(name).IMAGENET1K_V1.meta["_ops"]


TORCHVISION_MODELS = ("resnet50", "resnext50_32x4d", "resnet101", "resnext101_32x8d", "resnext101_64x4d")
RESNEXT50_PARAMS = torchvision_params("resnext50_32x4d") if HAVE_TORCHVISION else None  # what chapter 4 glues


def counted_flops(module, x):
    counter = FlopCounterMode(display=False)
    with counter:
        out = module(x)
    return counter.get_total_flops(), out


def numel(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


def pytorch_accepts(c_in: int, c_out: int, g: int) -> bool:
    try:
        nn.Conv2d(c_in, c_out, 1, groups=g, device="meta")
    except ValueError:
        return False
    return True


def reach_matrix(conv: nn.Conv2d) -> torch.Tensor:
    """(C_out, C_in) boolean: does output channel o respond to input channel i? Measured on the real layer with
    one one-pixel image per input channel (only the kernel's centre tap touches a 1x1 image with padding 1)."""
    conv = conv.double()
    basis = torch.eye(conv.in_channels, dtype=torch.float64).reshape(conv.in_channels, conv.in_channels, 1, 1)
    with torch.no_grad():
        out = conv(basis)[:, :, 0, 0]  # (input i, output o)
    return (out != 0).T


def counted_macs(block: torch.nn.Module, x: torch.Tensor) -> int:
    """Multiply-adds measured by PyTorch's FlopCounterMode, which counts a multiply-add as 2 FLOPs."""
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        block(x)
    return counter.get_total_flops() // 2


def independent_misbuilt_count(name: str) -> int:
    """Parameters of ``misbuilt_model(name)`` from the formula: the correct model minus its blocks, plus C paths
    of width out*d//C (1x1 in, 3x3, 1x1 out, two BNs each), bn3 and the shortcut, block by block."""
    with torch.device("meta"):
        model = build_model(name)
    total = count_parameters(model)
    for stage in model.stages:
        for block in stage:
            total -= count_parameters(block)
            c, out, c_in = block.cardinality, block.out_channels, block.in_channels
            w = out * block.bottleneck_width // c
            total += c * (c_in * w + 9 * w * w + w * out + 4 * w) + 2 * out
            if block.downsample is not None:
                total += c_in * out + 2 * out
    return total


def meta_model(config_or_name) -> ResNeXt:
    with torch.device("meta"):
        if isinstance(config_or_name, str):
            return build_model(config_or_name)
        return ResNeXt(config_or_name)


def full_model_costs(config: ModelConfig, image_size: int = 224) -> tuple[tuple[str, int, int], ...]:
    """``(stage, parameters, multiply-adds)`` for each stage of the whole model, every block built (meta device),
    counted without the package's counters: parameters by ``numel``, multiply-adds by hand from each convolution's
    and linear layer's output (elements x inputs that each one sums), on one forward pass. Measured once per
    configuration in a test session: the reference of the two-block ``stage_costs`` (test_stages.py) and of the
    model explorer (test_explorers_model.py)."""
    return _full_model_pass(config, image_size)[0]  # one cache key however the size is passed


def full_model_output_shape(config: ModelConfig, image_size: int = 224) -> tuple[int, ...]:
    """The output shape of that same forward pass of the whole model (one image, meta device)."""
    return _full_model_pass(config, image_size)[1]


@functools.cache
def _full_model_pass(config: ModelConfig, image_size: int) -> tuple[tuple[tuple[str, int, int], ...], tuple[int, ...]]:
    model = meta_model(config).eval()
    stage_of = {"conv1": 0, "bn1": 0, **{f"layer{i + 1}": i + 1 for i in range(len(config.layers))},
                "fc": len(config.layers) + 1}  # the paper's Table 1 rows: conv1, conv2, ..., fc
    params, macs = [0] * (len(config.layers) + 2), [0] * (len(config.layers) + 2)
    for name, child in model.named_children():
        assert name in stage_of or not numel(child), f"{name} holds parameters of no stage"
        params[stage_of.get(name, 0)] += numel(child)

    def count(stage: int):
        def hook(module: nn.Module, _args, out: torch.Tensor) -> None:  # returns None: the output is unchanged
            if isinstance(module, nn.Conv2d):
                k_h, k_w = module.kernel_size
                macs[stage] += out.numel() * module.in_channels // module.groups * k_h * k_w
            else:
                macs[stage] += out.numel() * module.in_features
        return hook

    handles = [m.register_forward_hook(count(stage_of[name.split(".")[0]]))
               for name, m in model.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    with torch.no_grad():
        out = model(meta_image(image_size, channels=config.in_channels))
    for handle in handles:
        handle.remove()
    names = ["conv1", *(f"conv{i + 2}" for i in range(len(config.layers))), "fc"]
    return tuple(zip(names, params, macs)), tuple(out.shape)


def meta_image(size: int = 224, batch: int = 1, channels: int = 3) -> torch.Tensor:
    with torch.device("meta"):
        return torch.empty(batch, channels, size, size)


def stage_inputs(model: ResNeXt, x: torch.Tensor) -> dict[str, torch.Tensor]:
    """The tensor that enters each top-level module (forward pre-hooks), for an independent per-stage count."""
    seen: dict[str, torch.Tensor] = {}
    hooks = [m.register_forward_pre_hook(lambda _m, args, name=name: seen.setdefault(name, args[0]))
             for name, m in model.named_children()]
    with torch.no_grad():
        model(x)
    for h in hooks:
        h.remove()
    return seen
