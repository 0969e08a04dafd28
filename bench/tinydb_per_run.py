"""Per-run cost of the TinyDB observer as the database grows (not a test).

Runs one small experiment 60 times in one process with a TinyDB observer on a
fresh directory, with a short beat interval so that every run sends several
heartbeats, and prints the mean milliseconds per run for runs 1-10 and 51-60.

    .venv/bin/python bench/tinydb_per_run.py               # this project
    bench/.venvs/peer/bin/python bench/tinydb_per_run.py   # sacred 0.8.7

(``python bench/venvs.py`` builds ``bench/.venvs/peer`` with sacred 0.8.7.)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time

from sacred import Experiment
from sacred.observers import TinyDbObserver

RUNS = 60
BEATS = 5
BEAT_INTERVAL = 0.01

ex = Experiment("tinydb_bench")


@ex.config
def cfg():
    size = 100  # noqa: F841 - a config scope entry
    tags = {"a": [1, 2, 3], "b": "text" * 10}  # noqa: F841


@ex.main
def main(size, _run):
    for i in range(BEATS):
        _run.log_scalar("loss", 1.0 / (i + 1), i)
        print("step", i)
        time.sleep(BEAT_INTERVAL * 1.5)
    _run.info["size"] = size
    return size


def measure(basedir: str) -> list[float]:
    """Return the wall time in ms of each of RUNS runs into ``basedir``."""
    timings = []
    for _ in range(RUNS):
        ex.observers[:] = [TinyDbObserver(basedir)]
        start = time.perf_counter()
        ex.run(options={"--beat-interval": BEAT_INTERVAL, "--loglevel": "ERROR"})
        timings.append((time.perf_counter() - start) * 1000)
    return timings


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as tmp:
        ms = measure(tmp)
    first, last = statistics.mean(ms[:10]), statistics.mean(ms[50:60])
    print(f"{sys.executable}")
    print(f"runs 1-10:  {first:7.1f} ms/run")
    print(f"runs 51-60: {last:7.1f} ms/run")
    print(f"growth:     {last / first:7.2f}x")
