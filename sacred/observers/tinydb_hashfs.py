"""TinyDbObserver and TinyDbReader: runs in a TinyDB JSON file, files in a HashFS store.

Layout of ``basedir``::

    basedir/
        metadata.json        TinyDB database, table "runs" (one document per run)
        metadata.json.lock   inter-process lock (fcntl.flock) guarding every write
        hashfs/ab/cd/ef/...  sources, resources and artifacts, stored once by md5

Dates are stored as ``"{TinyDate}:<isoformat>"`` and files as
``"{TinyFile}:\\"<md5>\\""`` (the tinydb-serialization convention), so the file
reads back with ``tinydb`` + ``tinydb-serialization`` exactly as Sacred 0.8.7
wrote it. Metric points, which Sacred 0.8.7 did not keep here, are stored in
the run's entry under ``"metrics"``:
``{name: {"steps": [...], "values": [...], "timestamps": [TinyDate, ...]}}``
(the key is present only once a metric was logged).

Cost per run stays flat as the database grows: heartbeats update the entry in
memory and the file is rewritten only when the run starts, ends, and at most
every ``flush_interval`` seconds in between. Each rewrite happens under an
exclusive lock, re-reads the file only if another process changed it, reuses
the already-serialised text of every other run, and replaces the file
atomically (temp file + rename). Several processes may share one basedir.
"""

from __future__ import annotations

import copy
import datetime as _dt
import errno
import fcntl
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sacred.observers.backend_import import import_backends
from sacred.observers.base import RunObserver
from sacred.observers.stored_values import mask_secrets
from sacred.serializer import flatten
from sacred.utils import ObserverError

__all__ = [
    "TinyDbObserver",
    "TinyDbReader",
    "StoredFile",
    "BufferedReaderWrapper",
    "DateTimeSerializer",
    "FileSerializer",
    "get_db_file_manager",
]

logger = logging.getLogger(__name__)

RUNS_TABLE = "runs"
DATE_TAG = "{TinyDate}:"
FILE_TAG = "{TinyFile}:"
HASHFS_DEPTH = 3
HASHFS_WIDTH = 2
HASHFS_ALGORITHM = "md5"


def _import_backend() -> list[Any]:
    """Import tinydb, tinydb_serialization and hashfs, or say which extra installs them."""
    return import_backends(
        "tinydb",
        "tinydb_serialization",
        "hashfs",
        needed_by="The TinyDB observer",
        extra="tinydb",
        packages=["tinydb", "tinydb-serialization", "hashfs"],
    )


def _make_hashfs(root: str) -> Any:
    _, _, hashfs = _import_backend()
    return hashfs.HashFS(
        os.path.join(root, "hashfs"),
        depth=HASHFS_DEPTH,
        width=HASHFS_WIDTH,
        algorithm=HASHFS_ALGORITHM,
    )


# --------------------------------------------------------------------------- files


class StoredFile:
    """A reference to a file in the HashFS store (encoded as ``{TinyFile}``)."""

    def __init__(self, hash_id: str, path: str | None = None) -> None:
        self.hash_id = hash_id
        self.path = path

    def open(self) -> BufferedReaderWrapper:
        """Open the stored file for reading (binary)."""
        if self.path is None:
            raise FileNotFoundError(f"Stored file {self.hash_id} has no known location")
        return BufferedReaderWrapper(open(self.path, "rb"))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredFile) and other.hash_id == self.hash_id

    def __hash__(self) -> int:
        return hash(self.hash_id)

    def __repr__(self) -> str:
        return f"StoredFile({self.hash_id!r})"


class BufferedReaderWrapper(io.BufferedReader):
    """A binary read handle on a stored file that survives ``copy``/``deepcopy``.

    TinyDB copies documents; a copy reopens the same file instead of failing.
    """

    def __init__(self, f_obj: io.BufferedReader | io.FileIO) -> None:
        # detach: the raw file then belongs to this wrapper alone, so the
        # original buffered object being collected does not close it
        raw = f_obj.detach() if isinstance(f_obj, io.BufferedReader) else f_obj
        super().__init__(raw)

    def __copy__(self) -> BufferedReaderWrapper:
        return BufferedReaderWrapper(open(self.name, "rb"))

    def __deepcopy__(self, memo: dict) -> BufferedReaderWrapper:
        return self.__copy__()

    def __repr__(self) -> str:
        return f"<BufferedReaderWrapper name={self.name!r}>"


def _hash_id_from_path(path: str) -> str:
    parts = os.path.normpath(path).split(os.sep)
    return "".join(parts[-(HASHFS_DEPTH + 1) :])


class DateTimeSerializer:
    """tinydb-serialization serializer for ``datetime`` (tag ``TinyDate``)."""

    OBJ_CLASS = _dt.datetime

    def encode(self, obj: _dt.datetime) -> str:
        """Return the ISO format of ``obj``."""
        return obj.isoformat()

    def decode(self, s: str) -> _dt.datetime:
        """Parse an ISO formatted date."""
        return _dt.datetime.fromisoformat(s)


class FileSerializer:
    """tinydb-serialization serializer for stored files (tag ``TinyFile``).

    Encodes a :class:`StoredFile` (or a handle opened on a HashFS file) as the
    JSON string of its hash; decodes to a :class:`BufferedReaderWrapper`.
    """

    OBJ_CLASS = (StoredFile, io.BufferedReader)

    def __init__(self, fs: Any) -> None:
        self.fs = fs

    def encode(self, obj: Any) -> str:
        """Return ``'"<hash>"'`` for a stored file."""
        if isinstance(obj, StoredFile):
            return json.dumps(obj.hash_id)
        return json.dumps(_hash_id_from_path(obj.name))

    def decode(self, s: str) -> Any:
        """Open the stored file named by ``s`` for reading (None if it is gone)."""
        hash_id = json.loads(s)
        address = self.fs.get(hash_id)
        if address is None:
            logger.warning("Stored file %s is missing from %s", hash_id, self.fs.root)
            return None
        return BufferedReaderWrapper(open(address.abspath, "rb"))


def get_db_file_manager(root_dir: str) -> tuple[Any, Any]:
    """Return ``(TinyDB, HashFS)`` for ``root_dir``, set up as the observer uses them.

    The pair can be passed to :meth:`TinyDbObserver.create_from`.
    """
    tinydb, tinydb_serialization, _ = _import_backend()
    root_dir = os.path.abspath(root_dir)
    os.makedirs(root_dir, exist_ok=True)
    fs = _make_hashfs(root_dir)
    storage = tinydb_serialization.SerializationMiddleware(tinydb.JSONStorage)
    storage.register_serializer(DateTimeSerializer(), "TinyDate")
    storage.register_serializer(FileSerializer(fs), "TinyFile")
    db = tinydb.TinyDB(os.path.join(root_dir, "metadata.json"), storage=storage)
    return db, fs


def put_file(fs: Any, filename: str) -> StoredFile:
    """Store ``filename`` in ``fs`` by its content hash, atomically; return the reference.

    Concurrent writers of the same content are safe: the content is written
    to a temp file in the target directory and renamed into place.
    """
    digest = hashlib.new(fs.algorithm)
    with open(filename, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    hash_id = digest.hexdigest()
    target = fs.idpath(hash_id)
    if not os.path.isfile(target):
        directory = os.path.dirname(target)
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, open(filename, "rb") as src:
                for chunk in iter(lambda: src.read(1 << 20), b""):
                    out.write(chunk)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return StoredFile(hash_id, target)


# --------------------------------------------------------------------------- encoding


def _to_storable(value: Any) -> Any:
    """Make ``value`` JSON-ready, keeping datetimes and stored files for tagging."""
    if isinstance(value, (str, int, float, bool, type(None), _dt.datetime, StoredFile)):
        return value
    if isinstance(value, dict):
        return {
            (k if isinstance(k, str) else str(flatten(k))): _to_storable(v)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_to_storable(v) for v in value]
    return flatten(value)


def _encode_tags(value: Any) -> Any:
    """Replace datetimes and stored files by their tagged strings."""
    if isinstance(value, _dt.datetime):
        return DATE_TAG + value.isoformat()
    if isinstance(value, StoredFile):
        return FILE_TAG + json.dumps(value.hash_id)
    if isinstance(value, dict):
        return {k: _encode_tags(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode_tags(v) for v in value]
    return value


def _decode_dates(value: Any) -> Any:
    """Turn ``{TinyDate}`` strings back into datetimes (files stay tagged strings)."""
    if isinstance(value, str):
        if value.startswith(DATE_TAG):
            try:
                return _dt.datetime.fromisoformat(value[len(DATE_TAG) :])
            except ValueError:
                return value
        return value
    if isinstance(value, dict):
        return {k: _decode_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_dates(v) for v in value]
    return value


def _decode_files(value: Any, fs: Any) -> Any:
    """Turn ``{TinyFile}`` strings into open read handles on the stored files."""
    if isinstance(value, str):
        if value.startswith(FILE_TAG):
            return FileSerializer(fs).decode(value[len(FILE_TAG) :])
        return value
    if isinstance(value, dict):
        return {k: _decode_files(v, fs) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode_files(v, fs) for v in value]
    return value


def _dump(value: Any) -> str:
    return json.dumps(_encode_tags(value))


# --------------------------------------------------------------------------- storage


class _LockedJsonFile:
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
        data = self._read_raw()
        for table_name, table in data.items():
            self._tables[table_name] = {str(k): json.dumps(v) for k, v in table.items()}
            if table_name == RUNS_TABLE:
                self._run_ids = {str(k): v.get("_id") for k, v in table.items()}
        self._signature = signature

    def _read_raw(self) -> dict:
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
        table[doc_id] = _dump(document)
        self._run_ids[doc_id] = document.get("_id")
        self._write()
        return doc_id

    def _write(self) -> None:
        parts = []
        for table_name, docs in self._tables.items():
            inner = ", ".join(f"{json.dumps(doc_id)}: {text}" for doc_id, text in docs.items())
            parts.append(f"{json.dumps(table_name)}: {{{inner}}}")
        text = "{" + ", ".join(parts) + "}"
        directory = os.path.dirname(self.path)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".metadata-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            self._signature = None
            raise
        token = uuid.uuid4().hex.encode()
        os.ftruncate(self._lock_fd, 0)
        os.pwrite(self._lock_fd, token, 0)
        self._signature = (token, self._file_identity())


class _TinyDbTable:
    """Writes run documents through a user-supplied TinyDB (``create_from``)."""

    def __init__(self, db: Any) -> None:
        self.runs = db.table(RUNS_TABLE)
        # Without the serialization middleware the storage only takes JSON:
        # hand it the tagged strings the middleware would have written.
        storage = getattr(db, "storage", None)
        self._serializes = hasattr(storage, "register_serializer")

    def _prepare(self, document: dict) -> dict:
        return copy.deepcopy(document) if self._serializes else _encode_tags(document)

    @contextmanager
    def locked(self) -> Iterator[None]:
        yield

    def find_run(self, run_id: Any) -> str | None:
        return next((str(d.doc_id) for d in self.runs.all() if d.get("_id") == run_id), None)

    def put_run(self, doc_id: str | None, document: dict) -> str:
        if doc_id is None:
            return str(self.runs.insert(self._prepare(document)))
        prepared = self._prepare(document)
        self.runs.update(lambda doc: doc.clear() or doc.update(prepared), doc_ids=[int(doc_id)])
        return doc_id


# --------------------------------------------------------------------------- observer


def _format_version() -> str:
    from sacred import __version__

    return f"TinyDbObserver-{__version__}"


class TinyDbObserver(RunObserver):
    """Store runs in ``basedir/metadata.json`` (TinyDB) and files in ``basedir/hashfs``.

    A run started with the ``_id`` of a stored run is refused unless
    ``overwrite`` is true, in which case it replaces that run's entry.

    ``flush_interval`` bounds how often heartbeats rewrite the file (seconds);
    the start and the end of a run are always written at once.
    """

    def __init__(
        self,
        path: str = "./runs_db",
        overwrite: Any = None,
        *,
        flush_interval: float = 30.0,
        lock_timeout: float = 60.0,
    ) -> None:
        _import_backend()
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"TinyDbObserver(path) needs a directory path (str or os.PathLike), got {path!r}"
            )
        root = os.path.abspath(os.fspath(path))
        if os.path.exists(root) and not os.path.isdir(root):
            raise ObserverError(f"TinyDbObserver: {root} exists and is not a directory")
        os.makedirs(root, exist_ok=True)
        self.root = root
        self.fs = _make_hashfs(root)
        self._store: _LockedJsonFile | _TinyDbTable = _LockedJsonFile(
            os.path.join(root, "metadata.json"), lock_timeout=lock_timeout
        )
        self._db = None
        self._init_state(overwrite, flush_interval)

    @classmethod
    def create_from(cls, db: Any, fs: Any, overwrite: Any = None) -> TinyDbObserver:
        """Build an observer on an existing ``TinyDB`` and ``HashFS`` (no file locking)."""
        _import_backend()
        self = cls.__new__(cls)
        self.root = getattr(fs, "root", None)
        self.fs = fs
        self._store = _TinyDbTable(db)
        self._db = db
        self._init_state(overwrite, 0.0)
        return self

    def _init_state(self, overwrite: Any, flush_interval: float) -> None:
        self.overwrite = overwrite
        self.flush_interval = flush_interval
        self.run_entry: dict | None = None
        self.doc_id: str | None = None
        self._dirty = False
        self._last_flush = 0.0

    @property
    def db(self) -> Any:
        """A TinyDB handle on the database (opened on first use)."""
        if self._db is None:
            self._db, _ = get_db_file_manager(self.root)
        return self._db

    @property
    def runs(self) -> Any:
        """The TinyDB ``runs`` table."""
        return self.db.table(RUNS_TABLE)

    # -- helpers

    def _store_sources(self, ex_info: dict) -> list:
        stored = []
        base_dir = ex_info.get("base_dir") or ""
        for source in ex_info.get("sources", []):
            rel_path, md5 = source[0], source[1]
            ref = put_file(self.fs, os.path.join(base_dir, rel_path))
            stored.append([rel_path, md5, ref])
        return stored

    def _new_entry(
        self, ex_info: dict, command: str, host_info: dict, config: dict, meta_info: dict
    ) -> tuple[dict, Any, Any]:
        experiment = _to_storable(dict(ex_info))
        experiment["sources"] = self._store_sources(ex_info)
        return (
            {
                "experiment": experiment,
                "format": _format_version(),
                "command": command,
                "host": _to_storable(dict(host_info)),
            },
            _to_storable(config),
            _to_storable(mask_secrets(meta_info)),
        )

    def _insert(self, entry: dict, _id: Any) -> Any:
        with self._store.locked():
            existing = None
            if _id is None:
                _id = uuid.uuid4().hex
            else:
                existing = self._store.find_run(_id)
                if existing is not None and not self.overwrite:
                    raise ObserverError(
                        f"TinyDbObserver: a run with _id {_id!r} already exists in {self.root}; "
                        "pass overwrite=True to replace it"
                    )
            entry["_id"] = _id
            self.doc_id = self._store.put_run(existing, entry)
        self.run_entry = entry
        self._dirty = False
        self._last_flush = time.monotonic()
        return _id

    def _flush(self) -> None:
        if self.run_entry is None:
            return
        with self._store.locked():
            self.doc_id = self._store.put_run(self.doc_id, self.run_entry)
        self._dirty = False
        self._last_flush = time.monotonic()

    def _update(self, force: bool, **fields: Any) -> None:
        if self.run_entry is None:
            return
        self.run_entry.update(fields)
        self._dirty = True
        if force or time.monotonic() - self._last_flush >= self.flush_interval:
            self._flush()

    # -- events

    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):
        """Store the run with status QUEUED; returns its id."""
        head, config, meta = self._new_entry(ex_info, command, host_info, config, meta_info)
        entry = {
            **head,
            "queue_time": queue_time,
            "config": config,
            "meta": meta,
            "status": "QUEUED",
            "resources": [],
            "artifacts": [],
            "captured_out": "",
            "info": {},
            "heartbeat": None,
        }
        return self._insert(entry, _id)

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        """Store the new run (status RUNNING) and its sources; returns its id."""
        head, config, meta = self._new_entry(ex_info, command, host_info, config, meta_info)
        entry = {
            **head,
            "start_time": start_time,
            "config": config,
            "meta": meta,
            "status": "RUNNING",
            "resources": [],
            "artifacts": [],
            "captured_out": "",
            "info": {},
            "heartbeat": None,
        }
        return self._insert(entry, _id)

    def heartbeat_event(self, info, captured_out, beat_time, result):
        """Update info, output, heartbeat and result; written at most every flush_interval."""
        try:
            self._update(
                False,
                info=_to_storable(info or {}),
                captured_out=captured_out,
                heartbeat=beat_time,
                result=_to_storable(result),
            )
        except Exception as exc:  # noqa: BLE001 - a heartbeat must never kill the run
            logger.warning("TinyDbObserver: heartbeat not saved (%s); will retry", exc)

    def log_metrics(self, metrics_by_name, info):
        """Append new metric points to the entry's ``metrics`` (kept in memory until a flush)."""
        if self.run_entry is None or not metrics_by_name:
            return
        metrics = self.run_entry.setdefault("metrics", {})
        for name, points in metrics_by_name.items():
            series = metrics.setdefault(name, {"steps": [], "values": [], "timestamps": []})
            series["steps"].extend(_to_storable(points.get("steps", [])))
            series["values"].extend(_to_storable(points.get("values", [])))
            series["timestamps"].extend(points.get("timestamps", []))
        self._dirty = True

    def completed_event(self, stop_time, result):
        """Mark the run COMPLETED and write it."""
        self._update(True, stop_time=stop_time, result=_to_storable(result), status="COMPLETED")

    def interrupted_event(self, interrupt_time, status):
        """Mark the run with ``status`` (INTERRUPTED, TIMEOUT, ...) and write it."""
        self._update(True, stop_time=interrupt_time, status=status)

    def failed_event(self, fail_time, fail_trace):
        """Mark the run FAILED with its trace and write it."""
        self._update(True, stop_time=fail_time, status="FAILED", fail_trace=list(fail_trace))

    def resource_event(self, filename):
        """Store a resource file by content and list it as ``[filename, md5, file]``."""
        if self.run_entry is None:
            return
        ref = put_file(self.fs, filename)
        entry = [filename, ref.hash_id, ref]
        if entry not in self.run_entry["resources"]:
            self.run_entry["resources"].append(entry)
            self._dirty = True

    def artifact_event(self, name, filename, metadata=None, content_type=None):
        """Store an artifact file by content and list it as ``[name, filename, md5, file]``."""
        if self.run_entry is None:
            return
        ref = put_file(self.fs, filename)
        self.run_entry["artifacts"].append([name, filename, ref.hash_id, ref])
        self._dirty = True

    def join(self):
        """Write whatever is still only in memory."""
        if self._dirty:
            self._flush()

    def __eq__(self, other: object) -> bool:
        if isinstance(other, TinyDbObserver):
            return self.root is not None and self.root == other.root
        return NotImplemented

    __hash__ = RunObserver.__hash__


# --------------------------------------------------------------------------- reader


def _load_documents(path: str) -> list[Any]:
    """Read the runs table as TinyDB Documents ordered by doc id, dates decoded."""
    from tinydb.table import Document

    store = _LockedJsonFile(path)
    data = store._read_raw()
    table = data.get(RUNS_TABLE, {})
    docs = []
    for doc_id in sorted(table, key=int):
        docs.append(Document(_decode_dates(table[doc_id]), doc_id=int(doc_id)))
    return docs


def _format_duration(start: Any, stop: Any) -> str:
    if not isinstance(start, _dt.datetime) or not isinstance(stop, _dt.datetime):
        return "unknown"
    tenths = round((stop - start).total_seconds() * 10)
    seconds_total, tenth = divmod(tenths, 10)
    hours, rest = divmod(seconds_total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}.{tenth}"


def _listing(items: Iterable[Any]) -> str:
    lines = [f"    {item}" for item in items]
    return "\n".join(lines) if lines else "    None"


def render_report(entry: dict) -> str:
    """Render one run entry as the TinyDbReader summary report text."""
    date = entry.get("start_time") or entry.get("queue_time")
    date_text = date.strftime("%a %d %b %Y") if isinstance(date, _dt.datetime) else "unknown"
    stop = entry.get("stop_time") or entry.get("heartbeat")
    config = entry.get("config") or {}
    experiment = entry.get("experiment") or {}
    return (
        "\n-------------------------------------------------\n"
        f"Experiment: {experiment.get('name')}\n"
        "-------------------------------------------------\n"
        f"ID: {entry.get('_id')}\n"
        f"Date: {date_text}    Duration: {_format_duration(entry.get('start_time'), stop)}\n"
        "\nParameters:\n"
        f"{_listing(f'{k}: {config[k]}' for k in sorted(config))}\n"
        "\nResult:\n"
        f"    {entry.get('result')}\n"
        "\nDependencies:\n"
        f"{_listing(experiment.get('dependencies') or [])}\n"
        "\nResources:\n"
        f"{_listing(r[0] for r in entry.get('resources') or [])}\n"
        "\nSource Files:\n"
        f"{_listing(s[0] for s in experiment.get('sources') or [])}\n"
        "\nOutputs:\n"
        f"{_listing(a[0] for a in entry.get('artifacts') or [])}\n"
    )


class TinyDbReader:
    """Query runs stored by :class:`TinyDbObserver` in ``path``.

    Select runs with ``indices`` (an int or a list of ints, list-style, negative
    counts from the latest run), ``exp_name`` (substring or regular expression
    searched in the experiment name) or ``query`` (a TinyDB query). The file is
    read anew on every call, so runs written meanwhile are seen.
    """

    def __init__(self, path: str) -> None:
        _import_backend()
        root = os.path.abspath(os.fspath(path))
        if not os.path.isdir(root):
            raise FileNotFoundError(
                f"TinyDbReader: {root} is not a directory; pass the basedir a TinyDbObserver wrote to"
            )
        self.root = root
        self.path = os.path.join(root, "metadata.json")
        self.fs = _make_hashfs(root)
        self._db = None

    @property
    def db(self) -> Any:
        """A TinyDB handle on the database (dates and files decoded)."""
        if self._db is None:
            self._db, _ = get_db_file_manager(self.root)
        return self._db

    @property
    def runs(self) -> Any:
        """The TinyDB ``runs`` table."""
        return self.db.table(RUNS_TABLE)

    def _select(self, exp_name: str | None, query: Any, indices: Any) -> list[Any]:
        if exp_name is None and query is None and indices is None:
            raise ValueError(
                "TinyDbReader: say which runs to fetch: indices=<int or list of ints>, "
                "exp_name=<substring or regex> or query=<TinyDB query>"
            )
        docs = _load_documents(self.path)
        if indices is not None:
            docs = self._by_indices(docs, indices)
        if exp_name is not None:
            if not isinstance(exp_name, str):
                raise TypeError(f"TinyDbReader: exp_name must be a string, got {exp_name!r}")
            try:
                pattern = re.compile(exp_name)
            except re.error as exc:
                raise ValueError(
                    f"TinyDbReader: exp_name {exp_name!r} is not a valid regex: {exc}"
                ) from None
            docs = [
                d for d in docs if pattern.search(str((d.get("experiment") or {}).get("name", "")))
            ]
        if query is not None:
            if not callable(query):
                raise TypeError(
                    f"TinyDbReader: query must be a TinyDB query (tinydb.Query), got {query!r}"
                )
            docs = [d for d in docs if query(d)]
        return docs

    @staticmethod
    def _by_indices(docs: list, indices: Any) -> list:
        many = isinstance(indices, (list, tuple))
        wanted = list(indices) if many else [indices]
        selected = []
        for index in wanted:
            if isinstance(index, bool) or not isinstance(index, int):
                raise TypeError(
                    f"TinyDbReader: indices must be an int or a list of ints, got {indices!r}"
                )
            try:
                selected.append(docs[index])
            except IndexError:
                raise IndexError(
                    f"TinyDbReader: index {index} is out of range; {len(docs)} runs are stored"
                ) from None
        return selected

    def fetch_metadata(
        self, exp_name: str | None = None, query: Any = None, indices: Any = None
    ) -> list:
        """Return the selected run entries, dates as datetimes and files as open handles."""
        docs = self._select(exp_name, query, indices)
        from tinydb.table import Document

        return [Document(_decode_files(dict(d), self.fs), doc_id=d.doc_id) for d in docs]

    def fetch_files(
        self, exp_name: str | None = None, query: Any = None, indices: Any = None
    ) -> list[dict]:
        """Return ``[{exp_name, exp_id, date, sources?, resources?, artifacts?}]`` with open handles."""
        results = []
        for entry in self._select(exp_name, query, indices):
            experiment = entry.get("experiment") or {}
            record: dict[str, Any] = {
                "exp_name": experiment.get("name"),
                "exp_id": entry.get("_id"),
                "date": entry.get("start_time") or entry.get("queue_time"),
            }
            groups: list[tuple[str, list, Callable[[list], tuple[str, str]]]] = [
                ("sources", experiment.get("sources") or [], lambda s: (s[0], s[-1])),
                ("resources", entry.get("resources") or [], lambda r: (r[0], r[-1])),
                ("artifacts", entry.get("artifacts") or [], lambda a: (a[0], a[-1])),
            ]
            for key, items, pick in groups:
                if items:
                    record[key] = {
                        name: _decode_files(tag, self.fs) for name, tag in map(pick, items)
                    }
            results.append(record)
        return results

    def fetch_report(
        self, exp_name: str | None = None, query: Any = None, indices: Any = None
    ) -> list[str]:
        """Return one summary report text per selected run (see the spec's Summary Report)."""
        return [render_report(entry) for entry in self._select(exp_name, query, indices)]
