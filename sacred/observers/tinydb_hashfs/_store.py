"""Where the TinyDB observer keeps run documents: ``metadata.json`` and its lock.

* :class:`LockedJsonFile`: the observer's own writer. Every write happens under
  an exclusive ``fcntl.flock`` on ``metadata.json.lock``, re-reads the file
  only if another process changed it, reuses the serialised text of every
  other run and replaces the file atomically.
* :class:`TinyDbTable`: writes through a user-supplied ``TinyDB`` instead
  (``TinyDbObserver.create_from``), without file locking.
* :func:`get_db_file_manager`: a ``(TinyDB, HashFS)`` pair that decodes the tags.
* :func:`load_documents`: the runs table as TinyDB Documents, for the reader.
"""

from __future__ import annotations

import copy
import errno
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sacred.observers.tinydb_hashfs._encoding import (
    DateTimeSerializer,
    FileSerializer,
    decode_dates,
    dump_document,
    encode_tags,
)
from sacred.observers.tinydb_hashfs._files import (
    import_tinydb_backend,
    make_hashfs,
    replace_atomically,
)
from sacred.utils import ObserverError

__all__ = [
    "RUNS_TABLE",
    "LockedJsonFile",
    "TinyDbAccess",
    "TinyDbTable",
    "get_db_file_manager",
    "load_documents",
]

RUNS_TABLE = "runs"


def get_db_file_manager(root_dir: str) -> tuple[Any, Any]:
    """Return ``(TinyDB, HashFS)`` for ``root_dir``, set up as the observer uses them.

    The pair can be passed to :meth:`TinyDbObserver.create_from`.
    """
    tinydb, tinydb_serialization, _ = import_tinydb_backend()
    root_dir = os.path.abspath(root_dir)
    os.makedirs(root_dir, exist_ok=True)
    fs = make_hashfs(root_dir)
    storage = tinydb_serialization.SerializationMiddleware(tinydb.JSONStorage)
    storage.register_serializer(DateTimeSerializer(), "TinyDate")
    storage.register_serializer(FileSerializer(fs), "TinyFile")
    db = tinydb.TinyDB(os.path.join(root_dir, "metadata.json"), storage=storage)
    return db, fs


class TinyDbAccess:
    """Gives an object with a ``root`` directory (and ``_db``) TinyDB handles on its store."""

    root: str | None
    _db: Any

    @property
    def db(self) -> Any:
        """A TinyDB handle on the database, dates and files decoded (opened on first use)."""
        if self._db is None:
            self._db, _ = get_db_file_manager(self.root)
        return self._db

    @property
    def runs(self) -> Any:
        """The TinyDB ``runs`` table."""
        return self.db.table(RUNS_TABLE)


class LockedJsonFile:
    """A TinyDB JSON file written under an inter-process lock, with cached fragments.

    ``_tables`` maps table name -> {doc_id: serialised document}. After our own
    write we remember the file's identity and a token stored in the lock file;
    if both still match under the lock, nobody else wrote and the cache is
    current, so the (large) file is not parsed again.
    """

    def __init__(self, path: str, lock_timeout: float = 60.0) -> None:
        self.path = path
        self.lock_path = path + ".lock"
        self.lock_timeout = lock_timeout
        self._tables: dict[str, dict[str, str]] = {}
        self._run_ids: dict[str, Any] = {}
        self._signature: tuple | None = None

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the exclusive lock and bring the cache up to date with the file."""
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._acquire(fd)
            self._lock_fd = fd
            self._refresh(fd)
            yield
        finally:
            self._lock_fd = -1
            os.close(fd)  # closing the descriptor releases the flock

    def _acquire(self, fd: int) -> None:
        deadline = time.monotonic() + self.lock_timeout
        delay = 0.001
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
            if time.monotonic() > deadline:
                raise ObserverError(
                    f"Could not lock {self.lock_path} within {self.lock_timeout} s; "
                    "another process holds it. Remove the lock file only if no run is writing."
                )
            time.sleep(delay)
            delay = min(delay * 2, 0.05)

    def _file_identity(self) -> tuple | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def _refresh(self, fd: int) -> None:
        token = os.pread(fd, 64, 0)
        signature = (token, self._file_identity())
        if self._signature is not None and signature == self._signature:
            return
        self._tables = {}
        self._run_ids = {}
        data = self.read_tables()
        for table_name, table in data.items():
            self._tables[table_name] = {str(k): json.dumps(v) for k, v in table.items()}
            if table_name == RUNS_TABLE:
                self._run_ids = {str(k): v.get("_id") for k, v in table.items()}
        self._signature = signature

    def read_tables(self) -> dict:
        """The file's ``{table: {doc_id: document}}`` as stored ({} if empty or absent)."""
        try:
            with open(self.path, encoding="utf-8") as f:
                text = f.read()
        except FileNotFoundError:
            return {}
        if not text.strip():
            return {}
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ObserverError(
                f"{self.path} is not a valid TinyDB JSON file ({exc}); "
                "fix or move it, or point the observer at another directory"
            ) from None
        if not isinstance(data, dict) or not all(isinstance(t, dict) for t in data.values()):
            raise ObserverError(
                f"{self.path} is not a TinyDB file: expected {{table: {{id: document}}}}"
            )
        return data

    def find_run(self, run_id: Any) -> str | None:
        """The doc id of the run document with ``_id == run_id``, or None (call under lock)."""
        return next((k for k, v in self._run_ids.items() if v == run_id), None)

    def put_run(self, doc_id: str | None, document: dict) -> str:
        """Insert (doc_id None) or replace a run document and write the file (under lock)."""
        table = self._tables.setdefault(RUNS_TABLE, {})
        if doc_id is None:
            doc_id = str(max((int(k) for k in table), default=0) + 1)
        table[doc_id] = dump_document(document)
        self._run_ids[doc_id] = document.get("_id")
        self._write()
        return doc_id

    def _write(self) -> None:
        parts = []
        for table_name, docs in self._tables.items():
            inner = ", ".join(f"{json.dumps(doc_id)}: {text}" for doc_id, text in docs.items())
            parts.append(f"{json.dumps(table_name)}: {{{inner}}}")
        text = "{" + ", ".join(parts) + "}"
        try:
            replace_atomically(
                self.path, lambda f: f.write(text.encode()), prefix=".metadata-", suffix=".tmp"
            )
        except BaseException:
            self._signature = None
            raise
        token = uuid.uuid4().hex.encode()
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, token, 0)
        self._signature = (token, self._file_identity())


class TinyDbTable:
    """Writes run documents through a user-supplied TinyDB (``create_from``)."""

    def __init__(self, db: Any) -> None:
        self.runs = db.table(RUNS_TABLE)
        # Without the serialization middleware the storage only takes JSON:
        # hand it the tagged strings the middleware would have written.
        storage = getattr(db, "storage", None)
        self._serializes = hasattr(storage, "register_serializer")

    def _prepare(self, document: dict) -> dict:
        return copy.deepcopy(document) if self._serializes else encode_tags(document)

    @contextmanager
    def locked(self) -> Iterator[None]:
        """No lock: the user's TinyDB is not shared with other processes by us."""
        yield

    def find_run(self, run_id: Any) -> str | None:
        """The doc id of the run document with ``_id == run_id``, or None."""
        return next((str(d.doc_id) for d in self.runs.all() if d.get("_id") == run_id), None)

    def put_run(self, doc_id: str | None, document: dict) -> str:
        """Insert (doc_id None) or replace a run document; return its doc id."""
        if doc_id is None:
            return str(self.runs.insert(self._prepare(document)))
        prepared = self._prepare(document)
        self.runs.update(lambda doc: doc.clear() or doc.update(prepared), doc_ids=[int(doc_id)])
        return doc_id


def load_documents(path: str) -> list[Any]:
    """Read the runs table as TinyDB Documents ordered by doc id, dates decoded."""
    from tinydb.table import Document

    store = LockedJsonFile(path)
    data = store.read_tables()
    table = data.get(RUNS_TABLE, {})
    docs = []
    for doc_id in sorted(table, key=int):
        docs.append(Document(decode_dates(table[doc_id]), doc_id=int(doc_id)))
    return docs
