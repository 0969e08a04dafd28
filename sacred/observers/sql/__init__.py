"""SqlObserver: store runs in any database SQLAlchemy 2 can reach.

The tables (see :mod:`sacred.observers.sql._schema`) are created on first use
(see :mod:`sacred.observers.sql._engine`, which also makes the engine from the
URL); several processes may create them at the same moment and write runs
concurrently: shared rows (sources, hosts, dependencies, ...) are
deduplicated through unique ``lookup`` keys, and run ids come from the
database's own auto-increment key.

Heartbeats and metric writes never stop a run: a failure is logged, the
transaction rolled back and unsaved metric points are retried with the next
heartbeat, in order.
"""

from __future__ import annotations

import hashlib
import json
import logging
import numbers
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sacred.masking import mask_secrets, mask_text
from sacred.observers.base import RunObserver
from sacred.observers.sql._engine import (
    create_tables,
    database_error,
    engine_from_url,
    import_sqlalchemy,
)
from sacred.observers.sql._schema import SqlTables, build_tables
from sacred.serializer import flatten
from sacred.utils import ObserverError

__all__ = ["SqlObserver"]

logger = logging.getLogger(__name__)


def _json(value: Any) -> str:
    return json.dumps(flatten(value), sort_keys=True)


def _lookup(*parts: Any) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def _numeric_result(result: Any) -> float | None:
    """``float(result)`` for real numbers (numpy scalars included), else None."""
    if isinstance(result, numbers.Real):
        try:
            return float(result)
        except (TypeError, ValueError, OverflowError):
            return None
    return None


def _read_text(path: str) -> str:
    with open(path, "rb") as f:
        return f.read().decode("utf-8", errors="replace")


def _read_bytes(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


class SqlObserver(RunObserver):
    """Store runs in the SQL database at ``url`` (``dialect://user:password@host/db``)."""

    def __init__(
        self, url: str, echo: bool = False, priority: int = 40, schema: str | None = None
    ) -> None:
        engine = engine_from_url(url)
        engine.echo = echo
        self.url = url
        self.masked_url = mask_text(url)
        from sqlalchemy.orm import Session

        self.priority = priority
        self._setup(engine, Session(engine), schema)

    @classmethod
    def create(cls, url: str, echo: bool = False, priority: int = 40) -> SqlObserver:
        """Sacred 0.8.7's spelling of ``SqlObserver(url, echo, priority)``."""
        return cls(url, echo=echo, priority=priority)

    @classmethod
    def create_from(
        cls, engine: Any, session: Any, priority: int = 40, schema: str | None = None
    ) -> SqlObserver:
        """Use an existing SQLAlchemy ``engine`` and ``session``."""
        import_sqlalchemy()
        self = cls.__new__(cls)
        self.url = engine.url.render_as_string(hide_password=False)
        self.masked_url = engine.url.render_as_string(hide_password=True)
        self.priority = priority
        self._setup(engine, session, schema)
        return self

    def _setup(self, engine: Any, session: Any, schema: str | None) -> None:
        self.engine = engine
        self.session = session
        self.tables: SqlTables = build_tables(schema)
        self.run_id: str | None = None
        self._saved_out: str | None = None
        self._schema_ready = False
        self._pending_metrics: list[dict] = []

    # ------------------------------------------------------------------ helpers

    def _database_error(self, action: str, exc: BaseException) -> ObserverError:
        return database_error(self.masked_url, action, exc)

    @contextmanager
    def _transaction(self, action: str) -> Iterator[None]:
        """Commit what the block wrote; on a database error roll back and say what failed."""
        sa = import_sqlalchemy()
        try:
            yield
            self.session.commit()
        except ObserverError:
            self.session.rollback()
            raise
        except sa.exc.SQLAlchemyError as exc:
            self.session.rollback()
            raise self._database_error(action, exc) from None

    def _ensure_schema(self) -> None:
        if not self._schema_ready:
            create_tables(self.engine, self.tables.metadata, self.masked_url)
            self._schema_ready = True

    def _get_or_create(self, table: Any, identity: tuple, values: dict) -> int:
        """Return the primary key of the shared row for ``identity``, inserting it if absent.

        The row is found by its ``lookup`` column, a hash of the table name and ``identity``.
        """
        sa = import_sqlalchemy()
        key = _lookup(table.name, *identity)
        pk = next(iter(table.primary_key.columns))
        found = self.session.execute(sa.select(pk).where(table.c.lookup == key)).scalar()
        if found is not None:
            return found
        try:
            with self.session.begin_nested():
                result = self.session.execute(sa.insert(table).values(lookup=key, **values))
                return result.inserted_primary_key[0]
        except sa.exc.IntegrityError:
            # a concurrent writer inserted the same row first
            return self.session.execute(sa.select(pk).where(table.c.lookup == key)).scalar_one()

    def _link(self, table: Any, values: dict) -> None:
        sa = import_sqlalchemy()
        exists = self.session.execute(
            sa.select(sa.func.count())
            .select_from(table)
            .where(*[table.c[k] == v for k, v in values.items()])
        ).scalar()
        if exists:
            return
        try:
            with self.session.begin_nested():
                self.session.execute(sa.insert(table).values(**values))
        except sa.exc.IntegrityError:
            pass  # already linked by a concurrent writer

    def _host_id(self, host_info: dict) -> int:
        os_parts = list(host_info.get("os") or [None, None]) + [None, None]
        host_json = _json(host_info)
        return self._get_or_create(
            self.tables.host,
            (host_json,),
            {
                "cpu": host_info.get("cpu"),
                "hostname": host_info.get("hostname"),
                "os": os_parts[0],
                "os_info": os_parts[1],
                "python_version": host_info.get("python_version"),
                "host_info": host_json,
            },
        )

    def _experiment_id(self, ex_info: dict) -> int:
        t = self.tables
        base_dir = ex_info.get("base_dir") or ""
        sources = [(rel, md5) for rel, md5, *_ in ex_info.get("sources", [])]
        deps = list(ex_info.get("dependencies", []))
        repos = list(ex_info.get("repositories", []))
        identity = [
            ex_info.get("name"),
            base_dir,
            sources,
            deps,
            repos,
            ex_info.get("mainfile"),
            ex_info.get("doc"),
        ]
        md5sum = _md5(json.dumps(identity, sort_keys=True, default=str).encode())
        experiment_id = self._get_or_create(
            t.experiment,
            (md5sum,),
            {
                "name": ex_info.get("name"),
                "md5sum": md5sum,
                "base_dir": base_dir,
                "mainfile": ex_info.get("mainfile"),
                "doc": ex_info.get("doc"),
            },
        )
        for rel, md5 in sources:
            path = os.path.join(base_dir, rel)
            content = _read_text(path) if os.path.exists(path) else None
            values = {"filename": rel, "md5sum": md5, "content": content}
            self._attach(experiment_id, t.experiments_sources, t.source, (rel, md5), values)
        for dep in deps:
            name, _, version = str(dep).partition("==")
            values = {"name": name, "version": version or None}
            self._attach(experiment_id, t.experiments_dependencies, t.dependency, (dep,), values)
        for repo in repos:
            url, commit, dirty = repo.get("url"), repo.get("commit"), repo.get("dirty")
            values = {"url": mask_text(url), "commit": commit, "dirty": dirty}
            self._attach(
                experiment_id,
                t.experiments_repositories,
                t.repository,
                (url, commit, dirty),
                values,
            )
        return experiment_id

    def _attach(
        self, experiment_id: int, link_table: Any, table: Any, identity: tuple, values: dict
    ) -> None:
        """Link the experiment to the shared ``table`` row for ``identity`` (made if absent)."""
        row_id = self._get_or_create(table, identity, values)
        self._link(link_table, {"experiment_id": experiment_id, f"{table.name}_id": row_id})

    def _insert_run(self, _id: Any, fields: dict, claim_token: str | None = None) -> str:
        sa = import_sqlalchemy()
        run = self.tables.run
        if _id is not None and claim_token is not None and self._take_over_claimed(str(_id), fields, claim_token):
            return str(_id)
        if _id is not None:
            run_id = str(_id)
            try:
                with self.session.begin_nested():
                    self.session.execute(sa.insert(run).values(run_id=run_id, **fields))
            except sa.exc.IntegrityError:
                raise ObserverError(
                    f"SqlObserver: a run with id {run_id!r} already exists in {self.masked_url}"
                ) from None
            return run_id
        pk = self.session.execute(sa.insert(run).values(**fields)).inserted_primary_key[0]
        # the row's own auto-increment key is unique across writers; if an
        # explicitly given id already took that text, move past it
        for offset in range(1000):
            candidate = str(pk + offset)
            try:
                with self.session.begin_nested():
                    self.session.execute(
                        sa.update(run).where(run.c.id == pk).values(run_id=candidate)
                    )
                return candidate
            except sa.exc.IntegrityError:
                continue
        raise ObserverError(f"SqlObserver: no free run id found near {pk} in {self.masked_url}")

    def _take_over_claimed(self, run_id: str, fields: dict, token: str) -> bool:
        """Update the queued run ``run_id`` in place if a worker claimed it with ``token``."""
        sa = import_sqlalchemy()
        run = self.tables.run
        stored = self.session.execute(sa.select(run.c.meta).where(run.c.run_id == run_id)).scalar()
        from sacred.queueing import claim_token

        try:
            stored_token = claim_token(json.loads(stored)) if stored else None
        except ValueError:
            stored_token = None
        if stored_token != token:
            return False
        self.session.execute(sa.update(run).where(run.c.run_id == run_id).values(**fields))
        return True

    def _start(self, ex_info, command, host_info, config, meta_info, _id, fields) -> str:
        self.run_id = None  # until stored: later events must not touch an earlier run of this observer
        self._pending_metrics = []
        self._ensure_schema()
        with self._transaction("store the run"):
            fields = {
                "command": command,
                "config": _json(config),
                "meta": _json(mask_secrets(meta_info)),
                "priority": meta_info.get("priority"),
                "comment": meta_info.get("comment"),
                "captured_out": "",
                "info": _json({}),
                "host_id": self._host_id(host_info),
                "experiment_id": self._experiment_id(ex_info),
                **fields,
            }
            from sacred.queueing import claim_token

            self.run_id = self._insert_run(_id, fields, claim_token(meta_info))
        self._saved_out = ""
        return self.run_id

    def _update_run(self, **values: Any) -> None:
        sa = import_sqlalchemy()
        run = self.tables.run
        self.session.execute(sa.update(run).where(run.c.run_id == self.run_id).values(**values))

    def _output_update(self, captured_out: str | None) -> Any:
        """The new output as an append (``captured_out || suffix``) when only text was added."""
        captured_out = captured_out or ""
        saved = self._saved_out
        if saved is None or not captured_out.startswith(saved):
            return captured_out
        column = self.tables.run.c.captured_out
        return column + captured_out[len(saved) :]

    def _write_pending_metrics(self) -> None:
        if self._pending_metrics:
            sa = import_sqlalchemy()
            self.session.execute(sa.insert(self.tables.metric), self._pending_metrics)

    def _final_update(self, action: str, **values: Any) -> None:
        if self.run_id is None:
            return
        with self._transaction(action):
            self._write_pending_metrics()
            self._update_run(**values)
        self._pending_metrics = []

    # ------------------------------------------------------------------ events

    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):
        """Store the run with status QUEUED; returns its id."""
        fields = {"status": "QUEUED", "queue_time": queue_time}
        return self._start(ex_info, command, host_info, config, meta_info, _id, fields)

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        """Store the run (status RUNNING), its experiment, host and sources; returns its id."""
        fields = {"status": "RUNNING", "start_time": start_time}
        return self._start(ex_info, command, host_info, config, meta_info, _id, fields)

    def heartbeat_event(self, info, captured_out, beat_time, result):
        """Update info, output, heartbeat time and result; failures are only logged."""
        if self.run_id is None:
            return
        try:
            self._write_pending_metrics()
            self._update_run(
                info=_json(info or {}),
                captured_out=self._output_update(captured_out),
                heartbeat=beat_time,
                result=_numeric_result(result),
                result_json=_json(result),
            )
            self.session.commit()
            self._pending_metrics = []
            self._saved_out = captured_out
        except Exception as exc:  # noqa: BLE001 - a heartbeat must never kill the run
            self.session.rollback()
            logger.warning(
                "SqlObserver: heartbeat not saved to %s (%s); will retry",
                self.masked_url,
                mask_text(str(exc)).splitlines()[0] if str(exc) else type(exc).__name__,
            )

    def log_metrics(self, metrics_by_name, info):
        """Queue new metric points; they are written with the heartbeat that follows."""
        if self.run_id is None:
            return
        for name, series in metrics_by_name.items():
            for step, value, stamp in zip(
                series.get("steps", []),
                series.get("values", []),
                series.get("timestamps", []),
                strict=False,
            ):
                self._pending_metrics.append(
                    {
                        "run_id": self.run_id,
                        "name": name,
                        "step": int(step) if step is not None else None,
                        "value": _numeric_result(value),
                        "timestamp": stamp,
                    }
                )

    def completed_event(self, stop_time, result):
        """Mark the run COMPLETED with its result."""
        self._final_update(
            "mark the run completed",
            stop_time=stop_time,
            status="COMPLETED",
            result=_numeric_result(result),
            result_json=_json(result),
        )

    def interrupted_event(self, interrupt_time, status):
        """Mark the run with ``status`` (INTERRUPTED, TIMEOUT, ...)."""
        self._final_update("mark the run interrupted", stop_time=interrupt_time, status=status)

    def failed_event(self, fail_time, fail_trace):
        """Mark the run FAILED and keep its trace."""
        self._final_update(
            "mark the run failed",
            stop_time=fail_time,
            status="FAILED",
            fail_trace="".join(fail_trace or []),
        )

    def resource_event(self, filename):
        """Store the resource's content once and link it to the run."""
        if self.run_id is None:
            return
        content = _read_bytes(filename)
        md5sum = _md5(content)
        with self._transaction(f"store resource {filename}"):
            resource_id = self._get_or_create(
                self.tables.resource,
                (filename, md5sum),
                {"filename": filename, "md5sum": md5sum, "content": content},
            )
            self._link(
                self.tables.runs_resources, {"run_id": self.run_id, "resource_id": resource_id}
            )

    def artifact_event(self, name, filename, metadata=None, content_type=None):
        """Store the artifact's content with the run."""
        if self.run_id is None:
            return
        sa = import_sqlalchemy()
        content = _read_bytes(filename)
        with self._transaction(f"store artifact {name}"):
            self.session.execute(
                sa.insert(self.tables.artifact).values(
                    filename=name,
                    content=content,
                    run_id=self.run_id,
                    path=filename,
                    md5sum=_md5(content),
                    content_type=content_type,
                    artifact_metadata=_json(metadata) if metadata is not None else None,
                )
            )

    def join(self):
        """Write metric points still waiting for a heartbeat."""
        if self.run_id is None or not self._pending_metrics:
            return
        self._final_update("store metrics")

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SqlObserver):
            return self.masked_url == other.masked_url and self.tables.metadata.schema == (
                other.tables.metadata.schema
            )
        return NotImplemented

    __hash__ = RunObserver.__hash__
