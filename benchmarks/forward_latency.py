"""Print CPU forward latencies measured in one run: the three block forms, and our ResNeXt-50 vs torchvision's.

    .venv/bin/python benchmarks/forward_latency.py [--batch 8] [--rounds 3]

Medians over repeats with warm-up (torch.utils.benchmark), eval mode, no_grad, glibc allocator thresholds raised.
Figures are ratios within this run; absolute times depend on the machine.
"""

from __future__ import annotations

import argparse
import platform

import torch

from resnext_teach import FORMS, build_model, convert_block, make_block
from resnext_teach.benchmarking import compare_forward, quiet_allocator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--min-run-time", type=float, default=0.5)
    args = parser.parse_args()
    quiet = quiet_allocator()
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, {platform.processor() or platform.machine()}, "
          f"allocator thresholds raised: {quiet}")

    # 1. A stage-1 ResNeXt-50 block (256 -> 32 paths of width 4 -> 256) at 56x56, in the paper's three forms.
    grouped = make_block("grouped", 256, 64, cardinality=32, bottleneck_width=4).eval()
    blocks = {form: convert_block(grouped, form).eval() for form in FORMS}
    x = torch.randn(args.batch, 256, 56, 56)
    timings = compare_forward(blocks, x, rounds=args.rounds, min_run_time=args.min_run_time)
    print(f"\nStage-1 block 32x4d, input {tuple(x.shape)}:")
    for form in FORMS:
        t = timings[form]
        print(f"  form {form:<13} {t.median * 1e3:8.2f} ms  (spread {t.iqr * 1e3:.2f} ms)  "
              f"x{t.median / timings['grouped'].median:.2f} of grouped")

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
    timings = compare_forward({"resnext_teach": ours, "torchvision": ref}, x, rounds=args.rounds,
                              min_run_time=args.min_run_time)
    ratio = timings["resnext_teach"].median / timings["torchvision"].median
    print(f"\nResNeXt-50 32x4d, input {tuple(x.shape)}, torchvision {torchvision.__version__}:")
    for name, t in timings.items():
        print(f"  {name:<14} {t.median * 1e3:8.1f} ms  (spread {t.iqr * 1e3:.1f} ms)")
    print(f"  ratio resnext_teach / torchvision = {ratio:.3f} (target: at most 1.05, {'met' if ratio <= 1.05 else 'NOT met'})")


if __name__ == "__main__":
    main()
