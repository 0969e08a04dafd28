# ruff: noqa: F841  (config scopes assign names that sacred collects)
"""Scenario 7: many runs into one store.

After one warm-up run, runs a small experiment RUNS times into one store (FileStorage, TinyDB or SQL
on SQLite) and reports milliseconds per run over the first and the last fifth
(the first and last hundred of 500), their ratio (1.0 = flat), and for
FileStorage the time to list every run by reading each ``run.json``'s status
and the file system's own growth (``floor_growth``): after each run, one bare
run (the bytes of the warm-up run, written as per_run's floor writes them) into
a second folder, so the floor and the package see the same disk over the same
seconds (the disk's fsync latency drifts by more than 10% within a scenario;
measured one after the other, whichever went second inherited the first's
writeback).
"""

from __future__ import annotations

import gc
import json
import os
import sqlite3

from _bench import BareRunWriter, Result, WarningCounter, clock, parse_args, stored_files

from sacred import Experiment

ex = Experiment("many_runs")


@ex.config
def cfg():
    lr = 0.01
    epochs = 3
    name = "trial"
    layers = [64, 32]


@ex.main
def main(_run, lr, epochs):
    _run.log_scalar("loss", lr * epochs)
    return lr * epochs


def make_observer(backend: str, workdir: str):
    """The observer for ``backend`` writing below ``workdir``."""
    if backend == "fs":
        from sacred.observers import FileStorageObserver

        return FileStorageObserver(os.path.join(workdir, "fs"))
    if backend == "tinydb":
        from sacred.observers import TinyDbObserver

        return TinyDbObserver(os.path.join(workdir, "tinydb"))
    if backend == "sql":
        from sacred.observers import SqlObserver

        return SqlObserver(f"sqlite:///{os.path.join(workdir, 'runs.db')}")
    raise ValueError(f"unknown backend {backend!r}; use fs, tinydb or sql")


def list_file_storage(basedir: str) -> dict[str, str]:
    """Run id -> status, the way a run browser gets it from each package.

    This project offers ``sacred.observers.file_storage.list_runs`` (answered
    from the runs index); sacred 0.8.7 has no listing API, so there every
    ``run.json`` is read.
    """
    try:
        from sacred.observers.file_storage import list_runs
    except ImportError:
        list_runs = None
    if list_runs is not None:
        return {run_id: run["status"] for run_id, run in list_runs(basedir).items()}
    statuses = {}
    for entry in os.listdir(basedir):
        if entry.isdigit():
            with open(os.path.join(basedir, entry, "run.json")) as f:
                statuses[entry] = json.load(f).get("status")
    return statuses


def floor_list(basedir: str) -> float:
    """Seconds to list the folder and read every ``run.json``'s bytes (no parsing): the floor."""
    start = clock()
    for entry in os.listdir(basedir):
        if entry.isdigit():
            with open(os.path.join(basedir, entry, "run.json"), "rb") as f:
                f.read()
    return clock() - start


def fifths(durations: list[float]) -> tuple[float, float]:
    """ms per run over the first and the last fifth."""
    fifth = max(1, len(durations) // 5)
    return 1000 * sum(durations[:fifth]) / fifth, 1000 * sum(durations[-fifth:]) / fifth


def stored_statuses(backend: str, workdir: str) -> list[str]:
    """Status of every run found in the store, read without the library."""
    if backend == "fs":
        return list(list_file_storage(os.path.join(workdir, "fs")).values())
    if backend == "tinydb":
        with open(os.path.join(workdir, "tinydb", "metadata.json")) as f:
            runs = json.load(f).get("runs", {})
        return [run.get("status") for run in runs.values()]
    with sqlite3.connect(os.path.join(workdir, "runs.db")) as db:
        return [row[0] for row in db.execute("SELECT status FROM run")]


def main_() -> None:
    args = parse_args(__doc__, backend={"choices": ["fs", "tinydb", "sql"], "required": True},
                      runs={"type": int, "required": True})
    result = Result()
    ex.observers.append(make_observer(args.backend, args.workdir))
    durations, floor_durations = [], []
    with WarningCounter() as warnings:
        ex.run()  # warm-up: one-time costs (host info, opening the store) are not per run
        floor = None
        if args.backend == "fs":  # the floor stores the warm-up run's bytes bare
            floor = BareRunWriter(stored_files(os.path.join(args.workdir, "fs", "1")))
            floor_dir = os.path.join(args.workdir, "floor")
            os.mkdir(floor_dir)
        for i in range(args.runs):
            start = clock()
            ex.run()
            durations.append(clock() - start)
            if floor is not None:
                start = clock()
                floor.write(os.path.join(floor_dir, str(i + 1)))
                floor_durations.append(clock() - start)
        if floor is not None:
            floor.close()
    warnings.report(result)
    first, last = fifths(durations)
    result.metric("first_fifth", first, "ms/run")
    result.metric("last_fifth", last, "ms/run")
    result.metric("growth", last / first, "x")
    if args.backend == "fs":
        gc.collect()  # the garbage the runs left is theirs: the listing is timed on its own
        start = clock()
        listed = list_file_storage(os.path.join(args.workdir, "fs"))
        result.metric("list_all", 1000 * (clock() - start), "ms")
        result.metric("floor_list", 1000 * floor_list(os.path.join(args.workdir, "fs")), "ms")
        if len(listed) != args.runs + 1:
            raise RuntimeError(f"listing found {len(listed)} runs, expected {args.runs + 1}")
        floor_first, floor_last = fifths(floor_durations)
        result.metric("floor_first_fifth", floor_first, "ms/run")
        result.metric("floor_last_fifth", floor_last, "ms/run")
        result.metric("floor_growth", floor_last / floor_first, "x")
    statuses = stored_statuses(args.backend, args.workdir)
    completed = statuses.count("COMPLETED")
    expected = args.runs + 1
    result.check("runs stored", completed == expected,
                 f"{completed}/{expected} COMPLETED (incl. warm-up)", lost=expected - completed)
    result.write(args.out)


if __name__ == "__main__":
    main_()
