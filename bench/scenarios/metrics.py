# ruff: noqa: F841  (config scopes assign names that sacred collects)
"""Scenario 3: metrics throughput and storage.

One run calls ``_run.log_scalar`` POINTS times over three metric names with a
FileStorageObserver and a 0.1 s beat interval. Reports calls per second inside
the loop, the time from the first call until ``ex.run`` returned (everything
on disk), the bytes of ``metrics.json`` and the points missing from it; ``floor_write`` is
the time to write those bytes bare (open/write/fsync/rename).
"""

from __future__ import annotations

import json
import os

from _bench import Result, WarningCounter, clock, only_run_dir, parse_args

from sacred import Experiment
from sacred.observers import FileStorageObserver

NAMES = ("loss", "accuracy", "lr")
ex = Experiment("metrics")
marks: dict[str, float] = {}


@ex.config
def cfg():
    points = 200_000


@ex.main
def main(_run, points):
    names = NAMES
    marks["loop_start"] = clock()
    for i in range(points):
        _run.log_scalar(names[i % 3], i * 0.5, i // 3)
    marks["loop_end"] = clock()


def count_stored(run_dir: str, points: int) -> tuple[int, str]:
    """Points present and correct in ``metrics.json``; a short description."""
    try:
        with open(os.path.join(run_dir, "metrics.json")) as f:
            stored = json.load(f)
    except ValueError as error:  # a torn write (seen with 0.8.7): every point counts as lost
        return 0, f"metrics.json is not valid JSON: {error}"
    except FileNotFoundError:
        return 0, "no metrics.json"
    found = 0
    problems = []
    for k, name in enumerate(NAMES):
        expected_steps = list(range(len(range(k, points, 3))))
        entry = stored.get(name, {})
        steps, values = entry.get("steps", []), entry.get("values", [])
        if steps != expected_steps[: len(steps)] or len(values) != len(steps):
            problems.append(f"{name}: steps/values out of order or mismatched")
        found += min(len(steps), len(values), len(expected_steps))
    return found, "; ".join(problems) or "in order"


def floor_write(source: str, target: str) -> float:
    """Seconds to store the bytes of ``metrics.json`` bare: open/write/fsync/rename."""
    with open(source, "rb") as f:
        data = f.read()
    start = clock()
    with open(target + ".tmp", "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(target + ".tmp", target)
    return clock() - start


def main_() -> None:
    args = parse_args(__doc__, points={"type": int, "default": 200_000})
    result = Result()
    points = args.points
    store = os.path.join(args.workdir, "fs")
    ex.observers.append(FileStorageObserver(store))
    start = clock()
    with WarningCounter() as warnings:
        ex.run(config_updates={"points": points}, options={"--beat_interval": 0.1})
    warnings.report(result)
    end = clock()
    loop = marks["loop_end"] - marks["loop_start"]
    result.metric("calls_per_s", points / loop, "calls/s", better="higher")
    result.metric("time_to_disk", end - marks["loop_start"], "s")
    result.metric("total_run", end - start, "s")
    run_dir = only_run_dir(store)
    metrics_file = os.path.join(run_dir, "metrics.json")
    if os.path.exists(metrics_file):  # 0.8.7 sometimes leaves none: the check counts it lost
        result.metric("bytes_stored", os.path.getsize(metrics_file), "B")
        result.metric("floor_write", floor_write(metrics_file,
                                                 os.path.join(args.workdir, "floor.json")), "s")
    found, detail = count_stored(run_dir, points)
    result.check("points stored", found == points, f"{found}/{points} points, {detail}",
                 lost=points - found)
    result.write(args.out)


if __name__ == "__main__":
    main_()
