"""Stored runs stay readable by the tools people already use on Sacred's data.

* **incense** (``ExperimentLoader``) reads the MongoDB layout: runs written by
  real experiments through ``MongoObserver`` are read back by id, by name, by
  config value and by query, with config, info, metrics (pandas Series),
  artifacts, status and times. Run against the nx-27017 fixture (or a real
  MongoDB with ``SACRED_TEST_MONGO_URL``) and against mongomock (where nx
  falls short: it drops GridFS ``contentType``).
* **incense** ``FileSystemExperimentLoader`` and plain ``json`` scripts read the
  FileStorage layout; the same experiment file run with Sacred 0.8.7 (the peer
  installation, when present) and with this package gives files of the same
  structure, apart from the deliberate differences listed in
  ``DELIBERATE_FILE_DIFFERENCES``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

pytest.importorskip("pymongo")
pytest.importorskip("pandas")
pytest.importorskip("IPython", reason="incense imports IPython (pip install incense)")
incense = pytest.importorskip("incense", reason="incense is not installed (pip install incense)")

from tests.fixtures.mongo_server import mongo_db_name, mongo_server  # noqa: E402,F401

FAST = {"serverSelectionTimeoutMS": 3000, "connectTimeoutMS": 3000, "socketTimeoutMS": 20000}
PEER_PYTHON = Path("/work/peer/venv087/bin/python")


# ------------------------------------------------------------------ helpers

def make_tool_experiment(name: str = "tool_exp"):
    """An experiment that stores what tools show: config, info, metrics, artifacts, output."""
    from sacred import Experiment

    ex = Experiment(name)

    @ex.config
    def cfg():
        lr = 0.01  # noqa: F841 - config entries
        tag = "baseline"  # noqa: F841
        opt = {"name": "adam", "betas": [0.9, 0.999]}  # noqa: F841
        fail = False  # noqa: F841
        artifact_dir = "."  # noqa: F841

    @ex.main
    def main(lr, fail, artifact_dir, _run):
        for i in range(4):
            _run.log_scalar("train.loss", 1.0 / (i + 1))
            _run.log_scalar("acc", i * 0.25, i * 10)
        _run.info["custom"] = {"nested": [1, {"x": "y"}], "f": 1.5}
        note = Path(artifact_dir) / "note.txt"
        note.write_text("hello artifact\n")
        _run.add_artifact(str(note), name="note.txt", metadata={"kind": "text"},
                          content_type="text/plain")
        table = Path(artifact_dir) / "table.csv"
        table.write_text("a,b\n1,2\n")
        _run.add_artifact(str(table), content_type="text/csv")
        print("training done")
        if fail:
            raise ValueError("asked to fail")
        return {"score": 0.5}

    return ex


@pytest.fixture(params=["server", "mongomock"])
def mongo_target(request, mongo_server, mongo_db_name, monkeypatch):  # noqa: F811
    """``(make_observer, make_loader, is_nx)`` on the wire-protocol server or on mongomock."""
    from sacred.observers import MongoObserver

    if request.param == "server":
        def make_observer(**kwargs):
            return MongoObserver(url=mongo_server.url, db_name=mongo_db_name, **FAST, **kwargs)

        def make_loader():
            return incense.ExperimentLoader(mongo_uri=mongo_server.url, db_name=mongo_db_name)

        return make_observer, make_loader, mongo_server.is_nx
    mongomock = pytest.importorskip("mongomock")
    pytest.importorskip("mongomock.gridfs").enable_gridfs_integration()
    client = mongomock.MongoClient()
    # incense builds its own MongoClient; hand it the same in-memory server.
    monkeypatch.setattr("incense.experiment_loader.MongoClient", lambda *a, **k: client)

    def make_mock_observer(**kwargs):
        return MongoObserver(client=client, db_name=mongo_db_name, **kwargs)

    def make_mock_loader():
        return incense.ExperimentLoader(db_name=mongo_db_name)

    return make_mock_observer, make_mock_loader, False


def run_tool_experiment(observer, tmp_path, **config_updates):
    """Run the tool experiment once with ``observer``; return the Run."""
    ex = make_tool_experiment()
    ex.observers.append(observer)
    updates = {"artifact_dir": str(tmp_path), **config_updates}
    if config_updates.get("fail"):
        with pytest.raises(ValueError, match="asked to fail"):
            ex.run(config_updates=updates, options={"--capture": "sys"})
        return None
    return ex.run(config_updates=updates, options={"--capture": "sys"})


# ------------------------------------------------------------------ incense on MongoDB

def test_incense_reads_a_run_by_id(mongo_target, tmp_path):
    make_observer, make_loader, is_nx = mongo_target
    run = run_tool_experiment(make_observer(), tmp_path, lr=0.5)

    exp = make_loader().find_by_id(run._id)
    assert exp.id == run._id == 1
    assert exp.status == "COMPLETED"
    assert exp.experiment.name == "tool_exp"
    assert exp.config.lr == 0.5
    assert exp.config.tag == "baseline"
    assert list(exp.config.opt.betas) == [0.9, 0.999]
    assert exp.info.custom.f == 1.5
    assert exp.info.custom.nested[1].x == "y"
    assert {ref.name for ref in exp.info.metrics} == {"train.loss", "acc"}
    assert exp.result.score == 0.5
    assert "training done" in exp.captured_out
    assert isinstance(exp.start_time, dt.datetime) and isinstance(exp.stop_time, dt.datetime)
    assert exp.start_time <= exp.stop_time
    assert isinstance(exp.heartbeat, dt.datetime)
    plain = exp.to_dict()
    assert plain["config"]["opt"] == {"name": "adam", "betas": [0.9, 0.999]}


def test_incense_metrics_are_series_indexed_by_step(mongo_target, tmp_path):
    import pandas as pd

    make_observer, make_loader, _ = mongo_target
    run = run_tool_experiment(make_observer(), tmp_path)

    metrics = make_loader().find_by_id(run._id).metrics
    assert set(metrics) == {"train.loss", "acc"}
    loss = metrics["train.loss"]
    assert isinstance(loss, pd.Series) and loss.name == "train.loss"
    assert loss.index.name == "step"
    assert list(loss.index) == [0, 1, 2, 3]
    assert list(loss) == pytest.approx([1.0, 0.5, 1 / 3, 0.25])
    assert list(metrics["acc"].index) == [0, 10, 20, 30]
    assert list(metrics["acc"]) == [0.0, 0.25, 0.5, 0.75]


def test_incense_reads_artifact_content_and_type(mongo_target, tmp_path):
    make_observer, make_loader, is_nx = mongo_target
    run = run_tool_experiment(make_observer(), tmp_path)

    artifacts = make_loader().find_by_id(run._id).artifacts
    assert set(artifacts) == {"note.txt", "table.csv"}
    note = artifacts["note.txt"]
    assert note.content == b"hello artifact\n"
    table = artifacts["table.csv"]
    if not is_nx:  # nx-27017 drops contentType from fs.files
        # incense picks its artifact class from the stored content type
        assert type(table).__name__ == "CSVArtifact"
        assert table.content_type == "text/csv"
        assert list(table.render().columns) == ["a", "b"]
    assert table.as_content_type("text/csv").content == b"a,b\n1,2\n"
    saved = tmp_path / "saved"
    note.save(to_dir=str(saved))
    assert [(p.name, p.read_bytes()) for p in saved.iterdir()] == [
        (f"{run._id}_note.txt", b"hello artifact\n")]


def test_incense_finds_runs_by_name_config_query_and_recency(mongo_target, tmp_path):
    make_observer, make_loader, _ = mongo_target
    run_tool_experiment(make_observer(), tmp_path, lr=0.1)
    run_tool_experiment(make_observer(), tmp_path, lr=0.2, tag="tuned")
    run_tool_experiment(make_observer(), tmp_path, fail=True)
    loader = make_loader()

    assert sorted(e.id for e in loader.find_by_name("tool_")) == [1, 2, 3]
    assert [e.id for e in loader.find_by_name("no_such_experiment")] == []
    assert [e.id for e in loader.find_by_config_key("tag", "tun")] == [2]
    assert [e.id for e in loader.find_by_config_key("lr", 0.2)] == [2]
    failed = loader.find({"status": "FAILED"})
    assert [e.id for e in failed] == [3]
    assert "ValueError: asked to fail" in "".join(failed[0].fail_trace)
    assert sorted(e.id for e in loader.find_by_ids([1, 3])) == [1, 3]
    assert loader.find_latest().id == 3
    assert sorted(e.id for e in loader.find_latest(n=2)) == [2, 3]
    table = loader.find_all().project(on=["config.lr", "status"])
    assert table.loc[2, "lr"] == 0.2
    assert table.loc[3, "status"] == "FAILED"


def test_incense_reads_runs_whose_info_holds_dates_bytes_and_sets(mongo_target, tmp_path):
    """incense decodes ``info`` with ``jsonpickle.loads(json.dumps(info))``.

    Sacred 0.8.7 stores ``info`` JSON-encoded (datetimes, bytes, sets as
    jsonpickle tags), so a run whose info holds such values must not be stored
    with BSON dates or binaries: ``json.dumps`` would fail and incense could
    not load the run (nor any query result containing it).
    """
    make_observer, make_loader, _ = mongo_target
    from sacred import Experiment

    ex = Experiment("odd_info")

    @ex.main
    def main(_run):
        _run.info["when"] = dt.datetime(2020, 1, 2, 3, 4, 5)
        _run.info["day"] = dt.date(2021, 6, 7)
        _run.info["raw"] = b"\x00\x01ab"
        _run.info["tags"] = {"a"}
        _run.info["pair"] = (1, 2)
        return dt.datetime(2022, 1, 1)

    ex.observers.append(make_observer())
    run = ex.run(options={"--capture": "sys"})

    exp = make_loader().find_by_id(run._id)
    assert exp.status == "COMPLETED"
    assert exp.info.when == "2020-01-02T03:04:05"
    assert exp.info.day == "2021-06-07"
    assert exp.info.raw == b"\x00\x01ab"
    assert set(exp.info.tags) == {"a"}
    assert list(exp.info.pair) == [1, 2]
    json.dumps(exp.to_dict()["info"], default=repr)
    assert [e.id for e in make_loader().find_by_name("odd")] == [run._id]


def test_incense_sees_every_point_of_a_long_metric(mongo_target, tmp_path):
    """A metric Sacred 0.8.7 could keep in one document stays in one document.

    incense keys metrics by name (``metrics.find({"run_id": id})``), so a
    series split over continuation documents would show only its last part.
    200,000 points fit in one 16 MB document (0.8.7 stores them so); over
    nx-27017 (about 20 us per stored array element) a shorter series checks
    the same path.
    """
    from sacred.observers import MongoObserver

    make_observer, make_loader, is_nx = mongo_target
    total = 20_000 if is_nx else 200_000
    assert total <= MongoObserver.METRIC_POINTS_PER_DOCUMENT
    obs = make_observer()
    from sacred import Experiment

    ex = Experiment("long_metric")

    @ex.main
    def main(_run):
        for step in range(total):
            _run.log_scalar("x", step * 0.5, step)

    ex.observers.append(obs)
    run = ex.run(options={"--capture": "sys"})

    assert obs.metrics.count_documents({"run_id": run._id, "name": "x"}) == 1
    series = make_loader().find_by_id(run._id).metrics["x"]
    assert len(series) == total
    assert series.index[0] == 0 and series.index[-1] == total - 1
    assert series.iloc[-1] == (total - 1) * 0.5
