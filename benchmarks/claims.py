"""Reproduce the tables of Chapters 6 and 7 ("Testing the claims": cost, then learning) from the command line.

    .venv/bin/python benchmarks/claims.py                        # groups sweep + ResNet-50 vs ResNeXt-50
    .venv/bin/python benchmarks/claims.py --part sweep --batch 8 --size 56 --channels-last
    .venv/bin/python benchmarks/claims.py --part models --batches 1 8 32 --rounds 5
    .venv/bin/python benchmarks/claims.py --threads 1                      # single-thread, as in the chapter
    .venv/bin/python benchmarks/claims.py --part train --dataset digits --seeds 0 1 2 3 4   # search, then train
    .venv/bin/python benchmarks/claims.py --part train --dataset cifar10 --epochs 15   # downloads CIFAR-10; GPU

The device is CUDA when available, else the CPU (``--device`` overrides). Timings are medians over interleaved
rounds after warm-up (``resnext_teach.timing``): medians with their interval, ratios with a 95% interval, from
one run on this machine (no word: the book's words come from recorded campaigns, ``python -m
resnext_teach.experiments.campaign``). FLOPs are multiply-adds, as in the ResNeXt paper.
"""

from __future__ import annotations

import argparse
import platform

import torch

from resnext_teach import build_model, count_parameters, measure_macs
from resnext_teach.experiments.data import load_cifar10_data, load_digits_data
from resnext_teach.experiments.speed import groups_sweep, model_latencies
from resnext_teach.stats import mean_interval
from resnext_teach.timing import quiet_allocator
from resnext_teach.devices import pick_device
from resnext_teach.experiments.runs import paired_differences, summarize, train_models
from resnext_teach.experiments.search import best_candidate, search_learning_rate

MODELS = ("resnet50", "resnext50_32x4d")
SMALL_MODELS = ("resnet_cifar_small", "resnext_cifar_small")


def sweep(args: argparse.Namespace, device: torch.device) -> None:
    result = groups_sweep(args.width, args.size, tuple(args.groups), args.batch, device, args.channels_last,
                          args.rounds, threads=args.threads)
    layout = "channels-last" if args.channels_last else "contiguous (NCHW)"
    shape = f"{args.batch}x{args.width}x{args.size}x{args.size}"
    print(f"\n3x3 convolution {args.width} -> {args.width} channels, input {shape}, {layout}, forward, no gradient")
    print(f"timed on {result.environment}")
    print(f"{'groups':>6} {'params':>9} {'M mult-adds':>11} {'time ms':>9} {'interval ms':>17} "
          f"{'G mult-adds/s':>13} {'x faster':>9} {'interval':>15} {'per byte':>9}")
    for r in result:
        low, high = (t * 1e3 for t in r.timing.interval)
        if r.groups == result[0].groups:
            gain = f"{'1':>9} {'':>15}"
        else:
            s = result.speedup(r.groups)
            gain = f"{s.value:>9.2f} {f'[{s.low:.2f}, {s.high:.2f}]':>15}"
        print(f"{r.groups:>6} {r.params:>9,} {r.macs / 1e6:>11.1f} {r.seconds * 1e3:>9.3f} "
              f"{f'[{low:.3f}, {high:.3f}]':>17} {r.rate / 1e9:>13.2f} {gain} {r.intensity.macs_per_byte:>9.2f}")
    print("(FLOP = multiply-add; 'x faster': the first row's time over this row's, paired by round, with its 95% "
          "interval; per byte: multiply-adds per byte of input, weight and output, each moved once)")


def models(args: argparse.Namespace, device: torch.device) -> None:
    with torch.device("meta"):
        counts = {name: count_parameters(build_model(name)) for name in MODELS}
        macs = {name: measure_macs(build_model(name), torch.empty(1, 3, 224, 224)) for name in MODELS}
    latency = model_latencies(MODELS, tuple(args.batches), rounds=args.rounds, device=device,
                              channels_last=args.channels_last, threads=args.threads)
    print(f"\nForward latency, eval mode, no gradient, 224x224 inputs, {args.rounds} interleaved rounds"
          f"{', channels-last' if args.channels_last else ''}")
    for name in MODELS:
        print(f"  {name:<16} {counts[name]:>11,} parameters, {macs[name] / 1e9:.2f} G multiply-adds per image")
    for batch, timings in latency.items():
        print(f"batch {batch}: {timings}")
        print(f"  {timings.ratio(MODELS[1], MODELS[0])}")


def train(args: argparse.Namespace, device: torch.device) -> None:
    """Chapter 7's Claim 2: one fixed split, the learning rate chosen on the validation images (unless --lr gives
    it), then the experiment on the test images, with paired intervals of the test accuracy and training loss."""
    if args.dataset == "digits":
        splits = load_digits_data(train_size=args.train_size, validation_size=args.validation_size,
                                  split_seed=args.split_seed)
        recipe = dict(batch_size=args.batch_size or 32, momentum=0.9, weight_decay=5e-4)  # the chapter's recipe
        how = dict(eval_batch_size=2048, channels_last=True, num_threads=1, workers=2)
        epochs, candidates = args.epochs or 8, args.lrs or [0.01, 0.03, 0.1, 0.3]
    else:
        splits = load_cifar10_data(root=args.root, split_seed=args.split_seed)
        recipe = dict(batch_size=args.batch_size or 128, momentum=0.9, weight_decay=5e-4)
        how = dict(train_eval_size=10_000)
        epochs, candidates = args.epochs or 15, args.lrs or [0.03, 0.1, 0.3]
    print(f"\n{args.dataset}: {splits.sizes}, split_seed {args.split_seed}; {epochs} epochs, {recipe}")
    if args.lr is None:
        search = search_learning_rate(SMALL_MODELS, args.search_seeds, splits.development, epochs, candidates,
                                      device=device, **recipe, **how)
        print(f"  learning rate chosen on the validation images (seeds {args.search_seeds}):")
        for c in search:
            shown = "diverged" if c.diverged else "  ".join(f"{n} {100 * a:.2f}%" for n, a in c.accuracy.items())
            print(f"    lr {c.lr:<6g} {shown}  mean {100 * c.mean_accuracy:.2f}%, loss {c.mean_loss:.4f}")
        lr = best_candidate(search).lr
    else:
        lr = args.lr
    print(f"  lr = {lr:g}; the experiment: seeds {args.seeds}, on the test images")
    runs = train_models(SMALL_MODELS, args.seeds, splits.final, epochs, device=device, lr=lr, **recipe, **how)
    for name, stats in summarize(runs).items():
        params = count_parameters(next(r.model for r in runs if r.model_name == name))
        acc = stats["test_acc"]
        print(f"  {name:<20} {params:>8,} params  test accuracy {100 * acc.mean:.2f} +- {100 * acc.std:.2f} % "
              f"(min {100 * acc.low:.2f}, max {100 * acc.high:.2f})  training loss {stats['train_loss'].mean:.4f}")
    for key, label, scale, digits in (("test_acc", "test accuracy (points)", 100, 2), ("train_loss", "training loss", 1, 4)):
        diffs = paired_differences(runs, SMALL_MODELS[1], SMALL_MODELS[0], key)
        line = f"  ResNeXt - ResNet {label} per seed: " + ", ".join(f"{scale * d:+.{digits}f}" for d in diffs)
        if len(diffs) > 1:
            low, high = mean_interval(diffs)
            line += f"; 95% interval of the mean: [{scale * low:+.{digits}f}, {scale * high:+.{digits}f}]"
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
    train_args.add_argument("--lr", type=float, default=None,
                            help="skip the search and train with this learning rate (default: chosen on validation)")
    train_args.add_argument("--lrs", type=float, nargs="+", default=None,
                            help="the search's candidates (default: 0.01 0.03 0.1 0.3 digits, 0.03 0.1 0.3 cifar10)")
    train_args.add_argument("--search-seeds", type=int, nargs="+", default=[100], help="the search's own seeds")
    train_args.add_argument("--split-seed", type=int, default=0, help="the seed of the fixed train/validation/test split")
    train_args.add_argument("--train-size", type=float, default=0.25, help="digits: fraction used for training")
    train_args.add_argument("--validation-size", type=float, default=0.25, help="digits: fraction for validation")
    train_args.add_argument("--root", default="data", help="cifar10: where to download it")
    args = parser.parse_args()

    quiet = quiet_allocator()
    if args.threads is not None:
        torch.set_num_threads(args.threads)
    device = pick_device(args.device or None)
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
