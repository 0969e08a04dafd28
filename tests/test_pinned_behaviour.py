"""Behaviour users depend on, pinned so that a plausible slip in the code fails a test.

Each test here was written against a deliberate mutation of the code that the
rest of the suite let pass: statuses written by FileStorage while a run is live,
per-function seed streams, run ids, and the order of metric points.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sacred import Experiment
from sacred.observers import FileStorageObserver


def _read_run(base: Path, run_id: int | str) -> dict:
    return json.loads((base / str(run_id) / "run.json").read_text())


def _file_storage(tmp_path):
    def status(run_id):
        return _read_run(tmp_path / "runs", run_id)["status"]

    return FileStorageObserver(str(tmp_path / "runs")), status


def _tinydb(tmp_path):
    pytest.importorskip("tinydb")
    from sacred.observers import TinyDbObserver, TinyDbReader

    def status(run_id):
        (entry,) = [e for e in TinyDbReader(str(tmp_path / "db")).fetch_metadata(exp_name="live") if e["_id"] == run_id]
        return entry["status"]

    return TinyDbObserver(str(tmp_path / "db")), status


def _sqlite(tmp_path):
    pytest.importorskip("sqlalchemy")
    import sqlite3

    from sacred.observers import SqlObserver

    def status(run_id):
        with sqlite3.connect(tmp_path / "runs.db") as db:
            return db.execute("SELECT status FROM run WHERE run_id = ?", (run_id,)).fetchone()[0]

    return SqlObserver(f"sqlite:///{tmp_path / 'runs.db'}"), status


@pytest.mark.parametrize("store", [_file_storage, _tinydb, _sqlite])
def test_stores_say_running_while_the_run_is_live(tmp_path, store):
    observer, status_of = store(tmp_path)
    ex = Experiment("live")
    ex.observers.append(observer)
    seen = []

    @ex.main
    def main(_run):
        seen.append(status_of(_run._id))

    run = ex.run()
    assert seen == ["RUNNING"]
    assert status_of(run._id) == "COMPLETED"


@pytest.mark.parametrize(
    ("error", "status"), [(RuntimeError("boom"), "FAILED"), (KeyboardInterrupt(), "INTERRUPTED")]
)
def test_file_storage_records_how_a_run_ended(tmp_path, error, status):
    ex = Experiment("ending")
    ex.observers.append(FileStorageObserver(str(tmp_path / "runs")))

    @ex.main
    def main():
        raise error

    with pytest.raises(type(error)):
        ex.run()
    stored = _read_run(tmp_path / "runs", 1)
    assert stored["status"] == status
    if status == "FAILED":
        assert "boom" in "".join(stored["fail_trace"])


def test_file_storage_ids_count_up_from_one(tmp_path):
    ex = Experiment("ids")
    ex.observers.append(FileStorageObserver(str(tmp_path / "runs")))
    ex.main(lambda: None)
    ids = [ex.run()._id for _ in range(3)]
    assert ids == [1, 2, 3]
    assert sorted(p.name for p in (tmp_path / "runs").iterdir() if p.name.isdigit()) == ["1", "2", "3"]


def _draw(rnd) -> int:
    """One number from a numpy Generator, a legacy RandomState or random.Random."""
    draw = getattr(rnd, "integers", None) or rnd.randint
    return int(draw(0, 10**9))


def _seed_experiment() -> Experiment:
    ex = Experiment("seeds")

    @ex.capture
    def first(_seed, _rnd):
        return _seed, _draw(_rnd)

    @ex.capture
    def second(_seed, _rnd):
        return _seed, _draw(_rnd)

    @ex.main
    def main():
        return [first(), first(), second(), second()]

    return ex


def test_each_captured_function_gets_its_own_seed_stream():
    calls = _seed_experiment().run(config_updates={"seed": 42}).result
    f1, f2, s1, s2 = calls
    assert f1 != f2, "consecutive calls of one function draw new seeds"
    assert {f1[0], f2[0]}.isdisjoint({s1[0], s2[0]}), "two functions must not share a seed stream"


def test_a_root_seed_reproduces_every_stream_and_another_changes_them():
    same = _seed_experiment().run(config_updates={"seed": 42}).result
    again = _seed_experiment().run(config_updates={"seed": 42}).result
    other = _seed_experiment().run(config_updates={"seed": 43}).result
    assert same == again
    assert all(a != b for a, b in zip(same, other, strict=False))


def test_metric_points_keep_their_logged_order_and_steps(tmp_path):
    ex = Experiment("metrics")
    ex.observers.append(FileStorageObserver(str(tmp_path / "runs")))

    @ex.main
    def main(_run):
        for value in (3.0, 1.0, 2.0):
            _run.log_scalar("loss", value)
        _run.log_scalar("acc", 0.5, 10)
        _run.log_scalar("acc", 0.7, 20)

    ex.run()
    metrics = json.loads((tmp_path / "runs" / "1" / "metrics.json").read_text())
    assert metrics["loss"]["values"] == [3.0, 1.0, 2.0]
    assert metrics["loss"]["steps"] == [0, 1, 2]
    assert metrics["acc"]["steps"] == [10, 20] and metrics["acc"]["values"] == [0.5, 0.7]
    assert len(metrics["loss"]["timestamps"]) == 3
