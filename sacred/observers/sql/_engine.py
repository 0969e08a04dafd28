"""Connecting the SqlObserver: an engine from a URL, the sacred tables, readable errors.

Several processes may create the tables at the same moment: creation is
serialised with an advisory lock on PostgreSQL and retried elsewhere. SQLite
engines begin their transactions as ``BEGIN IMMEDIATE`` and wait for other
writers instead of failing with "database is locked".
"""

from __future__ import annotations

import os
import time
from typing import Any

from sacred.masking import mask_text
from sacred.observers._backend_import import import_backend
from sacred.utils import ObserverError

__all__ = ["create_tables", "database_error", "engine_from_url", "import_sqlalchemy"]

DRIVER_HINTS = {
    "postgresql": "pip install sacred[postgres] (psycopg 3; psycopg2 works too)",
    "mysql": "pip install mysqlclient",
}
CREATE_ATTEMPTS = 8
ADVISORY_LOCK_KEY = 0x5AC2ED  # any constant shared by all SqlObservers


def import_sqlalchemy() -> Any:
    """Import sqlalchemy, or say that ``pip install sacred[sql]`` installs it."""
    return import_backend("sqlalchemy", needed_by="The SQL observer", extra="sql")


def database_error(masked_url: str, action: str, exc: BaseException) -> ObserverError:
    """An ObserverError saying which ``action`` failed at ``masked_url`` and why (no passwords)."""
    reason = mask_text(str(getattr(exc, "orig", None) or exc)).strip()
    return ObserverError(f"SqlObserver could not {action} at {masked_url}: {reason}")


def _with_installed_postgres_driver(parsed: Any) -> Any:
    """A bare ``postgresql://`` URL with the driver that is installed.

    SQLAlchemy 2.1 reads ``postgresql://`` as ``postgresql+psycopg`` (psycopg 3, what
    ``sacred[postgres]`` installs); older setups have psycopg2 only. Explicit
    ``postgresql+DRIVER://`` URLs are left alone.
    """
    if parsed.drivername != "postgresql":
        return parsed
    import importlib.util

    for module, driver in (("psycopg", "psycopg"), ("psycopg2", "psycopg2")):
        try:
            found = importlib.util.find_spec(module) is not None
        except (ImportError, ValueError):  # a module set to None in sys.modules
            found = False
        if found:
            return parsed.set(drivername=f"postgresql+{driver}")
    return parsed


def engine_from_url(url: Any) -> Any:
    """A SQLAlchemy engine for ``url``; a clear ValueError or ImportError if it cannot be made."""
    sa = import_sqlalchemy()
    if not isinstance(url, str) or not url.strip():
        raise ValueError(
            f"SqlObserver needs a database URL such as sqlite:///runs.db or "
            f"postgresql://user:password@host/db, got {url!r}"
        )
    masked_url = mask_text(url)
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError:
        raise ValueError(
            f"SqlObserver: {masked_url!r} is not a database URL; expected "
            "dialect[+driver]://user:password@host:port/database, e.g. sqlite:///runs.db"
        ) from None
    parsed = _with_installed_postgres_driver(parsed)
    kwargs: dict[str, Any] = {}
    is_sqlite = parsed.get_backend_name() == "sqlite"
    if is_sqlite:
        # wait for other writers instead of failing with "database is locked"
        kwargs["connect_args"] = {"timeout": 60}
        if parsed.database:
            directory = os.path.dirname(os.path.abspath(parsed.database))
            if not os.path.isdir(directory):
                raise ValueError(
                    f"SqlObserver: the directory of the SQLite file in {masked_url!r} "
                    f"does not exist ({directory})"
                )
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = sa.create_engine(parsed, **kwargs)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        backend = parsed.get_backend_name()
        hint = DRIVER_HINTS.get(backend, f"install the driver for {parsed.drivername}")
        raise ImportError(
            f"SqlObserver cannot load the database driver for {masked_url} ({exc}); {hint}"
        ) from None
    if is_sqlite:
        _use_immediate_transactions(engine)
    return engine


def create_tables(engine: Any, metadata: Any, masked_url: str) -> None:
    """Create ``metadata``'s schema and tables unless they exist, racing other processes safely."""
    sa = import_sqlalchemy()
    last_error: BaseException | None = None
    for attempt in range(CREATE_ATTEMPTS):
        try:
            with engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_LOCK_KEY}
                    )
                if metadata.schema and conn.dialect.name != "sqlite":
                    conn.execute(sa.schema.CreateSchema(metadata.schema, if_not_exists=True))
                metadata.create_all(conn, checkfirst=True)
            return
        except sa.exc.OperationalError as exc:
            if not _is_race(exc):
                raise database_error(masked_url, "connect to the database", exc) from None
            last_error = exc
        except (sa.exc.ProgrammingError, sa.exc.IntegrityError) as exc:
            last_error = exc  # another process created the same table meanwhile
        time.sleep(0.05 * (attempt + 1))
    raise database_error(masked_url, "create the sacred tables", last_error)  # type: ignore[arg-type]


def _use_immediate_transactions(engine: Any) -> None:
    """Let SQLAlchemy, not pysqlite, begin SQLite transactions, as ``BEGIN IMMEDIATE``.

    pysqlite's own transaction handling breaks SAVEPOINTs; and a deferred
    transaction that reads before it writes fails at once with "database is
    locked" when another process writes, instead of waiting for it.
    """
    from sqlalchemy import event

    @event.listens_for(engine, "connect")
    def _no_pysqlite_transactions(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin_immediate(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def _is_race(exc: BaseException) -> bool:
    """True for errors that mean another process is creating the same tables."""
    text = str(getattr(exc, "orig", exc)).lower()
    return "already exists" in text or "database is locked" in text
