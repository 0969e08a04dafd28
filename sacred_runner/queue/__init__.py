"""Claiming queued runs, one module per store, behind one small interface.

``open_queue_store(spec)`` turns what the user typed (a FileStorage folder, a
``mongodb://`` URL, an SQL URL) into a :class:`~sacred_runner.queue.base.QueueStore`;
:mod:`sacred_runner.queue_worker` drives it. See ``docs/queue.md``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.queue.base import Claim, QueueStore, RunningRun, StoreUnavailable, WorkerIdentity

__all__ = [
    "Claim",
    "QueueStore",
    "RunningRun",
    "StoreUnavailable",
    "WorkerIdentity",
    "STORE_FORMS",
    "open_queue_store",
]

STORE_FORMS = (
    "a FileStorage folder (e.g. runs/), mongodb://HOST:PORT/DATABASE, "
    "sqlite:///PATH.db or postgresql://USER@HOST:PORT/DATABASE"
)
_SQL_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb")


def _mongo_store(spec: str) -> QueueStore:
    from pymongo.errors import ConfigurationError, InvalidURI

    from sacred_runner.queue.mongo_store import MongoQueueStore

    try:
        from pymongo.uri_parser import parse_uri

        parsed = parse_uri(spec)
    except (InvalidURI, ConfigurationError, ValueError) as error:
        raise UsageError(f"store {spec!r} is not a valid MongoDB URL ({error}); use {STORE_FORMS}") from None
    database = parsed.get("database") or "sacred"
    collection = parsed.get("collection") or "runs"
    return MongoQueueStore(spec, database, collection)


def _sql_store(spec: str) -> QueueStore:
    from sacred_runner.queue.sql_store import SqlQueueStore

    try:
        return SqlQueueStore(spec)
    except (ValueError, ImportError) as error:
        raise UsageError(f"store {spec!r}: {error}") from None


def _file_store(spec: str, invocation_dir: Path) -> QueueStore:
    from sacred_runner.queue.file_store import FileQueueStore

    path = (invocation_dir / spec).resolve()
    if not path.exists():
        raise UsageError(f"store {spec!r} does not exist; use {STORE_FORMS}")
    if not path.is_dir():
        raise UsageError(f"store {spec!r} is not a folder; use {STORE_FORMS}")
    if (path / "metadata.json").is_file() and (path / "hashfs").is_dir():
        raise UsageError(f"store {spec!r} is a TinyDB store, which workers do not serve; use {STORE_FORMS}")
    if not os.access(path, os.W_OK | os.X_OK):
        raise UsageError(f"store {spec!r} is not writable")
    return FileQueueStore(str(path))


def open_queue_store(spec: str, invocation_dir: Path | None = None, check: bool = True) -> QueueStore:
    """The queue store ``spec`` names; :class:`UsageError` if it does not parse or cannot be reached."""
    invocation_dir = Path(invocation_dir or Path.cwd())
    text = spec.strip()
    scheme = text.split("://", 1)[0].split("+", 1)[0].lower() if "://" in text else ""
    if scheme in ("mongodb", "mongodb+srv") or text.startswith("mongodb+srv://"):
        store: Any = _mongo_store(text)
    elif scheme in _SQL_SCHEMES:
        store = _sql_store(text)
    elif scheme:
        raise UsageError(f"store {spec!r}: unknown scheme {scheme + '://'!r}; use {STORE_FORMS}")
    else:
        store = _file_store(text, invocation_dir)
    if check and hasattr(store, "ping"):
        try:
            store.ping()
        except StoreUnavailable as error:
            store.close()
            raise UsageError(f"cannot reach store {store.description}: {error}") from None
    return store
