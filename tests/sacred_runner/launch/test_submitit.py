"""``--launcher submitit`` on submitit's local executor: failing point, killed job, two stores."""

from __future__ import annotations

import os
import signal

import pytest

from tests.sacred_runner.launch.helpers import (
    FAULTY_EXPERIMENT,
    file_runs,
    interrupt_when_sleeping,
    sqlite_runs,
    start_sacred,
    wait_for,
)

pytest.importorskip("submitit")


def test_a_grid_with_a_failing_point_as_local_jobs_into_file_storage_and_sqlite(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    result = sacredtester.run_subprocess(
        "run", "--launcher", "submitit", "--submitit-cluster", "local", "-n", "2", "-M", "--color=no",
        "--file_storage", "fs", "--sql", "sqlite:///runs.db", "with", "mode=ok,fail", "x=1,2")
    assert result.ret == 1, result.stderr
    stored = file_runs(sacredtester.path / "fs")
    assert sorted(e["status"] for e in stored.values()) == ["COMPLETED", "COMPLETED", "FAILED", "FAILED"]
    for entry in stored.values():
        point = entry["meta"]["sweep"]["point"]
        if point["mode"] == "ok":
            assert entry["result"] == 10 * point["x"]
        else:
            assert "this point fails on purpose" in "".join(entry["fail_trace"])
    in_sql = sqlite_runs(sacredtester.path / "runs.db")
    assert sorted(r["status"] for r in in_sql.values()) == ["COMPLETED", "COMPLETED", "FAILED", "FAILED"]
    assert (sacredtester.path / ".sacred" / "submitit").is_dir()


def test_kill_9_of_a_job_records_its_run_failed(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    process = start_sacred(sacredtester.path, "run", "--launcher", "submitit", "--submitit-cluster", "local",
                           "-n", "2", "-M", "--color=no", "--sql", "sqlite:///runs.db", "--file_storage", "fs",
                           "with", "mode=wait,ok", "x=5")
    try:
        pid = int(wait_for(lambda: (sacredtester.path / "waiting").exists()
                           and (sacredtester.path / "waiting").read_text(), what="the waiting run"))
        os.kill(pid, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=180)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert process.returncode == 1, stderr
    stored = file_runs(sacredtester.path / "fs")
    assert sorted(e["status"] for e in stored.values()) == ["COMPLETED", "FAILED"]
    lost = next(e for e in stored.values() if e["status"] == "FAILED")
    assert "submitit job" in "".join(lost["fail_trace"])
    assert sorted(r["status"] for r in sqlite_runs(sacredtester.path / "runs.db").values()) == ["COMPLETED", "FAILED"]


def test_an_unknown_submitit_cluster_is_a_usage_error(sacredtester):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", "--launcher", "submitit", "--submitit-cluster", "moon")
    assert result.ret == 4 and "--submitit-cluster: expected one of slurm, local, debug" in result.stderr


def test_ctrl_c_interrupts_running_jobs_and_cancels_the_rest(sacredtester):
    # the runs take 2 s to stop (a checkpoint saved on Ctrl+C): submitit's own local
    # controller would SIGKILL them 1 s after Ctrl+C, leaving their records RUNNING
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    code, stdout, stderr = interrupt_when_sleeping(
        sacredtester.path, "run", "--launcher", "submitit", "--submitit-cluster", "local",
        "-n", "2", "-M", "--color=no", "with", "mode=sleep", "cleanup=2.0", "x=1,2,3,4")
    assert code == 2, stderr
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    assert sorted(e["status"] for e in stored.values()) == ["INTERRUPTED", "INTERRUPTED"]
    assert "Interrupted: 2 interrupted, 2 not started in" in stdout
    assert "Traceback" not in stderr  # submitit's controllers never see the Ctrl+C


def test_sigint_to_the_runner_alone_still_stops_the_running_jobs(sacredtester):
    # e.g. `kill -INT` of the sacred process: the jobs are sent SIGTERM after a grace period
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    code, stdout, stderr = interrupt_when_sleeping(
        sacredtester.path, "run", "--launcher", "submitit", "--submitit-cluster", "local",
        "-n", "2", "-M", "--color=no", "with", "mode=sleep", "cleanup=0.5", "x=1,2,3", whole_group=False)
    assert code == 2, stderr
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    assert sorted(e["status"] for e in stored.values()) == ["INTERRUPTED", "INTERRUPTED"]
    assert "2 interrupted" in stdout and "1 not started" in stdout
