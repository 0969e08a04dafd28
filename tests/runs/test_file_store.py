"""FileStorage reading: the runs index as a cache (deleted, corrupted, stale), broken runs, safety."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import pytest

from sacred.observers.run_files._layout import RUNS_INDEX
from sacred.runs import RunNotFound, StoreError, open_store
from sacred.runs.file_store import FileStore


def _summary_view(store) -> list[tuple]:
    return [(r.id, r.status, r.config.get("lr"), r.result, r.final_metrics.get("loss"), r.comment, r.broken)
            for r in store.query()]


def test_listing_comes_from_the_index_without_opening_run_folders(file_store_dir, monkeypatch) -> None:
    basedir, played = file_store_dir
    store = open_store(basedir)
    opened = []
    real_open = open

    def spy(path, *args, **kwargs):
        if str(path).endswith(("run.json", "config.json", "metrics.json")):
            opened.append(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr("builtins.open", spy)
    runs = store.query()
    assert [r.id for r in runs] == ["1", "2", "3", "4", "5"]
    assert [r.status for r in runs] == [p["status"] for p in played]
    # a page's run.json files are checked against the index once (see FileStore.checked), nothing else is read
    assert sorted(str(p) for p in opened) == sorted(str(basedir / str(i) / "run.json") for i in range(1, 6))
    opened.clear()
    assert store.query() == runs
    assert opened == []


@pytest.mark.parametrize("damage", ["delete", "truncate", "garbage", "torn_last_line", "stale"])
def test_a_damaged_index_gives_the_same_listing(file_store_dir, damage: str) -> None:
    basedir, _ = file_store_dir
    expected = _summary_view(open_store(basedir))
    index = basedir / RUNS_INDEX
    lines = index.read_bytes().splitlines(keepends=True)
    if damage == "delete":
        index.unlink()
    elif damage == "truncate":
        index.write_bytes(b"")
    elif damage == "garbage":
        index.write_bytes(b"\x00\xffnot json\n{\"_id\": 3\n" + b"".join(lines[:3]) + b"[1,2]\n{}\n")
    elif damage == "torn_last_line":
        index.write_bytes(b"".join(lines[:-1]) + lines[-1][:20])
    else:  # stale: the index lags behind the folders (lines of runs 4 and 5 missing)
        index.write_bytes(b"".join(line for line in lines if b'"_id":"4"' not in line and b'"_id":"5"' not in line))
    store = open_store(basedir)
    assert _summary_view(store) == expected
    # the reader appended complete lines for the finished runs it had to read from their folders
    repaired = set()
    for line in index.read_bytes().splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict) and record.get("full"):
            repaired.add(record["_id"])
    assert repaired >= {"1", "2", "3", "4", "5"} - ({"1", "2", "3"} if damage == "torn_last_line" else set())
    assert _summary_view(open_store(basedir)) == expected


def test_no_repair_leaves_the_store_untouched(file_store_dir) -> None:
    basedir, _ = file_store_dir
    (basedir / RUNS_INDEX).unlink()
    store = FileStore(basedir, repair_index=False)
    assert len(store.query()) == 5
    assert not (basedir / RUNS_INDEX).exists()


def test_a_read_only_store_is_read(file_store_dir) -> None:
    basedir, _ = file_store_dir
    (basedir / RUNS_INDEX).unlink()
    os.chmod(basedir, 0o555)
    try:
        assert [r.status for r in open_store(basedir).query()].count("COMPLETED") == 4
    finally:
        os.chmod(basedir, 0o755)


@pytest.mark.parametrize("damage", ["missing", "torn", "not_an_object"])
def test_a_broken_run_is_listed_as_broken(file_store_dir, damage: str) -> None:
    basedir, _ = file_store_dir
    run_json = basedir / "2" / "run.json"
    if damage == "missing":
        run_json.unlink()
    elif damage == "torn":
        run_json.write_text(run_json.read_text()[:40])
    else:
        run_json.write_text("[1, 2]")
    (basedir / RUNS_INDEX).unlink()
    store = open_store(basedir)
    runs = {r.id: r for r in store.query()}
    assert len(runs) == 5
    assert runs["2"].broken and "run.json" in runs["2"].broken
    assert runs["1"].broken is None
    record = store.get("2")
    assert record.broken
    assert record.captured_out().startswith("INFO") or record.captured_out() == "" or "training" in record.captured_out()
    assert store.count(status="COMPLETED") == 3


def test_a_running_run_is_read_from_its_folder_and_dead_when_its_heartbeat_is_stale(file_store_dir) -> None:
    basedir, _ = file_store_dir
    run_json = basedir / "3" / "run.json"
    entry = json.loads(run_json.read_text())
    entry.update(status="RUNNING", heartbeat="2020-01-01T00:00:00", stop_time=None)
    run_json.write_text(json.dumps(entry))
    with open(basedir / RUNS_INDEX, "a") as index:
        index.write(json.dumps({"_id": "3", "status": "RUNNING"}) + "\n")
    store = open_store(basedir)
    run = {r.id: r for r in store.query()}["3"]
    assert (run.status, run.stored_status) == ("DEAD", "RUNNING")
    assert [r.id for r in store.query(status="DEAD")] == ["3"]
    assert store.count(status=["dead", "failed"]) == 2


def test_reading_while_runs_are_written(tmp_path: Path) -> None:
    from sacred.observers import FileStorageObserver
    from tests.fixtures.run_stores import play_runs

    basedir = tmp_path / "runs"
    errors: list[BaseException] = []
    done = threading.Event()

    def write() -> None:
        try:
            for round_ in range(3):
                play_runs(FileStorageObserver(str(basedir)), tmp_path / f"w{round_}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            done.set()

    writer = threading.Thread(target=write)
    writer.start()
    seen = 0
    for _ in range(2000):
        if done.is_set():
            break
        if basedir.is_dir():
            for run in open_store(basedir).query():
                assert run.broken is None or "missing" in run.broken
                assert run.status in ("RUNNING", "COMPLETED", "FAILED", None)
            seen += 1
    writer.join(60)
    assert not errors
    final = open_store(basedir).query()
    assert len(final) == 15 and all(r.broken is None for r in final)
    assert sorted(r.status for r in final).count("FAILED") == 3


def test_unknown_id_names_the_nearest(file_store_dir) -> None:
    basedir, _ = file_store_dir
    store = open_store(basedir)
    with pytest.raises(RunNotFound) as error:
        store.get(17)
    assert "'17'" in str(error.value) and "nearest ids: 3, 4, 5" in str(error.value)
    for bad in ("_sources", "..", "../x", ""):
        with pytest.raises(KeyError):
            store.get(bad)


def test_artifact_names_cannot_escape_the_store(file_store_dir, tmp_path: Path) -> None:
    basedir, _ = file_store_dir
    secret = tmp_path / "secret.txt"
    secret.write_text("secret")
    run_json = basedir / "1" / "run.json"
    entry = json.loads(run_json.read_text())
    os.symlink(secret, basedir / "1" / "link.txt")
    entry["artifacts"] += ["../../secret.txt", str(secret), "link.txt"]
    entry["resources"] = [["r", str(secret)], ["r2", "../secret.txt"]]
    run_json.write_text(json.dumps(entry))
    record = open_store(basedir).get(1)
    by_name = {a.name: a for a in record.artifacts()}
    assert by_name["weights.txt"].read() == b"weights 0.01"
    for name in ("../../secret.txt", str(secret), "link.txt"):
        with pytest.raises(PermissionError):
            by_name[name].read()
    for resource in record.resources():
        with pytest.raises(PermissionError):
            resource.read()


def test_record_contents(file_store_dir) -> None:
    basedir, played = file_store_dir
    store = open_store(basedir)
    failed = store.get(4)
    assert failed.status == "FAILED" and "RuntimeError: diverged" in "".join(failed.fail_trace)
    fast = store.get("3")
    assert fast.config_modifications["named_configs"] == ["fast"]
    assert store.get(2).config_modifications["updated"] == ["depth", "lr"]
    assert fast.metric("loss").values == pytest.approx([0.5, 0.25, 0.5 / 3, 0.125, 0.1])
    assert fast.metric("loss").steps == [0, 1, 2, 3, 4]
    assert fast.metric_names() == ["acc", "loss"]
    with pytest.raises(KeyError, match="its metrics: acc, loss"):
        fast.metric("nope")
    assert "training with lr=0.5" in fast.captured_out()
    assert fast.host["hostname"] and fast.experiment_info["name"] == "toy"
    [source] = fast.sources()
    assert source.name.endswith("peer_experiment.py") and len(source.md5) == 32
    frame = fast.metrics_frame()
    assert set(frame["name"]) == {"acc", "loss"} and len(frame) == 10


@pytest.mark.parametrize("make, fragment", [
    (lambda p: p / "nope", "does not exist"),
    (lambda p: (p / "f.txt").write_text("x") and p / "f.txt", "is a file"),
    (lambda p: (p / "d" / "sub").mkdir(parents=True) or p / "d", "is not a store"),
    (lambda p: (p / "d" / "2019").mkdir(parents=True) or (p / "d" / "2019" / "data.csv").write_text("x")
     and p / "d", "is not a store"),
])
def test_not_a_store(tmp_path: Path, make, fragment: str) -> None:
    with pytest.raises(StoreError, match=fragment):
        open_store(make(tmp_path))


@pytest.mark.parametrize("files", [[], ["config.json"], ["config.json", ".run.json.123.0000abcd.tmp"]])
def test_a_folder_whose_first_run_is_being_created_is_a_store(tmp_path: Path, files: list[str]) -> None:
    """Between the observer's claim of run 1 and its first run.json the folder is already a store."""
    (tmp_path / "runs" / "1").mkdir(parents=True)
    for name in files:
        (tmp_path / "runs" / "1" / name).write_text("{}")
    runs = open_store(tmp_path / "runs").query()
    assert all(run.broken and "missing" in run.broken for run in runs)


def test_bad_url_scheme() -> None:
    with pytest.raises(StoreError, match="unsupported URL scheme"):
        open_store("ftp://user:pw@host/x")


def test_metric_lists_are_parsed_only_when_used(file_store_dir) -> None:
    basedir, _ = file_store_dir
    record = open_store(basedir).get(2)
    stored = json.loads((basedir / "2" / "metrics.json").read_bytes())
    loss = record.metric("loss")
    lists = record._loader._all_metrics()["loss"]
    assert loss.values == stored["loss"]["values"]
    assert lists["steps"].text is not None and lists["timestamps"].text is not None  # not parsed
    assert loss._timestamps is None
    assert loss.steps == stored["loss"]["steps"] and lists["timestamps"].text is not None
    assert [t.isoformat() for t in loss.timestamps] == stored["loss"]["timestamps"]


@pytest.mark.parametrize("accelerated", [True, False])
def test_a_long_series_reads_the_same_on_both_parse_paths(tmp_path: Path, monkeypatch, accelerated) -> None:
    from sacred.observers.run_files._layout import dump_json

    if not accelerated:
        monkeypatch.setenv("SACRED_NO_ORJSON", "1")
    folder = tmp_path / "store" / "1"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({"status": "COMPLETED", "experiment": {"name": "x"}}))
    (folder / "config.json").write_text("{}")
    values = [1 / (i + 1) for i in range(30_000)] + [float("nan"), float("inf"), -float("inf"), -0.0, 2**70, None]
    steps = list(range(len(values) - 1)) + [2**64 + 1]
    stamps = [f"2024-01-01T00:00:{i % 60:02d}.{i + 1:06d}" for i in range(len(values))]
    metrics = {"loss": {"steps": steps, "values": values, "timestamps": stamps},
               "acc": {"steps": [0, 1], "values": [0.5, 0.75], "timestamps": stamps[:2]}}
    (folder / "metrics.json").write_bytes(dump_json(metrics))
    record = open_store(tmp_path / "store").get(1)
    assert record.metric_names() == ["acc", "loss"]
    loss = record.metric("loss")
    assert repr(loss.values) == repr(values) and loss.steps == steps
    assert [t.isoformat() for t in loss.timestamps] == stamps
    assert record.metric("acc").values == [0.5, 0.75]


def test_a_run_with_a_big_metrics_file_gets_its_final_values_from_the_index(file_store_dir, monkeypatch) -> None:
    import sacred.runs.file_store as file_store

    basedir, _ = file_store_dir
    stored = json.loads((basedir / "2" / "metrics.json").read_bytes())
    monkeypatch.setattr(file_store, "LISTING_METRICS_LIMIT", 0)  # every metrics file counts as big
    record = open_store(basedir).get(2)
    assert record.final_metrics == {name: series["values"][-1] for name, series in stored.items()}
    assert record._loader._metrics is None  # the metrics file itself was not read
    (basedir / RUNS_INDEX).unlink()
    assert open_store(basedir, repair_index=False).get(2).final_metrics == {}


def test_metrics_frame_without_pandas_names_the_extra(file_store_dir, monkeypatch) -> None:
    import sys

    basedir, _ = file_store_dir
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match=r"sacred\[pandas\]"):
        open_store(basedir).get(1).metrics_frame()


def test_a_store_object_parses_only_the_lines_appended_since(file_store_dir, tmp_path: Path) -> None:
    from sacred.observers import FileStorageObserver
    from tests.fixtures.run_stores import play_runs

    basedir, _ = file_store_dir
    store = open_store(basedir)
    assert store.count("config.lr > 0.05") == 4
    first = store._index_cache
    play_runs(FileStorageObserver(str(basedir)), tmp_path / "more")
    assert store.count("config.lr > 0.05") == 8
    assert store._index_cache[1] > first[1]
    assert store.count() == 10
