"""sacred.observers.sql_bases: 0.8.7's ORM models read what SqlObserver wrote.

Runs against SQLite and PostgreSQL (the ``db_url`` fixture of test_sql.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from sacred.observers.sql import SqlObserver
from sacred.observers.sql_bases import Base, Dependency, Experiment, Host, Resource, Run, Source
from tests.observers.test_sql import HOST, T0, db_url, ex_info, experiment_dir, start  # noqa: F401


def test_models_read_a_run_the_observer_stored(db_url, experiment_dir):  # noqa: F811
    obs = SqlObserver(db_url)
    run_id = start(obs, experiment_dir)
    obs.resource_event(str(experiment_dir / "data.csv"))
    obs.artifact_event("model", str(experiment_dir / "model.bin"))
    obs.completed_event(stop_time=T0, result=3.5)
    engine = sa.create_engine(db_url)
    try:
        with Session(engine) as session:
            run = session.query(Run).filter_by(run_id=run_id).one()
            data = run.to_json()
            assert data["_id"] == run_id and data["status"] == "COMPLETED"
            assert data["result"] == 3.5 and data["config"] == {"lr": 0.1, "seed": 7}
            assert data["meta"] == {"comment": "first try", "priority": 2}
            assert data["host"] == {
                "cpu": "AMD EPYC",
                "hostname": "box",
                "os": ["Linux", "Linux-6.1-x86_64"],
                "python_version": "3.11.7",
            }
            assert data["experiment"]["name"] == "my_exp"
            assert [s["filename"] for s in data["experiment"]["sources"]] == ["my_exp.py"]
            assert sorted(data["experiment"]["dependencies"]) == [
                "numpy==1.26.4",
                "sacred==0.9.0.dev0",
            ]
            assert data["resources"] == [
                {
                    "filename": str(experiment_dir / "data.csv"),
                    "md5sum": Resource.get_or_create(
                        str(experiment_dir / "data.csv"), session
                    ).md5sum,
                }
            ]
            assert [a["filename"] for a in data["artifacts"]] == ["model"]
            assert run.artifacts[0].content == b"\x00\xffmodel"
            # get_or_create finds the rows the observer made instead of duplicating them
            assert Host.get_or_create(HOST, session).host_id == run.host_id
            info = ex_info(experiment_dir)
            assert Experiment.get_or_create(info, session).experiment_id == run.experiment_id
            assert session.query(Host).count() == 1 and session.query(Experiment).count() == 1
            source = Source.get_or_create("my_exp.py", info["sources"][0][1], session, str(experiment_dir))
            assert source.content == "print('hi')\n" and session.query(Source).count() == 1
            assert Dependency.get_or_create("numpy==1.26.4", session).to_json() == "numpy==1.26.4"
            assert session.query(Dependency).count() == 2
    finally:
        engine.dispose()


def test_models_create_the_tables_and_write_runs(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'orm.db'}")
    Base.metadata.create_all(engine)
    (tmp_path / "res.txt").write_text("hi")
    with Session(engine) as session:
        host = Host.get_or_create(HOST, session)
        run = Run(run_id="1", command="main", start_time=T0, config='{"a": 1}', status="RUNNING")
        run.host = host
        run.resources.append(Resource.get_or_create(str(tmp_path / "res.txt"), session))
        session.add(run)
        session.commit()
        stored = session.query(Run).one().to_json()
    assert stored["host"]["hostname"] == "box" and stored["config"] == {"a": 1}
    assert stored["resources"][0]["md5sum"] == "49f68a5c8493ec2c0bf489821c21fc3b"
    engine.dispose()
