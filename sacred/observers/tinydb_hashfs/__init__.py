"""TinyDbObserver: runs in a TinyDB JSON file, files in a HashFS store.

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
The pieces live in their own modules and are re-exported here, where Sacred
0.8.7 code imports them from: the HashFS store and file handles
(:mod:`~sacred.observers.tinydb_hashfs._files`), the tags and serializers
(:mod:`~sacred.observers.tinydb_hashfs._encoding`), the locked ``metadata.json``
(:mod:`~sacred.observers.tinydb_hashfs._store`) and the reader
(:mod:`~sacred.observers.tinydb_hashfs._reader`).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from typing import Any

from sacred.commandline_options import tiny_db_option
from sacred.masking import mask_secrets
from sacred.observers.base import RunObserver
from sacred.observers.tinydb_hashfs._encoding import DateTimeSerializer, FileSerializer, to_storable
from sacred.observers.tinydb_hashfs._files import (
    BufferedReaderWrapper,
    StoredFile,
    import_tinydb_backend,
    make_hashfs,
    put_file,
)
from sacred.observers.tinydb_hashfs._reader import TinyDbReader, render_report
from sacred.observers.tinydb_hashfs._store import (
    LockedJsonFile,
    TinyDbAccess,
    TinyDbTable,
    get_db_file_manager,
)
from sacred.utils import ObserverError

__all__ = [
    "TinyDbObserver",
    "TinyDbReader",
    "StoredFile",
    "BufferedReaderWrapper",
    "DateTimeSerializer",
    "FileSerializer",
    "get_db_file_manager",
    "put_file",
    "render_report",
    "tiny_db_option",
]

logger = logging.getLogger(__name__)


def _format_version() -> str:
    from sacred import __version__

    return f"TinyDbObserver-{__version__}"


class TinyDbObserver(TinyDbAccess, RunObserver):
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
        import_tinydb_backend()
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(
                f"TinyDbObserver(path) needs a directory path (str or os.PathLike), got {path!r}"
            )
        if not os.fsdecode(os.fspath(path)).strip():
            raise ObserverError(
                "TinyDbObserver: the path is empty; give the folder of the database, e.g. -t runs_db "
                "(use -t . for the current folder)"
            )
        root = os.path.abspath(os.fspath(path))
        if os.path.exists(root) and not os.path.isdir(root):
            raise ObserverError(f"TinyDbObserver: {root} exists and is not a directory")
        try:
            os.makedirs(root, exist_ok=True)
            self.root = root
            self.fs = make_hashfs(root)
            self._store: LockedJsonFile | TinyDbTable = LockedJsonFile(
                os.path.join(root, "metadata.json"), lock_timeout=lock_timeout
            )
        except OSError as error:
            raise ObserverError(
                f"TinyDbObserver cannot use the folder {root}: {error.strerror or error}"
                f"{' (' + error.filename + ')' if isinstance(error.filename, str) else ''}; "
                "give a folder you can write to"
            ) from None
        self._db = None
        self._init_state(overwrite, flush_interval)

    @classmethod
    def create(cls, path: str = "./runs_db", overwrite: Any = None) -> TinyDbObserver:
        """Sacred 0.8.7's spelling of ``TinyDbObserver(path, overwrite)``."""
        return cls(path, overwrite)

    @classmethod
    def create_from(
        cls, db: Any, fs: Any, overwrite: Any = None, root: str | None = None
    ) -> TinyDbObserver:
        """Build an observer on an existing ``TinyDB`` and ``HashFS`` (no file locking)."""
        import_tinydb_backend()
        self = cls.__new__(cls)
        self.root = root if root is not None else getattr(fs, "root", None)
        self.fs = fs
        self._store = TinyDbTable(db)
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
        self,
        ex_info: dict,
        command: str,
        host_info: dict,
        config: dict,
        meta_info: dict,
        status: str,
        time_key: str,
        time_value: Any,
    ) -> dict:
        """A fresh run entry, keys in Sacred 0.8.7's order; sources stored in HashFS."""
        experiment = to_storable(dict(ex_info))
        experiment["sources"] = self._store_sources(ex_info)
        return {
            "experiment": experiment,
            "format": _format_version(),
            "command": command,
            "host": to_storable(dict(host_info)),
            time_key: time_value,
            "config": to_storable(config),
            "meta": to_storable(mask_secrets(meta_info)),
            "status": status,
            "resources": [],
            "artifacts": [],
            "captured_out": "",
            "info": {},
            "heartbeat": None,
        }

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
        self._mark_written()
        return _id

    def _flush(self) -> None:
        if self.run_entry is None:
            return
        with self._store.locked():
            self.doc_id = self._store.put_run(self.doc_id, self.run_entry)
        self._mark_written()

    def _mark_written(self) -> None:
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
        entry = self._new_entry(
            ex_info, command, host_info, config, meta_info, "QUEUED", "queue_time", queue_time
        )
        return self._insert(entry, _id)

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        """Store the new run (status RUNNING) and its sources; returns its id."""
        entry = self._new_entry(
            ex_info, command, host_info, config, meta_info, "RUNNING", "start_time", start_time
        )
        return self._insert(entry, _id)

    def heartbeat_event(self, info, captured_out, beat_time, result):
        """Update info, output, heartbeat and result; written at most every flush_interval."""
        try:
            self._update(
                False,
                info=to_storable(info or {}),
                captured_out=captured_out,
                heartbeat=beat_time,
                result=to_storable(result),
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
            series["steps"].extend(to_storable(points.get("steps", [])))
            series["values"].extend(to_storable(points.get("values", [])))
            series["timestamps"].extend(points.get("timestamps", []))
        self._dirty = True

    def completed_event(self, stop_time, result):
        """Mark the run COMPLETED and write it."""
        self._update(True, stop_time=stop_time, result=to_storable(result), status="COMPLETED")

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
