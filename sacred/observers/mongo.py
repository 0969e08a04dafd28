"""Store runs in MongoDB: ``MongoObserver`` and its queued variant.

Layout (Sacred's "MongoObserver-0.7.0" format, readable by Omniboard/incense)
---------------------------------------------------------------------------

* ``<db>.runs`` (name set by ``collection``; ``<prefix>_runs`` with
  ``collection_prefix``): one document per run with ``_id`` (an integer
  allocated as max+1, retried on duplicate key, unless the run already has an
  id), ``format``, ``status``, ``command``, ``experiment`` (``sources`` as
  ``[relative_name, gridfs_file_id]``), ``host``, ``meta``, ``config``,
  ``start_time``, ``heartbeat``, ``stop_time``, ``result``, ``info``,
  ``resources`` (``[absolute_path, md5]``), ``artifacts`` (``{"name",
  "file_id"}``), ``captured_out`` and ``fail_trace`` when failed.
* ``<db>.metrics`` (``<prefix>_metrics``): one document per metric name per
  run: ``{_id, name, run_id, steps, values, timestamps}``; new points are
  appended with ``$push``/``$each``. ``info["metrics"]`` in the run document
  lists ``{"id": str(metric_doc_id), "name": name}`` for each name.
* GridFS (``fs.files``/``fs.chunks``): sources and resources under their
  absolute path, artifacts as ``artifact://<runs collection>/<run id>/<name>``.
  Every file document carries the ``md5`` of its content; a file with the same
  ``filename`` and ``md5`` is reused instead of stored twice. Artifacts keep
  ``metadata`` and ``contentType``.

Size: nothing is truncated, nothing fails for size
---------------------------------------------------

MongoDB documents are limited to 16 MB, so two things continue elsewhere:

* **Metrics.** A metric document holds at most ``METRIC_POINTS_PER_DOCUMENT``
  points (and roughly ``METRIC_BYTES_PER_DOCUMENT`` bytes). Further points go
  to *continuation documents* in the same metrics collection, with the same
  ``name`` and ``run_id`` and an integer ``part`` (1, 2, ...; the first document
  has no ``part`` and is the one ``info["metrics"]`` points to). The full
  series is the concatenation of ``find({"run_id": id, "name": name})`` sorted
  by ``part`` (missing = 0); :func:`read_metric` does that.
* **Captured output.** When the output grows beyond
  ``CAPTURED_OUT_INLINE_CHARS`` characters, its beginning is moved to GridFS
  in segments of ``CAPTURED_OUT_SEGMENT_CHARS`` characters (UTF-8 files named
  ``captured_out://<runs collection>/<run id>/<index>``), listed in order in the
  run document's ``captured_out_segments`` (file ids). ``captured_out`` then
  holds the most recent output only, so that tools showing it stay useful;
  the full text is the segments followed by ``captured_out``
  (:func:`read_captured_out`). A segment is only written once; if an output
  filter ever rewrites text already moved out, the segments are rewritten.

Heartbeats send the run document (bounded by the rules above) and only the
metric points logged since the previous call.

Outages
-------

Heartbeats, metrics, resources and artifacts never stop the experiment when
the database cannot be reached: the failure is logged as a warning and the
unsent metric points are kept and sent with the next call. The final save is
retried ``final_save`` ``attempts`` times; if the database still cannot be
reached the run entry (and any metric points not yet stored, under the key
``unsaved_metrics``) is written as JSON (``sacred.serializer``; ObjectIds as
``{"$oid": ...}``, dates as ``{"$date": ...}``, as in MongoDB extended JSON)
to ``failure_dir``, by default ``./sacred_failed_runs`` (relative to the
working directory when the observer was created), and a warning names the file.

Passwords in URLs are masked (``mongodb://user:***@host``) in every log line
and error, and in ``meta`` before it is stored.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
import os
import random
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from sacred.observers.backend_import import import_backends
from sacred.observers.base import RunObserver
from sacred.observers.mongo_failure_dump import (
    DEFAULT_FAILURE_DIR,
    resolve_failure_dir,
    write_failure_dump,
)
from sacred.observers.mongo_url import MONGO_DB_ARG_FORM, client_address, parse_mongo_db_arg
from sacred.observers.mongo_values import bsonify, mask_secrets, metric_value
from sacred.observers.queue import QueueObserver
from sacred.observers.run_layout import file_md5
from sacred.serializer import flatten
from sacred.utils import ObserverError, mask_url_password

__all__ = [
    "MongoObserver",
    "QueuedMongoObserver",
    "DEFAULT_FAILURE_DIR",
    "MONGO_DB_ARG_FORM",
    "parse_mongo_db_arg",
    "read_captured_out",
    "read_metric",
]

logger = logging.getLogger("sacred.observers.mongo")

_MAX_ID_ATTEMPTS = 1000
_ID_DEADLINE_SECONDS = 120.0


def _import_pymongo():
    return import_backends(
        "pymongo", "gridfs", needed_by="MongoObserver", extra="mongo", packages=["pymongo"]
    )


class ReservedCollectionError(ValueError, KeyError):
    """A collection name is reserved (in ``COLLECTION_NAME_BLACKLIST``) or invalid."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


# --------------------------------------------------------------------------- #
# Metric bookkeeping
# --------------------------------------------------------------------------- #

@dataclass
class _MetricPart:
    """The metric document currently receiving points for one name."""

    doc_id: Any
    index: int
    count: int = 0
    approx_bytes: int = 0
    exists: bool = False


@dataclass
class _PendingPoints:
    steps: list = field(default_factory=list)
    values: list = field(default_factory=list)
    timestamps: list = field(default_factory=list)

    all_numeric: bool = True

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, steps: list, values: list, timestamps: list) -> None:
        """Append points, converting numpy scalars and noting non-numeric values."""
        self.steps.extend(int(s) for s in steps)
        converted = [metric_value(v) for v in values]
        if self.all_numeric and not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in converted
        ):
            self.all_numeric = False
        self.values.extend(converted)
        self.timestamps.extend(timestamps)

    def drop_first(self, count: int) -> None:
        del self.steps[:count], self.values[:count], self.timestamps[:count]
        if not self.steps:
            self.all_numeric = True


_UPDATE_BYTES = 4 * 1024 * 1024
_POINT_BYTES = 64  # 3 array elements (type byte + index key + 8 bytes) with slack


def _point_bytes(value: Any) -> int:
    if isinstance(value, (int, float)):
        return _POINT_BYTES
    return _POINT_BYTES + len(str(value).encode("utf-8", "replace"))


# --------------------------------------------------------------------------- #
# The observer
# --------------------------------------------------------------------------- #

class MongoObserver(RunObserver):
    """Store runs, metrics and files in MongoDB (see the module docstring)."""

    COLLECTION_NAME_BLACKLIST = {
        "fs.files",
        "fs.chunks",
        "_properties",
        "system.indexes",
        "search_space",
        "search_spaces",
    }
    VERSION = "MongoObserver-0.7.0"

    CAPTURED_OUT_INLINE_CHARS = 1_000_000
    CAPTURED_OUT_SEGMENT_CHARS = 1_000_000
    METRIC_POINTS_PER_DOCUMENT = 100_000
    METRIC_BYTES_PER_DOCUMENT = 8 * 1024 * 1024
    METRIC_POINTS_PER_UPDATE = 25_000
    FINAL_SAVE_ATTEMPTS = 10
    FINAL_SAVE_RETRY_SECONDS = 1.0

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> MongoObserver:
        """Deprecated alias of the constructor (kept for Sacred 0.8 code)."""
        return cls(*args, **kwargs)

    def __init__(
        self,
        url: str | None = None,
        db_name: str = "sacred",
        collection: str = "runs",
        collection_prefix: str = "",
        overwrite: int | str | None = None,
        priority: int = 30,
        client: Any = None,
        failure_dir: str | bytes | os.PathLike | None = None,
        **kwargs: Any,
    ) -> None:
        pymongo, gridfs = _import_pymongo()
        if client is not None:
            if url is not None:
                raise ValueError("MongoObserver: pass either url or client, not both.")
            if kwargs:
                raise ValueError(
                    "MongoObserver: extra MongoClient arguments "
                    f"{sorted(kwargs)} cannot be used together with client=."
                )
            if not isinstance(client, pymongo.MongoClient) and not hasattr(client, "get_database"):
                raise ValueError(
                    f"MongoObserver: client must be a pymongo.MongoClient, got {type(client).__name__}"
                )
        if collection_prefix and collection != "runs":
            raise ValueError(
                "MongoObserver: pass either collection or collection_prefix, not both "
                f"(got collection={collection!r}, collection_prefix={collection_prefix!r})."
            )
        self._validate_db_name(db_name)
        if collection_prefix:
            runs_name = f"{collection_prefix}_runs"
            metrics_name = f"{collection_prefix}_metrics"
        else:
            runs_name, metrics_name = collection, "metrics"
        self._validate_collection_name(runs_name)
        self.url = mask_url_password(url) if url else "mongodb://localhost:27017"
        if client is None:
            try:
                client = pymongo.MongoClient(url, **kwargs)
            except pymongo.errors.PyMongoError as exc:
                raise ValueError(
                    f"MongoObserver: cannot use MongoDB URL {self.url}: "
                    f"{mask_url_password(str(exc))}"
                ) from None
            except TypeError as exc:
                raise ValueError(f"MongoObserver: bad MongoClient arguments: {exc}") from None
        else:
            self.url = client_address(client)
        self.client = client
        database = client[db_name]
        self.initialize(
            database[runs_name],
            gridfs.GridFS(database),
            overwrite=overwrite,
            metrics_collection=database[metrics_name],
            failure_dir=failure_dir,
            priority=priority,
        )

    @classmethod
    def create_from(cls, *args: Any, **kwargs: Any) -> MongoObserver:
        """Build an observer from existing collections: ``create_from(runs, fs, ...)``.

        Arguments are those of :meth:`initialize`.
        """
        self = cls.__new__(cls)
        self.client = None
        self.url = None
        self.initialize(*args, **kwargs)
        if self.url is None:
            self.url = client_address(getattr(self.runs.database, "client", None))
        return self

    @classmethod
    def from_cli_arg(cls, value: str) -> MongoObserver:
        """Create an observer from a ``-m`` value (see :func:`parse_mongo_db_arg`)."""
        return cls(**parse_mongo_db_arg(value))

    def initialize(
        self,
        runs_collection: Any,
        fs: Any,
        overwrite: int | str | None = None,
        metrics_collection: Any = None,
        failure_dir: str | bytes | os.PathLike | None = None,
        priority: int = 30,
    ) -> None:
        """Set the collections and options; used by the constructor and ``create_from``."""
        self._validate_collection_name(runs_collection.name)
        self.runs = runs_collection
        self.metrics = (
            metrics_collection
            if metrics_collection is not None
            else runs_collection.database["metrics"]
        )
        self.fs = fs
        if isinstance(overwrite, str) and overwrite.isdigit():
            overwrite = int(overwrite)
        self.overwrite = overwrite
        self.priority = priority
        self.failure_dir = resolve_failure_dir(failure_dir)
        self.run_entry: dict | None = None
        self.saved_to_failure_dir: str | None = None
        self.tolerate_outages = True
        self._lock = threading.RLock()
        self._metric_parts: dict[str, _MetricPart] = {}
        self._metric_refs: list[dict] = []
        self._pending: dict[str, _PendingPoints] = {}
        self._info: Any = {}
        self._captured_full = ""
        self._segments: list[Any] = []
        self._segment_md5s: list[str] = []
        self._segment_lengths: list[int] = []
        self._covered = 0

    # ----------------------------------------------------------------- names
    @classmethod
    def _validate_collection_name(cls, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise ReservedCollectionError(
                f"MongoObserver: collection name must be a non-empty string, got {name!r}."
            )
        if name in cls.COLLECTION_NAME_BLACKLIST:
            raise ReservedCollectionError(
                f'Collection name "{name}" is reserved. Please use a different one '
                f"(reserved: {', '.join(sorted(cls.COLLECTION_NAME_BLACKLIST))})."
            )
        if "$" in name or "\x00" in name or name.startswith((".", "system.")) or name.endswith("."):
            raise ReservedCollectionError(
                f"MongoObserver: invalid collection name {name!r}: it may not contain '$' or "
                "NUL, start with 'system.' or start/end with '.'."
            )

    @staticmethod
    def _validate_db_name(name: str) -> None:
        if not isinstance(name, str) or not name or re.search(r'[/\\. "$\x00]', name):
            raise ValueError(
                f"MongoObserver: invalid database name {name!r}: use a non-empty name "
                'without any of / \\ . " $ or spaces.'
            )

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(url={self.url!r}, db_name={self.runs.database.name!r}, "
            f"collection={self.runs.name!r}, priority={self.priority})"
        )

    def _where(self) -> str:
        return f"{self.url} (database {self.runs.database.name!r}, collection {self.runs.name!r})"

    # ---------------------------------------------------------------- events
    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):
        """Store the run with status QUEUED and return its id."""
        with self._lock:
            entry = self._new_entry(ex_info, command, host_info, config, meta_info, "QUEUED")
            entry["queue_time"] = queue_time
            return self._start(entry, _id)

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        """Store the new run with status RUNNING and return its id."""
        with self._lock:
            entry = self._new_entry(ex_info, command, host_info, config, meta_info, "RUNNING")
            entry["start_time"] = start_time
            entry["heartbeat"] = None
            return self._start(entry, _id)

    def heartbeat_event(self, info, captured_out, beat_time, result):
        """Update info, captured output, heartbeat time and result."""
        with self._lock:
            self._require_run()
            self._info = info
            self.run_entry["heartbeat"] = beat_time
            self.run_entry["result"] = bsonify(result)
            self._captured_full = captured_out or ""
            self._tolerant("heartbeat", self._save_progress)

    def completed_event(self, stop_time, result):
        """Mark the run COMPLETED and save it (failure folder if the DB is gone)."""
        with self._lock:
            self._require_run()
            self.run_entry["stop_time"] = stop_time
            self.run_entry["result"] = bsonify(result)
            self.run_entry["status"] = "COMPLETED"
            self.final_save(attempts=self.FINAL_SAVE_ATTEMPTS)

    def interrupted_event(self, interrupt_time, status):
        """Mark the run with ``status`` (INTERRUPTED, TIMEOUT, ...) and save it."""
        with self._lock:
            self._require_run()
            self.run_entry["stop_time"] = interrupt_time
            self.run_entry["status"] = status
            self.final_save(attempts=self.FINAL_SAVE_ATTEMPTS)

    def failed_event(self, fail_time, fail_trace):
        """Mark the run FAILED with its trace and save it."""
        with self._lock:
            self._require_run()
            self.run_entry["stop_time"] = fail_time
            self.run_entry["status"] = "FAILED"
            self.run_entry["fail_trace"] = list(fail_trace or [])
            self.final_save(attempts=self.FINAL_SAVE_ATTEMPTS)

    def resource_event(self, filename):
        """Store ``filename`` in GridFS (unless already there) and list it."""
        with self._lock:
            self._require_run()
            md5 = file_md5(filename)
            entry = [filename, md5]
            if entry not in self.run_entry["resources"]:
                self.run_entry["resources"].append(entry)

            def store() -> None:
                self._put_file(filename, filename, md5)
                self.save()

            self._tolerant("resource", store)

    def artifact_event(self, name, filename, metadata=None, content_type=None):
        """Store the artifact ``name`` in GridFS with metadata and content type."""
        with self._lock:
            self._require_run()
            if content_type is None:
                content_type = mimetypes.guess_type(filename)[0]
            md5 = file_md5(filename)
            db_name = f"artifact://{self.runs.name}/{self.run_entry['_id']}/{name}"

            def store() -> None:
                file_id = self._put_file(
                    filename,
                    db_name,
                    md5,
                    metadata=bsonify(metadata) if metadata is not None else None,
                    content_type=content_type,
                )
                artifacts = [a for a in self.run_entry["artifacts"] if a.get("name") != name]
                artifacts.append({"name": name, "file_id": file_id})
                self.run_entry["artifacts"] = artifacts
                self.save()

            self._tolerant(f"artifact {name!r}", store)

    def log_metrics(self, metrics_by_name, info):
        """Store new measurements to the database.

        Take measurements and store them into the metrics collection in the
        database. Additionally, reference the metrics in the
        ``info["metrics"]`` dictionary.
        """
        with self._lock:
            self._require_run()
            for name, metric in (metrics_by_name or {}).items():
                pending = self._pending.setdefault(name, _PendingPoints())
                pending.add(metric.get("steps", []), metric.get("values", []),
                            metric.get("timestamps", []))
            if info is not None:
                self._info = info
            # Never raised, even inside a queue: unsent points stay buffered here
            # and go out with the next heartbeat or the final save. Raising would
            # make a queue deliver the same points twice.
            try:
                self._flush_metrics()
            except Exception as exc:  # noqa: BLE001 - kept and retried, see above
                logger.warning(
                    "MongoObserver: could not write metrics of run %s to %s: %s; %d point(s) "
                    "kept for the next attempt",
                    self.run_entry.get("_id"), self._where(), mask_url_password(str(exc)),
                    sum(len(p) for p in self._pending.values()),
                )

    def provisional_id(self) -> str:
        """An id usable before the database is reachable (a new ObjectId as a string)."""
        from bson import ObjectId

        return str(ObjectId())

    def join(self) -> None:
        """Nothing is buffered beyond the run: every event is written when it happens."""

    # ------------------------------------------------------- documented API
    def insert(self) -> Any:
        """Insert ``run_entry``; allocate an integer ``_id`` (max+1) if it has none."""
        if self.overwrite is not None:
            return self._insert_overwrite()
        if self.run_entry.get("_id") is not None:
            self._insert_with_given_id()
            return self.run_entry["_id"]
        from pymongo.errors import DuplicateKeyError

        deadline = time.monotonic() + _ID_DEADLINE_SECONDS
        for attempt in range(_MAX_ID_ATTEMPTS):
            latest = self.runs.find_one(
                {"_id": {"$type": "number"}}, projection={"_id": 1}, sort=[("_id", -1)]
            )
            self.run_entry["_id"] = (int(latest["_id"]) + 1) if latest else 1
            try:
                self.runs.insert_one(self.run_entry)
                return self.run_entry["_id"]
            except DuplicateKeyError:
                if time.monotonic() > deadline:
                    break
                time.sleep(random.uniform(0, 0.002 * min(attempt + 1, 50)))
        self.run_entry.pop("_id", None)
        raise ObserverError(
            f"MongoObserver: could not allocate a run id in {self._where()} after "
            f"{attempt + 1} attempts: too many concurrent writers."
        )

    def save(self) -> None:
        """Write the current ``run_entry`` (whole document, idempotent)."""
        self.runs.replace_one({"_id": self.run_entry["_id"]}, self.run_entry, upsert=True)

    def final_save(self, attempts: int) -> None:
        """Save the finished run, retrying; dump it to ``failure_dir`` if that fails.

        When ``tolerate_outages`` is False (inside a queued observer) the last
        error is raised instead so that the queue retries the event.
        """
        attempts = max(1, int(attempts))
        last_error: Exception | None = None
        for attempt in range(attempts):
            try:
                self._save_progress()
                return
            except Exception as exc:  # noqa: BLE001 - retried, then reported
                last_error = exc
                if not self.tolerate_outages:
                    raise
                if attempt + 1 < attempts:
                    time.sleep(self.FINAL_SAVE_RETRY_SECONDS)
        path = self.save_to_failure_dir()
        logger.warning(
            "MongoObserver: could not save run %s to %s (%s); the run entry was written to %s",
            self.run_entry.get("_id"),
            self._where(),
            mask_url_password(str(last_error)),
            path,
        )

    def save_sources(self, ex_info: dict) -> list:
        """Store the experiment's source files in GridFS; return ``[[name, file_id], ...]``."""
        base_dir = ex_info.get("base_dir") or ""
        stored = []
        for source_name, md5 in ex_info.get("sources", []):
            abs_path = os.path.join(base_dir, source_name)
            if not os.path.isfile(abs_path):
                logger.warning("MongoObserver: source file %s no longer exists; not stored", abs_path)
                stored.append([source_name, None])
                continue
            stored.append([source_name, self._put_file(abs_path, abs_path, md5 or file_md5(abs_path))])
        return stored

    # ---------------------------------------------------------- failure dump
    def save_to_failure_dir(self) -> str | None:
        """Write the run entry (and unsaved metric points) as JSON to ``failure_dir``."""
        if self.run_entry is None:
            return None
        entry = dict(self.run_entry)
        entry["info"] = self._info_document()
        entry["captured_out"] = self._captured_full
        entry.pop("captured_out_segments", None)
        unsaved = {
            name: {"steps": p.steps, "values": p.values, "timestamps": p.timestamps}
            for name, p in self._pending.items()
            if len(p)
        }
        if unsaved:
            entry["unsaved_metrics"] = unsaved
        path = write_failure_dump(self.failure_dir, self.runs.database.name, self.runs.name, entry)
        self.saved_to_failure_dir = path
        return path

    def save_undelivered_events(self, events: list) -> str | None:
        """Apply events a queue gave up on to the in-memory entry and dump it.

        ``events`` is a list of ``(event_name, kwargs)``. Nothing is sent to the
        database; the result goes to ``failure_dir`` (path returned).
        """
        with self._lock:
            for event_name, kwargs in events:
                self._apply_offline(event_name, kwargs)
            return self.save_to_failure_dir()

    # ------------------------------------------------------------- internals
    def _require_run(self) -> None:
        if self.run_entry is None:
            raise ObserverError("MongoObserver received an event before started_event/queued_event.")

    def _tolerant(self, what: str, action) -> None:
        if not self.tolerate_outages:
            action()
            return
        try:
            action()
        except Exception as exc:  # noqa: BLE001 - a DB outage never kills the run
            logger.warning(
                "MongoObserver: could not write %s of run %s to %s: %s; will retry with the next "
                "event",
                what,
                self.run_entry.get("_id"),
                self._where(),
                mask_url_password(str(exc)),
            )

    def _new_entry(self, ex_info, command, host_info, config, meta_info, status) -> dict:
        self._reset_run_state()
        experiment = dict(ex_info or {})
        entry = {
            "experiment": experiment,
            "format": self.VERSION,
            "command": command,
            "host": bsonify(dict(host_info or {})),
            "config": bsonify(flatten(config)),
            "meta": bsonify(mask_secrets(dict(meta_info or {}))),
            "status": status,
            "resources": [],
            "artifacts": [],
            "captured_out": "",
            "info": {},
        }
        return entry

    def _reset_run_state(self) -> None:
        self.saved_to_failure_dir = None
        self._metric_parts = {}
        self._metric_refs = []
        self._pending = {}
        self._info = {}
        self._captured_full = ""
        self._segments = []
        self._segment_md5s = []
        self._segment_lengths = []
        self._covered = 0

    def _start(self, entry: dict, _id: Any) -> Any:
        ex_info = entry["experiment"]
        if _id is not None:
            entry["_id"] = _id
        self.run_entry = entry
        try:
            ex_info["sources"] = self.save_sources(ex_info)
            ex_info = {k: bsonify(v) if k != "sources" else v for k, v in ex_info.items()}
            entry["experiment"] = ex_info
            return self.insert()
        except ObserverError:
            raise
        except Exception as exc:
            from pymongo.errors import PyMongoError

            if not isinstance(exc, PyMongoError):
                raise
            raise ObserverError(
                f"MongoObserver: cannot store the run in {self._where()}: "
                f"{mask_url_password(str(exc))}"
            ) from None

    def _insert_with_given_id(self) -> None:
        from pymongo.errors import DuplicateKeyError

        try:
            self.runs.insert_one(self.run_entry)
        except DuplicateKeyError:
            raise ObserverError(
                f"MongoObserver: a run with _id {self.run_entry['_id']!r} already exists in "
                f"{self._where()}; use overwrite= to replace it."
            ) from None

    def _insert_overwrite(self) -> Any:
        run_id = self.overwrite
        if self.runs.find_one({"_id": run_id}, projection={"_id": 1}) is None:
            raise ObserverError(
                f"MongoObserver: cannot overwrite run {run_id!r}: no such run in {self._where()}."
            )
        self.run_entry["_id"] = run_id
        self.metrics.delete_many({"run_id": run_id})
        self.runs.replace_one({"_id": run_id}, self.run_entry)
        return run_id

    def _info_document(self) -> dict:
        info = bsonify(self._info) if self._info is not None else {}
        if not isinstance(info, dict):
            info = {"value": info}
        if self._metric_refs:
            info["metrics"] = list(self._metric_refs)
        return info

    def _save_progress(self) -> None:
        self._flush_metrics()
        self.run_entry["info"] = self._info_document()
        self._store_captured_out(self._captured_full)
        self.save()

    # ---- files
    def _put_file(self, source_path: str, db_filename: str, md5: str, **extra: Any) -> Any:
        existing = self.fs.find_one({"filename": db_filename, "md5": md5})
        if existing is not None:
            return existing._id
        kwargs = {k: v for k, v in extra.items() if v is not None}
        with open(source_path, "rb") as handle:
            return self.fs.put(handle, filename=db_filename, md5=md5, **kwargs)

    # ---- captured output
    def _store_captured_out(self, text: str) -> None:
        entry = self.run_entry
        if not self._segments and len(text) <= self.CAPTURED_OUT_INLINE_CHARS:
            entry["captured_out"] = text
            entry.pop("captured_out_segments", None)
            return
        if self._segments and not self._prefix_unchanged(text):
            self._drop_segments()
        while len(text) - self._covered > self.CAPTURED_OUT_INLINE_CHARS:
            piece = text[self._covered:self._covered + self.CAPTURED_OUT_SEGMENT_CHARS]
            data = piece.encode("utf-8", "surrogateescape")
            md5 = hashlib.md5(data).hexdigest()
            file_id = self.fs.put(
                data,
                filename=f"captured_out://{self.runs.name}/{entry['_id']}/{len(self._segments)}",
                md5=md5,
                content_type="text/plain; charset=utf-8",
                metadata={"run_id": entry["_id"], "chars": len(piece)},
            )
            self._segments.append(file_id)
            self._segment_md5s.append(md5)
            self._segment_lengths.append(len(piece))
            self._covered += len(piece)
        entry["captured_out"] = text[self._covered:]
        entry["captured_out_segments"] = list(self._segments)

    def _prefix_unchanged(self, text: str) -> bool:
        if len(text) < self._covered:
            return False
        start = 0
        for length, md5 in zip(self._segment_lengths, self._segment_md5s, strict=True):
            piece = text[start:start + length].encode("utf-8", "surrogateescape")
            if hashlib.md5(piece).hexdigest() != md5:
                return False
            start += length
        return True

    def _drop_segments(self) -> None:
        for file_id in self._segments:
            try:
                self.fs.delete(file_id)
            except Exception:  # noqa: BLE001 - an orphan file is harmless
                logger.debug("could not delete captured-output segment %s", file_id)
        self._segments, self._segment_md5s, self._segment_lengths = [], [], []
        self._covered = 0

    # ---- metrics
    def _flush_metrics(self) -> None:
        for name, pending in self._pending.items():
            if len(pending):
                self._flush_metric(name, pending)

    def _flush_metric(self, name: str, pending: _PendingPoints) -> None:
        from bson import ObjectId

        written = 0
        try:
            while written < len(pending):
                part = self._metric_parts.get(name)
                if part is None or not self._part_has_room(part):
                    index = 0 if part is None else part.index + 1
                    part = _MetricPart(doc_id=ObjectId(), index=index)
                    self._metric_parts[name] = part
                end = written
                size = 0
                # A new document is inserted with as many points as it may hold
                # (one round trip); appends to an existing one go in smaller batches.
                room = self.METRIC_POINTS_PER_DOCUMENT - part.count
                limit_points = room if not part.exists else min(self.METRIC_POINTS_PER_UPDATE, room)
                byte_room = self.METRIC_BYTES_PER_DOCUMENT - part.approx_bytes
                byte_limit = byte_room if not part.exists else min(byte_room, _UPDATE_BYTES)
                if pending.all_numeric:
                    count = max(1, min(limit_points, len(pending) - written,
                                       byte_limit // _POINT_BYTES))
                    end, size = written + count, count * _POINT_BYTES
                while not pending.all_numeric and end < len(pending) and end - written < limit_points:
                    cost = _point_bytes(pending.values[end])
                    if end > written and size + cost > byte_limit:
                        break
                    size += cost
                    end += 1
                self._write_points(name, part, pending, written, end)
                part.count += end - written
                part.approx_bytes += size
                written = end
        finally:
            if written:
                pending.drop_first(written)

    def _part_has_room(self, part: _MetricPart) -> bool:
        return (
            part.count < self.METRIC_POINTS_PER_DOCUMENT
            and part.approx_bytes + _POINT_BYTES <= self.METRIC_BYTES_PER_DOCUMENT
        )

    def _write_points(self, name, part: _MetricPart, pending: _PendingPoints, start, end) -> None:
        from pymongo.errors import DuplicateKeyError

        steps = pending.steps[start:end]
        values = pending.values[start:end]
        stamps = pending.timestamps[start:end]
        if not part.exists:
            doc = {"_id": part.doc_id, "name": name, "run_id": self.run_entry["_id"]}
            if part.index:
                doc["part"] = part.index
            doc.update(steps=steps, values=values, timestamps=stamps)
            try:
                self.metrics.insert_one(doc)
            except DuplicateKeyError:
                pass  # an earlier attempt reached the server; the points are there
            part.exists = True
            if part.index == 0:
                self._metric_refs.append({"id": str(part.doc_id), "name": name})
            return
        # Matching on the current array size makes the append idempotent: if a
        # previous attempt was applied but its reply was lost, it matches nothing.
        result = self.metrics.update_one(
            {"_id": part.doc_id, "steps": {"$size": part.count}},
            {
                "$push": {
                    "steps": {"$each": steps},
                    "values": {"$each": values},
                    "timestamps": {"$each": stamps},
                }
            },
        )
        if result.matched_count == 0:
            applied = self.metrics.find_one(
                {"_id": part.doc_id, "steps": {"$size": part.count + len(steps)}},
                projection={"_id": 1},
            )
            if applied is None:
                raise ObserverError(
                    f"MongoObserver: metric document {part.doc_id} of {name!r} changed "
                    "underneath the observer (expected "
                    f"{part.count} points); refusing to append."
                )

    # ---- offline replay (queue gave up)
    def _apply_offline(self, event_name: str, kwargs: dict) -> None:
        entry = self.run_entry
        if event_name in ("started_event", "queued_event") or entry is None:
            if event_name in ("started_event", "queued_event"):
                self.run_entry = self._new_entry(
                    kwargs.get("ex_info"), kwargs.get("command"), kwargs.get("host_info"),
                    kwargs.get("config"), kwargs.get("meta_info"),
                    "QUEUED" if event_name == "queued_event" else "RUNNING",
                )
                if kwargs.get("_id") is not None:
                    self.run_entry["_id"] = kwargs["_id"]
                time_key = "queue_time" if event_name == "queued_event" else "start_time"
                self.run_entry[time_key] = kwargs.get(time_key)
            return
        if event_name == "heartbeat_event":
            self._info = kwargs.get("info")
            entry["heartbeat"] = kwargs.get("beat_time")
            entry["result"] = bsonify(kwargs.get("result"))
            self._captured_full = kwargs.get("captured_out") or ""
        elif event_name == "log_metrics":
            for name, metric in (kwargs.get("metrics_by_name") or {}).items():
                pending = self._pending.setdefault(name, _PendingPoints())
                pending.add(metric.get("steps", []), metric.get("values", []),
                            metric.get("timestamps", []))
        elif event_name == "completed_event":
            entry.update(stop_time=kwargs.get("stop_time"), status="COMPLETED",
                         result=bsonify(kwargs.get("result")))
        elif event_name == "interrupted_event":
            entry.update(stop_time=kwargs.get("interrupt_time"), status=kwargs.get("status"))
        elif event_name == "failed_event":
            entry.update(stop_time=kwargs.get("fail_time"), status="FAILED",
                         fail_trace=list(kwargs.get("fail_trace") or []))
        elif event_name == "resource_event":
            filename = kwargs.get("filename")
            md5 = file_md5(filename) if filename and os.path.isfile(filename) else None
            entry["resources"].append([filename, md5])
        elif event_name == "artifact_event":
            entry["artifacts"].append(
                {"name": kwargs.get("name"), "file_id": None, "filename": kwargs.get("filename")}
            )


class QueuedMongoObserver(QueueObserver):
    """A :class:`MongoObserver` behind a :class:`~sacred.observers.queue.QueueObserver`.

    Takes the MongoObserver arguments plus the queue's ``interval``,
    ``retry_interval`` and ``max_wait``. Events are written by a background
    thread and retried during database outages; see ``QueueObserver`` for how
    the run id is obtained and how long the end of the run waits.
    """

    def __init__(
        self,
        interval: float = 20.0,
        retry_interval: float = 10.0,
        url: str | None = None,
        db_name: str = "sacred",
        collection: str = "runs",
        collection_prefix: str = "",
        overwrite: int | str | None = None,
        priority: int = 30,
        client: Any = None,
        failure_dir: str | bytes | os.PathLike | None = None,
        max_wait: float | None = None,
        **kwargs: Any,
    ) -> None:
        observer = MongoObserver(
            url=url,
            db_name=db_name,
            collection=collection,
            collection_prefix=collection_prefix,
            overwrite=overwrite,
            priority=priority,
            client=client,
            failure_dir=failure_dir,
            **kwargs,
        )
        observer.tolerate_outages = False
        queue_kwargs: dict[str, Any] = {"interval": interval, "retry_interval": retry_interval}
        if max_wait is not None:
            queue_kwargs["max_wait"] = max_wait
        super().__init__(observer, **queue_kwargs)

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> QueuedMongoObserver:
        """Deprecated alias of the constructor."""
        return cls(*args, **kwargs)

    @classmethod
    def from_cli_arg(cls, value: str) -> QueuedMongoObserver:
        """Create the queued observer from a ``-m`` style value."""
        return cls(**parse_mongo_db_arg(value))


# --------------------------------------------------------------------------- #
# Readers for the continued layouts
# --------------------------------------------------------------------------- #

def read_metric(metrics_collection: Any, run_id: Any, name: str) -> dict:
    """Return ``{"steps", "values", "timestamps"}`` of a metric across continuation documents."""
    docs = list(metrics_collection.find({"run_id": run_id, "name": name}))
    docs.sort(key=lambda d: d.get("part", 0))
    series: dict[str, list] = {"steps": [], "values": [], "timestamps": []}
    for doc in docs:
        for key in series:
            series[key].extend(doc.get(key, []))
    return series


def read_captured_out(fs: Any, run_doc: dict) -> str:
    """Return the full captured output of a stored run (segments + inline tail)."""
    parts = [
        fs.get(file_id).read().decode("utf-8", "surrogateescape")
        for file_id in run_doc.get("captured_out_segments", [])
    ]
    parts.append(run_doc.get("captured_out") or "")
    return "".join(parts)
