"""QueueObserver: ordered background delivery, retries, bounded join, give-up reporting.

The wrapped observers here are real RunObserver subclasses whose backend can
be switched "down" (they raise like a client whose server is unreachable).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time

import pytest

from sacred.observers import QueueObserver, RunObserver
from sacred.observers.queue import wait_until_delivered


class Recorder(RunObserver):
    """Records delivered events; raises ConnectionError while ``down`` is set."""

    priority = 17

    def __init__(self, run_id="rec-1"):
        self.delivered = []
        self.down = threading.Event()
        self.run_id = run_id
        self.saved = None

    def _record(self, name, **kwargs):
        if self.down.is_set():
            raise ConnectionError(f"backend down during {name}")
        self.delivered.append((name, kwargs))

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        self._record("started_event", _id=_id)
        return _id if _id is not None else self.run_id

    def heartbeat_event(self, info, captured_out, beat_time, result):
        self._record("heartbeat_event", info=info, captured_out=captured_out)

    def log_metrics(self, metrics_by_name, info):
        self._record("log_metrics", metrics_by_name=metrics_by_name)

    def completed_event(self, stop_time, result):
        self._record("completed_event", result=result)

    def save_undelivered_events(self, events):
        self.saved = list(events)
        return "/somewhere/dump.json"


class NoHostInfo(RunObserver):
    """The spec's custom-observer style: ``queued_event`` without ``host_info``."""

    def __init__(self):
        self.got = None

    def queued_event(self, ex_info, command, queue_time, config, meta_info, _id):
        self.got = (command, _id)
        return "q-1"


def start(queue, _id=None):
    return queue.started_event({"name": "x"}, "main", {}, dt.datetime.utcnow(), {}, {}, _id)


def test_events_are_delivered_in_order_by_the_background_thread():
    rec = Recorder()
    queue = QueueObserver(rec, interval=0.01, retry_interval=0.01, max_wait=10)
    assert queue.priority == 17
    assert start(queue) == "rec-1"
    info = {"step": 0}
    for step in range(20):
        info["step"] = step
        queue.log_metrics({"m": {"steps": [step]}}, info)
    queue.completed_event(dt.datetime.utcnow(), "ok")
    queue.join()
    names = [name for name, _ in rec.delivered]
    assert names[0] == "started_event" and names[-1] == "completed_event"
    steps = [kw["metrics_by_name"]["m"]["steps"][0] for name, kw in rec.delivered if name == "log_metrics"]
    assert steps == list(range(20))


def test_failed_events_are_retried_and_order_is_kept():
    rec = Recorder()
    queue = QueueObserver(rec, interval=0.01, retry_interval=0.01, max_wait=10)
    start(queue)
    rec.down.set()
    queue.log_metrics({"m": {"steps": [0]}}, {})
    queue.log_metrics({"m": {"steps": [1]}}, {})
    time.sleep(0.1)
    assert queue.pending_events == 2
    rec.down.clear()
    assert wait_until_delivered(queue, timeout=10)
    queue.completed_event(dt.datetime.utcnow(), 1)
    queue.join()
    assert [n for n, _ in rec.delivered] == ["started_event", "log_metrics", "log_metrics", "completed_event"]


def test_event_data_is_snapshotted_when_queued():
    rec = Recorder()
    queue = QueueObserver(rec, interval=5, retry_interval=5, max_wait=10)
    start(queue)
    info = {"value": 1}
    queue.heartbeat_event(info, "out", dt.datetime.utcnow(), None)
    info["value"] = 2
    queue.join()
    [(_, kwargs)] = [e for e in rec.delivered if e[0] == "heartbeat_event"]
    assert kwargs["info"] == {"value": 1}


def test_an_undelivered_heartbeat_is_replaced_by_a_newer_one():
    rec = Recorder()
    queue = QueueObserver(rec, interval=0.01, retry_interval=0.01, max_wait=10)
    start(queue)
    rec.down.set()
    for i in range(5):
        queue.heartbeat_event({"i": i}, f"{i}", dt.datetime.utcnow(), None)
    assert queue.pending_events <= 2  # at most one in flight plus the newest
    rec.down.clear()
    queue.join()
    beats = [kw["info"]["i"] for name, kw in rec.delivered if name == "heartbeat_event"]
    assert beats[-1] == 4 and len(beats) <= 2


def test_join_is_bounded_and_reports_what_it_gave_up(caplog):
    rec = Recorder()
    queue = QueueObserver(rec, interval=0.01, retry_interval=0.01, max_wait=0.5)
    start(queue)
    rec.down.set()
    queue.log_metrics({"m": {"steps": [0]}}, {})
    queue.completed_event(dt.datetime.utcnow(), "lost?")
    began = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="sacred.observers.queue"):
        queue.join()
    assert time.monotonic() - began < 8
    assert [n for n, _ in queue.given_up] == ["log_metrics", "completed_event"]
    assert [n for n, _ in rec.saved] == ["log_metrics", "completed_event"]
    assert "giving up on 2 undelivered event(s)" in caplog.text
    assert "log_metrics, completed_event" in caplog.text
    assert "/somewhere/dump.json" in caplog.text
    assert queue.failure_dump == "/somewhere/dump.json"


def test_start_failure_gives_a_provisional_id_and_delivers_the_start_later():
    rec = Recorder()
    rec.down.set()
    queue = QueueObserver(rec, interval=0.01, retry_interval=0.01, max_wait=10)
    run_id = start(queue)
    assert isinstance(run_id, str) and run_id
    rec.down.clear()
    queue.completed_event(dt.datetime.utcnow(), 1)
    queue.join()
    assert rec.delivered[0] == ("started_event", {"_id": run_id})
    assert start(QueueObserver(Recorder(), interval=5), _id=7) == 7


def test_wrapped_observer_gets_only_the_arguments_it_accepts():
    inner = NoHostInfo()
    queue = QueueObserver(inner, interval=5, max_wait=5)
    assert queue.queued_event({"name": "x"}, "main", {"h": 1}, dt.datetime.utcnow(), {}, {}, None) == "q-1"
    assert inner.got == ("main", None)
    queue.join()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"interval": -1}, "interval must be >= 0"),
        ({"retry_interval": "soon"}, "retry_interval must be a number"),
        ({"max_wait": float("nan")}, "max_wait must be >= 0"),
    ],
)
def test_bad_arguments_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        QueueObserver(Recorder(), **kwargs)
    with pytest.raises(ValueError, match="needs an observer"):
        QueueObserver(None)


def _files_experiment(tmp_path):
    from sacred import Experiment

    resource = tmp_path / "data.csv"
    resource.write_text("a,b\n1,2\n")
    artifact = tmp_path / "model.txt"
    artifact.write_text("weights")
    ex = Experiment("queued_files")

    @ex.main
    def main(_run):
        _run.add_resource(str(resource))
        _run.add_artifact(str(artifact), name="model", metadata={"epoch": 3})
        for step in range(4):
            _run.log_scalar("loss", 10 - step)
        return "done"

    return ex, str(resource)


def _file_storage(tmp_path):
    from sacred.observers import FileStorageObserver

    def check(run_id, resource):
        import json

        stored = json.loads((tmp_path / "fs" / str(run_id) / "run.json").read_text())
        assert stored["status"] == "COMPLETED"
        assert stored["artifacts"] == ["model"] and stored["resources"][0][0] == resource
        assert (tmp_path / "fs" / str(run_id) / "model").read_text() == "weights"
        metrics = json.loads((tmp_path / "fs" / str(run_id) / "metrics.json").read_text())
        assert metrics["loss"]["values"] == [10, 9, 8, 7]

    return FileStorageObserver(str(tmp_path / "fs")), check


def _tinydb(tmp_path):
    pytest.importorskip("tinydb")
    from sacred.observers import TinyDbObserver, TinyDbReader

    def check(run_id, resource):
        (entry,) = TinyDbReader(str(tmp_path / "tdb")).fetch_metadata(indices=[-1])
        assert entry["status"] == "COMPLETED"
        assert [a[0] for a in entry["artifacts"]] == ["model"]
        assert [r[0] for r in entry["resources"]] == [resource]
        assert entry["metrics"]["loss"]["values"] == [10, 9, 8, 7]

    return TinyDbObserver(str(tmp_path / "tdb")), check


def _sql(tmp_path):
    pytest.importorskip("sqlalchemy")
    import sqlite3

    from sacred.observers import SqlObserver

    url = f"sqlite:///{tmp_path / 'runs.db'}"

    def check(run_id, resource):
        db = sqlite3.connect(tmp_path / "runs.db")
        try:
            assert db.execute("SELECT status FROM run").fetchall() == [("COMPLETED",)]
            assert db.execute("SELECT filename FROM artifact").fetchall() == [("model",)]
            assert db.execute("SELECT filename FROM resource").fetchall() == [(resource,)]
        finally:
            db.close()

    return SqlObserver(url), check


@pytest.mark.parametrize("make", [_file_storage, _tinydb, _sql], ids=["file", "tinydb", "sql"])
def test_a_queue_delivers_artifacts_resources_and_metrics_to_any_observer(tmp_path, make):
    wrapped, check = make(tmp_path)
    queue = QueueObserver(wrapped, interval=0.02, retry_interval=0.02, max_wait=30)
    ex, resource = _files_experiment(tmp_path)
    ex.observers.append(queue)
    run = ex.run()
    assert queue.given_up == [] and queue.pending_events == 0
    check(run._id, resource)


def test_queue_event_methods_take_0_8_7_positional_arguments(tmp_path):
    rec = Recorder()
    queue = QueueObserver(rec, interval=0.01, retry_interval=0.01, max_wait=10)
    assert queue.started_event({"name": "x"}, "main", {}, dt.datetime.utcnow(), {}, {}, None) == "rec-1"
    queue.log_metrics({"m": {"steps": [0], "values": [1]}}, {})
    queue.heartbeat_event({"i": 1}, "out", dt.datetime.utcnow(), 5)
    queue.completed_event(dt.datetime.utcnow(), "ok")
    queue.join()
    assert [name for name, _ in rec.delivered] == [
        "started_event", "log_metrics", "heartbeat_event", "completed_event"]
    assert rec.delivered[-1][1] == {"result": "ok"}
