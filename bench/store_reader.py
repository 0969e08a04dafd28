"""Bench the run reader: ``sacred runs`` / ``sacred show`` on big generated stores.

    python bench/store_reader.py [--runs 100000] [--points 1000000] [--repeats 3] [--keep DIR]

Generates, directly in their layouts, a FileStorage folder and an SQLite
database of ``--runs`` finished runs (config of 6 entries, 2 final metrics,
one runs-index line each), and one FileStorage run with ``--points`` metric
points. Then times, each ``--repeats`` times in this process (interpreter
start-up excluded; the whole ``sacred ...`` process is timed once as well):

* ``sacred runs`` first page (50 runs, newest first);
* ``sacred runs "config.lr > 0.5 and config.depth == 3"`` (a config filter over all runs, first page);
* ``sacred runs --status COMPLETED --sort metric:loss`` (a sort over all runs);
* ``sacred show ID`` of the run with ``--points`` points;
* the first page again with the FileStorage runs index deleted (rebuilt from the run folders).

Targets (issue 16): first page <= 0.3 s, config filter over all runs <= 2 s,
show of 1M points <= 1 s. Sacred 0.8.7 has no reader to compare with.
Prints a table and writes ``bench/results/store_reader.json``; never fails for speed.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
TARGETS = {"first page": 0.3, "config filter": 2.0, "show 1M points": 1.0}


def generate_file_store(basedir: Path, runs: int) -> None:
    """``runs`` finished runs in the FileStorage layout, with a complete runs index."""
    from sacred.observers.run_files._layout import index_line, index_record

    basedir.mkdir(parents=True)
    rng = random.Random(0)
    start = dt.datetime(2024, 1, 1)
    lines = []
    for number in range(1, runs + 1):
        folder = basedir / str(number)
        folder.mkdir()
        config = {"lr": round(rng.random(), 4), "depth": rng.randint(1, 6), "optimizer": rng.choice(["sgd", "adam"]),
                  "batch": 32, "dropout": 0.1, "seed": rng.randint(0, 2**31)}
        began = start + dt.timedelta(minutes=number)
        entry = {"experiment": {"name": "bench", "mainfile": "exp.py", "base_dir": "/tmp", "sources": [],
                                "dependencies": [], "repositories": []},
                 "command": "main", "host": {"hostname": "h"}, "meta": {"command": "main", "options": {}},
                 "status": "COMPLETED", "start_time": began.isoformat(), "heartbeat": began.isoformat(),
                 "stop_time": (began + dt.timedelta(seconds=30)).isoformat(), "result": rng.random(),
                 "artifacts": [], "resources": []}
        finals = {"loss": rng.random(), "acc": rng.random()}
        (folder / "run.json").write_text(json.dumps(entry))
        (folder / "config.json").write_text(json.dumps(config))
        lines.append(index_line(index_record(str(number), entry, config, finals)))
    (basedir / "runs.index.jsonl").write_bytes(b"".join(lines))


def generate_sqlite(path: Path, runs: int) -> str:
    """The same runs in SqlObserver's tables (one row per final metric point)."""
    import sqlalchemy as sa

    from sacred.observers.sql._schema import build_tables

    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    tables = build_tables()
    tables.metadata.create_all(engine)
    rng = random.Random(0)
    start = dt.datetime(2024, 1, 1)
    with engine.begin() as conn:
        conn.execute(sa.insert(tables.experiment).values(experiment_id=1, name="bench", lookup="x"))
        rows, metrics = [], []
        for number in range(1, runs + 1):
            config = {"lr": round(rng.random(), 4), "depth": rng.randint(1, 6),
                      "optimizer": rng.choice(["sgd", "adam"]), "batch": 32, "dropout": 0.1,
                      "seed": rng.randint(0, 2**31)}
            began = start + dt.timedelta(minutes=number)
            rows.append({"run_id": str(number), "command": "main", "start_time": began, "heartbeat": began,
                         "stop_time": began + dt.timedelta(seconds=30), "status": "COMPLETED",
                         "config": json.dumps(config), "experiment_id": 1, "meta": "{}", "result": rng.random(),
                         "captured_out": "", "info": "{}"})
            metrics.append({"run_id": str(number), "name": "loss", "step": 0, "value": rng.random()})
        conn.execute(sa.insert(tables.run), rows)
        conn.execute(sa.insert(tables.metric), metrics)
    engine.dispose()
    return url


def generate_big_metric_run(basedir: Path, points: int) -> str:
    """One run with ``points`` points of one metric (as FileStorageObserver leaves it)."""
    from sacred.observers.run_files._layout import dump_json

    folder = basedir / "1"
    folder.mkdir(parents=True)
    began = dt.datetime(2024, 1, 1)
    entry = {"experiment": {"name": "bench", "sources": []}, "command": "main", "host": {}, "meta": {},
             "status": "COMPLETED", "start_time": began.isoformat(), "stop_time": began.isoformat(),
             "result": 1.0, "artifacts": [], "resources": []}
    (folder / "run.json").write_text(json.dumps(entry))
    (folder / "config.json").write_text("{}")
    stamp = began.isoformat()
    metrics = {"loss": {"steps": list(range(points)), "values": [1.0 / (i + 1) for i in range(points)],
                        "timestamps": [stamp] * points}}
    (folder / "metrics.json").write_bytes(dump_json(metrics))
    return "1"


def time_command(argv: list[str], repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``sacred ARGV`` in this process (output discarded).

    On a shared machine the CPU time is the steadier figure: it does not
    count the time this process waited for a core.
    """
    from sacred_runner.main import main

    walls, cpus = [], []
    for _ in range(repeats):
        out = io.StringIO()
        began, began_cpu = time.perf_counter(), time.process_time()
        with contextlib.redirect_stderr(io.StringIO()):
            code = main(argv, stdout=out)
        walls.append(time.perf_counter() - began)
        cpus.append(time.process_time() - began_cpu)
        if code != 0:
            raise SystemExit(f"sacred {' '.join(argv)} failed with {code}")
    return statistics.median(walls), statistics.median(cpus)


def time_process(argv: list[str]) -> float:
    """Seconds of one whole ``python -m sacred_runner ARGV`` process."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sacred_runner", *argv], capture_output=True, check=True, timeout=600)
    return time.perf_counter() - began


def main() -> int:
    """Generate, measure, print, write."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and keep) this folder")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="sacred-bench-reader-"))
    results: dict[str, dict] = {}
    try:
        file_store, db, big = root / "filestore", root / "runs.db", root / "bigmetric"
        began = time.perf_counter()
        if not file_store.exists():
            generate_file_store(file_store, args.runs)
        url = f"sqlite:///{db}" if db.exists() else generate_sqlite(db, args.runs)
        if not big.exists():
            generate_big_metric_run(big, args.points)
        print(f"generated {args.runs} runs (FileStorage, SQLite) and a {args.points}-point run in "
              f"{time.perf_counter() - began:.1f}s under {root}")
        cases = []
        for kind, spec in (("FileStorage", str(file_store)), ("SQLite", url)):
            cases += [
                (f"{kind}: first page", "first page", ["runs", "--store", spec]),
                (f"{kind}: config filter", "config filter",
                 ["runs", "--store", spec, "config.lr > 0.5 and config.depth == 3"]),
                (f"{kind}: sort by metric:loss", None, ["runs", "--store", spec, "--sort", "metric:loss"]),
            ]
        cases.append(("show 1M points", "show 1M points", ["show", "1", "--store", str(big)]))
        for name, target, argv in cases:
            seconds, cpu = time_command(argv, args.repeats)
            process = time_process(argv)
            results[name] = {"seconds": seconds, "cpu_seconds": cpu, "process_seconds": process,
                             "target": TARGETS.get(target)}
        index = file_store / "runs.index.jsonl"
        saved = index.read_bytes()
        index.unlink()
        seconds, cpu = time_command(["runs", "--store", str(file_store)], 1)
        results["FileStorage: first page, index deleted"] = {"seconds": seconds, "cpu_seconds": cpu,
                                                             "process_seconds": None, "target": None}
        seconds, cpu = time_command(["runs", "--store", str(file_store), "config.lr > 0.5"], 1)
        results["FileStorage: config filter, index deleted (rebuilds it)"] = {
            "seconds": seconds, "cpu_seconds": cpu, "process_seconds": None, "target": None}
        index.write_bytes(saved)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} cores; in-process wall and CPU time, whole process wall")
    print(f"{'case':<56} {'wall':>8} {'cpu':>8} {'process':>8}  target (on wall time)")
    for name, row in results.items():
        verdict = "" if row["target"] is None else \
            f"<= {row['target']}s {'MET' if row['seconds'] <= row['target'] else 'MISSED'}" \
            f"{' (cpu: MET)' if row['seconds'] > row['target'] >= row['cpu_seconds'] else ''}"
        process = f"{row['process_seconds']:.2f}s" if row["process_seconds"] is not None else "-"
        print(f"{name:<56} {row['seconds']:>7.3f}s {row['cpu_seconds']:>7.3f}s {process:>8}  {verdict}")
    out = BENCH_DIR / "results" / "store_reader.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"runs": args.runs, "points": args.points, "load": load, "results": results},
                              indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
