"""Reproduce the tables of Chapter 6 ("Testing the claims") from the command line.

    .venv/bin/python benchmarks/claims.py                        # groups sweep + ResNet-50 vs ResNeXt-50
    .venv/bin/python benchmarks/claims.py --part sweep --batch 8 --size 56 --channels-last
    .venv/bin/python benchmarks/claims.py --part models --batches 1 8 32 --rounds 5
    .venv/bin/python benchmarks/claims.py --threads 1                      # single-thread, as in the chapter
    .venv/bin/python benchmarks/claims.py --part train --dataset digits --seeds 0 1 2 3 4
    .venv/bin/python benchmarks/claims.py --part train --dataset cifar10 --epochs 15   # downloads CIFAR-10; GPU

The device is CUDA when available, else the CPU (``--device`` overrides). Timings are medians over interleaved
rounds after warm-up, with the interquartile range (sweep) or the spread of the round medians (models); they
describe this machine only. FLOPs are multiply-adds, as in the ResNeXt paper.
"""

from __future__ import annotations

import argparse
import platform

import torch

from resnext_teach import build_model, count_parameters, measure_macs
from resnext_teach.benchmarking import quiet_allocator
from resnext_teach.data import load_cifar10_data, load_digits_data
from resnext_teach.probes import groups_sweep, model_latencies
from resnext_teach.training import mean_interval, paired_differences, pick_device, summarize, train_models

MODELS = ("resnet50", "resnext50_32x4d")
SMALL_MODELS = ("resnet_cifar_small", "resnext_cifar_small")


def sweep(args: argparse.Namespace, device: torch.device) -> None:
    rows = groups_sweep(args.width, args.size, tuple(args.groups), args.batch, device, args.channels_last, args.rounds)
    layout = "channels-last" if args.channels_last else "contiguous (NCHW)"
    shape = f"{args.batch}x{args.width}x{args.size}x{args.size}"
    print(f"\n3x3 convolution {args.width} -> {args.width} channels, input {shape}, "
          f"{layout}, forward, no gradient")
    print(f"{'groups':>6} {'params':>9} {'MFLOPs':>9} {'time ms':>9} {'IQR ms':>8} {'GFLOP/s':>8} {'% dense':>8} "
          f"{'x faster':>9} {'FLOPs/B':>8}")
    dense = rows[0]
    for r in rows:
        print(f"{r.groups:>6} {r.params:>9,} {r.macs / 1e6:>9.1f} {r.seconds * 1e3:>9.3f} {r.iqr * 1e3:>8.3f} "
              f"{r.gflops:>8.2f} {100 * r.gflops / dense.gflops:>7.1f}% {dense.seconds / r.seconds:>9.2f} "
              f"{r.intensity:>8.2f}")
    print("(FLOP = multiply-add; 'x faster' is the time of the first row over this row's; FLOPs/B = multiply-adds "
          "per byte of input, weight and output)")


def models(args: argparse.Namespace, device: torch.device) -> None:
    with torch.device("meta"):
        counts = {name: count_parameters(build_model(name)) for name in MODELS}
        macs = {name: measure_macs(build_model(name), torch.empty(1, 3, 224, 224)) for name in MODELS}
    timings = model_latencies(MODELS, tuple(args.batches), rounds=args.rounds, device=device,
                              channels_last=args.channels_last)
    print(f"\nForward latency, eval mode, no gradient, 224x224 inputs, {args.rounds} interleaved rounds"
          f"{', channels-last' if args.channels_last else ''}")
    for name in MODELS:
        print(f"  {name:<16} {counts[name]:>11,} parameters, {macs[name] / 1e9:.2f} GFLOPs per image")
    for batch in args.batches:
        base = timings[(MODELS[0], batch)]
        for name in MODELS:
            t = timings[(name, batch)]
            print(f"  batch {batch:>3} {name:<16} {t.median * 1e3:9.1f} ms (IQR {t.iqr * 1e3:.1f} ms, "
                  f"{t.repeats} runs)  x{t.median / base.median:.2f} of {MODELS[0]}")


def train(args: argparse.Namespace, device: torch.device) -> None:
    if args.dataset == "digits":
        data = lambda seed: load_digits_data(train_size=args.train_size, seed=seed)  # noqa: E731 (one split per seed)
        options = dict(batch_size=args.batch_size or 32, lr=args.lr or 0.02, eval_batch_size=2048,
                       channels_last=True, num_threads=1)  # the chapter's recipe
        epochs = args.epochs or 8
    else:
        data = load_cifar10_data(root=args.root)
        options = dict(batch_size=args.batch_size or 128, lr=args.lr or 0.1, train_eval_size=10_000)
        epochs = args.epochs or 15
    runs = train_models(SMALL_MODELS, args.seeds, data, epochs, device=device, **options)
    print(f"\n{args.dataset}: {epochs} epochs, seeds {args.seeds}, {options}")
    for name, stats in summarize(runs).items():
        params = count_parameters(next(r.model for r in runs if r.model_name == name))
        acc, gap = stats["test_acc"], stats["gap"]
        print(f"  {name:<20} {params:>8,} params  test accuracy {100 * acc.mean:.2f} +- {100 * acc.std:.2f} % "
              f"(min {100 * acc.low:.2f}, max {100 * acc.high:.2f})  gap {100 * gap.mean:.2f} +- {100 * gap.std:.2f}")
    diffs = paired_differences(runs, SMALL_MODELS[1], SMALL_MODELS[0])
    text = ", ".join(f"{100 * d:+.2f}" for d in diffs)
    line = f"  ResNeXt - ResNet test accuracy per seed: {text} points"
    if len(diffs) > 1:
        low, high = mean_interval(diffs)
        line += f"; 95% interval of the mean: [{100 * low:+.2f}, {100 * high:+.2f}]"
    print(line)
    seconds = sum(sum(r.history.seconds) for r in runs)
    print(f"  training time: {seconds:.0f} s in all, on {runs[0].history.device}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", choices=("sweep", "models", "train", "all"), default=None,
                        help="what to run (default: sweep and models; 'all' adds the digits training)")
    parser.add_argument("--device", default=None, help="cpu or cuda (default: CUDA when available)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--channels-last", action="store_true", help="use the channels-last memory format")
    parser.add_argument("--threads", type=int, default=None,
                        help="PyTorch CPU threads (default: all; the chapter uses 1)")
    sweep_args = parser.add_argument_group("groups sweep")
    sweep_args.add_argument("--width", type=int, default=256, help="channels in and out")
    sweep_args.add_argument("--size", type=int, default=28)
    sweep_args.add_argument("--batch", type=int, default=1)
    sweep_args.add_argument("--groups", type=int, nargs="+", default=[1, 2, 4, 8, 16, 32, 64, 256])
    model_args = parser.add_argument_group("ResNet-50 vs ResNeXt-50")
    model_args.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    train_args = parser.add_argument_group("training experiment")
    train_args.add_argument("--dataset", choices=("digits", "cifar10"), default="digits")
    train_args.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    train_args.add_argument("--epochs", type=int, default=None, help="default: 8 (digits), 15 (cifar10)")
    train_args.add_argument("--batch-size", type=int, default=None, help="default: 32 (digits), 128 (cifar10)")
    train_args.add_argument("--lr", type=float, default=None, help="default: 0.02 (digits), 0.1 (cifar10)")
    train_args.add_argument("--train-size", type=float, default=0.25, help="digits: fraction used for training")
    train_args.add_argument("--root", default="data", help="cifar10: where to download it")
    args = parser.parse_args()

    quiet = quiet_allocator()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = torch.device(args.device) if args.device else pick_device()
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else (platform.processor() or platform.machine())
    print(f"torch {torch.__version__}, device {device} ({name}), {torch.get_num_threads()} CPU threads, "
          f"allocator thresholds raised: {quiet}")
    parts = {None: {"sweep", "models"}, "all": {"sweep", "models", "train"}}.get(args.part, {args.part})
    if "sweep" in parts:
        sweep(args, device)
    if "models" in parts:
        models(args, device)
    if "train" in parts:
        train(args, device)


if __name__ == "__main__":
    main()
