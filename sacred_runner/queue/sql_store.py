"""Queued runs in an SQL database (SqlObserver tables), claimed inside one transaction.

PostgreSQL: ``SELECT ... WHERE status = 'QUEUED' ORDER BY priority DESC,
queue_time, id LIMIT n FOR UPDATE SKIP LOCKED``, then an ``UPDATE`` of the
chosen row in the same transaction. Rows another worker has locked are
skipped rather than waited for, so workers never block each other and never
take the same row. SQLite: the same statements in a ``BEGIN IMMEDIATE``
transaction (the SqlObserver's engines begin that way), which holds the
database's write lock from the first read, so claims are serialised.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sacred_runner.queue.base import (
    Claim,
    QueueStore,
    RunningRun,
    StoreUnavailable,
    WorkerIdentity,
    new_claim,
    utcnow,
)
from sacred_runner.queue.dead import attempt_meta, beat_interval_of

__all__ = ["SqlQueueStore"]

CANDIDATES_PER_CLAIM = 4
MAX_CANDIDATE_PAGES = 512


def _meta(text: Any) -> dict:
    try:
        meta = json.loads(text) if text else {}
    except ValueError:
        return {}
    return meta if isinstance(meta, dict) else {}


def _dump(meta: dict) -> str:
    from sacred.serializer import flatten

    return json.dumps(flatten(meta), sort_keys=True)


class SqlQueueStore(QueueStore):
    """The ``run`` table of a SqlObserver database as a queue."""

    def __init__(self, url: str) -> None:
        from sqlalchemy.orm import Session  # noqa: F401 - fail early when missing

        from sacred.masking import mask_text
        from sacred.observers.sql._engine import engine_from_url
        from sacred.observers.sql._schema import build_tables

        self.engine = engine_from_url(url)
        self.tables = build_tables()
        self.description = mask_text(url)
        self.is_postgres = self.engine.dialect.name == "postgresql"
        self._observer: Any = None
        self._tables_exist = False

    def _guard(self, action: Callable[[], Any]) -> Any:
        import sqlalchemy as sa

        try:
            return action()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as error:
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()
            raise StoreUnavailable(reason[0] if reason else type(error).__name__) from None
        except sa.exc.ProgrammingError as error:
            if "does not exist" in str(error) or "no such table" in str(error):
                return None  # no run was ever stored here: nothing queued
            raise

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the database answers."""
        import sqlalchemy as sa

        def probe() -> None:
            with self.engine.connect() as conn:
                conn.execute(sa.text("SELECT 1"))

        self._guard(probe)

    def _has_run_table(self, conn: Any) -> bool:
        import sqlalchemy as sa

        if not self._tables_exist:
            self._tables_exist = sa.inspect(conn).has_table("run")
        return self._tables_exist

    # ------------------------------------------------------------------ claims

    def claim(self, worker: WorkerIdentity, accept: Callable[[Any, dict], bool]) -> Claim | None:
        """Claim the first acceptable queued run in one transaction (see the module docstring)."""
        return self._guard(lambda: self._claim(worker, accept))

    def _claim(self, worker: WorkerIdentity, accept: Callable[[Any, dict], bool]) -> Claim | None:
        import sqlalchemy as sa

        run = self.tables.run
        with self.engine.begin() as conn:
            if not self._has_run_table(conn):
                return None
            for page in range(MAX_CANDIDATE_PAGES):
                query = (
                    sa.select(run.c.id, run.c.run_id, run.c.meta)
                    .where(run.c.status == "QUEUED")
                    .order_by(sa.func.coalesce(run.c.priority, 0).desc(), run.c.queue_time, run.c.id)
                    .limit(CANDIDATES_PER_CLAIM).offset(page * CANDIDATES_PER_CLAIM)
                )
                if self.is_postgres:
                    query = query.with_for_update(skip_locked=True, of=run)
                rows = conn.execute(query).all()
                for row in rows:
                    meta = _meta(row.meta)
                    if not accept(row.run_id, meta.get("queue")):
                        continue
                    meta, token = new_claim(meta, worker)
                    conn.execute(
                        sa.update(run).where(run.c.id == row.id)
                        .values(status="RUNNING", heartbeat=utcnow(), meta=_dump(meta))
                    )
                    return Claim(row.run_id, meta, token)
                if len(rows) < CANDIDATES_PER_CLAIM:
                    break
        return None

    def make_observer(self) -> Any:
        """A SqlObserver sharing this store's engine (created once: it checks the tables once)."""
        if self._observer is None:
            from sqlalchemy.orm import Session

            from sacred.observers.sql import SqlObserver

            self._observer = SqlObserver.create_from(self.engine, Session(self.engine))
        return self._observer

    def end_claimed(self, claim: Claim, status: str, reason: str) -> None:
        """``status``, with the reason as the trace."""
        import sqlalchemy as sa

        run = self.tables.run

        def update() -> None:
            with self.engine.begin() as conn:
                conn.execute(
                    sa.update(run).where(run.c.run_id == str(claim.run_id))
                    .values(status=status, stop_time=utcnow(), fail_trace=reason.rstrip("\n") + "\n")
                )

        self._guard(update)

    def stored_sources(self, claim: Claim) -> dict[str, bytes]:
        """The sources linked to the run's experiment row."""
        import sqlalchemy as sa

        t = self.tables

        def read() -> dict[str, bytes]:
            with self.engine.connect() as conn:
                experiment_id = conn.execute(
                    sa.select(t.run.c.experiment_id).where(t.run.c.run_id == str(claim.run_id))
                ).scalar()
                rows = conn.execute(
                    sa.select(t.source.c.filename, t.source.c.content)
                    .join(t.experiments_sources, t.experiments_sources.c.source_id == t.source.c.source_id)
                    .where(t.experiments_sources.c.experiment_id == experiment_id)
                ).all()
            return {row.filename: row.content.encode("utf-8") for row in rows if row.content is not None}

        return self._guard(read) or {}

    # ------------------------------------------------------------------ dead runs

    def running_runs(self) -> list[RunningRun]:
        """RUNNING runs with their heartbeats."""
        import sqlalchemy as sa

        run = self.tables.run

        def read() -> list[RunningRun]:
            with self.engine.connect() as conn:
                if not self._has_run_table(conn):
                    return []
                rows = conn.execute(
                    sa.select(run.c.run_id, run.c.heartbeat, run.c.start_time, run.c.meta)
                    .where(run.c.status == "RUNNING")
                ).all()
            found = []
            for row in rows:
                meta = _meta(row.meta)
                stamp = row.heartbeat or row.start_time
                found.append(RunningRun(row.run_id, stamp, beat_interval_of(meta), meta,
                                        (row.heartbeat, row.start_time)))
            return found

        return self._guard(read) or []

    def stored_run(self, run_id: Any) -> tuple[dict, dict] | None:
        """The run's experiment row (with its sources) and config."""
        import sqlalchemy as sa

        t = self.tables

        def read() -> tuple[dict, dict] | None:
            with self.engine.connect() as conn:
                row = conn.execute(
                    sa.select(t.run.c.config, t.experiment.c.experiment_id, t.experiment.c.name,
                              t.experiment.c.base_dir, t.experiment.c.mainfile)
                    .join(t.experiment, t.experiment.c.experiment_id == t.run.c.experiment_id, isouter=True)
                    .where(t.run.c.run_id == str(run_id))
                ).first()
                if row is None:
                    return None
                sources = conn.execute(
                    sa.select(t.source.c.filename, t.source.c.md5sum)
                    .join(t.experiments_sources, t.experiments_sources.c.source_id == t.source.c.source_id)
                    .where(t.experiments_sources.c.experiment_id == row.experiment_id)
                ).all()
            config = _meta(row.config)
            experiment = {"name": row.name, "base_dir": row.base_dir, "mainfile": row.mainfile,
                          "sources": [[s.filename, s.md5sum] for s in sources]}
            return experiment, config

        return self._guard(read)

    def requeue_dead(self, run: RunningRun, record: dict | None, reason: str = "") -> Any:
        """In one transaction: RUNNING -> DEAD if the heartbeat is unchanged, and the next attempt."""
        return self._guard(lambda: self._requeue_dead(run, record, reason))

    def _requeue_dead(self, dead: RunningRun, record: dict | None, reason: str) -> Any:
        import sqlalchemy as sa

        run = self.tables.run
        heartbeat, start_time = dead.stamp
        with self.engine.begin() as conn:
            query = sa.select(run).where(run.c.run_id == str(dead.run_id), run.c.status == "RUNNING")
            if self.is_postgres:
                query = query.with_for_update()
            row = conn.execute(query).first()
            if row is None or row.heartbeat != heartbeat or row.start_time != start_time:
                return None
            now = utcnow()
            meta = _meta(row.meta)
            meta["dead"] = {"time": now.isoformat(), "last_beat": str(heartbeat or start_time)}
            if record is None:
                if reason:
                    meta["dead"]["reason"] = reason
                conn.execute(sa.update(run).where(run.c.id == row.id).values(status="DEAD", meta=_dump(meta)))
                return True
            new_meta = attempt_meta(meta, dead.run_id, record)
            new_meta["queue_time"] = now.isoformat()
            pk = conn.execute(sa.insert(run).values(
                command=row.command, config=row.config, meta=_dump(new_meta), priority=row.priority,
                comment=row.comment, host_id=row.host_id, experiment_id=row.experiment_id,
                status="QUEUED", queue_time=now, captured_out="", info="{}",
            )).inserted_primary_key[0]
            new_id = self._free_run_id(conn, pk)
            meta["requeued_as"] = new_id
            conn.execute(sa.update(run).where(run.c.id == row.id).values(status="DEAD", meta=_dump(meta)))
            return new_id

    def _free_run_id(self, conn: Any, pk: int) -> str:
        """Give the new row ``pk`` the text id ``str(pk)`` (or the next free one), as SqlObserver does."""
        import sqlalchemy as sa

        run = self.tables.run
        for offset in range(1000):
            candidate = str(pk + offset)
            taken = conn.execute(sa.select(run.c.id).where(run.c.run_id == candidate)).first()
            if taken is None:
                conn.execute(sa.update(run).where(run.c.id == pk).values(run_id=candidate))
                return candidate
        raise RuntimeError(f"no free run id near {pk} in {self.description}")

    def close(self) -> None:
        """Dispose of the engine."""
        if self._observer is not None:
            self._observer.session.close()
        self.engine.dispose()
