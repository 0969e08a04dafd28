"""TinyDbObserver / TinyDbReader: file layout, reader selection, reports, locking."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import subprocess
import sys
import textwrap
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scalar_experiment import make_scalar_experiment

from sacred.dependencies import get_digest as md5_of
from sacred.observers.tinydb_hashfs import (
    BufferedReaderWrapper,
    TinyDbObserver,
    TinyDbReader,
    get_db_file_manager,
    render_report,
)
from sacred.utils import ObserverError

T0 = dt.datetime(2016, 11, 12, 1, 18, 0, 197311)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def experiment_dir(tmp_path):
    """A base dir with a source file, a resource and an artifact on disk."""
    base = tmp_path / "exp"
    base.mkdir()
    (base / "test_exp.py").write_text("print('hello')\n")
    (base / "data.txt").write_text("resource content")
    (base / "model.bin").write_bytes(b"\x00\x01binary")
    return base


def make_ex_info(base, name="iris_rbf_svm"):
    return {
        "name": name,
        "base_dir": str(base),
        "sources": [["test_exp.py", md5_of(base / "test_exp.py")]],
        "dependencies": ["numpy==1.11.2", "sacred==0.8.7"],
        "repositories": [],
        "mainfile": "test_exp.py",
        "doc": None,
    }


HOST_INFO = {
    "hostname": "phoebe",
    "os": ["Linux", "Linux-6.1-x86_64"],
    "python_version": "3.11.7",
    "cpu": "AMD EPYC",
    "ENV": {},
}
META = {"command": "run", "options": {"tiny_db": "x"}}


def start(obs, base, name="iris_rbf_svm", config=None, _id=None, when=T0):
    return obs.started_event(
        ex_info=make_ex_info(base, name),
        command="run",
        host_info=HOST_INFO,
        start_time=when,
        config=config if config is not None else {"C": 1, "gamma": 0.7, "seed": 191164913},
        meta_info=META,
        _id=_id,
    )


def complete_run(obs, base, name="iris_rbf_svm", result=0.98, config=None, when=T0):
    _id = start(obs, base, name=name, config=config, when=when)
    obs.heartbeat_event(info={}, captured_out="out\n", beat_time=when, result=None)
    obs.completed_event(stop_time=when + dt.timedelta(seconds=0.14), result=result)
    obs.join()
    return _id


def raw(basedir):
    with open(os.path.join(basedir, "metadata.json")) as f:
        return json.load(f)


# ------------------------------------------------------------------ layout


def test_started_and_completed_run_is_stored_in_tinydb_format(tmp_path, experiment_dir):
    basedir = tmp_path / "my_runs"
    obs = TinyDbObserver(str(basedir))
    _id = start(obs, experiment_dir)
    assert isinstance(_id, str) and len(_id) == 32
    obs.heartbeat_event(info={"acc": 0.5}, captured_out="hi\n", beat_time=T0, result=None)
    obs.completed_event(stop_time=T0 + dt.timedelta(seconds=1), result=0.98)
    obs.join()

    data = raw(basedir)
    assert list(data) == ["runs"] and list(data["runs"]) == ["1"]
    entry = data["runs"]["1"]
    src_md5 = md5_of(experiment_dir / "test_exp.py")
    assert entry["experiment"]["sources"] == [["test_exp.py", src_md5, f'{{TinyFile}}:"{src_md5}"']]
    assert entry["start_time"] == "{TinyDate}:2016-11-12T01:18:00.197311"
    assert entry["stop_time"] == "{TinyDate}:2016-11-12T01:18:01.197311"
    assert entry["heartbeat"] == "{TinyDate}:2016-11-12T01:18:00.197311"
    assert entry["status"] == "COMPLETED"
    assert entry["result"] == 0.98
    assert entry["_id"] == _id
    assert entry["format"].startswith("TinyDbObserver-")
    assert entry["info"] == {"acc": 0.5}
    assert entry["captured_out"] == "hi\n"
    assert entry["config"] == {"C": 1, "gamma": 0.7, "seed": 191164913}
    assert entry["host"] == HOST_INFO
    assert entry["meta"] == META
    for key in ("command", "experiment", "resources", "artifacts"):
        assert key in entry
    # documented three-level hashfs layout: 2/2/2 chars then the rest
    stored = basedir / "hashfs" / src_md5[:2] / src_md5[2:4] / src_md5[4:6] / src_md5[6:]
    assert stored.read_text() == "print('hello')\n"


def test_plain_tinydb_with_serialization_reads_dates_and_files(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir))
    complete_run(obs, experiment_dir)
    db, fs = get_db_file_manager(str(basedir))
    (entry,) = db.table("runs").all()
    assert entry["start_time"] == T0
    handle = entry["experiment"]["sources"][0][2]
    assert isinstance(handle, BufferedReaderWrapper)
    assert handle.read() == b"print('hello')\n"
    handle.close()


def test_files_are_stored_once_by_content(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    for _ in range(2):
        obs = TinyDbObserver(str(basedir))
        start(obs, experiment_dir)
        obs.resource_event(str(experiment_dir / "data.txt"))
        obs.artifact_event("model", str(experiment_dir / "model.bin"))
        # same content under another name is the same stored file
        copy = experiment_dir / "model_copy.bin"
        copy.write_bytes(b"\x00\x01binary")
        obs.artifact_event("model_copy", str(copy))
        obs.completed_event(stop_time=T0, result=None)
    stored = [f for _, _, files in os.walk(basedir / "hashfs") for f in files]
    assert len(stored) == 3  # source, resource, artifact
    entry = raw(basedir)["runs"]["2"]
    res_md5 = md5_of(experiment_dir / "data.txt")
    art_md5 = md5_of(experiment_dir / "model.bin")
    assert entry["resources"] == [
        [str(experiment_dir / "data.txt"), res_md5, f'{{TinyFile}}:"{res_md5}"']
    ]
    assert entry["artifacts"][0] == [
        "model",
        str(experiment_dir / "model.bin"),
        art_md5,
        f'{{TinyFile}}:"{art_md5}"',
    ]


def test_metrics_are_kept_under_metrics_key(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir))
    start(obs, experiment_dir)
    t1, t2 = T0 + dt.timedelta(seconds=1), T0 + dt.timedelta(seconds=2)
    obs.log_metrics(
        {"loss": {"name": "loss", "steps": [0], "values": [1.0], "timestamps": [t1]}}, {}
    )
    obs.log_metrics(
        {"loss": {"name": "loss", "steps": [1], "values": [0.5], "timestamps": [t2]}}, {}
    )
    obs.completed_event(stop_time=t2, result=None)
    entry = raw(basedir)["runs"]["1"]
    assert entry["metrics"] == {
        "loss": {
            "steps": [0, 1],
            "values": [1.0, 0.5],
            "timestamps": ["{TinyDate}:" + t1.isoformat(), "{TinyDate}:" + t2.isoformat()],
        }
    }


def test_failed_interrupted_and_queued_runs(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir))
    start(obs, experiment_dir)
    obs.failed_event(fail_time=T0, fail_trace=["Traceback:\n", "ValueError: boom\n"])
    obs = TinyDbObserver(str(basedir))
    start(obs, experiment_dir)
    obs.interrupted_event(interrupt_time=T0, status="TIMEOUT")
    obs = TinyDbObserver(str(basedir))
    queued_id = obs.queued_event(
        ex_info=make_ex_info(experiment_dir),
        command="run",
        host_info=HOST_INFO,
        queue_time=T0,
        config={"C": 2},
        meta_info=META,
        _id=None,
    )
    runs = raw(basedir)["runs"]
    assert runs["1"]["status"] == "FAILED"
    assert runs["1"]["fail_trace"] == ["Traceback:\n", "ValueError: boom\n"]
    assert runs["1"]["stop_time"] == "{TinyDate}:" + T0.isoformat()
    assert runs["2"]["status"] == "TIMEOUT"
    assert runs["3"]["status"] == "QUEUED"
    assert runs["3"]["queue_time"] == "{TinyDate}:" + T0.isoformat()
    assert runs["3"]["_id"] == queued_id
    report = TinyDbReader(str(basedir)).fetch_report(indices=-1)[0]
    assert "Duration: unknown" in report and "Date: Sat 12 Nov 2016" in report


def test_given_id_is_used_and_duplicates_are_refused(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    assert start(TinyDbObserver(str(basedir)), experiment_dir, _id="fixed") == "fixed"
    with pytest.raises(ObserverError, match="fixed"):
        start(TinyDbObserver(str(basedir)), experiment_dir, _id="fixed")
    start(
        TinyDbObserver(str(basedir), overwrite=True), experiment_dir, _id="fixed", config={"C": 9}
    )
    runs = raw(basedir)["runs"]
    assert list(runs) == ["1"] and runs["1"]["config"] == {"C": 9}


def test_non_json_info_values_are_flattened(tmp_path, experiment_dir):
    np = pytest.importorskip("numpy")

    class Custom:
        def __init__(self):
            self.x = 3

    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir), flush_interval=0)
    start(obs, experiment_dir)
    obs.heartbeat_event(
        info={"arr": np.arange(3), "obj": Custom(), 5: "int key"},
        captured_out="",
        beat_time=T0,
        result=np.float64(0.25),
    )
    entry = raw(basedir)["runs"]["1"]
    assert entry["info"]["arr"] == [0, 1, 2]
    assert entry["info"]["obj"]["x"] == 3 and "py/object" in entry["info"]["obj"]
    assert entry["info"]["5"] == "int key"
    assert entry["result"] == 0.25


# ------------------------------------------------------------------ create_from


def test_create_from_memory_storage(experiment_dir, tmp_path):
    from hashfs import HashFS
    from tinydb import TinyDB
    from tinydb.storages import MemoryStorage

    db = TinyDB(storage=MemoryStorage)
    fs = HashFS(str(tmp_path / "fs"), depth=3, width=2, algorithm="md5")
    obs = TinyDbObserver.create_from(db, fs)
    _id = complete_run(obs, experiment_dir)
    (entry,) = db.table("runs").all()
    assert entry["_id"] == _id and entry["status"] == "COMPLETED"
    assert entry["start_time"] == "{TinyDate}:" + T0.isoformat()
    assert entry["experiment"]["sources"][0][2].startswith("{TinyFile}:")


def test_create_from_db_file_manager_roundtrips_objects(tmp_path, experiment_dir):
    db, fs = get_db_file_manager(str(tmp_path / "runs"))
    obs = TinyDbObserver.create_from(db, fs)
    complete_run(obs, experiment_dir)
    reader = TinyDbReader(str(tmp_path / "runs"))
    (entry,) = reader.fetch_metadata(indices=0)
    assert entry["start_time"] == T0
    assert entry["experiment"]["sources"][0][2].read() == b"print('hello')\n"


# ------------------------------------------------------------------ reader


@pytest.fixture
def three_runs(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    ids = []
    for i, name in enumerate(["iris_rbf_svm", "mnist_cnn", "iris_linear"]):
        obs = TinyDbObserver(str(basedir))
        ids.append(complete_run(obs, experiment_dir, name=name, config={"C": i, "seed": 1}))
    return TinyDbReader(str(basedir)), ids


def test_reader_selects_by_indices(three_runs):
    reader, ids = three_runs
    assert [r["_id"] for r in reader.fetch_metadata(indices=0)] == [ids[0]]
    assert [r["_id"] for r in reader.fetch_metadata(indices=-1)] == [ids[2]]
    assert [r["_id"] for r in reader.fetch_metadata(indices=[2, 0])] == [ids[2], ids[0]]
    with pytest.raises(IndexError, match="index 7 is out of range; 3 runs"):
        reader.fetch_metadata(indices=7)
    with pytest.raises(TypeError, match="indices must be"):
        reader.fetch_metadata(indices="0")


def test_reader_selects_by_name_and_query(three_runs):
    from tinydb import Query

    reader, ids = three_runs
    assert [r["_id"] for r in reader.fetch_metadata(exp_name="iris")] == [ids[0], ids[2]]
    assert [r["_id"] for r in reader.fetch_metadata(exp_name="^iris_l.*r$")] == [ids[2]]
    assert reader.fetch_metadata(exp_name="nothing") == []
    assert [r["_id"] for r in reader.fetch_metadata(query=Query().config.C == 1)] == [ids[1]]
    assert len(reader.fetch_metadata(query=Query().start_time == T0)) == 3
    with pytest.raises(ValueError, match="indices=.*exp_name=.*query="):
        reader.fetch_metadata()
    with pytest.raises(ValueError, match="not a valid regex"):
        reader.fetch_metadata(exp_name="(")


def test_reader_sees_runs_written_after_it_was_created(three_runs, experiment_dir):
    reader, _ = three_runs
    new_id = complete_run(TinyDbObserver(reader.root), experiment_dir, name="late")
    assert reader.fetch_metadata(indices=-1)[0]["_id"] == new_id


def test_fetch_files_returns_open_handles(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir))
    _id = start(obs, experiment_dir)
    obs.artifact_event("model", str(experiment_dir / "model.bin"))
    obs.completed_event(stop_time=T0, result=None)
    (files,) = TinyDbReader(str(basedir)).fetch_files(indices=-1)
    assert files["exp_id"] == _id and files["exp_name"] == "iris_rbf_svm"
    assert files["date"] == T0
    assert "resources" not in files
    assert files["sources"]["test_exp.py"].read() == b"print('hello')\n"
    assert files["artifacts"]["model"].read() == b"\x00\x01binary"
    assert repr(files["artifacts"]["model"]).startswith("<BufferedReaderWrapper name=")
    for group in ("sources", "artifacts"):
        for handle in files[group].values():
            handle.close()


def test_observer_and_reader_open_the_runs_table_through_tinydb(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir))
    _id = start(obs, experiment_dir)
    reader = TinyDbReader(str(basedir))
    for holder in (obs, reader):
        (doc,) = holder.runs.all()
        assert doc["_id"] == _id and doc["start_time"] == T0
        same = holder.db.table("runs").get(doc_id=doc.doc_id)
        assert same["_id"] == _id
        for entry in (doc, same):
            source_handle = entry["experiment"]["sources"][0][2]
            assert source_handle.read() == b"print('hello')\n"
            source_handle.close()


def test_fetch_report_matches_summary_layout(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir))
    _id = start(obs, experiment_dir, config={"gamma": 0.7, "C": 1.0, "nested": {"a": 1}})
    obs.artifact_event("model", str(experiment_dir / "model.bin"))
    obs.completed_event(stop_time=T0 + dt.timedelta(seconds=61.26), result=0.9666666666666667)
    (report,) = TinyDbReader(str(basedir)).fetch_report(indices=-1)
    assert report == (
        "\n-------------------------------------------------\n"
        "Experiment: iris_rbf_svm\n"
        "-------------------------------------------------\n"
        f"ID: {_id}\n"
        "Date: Sat 12 Nov 2016    Duration: 00:01:01.3\n"
        "\nParameters:\n"
        "    C: 1.0\n"
        "    gamma: 0.7\n"
        "    nested: {'a': 1}\n"
        "\nResult:\n"
        "    0.9666666666666667\n"
        "\nDependencies:\n"
        "    numpy==1.11.2\n"
        "    sacred==0.8.7\n"
        "\nResources:\n"
        "    None\n"
        "\nSource Files:\n"
        "    test_exp.py\n"
        "\nOutputs:\n"
        "    model\n"
    )


def test_report_duration_rounds_to_tenths():
    entry = {"start_time": T0, "stop_time": T0 + dt.timedelta(seconds=3599.96)}
    assert "Duration: 01:00:00.0" in render_report(entry)


def test_reader_rejects_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="not a directory"):
        TinyDbReader(str(tmp_path / "absent"))


# ------------------------------------------------------------------ heartbeats and errors


def test_heartbeats_do_not_rewrite_the_file_each_time(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    path = basedir / "metadata.json"
    obs = TinyDbObserver(str(basedir), flush_interval=3600)
    start(obs, experiment_dir)
    written = path.read_text()
    identity = (os.stat(path).st_ino, os.stat(path).st_mtime_ns)
    for i in range(20):
        obs.heartbeat_event(info={"i": i}, captured_out="x" * i, beat_time=T0, result=None)
    assert (os.stat(path).st_ino, os.stat(path).st_mtime_ns) == identity
    assert path.read_text() == written
    obs.completed_event(stop_time=T0, result=1)
    entry = raw(basedir)["runs"]["1"]
    assert entry["info"] == {"i": 19} and entry["captured_out"] == "x" * 19


def test_heartbeat_flushes_after_flush_interval(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir), flush_interval=0)
    start(obs, experiment_dir)
    obs.heartbeat_event(info={"i": 1}, captured_out="so far", beat_time=T0, result=None)
    assert raw(basedir)["runs"]["1"]["captured_out"] == "so far"


def test_heartbeat_failure_is_logged_not_raised(tmp_path, experiment_dir, caplog):
    basedir = tmp_path / "runs"
    obs = TinyDbObserver(str(basedir), flush_interval=0)
    start(obs, experiment_dir)
    (basedir / "metadata.json").write_text("{not json")
    with caplog.at_level(logging.WARNING):
        obs.heartbeat_event(info={}, captured_out="", beat_time=T0, result=None)
    assert "heartbeat not saved" in caplog.text and "not a valid TinyDB JSON file" in caplog.text
    with pytest.raises(ObserverError, match="metadata.json is not a valid TinyDB JSON"):
        obs.completed_event(stop_time=T0, result=None)


def test_other_tables_in_the_file_are_preserved(tmp_path, experiment_dir):
    basedir = tmp_path / "runs"
    basedir.mkdir()
    (basedir / "metadata.json").write_text(json.dumps({"notes": {"1": {"text": "keep me"}}}))
    complete_run(TinyDbObserver(str(basedir)), experiment_dir)
    data = raw(basedir)
    assert data["notes"] == {"1": {"text": "keep me"}}
    assert data["runs"]["1"]["status"] == "COMPLETED"


def test_bad_path_is_reported(tmp_path):
    afile = tmp_path / "file"
    afile.write_text("")
    with pytest.raises(ObserverError, match="not a directory"):
        TinyDbObserver(str(afile))
    with pytest.raises(TypeError, match="directory path"):
        TinyDbObserver(42)


def test_missing_backend_names_the_extra(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tinydb", None)
    with pytest.raises(ImportError, match=r"pip install sacred\[tinydb\]"):
        TinyDbObserver(str(tmp_path / "runs"))
    with pytest.raises(ImportError, match=r"pip install sacred\[tinydb\]"):
        TinyDbReader(str(tmp_path))


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.datetimes(min_value=dt.datetime(1970, 1, 2), max_value=dt.datetime(2200, 1, 1)),
)
json_values = st.recursive(
    json_leaf,
    lambda children: st.one_of(
        st.lists(children, max_size=4), st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(info=st.dictionaries(st.text(max_size=8), json_values, max_size=5))
def test_info_roundtrips_through_plain_tinydb_serialization(tmp_path, experiment_dir, info):
    if any(isinstance(v, str) and v.startswith("{Tiny") for v in _leaves(info)):
        return  # such strings are tags by definition of the format
    basedir = tmp_path / f"runs_{uuid.uuid4().hex}"  # hypothesis may repeat an example
    obs = TinyDbObserver(str(basedir), flush_interval=0)
    start(obs, experiment_dir)
    obs.heartbeat_event(info=info, captured_out="", beat_time=T0, result=None)
    db, _ = get_db_file_manager(str(basedir))
    (entry,) = db.table("runs").all()
    assert entry["info"] == info
    db.close()


def _leaves(value):
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v)
    else:
        yield value


# ------------------------------------------------------------------ concurrency

WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    sys.path.insert(0, sys.argv[3])
    from sacred.observers.tinydb_hashfs import TinyDbObserver
    basedir, base = sys.argv[1], sys.argv[2]
    ex_info = {"name": "worker", "base_dir": base, "sources": [["test_exp.py", "x"]],
               "dependencies": [], "repositories": [], "mainfile": None, "doc": None}
    for i in range(10):
        obs = TinyDbObserver(basedir, flush_interval=0)
        now = dt.datetime.utcnow()
        obs.started_event(ex_info, "run", {"hostname": "h"}, now, {"i": i}, {}, None)
        obs.heartbeat_event({"i": i}, "out", now, None)
        obs.completed_event(now, i)
    """
)


def test_concurrent_processes_lose_no_run(tmp_path, experiment_dir):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    basedir = tmp_path / "shared"
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), str(basedir), str(experiment_dir), REPO_ROOT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    runs = raw(basedir)["runs"]
    assert len(runs) == 40
    assert sorted(runs, key=int) == [str(i) for i in range(1, 41)]
    assert len({r["_id"] for r in runs.values()}) == 40
    assert all(r["status"] == "COMPLETED" for r in runs.values())
    assert len(TinyDbReader(str(basedir)).fetch_metadata(exp_name="worker")) == 40


# ------------------------------------------------------------------ end to end


def test_tiny_db_flag_records_a_real_run(tmp_path):
    basedir = tmp_path / "flagged"
    run = make_scalar_experiment("tiny_e2e").run_commandline(
        ["prog", "-t", str(basedir), "--capture", "sys", "with", "steps=2"]
    )
    reader = TinyDbReader(str(basedir))
    (entry,) = reader.fetch_metadata(indices=-1)
    assert entry["_id"] == run._id and entry["status"] == "COMPLETED" and entry["result"] == 4
    assert entry["config"]["steps"] == 2
    assert "finished" in entry["captured_out"]
    assert entry["metrics"]["loss"]["values"] == [1.0, 0.5]
    assert isinstance(entry["start_time"], dt.datetime)
    for source in entry["experiment"]["sources"]:
        assert isinstance(source[2], BufferedReaderWrapper)
        source[2].close()
    (report,) = reader.fetch_report(exp_name="tiny_e2e")
    assert "Experiment: tiny_e2e" in report and "    steps: 2" in report and "    4\n" in report


def test_observer_records_a_failing_experiment(tmp_path):
    ex = make_scalar_experiment("tiny_e2e")
    ex.observers.append(TinyDbObserver(str(tmp_path / "runs")))
    with pytest.raises(ValueError, match="asked to fail"):
        ex.run(config_updates={"fail": True})
    (entry,) = TinyDbReader(str(tmp_path / "runs")).fetch_metadata(indices=0)
    assert entry["status"] == "FAILED"
    assert "ValueError: asked to fail" in "".join(entry["fail_trace"])
    assert entry["stop_time"] >= entry["start_time"]


def test_urls_in_meta_options_are_stored_masked(tmp_path, experiment_dir):
    obs = TinyDbObserver(str(tmp_path / "runs"))
    obs.started_event(
        make_ex_info(experiment_dir),
        "run",
        HOST_INFO,
        T0,
        {},
        {"command": "run", "options": {"--sql": "postgresql://u:secret@h/db"}},
        None,
    )
    assert (
        raw(tmp_path / "runs")["runs"]["1"]["meta"]["options"]["--sql"] == "postgresql://u:***@h/db"
    )
