"""Print CPU forward latencies measured in one run: the three block forms, and our ResNeXt-50 vs torchvision's.

    .venv/bin/python benchmarks/forward_latency.py [--batch 8] [--rounds 7] [--threads N]

The book's timing method (``resnext_teach.timing``): warm-up, interleaved rounds, medians with their interval,
ratios with a 95% interval and the word the interval supports; eval mode, no_grad, glibc allocator thresholds
raised. Figures are ratios within this run; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse

import torch

from resnext_teach import FORMS, build_model, convert_block, make_block
from resnext_teach.timing import quiet_allocator, time_modules, verdict


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--min-time", type=float, default=0.2, help="seconds per candidate and round")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = parser.parse_args()
    print(f"allocator thresholds raised: {quiet_allocator()}")
    torch.manual_seed(0)

    # 1. A stage-1 ResNeXt-50 block (256 -> 32 paths of width 4 -> 256) at 56x56, in the paper's three forms.
    grouped = make_block("grouped", 256, 64, cardinality=32, bottleneck_width=4).eval()
    blocks = {form: convert_block(grouped, form).eval() for form in FORMS}
    x = torch.randn(args.batch, 256, 56, 56)
    timings = time_modules(blocks, x, rounds=args.rounds, min_time=args.min_time, threads=args.threads)
    print(f"\nStage-1 block 32x4d, input {tuple(x.shape)}:")
    print(timings)
    for form in FORMS:
        if form != "grouped":
            print(" ", timings.ratio(form, "grouped"))

    # 2. The whole ResNeXt-50 32x4d against torchvision's, same weights.
    try:
        import torchvision
    except ImportError:
        print("\ntorchvision is not installed: skipping the comparison with torchvision's resnext50_32x4d")
        return
    ref = torchvision.models.resnext50_32x4d().eval()
    ours = build_model("resnext50_32x4d").eval()
    ours.load_state_dict(ref.state_dict(), strict=True)
    x = torch.randn(args.batch, 3, 224, 224)
    timings = time_modules({"resnext_teach": ours, "torchvision": ref}, x, rounds=args.rounds, min_time=args.min_time,
                           threads=args.threads)
    ratio = timings.ratio("resnext_teach", "torchvision")
    print(f"\nResNeXt-50 32x4d, input {tuple(x.shape)}, torchvision {torchvision.__version__}:")
    print(timings)
    print(" ", ratio)
    print(f"  target: no slower than torchvision by more than 5 %: {ratio.word()} "
          f"({'met' if verdict(ratio) != 'slower' else 'NOT met'}; one run: rerun to see how it moves)")


if __name__ == "__main__":
    main()
