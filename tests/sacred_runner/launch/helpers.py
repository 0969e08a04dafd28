"""Shared pieces of the launcher tests: experiments that fail, wait to be killed, report their pid."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from tests.sacred_runner.conftest import REPO_ROOT

#: an experiment whose points complete, fail, wait to be killed (the first "wait" point only) or
#: sleep for a minute ("sleep"; on Ctrl+C they take ``cleanup`` seconds to stop, like saving a checkpoint)
FAULTY_EXPERIMENT = """\
    import os, pathlib, time
    from sacred import Experiment
    ex = Experiment("faulty")
    @ex.config
    def cfg():
        mode = "ok"
        x = 1
        marker_dir = "."
        cleanup = 0.0
    @ex.automain
    def main(mode, x, marker_dir, cleanup, _run):
        _run.log_scalar("x", x)
        if mode == "fail":
            raise RuntimeError("this point fails on purpose")
        if mode == "sleep":
            pathlib.Path(marker_dir, "sleeping-%d" % os.getpid()).write_text(str(os.getpid()))
            try:
                for _ in range(600):
                    time.sleep(0.1)
            except KeyboardInterrupt:
                time.sleep(cleanup)
                raise
        if mode == "wait":
            marker = pathlib.Path(marker_dir, "attempt")
            first = not marker.exists()
            marker.write_text(str(os.getpid()))
            pathlib.Path(marker_dir, "pid-%d" % os.getpid()).write_text(str(os.getpid()))
            if first:
                pathlib.Path(marker_dir, "waiting").write_text(str(os.getpid()))
                for _ in range(600):
                    time.sleep(0.1)
        return x * 10
    """


def wait_for(predicate, timeout: float = 60.0, what: str = "condition"):
    """Poll ``predicate`` (bounded in time); return its first truthy value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def start_sacred(folder: Path, *args: str, env: dict | None = None) -> subprocess.Popen:
    """``python -m sacred_runner ARGS`` in its own session (so a test can signal its group)."""
    full_env = dict(os.environ)
    full_env.pop("SACRED_ADDOPTS", None)
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), full_env.get("PYTHONPATH")]))
    full_env.update(env or {})
    return subprocess.Popen([sys.executable, "-m", "sacred_runner", *args], cwd=folder, env=full_env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)


def interrupt_when_sleeping(folder: Path, *args: str, sleeping: int = 2,
                            whole_group: bool = True) -> tuple[int, str, str]:
    """Start ``sacred ARGS``; once ``sleeping`` runs sleep, send SIGINT; return (exit code, stdout, stderr).

    ``whole_group`` sends it like Ctrl+C in a terminal (to the whole process
    group); otherwise only the runner gets it (``kill -INT PID``).
    """
    process = start_sacred(folder, *args)
    try:
        wait_for(lambda: len(list(folder.glob("sleeping-*"))) == sleeping, what=f"{sleeping} sleeping runs")
        (os.killpg if whole_group else os.kill)(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return process.returncode, stdout, stderr


def file_runs(store: Path) -> dict[int, dict]:
    """``{run id: run.json + config}`` of a FileStorage folder."""
    found = {}
    for run_dir in store.iterdir():
        if run_dir.name.isdigit():
            entry = json.loads((run_dir / "run.json").read_text())
            entry["config"] = json.loads((run_dir / "config.json").read_text())
            found[int(run_dir.name)] = entry
    return found


def sqlite_runs(path: Path) -> dict[str, dict]:
    """``{run id: {status, fail_trace, meta, config}}`` of an SqlObserver SQLite file."""
    if not path.exists():
        return {}
    with sqlite3.connect(path) as connection:
        try:
            rows = connection.execute("SELECT run_id, status, fail_trace, meta, config FROM run").fetchall()
        except sqlite3.OperationalError:  # not created yet
            return {}
    return {
        run_id: {"status": status, "fail_trace": fail_trace or "", "meta": json.loads(meta), "config": json.loads(config)}
        for run_id, status, fail_trace, meta, config in rows
    }
