"""Claims per second and claim latency of ``sacred worker`` on each store.

    python bench/queue_claims.py [--runs 200] [--stores file,postgresql,mongo,sqlite] [--workers 1,4]
                                 [--mode claims,worker]

Sacred 0.8.7 has no workers, so this bench has no peer to compare with; it
reports absolute figures and checks the target (>= 50 claims/s with 4 workers
on PostgreSQL and FileStorage) and completeness (every queued run claimed
exactly once, none lost) for:

* ``claims``: W processes call the store's atomic claim in a loop until the
  queue is empty (each claim marks its run done at once): claims/s over the
  wall time from a common start, and the latency of each claim (p50, p95, max);
* ``worker``: W ``sacred worker`` processes drain the queue running a trivial
  experiment: runs/s end to end (claim, import, run, record), from the first
  run's start to the last run's stop as stored.

PostgreSQL at 127.0.0.1:5432 (database ``test``, a fresh schema per
measurement, dropped afterwards); MongoDB is an ``nx-27017`` started on a free
loopback port and stopped by its PID. Never fails for speed (exit 0); exit 2
only when the harness cannot run. Results go to ``bench/results/queue_latest.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
RESULTS = REPO_ROOT / "bench" / "results" / "queue_latest.json"
PG_URL = os.environ.get("SACRED_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
TARGET_CLAIMS_PER_SECOND = 50.0
TARGET_STORES = ("postgresql", "file")
CHILD_DEADLINE = 600.0
EXPERIMENT = """\
import logging

from sacred import Experiment
ex = Experiment("bench_queue")
ex.logger = logging.getLogger("bench_queue")
ex.logger.addHandler(logging.NullHandler())
ex.logger.propagate = False

@ex.config
def cfg():
    n = 0

@ex.automain
def main(n):
    return n
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Store:
    """One fresh store of a kind: its spec, an observer factory, and cleanup."""

    def __init__(self, kind: str, scratch: Path, mongo_url: str | None) -> None:
        self.kind = kind
        self.cleanup = lambda: None
        if kind == "file":
            self.spec = str(scratch / "runs")
            os.makedirs(self.spec)
        elif kind == "sqlite":
            self.spec = f"sqlite:///{scratch / 'runs.db'}"
        elif kind == "mongo":
            self.db = "bench_" + uuid.uuid4().hex[:8]
            self.mongo_url = mongo_url
            self.spec = f"{mongo_url}/{self.db}"
        else:
            import sqlalchemy as sa

            schema = "bench_q_" + uuid.uuid4().hex[:10]
            admin = sa.create_engine(PG_URL)
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in PG_URL else "?"
            self.spec = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"

            def drop() -> None:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()

            self.cleanup = drop

    def observer(self):
        """An observer writing into the store."""
        from sacred.observers import FileStorageObserver, MongoObserver, SqlObserver

        if self.kind == "file":
            return FileStorageObserver(self.spec)
        if self.kind == "mongo":
            return MongoObserver(url=self.mongo_url, db_name=self.db)
        return SqlObserver(self.spec)


def queue_runs(store: Store, project: Path, count: int) -> float:
    """Queue ``count`` runs of the trivial experiment; return the seconds it took."""
    sys.path.insert(0, str(REPO_ROOT))
    from sacred_runner.importer import import_file

    experiment = import_file(project / "exp_bench.py").ex
    experiment.observers[:] = [store.observer()]
    started = time.perf_counter()
    previous = os.getcwd()
    os.chdir(project)
    try:
        for index in range(count):
            experiment.run(config_updates={"n": index}, options={"--queue": True})
    finally:
        os.chdir(previous)
        experiment.observers[:] = []
    return time.perf_counter() - started


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def claim_child(spec: str, go_file: str) -> None:
    """In a child process: claim until the queue is empty; print ``[[run_id, seconds], ...]`` as JSON."""
    from sacred_runner.queue import WorkerIdentity, open_queue_store

    store = open_queue_store(spec)
    identity = WorkerIdentity()
    store.running_runs()  # connected and warm: the first claim does not pay for imports
    Path(f"{go_file}.ready.{os.getpid()}").touch()
    deadline = time.monotonic() + CHILD_DEADLINE
    while not os.path.exists(go_file) and time.monotonic() < deadline:
        time.sleep(0.001)
    claims = []
    while time.monotonic() < deadline:
        started = time.perf_counter()
        claim = store.claim(identity, lambda run_id, record: True)
        elapsed = time.perf_counter() - started
        if claim is None:
            break
        claims.append([str(claim.run_id), elapsed])
        store.end_claimed(claim, "COMPLETED", "claimed by the bench")
    store.close()
    print(json.dumps({"claims": claims, "end": time.time()}))


def measure_claims(store: Store, workers: int) -> dict:
    """W claiming processes from a common start: throughput, latency, completeness."""
    go_file = tempfile.mktemp(prefix="bench-go-")
    children = [subprocess.Popen([sys.executable, __file__, "--claim-child", store.spec, go_file],
                                 stdout=subprocess.PIPE, env=_env(), text=True) for _ in range(workers)]
    deadline = time.monotonic() + CHILD_DEADLINE
    while time.monotonic() < deadline:  # every child imported and connected
        if all(os.path.exists(f"{go_file}.ready.{child.pid}") for child in children):
            break
        time.sleep(0.01)
    start = time.time()
    Path(go_file).touch()
    outputs = [json.loads(child.communicate(timeout=CHILD_DEADLINE)[0]) for child in children]
    os.remove(go_file)
    for child in children:
        os.remove(f"{go_file}.ready.{child.pid}")
    claims = [claim for output in outputs for claim in output["claims"]]
    wall = max(output["end"] for output in outputs) - start
    latencies = sorted(seconds for _, seconds in claims)
    ids = [run_id for run_id, _ in claims]
    return {
        "claims": len(claims), "distinct": len(set(ids)), "wall_s": round(wall, 3),
        "claims_per_s": round(len(claims) / wall, 1) if wall > 0 else None,
        "latency_ms_p50": round(1000 * statistics.median(latencies), 2) if latencies else None,
        "latency_ms_p95": round(1000 * latencies[int(0.95 * (len(latencies) - 1))], 2) if latencies else None,
        "latency_ms_max": round(1000 * latencies[-1], 2) if latencies else None,
    }


def measure_worker(store: Store, project: Path, workers: int) -> dict:
    """W ``sacred worker`` processes drain the queue: runs/s from the stored start and stop times.

    The span from the first run's start to the last run's stop leaves out the
    workers' own start-up (imports, connecting), which a long-lived worker pays once.
    """
    idle = 1.0
    processes = [subprocess.Popen(
        [sys.executable, "-m", "sacred_runner", "worker", store.spec, "--rootdir", str(project),
         "--idle-timeout", str(idle), "--poll-interval", "0.05", "-qq", "--color=no"],
        cwd=project, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    ) for _ in range(workers)]
    codes = [process.wait(timeout=CHILD_DEADLINE) for process in processes]
    first_start, last_stop = stored_span(store)
    return {"exit_codes": codes, "wall_s": round((last_stop - first_start).total_seconds(), 3)}


def stored_span(store: Store) -> tuple:
    """(earliest start_time, latest stop_time) of the stored runs, as datetimes."""
    import datetime as dt

    from sacred.observers.file_storage import list_runs

    def parse(value):
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else value

    if store.kind == "file":
        runs = list_runs(store.spec).values()
        return (min(parse(r["start_time"]) for r in runs if r.get("start_time")),
                max(parse(r["stop_time"]) for r in runs if r.get("stop_time")))
    if store.kind == "mongo":
        import pymongo

        client = pymongo.MongoClient(store.mongo_url)
        try:
            docs = list(client[store.db].runs.find({}, {"start_time": 1, "stop_time": 1}))
        finally:
            client.close()
        return (min(d["start_time"] for d in docs if d.get("start_time")),
                max(d["stop_time"] for d in docs if d.get("stop_time")))
    import sqlalchemy as sa

    engine = sa.create_engine(store.spec)
    try:
        with engine.connect() as conn:
            row = conn.execute(sa.text("SELECT min(start_time), max(stop_time) FROM run")).one()
    finally:
        engine.dispose()
    return parse(row[0]), parse(row[1])


def count_statuses(store: Store) -> dict:
    """``{status: count}`` of the stored runs."""
    from collections import Counter

    from sacred.observers.file_storage import list_runs

    if store.kind == "file":
        return dict(Counter(run.get("status") for run in list_runs(store.spec).values()))
    if store.kind == "mongo":
        import pymongo

        client = pymongo.MongoClient(store.mongo_url)
        try:
            return dict(Counter(doc["status"] for doc in client[store.db].runs.find({}, {"status": 1})))
        finally:
            client.close()
    import sqlalchemy as sa

    engine = sa.create_engine(store.spec)
    try:
        with engine.connect() as conn:
            return dict(conn.execute(sa.text("SELECT status, count(*) FROM run GROUP BY status")).all())
    finally:
        engine.dispose()


def start_mongo(scratch: Path) -> tuple[subprocess.Popen, str]:
    """An nx-27017 on a free loopback port (stopped by PID at the end)."""
    executable = Path(sys.executable).with_name("nx-27017")
    if not executable.exists():
        executable = Path(shutil.which("nx-27017") or "nx-27017")
    port = _free_port()
    process = subprocess.Popen([str(executable), "--db", "memory", "--host", "127.0.0.1", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, f"mongodb://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("nx-27017 did not start")


def main() -> int:
    """Run the selected measurements; print a table and write the JSON results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--stores", default="file,postgresql,mongo,sqlite")
    parser.add_argument("--workers", default="1,4")
    parser.add_argument("--mode", default="claims,worker")
    parser.add_argument("--claim-child", nargs=2, metavar=("SPEC", "GO_FILE"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.claim_child:
        sys.path.insert(0, str(REPO_ROOT))
        claim_child(*args.claim_child)
        return 0
    stores = [s.strip() for s in args.stores.split(",") if s.strip()]
    worker_counts = [int(w) for w in args.workers.split(",")]
    modes = [m.strip() for m in args.mode.split(",")]
    unknown = set(stores) - {"file", "postgresql", "mongo", "sqlite"} or set(modes) - {"claims", "worker"}
    if unknown:
        print(f"unknown store or mode: {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    scratch_root = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    mongo_process, mongo_url = (start_mongo(scratch_root) if "mongo" in stores else (None, None))
    results = []
    try:
        for kind in stores:
            for mode in modes:
                for workers in worker_counts:
                    scratch = Path(tempfile.mkdtemp(dir=scratch_root))
                    project = scratch / "project"
                    project.mkdir()
                    (project / "exp_bench.py").write_text(EXPERIMENT)
                    store = Store(kind, scratch, mongo_url)
                    try:
                        queue_seconds = queue_runs(store, project, args.runs)
                        if mode == "claims":
                            figures = measure_claims(store, workers)
                        else:
                            figures = measure_worker(store, project, workers)
                            figures["runs_per_s"] = round(args.runs / figures["wall_s"], 1)
                        statuses = count_statuses(store)
                    finally:
                        store.cleanup()
                    complete = statuses == {"COMPLETED": args.runs} and figures.get("distinct", args.runs) == \
                        args.runs == figures.get("claims", args.runs)
                    row = {"store": kind, "mode": mode, "workers": workers, "runs": args.runs,
                           "queue_runs_per_s": round(args.runs / queue_seconds, 1), **figures,
                           "statuses": statuses, "complete": complete}
                    results.append(row)
                    rate = row.get("claims_per_s") if mode == "claims" else row.get("runs_per_s")
                    latency = (f"  latency p50 {row['latency_ms_p50']} ms, p95 {row['latency_ms_p95']} ms"
                               if mode == "claims" else "")
                    print(f"{kind:<10} {mode:<7} {workers} worker(s): {rate}/s{latency}  "
                          f"complete={complete} {statuses}", flush=True)
    finally:
        if mongo_process is not None:
            os.killpg(mongo_process.pid, signal.SIGTERM)
            mongo_process.wait(timeout=10)
        shutil.rmtree(scratch_root, ignore_errors=True)
    targets = []
    for row in results:
        if row["store"] in TARGET_STORES and row["mode"] == "claims" and row["workers"] == 4:
            met = (row["claims_per_s"] or 0) >= TARGET_CLAIMS_PER_SECOND and row["complete"]
            targets.append(f"{row['store']}: {row['claims_per_s']} claims/s with 4 workers "
                           f"(target >= {TARGET_CLAIMS_PER_SECOND:g}, nothing lost or duplicated): "
                           f"{'MET' if met else 'MISSED'}")
    for line in targets:
        print(line)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"results": results, "targets": targets, "time": time.time()}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
