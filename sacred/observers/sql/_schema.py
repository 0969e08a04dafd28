"""The SqlObserver's tables (SQLAlchemy Core), named as Sacred 0.8.7 named them.

Kept from 0.8.7 (people query these): ``run``, ``experiment``, ``host``,
``source``, ``dependency``, ``repository``, ``resource``, ``artifact`` and the
link tables ``experiments_sources``, ``experiments_dependencies``,
``experiments_repositories``, ``runs_resources``, with their column names.

Added here:

* ``run.meta`` (the meta info as JSON), ``run.result_json`` (any result as
  JSON; ``run.result`` keeps numeric results as 0.8.7 did);
* ``host.host_info`` (the whole host info as JSON: gpus, ENV, custom gatherers);
* ``experiment.mainfile`` / ``experiment.doc``;
* ``artifact.path`` / ``md5sum`` / ``content_type`` / ``artifact_metadata``;
* ``metric``: one row per logged point (``run_id, name, step, value, timestamp``);
* indexes on ``run.status``, ``run.start_time`` and ``run.experiment_id`` (the
  run reader's filters, :mod:`sacred.runs.sql_store`);
* a ``lookup`` column (a hash of the identifying fields) with a UNIQUE
  constraint on every deduplicated table, so that concurrent writers
  inserting the same source/host/dependency end up sharing one row.

String columns that can hold user data are ``Text`` so that no database
truncates or rejects long paths or names.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["SqlTables", "build_tables"]


@dataclass
class SqlTables:
    """All tables of one database schema, bound to one ``MetaData``."""

    metadata: Any
    source: Any
    repository: Any
    dependency: Any
    resource: Any
    host: Any
    experiment: Any
    experiments_sources: Any
    experiments_repositories: Any
    experiments_dependencies: Any
    run: Any
    artifact: Any
    runs_resources: Any
    metric: Any


def build_tables(schema: str | None = None) -> SqlTables:
    """Define the tables on a fresh ``MetaData`` (optionally in database ``schema``)."""
    import sqlalchemy as sa

    md = sa.MetaData(schema=schema)
    prefix = f"{schema}." if schema else ""

    def fk(column: str) -> Any:
        return sa.ForeignKey(prefix + column)

    def shared(name: str, *columns: Any) -> Any:
        """A deduplicated table: ``<name>_id`` key, ``columns``, unique ``lookup`` hash."""
        return sa.Table(
            name,
            md,
            sa.Column(f"{name}_id", sa.Integer, primary_key=True),
            *columns,
            sa.Column("lookup", sa.String(64), nullable=False, unique=True),
        )

    def experiment_link(name: str, right_table: str) -> Any:
        """``experiments_<x>``: links an experiment to a row of ``right_table``."""
        right = f"{right_table}_id"
        return sa.Table(
            name,
            md,
            sa.Column(
                "experiment_id", sa.Integer, fk("experiment.experiment_id"), primary_key=True
            ),
            sa.Column(right, sa.Integer, fk(f"{right_table}.{right}"), primary_key=True),
        )

    shared(
        "source",
        sa.Column("filename", sa.Text),
        sa.Column("md5sum", sa.String(32)),
        sa.Column("content", sa.Text),
    )
    shared(
        "repository",
        sa.Column("url", sa.Text),
        sa.Column("commit", sa.String(64)),
        sa.Column("dirty", sa.Boolean),
    )
    shared("dependency", sa.Column("name", sa.Text), sa.Column("version", sa.Text))
    shared(
        "resource",
        sa.Column("filename", sa.Text),
        sa.Column("md5sum", sa.String(32)),
        sa.Column("content", sa.LargeBinary),
    )
    shared(
        "host",
        sa.Column("cpu", sa.Text),
        sa.Column("hostname", sa.Text),
        sa.Column("os", sa.Text),
        sa.Column("os_info", sa.Text),
        sa.Column("python_version", sa.Text),
        sa.Column("host_info", sa.Text),
    )
    shared(
        "experiment",
        sa.Column("name", sa.Text),
        sa.Column("md5sum", sa.String(32)),
        sa.Column("base_dir", sa.Text),
        sa.Column("mainfile", sa.Text),
        sa.Column("doc", sa.Text),
    )
    experiment_link("experiments_sources", "source")
    experiment_link("experiments_repositories", "repository")
    experiment_link("experiments_dependencies", "dependency")
    sa.Table(
        "run",
        md,
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("run_id", sa.String(64), unique=True),
        sa.Column("command", sa.Text),
        sa.Column("start_time", sa.DateTime, index=True),
        sa.Column("heartbeat", sa.DateTime),
        sa.Column("stop_time", sa.DateTime),
        sa.Column("queue_time", sa.DateTime),
        sa.Column("priority", sa.Float),
        sa.Column("comment", sa.Text),
        sa.Column("fail_trace", sa.Text),
        sa.Column("captured_out", sa.Text),
        sa.Column("config", sa.Text),
        sa.Column("info", sa.Text),
        sa.Column("status", sa.String(32), index=True),
        sa.Column("host_id", sa.Integer, fk("host.host_id")),
        sa.Column("experiment_id", sa.Integer, fk("experiment.experiment_id"), index=True),
        sa.Column("result", sa.Float),
        sa.Column("result_json", sa.Text),
        sa.Column("meta", sa.Text),
    )
    sa.Table(
        "artifact",
        md,
        sa.Column("artifact_id", sa.Integer, primary_key=True),
        sa.Column("filename", sa.Text),
        sa.Column("content", sa.LargeBinary),
        sa.Column("run_id", sa.String(64), fk("run.run_id"), index=True),
        sa.Column("path", sa.Text),
        sa.Column("md5sum", sa.String(32)),
        sa.Column("content_type", sa.Text),
        sa.Column("artifact_metadata", sa.Text),
    )
    sa.Table(
        "runs_resources",
        md,
        sa.Column("run_id", sa.String(64), fk("run.run_id"), primary_key=True),
        sa.Column("resource_id", sa.Integer, fk("resource.resource_id"), primary_key=True),
    )
    sa.Table(
        "metric",
        md,
        sa.Column("metric_id", sa.Integer, primary_key=True),
        sa.Column("run_id", sa.String(64), fk("run.run_id"), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("step", sa.BigInteger),
        sa.Column("value", sa.Float),
        sa.Column("timestamp", sa.DateTime),
        sa.Index("ix_metric_run_name", "run_id", "name"),
    )
    return SqlTables(metadata=md, **{table.name: table for table in md.tables.values()})
