"""``-n N``: long-lived local workers; failing points, killed workers, Ctrl+C, -x, isolation."""

from __future__ import annotations

import json
import os
import signal

import pytest

from tests.sacred_runner.launch.helpers import (
    FAULTY_EXPERIMENT,
    file_runs,
    sqlite_runs,
    start_sacred,
    wait_for,
)


def test_a_grid_on_two_workers_with_a_failing_point_in_file_storage_and_sqlite(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    result = sacredtester.run("run", "-n", "2", "-M", "--color=no", "--file_storage", "fs", "--sql",
                              "sqlite:///runs.db", "with", "mode=ok,fail", "x=1,2,3")
    assert result.ret == 1, result.stderr
    assert "launcher: local, 2 worker processes" in result.stdout
    stored = file_runs(sacredtester.path / "fs")
    assert len(stored) == 6
    by_point = {(e["meta"]["sweep"]["point"]["mode"], e["meta"]["sweep"]["point"]["x"]): e for e in stored.values()}
    for x in (1, 2, 3):
        assert by_point[("ok", x)]["status"] == "COMPLETED" and by_point[("ok", x)]["result"] == 10 * x
        assert by_point[("fail", x)]["status"] == "FAILED"
        assert "this point fails on purpose" in "".join(by_point[("fail", x)]["fail_trace"])
    in_sql = sqlite_runs(sacredtester.path / "runs.db")
    assert sorted(r["status"] for r in in_sql.values()) == ["COMPLETED"] * 3 + ["FAILED"] * 3
    assert {r["meta"]["sweep"]["id"] for r in in_sql.values()} == {e["meta"]["sweep"]["id"] for e in stored.values()}
    assert "FAILURES" in result.stdout and "this point fails on purpose" in result.stdout


def test_kill_9_of_a_worker_records_its_run_failed_and_the_others_finish(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    process = start_sacred(sacredtester.path, "run", "-n", "2", "-M", "--color=no", "--sql", "sqlite:///runs.db",
                           "--file_storage", "fs", "with", "mode=wait,ok", "x=1,2")
    try:
        pid = int(wait_for(lambda: (sacredtester.path / "waiting").exists()
                           and (sacredtester.path / "waiting").read_text(), what="the waiting run"))
        os.kill(pid, signal.SIGKILL)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 1, stderr
    stored = file_runs(sacredtester.path / "fs")
    assert len(stored) == 4 and not [e for e in stored.values() if e["status"] == "RUNNING"]
    killed = [e for e in stored.values() if e["status"] == "FAILED"]
    assert len(killed) == 1
    assert "SIGKILL" in "".join(killed[0]["fail_trace"]) and f"pid {pid}" in "".join(killed[0]["fail_trace"])
    in_sql = sqlite_runs(sacredtester.path / "runs.db")
    assert sorted(r["status"] for r in in_sql.values()) == ["COMPLETED"] * 3 + ["FAILED"]
    assert "SIGKILL" in next(r for r in in_sql.values() if r["status"] == "FAILED")["fail_trace"]
    assert "it was killed by SIGKILL" in stdout


def test_ctrl_c_cancels_unstarted_points_and_records_running_ones_interrupted(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    process = start_sacred(sacredtester.path, "run", "-n", "1", "-M", "--color=no", "with", "mode=wait", "x=1,2,3")
    try:
        wait_for(lambda: (sacredtester.path / "attempt").exists(), what="the first run")
        wait_for(lambda: file_runs(sacredtester.path / ".sacred" / "runs") if (sacredtester.path / ".sacred" / "runs").exists() else None,
                 what="the run record")
        os.killpg(process.pid, signal.SIGINT)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 2, stderr
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    assert [e["status"] for e in stored.values()] == ["INTERRUPTED"]
    assert "Interrupted: 1 interrupted, 2 not started in" in stdout  # counted once, as the sequential runner does
    assert "deselected" not in stdout and "Traceback" not in stderr


def test_exitfirst_stops_scheduling_new_points(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    result = sacredtester.run("run", "-n", "1", "-x", "-M", "--color=no", "with", "mode=fail,ok", "x=1,2")
    assert result.ret == 1
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    assert [e["status"] for e in stored.values()] == ["FAILED"]
    assert "1 failed, 3 not started (stopped at the first failure, -x)" in result.stdout
    assert "deselected" not in result.stdout and "Traceback" not in result.stderr


@pytest.mark.parametrize("whole_group", [True, False], ids=["ctrl-c-to-the-group", "sigterm-to-the-runner"])
def test_stopping_while_workers_hold_a_reserve_cancels_it_without_a_worker_traceback(sacredtester, whole_group):
    """Each of the 2 workers runs one point and holds one in reserve; the stop cancels both reserves."""
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    process = start_sacred(sacredtester.path, "run", "-n", "2", "-M", "--color=no", "with", "mode=sleep", "x=1,2,3,4")
    try:
        wait_for(lambda: len(list(sacredtester.path.glob("sleeping-*"))) == 2, what="2 sleeping runs")
        if whole_group:
            os.killpg(process.pid, signal.SIGINT)
        else:
            os.kill(process.pid, signal.SIGTERM)
        stdout, stderr = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    assert "Traceback" not in stderr and "IndexError" not in stderr, stderr
    assert "2 interrupted, 2 not started in" in stdout, stdout
    assert "deselected" not in stdout
    stored = file_runs(sacredtester.path / ".sacred" / "runs")
    assert sorted(e["status"] for e in stored.values()) == ["INTERRUPTED"] * 2


def test_exitfirst_over_several_files_counts_each_run_once(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    sacredtester.write("exp_fail.py", FAULTY_EXPERIMENT.replace('mode = "ok"', 'mode = "fail"'))
    sacredtester.write("exp_other.py", FAULTY_EXPERIMENT)
    result = sacredtester.run("run", "exp_fail.py", "exp_faulty.py", "exp_other.py", "-n", "1", "-x", "--color=no")
    assert result.ret == 1
    assert "1 failed, 2 not started (stopped at the first failure, -x)" in result.stdout, result.stdout
    assert "deselected" not in result.stdout and "Traceback" not in result.stderr


def test_a_worker_that_dies_keeps_its_runs_output_and_metrics_and_the_reason_is_shown_once(sacredtester):
    sacredtester.write("exp_crash.py", """\
        import os
        from sacred import Experiment
        ex = Experiment("crash")
        @ex.automain
        def main(_run):
            print("before crash", flush=True)
            _run.log_scalar("m", 1.5)
            _run.log_scalar("m", 2.5)
            os._exit(7)
        """)
    result = sacredtester.run("run", "exp_crash.py", "-n", "1", "--color=no", "-q")
    assert result.ret == 1, result.stderr
    [run_dir] = [p for p in (sacredtester.path / ".sacred" / "runs").iterdir() if p.name.isdigit()]
    assert "before crash" in (run_dir / "cout.txt").read_text()
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["m"]["values"] == [1.5, 2.5] and metrics["m"]["steps"] == [0, 1]
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "FAILED" and "it exited with code 7" in "".join(run["fail_trace"])
    assert result.stdout.count("it exited with code 7") == 1, result.stdout


def test_the_store_column_names_the_runs_folder_as_for_an_in_process_run(sacredtester):
    sacredtester.write("exp_faulty.py", FAULTY_EXPERIMENT)
    rows = []
    for extra in ([], ["-n", "1"]):
        result = sacredtester.run("run", "-v", "--color=no", "--file_storage", "fs", *extra)
        assert result.ret == 0, result.stderr
        summary = result.stdout.split(" summary ", 1)[1]
        [row] = [line for line in summary.splitlines() if line.startswith("exp_faulty.py") and "COMPLETED" in line]
        rows.append(row.split()[-1])
    assert [row.replace(os.sep, "/") for row in rows] == ["fs/1", "fs/2"], rows


def test_runs_on_one_worker_do_not_see_each_others_module_state(sacredtester):
    sacredtester.write("counter_state.py", "CALLS = []\n")
    sacredtester.write("exp_state.py", """\
        import os
        from sacred import Experiment, SETTINGS
        import counter_state
        ex = Experiment("state")
        @ex.config
        def cfg():
            x = 0
        @ex.automain
        def main(x):
            counter_state.CALLS.append(x)
            os.environ["SACRED_TEST_LEAK"] = os.environ.get("SACRED_TEST_LEAK", "") + "x"
            SETTINGS.CONFIG.READ_ONLY_CONFIG = not SETTINGS.CONFIG.READ_ONLY_CONFIG
            return [len(counter_state.CALLS), os.environ["SACRED_TEST_LEAK"], os.getpid()]
        """)
    result = sacredtester.run("run", "-n", "1", "-M", "with", "x=1,2,3")
    assert result.ret == 0, result.stderr
    results = [e["result"] for e in file_runs(sacredtester.path / ".sacred" / "runs").values()]
    assert [r[:2] for r in results] == [[1, "x"]] * 3
    assert len({r[2] for r in results}) == 1  # one long-lived worker ran all three


def test_a_run_leaving_a_thread_behind_gets_a_fresh_worker(sacredtester):
    sacredtester.write("exp_thread.py", """\
        import os, threading, time
        from sacred import Experiment
        ex = Experiment("thread")
        @ex.config
        def cfg():
            x = 0
        @ex.automain
        def main(x):
            threading.Thread(target=time.sleep, args=(1.5,)).start()
            return os.getpid()
        """)
    result = sacredtester.run("run", "-n", "1", "-M", "with", "x=1,2")
    assert result.ret == 0, result.stderr
    pids = [e["result"] for e in file_runs(sacredtester.path / ".sacred" / "runs").values()]
    assert len(set(pids)) == 2


@pytest.mark.parametrize("value", ["0", "-2", "many"])
def test_bad_process_counts_are_usage_errors(sacredtester, value):
    sacredtester.experiment("exp_a.py")
    result = sacredtester.run("run", "-n", value)
    assert result.ret == 4
    assert "-n: expected a positive number of worker processes or 'auto'" in result.stderr


def test_n_auto_and_plain_items_without_a_sweep(sacredtester):
    sacredtester.experiment("exp_a.py", result="a + 1")
    sacredtester.experiment("exp_b.py", result="a + 2")
    result = sacredtester.run("run", "-n", "auto", "--color=no")
    assert result.ret == 0, result.stderr
    assert sorted(e["result"] for e in file_runs(sacredtester.path / ".sacred" / "runs").values()) == [2, 3]
    assert "--name" in sacredtester.run("run", "--help").stdout
