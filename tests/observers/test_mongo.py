"""MongoObserver and QueuedMongoObserver against a real wire-protocol server.

Behavioural tests run twice: over a socket against the ``mongo_server``
fixture (nx-27017, or a real MongoDB with ``SACRED_TEST_MONGO_URL``) and
against mongomock, which follows MongoDB's semantics where nx-27017 falls
short. Where nx-27017 deviates (dates written by ``$push`` come back as
strings, GridFS drops ``contentType``), the nx run checks what nx can show.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import textwrap
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

pymongo = pytest.importorskip("pymongo")
import gridfs  # noqa: E402

from sacred.observers.mongo import (  # noqa: E402
    MongoObserver,
    QueuedMongoObserver,
    is_oversized,
    parse_mongo_db_arg,
    read_captured_out,
    read_metric,
    read_oversized,
    restore_oversized,
)
from sacred.utils import ObserverError  # noqa: E402

FAST = {"serverSelectionTimeoutMS": 1500, "connectTimeoutMS": 1500, "socketTimeoutMS": 5000}


def utcnow() -> dt.datetime:
    return dt.datetime.utcnow().replace(microsecond=(dt.datetime.utcnow().microsecond // 1000) * 1000)


@pytest.fixture(params=["server", "mongomock"])
def backend(request, mongo_server, mongo_db_name):
    """``(make_observer, is_nx)``: observers on the real server or on mongomock."""
    if request.param == "server":
        def make(**kwargs):
            kwargs.setdefault("db_name", mongo_db_name)
            for key, value in FAST.items():
                kwargs.setdefault(key, value)
            return MongoObserver(url=mongo_server.url, **kwargs)

        return make, mongo_server.is_nx
    mock_gridfs = pytest.importorskip("mongomock.gridfs")
    mock_gridfs.enable_gridfs_integration()
    import mongomock

    client = mongomock.MongoClient()

    def make_mock(**kwargs):
        kwargs.setdefault("db_name", mongo_db_name)
        return MongoObserver(client=client, **kwargs)

    return make_mock, False


@pytest.fixture
def sources(tmp_path):
    """An experiment directory with a source file; returns ``(ex_info, path)``."""
    base = tmp_path / "exp"
    base.mkdir()
    main = base / "my_exp.py"
    main.write_text("print('hello')\n")
    import hashlib

    md5 = hashlib.md5(main.read_bytes()).hexdigest()
    ex_info = {
        "name": "my_exp",
        "base_dir": str(base),
        "sources": [["my_exp.py", md5]],
        "dependencies": ["numpy==1.0", "sacred==0.9.0"],
        "repositories": [{"url": "git@example.com:x.git", "commit": "abc", "dirty": False}],
        "mainfile": "my_exp.py",
        "doc": "An experiment.",
    }
    return ex_info, main


def start(obs, ex_info, _id=None, config=None, meta=None):
    return obs.started_event(
        ex_info=ex_info,
        command="main",
        host_info={"hostname": "box", "os": ["Linux", "Linux-x"], "python_version": "3.11",
                   "cpu": "cpu"},
        start_time=utcnow(),
        config=config if config is not None else {"a": 1, "seed": 42},
        meta_info=meta if meta is not None else {"command": "main", "options": {}},
        _id=_id,
    )


def metric(name, steps, values):
    now = utcnow()
    return {name: {"name": name, "steps": list(steps), "values": list(values),
                   "timestamps": [now] * len(steps)}}


# --------------------------------------------------------------------- shape

def test_completed_run_has_documented_database_entry(backend, sources, tmp_path):
    make, is_nx = backend
    ex_info, main = sources
    obs = make()
    run_id = start(obs, ex_info)
    assert run_id == 1
    info = {"loss_history": [1, 2]}
    obs.log_metrics(metric("training.loss", [0, 1], [0.5, 0.25]), info)
    obs.heartbeat_event(info, "hello\n", utcnow(), None)
    resource = tmp_path / "data.csv"
    resource.write_text("1,2\n")
    obs.resource_event(str(resource))
    artifact = tmp_path / "model.json"
    artifact.write_text('{"w": 1}')
    obs.artifact_event("model", str(artifact), metadata={"epoch": 3}, content_type="application/json")
    obs.log_metrics(metric("training.loss", [2], [0.125]), info)
    obs.completed_event(utcnow(), {"acc": 0.9})

    doc = obs.runs.find_one({"_id": run_id})
    assert doc["format"] == "MongoObserver-0.7.0"
    assert doc["status"] == "COMPLETED"
    assert doc["result"] == {"acc": 0.9}
    assert doc["command"] == "main"
    assert doc["config"] == {"a": 1, "seed": 42}
    assert doc["captured_out"] == "hello\n"
    assert doc["host"]["hostname"] == "box"
    assert doc["meta"]["command"] == "main"
    for key in ("start_time", "heartbeat", "stop_time"):
        assert isinstance(doc[key], dt.datetime), key
    assert "fail_trace" not in doc
    assert doc["experiment"]["name"] == "my_exp"
    assert doc["experiment"]["dependencies"] == ["numpy==1.0", "sacred==0.9.0"]
    [[source_name, source_id]] = doc["experiment"]["sources"]
    assert source_name == "my_exp.py"
    fs = gridfs.GridFS(obs.runs.database)
    stored = fs.get(source_id)
    assert stored.read() == main.read_bytes()
    assert stored.filename == str(main)
    assert doc["resources"] == [[str(resource), pytest.approx(doc["resources"][0][1])]]
    assert fs.find_one({"filename": str(resource)}).read() == b"1,2\n"
    [art] = doc["artifacts"]
    assert art["name"] == "model"
    art_file = fs.get(art["file_id"])
    assert art_file.read() == b'{"w": 1}'
    assert art_file.filename == f"artifact://runs/{run_id}/model"
    assert art_file.metadata == {"epoch": 3}
    if not is_nx:  # nx-27017 drops contentType from fs.files
        assert art_file._file["contentType"] == "application/json"

    assert doc["info"]["loss_history"] == [1, 2]
    [ref] = doc["info"]["metrics"]
    assert ref["name"] == "training.loss"
    mdoc = obs.metrics.find_one({"_id": pymongo.collection.ObjectId(ref["id"])})
    assert mdoc["run_id"] == run_id and mdoc["name"] == "training.loss"
    assert mdoc["steps"] == [0, 1, 2]
    assert mdoc["values"] == [0.5, 0.25, 0.125]
    assert len(mdoc["timestamps"]) == 3
    if not is_nx:  # nx-27017 returns dates written by $push as strings
        assert all(isinstance(t, dt.datetime) for t in mdoc["timestamps"])
    assert obs.metrics.count_documents({"run_id": run_id}) == 1


def test_failed_and_interrupted_runs_record_status_and_trace(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    first = start(obs, ex_info)
    obs.failed_event(utcnow(), ["Traceback:\n", "ValueError: boom\n"])
    doc = obs.runs.find_one({"_id": first})
    assert doc["status"] == "FAILED"
    assert doc["fail_trace"] == ["Traceback:\n", "ValueError: boom\n"]
    second = start(obs, ex_info)
    obs.interrupted_event(utcnow(), "TIMEOUT")
    assert second == first + 1
    assert obs.runs.find_one({"_id": second})["status"] == "TIMEOUT"


def test_files_are_stored_once_per_content(backend, sources, tmp_path):
    make, _ = backend
    ex_info, main = sources
    obs = make()
    resource = tmp_path / "r.txt"
    resource.write_text("same")
    ids = []
    for _ in range(2):
        start(obs, ex_info)
        obs.resource_event(str(resource))
        obs.resource_event(str(resource))
        obs.completed_event(utcnow(), None)
        ids.append(obs.run_entry["experiment"]["sources"][0][1])
        assert obs.run_entry["resources"] == [[str(resource), obs.run_entry["resources"][0][1]]]
    files = obs.runs.database["fs.files"]
    assert ids[0] == ids[1]
    assert len(list(files.find({"filename": str(main)}))) == 1
    assert len(list(files.find({"filename": str(resource)}))) == 1
    resource.write_text("changed")
    start(obs, ex_info)
    obs.resource_event(str(resource))
    assert len(list(files.find({"filename": str(resource)}))) == 2


def test_non_bson_values_are_stored_in_flattened_form(backend, sources):
    np = pytest.importorskip("numpy")
    make, _ = backend
    ex_info, _ = sources

    class Custom:
        def __init__(self):
            self.x = 1

    obs = make()
    run_id = start(obs, ex_info, config={"arr": np.arange(3), "n": np.int64(7)})
    info = {"array": np.arange(3), "obj": Custom(), "huge": 2**70, "scalar": np.float32(0.5)}
    obs.heartbeat_event(info, "", utcnow(), np.float64(1.5))
    obs.completed_event(utcnow(), {"weights": np.ones(2)})
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["config"]["arr"] == [0, 1, 2] and doc["config"]["n"] == 7
    assert doc["info"]["array"] == [0, 1, 2]
    assert doc["info"]["scalar"] == 0.5
    assert doc["info"]["huge"] == str(2**70)
    assert doc["info"]["obj"]["x"] == 1 and "py/object" in doc["info"]["obj"]
    assert doc["result"] == {"weights": [1.0, 1.0]}


# --------------------------------------------------------------------- ids

def test_given_id_is_used_and_a_duplicate_is_refused(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    assert start(obs, ex_info, _id="custom") == "custom"
    assert obs.runs.find_one({"_id": "custom"})["status"] == "RUNNING"
    # a string id does not disturb integer allocation
    assert start(obs, ex_info) == 1
    with pytest.raises(ObserverError, match="already exists"):
        start(obs, ex_info, _id="custom")


def test_overwrite_replaces_an_existing_run(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    first = make()
    run_id = start(first, ex_info)
    first.log_metrics(metric("m", [0], [1]), {})
    first.completed_event(utcnow(), "old")
    again = make(overwrite=run_id)
    assert start(again, ex_info) == run_id
    again.completed_event(utcnow(), "new")
    assert again.runs.count_documents({}) == 1
    assert again.runs.find_one({"_id": run_id})["result"] == "new"
    assert again.metrics.count_documents({"run_id": run_id}) == 0
    missing = make(overwrite=99)
    with pytest.raises(ObserverError, match="no such run"):
        start(missing, ex_info)


_ALLOCATE = textwrap.dedent(
    """
    import datetime, sys
    from sacred.observers.mongo import MongoObserver
    url, db, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    obs = MongoObserver(url=url, db_name=db, serverSelectionTimeoutMS=5000)
    ex_info = {"name": "c", "base_dir": "/", "sources": [], "dependencies": []}
    for _ in range(count):
        rid = obs.started_event(ex_info, "main", {}, datetime.datetime.utcnow(), {}, {}, None)
        print(rid, flush=True)
    """
)


def test_concurrent_writers_get_distinct_ids_and_none_is_lost(mongo_server, mongo_db_name):
    processes, per_process = 6, 8
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _ALLOCATE, mongo_server.url, mongo_db_name, str(per_process)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for _ in range(processes)
    ]
    ids = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        ids += [int(line) for line in out.split()]
    assert len(ids) == processes * per_process
    assert sorted(ids) == list(range(1, processes * per_process + 1))
    client = pymongo.MongoClient(mongo_server.url)
    try:
        stored = sorted(d["_id"] for d in client[mongo_db_name].runs.find({}, {"_id": 1}))
    finally:
        client.close()
    assert stored == sorted(ids)


# ------------------------------------------------------------------- names

def test_collection_prefix_and_custom_collection(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    prefixed = make(collection_prefix="proj")
    run_id = start(prefixed, ex_info)
    prefixed.log_metrics(metric("m", [0], [1]), {})
    assert prefixed.runs.name == "proj_runs" and prefixed.metrics.name == "proj_metrics"
    assert prefixed.runs.find_one({"_id": run_id}) is not None
    assert prefixed.metrics.count_documents({"run_id": run_id}) == 1
    custom = make(collection="experiments", priority=5)
    assert custom.runs.name == "experiments" and custom.priority == 5
    with pytest.raises(ValueError, match="either collection or collection_prefix"):
        make(collection="x", collection_prefix="y")


@pytest.mark.parametrize("name", sorted(MongoObserver.COLLECTION_NAME_BLACKLIST))
def test_reserved_collection_names_are_refused(name):
    with pytest.raises(ValueError, match="reserved"):
        MongoObserver(collection=name, serverSelectionTimeoutMS=10)


@pytest.mark.parametrize("name", ["", "a$b", "system.x"])
def test_invalid_collection_names_are_refused(name):
    with pytest.raises(ValueError, match="collection name"):
        MongoObserver(collection=name, serverSelectionTimeoutMS=10)


@pytest.mark.parametrize("name", ["", "a.b", "a b", "a/b"])
def test_invalid_database_names_are_refused(name):
    with pytest.raises(ValueError, match="invalid database name"):
        MongoObserver(db_name=name, serverSelectionTimeoutMS=10)


def test_create_from_uses_given_collections(mongo_server, mongo_db_name, sources):
    ex_info, _ = sources
    client = pymongo.MongoClient(mongo_server.url, **FAST)
    try:
        db = client[mongo_db_name]
        obs = MongoObserver.create_from(db.my_runs, gridfs.GridFS(db), metrics_collection=db.my_metrics,
                                        priority=7)
        run_id = start(obs, ex_info)
        obs.log_metrics(metric("m", [0], [1]), {})
        obs.completed_event(utcnow(), 1)
        assert obs.priority == 7
        assert db.my_runs.find_one({"_id": run_id})["status"] == "COMPLETED"
        assert db.my_metrics.count_documents({"run_id": run_id}) == 1
        with pytest.raises(ValueError, match="reserved"):
            MongoObserver.create_from(db["fs.files"], gridfs.GridFS(db))
    finally:
        client.close()


def test_extra_keywords_reach_the_client():
    obs = MongoObserver(url="mongodb://127.0.0.1:1", appname="sacred-test", serverSelectionTimeoutMS=10)
    assert obs.client.options.pool_options.metadata["application"]["name"] == "sacred-test"
    with pytest.raises(ValueError, match="either url or client"):
        MongoObserver(url="mongodb://127.0.0.1:1", client=obs.client)


# ------------------------------------------------------------------- -m

@pytest.mark.parametrize(
    "value, expected",
    [
        ("my_db", {"db_name": "my_db"}),
        ("my_db.runs2", {"db_name": "my_db", "collection": "runs2"}),
        ("my_db!12", {"db_name": "my_db", "priority": 12}),
        ("192.168.1.1:27017:MY_DB", {"url": "192.168.1.1:27017", "db_name": "MY_DB"}),
        ("my.server.org:12345:MY_DB.col!3",
         {"url": "my.server.org:12345", "db_name": "MY_DB", "collection": "col", "priority": 3}),
        ("mongodb://u:p@h:1/the_db", {"url": "mongodb://u:p@h:1/the_db", "db_name": "the_db"}),
        ("mongodb://h:1/the_db.things?authSource=admin!4",
         {"url": "mongodb://h:1/the_db.things?authSource=admin", "db_name": "the_db",
          "collection": "things", "priority": 4}),
        ("mongodb://h:1", {"url": "mongodb://h:1"}),
        ("mongodb+srv://u:p@cluster.example.com/db1",
         {"url": "mongodb+srv://u:p@cluster.example.com/db1", "db_name": "db1"}),
    ],
)
def test_mongo_db_arg_forms(value, expected):
    assert parse_mongo_db_arg(value) == expected


@pytest.mark.parametrize("value", ["", "a:b:c:d", "host:port:db", "db!x", "db.", "mongodb://u:secret@"])
def test_malformed_mongo_db_arg_shows_the_accepted_form(value):
    with pytest.raises(ValueError) as info:
        parse_mongo_db_arg(value)
    message = str(info.value)
    assert "[host:port:]db_name[.collection][!priority]" in message
    assert "secret" not in message


_db = st.from_regex(r"[A-Za-z_][A-Za-z0-9_-]{0,20}", fullmatch=True)
_host = st.from_regex(r"[a-z][a-z0-9-]{0,10}(\.[a-z][a-z0-9-]{0,10}){0,2}", fullmatch=True)


@settings(max_examples=200, deadline=None)
@given(
    host=st.none() | _host,
    port=st.integers(1, 65535),
    db=_db,
    collection=st.none() | st.from_regex(r"[A-Za-z_][A-Za-z0-9_.]{0,15}[A-Za-z0-9_]", fullmatch=True),
    priority=st.none() | st.integers(-1000, 1000),
)
def test_mongo_db_arg_round_trips(host, port, db, collection, priority):
    text = (f"{host}:{port}:" if host else "") + db
    text += f".{collection}" if collection else ""
    text += f"!{priority}" if priority is not None else ""
    parsed = parse_mongo_db_arg(text)
    assert parsed.get("url") == (f"{host}:{port}" if host else None)
    assert parsed["db_name"] == db
    assert parsed.get("collection") == collection
    assert parsed.get("priority") == priority


def test_from_cli_arg_builds_a_working_observer(mongo_server, mongo_db_name, sources):
    ex_info, _ = sources
    obs = MongoObserver.from_cli_arg(f"{mongo_server.url}/{mongo_db_name}.cli_runs!9")
    assert obs.priority == 9 and obs.runs.name == "cli_runs"
    assert obs.runs.database.name == mongo_db_name
    run_id = start(obs, ex_info)
    obs.completed_event(utcnow(), None)
    assert obs.runs.find_one({"_id": run_id})["status"] == "COMPLETED"


# ------------------------------------------------------------------- size

def test_metric_points_continue_in_further_documents(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    obs.METRIC_POINTS_PER_DOCUMENT = 7
    obs.METRIC_POINTS_PER_UPDATE = 3
    run_id = start(obs, ex_info)
    total = 0
    for batch in (5, 1, 11, 4):
        obs.log_metrics(metric("loss", range(total, total + batch), [float(i) for i in range(total, total + batch)]), {})
        total += batch
    obs.completed_event(utcnow(), None)
    docs = list(obs.metrics.find({"run_id": run_id, "name": "loss"}))
    assert len(docs) == 3
    assert sorted(d.get("part", 0) for d in docs) == [0, 1, 2]
    assert all(len(d["steps"]) <= 7 for d in docs)
    series = read_metric(obs.metrics, run_id, "loss")
    assert series["steps"] == list(range(total))
    assert series["values"] == [float(i) for i in range(total)]
    doc = obs.runs.find_one({"_id": run_id})
    head = next(d for d in docs if "part" not in d)
    assert doc["info"]["metrics"] == [{"id": str(head["_id"]), "name": "loss"}]


def test_two_million_points_of_one_metric_are_all_stored(backend, sources):
    """2,000,000 points in 500,000-point calls: every point kept, each document < 16 MB.

    nx-27017 needs ~20 us per stored array element (SQLite JSON), which would make
    2M points take minutes; over nx the same path is checked with 250,000 points
    (three documents), on mongomock and on a real MongoDB with the full 2M.
    """
    import bson

    make, is_nx = backend
    ex_info, _ = sources
    obs = make(socketTimeoutMS=60000) if is_nx else make()
    if is_nx:  # three documents from 250,000 points
        obs.METRIC_POINTS_PER_DOCUMENT = 100_000
    run_id = start(obs, ex_info)
    total, batch = (250_000, 125_000) if is_nx else (2_000_000, 500_000)
    stamp = utcnow()
    for first in range(0, total, batch):
        steps = list(range(first, first + batch))
        obs.log_metrics({"x": {"steps": steps, "values": [s * 0.5 for s in steps],
                               "timestamps": [stamp] * batch}}, {})
    obs.completed_event(utcnow(), None)
    assert not obs._pending["x"]
    docs = list(obs.metrics.find({"run_id": run_id, "name": "x"}))
    per_doc = obs.METRIC_POINTS_PER_DOCUMENT
    assert len(docs) == -(-total // per_doc)
    for doc in docs:
        assert len(bson.encode(doc)) < 16 * 1024 * 1024
        assert len(doc["steps"]) == len(doc["values"]) == len(doc["timestamps"]) <= per_doc
    series = read_metric(obs.metrics, run_id, "x")
    assert series["steps"] == list(range(total))
    assert series["values"][-1] == (total - 1) * 0.5


def test_captured_output_beyond_the_threshold_moves_to_gridfs(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    obs.CAPTURED_OUT_INLINE_CHARS = 50
    obs.CAPTURED_OUT_SEGMENT_CHARS = 40
    run_id = start(obs, ex_info)
    fs = gridfs.GridFS(obs.runs.database)
    text = ""
    for i in range(30):
        text += f"line {i} ünï\n"
        obs.heartbeat_event({}, text, utcnow(), None)
        doc = obs.runs.find_one({"_id": run_id})
        assert read_captured_out(fs, doc) == text
        assert len(doc["captured_out"]) <= 50
    segments = doc["captured_out_segments"]
    assert len(segments) >= 5
    # an output filter rewrote earlier text: the segments are rewritten
    text = text.replace("line 0", "LINE 0")
    obs.completed_event(utcnow(), None)
    obs.heartbeat_event({}, text, utcnow(), None)
    doc = obs.runs.find_one({"_id": run_id})
    assert read_captured_out(fs, doc) == text
    prefix = f"captured_out://runs/{run_id}/"
    names = [f["filename"] for f in obs.runs.database["fs.files"].find()]
    assert len([n for n in names if n.startswith(prefix)]) == len(doc["captured_out_segments"])


def test_captured_output_larger_than_a_document_is_kept_whole(mongo_server, mongo_db_name, sources):
    ex_info, _ = sources
    obs = MongoObserver(url=mongo_server.url, db_name=mongo_db_name, **FAST)
    run_id = start(obs, ex_info)
    text = ("x" * 99 + "\n") * 180_000  # 18 MB
    obs.heartbeat_event({}, text, utcnow(), None)
    obs.completed_event(utcnow(), None)
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["status"] == "COMPLETED"
    assert len(doc["captured_out"]) <= MongoObserver.CAPTURED_OUT_INLINE_CHARS
    assert read_captured_out(gridfs.GridFS(obs.runs.database), doc) == text


# --------------------------------------------------------- oversized values

_BIG = 17 * 1024 * 1024  # characters: beyond MongoDB's 16 MB document limit on its own


def _oversized_files(obs, run_id):
    prefix = f"oversized://{obs.runs.name}/{run_id}/"
    return [f for f in obs.runs.database["fs.files"].find() if f["filename"].startswith(prefix)]


def test_info_and_result_beyond_16_mb_are_kept_in_gridfs_and_the_run_completes(
        backend, sources, tmp_path):
    make, is_nx = backend
    ex_info, _ = sources
    slow_server = {"socketTimeoutMS": 60000} if is_nx else {}
    obs = make(failure_dir=tmp_path / "failed", **slow_server)
    run_id = start(obs, ex_info)
    info = {"small": 1, "big": "i" * _BIG}
    obs.log_metrics(metric("loss", [0], [0.5]), info)
    obs.heartbeat_event(info, "out\n", utcnow(), None)
    result = {"weights": "r" * _BIG}
    obs.completed_event(utcnow(), result)

    assert not (tmp_path / "failed").exists()
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["status"] == "COMPLETED"
    assert doc["info"]["small"] == 1
    assert [m["name"] for m in doc["info"]["metrics"]] == ["loss"]
    pointer = doc["info"]["big"]
    assert pointer["sacred_oversized"] is True and "gridfs_id" in pointer
    assert is_oversized(pointer) and not is_oversized(doc["info"]["small"])
    assert doc["result"]["sacred_oversized"] is True
    fs = gridfs.GridFS(obs.runs.database)
    assert read_oversized(fs, pointer) == info["big"]
    assert read_oversized(fs, doc["info"]["small"]) == 1
    restored = restore_oversized(fs, doc)
    assert restored["result"] == result
    assert restored["info"]["big"] == info["big"] and restored["info"]["small"] == 1
    assert restored["captured_out"] == "out\n"
    # the heartbeat and the final save stored the unchanged info entry once
    assert len(_oversized_files(obs, run_id)) == 2


def test_oversized_values_follow_changes_and_leave_no_stale_files(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    obs.MAX_RUN_DOCUMENT_BYTES = 20_000
    run_id = start(obs, ex_info)
    fs = gridfs.GridFS(obs.runs.database)
    info = {"a": "a" * 15_000, "b": "b" * 12_000, "tiny": [1, 2]}
    obs.heartbeat_event(info, "", utcnow(), None)
    doc = obs.runs.find_one({"_id": run_id})
    # the largest entry moves first, and only as many as needed
    assert is_oversized(doc["info"]["a"]) and doc["info"]["b"] == info["b"]
    assert doc["info"]["tiny"] == [1, 2]
    info = {"a": "A" * 15_000, "b": "b" * 12_000, "tiny": [1, 2]}
    obs.heartbeat_event(info, "", utcnow(), None)
    doc = obs.runs.find_one({"_id": run_id})
    assert read_oversized(fs, doc["info"]["a"]) == info["a"]
    assert len(_oversized_files(obs, run_id)) == 1
    info = {"a": "small again", "tiny": [1, 2]}
    obs.completed_event(utcnow(), "done")
    obs.heartbeat_event(info, "", utcnow(), "done")
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["info"]["a"] == "small again" and doc["result"] == "done"
    assert _oversized_files(obs, run_id) == []


def test_an_oversized_fail_trace_is_kept_in_gridfs(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    obs.MAX_RUN_DOCUMENT_BYTES = 20_000
    run_id = start(obs, ex_info)
    trace = ["Traceback (most recent call last):\n", "ValueError: " + "v" * 30_000 + "\n"]
    obs.failed_event(utcnow(), trace)
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["status"] == "FAILED"
    assert read_oversized(gridfs.GridFS(obs.runs.database), doc["fail_trace"]) == trace


# ----------------------------------------------------------------- secrets

def test_unreachable_database_error_names_address_with_password_masked(sources, caplog):
    from tests.fixtures.mongo_server import free_port

    ex_info, _ = sources
    port = free_port()
    url = f"mongodb://alice:s3cr3t@127.0.0.1:{port}/admin"
    obs = MongoObserver(url=url, serverSelectionTimeoutMS=300, connectTimeoutMS=300)
    assert "s3cr3t" not in repr(obs)
    with caplog.at_level(logging.DEBUG), pytest.raises(ObserverError) as info:
        start(obs, ex_info)
    message = str(info.value)
    assert f"mongodb://alice:***@127.0.0.1:{port}" in message
    assert "s3cr3t" not in message
    assert "s3cr3t" not in caplog.text


def test_passwords_never_reach_stored_meta(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    run_id = start(obs, ex_info, meta={"command": "main",
                                       "options": {"--mongo_db": "mongodb://bob:hunter2@db:1/x"}})
    stored = obs.runs.find_one({"_id": run_id})
    assert stored["meta"]["options"]["--mongo_db"] == "mongodb://bob:***@db:1/x"
    assert "hunter2" not in json.dumps(stored, default=str)


def test_missing_pymongo_names_the_extra():
    code = textwrap.dedent(
        """
        import sys
        sys.modules["pymongo"] = None
        from sacred.observers import MongoObserver
        try:
            MongoObserver()
        except ImportError as err:
            print(err)
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "pip install sacred[mongo]" in out.stdout, out.stderr


# ----------------------------------------------------------------- outages

def _read_failure_dump(folder):
    files = sorted(p for p in os.listdir(folder) if p.endswith(".json"))
    assert len(files) == 1, files
    with open(os.path.join(folder, files[0]), encoding="utf-8") as handle:
        return os.path.join(folder, files[0]), json.load(handle)


def test_final_save_without_database_goes_to_failure_folder(restartable_mongo_server, tmp_path,
                                                            sources, caplog):
    ex_info, _ = sources
    failure_dir = tmp_path / "failed"
    obs = MongoObserver(url=restartable_mongo_server.url, db_name="outage",
                        failure_dir=failure_dir, **FAST)
    obs.FINAL_SAVE_ATTEMPTS = 2
    obs.FINAL_SAVE_RETRY_SECONDS = 0.05
    run_id = start(obs, ex_info)
    obs.log_metrics(metric("m", [0], [1.0]), {})
    restartable_mongo_server.stop()
    with caplog.at_level(logging.WARNING, logger="sacred.observers.mongo"):
        obs.log_metrics(metric("m", [1, 2], [2.0, 3.0]), {"note": "x"})  # must not raise
        obs.heartbeat_event({"note": "x"}, "out\n", utcnow(), 5)  # must not raise
        obs.completed_event(utcnow(), 5)
    path, dumped = _read_failure_dump(failure_dir)
    assert path in caplog.text
    assert dumped["_id"] == run_id
    assert dumped["status"] == "COMPLETED" and dumped["result"] == 5
    assert dumped["captured_out"] == "out\n"
    assert dumped["info"]["note"] == "x"
    assert "$date" in dumped["stop_time"]
    assert dumped["unsaved_metrics"]["m"]["steps"] == [1, 2]


def test_default_failure_folder_is_in_the_working_directory(tmp_path, monkeypatch, sources):
    from tests.fixtures.mongo_server import free_port

    ex_info, _ = sources
    monkeypatch.chdir(tmp_path)
    obs = MongoObserver(url=f"mongodb://127.0.0.1:{free_port()}", serverSelectionTimeoutMS=200)
    assert obs.failure_dir == str(tmp_path / "sacred_failed_runs")
    obs.run_entry = obs._new_entry(ex_info, "main", {}, {}, {}, "RUNNING")
    obs.run_entry["_id"] = 3
    obs.FINAL_SAVE_ATTEMPTS = 1
    obs.failed_event(utcnow(), ["trace"])
    path, dumped = _read_failure_dump(tmp_path / "sacred_failed_runs")
    assert dumped["status"] == "FAILED" and dumped["fail_trace"] == ["trace"]


def test_plain_observer_catches_up_after_a_heartbeat_outage(restartable_mongo_server, tmp_path,
                                                            sources):
    ex_info, _ = sources
    obs = MongoObserver(url=restartable_mongo_server.url, db_name="catchup",
                        failure_dir=tmp_path / "failed", **FAST)
    run_id = start(obs, ex_info)
    obs.log_metrics(metric("m", [0], [0.0]), {})
    restartable_mongo_server.stop()
    obs.log_metrics(metric("m", [1], [1.0]), {})
    obs.heartbeat_event({}, "a\n", utcnow(), None)
    restartable_mongo_server.start()
    obs.log_metrics(metric("m", [2], [2.0]), {})
    obs.completed_event(utcnow(), "done")
    assert not (tmp_path / "failed").exists()
    assert obs.runs.find_one({"_id": run_id})["status"] == "COMPLETED"
    assert read_metric(obs.metrics, run_id, "m")["steps"] == [0, 1, 2]


def test_queued_observer_delivers_every_event_across_an_outage(restartable_mongo_server, tmp_path,
                                                               sources):
    ex_info, _ = sources
    obs = QueuedMongoObserver(url=restartable_mongo_server.url, db_name="queued",
                              interval=0.05, retry_interval=0.05, max_wait=60,
                              failure_dir=tmp_path / "failed", **FAST)
    run_id = start(obs, ex_info)
    assert run_id == 1
    step = 0
    for phase in ("before", "during", "after"):
        if phase == "during":
            restartable_mongo_server.stop()
        if phase == "after":
            restartable_mongo_server.start()
        for _ in range(5):
            obs.log_metrics(metric("loss", [step], [float(step)]), {"phase": phase})
            obs.heartbeat_event({"phase": phase}, f"{phase}\n", utcnow(), None)
            step += 1
        time.sleep(0.2)
    obs.completed_event(utcnow(), 42)
    obs.join()
    assert obs.given_up == []
    client = pymongo.MongoClient(restartable_mongo_server.url, **FAST)
    try:
        doc = client.queued.runs.find_one({"_id": run_id})
        assert doc["status"] == "COMPLETED" and doc["result"] == 42
        assert doc["info"]["phase"] == "after"
        assert read_metric(client.queued.metrics, run_id, "loss")["steps"] == list(range(step))
    finally:
        client.close()
    assert not (tmp_path / "failed").exists()


def test_queued_observer_gives_up_after_max_wait_and_dumps_the_run(restartable_mongo_server,
                                                                   tmp_path, sources, caplog):
    ex_info, _ = sources
    failure_dir = tmp_path / "failed"
    obs = QueuedMongoObserver(url=restartable_mongo_server.url, db_name="giveup",
                              interval=0.05, retry_interval=0.05, max_wait=1.0,
                              failure_dir=failure_dir, serverSelectionTimeoutMS=200,
                              connectTimeoutMS=200)
    run_id = start(obs, ex_info)
    restartable_mongo_server.stop()
    obs.log_metrics(metric("loss", [0, 1], [0.5, 0.25]), {})
    obs.heartbeat_event({"k": 1}, "partial\n", utcnow(), None)
    obs.completed_event(utcnow(), "result")
    began = time.monotonic()
    with caplog.at_level(logging.ERROR, logger="sacred.observers.queue"):
        obs.join()
    assert time.monotonic() - began < 15
    assert "giving up" in caplog.text and "completed_event" in caplog.text
    assert [name for name, _ in obs.given_up][-1] == "completed_event"
    path, dumped = _read_failure_dump(failure_dir)
    assert obs.failure_dump == path and path in caplog.text
    assert dumped["_id"] == run_id and dumped["status"] == "COMPLETED"
    assert dumped["result"] == "result" and dumped["captured_out"] == "partial\n"
    assert dumped["unsaved_metrics"]["loss"]["values"] == [0.5, 0.25]


def test_queued_observer_start_during_outage_gets_a_provisional_id(restartable_mongo_server,
                                                                   tmp_path, sources):
    ex_info, _ = sources
    restartable_mongo_server.stop()
    obs = QueuedMongoObserver(url=restartable_mongo_server.url, db_name="late",
                              interval=0.05, retry_interval=0.05, max_wait=60,
                              failure_dir=tmp_path / "failed", serverSelectionTimeoutMS=300,
                              connectTimeoutMS=300)
    run_id = start(obs, ex_info)
    assert isinstance(run_id, str) and len(run_id) == 24
    obs.heartbeat_event({}, "x\n", utcnow(), None)
    restartable_mongo_server.start()
    obs.completed_event(utcnow(), 1)
    obs.join()
    client = pymongo.MongoClient(restartable_mongo_server.url, **FAST)
    try:
        assert client.late.runs.find_one({"_id": run_id})["status"] == "COMPLETED"
    finally:
        client.close()


# -------------------------------------------------------------- end to end

experiment = pytest.importorskip("sacred.experiment")


def _make_experiment():
    ex = experiment.Experiment("mongo_e2e")

    @ex.config
    def cfg():
        steps = 3  # noqa: F841

    @ex.main
    def main(_run, steps):
        for i in range(steps):
            _run.log_scalar("loss", 1.0 / (i + 1))
        _run.info["done"] = True
        print("finished")
        return steps * 2

    return ex


def test_experiment_run_is_recorded(mongo_server, mongo_db_name):
    ex = _make_experiment()
    obs = MongoObserver(url=mongo_server.url, db_name=mongo_db_name, **FAST)
    ex.observers.append(obs)
    run = ex.run(options={"--capture": "sys"})
    doc = obs.runs.find_one({"_id": run._id})
    assert doc["status"] == "COMPLETED" and doc["result"] == 6
    assert doc["config"]["steps"] == 3
    assert doc["info"]["done"] is True
    assert "finished" in doc["captured_out"]
    assert doc["experiment"]["name"] == "mongo_e2e"
    assert read_metric(obs.metrics, run._id, "loss")["values"] == [1.0, 0.5, 1.0 / 3]
    assert [r["name"] for r in doc["info"]["metrics"]] == ["loss"]


def test_mongo_db_flag_adds_the_observer(mongo_server, mongo_db_name):
    ex = _make_experiment()
    address = f"{mongo_server.host}:{mongo_server.port}:{mongo_db_name}.flagged!3"
    run = ex.run_commandline(["prog", "-m", address, "with", "steps=2"])
    client = pymongo.MongoClient(mongo_server.url, **FAST)
    try:
        doc = client[mongo_db_name].flagged.find_one({"_id": run._id})
    finally:
        client.close()
    assert doc["status"] == "COMPLETED" and doc["result"] == 4


def test_queued_mongo_observer_in_an_experiment(mongo_server, mongo_db_name):
    ex = _make_experiment()
    obs = QueuedMongoObserver(url=mongo_server.url, db_name=mongo_db_name, interval=0.05,
                              retry_interval=0.05, max_wait=30, **FAST)
    ex.observers.append(obs)
    run = ex.run()
    client = pymongo.MongoClient(mongo_server.url, **FAST)
    try:
        doc = client[mongo_db_name].runs.find_one({"_id": run._id})
        assert doc["status"] == "COMPLETED" and doc["result"] == 6
        assert read_metric(client[mongo_db_name].metrics, run._id, "loss")["steps"] == [0, 1, 2]
    finally:
        client.close()


def test_queued_mongo_observer_stores_artifacts_resources_and_metrics(mongo_server, mongo_db_name,
                                                                       tmp_path):
    """0.8.7 tools (Omniboard) show a queued run's artifacts: none may be dropped."""
    resource = tmp_path / "data.csv"
    resource.write_text("a,b\n1,2\n")
    artifact = tmp_path / "model.txt"
    artifact.write_text("weights")
    ex = experiment.Experiment("queued_files")

    @ex.main
    def main(_run):
        _run.add_resource(str(resource))
        _run.add_artifact(str(artifact), name="model", metadata={"epoch": 3},
                          content_type="text/plain")
        _run.add_artifact(str(artifact))
        for step in range(5):
            _run.log_scalar("loss", 10 - step)
        return "done"

    obs = QueuedMongoObserver(url=mongo_server.url, db_name=mongo_db_name, interval=0.05,
                              retry_interval=0.05, max_wait=30, **FAST)
    ex.observers.append(obs)
    run = ex.run()
    assert obs.given_up == []
    client = pymongo.MongoClient(mongo_server.url, **FAST)
    try:
        db = client[mongo_db_name]
        doc = db.runs.find_one({"_id": run._id})
        assert doc["status"] == "COMPLETED"
        assert [name for name, _ in doc["resources"]] == [str(resource)]
        assert sorted(a["name"] for a in doc["artifacts"]) == ["model", "model.txt"]
        fs = gridfs.GridFS(db)
        stored = {a["name"]: fs.get(a["file_id"]).read() for a in doc["artifacts"]}
        assert stored == {"model": b"weights", "model.txt": b"weights"}
        assert read_metric(db.metrics, run._id, "loss")["values"] == [10, 9, 8, 7, 6]
    finally:
        client.close()


def test_unreachable_mongo_at_start_gets_no_further_events_and_file_storage_records_the_run(tmp_path):
    """``-m`` pointing nowhere plus ``-F``: the run fails after one server-selection timeout.

    The MongoObserver that failed to start receives nothing else (each further
    event would wait the full timeout again); FileStorage records the run.
    """
    from tests.fixtures.mongo_server import free_port

    ex = _make_experiment()
    url = f"mongodb://127.0.0.1:{free_port()}/?serverSelectionTimeoutMS=300&connectTimeoutMS=300"
    from sacred.observers import FileStorageObserver

    mongo = MongoObserver(url=url, db_name="nowhere")
    calls = []
    for event in ("heartbeat_event", "log_metrics", "failed_event", "completed_event"):
        original = getattr(mongo, event)

        def spy(*args, _event=event, _original=original, **kwargs):
            calls.append(_event)
            return _original(*args, **kwargs)

        setattr(mongo, event, spy)
    ex.observers += [mongo, FileStorageObserver(str(tmp_path / "runs"))]
    with pytest.raises(ObserverError, match="MongoObserver failed in started_event"):
        ex.run()
    assert calls == []
    stored = json.loads((tmp_path / "runs" / "1" / "run.json").read_text())
    assert stored["status"] == "FAILED"
    assert "MongoObserver failed in started_event" in "".join(stored["fail_trace"])


def test_final_save_in_an_outage_gives_up_after_one_server_selection_timeout(
        restartable_mongo_server, tmp_path, sources):
    """A later outage: the run goes on and ends after one timeout, not ten (FINAL_SAVE_ATTEMPTS)."""
    ex_info, _ = sources
    obs = MongoObserver(url=restartable_mongo_server.url, db_name="oneshot",
                        failure_dir=tmp_path / "failed", **FAST)
    obs.FINAL_SAVE_RETRY_SECONDS = 0.05
    start(obs, ex_info)
    restartable_mongo_server.stop()
    attempts = []
    original = obs._save_progress

    def counting():
        began = time.monotonic()
        try:
            return original()
        finally:
            attempts.append(time.monotonic() - began)

    obs._save_progress = counting
    obs.completed_event(utcnow(), 1)
    # a first attempt may fail fast on the broken connection; the one that waits for a
    # server is the last
    assert len(attempts) <= 2 < obs.FINAL_SAVE_ATTEMPTS
    _read_failure_dump(tmp_path / "failed")


def test_a_heartbeat_right_after_a_failed_write_does_not_wait_for_the_server_again(
        restartable_mongo_server, tmp_path, sources):
    """A later outage: the run goes on; its end waits about one timeout, not one per event."""
    ex_info, _ = sources
    obs = MongoObserver(url=restartable_mongo_server.url, db_name="skip",
                        failure_dir=tmp_path / "failed", **FAST)
    start(obs, ex_info)
    restartable_mongo_server.stop()
    saves = []
    original = obs._save_progress

    def counting():
        saves.append(1)
        return original()

    obs._save_progress = counting
    obs.heartbeat_event({"n": 1}, "one\n", utcnow(), None)  # waits for a server, fails
    obs.heartbeat_event({"n": 2}, "one\ntwo\n", utcnow(), None)  # kept for the next save
    obs.completed_event(utcnow(), 2)  # one attempt, then the failure dump
    assert len(saves) == 2
    _, dumped = _read_failure_dump(tmp_path / "failed")
    assert dumped["captured_out"] == "one\ntwo\n" and dumped["info"]["n"] == 2
# ------------------------------------------------- values BSON cannot hold (issue 19)

UNDECODABLE = os.fsdecode(b"data_\xff.csv")  # 'data_\udcff.csv': a lone surrogate


def test_strings_with_lone_surrogates_are_stored_escaped_and_the_run_completes(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    run_id = start(obs, ex_info, config={"path": UNDECODABLE, "seed": 1},
                   meta={"command": "main", "options": {}, "config_updates": {"path": UNDECODABLE}})
    info = {"file": UNDECODABLE, UNDECODABLE: 1}
    obs.log_metrics(metric(UNDECODABLE, [0], [1.0]), info)
    obs.heartbeat_event(info, f"read {UNDECODABLE}\n", utcnow(), None)
    obs.completed_event(utcnow(), {"written": UNDECODABLE})
    doc = obs.runs.find_one({"_id": run_id})
    escaped = "data_\\udcff.csv"
    assert doc["status"] == "COMPLETED"
    assert doc["config"]["path"] == escaped and doc["meta"]["config_updates"]["path"] == escaped
    assert doc["info"]["file"] == escaped and doc["info"][escaped] == 1
    assert doc["result"] == {"written": escaped} and escaped in doc["captured_out"]
    assert [m["name"] for m in doc["info"]["metrics"]] == [escaped]


def test_a_failed_run_with_a_surrogate_in_its_trace_is_stored(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    run_id = start(obs, ex_info)
    obs.failed_event(utcnow(), [f"FileNotFoundError: {UNDECODABLE}\n"])
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["status"] == "FAILED" and "data_\\udcff.csv" in doc["fail_trace"][0]


def test_an_integer_beyond_int64_in_a_metric_is_stored_as_a_float(backend, sources):
    make, _ = backend
    ex_info, _ = sources
    obs = make()
    run_id = start(obs, ex_info)
    obs.log_metrics(metric("m", [0, 1, 2], [2**70, 3, 10**400]), {})
    obs.completed_event(utcnow(), 2**70)
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["status"] == "COMPLETED" and doc["result"] == str(2**70)
    series = read_metric(obs.metrics, run_id, "m")
    assert series["values"] == [float(2**70), 3, str(10**400)]


def test_a_config_beyond_16_mb_is_kept_in_gridfs_and_the_run_starts(backend, sources, tmp_path):
    make, is_nx = backend
    ex_info, _ = sources
    slow_server = {"socketTimeoutMS": 60000} if is_nx else {}
    obs = make(failure_dir=tmp_path / "failed", **slow_server)
    config = {"table": "c" * _BIG, "seed": 3}
    run_id = start(obs, ex_info, config=config)
    obs.completed_event(utcnow(), 1)
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["status"] == "COMPLETED" and is_oversized(doc["config"])
    restored = restore_oversized(gridfs.GridFS(obs.runs.database), doc)
    assert restored["config"] == config
    assert not (tmp_path / "failed").exists()


def test_metric_references_that_outgrow_the_document_move_to_gridfs(backend, sources, tmp_path):
    """200,000 metric names make ``info["metrics"]`` alone larger than 16 MB; here the
    document limit is lowered so that 2,000 names outgrow it the same way."""
    make, _ = backend
    ex_info, _ = sources
    obs = make(failure_dir=tmp_path / "failed")
    obs.MAX_RUN_DOCUMENT_BYTES = 60_000
    run_id = start(obs, ex_info)
    names = [f"metric_{i:05d}" for i in range(2_000)]
    obs.log_metrics({n: metric(n, [0], [1.0])[n] for n in names}, {"small": 1})
    obs.completed_event(utcnow(), None)
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["status"] == "COMPLETED" and is_oversized(doc["info"]["metrics"])
    restored = restore_oversized(gridfs.GridFS(obs.runs.database), doc)
    assert [m["name"] for m in restored["info"]["metrics"]] == names
    assert restored["info"]["small"] == 1
    assert not (tmp_path / "failed").exists()


def test_a_final_save_the_server_refuses_still_records_the_status(mongo_server, mongo_db_name,
                                                                   sources, tmp_path):
    """Nothing movable is left (a huge host entry): the dump keeps the run and the
    database still learns that it ended, instead of showing RUNNING for ever.
    (The real server only: mongomock has no document size limit.)"""
    def make(**kwargs):
        return MongoObserver(url=mongo_server.url, db_name=mongo_db_name, **{**FAST, **kwargs})

    ex_info, _ = sources
    obs = make(failure_dir=tmp_path / "failed")
    run_id = start(obs, ex_info)
    obs.run_entry["host"]["notes"] = "h" * _BIG
    obs.FINAL_SAVE_ATTEMPTS = 1
    obs.completed_event(utcnow(), 5)
    doc = obs.runs.find_one({"_id": run_id})
    assert doc["status"] == "COMPLETED" and doc["stop_time"] is not None
    assert "save_error" in doc and os.path.exists(doc["failure_dump"])
