"""A run started directly (``python exp.py``, no queue record) that dies is requeued like a queued one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.sacred_runner.queue.conftest import REPO_ROOT

_OBSERVER_FLAG = {"file": "-F", "mongo": "-m", "postgresql": "-s", "sqlite": "-s"}
_REQUEUE_FLAGS = ["--requeue-dead", "--dead-after-beats", "3", "--dead-min-seconds", "1"]


def _start_directly(queue_env, script: Path, *updates: str) -> subprocess.Popen:
    """``python exp.py with UPDATES <observer flag> STORE --beat_interval 0.2`` as its own process."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    log = open(script.parent / "direct.out", "wb")  # noqa: SIM115 - kept by the child
    try:
        process = subprocess.Popen(
            [sys.executable, str(script), "with", *updates, _OBSERVER_FLAG[queue_env.kind], queue_env.spec,
             "--beat_interval", "0.2"],
            cwd=script.parent, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    finally:
        log.close()
    queue_env.processes.append(process)  # killed at teardown if a wait fails
    return process


def _kill_while_beating(queue_env, process: subprocess.Popen, hang: Path) -> str:
    """Wait (bounded) until the only stored run beats twice while hanging, kill -9 it; return its id."""
    runs = queue_env.wait_for(lambda r: not hang.exists() and len(r) == 1
                              and next(iter(r.values()))["heartbeat"] is not None,
                              what="the directly started run to beat")
    [(run_id, run)] = runs.items()
    queue_env.wait_for(lambda r: r[run_id]["heartbeat"] != run["heartbeat"], what="a second heartbeat")
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    return run_id


@pytest.mark.parametrize("store_kind", ["file", "mongo", "postgresql", "sqlite"], indirect=True)
def test_a_directly_started_run_killed_is_requeued_and_completes_with_its_config_and_seed(queue_env):
    hang = queue_env.project / "hang.flag"
    hang.write_text("hang once")
    direct = _start_directly(queue_env, queue_env.project / "exp_drain.py", "n=7", f"hang_file={hang}")
    run_id = _kill_while_beating(queue_env, direct, hang)
    assert "queue" not in queue_env.runs()[run_id]["meta"]  # started directly: no queue record

    worker = queue_env.start_worker("--poll-interval", "0.1", "--idle-timeout", "4", *_REQUEUE_FLAGS)
    assert queue_env.wait(worker) == 0, queue_env.output(worker)
    runs = queue_env.runs()
    assert len(runs) == 2, runs
    dead = runs[run_id]
    assert dead["status"] == "DEAD"
    [(new_id, attempt)] = [(k, v) for k, v in runs.items() if k != run_id]
    assert str(dead["meta"]["requeued_as"]) == new_id
    assert attempt["status"] == "COMPLETED", attempt
    assert attempt["result"] == 7
    assert str(attempt["meta"]["attempt_of"]) == run_id
    assert attempt["meta"]["attempt"] == 2
    assert attempt["config"] == dead["config"]  # the same config, seed included
    assert attempt["meta"]["queue"]["config_updates"]["seed"] == dead["config"]["seed"]
    assert attempt["meta"]["queue"]["file"] == "exp_drain.py"
    out, _err = queue_env.output(worker)
    assert f"run {run_id} is DEAD: requeued as run {new_id} (attempt 2)" in out


@pytest.mark.parametrize("store_kind", ["file", "postgresql"], indirect=True)
def test_a_run_started_by_sacred_run_and_killed_is_requeued_with_its_seed(queue_env):
    hang = queue_env.project / "hang.flag"
    hang.write_text("hang once")
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.pop("SACRED_ADDOPTS", None)
    flag = "--file_storage" if queue_env.kind == "file" else "--sql"
    log = open(queue_env.project / "runner.out", "wb")  # noqa: SIM115 - kept by the child
    try:
        runner = subprocess.Popen(
            [sys.executable, "-m", "sacred_runner", "run", "exp_drain.py", "--color=no", flag, queue_env.spec,
             "--beat_interval", "0.2", "with", "n=5", f"hang_file={hang}"],
            cwd=queue_env.project, env=env, stdout=log, stderr=subprocess.STDOUT)
    finally:
        log.close()
    queue_env.processes.append(runner)
    run_id = _kill_while_beating(queue_env, runner, hang)

    worker = queue_env.start_worker("--poll-interval", "0.1", "--idle-timeout", "4", *_REQUEUE_FLAGS)
    assert queue_env.wait(worker) == 0, queue_env.output(worker)
    runs = queue_env.runs()
    [(new_id, attempt)] = [(k, v) for k, v in runs.items() if k != run_id]
    assert runs[run_id]["status"] == "DEAD"
    assert attempt["status"] == "COMPLETED", (attempt, queue_env.output(worker))
    assert attempt["result"] == 5
    assert str(attempt["meta"]["attempt_of"]) == run_id
    assert attempt["config"]["seed"] == runs[run_id]["config"]["seed"]


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_a_dead_run_whose_file_the_worker_cannot_locate_is_marked_dead_with_the_reason(queue_env, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    script = elsewhere / "exp_other.py"
    script.write_text((queue_env.project / "exp_drain.py").read_text())
    hang = elsewhere / "hang.flag"
    hang.write_text("hang once")
    direct = _start_directly(queue_env, script, f"hang_file={hang}")
    run_id = _kill_while_beating(queue_env, direct, hang)

    worker = queue_env.start_worker("--poll-interval", "0.1", "--idle-timeout", "3", *_REQUEUE_FLAGS)
    assert queue_env.wait(worker) == 0, queue_env.output(worker)
    runs = queue_env.runs()
    assert list(runs) == [run_id]
    reason = runs[run_id]["meta"]["dead"]["reason"]
    assert str(script) in reason and "not found in the worker's rootdir" in reason
    assert runs[run_id]["status"] == "DEAD"
    out, _err = queue_env.output(worker)
    assert f"run {run_id} is DEAD (it was started directly from {script}" in out
    assert "not requeued" in out
