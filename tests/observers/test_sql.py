"""SqlObserver on SQLite and PostgreSQL: schema, contents, ids, concurrency, outages."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import socket
import subprocess
import sys
import textwrap
import time
import uuid

import pytest
import sqlalchemy as sa
from scalar_experiment import make_scalar_experiment

from sacred.dependencies import get_digest as md5_of
from sacred.observers.sql import SqlObserver
from sacred.observers.sql._schema import build_tables
from sacred.utils import ObserverError

T0 = dt.datetime(2024, 5, 1, 12, 0, 0, 123456)
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_PG_URL = "postgresql+psycopg2://postgres@127.0.0.1:5432/test"


def _postgres_base_url() -> str:
    return os.environ.get("SACRED_TEST_POSTGRES_URL", DEFAULT_PG_URL)


def _postgres_unavailable_reason() -> str | None:
    url = _postgres_base_url()
    try:
        engine = sa.create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means: skip with the reason
        return (
            f"no PostgreSQL answers at {url} ({type(exc).__name__}); set SACRED_TEST_POSTGRES_URL"
        )
    return None


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'runs.db'}"
        return
    with _postgres_schema() as schema:
        yield _in_schema(_postgres_base_url(), schema)


@contextlib.contextmanager
def _postgres_schema():
    """A fresh PostgreSQL schema (skips without a server), dropped afterwards."""
    reason = _postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    schema = f"sacred_t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(_postgres_base_url())
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _in_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options=-csearch_path%3D{schema}"


def rows(url, sql, **params):
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(sa.text(sql), params)]
    finally:
        engine.dispose()


def table_rows(url, name, order_by=None):
    """All rows of one sacred table, decoded through the schema's column types."""
    table = getattr(build_tables(), name)
    query = sa.select(table)
    if order_by:
        query = query.order_by(table.c[order_by])
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]
    finally:
        engine.dispose()


@pytest.fixture
def experiment_dir(tmp_path):
    base = tmp_path / "exp"
    base.mkdir()
    (base / "my_exp.py").write_text("print('hi')\n")
    (base / "data.csv").write_text("a,b\n1,2\n")
    (base / "model.bin").write_bytes(b"\x00\xffmodel")
    return base


def ex_info(base, name="my_exp"):
    return {
        "name": name,
        "base_dir": str(base),
        "sources": [["my_exp.py", md5_of(base / "my_exp.py")]],
        "dependencies": ["numpy==1.26.4", "sacred==0.9.0.dev0"],
        "repositories": [
            {"url": "https://u:pw@example.org/r.git", "commit": "ab" * 20, "dirty": True}
        ],
        "mainfile": "my_exp.py",
        "doc": "An experiment.",
    }


HOST = {
    "hostname": "box",
    "os": ["Linux", "Linux-6.1-x86_64"],
    "python_version": "3.11.7",
    "cpu": "AMD EPYC",
    "ENV": {"CUDA": "0"},
}
META = {"command": "main", "options": {"sql": "x"}, "comment": "first try", "priority": 2}


def start(obs, base, _id=None, name="my_exp", config=None):
    return obs.started_event(
        ex_info=ex_info(base, name),
        command="main",
        host_info=HOST,
        start_time=T0,
        config=config or {"lr": 0.1, "seed": 7},
        meta_info=META,
        _id=_id,
    )


# ------------------------------------------------------------------ contents


def test_full_run_is_stored_in_peer_named_tables(db_url, experiment_dir):
    obs = SqlObserver(db_url)
    run_id = start(obs, experiment_dir)
    assert run_id == "1"
    t1 = T0 + dt.timedelta(seconds=1)
    obs.log_metrics(
        {"loss": {"name": "loss", "steps": [0, 1], "values": [1.0, 0.5], "timestamps": [T0, t1]}},
        {},
    )
    obs.heartbeat_event(info={"acc": 0.9}, captured_out="epoch 1\n", beat_time=t1, result=None)
    obs.resource_event(str(experiment_dir / "data.csv"))
    obs.artifact_event(
        "model", str(experiment_dir / "model.bin"), metadata={"k": 1}, content_type="x/y"
    )
    obs.completed_event(stop_time=t1, result=0.75)
    obs.join()

    (run,) = table_rows(db_url, "run")
    assert run["run_id"] == "1" and run["status"] == "COMPLETED" and run["command"] == "main"
    assert run["start_time"] == T0 and run["stop_time"] == t1 and run["heartbeat"] == t1
    assert json.loads(run["config"]) == {"lr": 0.1, "seed": 7}
    assert json.loads(run["info"]) == {"acc": 0.9}
    assert json.loads(run["meta"]) == META
    assert run["captured_out"] == "epoch 1\n"
    assert run["result"] == 0.75 and json.loads(run["result_json"]) == 0.75
    assert run["priority"] == 2 and run["comment"] == "first try"

    (exp,) = rows(db_url, "SELECT * FROM experiment")
    assert exp["experiment_id"] == run["experiment_id"]
    assert (exp["name"], exp["base_dir"], exp["mainfile"]) == (
        "my_exp",
        str(experiment_dir),
        "my_exp.py",
    )
    (src,) = rows(db_url, "SELECT * FROM source")
    assert src["filename"] == "my_exp.py" and src["content"] == "print('hi')\n"
    assert src["md5sum"] == md5_of(experiment_dir / "my_exp.py")
    assert rows(db_url, "SELECT * FROM experiments_sources") == [
        {"experiment_id": exp["experiment_id"], "source_id": src["source_id"]}
    ]
    deps = rows(db_url, "SELECT name, version FROM dependency ORDER BY name")
    assert deps == [
        {"name": "numpy", "version": "1.26.4"},
        {"name": "sacred", "version": "0.9.0.dev0"},
    ]
    assert len(rows(db_url, "SELECT * FROM experiments_dependencies")) == 2
    (repo,) = table_rows(db_url, "repository")
    assert {k: repo[k] for k in ("url", "commit", "dirty")} == {
        "url": "https://u:***@example.org/r.git",
        "commit": "ab" * 20,
        "dirty": True,
    }
    (host,) = table_rows(db_url, "host")
    assert (host["hostname"], host["os"], host["os_info"], host["cpu"]) == (
        "box",
        "Linux",
        "Linux-6.1-x86_64",
        "AMD EPYC",
    )
    assert json.loads(host["host_info"])["ENV"] == {"CUDA": "0"}
    (res,) = rows(db_url, "SELECT * FROM resource")
    assert bytes(res["content"]) == b"a,b\n1,2\n" and res["filename"] == str(
        experiment_dir / "data.csv"
    )
    assert rows(db_url, "SELECT * FROM runs_resources") == [
        {"run_id": "1", "resource_id": res["resource_id"]}
    ]
    (art,) = rows(db_url, "SELECT * FROM artifact")
    assert (art["filename"], art["run_id"], bytes(art["content"])) == (
        "model",
        "1",
        b"\x00\xffmodel",
    )
    assert art["content_type"] == "x/y" and json.loads(art["artifact_metadata"]) == {"k": 1}
    metrics = [
        {k: m[k] for k in ("run_id", "name", "step", "value", "timestamp")}
        for m in table_rows(db_url, "metric", order_by="step")
    ]
    assert metrics == [
        {"run_id": "1", "name": "loss", "step": 0, "value": 1.0, "timestamp": T0},
        {"run_id": "1", "name": "loss", "step": 1, "value": 0.5, "timestamp": t1},
    ]


def test_failed_interrupted_and_queued_runs(db_url, experiment_dir):
    obs = SqlObserver(db_url)
    start(obs, experiment_dir)
    obs.failed_event(
        fail_time=T0, fail_trace=["Traceback (most recent call last):\n", "KeyError: 'x'\n"]
    )
    obs = SqlObserver(db_url)
    start(obs, experiment_dir)
    obs.interrupted_event(interrupt_time=T0, status="TIMEOUT")
    obs = SqlObserver(db_url)
    queued = obs.queued_event(
        ex_info=ex_info(experiment_dir),
        command="main",
        host_info=HOST,
        queue_time=T0,
        config={"lr": 1},
        meta_info={"command": "main", "options": {}},
        _id=None,
    )
    runs = table_rows(db_url, "run", order_by="id")
    assert [r["status"] for r in runs] == ["FAILED", "TIMEOUT", "QUEUED"]
    assert runs[0]["fail_trace"] == "Traceback (most recent call last):\nKeyError: 'x'\n"
    assert runs[1]["stop_time"] == T0
    assert runs[2]["run_id"] == queued and runs[2]["queue_time"] == T0


def test_shared_rows_are_stored_once(db_url, experiment_dir):
    for _ in range(3):
        obs = SqlObserver(db_url)
        start(obs, experiment_dir)
        obs.resource_event(str(experiment_dir / "data.csv"))
        obs.resource_event(str(experiment_dir / "data.csv"))
        obs.completed_event(stop_time=T0, result=None)
    counts = {
        t: rows(db_url, f"SELECT count(*) AS n FROM {t}")[0]["n"]
        for t in [
            "run",
            "experiment",
            "source",
            "host",
            "dependency",
            "repository",
            "resource",
            "runs_resources",
        ]
    }
    assert counts == {
        "run": 3,
        "experiment": 1,
        "source": 1,
        "host": 1,
        "dependency": 2,
        "repository": 1,
        "resource": 1,
        "runs_resources": 3,
    }


def test_run_ids_given_auto_and_duplicate(db_url, experiment_dir):
    assert start(SqlObserver(db_url), experiment_dir, _id=2) == "2"
    assert start(SqlObserver(db_url), experiment_dir) == "3"  # row 2, text "2" taken
    assert start(SqlObserver(db_url), experiment_dir, _id="custom") == "custom"
    with pytest.raises(ObserverError, match="'custom' already exists"):
        start(SqlObserver(db_url), experiment_dir, _id="custom")
    ids = [r["run_id"] for r in rows(db_url, "SELECT run_id FROM run")]
    assert sorted(ids) == ["2", "3", "custom"]


def test_create_from_engine_and_session(db_url, experiment_dir):
    from sqlalchemy.orm import Session

    engine = sa.create_engine(db_url)
    with Session(engine) as session:
        obs = SqlObserver.create_from(engine, session)
        run_id = start(obs, experiment_dir)
        obs.completed_event(stop_time=T0, result={"a": [1, 2]})
    engine.dispose()
    (run,) = rows(db_url, "SELECT run_id, result, result_json FROM run")
    assert run == {"run_id": run_id, "result": None, "result_json": '{"a": [1, 2]}'}


def test_non_json_info_values_are_flattened(db_url, experiment_dir):
    np = pytest.importorskip("numpy")

    class Thing:
        def __init__(self):
            self.v = [1, 2]

    obs = SqlObserver(db_url)
    start(obs, experiment_dir)
    obs.heartbeat_event(
        info={"arr": np.ones(2), "thing": Thing()},
        captured_out="",
        beat_time=T0,
        result=np.float32(2.5),
    )
    (run,) = rows(db_url, "SELECT info, result FROM run")
    info = json.loads(run["info"])
    assert (
        info["arr"] == [1.0, 1.0] and info["thing"]["v"] == [1, 2] and "py/object" in info["thing"]
    )
    assert run["result"] == 2.5


def test_heartbeat_failure_is_logged_and_metrics_retried(db_url, experiment_dir, caplog):
    obs = SqlObserver(db_url)
    start(obs, experiment_dir)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE metric RENAME TO metric_away"))
    obs.log_metrics({"m": {"name": "m", "steps": [0], "values": [3.0], "timestamps": [T0]}}, {})
    with caplog.at_level(logging.WARNING):
        obs.heartbeat_event(info={}, captured_out="x", beat_time=T0, result=None)
    assert "heartbeat not saved" in caplog.text
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE metric_away RENAME TO metric"))
    engine.dispose()
    obs.heartbeat_event(info={}, captured_out="xy", beat_time=T0, result=None)
    obs.completed_event(stop_time=T0, result=None)
    assert rows(db_url, "SELECT name, value FROM metric") == [{"name": "m", "value": 3.0}]
    assert rows(db_url, "SELECT captured_out FROM run")[0]["captured_out"] == "xy"


def test_heartbeat_appends_only_new_output(db_url, experiment_dir):
    obs = SqlObserver(db_url)
    start(obs, experiment_dir)
    obs.heartbeat_event(info={}, captured_out="line 1\n", beat_time=T0, result=None)
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:  # mark the stored text: an append keeps the mark
        conn.execute(sa.text("UPDATE run SET captured_out = 'MARK\n'"))
    engine.dispose()
    obs.heartbeat_event(info={}, captured_out="line 1\nline 2\n", beat_time=T0, result=None)
    assert table_rows(db_url, "run")[0]["captured_out"] == "MARK\nline 2\n"
    # output that was rewritten (\r progress bars) is stored whole again
    obs.heartbeat_event(info={}, captured_out="line 1\nline 3\n", beat_time=T0, result=None)
    assert table_rows(db_url, "run")[0]["captured_out"] == "line 1\nline 3\n"


# ------------------------------------------------------------------ concurrency

WRITER = textwrap.dedent(
    """
    import datetime as dt, sys, time
    sys.path.insert(0, sys.argv[4])
    from sacred.observers.sql import SqlObserver
    url, base, go = sys.argv[1], sys.argv[2], float(sys.argv[3])
    while time.time() < go:
        time.sleep(0.005)
    ex_info = {"name": "worker", "base_dir": base, "sources": [["my_exp.py", "x"]],
               "dependencies": ["a==1"], "repositories": [], "mainfile": None, "doc": None}
    ids = []
    for i in range(5):
        obs = SqlObserver(url)
        now = dt.datetime.utcnow()
        ids.append(obs.started_event(ex_info, "run", {"hostname": "h"}, now, {"i": i}, {}, None))
        obs.log_metrics({"m": {"steps": [i], "values": [i], "timestamps": [now]}}, {})
        obs.heartbeat_event({"i": i}, "out", now, None)
        obs.completed_event(now, i)
        obs.engine.dispose()
    print(" ".join(ids))
    """
)


def test_concurrent_writers_create_tables_and_runs_safely(db_url, experiment_dir, tmp_path):
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    go = time.time() + 2.0  # all processes hit the empty database at the same moment
    procs = [
        subprocess.Popen(
            [sys.executable, str(script), db_url, str(experiment_dir), str(go), REPO_ROOT],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(4)
    ]
    returned = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
        returned += out.decode().split()
    runs = rows(db_url, "SELECT run_id, status FROM run")
    assert len(runs) == 20 and len(set(returned)) == 20
    assert sorted(r["run_id"] for r in runs) == sorted(returned)
    assert {r["status"] for r in runs} == {"COMPLETED"}
    assert rows(db_url, "SELECT count(*) AS n FROM experiment")[0]["n"] == 1
    assert rows(db_url, "SELECT count(*) AS n FROM metric")[0]["n"] == 20


# ------------------------------------------------------------------ bad input and outages


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_database_names_it_with_password_masked(experiment_dir):
    url = f"postgresql+psycopg2://alice:s3cret@127.0.0.1:{_closed_port()}/db"
    obs = SqlObserver(url)
    with pytest.raises(ObserverError) as err:
        start(obs, experiment_dir)
    message = str(err.value)
    assert "alice:***@127.0.0.1" in message and "s3cret" not in message
    assert "could not connect" in message


def test_bad_url_is_reported():
    with pytest.raises(ValueError, match="is not a database URL"):
        SqlObserver("not a url")
    with pytest.raises(ValueError, match="needs a database URL"):
        SqlObserver("")


def test_missing_sqlite_directory_is_reported(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        SqlObserver(f"sqlite:///{tmp_path / 'nope' / 'x.db'}")


def test_missing_backend_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(ImportError, match=r"pip install sacred\[sql\]"):
        SqlObserver("sqlite://")


def test_missing_driver_names_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "psycopg2", None)
    with pytest.raises(ImportError, match=r"pip install sacred\[postgres\]") as err:
        SqlObserver("postgresql://bob:hunter2@127.0.0.1/db")
    assert "hunter2" not in str(err.value)


# ------------------------------------------------------------------ end to end


def test_sql_flag_records_a_real_run(db_url):
    run = make_scalar_experiment("sql_e2e").run_commandline(
        ["prog", "-s", db_url, "--capture", "sys", "with", "steps=2"]
    )
    (row,) = table_rows(db_url, "run")
    assert row["run_id"] == str(run._id) and row["status"] == "COMPLETED" and row["result"] == 4
    assert json.loads(row["config"])["steps"] == 2
    assert "finished" in row["captured_out"]
    assert [m["value"] for m in table_rows(db_url, "metric", order_by="step")] == [1.0, 0.5]
    assert table_rows(db_url, "experiment")[0]["name"] == "sql_e2e"
    assert len(table_rows(db_url, "source")) >= 1


def test_queue_flag_stores_a_queued_run(db_url):
    run = make_scalar_experiment("sql_e2e").run_commandline(["prog", "-q", "-s", db_url])
    (row,) = table_rows(db_url, "run")
    assert row["status"] == "QUEUED" and row["queue_time"] is not None and row["start_time"] is None
    assert row["run_id"] == str(run._id)


def test_observer_records_a_failing_experiment(db_url):
    ex = make_scalar_experiment("sql_e2e")
    ex.observers.append(SqlObserver(db_url))
    with pytest.raises(ValueError, match="asked to fail"):
        ex.run(config_updates={"fail": True})
    (row,) = table_rows(db_url, "run")
    assert row["status"] == "FAILED" and "ValueError: asked to fail" in row["fail_trace"]


def test_urls_in_meta_options_are_stored_masked(db_url, experiment_dir):
    obs = SqlObserver(db_url)
    obs.started_event(
        ex_info(experiment_dir),
        "main",
        HOST,
        T0,
        {},
        {"command": "main", "options": {"--sql": "postgresql://u:secret@h/db"}},
        None,
    )
    meta = json.loads(table_rows(db_url, "run")[0]["meta"])
    assert meta["options"]["--sql"] == "postgresql://u:***@h/db"


@pytest.mark.parametrize("scheme", ["postgresql", "postgresql+psycopg"])
def test_the_readme_url_form_runs_with_the_postgres_extra_and_hides_a_password_with_a_slash(scheme):
    """README: ``-s postgresql://user:password@host/db``. SQLAlchemy 2.1 reads a bare
    postgresql:// as psycopg 3, which the [postgres] extra now installs; a password
    holding '/' (which SQLAlchemy accepts) never reaches the stored meta."""
    with _postgres_schema() as schema:
        url = _in_schema(f"{scheme}://postgres:pa/ss@127.0.0.1:5432/test", schema)
        run = make_scalar_experiment("pg_readme").run_commandline(["prog", "-s", url, "--capture", "sys"])
        (row,) = table_rows(_in_schema(_postgres_base_url(), schema), "run")
    assert row["status"] == "COMPLETED" and row["run_id"] == str(run._id)
    assert "pa/ss" not in row["meta"]
    assert json.loads(row["meta"])["options"]["--sql"].startswith(f"{scheme}://postgres:***@127.0.0.1")
