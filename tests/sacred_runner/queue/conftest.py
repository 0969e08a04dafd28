"""Real stores for the queue and worker tests: a FileStorage folder, nx-27017, PostgreSQL, SQLite.

``queue_env`` gives a project folder with an experiment file, a store of the
requested kind, helpers to queue runs into it (in this process, through the
store's own observer, as ``python exp.py -q`` does), to start ``sacred worker``
processes on it, and to read back every stored run's status, meta info and
result for the assertions.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"
WORKER_DEADLINE_SECONDS = 240.0

EXPERIMENT = '''\
import os
import time

from sacred import Experiment

ex = Experiment("drain")


@ex.config
def cfg():
    n = 0
    log = ""
    hang_file = ""  # while this file exists, the run deletes it and then hangs (to be killed)


@ex.automain
def main(n, log, hang_file, _run):
    _run.log_scalar("n", n)
    if hang_file and os.path.exists(hang_file):
        os.remove(hang_file)
        artifact = os.path.join(os.path.dirname(hang_file), "first_attempt.txt")
        with open(artifact, "w") as f:
            f.write("stored by the first attempt")
        _run.add_artifact(artifact)
        print("output of the first attempt", flush=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            time.sleep(0.05)
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        os.write(fd, f"{_run._id}\\n".encode())
        os.close(fd)
    return n
'''


def postgres_base_url() -> str:
    """The PostgreSQL server tests use (``SACRED_TEST_POSTGRES_URL`` overrides)."""
    return os.environ.get("SACRED_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _postgres_unavailable() -> str | None:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(postgres_base_url(), connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure: skip with the reason
        return f"no PostgreSQL at {postgres_base_url()} ({type(exc).__name__})"
    return None


@dataclass
class QueueEnv:
    """A project folder and one store of ``kind``."""

    kind: str
    project: Path
    spec: str
    mongo_url: str | None = None
    mongo_db: str | None = None
    processes: list = field(default_factory=list)

    # -- writing -------------------------------------------------------------

    def observer(self) -> Any:
        """A fresh observer on the store."""
        if self.kind == "file":
            from sacred.observers import FileStorageObserver

            return FileStorageObserver(self.spec)
        if self.kind == "mongo":
            from sacred.observers import MongoObserver

            return MongoObserver(url=self.mongo_url, db_name=self.mongo_db)
        from sacred.observers import SqlObserver

        return SqlObserver(self.spec)

    def experiment(self, name: str = "exp_drain.py") -> Any:
        """Import the project's experiment file; return its Experiment."""
        from sacred_runner.importer import import_file

        return import_file(self.project / name).ex

    def queue(self, count: int = 1, beat_interval: float = 0.2, priority: Any = None,
              name: str = "exp_drain.py", **config: Any) -> list:
        """Queue ``count`` runs (``n`` = 0..count-1 unless given); return their ids."""
        experiment = self.experiment(name)
        observer = self.observer()
        experiment.observers[:] = [observer]
        ids = []
        previous = os.getcwd()
        os.chdir(self.project)
        try:
            for index in range(count):
                updates = {"n": index, **config}
                options = {"--queue": True, "--beat_interval": str(beat_interval)}
                if priority is not None:
                    options["--priority"] = str(priority)
                run = experiment.run(config_updates=updates, options=options)
                ids.append(run._id)
        finally:
            os.chdir(previous)
            experiment.observers[:] = []
        return ids

    # -- workers -------------------------------------------------------------

    def start_worker(self, *args: str) -> subprocess.Popen:
        """Start ``sacred worker STORE ARGS`` as a process (output to files in the project)."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        env.pop("SACRED_ADDOPTS", None)
        index = len(self.processes)
        out = open(self.project / f"worker{index}.out", "wb")  # noqa: SIM115 - kept by the child
        err = open(self.project / f"worker{index}.err", "wb")  # noqa: SIM115
        try:
            process = subprocess.Popen(
                [sys.executable, "-m", "sacred_runner", "worker", self.spec, "--rootdir", str(self.project),
                 "--color=no", *args],
                cwd=self.project, env=env, stdout=out, stderr=err,
            )
        finally:
            out.close()
            err.close()
        self.processes.append(process)
        return process

    def output(self, process: subprocess.Popen) -> tuple[str, str]:
        """(stdout, stderr) of a started worker so far."""
        index = self.processes.index(process)
        return ((self.project / f"worker{index}.out").read_text(errors="replace"),
                (self.project / f"worker{index}.err").read_text(errors="replace"))

    def wait(self, process: subprocess.Popen, timeout: float = WORKER_DEADLINE_SECONDS) -> int:
        """Wait (bounded) for a worker to exit; return its exit code."""
        return process.wait(timeout=timeout)

    def stop_all(self) -> None:
        """Kill workers still running (by PID)."""
        for process in self.processes:
            if process.poll() is None:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    # -- reading -------------------------------------------------------------

    def runs(self) -> dict[str, dict]:
        """Every stored run: ``{str(id): {"status", "result", "meta", "heartbeat", "start_time", "host", "config"}}``."""
        if self.kind == "file":
            found = {}
            for entry in os.scandir(self.spec):
                path = Path(entry.path, "run.json")
                if entry.is_dir() and not entry.name.startswith("_") and path.is_file():
                    run = json.loads(path.read_text())
                    found[entry.name] = {"status": run.get("status"), "result": run.get("result"),
                                         "meta": run.get("meta") or {}, "heartbeat": run.get("heartbeat"),
                                         "start_time": run.get("start_time"), "host": run.get("host"),
                                         "config": json.loads(Path(entry.path, "config.json").read_text())}
            return found
        if self.kind == "mongo":
            import pymongo

            client = pymongo.MongoClient(self.mongo_url, serverSelectionTimeoutMS=5000)
            try:
                return {str(doc["_id"]): {"status": doc.get("status"), "result": doc.get("result"),
                                          "meta": doc.get("meta") or {}, "heartbeat": doc.get("heartbeat"),
                                          "start_time": doc.get("start_time"), "host": doc.get("host"),
                                          "config": doc.get("config")}
                        for doc in client[self.mongo_db].runs.find()}
            finally:
                client.close()
        import sqlalchemy as sa

        engine = sa.create_engine(self.spec)
        try:
            with engine.connect() as conn:
                rows = conn.execute(sa.text(
                    "SELECT run_id, status, result, meta, heartbeat, start_time, config FROM run")).all()
        finally:
            engine.dispose()
        return {row.run_id: {"status": row.status, "result": row.result, "meta": json.loads(row.meta or "{}"),
                             "heartbeat": row.heartbeat, "start_time": row.start_time, "host": None,
                             "config": json.loads(row.config or "{}")}
                for row in rows}

    def wait_for(self, predicate: Any, timeout: float = 60.0, what: str = "condition") -> dict:
        """Poll :meth:`runs` until ``predicate(runs)`` holds (bounded); return the runs."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                runs = self.runs()
            except Exception:  # noqa: BLE001 - a file being replaced, a server restarting
                runs = None
            if runs is not None and predicate(runs):
                return runs
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what}; runs: {runs}")
            time.sleep(0.1)


@pytest.fixture(params=["file", "mongo", "postgresql", "sqlite"])
def store_kind(request):
    """Each store kind a worker serves."""
    return request.param


@pytest.fixture
def queue_env(request, store_kind, tmp_path):
    """A :class:`QueueEnv` for ``store_kind``; workers are killed and the store dropped afterwards."""
    project = tmp_path / "project"
    project.mkdir()
    (project / "exp_drain.py").write_text(textwrap.dedent(EXPERIMENT))
    cleanup = None
    if store_kind == "file":
        env = QueueEnv("file", project, str(tmp_path / "runs"))
        os.makedirs(env.spec)
    elif store_kind == "mongo":
        server = request.getfixturevalue("mongo_server")
        name = request.getfixturevalue("mongo_db_name")
        env = QueueEnv("mongo", project, f"{server.url}/{name}", mongo_url=server.url, mongo_db=name)
    elif store_kind == "sqlite":
        env = QueueEnv("sqlite", project, f"sqlite:///{tmp_path / 'runs.db'}")
    else:
        reason = _postgres_unavailable()
        if reason:
            pytest.skip(reason)
        import sqlalchemy as sa

        schema = f"sacred_q_{uuid.uuid4().hex[:12]}"
        admin = sa.create_engine(postgres_base_url())
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        base = postgres_base_url()
        sep = "&" if "?" in base else "?"
        env = QueueEnv("postgresql", project, f"{base}{sep}options=-csearch_path%3D{schema}")

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()

    try:
        yield env
    finally:
        env.stop_all()
        if cleanup is not None:
            cleanup()
