# ruff: noqa: F841  (config scopes assign names that sacred collects)
"""Scenario 2: per-run overhead inside one process.

Runs a trivial experiment with a 20-entry config scope many times via
``ex.run()``, first without observers, then with a FileStorageObserver, and
reports milliseconds per run for each, the first run of the process (one-time
costs included) and the floor: the same bytes stored bare (``floor_file_storage``).
Where Linux tells, it also reports the block device's writes and cache flushes
per run (``file_storage_writes``, ``file_storage_flushes``, ``floor_*``). Last, the
same FileStorage runs of a copy of this experiment inside a git repository with an
uncommitted change (``file_storage_dirty_git``; where git is installed): the git state
and the patch of uncommitted changes are what such a run records on top.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess

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


def timed_runs(count: int, experiment: Experiment = ex) -> float:
    """Run the experiment ``count`` times; return ms per run."""
    start = clock()
    for _ in range(count):
        run = experiment.run()
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


def experiment_in_a_dirty_repository(folder: str) -> Experiment | None:
    """This file's experiment, imported from a copy in a new git repository with an uncommitted
    change (where an experiment lives while it is being worked on); None without git."""
    git = shutil.which("git")
    if git is None:
        return None
    os.mkdir(folder)
    env = {**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@localhost",
           "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@localhost"}
    path = os.path.join(folder, "per_run_in_git.py")
    shutil.copyfile(__file__, path)
    for command in (["init", "-q"], ["add", "per_run_in_git.py"],
                    ["-c", "commit.gpgsign=false", "commit", "-q", "-m", "bench"]):
        subprocess.run([git, "-C", folder, *command], check=True, capture_output=True, env=env,
                       timeout=60)
    with open(path, "a") as f:
        f.write("\n# an uncommitted change\n")
    spec = importlib.util.spec_from_file_location("per_run_in_git", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.ex


def stored_runs(store: str) -> list[dict]:
    """The run.json of every run in a FileStorage folder."""
    entries = []
    for run in (d for d in os.listdir(store) if d.isdigit()):
        with open(os.path.join(store, run, "run.json")) as f:
            entries.append(json.load(f))
    return entries


def measure_in_a_dirty_repository(result: Result, workdir: str, count: int) -> None:
    """ms per FileStorage run of the same experiment inside a dirty git repository."""
    experiment = experiment_in_a_dirty_repository(os.path.join(workdir, "repo"))
    if experiment is None:
        return
    store = os.path.join(workdir, "fs_git")
    experiment.observers.append(FileStorageObserver(store))
    with WarningCounter() as warnings:
        experiment.run()  # warm-up: discovery, git state
        result.metric("file_storage_dirty_git", timed_runs(count, experiment), "ms/run")
    warnings.report(result, "no warnings logged (dirty git)")
    entries = stored_runs(store)
    marked = sum(e.get("status") == "COMPLETED" and bool(e["experiment"].get("repositories"))
                 and all(r.get("dirty") for r in e["experiment"]["repositories"]) for e in entries)
    result.check("dirty git runs stored", marked == count + 1,
                 f"{marked}/{count + 1} COMPLETED with the repository recorded as dirty",
                 lost=count + 1 - len(entries))


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
    completed = sum(entry.get("status") == "COMPLETED" for entry in stored_runs(store))
    expected = count + 1
    result.check("runs stored", completed == expected, f"{completed}/{expected} COMPLETED",
                 lost=expected - completed)
    measure_in_a_dirty_repository(result, args.workdir, count)
    result.write(args.out)


if __name__ == "__main__":
    main_()
