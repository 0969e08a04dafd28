# ruff: noqa: F841  (config scopes assign names that sacred collects)
"""Scenario 6: heartbeats under growing state.

The main function does STEPS steps of ~0.1 s CPU work; each step adds 8,000
floats to ``_run.info`` (~160 kB of JSON) and prints 7,000 lines of 100
characters (~700 kB). At 30 steps that is ~5 MB of info and ~20 MB of output
over ~3 s. The same work runs with a FileStorageObserver (0.1 s beat) and
without observers; the difference is what heartbeats cost. Each invocation
runs PAIRS pairs (3; 1 with ``--quick``) in ABBA order and compares the
medians: one pair's overhead moved between -7% and +14% on a 2-core VM.
"""

from __future__ import annotations

import json
import os

from _bench import Result, WarningCounter, clock, median, only_run_dir, parse_args

from sacred import Experiment
from sacred.observers import FileStorageObserver

FLOATS_PER_STEP = 8_000
LINES_PER_STEP = 7_000
WORK_PER_STEP = 2_000_000  # loop iterations, ~0.1 s on this interpreter
PAIRS = 3

ex = Experiment("heartbeat")


@ex.config
def cfg():
    steps = 30


@ex.main
def main(_run, steps):
    for k in range(steps):
        total = 0
        for i in range(WORK_PER_STEP):
            total += i * i
        _run.info[f"step{k}"] = [k + j / 7 for j in range(FLOATS_PER_STEP)]
        pad = "x" * 80
        print("\n".join(f"step {k:04d} line {n:06d} {pad}" for n in range(LINES_PER_STEP)))
    return total


def timed_run(steps: int, observed: bool, store: str) -> float:
    """Seconds one run takes, with or without the FileStorageObserver."""
    ex.observers[:] = [FileStorageObserver(store)] if observed else []
    start = clock()
    ex.run(config_updates={"steps": steps}, options={"--beat_interval": 0.1, "--capture": "sys"})
    return clock() - start


def main_() -> None:
    args = parse_args(__doc__, steps={"type": int, "default": 30})
    result = Result()
    pairs = 1 if args.quick else PAIRS
    first = [False, True] if args.rep % 2 == 0 else [True, False]
    order = [first if k % 2 == 0 else first[::-1] for k in range(pairs)]  # ABBA...
    seconds: dict[bool, list[float]] = {False: [], True: []}
    with WarningCounter() as warnings:
        for k, pair in enumerate(order):
            for observed in pair:
                store = os.path.join(args.workdir, f"fs{k}")
                seconds[observed].append(timed_run(args.steps, observed, store))
    warnings.report(result)
    unobserved, observed = median(seconds[False]), median(seconds[True])
    result.metric("unobserved", unobserved, "s")
    result.metric("file_storage", observed, "s")
    result.metric("overhead", 100 * (observed / unobserved - 1), "%")

    run_dir = only_run_dir(os.path.join(args.workdir, f"fs{pairs - 1}"))
    with open(os.path.join(run_dir, "info.json")) as f:
        info = json.load(f)
    info_ok = sum(len(info.get(f"step{k}", [])) for k in range(args.steps))
    expected_floats = args.steps * FLOATS_PER_STEP
    with open(os.path.join(run_dir, "cout.txt")) as f:
        lines = sum(1 for line in f if line.startswith("step "))
    expected_lines = args.steps * LINES_PER_STEP
    result.check("info stored", info_ok == expected_floats,
                 f"{info_ok}/{expected_floats} info floats, "
                 f"{os.path.getsize(os.path.join(run_dir, 'info.json')) / 1e6:.1f} MB",
                 lost=expected_floats - info_ok)
    result.check("output stored", lines == expected_lines,
                 f"{lines}/{expected_lines} lines in cout.txt", lost=expected_lines - lines)
    result.write(args.out)


if __name__ == "__main__":
    main_()
