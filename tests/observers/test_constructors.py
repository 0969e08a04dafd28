"""0.8.7's ``create``/``create_from`` classmethods and priorities on every observer that had them.

Sacred 0.8.7 has them on FileStorageObserver, MongoObserver (both),
QueuedMongoObserver (``create``), TinyDbObserver (both, tested with the
TinyDB package) and SqlObserver (both); S3, GCS, Slack and Telegram have none.
"""

from __future__ import annotations

import warnings

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from sacred.observers import (
    FileStorageObserver,
    GoogleCloudStorageObserver,
    MongoObserver,
    QueuedMongoObserver,
    S3Observer,
    SqlObserver,
    TinyDbObserver,
)
from sacred.observers.mongo import DEFAULT_MONGO_PRIORITY
from tests.fixtures.mongo_server import mongo_db_name, mongo_server  # noqa: F401


def test_which_observers_have_them():
    assert all(hasattr(c, "create") for c in (FileStorageObserver, MongoObserver, QueuedMongoObserver))
    assert all(hasattr(c, "create") and hasattr(c, "create_from") for c in (TinyDbObserver, SqlObserver))
    assert not any(hasattr(c, "create") for c in (S3Observer, GoogleCloudStorageObserver))


def test_file_storage_create_and_create_from_warn_and_build(tmp_path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        made = FileStorageObserver.create(str(tmp_path / "a"))
        also = FileStorageObserver.create_from(str(tmp_path / "b"))
    assert made.basedir == str(tmp_path / "a") and also.basedir == str(tmp_path / "b")
    assert [w.category for w in caught] == [DeprecationWarning, DeprecationWarning]


def test_sql_create_and_create_from_with_087_arguments(tmp_path):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    default = SqlObserver(url)
    assert default.priority == 40 and default.engine.echo is False
    made = SqlObserver.create(url, echo=True, priority=5)
    assert isinstance(made, SqlObserver) and made.priority == 5 and made.engine.echo is True
    engine = sa.create_engine(url)
    from_session = SqlObserver.create_from(engine, Session(engine), priority=7)
    assert from_session.priority == 7 and from_session.engine is engine
    engine.dispose()


def test_mongo_create_and_default_priority(mongo_server, mongo_db_name):  # noqa: F811
    assert DEFAULT_MONGO_PRIORITY == 30
    obs = MongoObserver.create(url=mongo_server.url, db_name=mongo_db_name)
    assert isinstance(obs, MongoObserver) and obs.priority == DEFAULT_MONGO_PRIORITY
    made = MongoObserver.create_from(obs.runs, obs.fs, priority=3)
    assert made.runs.name == "runs" and made.priority == 3
    queued = QueuedMongoObserver.create(url=mongo_server.url, db_name=mongo_db_name)
    assert isinstance(queued, QueuedMongoObserver)
    queued.join() if hasattr(queued, "join") else None


@pytest.mark.parametrize("cls", [FileStorageObserver, SqlObserver, TinyDbObserver])
def test_event_methods_take_087_positional_order(cls):
    import inspect

    from sacred.observers.base import RunObserver

    for event in ("started_event", "heartbeat_event", "completed_event", "failed_event", "artifact_event"):
        expected = list(inspect.signature(getattr(RunObserver, event)).parameters)
        assert list(inspect.signature(getattr(cls, event)).parameters) == expected


def test_queue_observer_events_called_positionally_reach_the_covered_observer(tmp_path):
    import datetime
    import json

    from sacred.observers import QueueObserver

    stamp = datetime.datetime(2024, 1, 1)
    (tmp_path / "exp.py").write_text("x = 1\n")
    ex_info = {
        "name": "positional",
        "base_dir": str(tmp_path),
        "sources": [],
        "dependencies": [],
        "repositories": [],
        "mainfile": "exp.py",
    }
    covered = FileStorageObserver(str(tmp_path / "runs"))
    queue = QueueObserver(covered, interval=0.05, retry_interval=0.05)
    _id = queue.started_event(ex_info, "main", {"hostname": "h"}, stamp, {"a": 1}, {}, None)
    queue.heartbeat_event({"k": 1}, "out", stamp, None)
    queue.log_metrics({"loss": {"steps": [0], "values": [1.0], "timestamps": [stamp]}}, {})
    queue.completed_event(stamp, 42)
    queue.join()
    run_dir = tmp_path / "runs" / str(_id or covered.dir.rsplit("/", 1)[-1])
    run = json.loads((run_dir / "run.json").read_text())
    assert run["status"] == "COMPLETED" and run["result"] == 42
    assert json.loads((run_dir / "metrics.json").read_text())["loss"]["values"] == [1.0]
