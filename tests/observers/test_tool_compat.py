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
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytest.importorskip("pymongo")
pytest.importorskip("pandas")
pytest.importorskip("IPython", reason="incense imports IPython (pip install incense)")
incense = pytest.importorskip("incense", reason="incense is not installed (pip install incense)")

from tests.fixtures.mongo_server import mongo_db_name, mongo_server  # noqa: E402,F401

# incense 0.0.15 uses APIs newer jsonpickle/pymongo deprecate; not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

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


# ------------------------------------------------------------------ FileStorage: scripts and incense

EXPERIMENT_FILE = '''
"""A run that stores the kinds of values people read back from FileStorage."""
from pathlib import Path
from sacred import Experiment

ex = Experiment("files_exp")


@ex.config
def cfg():
    lr = 0.01
    layers = [64, 32]
    opt = {"name": "adam", "eps": None, "nested": {"flag": True}}
    fail = False


@ex.main
def main(lr, layers, fail, _run):
    for i in range(3):
        _run.log_scalar("train.loss", 1.0 / (i + 1))
        _run.log_scalar("acc", i * 0.5, i * 10)
    _run.info["custom"] = {"nested": [1, {"x": "y"}], "f": 1.5, "none": None}
    Path("note.txt").write_text("hello artifact\\n")
    _run.add_artifact("note.txt", metadata={"kind": "text"})
    _run.open_resource("resource.txt")
    print("training done")
    if fail:
        raise ValueError("asked to fail")
    return {"score": 0.5, "layers": list(layers)}


if __name__ == "__main__":
    ex.run_commandline()
'''

DELIBERATE_FILE_DIFFERENCES = {
    # run.json keys this package adds to 0.8.7's layout (readers ignore unknown keys)
    "added run.json keys": {("experiment", "doc"), ("meta", "main_module")},
}
"""Structure this package stores differently from Sacred 0.8.7, on purpose.

* ``experiment.doc``: the experiment's docstring is kept (an added key).
* ``meta.main_module``: the module the command was imported as, so that
  ``sacred rerun`` replays captured functions' seeds (an added key).
* ``meta.options`` keys: compared after ``canonical_key`` (0.8.7 itself mixes
  ``--beat-interval`` with ``--file_storage``).
* Values 0.8.7 stores as jsonpickle tags are plain JSON here where JSON has a
  form for them (documented in ``sacred.serializer``): tuples become lists,
  numpy arrays and scalars lists and numbers, datetimes ISO strings, and a
  result built from a read-only config list is a plain list instead of a
  ``py/object`` ``ReadOnlyList``. The experiment above avoids those values so
  that the structures compare equal.
* The run's output: a Sacred 0.8.7 run keeps only what it printed before the
  last heartbeat in some cases; here ``cout.txt`` has the whole output.
* The basedir holds ``runs.index.jsonl`` (this package's run index) next to
  the numbered run folders, ``_sources`` and ``_resources``.
"""


def shape(value, path=()):
    """The structure of JSON data: dict keys, list element shapes, leaf type names."""
    if isinstance(value, dict):
        return {key: shape(item, path + (key,)) for key, item in value.items()}
    if isinstance(value, list):
        return sorted({json.dumps(shape(item, path), sort_keys=True) for item in value})
    return type(value).__name__


def read_run_folder(run_dir: Path) -> dict:
    """What a typical script reads from one FileStorage run folder, with plain json."""
    data = {name: json.loads((run_dir / f"{name}.json").read_text())
            for name in ("run", "config", "metrics", "info")}
    data["cout"] = (run_dir / "cout.txt").read_text()
    return data


def numbered_runs(basedir: Path) -> list[int]:
    """Run ids as people list them: the folders whose names are numbers."""
    return sorted(int(p.name) for p in basedir.iterdir() if p.is_dir() and p.name.isdigit())


def run_file_storage_experiment(python: str, workdir: Path, *args: str) -> None:
    """Run the experiment file with ``python`` in ``workdir`` (twice: completed and failed)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    for extra in ((), ("with", "fail=True")):
        done = subprocess.run([python, "exp.py", "-F", "runs", *args, *extra], cwd=workdir,
                              env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == (1 if extra else 0), done.stderr


@pytest.fixture
def experiment_dirs(tmp_path):
    """``(ours, peer)`` working folders with the experiment file and its resource."""
    folders = []
    for name in ("ours", "peer"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "exp.py").write_text(textwrap.dedent(EXPERIMENT_FILE))
        (folder / "resource.txt").write_text("resource content\n")
        folders.append(folder)
    return folders


def test_scripts_read_our_file_storage_runs(experiment_dirs):
    ours, _ = experiment_dirs
    run_file_storage_experiment(sys.executable, ours)
    basedir = ours / "runs"
    assert numbered_runs(basedir) == [1, 2]

    done, failed = (read_run_folder(basedir / str(i)) for i in (1, 2))
    assert done["run"]["status"] == "COMPLETED" and failed["run"]["status"] == "FAILED"
    assert done["run"]["result"] == {"score": 0.5, "layers": [64, 32]}
    assert "ValueError: asked to fail" in "".join(failed["run"]["fail_trace"])
    for key in ("start_time", "stop_time", "heartbeat"):
        dt.datetime.fromisoformat(done["run"][key])
    assert done["config"]["opt"] == {"name": "adam", "eps": None, "nested": {"flag": True}}
    assert isinstance(done["config"]["seed"], int)
    assert done["info"]["custom"] == {"nested": [1, {"x": "y"}], "f": 1.5, "none": None}
    assert done["metrics"]["acc"]["steps"] == [0, 10, 20]
    assert done["metrics"]["acc"]["values"] == [0.0, 0.5, 1.0]
    assert len(done["metrics"]["train.loss"]["timestamps"]) == 3
    assert "training done" in done["cout"]
    assert (basedir / "1" / "note.txt").read_text() == "hello artifact\n"
    [[source, source_file]] = done["run"]["experiment"]["sources"]
    assert source == "exp.py" and (basedir / source_file).is_file()  # relative to basedir
    [[resource, stored]] = done["run"]["resources"]  # [opened path, copy in _resources]
    assert resource == str(ours / "resource.txt")
    assert (ours / stored).read_text() == "resource content\n"


def test_incense_reads_our_file_storage_runs(experiment_dirs):
    ours, _ = experiment_dirs
    run_file_storage_experiment(sys.executable, ours)
    loader = incense.FileSystemExperimentLoader(ours / "runs")

    exp = loader.find_by_id(1)
    assert exp.id == 1 and exp.status == "COMPLETED"
    assert exp.experiment.name == "files_exp"
    assert exp.config.lr == 0.01 and list(exp.config.layers) == [64, 32]
    assert exp.info["custom"]["f"] == 1.5
    assert "training done" in exp.captured_out
    assert list(exp.metrics["acc"].index) == [0, 10, 20]
    assert list(exp.metrics["train.loss"]) == pytest.approx([1.0, 0.5, 1 / 3])
    assert exp.artifacts["note.txt"].content == b"hello artifact\n"
    assert loader.find_by_id(2).status == "FAILED"
    with pytest.raises(ValueError, match="does not exist"):
        loader.find_by_id(3)


@pytest.mark.skipif(not PEER_PYTHON.exists(), reason=f"Sacred 0.8.7 is not installed at {PEER_PYTHON}")
def test_file_storage_structure_matches_sacred_0_8_7(experiment_dirs):
    from sacred.commandline_options import canonical_key

    ours, peer = experiment_dirs
    run_file_storage_experiment(sys.executable, ours)
    run_file_storage_experiment(str(PEER_PYTHON), peer)
    assert numbered_runs(ours / "runs") == numbered_runs(peer / "runs") == [1, 2]
    for folder in ("_sources", "_resources"):
        assert (sorted(p.name for p in (ours / "runs" / folder).iterdir())
                == sorted(p.name for p in (peer / "runs" / folder).iterdir()))

    for run_id in ("1", "2"):
        mine, theirs = (read_run_folder(base / "runs" / run_id) for base in (ours, peer))
        assert (sorted(p.name for p in (ours / "runs" / run_id).iterdir())
                == sorted(p.name for p in (peer / "runs" / run_id).iterdir()))
        for data in (mine, theirs):
            options = data["run"]["meta"]["options"]
            data["run"]["meta"]["options"] = {canonical_key(k) if k.startswith("--") else k: v
                                              for k, v in options.items()}
            data["run"]["host"] = sorted(data["run"]["host"])  # gatherers may differ
        for outer, inner in DELIBERATE_FILE_DIFFERENCES["added run.json keys"]:
            mine["run"][outer].pop(inner, None)
        for name in ("run", "config", "metrics", "info"):
            assert shape(mine[name]) == shape(theirs[name]), (run_id, name)
        assert mine["config"].keys() == theirs["config"].keys()
        assert mine["run"]["status"] == theirs["run"]["status"]
        assert mine["run"]["result"] == theirs["run"]["result"]


# ------------------------------------------------------------------ Omniboard (opt-in)

OMNIBOARD_START_SECONDS = 60.0


def _omniboard_command() -> list[str]:
    """How to start Omniboard here, or skip with what to do."""
    import shutil

    if os.environ.get("SACRED_TEST_OMNIBOARD") != "1":
        pytest.skip("Omniboard check is opt-in: set SACRED_TEST_OMNIBOARD=1 "
                    "(needs node and `npm install omniboard`)")
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    explicit = os.environ.get("OMNIBOARD_BIN") or shutil.which("omniboard")
    if not explicit:
        pytest.skip("omniboard is not installed (npm install -g omniboard, or set OMNIBOARD_BIN)")
    return [explicit]


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _get_json(url: str):
    import urllib.request

    with urllib.request.urlopen(url, timeout=5) as reply:  # noqa: S310 - loopback only
        return json.loads(reply.read())


def test_omniboard_lists_our_runs_with_status_config_and_metrics(mongo_server, mongo_db_name,  # noqa: F811
                                                                 tmp_path):
    """Omniboard 2.x (mongoose 5) reads runs written by our MongoObserver.

    Against nx-27017 a small proxy (``wire_version_proxy.py``) reports
    ``minWireVersion`` 0 as MongoDB does; nx's 17 makes Omniboard's driver
    refuse to connect. Omniboard's run table joins metrics with an aggregation
    ``$lookup`` that nx-27017 does not implement, so metrics are checked
    through Omniboard's ``Metrics`` endpoint (what its run detail view uses).
    """
    import time
    import urllib.parse

    from sacred.observers import MongoObserver
    from tests.fixtures.mongo_server import free_port, port_accepts

    command = _omniboard_command()
    run_tool_experiment(MongoObserver(url=mongo_server.url, db_name=mongo_db_name, **FAST),
                        tmp_path, lr=0.25)
    run_tool_experiment(MongoObserver(url=mongo_server.url, db_name=mongo_db_name, **FAST),
                        tmp_path, fail=True)
    processes = []
    try:
        mongo_port = mongo_server.port
        if mongo_server.is_nx:
            mongo_port = free_port()
            proxy = Path(__file__).with_name("wire_version_proxy.py")
            processes.append(subprocess.Popen(
                [sys.executable, str(proxy), str(mongo_port), str(mongo_server.port)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        web_port = free_port()
        log = (tmp_path / "omniboard.log").open("wb")
        processes.append(subprocess.Popen(
            [*command, "-m", f"127.0.0.1:{mongo_port}:{mongo_db_name}"],
            env={**os.environ, "PORT": str(web_port)}, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True))
        log.close()
        base = f"http://127.0.0.1:{web_port}"
        deadline = time.monotonic() + OMNIBOARD_START_SECONDS
        while not port_accepts(web_port) and time.monotonic() < deadline:
            assert processes[-1].poll() is None, (tmp_path / "omniboard.log").read_text()
            time.sleep(0.2)
        [database] = _get_json(f"{base}/api/v1/databases")
        api = f"{base}{database['path']}/api/v1"
        query = urllib.parse.urlencode({"select": "_id,status,config,info", "sort": "_id"})
        runs = None
        while time.monotonic() < deadline:
            try:
                runs = _get_json(f"{api}/Runs?{query}")
                break
            except OSError:  # connected to the web port before the database
                time.sleep(0.2)
        assert runs is not None, (tmp_path / "omniboard.log").read_text()
        assert [(int(r["_id"]), r["status"]) for r in runs] == [(1, "COMPLETED"), (2, "FAILED")]
        assert runs[0]["config"]["lr"] == 0.25
        assert runs[0]["config"]["opt"] == {"name": "adam", "betas": [0.9, 0.999]}
        assert {m["name"] for m in runs[0]["info"]["metrics"]} == {"train.loss", "acc"}
        assert _get_json(f"{api}/Runs/count") == {"count": 2}
        metrics_query = urllib.parse.urlencode({"query": json.dumps({"run_id": 1}),
                                                "select": "name,steps,values"})
        metrics = {m["name"]: m for m in _get_json(f"{api}/Metrics?{metrics_query}")}
        assert metrics["acc"]["steps"] == [0, 10, 20, 30]
        assert metrics["acc"]["values"] == [0.0, 0.25, 0.5, 0.75]
        assert metrics["train.loss"]["steps"] == [0, 1, 2, 3]
    finally:
        for process in reversed(processes):
            _stop(process)
