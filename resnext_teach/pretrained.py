"""torchvision's ImageNet weights in our models, and the layout check that makes ``strict=True`` loading work.

Our models use torchvision's module names and shapes (``conv1``, ``layer1.0.conv2``, ``layer1.0.downsample.0``,
``fc``), so a torchvision checkpoint is a ready-made ``state_dict`` for them:

    model, weights = load_pretrained("resnext50_32x4d")     # downloads ~100 MB once (torch.hub cache)

Where torchvision is missing, or the file is neither cached nor downloadable (no network), ``load_pretrained``
raises ``PretrainedUnavailable`` with a message that says what to do. ``check_torchvision_layout`` compares the
keys and shapes of our ``state_dict`` with those of torchvision's model built without weights; ``torchvision_model``
and ``torchvision_weights`` give torchvision's own model and its weights' documented numbers.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from types import ModuleType
from typing import Any, NamedTuple
from urllib.error import URLError
from urllib.parse import urlparse

import torch

from .models import MODEL_CONFIGS, ResNeXt, build_model
from .validation import check_bool, check_choice, check_instance, describe

__all__ = ["PretrainedUnavailable", "load_pretrained", "check_torchvision_layout", "compare_layouts",
           "torchvision_weights", "torchvision_model"]


class PretrainedUnavailable(RuntimeError):
    """The weights cannot be had here (no torchvision, no cached file and no download); the message says why."""


class Pretrained(NamedTuple):
    """A model with loaded weights, and torchvision's weights entry (``.transforms()``, ``.meta["categories"]``)."""

    model: ResNeXt
    weights: Any


@dataclass(frozen=True)
class LayoutReport:
    """How two ``state_dict`` layouts differ: keys only in ours, keys only in the reference, shape mismatches."""

    keys: int  # keys in ours
    missing: tuple[str, ...]  # in the reference, not in ours
    unexpected: tuple[str, ...]  # in ours, not in the reference
    mismatched: tuple[tuple[str, tuple[int, ...], tuple[int, ...]], ...]  # (key, our shape, reference shape)
    same_order: bool  # keys in the same order (not needed by load_state_dict, but a sign of a faithful port)

    @property
    def ok(self) -> bool:
        """True when ``load_state_dict(reference, strict=True)`` can succeed: same keys, same shapes."""
        return not (self.missing or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        if self.ok:
            order = "in the same order" if self.same_order else "in another order"
            return f"layouts match: {self.keys} keys with equal shapes, {order}"
        parts = []
        if self.missing:
            parts.append(f"{len(self.missing)} missing (e.g. {self.missing[0]})")
        if self.unexpected:
            parts.append(f"{len(self.unexpected)} unexpected (e.g. {self.unexpected[0]})")
        if self.mismatched:
            key, ours, ref = self.mismatched[0]
            parts.append(f"{len(self.mismatched)} with other shapes (e.g. {key}: ours {ours}, reference {ref})")
        return "layouts differ: " + "; ".join(parts)


def compare_layouts(ours: dict[str, torch.Tensor], reference: dict[str, torch.Tensor]) -> LayoutReport:
    """Compare two state dicts by keys and tensor shapes (values are ignored: meta tensors are fine)."""
    for name, state in (("ours", ours), ("reference", reference)):
        check_instance(name, state, dict, "state_dict (a dict of name -> tensor)")
        check_instance(f"{name}'s values", next(iter(state.values()), torch.zeros(())), torch.Tensor, "torch.Tensor")
    our_keys, ref_keys = list(ours), list(reference)
    missing = tuple(k for k in ref_keys if k not in ours)
    unexpected = tuple(k for k in our_keys if k not in reference)
    mismatched = tuple(
        (k, tuple(ours[k].shape), tuple(reference[k].shape))
        for k in our_keys
        if k in reference and ours[k].shape != reference[k].shape
    )
    return LayoutReport(len(our_keys), missing, unexpected, mismatched, our_keys == ref_keys)


def _torchvision() -> ModuleType:
    try:
        import torchvision  # optional: not a dependency of the package (Colab and requirements.txt have it)
    except ImportError as err:
        raise PretrainedUnavailable(
            "torchvision is not installed, so its weights and reference models are unavailable; "
            "install it with `pip install torchvision` (Colab has it)"
        ) from err
    return torchvision


def torchvision_weights(name: str, weights: str = "IMAGENET1K_V1") -> Any:
    """torchvision's weights entry for model ``name`` (e.g. ``ResNeXt50_32X4D_Weights.IMAGENET1K_V1``).

    ``weights`` is a member name of torchvision's enum: ``"IMAGENET1K_V1"`` (the original training recipe),
    ``"IMAGENET1K_V2"`` (a newer, longer recipe, where published) or ``"DEFAULT"`` (the best published).
    """
    check_choice("name", name, MODEL_CONFIGS, "model")
    check_instance("weights", weights, str, "str such as 'IMAGENET1K_V1'")
    tv = _torchvision()
    try:
        enum = tv.models.get_model_weights(name)
    except ValueError as err:
        published = sorted(n for n in MODEL_CONFIGS if n in tv.models.list_models())
        raise ValueError(f"name={name!r}: torchvision publishes no weights for {name!r}; it has weights for "
                         f"{published}") from err
    if weights not in enum.__members__:
        raise ValueError(f"weights={weights!r} is not one of {enum.__name__}'s members {list(enum.__members__)}")
    return enum[weights]


def torchvision_model(name: str, weights: Any = None) -> torch.nn.Module:
    """torchvision's own model ``name`` (the reference implementation) in eval mode: randomly initialised
    (``weights=None``) or with a weights entry such as ``Pretrained.weights`` (or its member name, such as
    ``"IMAGENET1K_V1"``: that downloads the file once). Raises ``PretrainedUnavailable``
    where torchvision is missing."""
    check_choice("name", name, MODEL_CONFIGS, "model")
    tv = _torchvision()
    if name not in tv.models.list_models():
        raise ValueError(f"name={name!r}: torchvision has no model of that name")
    if isinstance(weights, str):
        weights = torchvision_weights(name, weights)  # "DEFAULT", "IMAGENET1K_V1", ...: refused by name if unknown
    elif weights is not None:
        enum = tv.models.get_model_weights(name)
        if not isinstance(weights, enum):
            raise TypeError(f"weights={describe(weights)} must be None, a member name such as 'IMAGENET1K_V1' or "
                            f"an entry of {enum.__name__}, not {type(weights).__name__}")
    return tv.models.get_model(name, weights=weights).eval()


def checkpoint_path(weights: Any) -> str:
    """Where ``torch.hub`` keeps (or would keep) the file of ``weights``."""
    filename = os.path.basename(urlparse(weights.url).path)
    return os.path.join(torch.hub.get_dir(), "checkpoints", filename)


def load_pretrained(
    name: str = "resnext50_32x4d",
    weights: str = "IMAGENET1K_V1",
    download: bool = True,
    check_hash: bool = True,
    progress: bool = False,
) -> Pretrained:
    """Build our ``name`` and load torchvision's ImageNet ``weights`` into it with ``strict=True`` (eval mode).

    The file is read from the ``torch.hub`` cache, or downloaded there when ``download`` is true. Raises
    ``PretrainedUnavailable`` (with what to do) when torchvision is missing or the file can be neither found nor
    downloaded; a wrong ``name`` or ``weights`` is a ``ValueError``.
    """
    for flag, value in (("download", download), ("check_hash", check_hash), ("progress", progress)):
        check_bool(flag, value)
    entry = torchvision_weights(name, weights)
    path = checkpoint_path(entry)
    if not os.path.exists(path) and not download:
        raise PretrainedUnavailable(
            f"the weights {entry} are not in the torch.hub cache ({path}) and download=False; "
            "call with download=True on a machine with internet access"
        )
    try:
        state = entry.get_state_dict(progress=progress, check_hash=check_hash)
    except (URLError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise PretrainedUnavailable(
            f"could not download {entry.url} ({reason}); on a machine without internet access, "
            f"copy that file to {path}"
        ) from err
    model = build_model(name, num_classes=len(entry.meta["categories"]))
    model.load_state_dict(state, strict=True)  # every key present, every shape equal, nothing left over
    return Pretrained(model.eval(), entry)


def check_torchvision_layout(name: str) -> LayoutReport:
    """Compare our ``name`` with torchvision's model of the same name, both built without weights on ``meta``."""
    check_choice("name", name, MODEL_CONFIGS, "model")
    tv = _torchvision()
    if name not in tv.models.list_models():
        raise ValueError(f"torchvision has no model named {name!r} to compare with")
    config = MODEL_CONFIGS[name]
    with torch.device("meta"):
        reference = tv.models.get_model(name, weights=None, num_classes=config.num_classes)
        ours = build_model(name)
    return compare_layouts(ours.state_dict(), reference.state_dict())
