"""Reading while runs are written, and the indexes the observers create for the reader."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from sacred.runs import open_store
from tests.fixtures.run_stores import play_runs


@pytest.mark.parametrize("kind", ["tinydb", "sqlite"])
def test_reading_while_runs_are_written(tmp_path: Path, kind: str) -> None:
    from sacred.observers import SqlObserver, TinyDbObserver

    if kind == "tinydb":
        spec = str(tmp_path / "tdb")
        make = lambda: TinyDbObserver(spec)  # noqa: E731
    else:
        spec = f"sqlite:///{tmp_path / 'runs.db'}"
        make = lambda: SqlObserver(spec)  # noqa: E731
    play_runs(make(), tmp_path / "w0")  # the store exists before reading starts
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for round_ in range(2):
                play_runs(make(), tmp_path / f"w{round_ + 1}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    reads = 0
    for _ in range(500):
        if done.is_set():
            break
        with open_store(spec) as store:
            runs = store.query()
            assert 5 <= len(runs) <= 15
            assert all(run.status in ("RUNNING", "COMPLETED", "FAILED") for run in runs)
        reads += 1
    writer.join(120)
    assert not errors and reads >= 1
    with open_store(spec) as store:
        assert store.count() == 15 and store.count(status="FAILED") == 3


def test_sql_run_table_indexes_the_filtered_columns(tmp_path: Path) -> None:
    import sqlalchemy as sa

    from sacred.observers import SqlObserver

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    play_runs(SqlObserver(url), tmp_path / "w")
    indexed = {tuple(index["column_names"]) for index in sa.inspect(sa.create_engine(url)).get_indexes("run")}
    assert {("status",), ("start_time",), ("experiment_id",)} <= indexed


def test_mongo_observer_creates_the_readers_indexes(mongo_server, mongo_db_name, tmp_path: Path) -> None:
    import pymongo

    from sacred.observers import MongoObserver

    play_runs(MongoObserver(url=mongo_server.url, db_name=mongo_db_name), tmp_path / "w")
    client = pymongo.MongoClient(mongo_server.url)
    try:  # compared by their keys: servers name indexes differently (nx-27017: idx_<db>_<coll>_<field>)
        runs = {tuple(k for k, _ in info["key"]) for info in client[mongo_db_name].runs.index_information().values()}
        metrics = {tuple(k for k, _ in info["key"])
                   for info in client[mongo_db_name].metrics.index_information().values()}
    finally:
        client.close()
    assert {("status",), ("experiment.name",), ("start_time",), ("meta.sweep.id",)} <= runs
    assert ("run_id", "name") in metrics
