"""Recording the end of a run whose worker died, in a FileStorage and an SQLite store."""

from __future__ import annotations

import datetime as dt
import json

from sacred_runner.launch.salvage import record_lost_run
from tests.sacred_runner.launch.helpers import sqlite_runs

EX_INFO = {"name": "e", "base_dir": "/tmp", "sources": [], "dependencies": [], "repositories": [],
           "mainfile": None, "doc": None}
HOST = {"hostname": "h", "os": ["Linux", "x"], "python_version": "3.11", "cpu": "c", "ENV": {}}


def start(observer, run_id=None):
    now = dt.datetime(2026, 1, 1)
    return observer.started_event(ex_info=EX_INFO, command="main", host_info=HOST, start_time=now,
                                  config={"a": 1}, meta_info={"command": "main", "options": {}}, _id=run_id)


def test_a_running_run_is_recorded_failed_and_an_ended_one_is_left_alone(tmp_path):
    from sacred.observers import FileStorageObserver, SqlObserver

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    stores = (("file_storage", str(tmp_path / "fs")), ("sql", url))
    running = [FileStorageObserver(str(tmp_path / "fs")), SqlObserver(url)]
    run_id = start(running[0])
    start(running[1], run_id)
    running[0].log_metrics({"loss": {"name": "loss", "steps": [0], "values": [1.5],
                                     "timestamps": [dt.datetime(2026, 1, 1)]}}, {})
    ended = [FileStorageObserver(str(tmp_path / "fs")), SqlObserver(url)]
    ended_id = start(ended[0])
    start(ended[1], ended_id)
    for observer in ended:
        observer.completed_event(stop_time=dt.datetime(2026, 1, 2), result=3)

    for id_ in (run_id, ended_id):
        assert record_lost_run(stores, str(tmp_path), id_, "The worker died: it was killed by SIGKILL.") == []

    lost = json.loads((tmp_path / "fs" / str(run_id) / "run.json").read_text())
    assert lost["status"] == "FAILED" and lost["fail_trace"] == ["The worker died: it was killed by SIGKILL.\n"]
    assert lost["stop_time"]
    metrics = json.loads((tmp_path / "fs" / str(run_id) / "metrics.json").read_text())
    assert metrics["loss"]["values"] == [1.5]
    assert not (tmp_path / "fs" / str(run_id) / ".metrics.journal").exists()
    assert json.loads((tmp_path / "fs" / str(ended_id) / "run.json").read_text())["status"] == "COMPLETED"
    in_sql = sqlite_runs(tmp_path / "runs.db")
    assert in_sql[str(run_id)]["status"] == "FAILED" and "SIGKILL" in in_sql[str(run_id)]["fail_trace"]
    assert in_sql[str(ended_id)]["status"] == "COMPLETED"


def test_interrupted_and_unsupported_stores(tmp_path):
    from sacred.observers import FileStorageObserver

    observer = FileStorageObserver(str(tmp_path / "fs"))
    run_id = start(observer)
    problems = record_lost_run((("file_storage", str(tmp_path / "fs")), ("s3", "s3://bucket/x")), str(tmp_path),
                               run_id, "Ctrl+C", status="INTERRUPTED")
    assert json.loads((tmp_path / "fs" / str(run_id) / "run.json").read_text())["status"] == "INTERRUPTED"
    assert len(problems) == 1 and problems[0].startswith("s3:s3://bucket/x")


def test_spooled_output_and_points_complete_what_the_store_already_holds(tmp_path):
    from sacred.observers import FileStorageObserver

    observer = FileStorageObserver(str(tmp_path / "fs"))
    run_id = start(observer)
    t = dt.datetime(2026, 1, 1)
    observer.log_metrics({"loss": {"name": "loss", "steps": [0], "values": [1.5], "timestamps": [t]}}, {})
    observer.heartbeat_event(info={}, captured_out="first line\n", beat_time=t, result=None)
    spooled = {"loss": {"name": "loss", "steps": [0, 1], "values": [1.5, 0.5], "timestamps": [t, t]},
               "acc": {"name": "acc", "steps": [0], "values": [0.9], "timestamps": [t]}}
    assert record_lost_run((("file_storage", str(tmp_path / "fs")),), str(tmp_path), run_id, "died",
                           captured_out="first line\nsecond line\n", metrics=spooled) == []
    run_dir = tmp_path / "fs" / str(run_id)
    assert (run_dir / "cout.txt").read_text() == "first line\nsecond line\n"  # the delivered part not repeated
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["loss"]["values"] == [1.5, 0.5] and metrics["loss"]["steps"] == [0, 1]
    assert metrics["acc"]["values"] == [0.9]
    assert json.loads((run_dir / "run.json").read_text())["status"] == "FAILED"


def test_spooled_output_and_points_reach_an_sql_store_without_repeating_delivered_ones(tmp_path):
    import sqlite3

    from sacred.observers import SqlObserver

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    observer = SqlObserver(url)
    run_id = start(observer)
    t = dt.datetime(2026, 1, 1)
    observer.log_metrics({"loss": {"name": "loss", "steps": [0], "values": [1.5], "timestamps": [t]}}, {})
    observer.heartbeat_event(info={}, captured_out="first line\n", beat_time=t, result=None)
    spooled = {"loss": {"name": "loss", "steps": [0, 1], "values": [1.5, 0.5], "timestamps": [t, t]}}
    assert record_lost_run((("sql", url),), str(tmp_path), run_id, "died",
                           captured_out="first line\nsecond line\n", metrics=spooled) == []
    with sqlite3.connect(tmp_path / "runs.db") as connection:
        out, status = connection.execute("SELECT captured_out, status FROM run").fetchone()
        points = connection.execute("SELECT step, value FROM metric WHERE name = 'loss' ORDER BY step").fetchall()
    assert status == "FAILED" and out == "first line\nsecond line\n"
    assert points == [(0, 1.5), (1, 0.5)]


def _points(first: int, count: int) -> dict:
    t = dt.datetime(2026, 1, 1)
    steps = list(range(first, first + count))
    return {"loss": {"name": "loss", "steps": steps, "values": [s * 0.5 for s in steps],
                     "timestamps": [t + dt.timedelta(seconds=s) for s in steps]}}


def test_a_run_that_died_before_any_point_gets_an_empty_metrics_json(tmp_path):
    from sacred.observers import FileStorageObserver

    run_id = start(FileStorageObserver(str(tmp_path / "fs")))
    run_dir = tmp_path / "fs" / str(run_id)
    assert not (run_dir / "metrics.json").exists()  # none before the first points (as in sacred 0.8.7)
    assert record_lost_run((("file_storage", str(tmp_path / "fs")),), str(tmp_path), run_id, "died") == []
    assert (run_dir / "metrics.json").read_bytes() == b"{}"
    assert json.loads((run_dir / "run.json").read_text())["status"] == "FAILED"


def test_a_dead_runs_journal_with_a_torn_line_is_folded_in_and_spooled_points_added(tmp_path):
    from sacred.observers import FileStorageObserver

    observer = FileStorageObserver(str(tmp_path / "fs"))
    run_id = start(observer)
    for first, count in ((0, 4), (4, 4), (8, 3), (11, 2)):  # the last two are journaled (seed + line)
        observer.log_metrics(_points(first, count), {})
    run_dir = tmp_path / "fs" / str(run_id)
    with open(run_dir / ".metrics.journal", "ab") as journal:
        journal.write(b'{"loss":{"steps":[13,1')  # the worker died appending the next delivery
    spooled = _points(0, 16)
    assert record_lost_run((("file_storage", str(tmp_path / "fs")),), str(tmp_path), run_id, "died",
                           metrics=spooled) == []
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["loss"]["steps"] == list(range(16))
    assert metrics["loss"]["values"] == [s * 0.5 for s in range(16)]
    assert not (run_dir / ".metrics.journal").exists()
