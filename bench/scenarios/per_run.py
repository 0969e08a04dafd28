# ruff: noqa: F841  (config scopes assign names that sacred collects)
"""Scenario 2: per-run overhead inside one process.

Runs a trivial experiment with a 20-entry config scope many times via
``ex.run()``, first without observers, then with a FileStorageObserver, and
reports milliseconds per run for each, the first run of the process (one-time
costs included) and the floor: the same bytes stored bare (``floor_file_storage``).
Where Linux tells, it also reports the block device's writes and cache flushes
per run (``file_storage_writes``, ``file_storage_flushes``, ``floor_*``).
"""

from __future__ import annotations

import json
import os

from _bench import (
    BareRunWriter,
    BlockDeviceIO,
    Result,
    WarningCounter,
    clock,
    parse_args,
    stored_files,
)

from sacred import Experiment
from sacred.observers import FileStorageObserver

ex = Experiment("per_run")


@ex.config
def cfg():
    lr = 0.01  # learning rate
    batch_size = 32
    epochs = 10
    momentum = 0.9
    dropout = 0.5
    hidden = 128
    layers = 3
    activation = "relu"
    optimizer = "sgd"
    seed_offset = 7
    weight_decay = 1e-4
    warmup = 100
    schedule = [30, 60, 90]
    dataset = "mnist"
    augment = True
    shuffle = True
    workers = 4
    verbose = False
    tag = "bench"
    model = {"kind": "mlp", "width": hidden}


@ex.main
def main(lr, batch_size, epochs):
    return lr * batch_size * epochs


def timed_runs(count: int) -> float:
    """Run the experiment ``count`` times; return ms per run."""
    start = clock()
    for _ in range(count):
        run = ex.run()
        if run.result != 0.01 * 32 * 10:
            raise RuntimeError(f"unexpected result {run.result!r}")
    return (clock() - start) * 1000 / count


def floor_ms_per_run(run_dir: str, floor_dir: str, count: int, io: BlockDeviceIO) -> float:
    """ms per run to store the same bytes bare (:class:`_bench.BareRunWriter`).

    The files are those of a stored run (same names, same bytes); durability is the
    one FileStorage documents, so this is the floor a FileStorage run cannot go below.
    ``io`` counts the block device's writes and flushes meanwhile.
    """
    writer = BareRunWriter(stored_files(run_dir))
    os.mkdir(floor_dir)
    start = clock()
    with io:
        for i in range(count):
            writer.write(os.path.join(floor_dir, str(i)))
    elapsed = clock() - start
    writer.close()
    return elapsed * 1000 / count


def main_() -> None:
    args = parse_args(__doc__)
    result = Result()
    count = 50 if args.quick else 200
    store = os.path.join(args.workdir, "fs")
    with WarningCounter() as warnings:
        start = clock()
        ex.run()  # warm-up: one-time costs (host info, source discovery) are not per run
        result.metric("first_run", (clock() - start) * 1000, "ms")
        result.metric("no_observer", timed_runs(count), "ms/run")
        ex.observers.append(FileStorageObserver(store))
        ex.run()  # warm-up with the observer
        with BlockDeviceIO(args.workdir) as store_io:
            result.metric("file_storage", timed_runs(count), "ms/run")
    warnings.report(result)

    runs = [d for d in os.listdir(store) if d.isdigit()]
    floor_io = BlockDeviceIO(args.workdir)
    result.metric("floor_file_storage", floor_ms_per_run(os.path.join(store, max(runs, key=int)),
                                                         os.path.join(args.workdir, "floor"),
                                                         count, floor_io), "ms/run")
    # what reached the disk meanwhile: 0.8.7 does not fsync, so its runs are still in the
    # page cache when its loop ends; ours and the floor each commit every run
    store_io.record(result, "file_storage", count)
    floor_io.record(result, "floor", count)
    completed = 0
    for run in runs:
        with open(os.path.join(store, run, "run.json")) as f:
            completed += json.load(f).get("status") == "COMPLETED"
    expected = count + 1
    result.check("runs stored", completed == expected, f"{completed}/{expected} COMPLETED",
                 lost=expected - completed)
    result.write(args.out)


if __name__ == "__main__":
    main_()
