"""Read the SqlObserver's tables (ours or sacred 0.8.7's) from SQLite, PostgreSQL or MySQL.

Tables are reflected, so a database written by sacred 0.8.7 (no ``meta``,
``result_json`` or ``metric``) is read with what it has. Status, experiment,
time and comment filters become SQL ``WHERE`` clauses on indexed columns; a
page in id or time order without other filters is ``LIMIT``/``OFFSET`` in SQL.
Config filters are applied to the decoded rows.
"""

from __future__ import annotations

import json
import operator
import os
from collections.abc import Iterable
from typing import Any

from sacred.runs.base import (
    RunStore,
    duration_of,
    modifications_from_meta,
    parse_time,
    summary_status,
)
from sacred.runs.filters import And, Compare, Field, Literal, walk_fields
from sacred.runs.model import (
    MetricSeries,
    RunLoader,
    RunRecord,
    RunSummary,
    StoreError,
    bytes_file,
)
from sacred.runs.opening import mask_url
from sacred.runs.query import Query, apply_query

__all__ = ["SqlStore"]

_LISTED = ("run_id", "command", "start_time", "heartbeat", "stop_time", "queue_time", "status", "comment",
           "config", "result", "result_json", "meta", "experiment_id")


def _loads(text: Any, default: Any = None) -> Any:
    if text is None or text == "":
        return default
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return default


_SQL_OPERATORS = {"==": operator.eq, "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}


def _sqlite_file(url: str) -> str | None:
    """The file of a ``sqlite:///FILE`` URL (None for other databases and in-memory SQLite)."""
    if not url.lower().startswith("sqlite"):
        return None
    path = url.split(":///", 1)[1] if ":///" in url else ""
    path = path.split("?", 1)[0]
    return path if path and path != ":memory:" else None


def needs_final_metrics(query: Query) -> bool:
    """Whether answering ``query`` needs every run's final metric values."""
    if query.sort and query.sort.startswith(("metric:", "metrics.")):
        return True
    return query.where is not None and any(
        isinstance(node, Field) and node.path[0] == "metrics" for node in walk_fields(query.where))


class _LazyTables:
    """The store's tables, each reflected from the database the first time it is used."""

    def __init__(self, sa: Any, engine: Any, names: set[str]) -> None:
        self.sa = sa
        self.engine = engine
        self.names = names
        self.metadata = sa.MetaData()
        self.reflected: dict[str, Any] = {}

    def get(self, name: str) -> Any:
        """The table ``name``, None when the database has none."""
        if name not in self.names:
            return None
        if name not in self.reflected:
            self.reflected[name] = self.sa.Table(name, self.metadata, autoload_with=self.engine)
        return self.reflected[name]

    def __getitem__(self, name: str) -> Any:
        table = self.get(name)
        if table is None:
            raise KeyError(name)
        return table


class SqlStore(RunStore):
    """An SQL database written by SqlObserver, opened for reading."""

    kind = "sql"

    def __init__(self, url: str) -> None:
        from sacred.observers.sql._engine import engine_from_url

        self.description = f"SQL {mask_url(url)}"
        self._url = url
        database = _sqlite_file(url)
        if database is not None and not os.path.isfile(database):
            raise StoreError(f"no store at {mask_url(url)}: the SQLite file {database} does not exist")
        try:
            self.engine = engine_from_url(url)
        except (ValueError, ImportError) as exc:
            raise StoreError(f"cannot open {mask_url(url)}: {exc}") from None
        import sqlalchemy as sa

        self.sa = sa
        try:
            names = set(sa.inspect(self.engine).get_table_names())
        except sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot open {mask_url(url)}: {str(exc).splitlines()[0]}") from None
        if "run" not in names:
            raise StoreError(f"{mask_url(url)} is not a sacred store: it has no 'run' table")
        self.tables = _LazyTables(sa, self.engine, names)
        self.run = self.tables["run"]

    def close(self) -> None:
        """Dispose of the engine's connections."""
        self.engine.dispose()

    def _execute(self, statement: Any) -> list[Any]:
        try:
            with self.engine.connect() as conn:
                return list(conn.execute(statement))
        except self.sa.exc.SQLAlchemyError as exc:
            raise StoreError(f"cannot read {self.description}: {str(exc).splitlines()[0]}") from None

    # -- listing ------------------------------------------------------------------------

    def _select(self, query: Query) -> Any:
        sa, run = self.sa, self.run
        columns = [run.c[name] for name in _LISTED if name in run.c]
        experiment = self.tables.get("experiment")
        if experiment is not None:
            columns.append(experiment.c.name.label("experiment_name"))
            statement = sa.select(*columns).select_from(
                run.outerjoin(experiment, run.c.experiment_id == experiment.c.experiment_id))
        else:
            statement = sa.select(*columns)
        if query.statuses is not None:
            stored = {s for s in query.statuses if s != "DEAD"} | ({"RUNNING"} if "DEAD" in query.statuses else set())
            statement = statement.where(run.c.status.in_(sorted(stored)))
        if query.experiment is not None and experiment is not None:
            statement = statement.where(experiment.c.name == query.experiment)
        if query.since is not None:
            statement = statement.where(run.c.start_time >= query.since)
        if query.until is not None:
            statement = statement.where(run.c.start_time <= query.until)
        if query.text is not None:
            statement = statement.where(sa.func.lower(run.c.comment).contains(query.text.lower()))
        return statement

    def _summary(self, row: Any, finals: dict[str, dict]) -> RunSummary:
        values = dict(zip(row._fields, row, strict=True))
        meta_text = values.get("meta")
        # meta is decoded only where a listing needs it: a sweep, or a RUNNING run's beat interval
        needs_meta = meta_text and (values.get("status") == "RUNNING" or '"sweep"' in meta_text)
        meta = (_loads(meta_text, {}) or {}) if needs_meta else {}
        start, stop = values.get("start_time"), values.get("stop_time")
        heartbeat = values.get("heartbeat")
        stored = values.get("status")
        result = _loads(values.get("result_json"), values.get("result")) if "result_json" in values \
            else values.get("result")
        sweep = meta.get("sweep") if isinstance(meta, dict) else None
        config = _loads(values.get("config"), {})
        return RunSummary(
            id=str(values["run_id"]), experiment=values.get("experiment_name"),
            status=summary_status(stored, heartbeat, start, meta), stored_status=stored, start_time=start,
            stop_time=stop, heartbeat=heartbeat, duration=duration_of(start, stop, heartbeat),
            config=config if isinstance(config, dict) else {}, result=result,
            final_metrics=finals.get(str(values["run_id"]), {}),
            sweep=sweep if isinstance(sweep, dict) else None, comment=values.get("comment") or None,
            command=values.get("command"),
        )

    def _final_metrics(self, run_ids: Iterable[str] | None) -> dict[str, dict]:
        """``{run_id: {name: last value}}`` for ``run_ids`` (None: every run)."""
        metric = self.tables.get("metric")
        if metric is None:
            return {}
        sa = self.sa
        latest = sa.select(sa.func.max(metric.c.metric_id).label("mid")).group_by(metric.c.run_id, metric.c.name)
        if run_ids is not None:
            ids = list(run_ids)
            if not ids:
                return {}
            latest = latest.where(metric.c.run_id.in_(ids))
        statement = sa.select(metric.c.run_id, metric.c.name, metric.c.value).where(
            metric.c.metric_id.in_(latest.scalar_subquery()))
        finals: dict[str, dict] = {}
        for run_id, name, value in self._execute(statement):
            finals.setdefault(str(run_id), {})[name] = value
        return finals

    def _config_prefilter(self, query: Query) -> list[Any]:
        """SQLite ``json_extract`` conditions implied by the filter (a superset of its matches).

        Only top-level ``and`` terms ``config.KEY OP number|string`` with OP one of
        ``== < <= > >=`` are translated: every run the filter accepts passes them
        (a missing or differently typed value never matches such a term), so the
        exact filter applied afterwards in Python gives the same answer, on far
        fewer rows.
        """
        if query.where is None or self.engine.dialect.name != "sqlite":
            return []
        terms = query.where.operands if isinstance(query.where, And) else (query.where,)
        conditions = []
        for term in terms:
            if not (isinstance(term, Compare) and isinstance(term.left, Field) and isinstance(term.right, Literal)):
                continue
            path, op, value = term.left.path, term.op, term.right.value
            if path[0] != "config" or len(path) < 2 or op not in _SQL_OPERATORS:
                continue
            if isinstance(value, bool) or not isinstance(value, int | float | str):
                continue
            if isinstance(value, float) and value != value:
                continue
            json_path = "$" + "".join('."' + key.replace('"', '""') + '"' for key in path[1:])
            extracted = self.sa.func.json_extract(self.run.c.config, json_path)
            conditions.append(_SQL_OPERATORS[op](extracted, value))
        return conditions

    def _candidates(self, query: Query) -> list[RunSummary]:
        statement = self._select(query)
        for condition in self._config_prefilter(query):
            statement = statement.where(condition)
        rows = self._execute(statement)
        finals = self._final_metrics(None) if needs_final_metrics(query) else {}
        return [self._summary(row, finals) for row in rows]

    def _run_query(self, query: Query) -> list[RunSummary]:
        sort = query.sort or "id"
        pushdown = self._sql_answers(query) and sort in ("id", "start_time", "stop_time")
        if not pushdown:
            result = apply_query(self._candidates(query), query)
            if needs_final_metrics(query):
                return result
            return self._with_final_metrics(result)
        column = {"id": self.run.c.id, "start_time": self.run.c.start_time,
                  "stop_time": self.run.c.stop_time}[sort]
        order = [column.desc(), self.run.c.id.desc()] if query.descending else [column.asc(), self.run.c.id.asc()]
        if sort != "id":  # missing times last, as apply_query orders them
            order.insert(0, column.is_(None))
        statement = self._select(query).order_by(*order).offset(query.offset)
        if query.limit is not None:
            statement = statement.limit(query.limit)
        rows = self._execute(statement)
        finals = self._final_metrics([str(row._mapping["run_id"]) for row in rows])
        return [self._summary(row, finals) for row in rows]

    @staticmethod
    def _sql_answers(query: Query) -> bool:
        """Whether the SQL WHERE clause alone answers every filter of ``query``."""
        return query.where is None and query.sweep is None and \
            (query.statuses is None or "DEAD" not in query.statuses)

    def _with_final_metrics(self, runs: list[RunSummary]) -> list[RunSummary]:
        from dataclasses import replace

        finals = self._final_metrics([r.id for r in runs])
        return [replace(r, final_metrics=finals.get(r.id, {})) for r in runs]

    def _count(self, query: Query) -> int:
        if self._sql_answers(query):
            statement = self.sa.select(self.sa.func.count()).select_from(self._select(query).subquery())
            return int(self._execute(statement)[0][0])
        return super()._count(query)

    def observer_target(self) -> tuple[str, str]:
        """An observer adding runs to this store."""
        return "sql", self._url

    def ids(self) -> list[str]:
        """Every run id, in row order."""
        return [str(row[0]) for row in self._execute(self.sa.select(self.run.c.run_id).order_by(self.run.c.id))]

    # -- one run ------------------------------------------------------------------------

    def _load(self, run_id: str) -> RunRecord | None:
        run = self.run
        rows = self._execute(self._select(Query()).add_columns(
            *[run.c[name] for name in ("info", "fail_trace", "host_id") if name in run.c]
        ).where(run.c.run_id == run_id))
        if not rows:
            return None
        row = rows[0]._mapping
        summary = self._summary(rows[0], self._final_metrics([run_id]))
        meta = _loads(row.get("meta"), {}) or {}
        trace = row.get("fail_trace")
        return RunRecord(
            summary, _SqlLoader(self, run_id),
            config_modifications=modifications_from_meta(meta), meta=meta, host=self._host(row.get("host_id")),
            experiment_info=self._experiment(row.get("experiment_id")), info=_loads(row.get("info"), {}) or {},
            fail_trace=trace.splitlines(keepends=True) if trace else None,
            queue_time=row.get("queue_time"),
        )

    def _host(self, host_id: Any) -> dict:
        host = self.tables.get("host")
        if host is None or host_id is None:
            return {}
        rows = self._execute(self.sa.select(host).where(host.c.host_id == host_id))
        if not rows:
            return {}
        values = rows[0]._mapping
        full = _loads(values.get("host_info"), None)
        if isinstance(full, dict):
            return full
        return {"hostname": values.get("hostname"), "cpu": values.get("cpu"),
                "os": [values.get("os"), values.get("os_info")], "python_version": values.get("python_version")}

    def _linked(self, link: str, table: str, experiment_id: Any) -> list[Any]:
        link_table, target = self.tables.get(link), self.tables.get(table)
        if link_table is None or target is None:
            return []
        key = f"{table}_id"
        statement = self.sa.select(target).select_from(
            target.join(link_table, target.c[key] == link_table.c[key])
        ).where(link_table.c.experiment_id == experiment_id).order_by(target.c[key])
        return [row._mapping for row in self._execute(statement)]

    def _experiment(self, experiment_id: Any) -> dict:
        experiment = self.tables.get("experiment")
        if experiment is None or experiment_id is None:
            return {}
        rows = self._execute(self.sa.select(experiment).where(experiment.c.experiment_id == experiment_id))
        if not rows:
            return {}
        values = rows[0]._mapping
        info = {key: values.get(key) for key in ("name", "base_dir", "mainfile", "doc") if key in values}
        info["sources"] = [[s["filename"], s["md5sum"]] for s in self._linked("experiments_sources", "source",
                                                                             experiment_id)]
        info["dependencies"] = [f"{d['name']}=={d['version']}" if d["version"] else d["name"]
                                for d in self._linked("experiments_dependencies", "dependency", experiment_id)]
        info["repositories"] = [{"url": r["url"], "commit": r["commit"], "dirty": r["dirty"]}
                                for r in self._linked("experiments_repositories", "repository", experiment_id)]
        return info


class _SqlLoader(RunLoader):
    def __init__(self, store: SqlStore, run_id: str) -> None:
        self.store = store
        self.run_id = run_id

    def captured_out(self) -> str:
        run = self.store.run
        rows = self.store._execute(self.store.sa.select(run.c.captured_out).where(run.c.run_id == self.run_id))
        return (rows[0][0] or "") if rows else ""

    def metric_names(self) -> list[str]:
        metric = self.store.tables.get("metric")
        if metric is None:
            return []
        statement = self.store.sa.select(metric.c.name).where(metric.c.run_id == self.run_id).distinct()
        return [row[0] for row in self.store._execute(statement)]

    def metric(self, name: str) -> MetricSeries | None:
        metric = self.store.tables.get("metric")
        if metric is None:
            return None
        statement = self.store.sa.select(metric.c.step, metric.c.value, metric.c.timestamp).where(
            metric.c.run_id == self.run_id, metric.c.name == name).order_by(metric.c.metric_id)
        rows = self.store._execute(statement)
        if not rows:
            return None
        return MetricSeries(name, [r[0] for r in rows], [r[1] for r in rows], [parse_time(r[2]) for r in rows])

    def artifacts(self) -> list[Any]:
        artifact = self.store.tables.get("artifact")
        if artifact is None:
            return []
        md5 = artifact.c.md5sum if "md5sum" in artifact.c else self.store.sa.null()
        rows = self.store._execute(self.store.sa.select(artifact.c.filename, artifact.c.content, md5)
                                   .where(artifact.c.run_id == self.run_id).order_by(artifact.c.artifact_id))
        return [bytes_file(name, bytes(content or b""), digest) for name, content, digest in rows]

    def resources(self) -> list[Any]:
        resource, link = self.store.tables.get("resource"), self.store.tables.get("runs_resources")
        if resource is None or link is None:
            return []
        statement = self.store.sa.select(resource.c.filename, resource.c.content, resource.c.md5sum).select_from(
            resource.join(link, resource.c.resource_id == link.c.resource_id)).where(link.c.run_id == self.run_id)
        return [bytes_file(name, bytes(content or b""), md5) for name, content, md5 in self.store._execute(statement)]

    def sources(self) -> list[Any]:
        run = self.store.run
        rows = self.store._execute(self.store.sa.select(run.c.experiment_id).where(run.c.run_id == self.run_id))
        if not rows:
            return []
        return [bytes_file(s["filename"], (s["content"] or "").encode("utf-8"), s["md5sum"])
                for s in self.store._linked("experiments_sources", "source", rows[0][0])]
