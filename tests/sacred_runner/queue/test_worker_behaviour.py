"""What one ``sacred worker`` does with what it finds in a FileStorage queue (and SQLite / MongoDB)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import time

import pytest

from sacred_runner.main import main


def work(queue_env, *args: str) -> tuple[int, str]:
    """Run ``sacred worker STORE --rootdir PROJECT ARGS`` in this process until the queue is empty."""
    buffer = io.StringIO()
    code = main(["worker", queue_env.spec, "--rootdir", str(queue_env.project), "--color=no",
                 "--idle-timeout", "0", *args], stdout=buffer)
    return int(code), buffer.getvalue()


def order_of_execution(queue_env) -> list[int]:
    log = queue_env.project / "executed.log"
    return [int(line) for line in log.read_text().split()] if log.exists() else []


@pytest.mark.parametrize("store_kind", ["file", "sqlite", "mongo"], indirect=True)
def test_higher_priority_first_then_older_first(queue_env):
    log = str(queue_env.project / "executed.log")
    low = queue_env.queue(2, priority=1, log=log)
    high = queue_env.queue(1, priority=5, log=log)
    plain = queue_env.queue(1, log=log)  # no -P: priority 0
    code, out = work(queue_env)
    assert code == 0, out
    assert [str(i) for i in order_of_execution(queue_env)] == [str(i) for i in high + low + plain]
    assert "4 completed" in out


@pytest.mark.parametrize("store_kind", ["file", "sqlite", "mongo"], indirect=True)
def test_the_run_keeps_its_id_and_gets_start_time_host_and_the_queue_record(queue_env):
    [run_id] = queue_env.queue(1, n=3)
    before = queue_env.runs()[str(run_id)]
    assert before["status"] == "QUEUED"
    record = before["meta"]["queue"]
    assert record["format"] == 1
    assert record["file"] == "exp_drain.py"
    assert record["experiment"] == "drain"
    assert record["command"] == "main"
    # the seed drawn when the run was queued is part of what the worker replays
    assert record["config_updates"] == {"n": 3, "seed": before["config"]["seed"]}
    assert record["options"] == {"--beat_interval": "0.2"}
    code, out = work(queue_env, "-v")
    assert code == 0, out
    after = queue_env.runs()
    assert list(after) == [str(run_id)]
    run = after[str(run_id)]
    assert run["status"] == "COMPLETED" and run["result"] == 3 and run["start_time"] is not None
    assert run["config"]["seed"] == before["config"]["seed"]
    assert run["meta"]["queue"]["claim"]["worker"]["pid"] == os.getpid()
    assert f"id={run_id}" in out


def test_the_summary_shows_each_run_with_its_own_id_and_seed(queue_env):
    # two runs of one experiment: the live lines and the summary must not mix them up
    queued = dict(zip((4, 5), queue_env.queue(1, n=4) + queue_env.queue(1, n=5), strict=True))
    seeds = {n: queue_env.runs()[str(run_id)]["config"]["seed"] for n, run_id in queued.items()}
    code, out = work(queue_env)
    assert code == 0, out
    summary = out.split(" summary ", 1)[1].splitlines()
    for n, run_id in queued.items():
        assert f"exp_drain.py::drain::main[id={run_id}] COMPLETED" in out
        [row] = [line for line in summary if f" n={n} seed={seeds[n]} " in line]
        assert re.search(rf"\s{seeds[n]}\s+{run_id}\s", row), out  # the seed column is this run's


def test_queue_record_leaves_out_options_a_worker_must_not_apply_again(queue_env):
    [run_id] = queue_env.queue(1)
    options = queue_env.runs()[str(run_id)]["meta"]["queue"]["options"]
    assert "--queue" not in options and "--id" not in options
    assert options == {"--beat_interval": "0.2"}


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_keyword_selects_which_runs_a_worker_takes(queue_env):
    (queue_env.project / "exp_other.py").write_text(
        (queue_env.project / "exp_drain.py").read_text().replace('Experiment("drain")', 'Experiment("other")'))
    log = str(queue_env.project / "executed.log")
    drain = queue_env.queue(1, log=log)
    other = queue_env.queue(1, log=log, name="exp_other.py")
    code, out = work(queue_env, "-k", "other")
    assert code == 0, out
    runs = queue_env.runs()
    assert runs[str(other[0])]["status"] == "COMPLETED"
    assert runs[str(drain[0])]["status"] == "QUEUED"


@pytest.mark.parametrize("store_kind", ["file", "sqlite"], indirect=True)
def test_missing_experiment_file_fails_that_run_with_the_reason_and_the_worker_goes_on(queue_env):
    (queue_env.project / "exp_gone.py").write_text((queue_env.project / "exp_drain.py").read_text())
    gone = queue_env.queue(1, name="exp_gone.py")
    kept = queue_env.queue(1)
    (queue_env.project / "exp_gone.py").unlink()
    code, out = work(queue_env)
    assert code == 1  # a run failed
    runs = queue_env.runs()
    assert runs[str(kept[0])]["status"] == "COMPLETED"
    assert runs[str(gone[0])]["status"] == "FAILED"
    assert "experiment file exp_gone.py not found in the worker's rootdir" in out
    if queue_env.kind == "file":
        with open(os.path.join(queue_env.spec, str(gone[0]), "run.json")) as f:
            assert "exp_gone.py not found" in "".join(json.load(f)["fail_trace"])


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_a_run_queued_by_a_newer_format_is_left_queued_with_a_warning(queue_env, capsys):
    newer, current = queue_env.queue(2)
    path = os.path.join(queue_env.spec, str(newer), "run.json")
    with open(path) as f:
        entry = json.load(f)
    entry["meta"]["queue"]["format"] = 99
    with open(path, "w") as f:
        json.dump(entry, f)
    code, _out = work(queue_env)
    assert code == 0
    runs = queue_env.runs()
    assert runs[str(newer)]["status"] == "QUEUED"
    assert runs[str(current)]["status"] == "COMPLETED"
    assert f"queued run {newer} was queued by a newer sacred (queue format 99" in capsys.readouterr().err


@pytest.mark.parametrize("store_kind", ["file", "mongo", "sqlite"], indirect=True)
def test_from_sources_runs_the_code_stored_with_the_run(queue_env, capsys):
    [run_id] = queue_env.queue(1, n=4)
    source = queue_env.project / "exp_drain.py"
    source.write_text(source.read_text().replace("    return n\n", "    return n * 100\n"))
    time.sleep(0.01)
    code, out = work(queue_env, "--from-sources")
    assert code == 0, out
    assert queue_env.runs()[str(run_id)]["result"] == 4  # the queued code, not the edited file


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_changed_file_warns_by_default_and_is_refused_with_strict(queue_env, capsys):
    first, second = queue_env.queue(2, n=4)
    source = queue_env.project / "exp_drain.py"
    source.write_text(source.read_text().replace("    return n\n", "    return n * 100\n"))
    code, out = work(queue_env, "--strict", "--max-runs", "1")
    assert code == 1
    runs = queue_env.runs()
    assert runs[str(first)]["status"] == "FAILED"
    assert "refused with --strict: run" in out and "changed since the run was queued" in out
    code, out = work(queue_env)
    assert code == 0
    assert queue_env.runs()[str(second)]["result"] == 400  # ran the file as it is now
    assert "exp_drain.py changed since the run was queued" in capsys.readouterr().err


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_max_runs_stops_after_n_runs(queue_env):
    queue_env.queue(3)
    code, out = work(queue_env, "--max-runs", "2")
    assert code == 0
    statuses = sorted(run["status"] for run in queue_env.runs().values())
    assert statuses == ["COMPLETED", "COMPLETED", "QUEUED"]


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_sigterm_records_the_current_run_interrupted_and_stops_cleanly(queue_env):
    hang = queue_env.project / "hang.flag"
    hang.write_text("hang")
    [hanging] = queue_env.queue(1, hang_file=str(hang))
    [waiting] = queue_env.queue(1)
    worker = queue_env.start_worker("--poll-interval", "0.1")
    queue_env.wait_for(lambda r: r[str(hanging)]["status"] == "RUNNING" and not hang.exists(),
                       what="the run to start")
    time.sleep(0.3)
    os.kill(worker.pid, signal.SIGTERM)
    assert queue_env.wait(worker, timeout=60) == 0, queue_env.output(worker)
    runs = queue_env.runs()
    assert runs[str(hanging)]["status"] == "INTERRUPTED"
    assert runs[str(waiting)]["status"] == "QUEUED"  # not taken after the stop request
    assert "INTERRUPTED" in queue_env.output(worker)[0]


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_sigterm_while_idle_stops_the_worker(queue_env):
    worker = queue_env.start_worker("--poll-interval", "0.1")
    deadline = time.monotonic() + 60
    while "serving" not in queue_env.output(worker)[0] and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(worker.pid, signal.SIGTERM)
    assert queue_env.wait(worker, timeout=60) == 0


@pytest.mark.parametrize("store_kind", ["file"], indirect=True)
def test_runs_that_cannot_start_are_failed_with_the_reason_and_the_worker_goes_on(queue_env):
    original = (queue_env.project / "exp_drain.py").read_text()
    (queue_env.project / "exp_broken.py").write_text(original)
    (queue_env.project / "exp_fine.py").write_text(original)
    [will_not_import] = queue_env.queue(1, name="exp_broken.py")
    [bad_update] = queue_env.queue(1, n=1)
    [fine] = queue_env.queue(1, n=2, name="exp_fine.py")
    (queue_env.project / "exp_broken.py").write_text("def broken(:\n")
    # the queued update n=1 no longer names anything the (changed) file uses
    (queue_env.project / "exp_drain.py").write_text(
        original.replace("    n = 0\n", "    m = 0\n").replace("def main(n,", "def main(m,")
        .replace('_run.log_scalar("n", n)', '_run.log_scalar("n", m)').replace("return n\n", "return m\n"))
    code, out = work(queue_env)
    assert code == 1
    runs = queue_env.runs()
    assert runs[str(will_not_import)]["status"] == "FAILED"
    assert runs[str(bad_update)]["status"] == "FAILED"
    assert runs[str(fine)]["status"] == "COMPLETED" and runs[str(fine)]["result"] == 2
    assert "the experiment file failed to import: exp_broken.py:1: SyntaxError" in out
    assert 'ConfigAddedError: Added new config entry that is not used anywhere: "n"' in out


def test_the_header_names_the_config_file_of_the_rootdir(queue_env, monkeypatch):
    (queue_env.project / "sacred.ini").write_text("[sacred]\n")
    monkeypatch.chdir(queue_env.project)
    code, out = work(queue_env)
    assert code in (0, 5), out
    assert f"rootdir: {queue_env.project}, configfile: sacred.ini" in out
