"""Run measurement campaigns and write their records: the only place the book's timing evidence is made.

    python -m resnext_teach.experiments.campaign                      # every experiment, 5 processes x 10 rounds
    python -m resnext_teach.experiments.campaign networks --processes 7 --rounds 12
    python -m resnext_teach.experiments.campaign --device cuda --out resnext_teach/measurements

Each experiment (``experiments.timed.EXPERIMENTS``) runs in ``processes`` fresh Python processes, one after the
other; each process builds its candidates, warms them up and times them in interleaved rounds
(``timing.time_interleaved``, the order rotating by round) on ``threads`` CPU threads. The record keeps every raw
time of every round, the load average before and after each process, and the provenance (processor or GPU,
threads, Python, torch, OS, date, commit, processes, rounds) with the digest of each rule that reads it
(``experiments.rules``). Records are JSON, reviewed in diffs like code.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import torch

from ..devices import environment
from ..timing import quiet_allocator, time_interleaved
from .records import FORMAT, record_path
from .rules import RULES
from .timed import DESCRIPTIONS, EXPERIMENTS

MAX_PROCESSES = 50
MAX_ROUNDS = 200


def _load() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # no load average (Windows)
        return [-1.0, -1.0, -1.0]


def measure(experiment: str, rounds: int, device: str, threads: int) -> dict:
    """One process's part of a campaign: build, warm up and time ``experiment``; the raw times per label."""
    quiet_allocator()
    torch.manual_seed(0)
    build, options = EXPERIMENTS[experiment]
    fns, candidates, settings = build(torch.device(device))
    timings = time_interleaved(fns, rounds=rounds, warmup=options["warmup"], min_time=options["min_time"],
                               threads=threads, device=device)
    env = timings.environment
    return dict(times={label: list(t.times) for label, t in timings.items()},
                calls={label: t.calls for label, t in timings.items()}, candidates=candidates, settings=settings,
                environment=dict(processor=env.processor, cores=env.cores, threads=env.threads, torch=env.torch,
                                 device=env.device, cudnn=env.cudnn), options=options)


def _commit() -> tuple[str, bool]:
    root = Path(__file__).resolve().parents[2]
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = bool(subprocess.run(["git", "status", "--porcelain", "--", "resnext_teach"], cwd=root,
                                    capture_output=True, text=True, check=True).stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        return "unknown", True
    return commit, dirty


def _one_process(experiment: str, rounds: int, device: str, threads: int) -> dict:
    before = _load()
    command = [sys.executable, "-m", "resnext_teach.experiments.campaign", "--worker", experiment,
               "--rounds", str(rounds), "--device", device, "--threads", str(threads)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"the {experiment} process failed:\n{done.stderr.strip()[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["load"] = dict(before=before, after=_load())
    return result


def run_campaign(experiment: str, processes: int = 5, rounds: int = 10, device: str = "cpu", threads: int = 1,
                 progress: object = None) -> dict:
    """Run ``experiment`` in ``processes`` fresh processes of ``rounds`` rounds; the record as a dict.
    ``progress``: an object with ``update(1)`` (a tqdm bar), called after each process."""
    if experiment not in EXPERIMENTS:
        raise ValueError(f"experiment {experiment!r} is not one of {', '.join(EXPERIMENTS)}")
    commit, dirty = _commit()
    started = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
    results = []
    for _ in range(processes):
        results.append(_one_process(experiment, rounds, device, threads))
        if progress is not None:
            progress.update(1)
    first = results[0]
    rules = {rule.name: dict(digest=rule.digest, text=rule.text) for rule in RULES.values()
             if rule.experiment == experiment}
    provenance = dict(first["environment"], python=platform.python_version(),
                      os=f"{platform.system()} {platform.release()}", date=started, commit=commit,
                      uncommitted_changes=dirty, processes=processes, rounds=rounds, warmup=first["options"]["warmup"],
                      min_time=first["options"]["min_time"], process_loads=[r["load"] for r in results])
    return dict(format=FORMAT, experiment=experiment, description=DESCRIPTIONS[experiment],
                settings=first["settings"], provenance=provenance, rules=rules, candidates=first["candidates"],
                runs=[dict(times=r["times"], calls=r["calls"]) for r in results])


def _positive(limit: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"{value} must be between 1 and {limit}")
        return value
    return parse


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m resnext_teach.experiments.campaign",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("experiments", nargs="*", metavar="EXPERIMENT",
                        help=f"which to run (default: all): {', '.join(EXPERIMENTS)}")
    parser.add_argument("--processes", type=_positive(MAX_PROCESSES), default=5,
                        help="fresh processes per experiment (at least 2 for an interval; default 5)")
    parser.add_argument("--rounds", type=_positive(MAX_ROUNDS), default=10, help="interleaved rounds per process")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--threads", type=_positive(1024), default=1, help="CPU threads (default 1)")
    parser.add_argument("--out", type=Path, default=None,
                        help="folder of records (default: the package's measurements/); writes DEVICE/EXPERIMENT.json")
    parser.add_argument("--worker", choices=tuple(EXPERIMENTS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:  # inside one fresh process: print the raw times as one JSON line
        print(json.dumps(measure(args.worker, args.rounds, args.device, args.threads)))
        return 0
    unknown = [e for e in args.experiments if e not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment {', '.join(map(repr, unknown))}; choose from {', '.join(EXPERIMENTS)}")
    if args.processes < 2:
        parser.error("--processes must be at least 2: the interval is taken over processes")
    if args.device == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device is available here")
    from tqdm.auto import tqdm

    chosen = args.experiments or list(EXPERIMENTS)
    print(f"campaign on {environment(args.device, args.threads)}: {', '.join(chosen)}; "
          f"{args.processes} processes x {args.rounds} rounds each", flush=True)
    with tqdm(total=len(chosen) * args.processes, unit="process") as bar:
        for experiment in chosen:
            bar.set_description(experiment)
            record = run_campaign(experiment, args.processes, args.rounds, args.device, args.threads, bar)
            path = record_path(experiment, args.device, args.out)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
            bar.write(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
