"""``--launcher dask``: a real scheduler and two ``dask worker`` processes on loopback."""

from __future__ import annotations

import os
import re
import signal
import subprocess

import pytest

from tests.fixtures.dask_cluster import start_cluster
from tests.fixtures.mongo_server import free_port
from tests.sacred_runner.launch.helpers import (
    FAULTY_EXPERIMENT,
    file_runs,
    interrupt_when_sleeping,
    sqlite_runs,
    start_sacred,
    wait_for,
)

pytest.importorskip("distributed")


def test_a_grid_with_a_failing_point_on_two_workers_into_file_storage_and_sqlite(sacredtester, dask_cluster):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    result = sacredtester.run_subprocess(
        "run", "--launcher", "dask", "--scheduler", dask_cluster.address, "-M", "--color=no",
        "--file_storage", "fs", "--sql", "sqlite:///runs.db", "with", "mode=ok,fail", "x=1,2")
    assert result.ret == 1, result.stderr
    assert f"launcher: dask, scheduler {dask_cluster.address}" in result.stdout
    stored = file_runs(sacredtester.path / "fs")
    assert sorted(e["status"] for e in stored.values()) == ["COMPLETED", "COMPLETED", "FAILED", "FAILED"], [e.get("fail_trace") for e in stored.values()]
    for entry in stored.values():
        point = entry["meta"]["sweep"]["point"]
        assert entry["config"]["x"] == point["x"]
        if point["mode"] == "fail":
            assert "this point fails on purpose" in "".join(entry["fail_trace"])
        else:
            assert entry["result"] == 10 * point["x"]
    in_sql = sqlite_runs(sacredtester.path / "runs.db")
    assert sorted(r["status"] for r in in_sql.values()) == ["COMPLETED", "COMPLETED", "FAILED", "FAILED"]
    assert "this point fails on purpose" in result.stdout
    hosts = {e["host"]["hostname"] for e in stored.values()}
    assert hosts  # written by the workers themselves


def test_kill_9_of_a_dask_worker_records_the_run_failed_and_reruns_it_once(sacredtester, dask_cluster):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    process = start_sacred(sacredtester.path, "run", "--launcher", "dask", "--scheduler", dask_cluster.address,
                           "-M", "--color=no", "--file_storage", "fs", "--sql", "sqlite:///runs.db",
                           "with", "mode=wait,ok", "x=3")
    try:
        pid = int(wait_for(lambda: (sacredtester.path / "waiting").exists()
                           and (sacredtester.path / "waiting").read_text(), what="the waiting run"))
        wait_for(lambda: sqlite_runs(sacredtester.path / "runs.db"), what="the run record")
        os.kill(pid, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    stored = file_runs(sacredtester.path / "fs")
    statuses = sorted(e["status"] for e in stored.values())
    assert "RUNNING" not in statuses
    lost = [e for e in stored.values() if e["status"] == "FAILED"]
    assert len(lost) == 1 and "was lost" in "".join(lost[0]["fail_trace"])
    assert "dask worker tcp://127.0.0.1" in "".join(lost[0]["fail_trace"])
    assert statuses == ["COMPLETED", "COMPLETED", "FAILED"]  # the wait point ran again elsewhere and completed
    [(lost_id, _)] = [(k, e) for k, e in stored.items() if e["status"] == "FAILED"]
    [rerun] = [e for e in stored.values() if e["meta"].get("attempt_of") is not None]
    assert str(rerun["meta"]["attempt_of"]) == str(lost_id)  # linked to the lost attempt, as a requeued run is
    assert rerun["meta"]["attempt"] == 2 and rerun["status"] == "COMPLETED"
    assert rerun["meta"]["sweep"]["point"] == lost[0]["meta"]["sweep"]["point"]
    assert "attempt_of" not in lost[0]["meta"]
    in_sql = sqlite_runs(sacredtester.path / "runs.db")
    assert sorted(r["status"] for r in in_sql.values()) == statuses
    assert [str(r["meta"].get("attempt_of")) for r in in_sql.values() if r["meta"].get("attempt_of")] == [str(lost_id)]
    assert process.returncode == 0, stderr
    assert "lost its worker" in stderr


def test_an_unreachable_scheduler_is_a_clear_error_within_the_connect_timeout(sacredtester):
    sacredtester.experiment("exp_a.py")
    port = free_port()
    result = sacredtester.run_subprocess("run", "--launcher", "dask", "--scheduler", f"tcp://127.0.0.1:{port}",
                                         "--connect-timeout", "2", timeout=60)
    assert result.ret == 4
    assert f"ERROR: cannot reach the dask scheduler tcp://127.0.0.1:{port} within 2s" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (sacredtester.path / ".sacred" / "runs").exists()


def test_a_store_the_workers_cannot_see_is_refused_before_running(sacredtester, tmp_path):
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        pytest.skip("needs unshare (mount namespaces) to hide the store from the worker")
    sacredtester.experiment("exp_a.py")
    cluster = start_cluster(tmp_path / "hidden-cluster", workers=1, hidden=[sacredtester.path])
    try:
        result = sacredtester.run_subprocess("run", "--launcher", "dask", "--scheduler", cluster.address)
    finally:
        cluster.stop()
    assert result.ret == 4, result.stdout
    assert "the embedded default store" in result.stderr and "is not reachable from the dask worker" in result.stderr
    assert "SQL or MongoDB URL" in result.stderr
    assert not [p for p in (sacredtester.path / ".sacred" / "runs").glob("[0-9]*")]


def test_without_scheduler_a_local_cluster_runs_the_points(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    result = sacredtester.run_subprocess("run", "--launcher", "dask", "-n", "2", "-M", "--color=no",
                                         "with", "x=1,2,3")
    assert result.ret == 0, result.stderr
    assert sorted(e["result"] for e in file_runs(sacredtester.path / ".sacred" / "runs").values()) == [10, 20, 30]


def test_ctrl_c_interrupts_the_running_run_on_its_worker_and_cancels_the_rest(sacredtester, dask_cluster):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    code, stdout, stderr = interrupt_when_sleeping(
        sacredtester.path, "run", "--launcher", "dask", "--scheduler", dask_cluster.address,
        "-M", "--color=no", "with", "mode=sleep", "x=1,2,3,4,5,6")
    assert code == 2, stderr
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    statuses = sorted(e["status"] for e in stored.values())
    assert statuses == ["INTERRUPTED", "INTERRUPTED"]  # one per worker; the other four never started
    # A point already handed to Dask but not yet started when Ctrl+C arrives may be
    # counted as interrupted rather than cancelled (it stored nothing either way).
    summary = re.search(r"Interrupted: (\d) interrupted, (\d) not started in", stdout)
    assert summary is not None, stdout
    interrupted, not_started = map(int, summary.groups())
    assert interrupted in (2, 3) and interrupted + not_started == 6, stdout  # each point counted once


def test_exitfirst_submits_nothing_after_the_first_failure(sacredtester, dask_cluster):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    result = sacredtester.run_subprocess("run", "--launcher", "dask", "--scheduler", dask_cluster.address, "-x",
                                         "-M", "--color=no", "with", "mode=fail,ok", "x=1,2,3")
    assert result.ret == 1, result.stderr
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    assert sorted(e["status"] for e in stored.values()) == ["FAILED", "FAILED"]  # the two in flight
    assert "2 failed, 4 not started (stopped at the first failure, -x)" in result.stdout
    assert "deselected" not in result.stdout
