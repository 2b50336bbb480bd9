"""What each measurement campaign times: the experiments that chapters 4-6 draw a conclusion from.

Each ``build_<experiment>(device)`` returns ``(fns, candidates, settings)``: the functions to time in interleaved
rounds (``{label: fn}``), what each candidate is (its multiply-adds or bytes, its kind, its shape: plain JSON),
and the experiment's sizes. ``experiments.campaign`` runs them in fresh processes and writes the record.

* ``block_forms`` (chapter 4): the three forms of the ResNeXt block, and the ResNet block, on 8 x 256 x 28 x 28;
* ``roofline`` (chapters 5 and 6): every distinct convolution of ResNet-50 and ResNeXt-50 at batch 1, a 1024 x 1024
  matrix product and a 256-channel 3x3 convolution (the peak candidates), and a 256 MiB copy (the bandwidth);
* ``groups_sweep`` (chapter 6, claim 4a): one 3x3 convolution, 256 channels on 28 x 28, for G = 1 ... 256;
* ``memory_formats`` (chapter 6): the dense and the 32-group layer, NCHW and NHWC;
* ``networks`` (chapter 6, claim 4b): ResNet-50 and ResNeXt-50 forward at batch 1 and batch 8 on 224 x 224.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..blocks import ResNeXtBottleneck, convert_block
from ..flops import measure_macs
from ..intensity import conv_intensity, conv_kind
from ..models import build_model
from ..roofline import PEAK_CONV, distinct_convs

Built = tuple[dict[str, Callable[[], object]], dict[str, dict], dict]

SWEEP_GROUPS = (1, 2, 4, 8, 16, 32, 64, 256)
NETWORKS = ("resnet50", "resnext50_32x4d")
NETWORK_BATCHES = (1, 8)
FORMS_INPUT = (8, 256, 28, 28)
MATMUL_SIZE = 1024
COPY_MEGABYTES = 256


def _forward(module: nn.Module, x: torch.Tensor) -> Callable[[], object]:
    module.eval()

    def run() -> object:
        with torch.no_grad():
            return module(x)

    return run


def _conv_entry(conv: nn.Conv2d, shape: tuple[int, ...], **extra: object) -> dict:
    work = conv_intensity(conv, shape[2:], shape[0])
    return dict(kind=conv_kind(conv), macs=work.macs, bytes=work.bytes_moved, input_shape=list(shape), **extra)


def build_block_forms(device: torch.device) -> Built:
    grouped = ResNeXtBottleneck(256, 64, cardinality=32, bottleneck_width=4).to(device).eval()
    modules = {"(a) aggregated": convert_block(grouped, "aggregated"),
               "(b) concatenated": convert_block(grouped, "concatenated"), "(c) grouped": grouped,
               "ResNet block": ResNeXtBottleneck(256, 64, cardinality=1, bottleneck_width=64)}
    x = torch.randn(FORMS_INPUT, device=device)
    fns, candidates = {}, {}
    for label, module in modules.items():
        module.to(device).eval()
        fns[label] = _forward(module, x)
        candidates[label] = dict(macs=measure_macs(module, x),
                                 convolutions=sum(isinstance(m, nn.Conv2d) for m in module.modules()))
    return fns, candidates, dict(input_shape=list(FORMS_INPUT), block="ResNeXtBottleneck(256, 64, 32, 4)")


def build_roofline(device: torch.device) -> Built:
    fns, candidates = {}, {}
    a, b = (torch.randn(MATMUL_SIZE, MATMUL_SIZE, device=device) for _ in range(2))
    out = torch.empty(MATMUL_SIZE, MATMUL_SIZE, device=device)
    fns["peak: matmul"] = lambda: torch.mm(a, b, out=out)
    candidates["peak: matmul"] = dict(kind="matmul", macs=MATMUL_SIZE**3, bytes=3 * 4 * MATMUL_SIZE**2,
                                      source=f"a {MATMUL_SIZE} x {MATMUL_SIZE} matrix product")
    c, h = PEAK_CONV["channels"], PEAK_CONV["size"]
    conv = nn.Conv2d(c, c, 3, padding=1, bias=False).to(device)
    fns["peak: conv"] = _forward(conv, torch.randn(1, c, h, h, device=device))
    candidates["peak: conv"] = _conv_entry(conv, (1, c, h, h), source=f"a {c}-channel 3x3 convolution on {h}x{h}")
    count = COPY_MEGABYTES * 2**20 // 4
    src, dst = torch.randn(count, device=device), torch.empty(count, device=device)
    fns["bandwidth: copy"] = lambda: dst.copy_(src)
    candidates["bandwidth: copy"] = dict(kind="copy", bytes=2 * 4 * count, source=f"copying {COPY_MEGABYTES} MiB")
    models = {"ResNet-50": "resnet50", "ResNeXt-50 (32×4d)": "resnext50_32x4d"}
    for label, name in models.items():
        model = build_model(name).to(device).eval()
        for layer, conv, shape, n in distinct_convs(model, torch.randn(1, 3, 224, 224, device=device)):
            key = f"{label}: {layer}"
            fns[key] = _forward(conv, torch.randn(shape, device=device))
            candidates[key] = _conv_entry(conv, shape, model=label, layer=layer, count=n)
    return fns, candidates, dict(models=list(models), image=[1, 3, 224, 224], matmul=MATMUL_SIZE,
                                 copy_megabytes=COPY_MEGABYTES, peak_conv=PEAK_CONV)


def build_groups_sweep(device: torch.device) -> Built:
    x = torch.randn(1, 256, 28, 28, device=device)
    fns, candidates = {}, {}
    for g in SWEEP_GROUPS:
        conv = nn.Conv2d(256, 256, 3, padding=1, groups=g, bias=False).to(device)
        fns[f"G={g}"] = _forward(conv, x)
        candidates[f"G={g}"] = _conv_entry(conv, tuple(x.shape), groups=g, params=conv.weight.numel())
    return fns, candidates, dict(channels=256, size=28, batch_size=1, groups=list(SWEEP_GROUPS))


def build_memory_formats(device: torch.device) -> Built:
    x = torch.randn(1, 256, 28, 28, device=device)
    fns, candidates = {}, {}
    for label, memory_format in (("NCHW", torch.contiguous_format), ("NHWC", torch.channels_last)):
        x_layout = x.contiguous(memory_format=memory_format)
        for g in (1, 32):
            conv = nn.Conv2d(256, 256, 3, padding=1, groups=g, bias=False).to(device, memory_format=memory_format)
            fns[f"{label} G={g}"] = _forward(conv, x_layout)
            candidates[f"{label} G={g}"] = _conv_entry(conv, tuple(x.shape), groups=g, layout=label)
    return fns, candidates, dict(channels=256, size=28, batch_size=1)


def build_networks(device: torch.device) -> Built:
    fns, candidates = {}, {}
    for batch in NETWORK_BATCHES:
        x = torch.randn(batch, 3, 224, 224, device=device)
        for name in NETWORKS:
            model = build_model(name).to(device)
            fns[f"{name} batch {batch}"] = _forward(model, x)
            candidates[f"{name} batch {batch}"] = dict(model=name, batch=batch, macs=measure_macs(model, x))
    return fns, candidates, dict(models=list(NETWORKS), batches=list(NETWORK_BATCHES), image=224)


EXPERIMENTS: dict[str, tuple[Callable[[torch.device], Built], dict]] = {
    # name: (builder, timing options: min_time per round in seconds, warm-up calls)
    "block_forms": (build_block_forms, dict(min_time=0.1, warmup=2)),
    "roofline": (build_roofline, dict(min_time=0.02, warmup=2)),
    "groups_sweep": (build_groups_sweep, dict(min_time=0.02, warmup=2)),
    "memory_formats": (build_memory_formats, dict(min_time=0.05, warmup=2)),
    "networks": (build_networks, dict(min_time=0.0, warmup=1)),
}
"""Every campaign experiment, in the order the chapters use them."""

DESCRIPTIONS = {
    "block_forms": "the three forms of a ResNeXt block and the ResNet block, forward, batch 8, 256 x 28 x 28",
    "roofline": ("every distinct convolution of ResNet-50 and ResNeXt-50 (batch 1, 224 x 224), two peak "
                 "candidates and a copy"),
    "groups_sweep": "a 3x3 convolution, 256 channels on 28 x 28, batch 1, for G = 1 to 256",
    "memory_formats": "the dense and the 32-group 3x3 layer in NCHW and NHWC, batch 1, 256 x 28 x 28",
    "networks": "ResNet-50 and ResNeXt-50 (32x4d) forward on 224 x 224 images at batch 1 and 8",
}
