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
  "file_id"}``), ``captured_out`` and ``fail_trace`` when failed. ``info``
  and ``result`` hold JSON types only (``sacred.serializer.flatten``: dates
  as ISO strings, bytes and sets as jsonpickle tags), as 0.8.7 stores them,
  so that ``json.dumps(info)`` works for readers such as incense.
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

MongoDB documents are limited to 16 MB, so three things continue elsewhere:

* **Metrics** (:mod:`sacred.observers.mongo._metrics`). A metric document holds
  at most ``METRIC_POINTS_PER_DOCUMENT`` points (and roughly
  ``METRIC_BYTES_PER_DOCUMENT`` bytes). Further points go to *continuation
  documents* in the same metrics collection, with the same ``name`` and
  ``run_id`` and an integer ``part`` (1, 2, ...; the first document has no
  ``part`` and is the one ``info["metrics"]`` points to). The full series is
  the concatenation of ``find({"run_id": id, "name": name})`` sorted by
  ``part`` (missing = 0); :func:`read_metric` does that.
* **Captured output** (:mod:`sacred.observers.mongo._captured_out`). When the
  output grows beyond ``CAPTURED_OUT_INLINE_CHARS`` characters, its beginning
  is moved to GridFS in segments of ``CAPTURED_OUT_SEGMENT_CHARS`` characters
  (UTF-8 files named ``captured_out://<runs collection>/<run id>/<index>``),
  listed in order in the run document's ``captured_out_segments`` (file ids).
  ``captured_out`` then holds the most recent output only, so that tools
  showing it stay useful; the full text is the segments followed by
  ``captured_out`` (:func:`read_captured_out`).
* **Oversized values** (:mod:`sacred.observers.mongo._oversized`). If the run
  document would still exceed ``MAX_RUN_DOCUMENT_BYTES``, the largest
  top-level ``info`` entries (never ``info["metrics"]``), ``result`` or
  ``fail_trace`` move to GridFS (``oversized://<runs collection>/<run id>/<slot>``,
  BSON ``{"value": ...}``), largest first, until it fits. Each leaves a pointer
  ``{"sacred_oversized": true, "gridfs_id": <file id>, "bytes": <n>}`` in its
  place; :func:`read_oversized` reads one value back, :func:`restore_oversized`
  a whole run document.

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

import logging
import mimetypes
import os
import re
import threading
import time
from typing import Any

from sacred.masking import mask_secrets, mask_text
from sacred.observers._backend_import import import_backends
from sacred.observers.base import RunObserver
from sacred.observers.mongo._captured_out import CapturedOutSegments, read_captured_out
from sacred.observers.mongo._failure_dump import (
    DEFAULT_FAILURE_DIR,
    resolve_failure_dir,
    write_failure_dump,
)
from sacred.observers.mongo._gridfs_files import put_file_once
from sacred.observers.mongo._metrics import MetricLimits, PendingPoints, RunMetrics, read_metric
from sacred.observers.mongo._oversized import (
    OversizedValues,
    is_oversized,
    read_oversized,
    restore_oversized,
)
from sacred.observers.mongo._run_ids import (
    insert_given_id,
    insert_new_id,
    overwrite_run,
    take_over_claimed,
)
from sacred.observers.mongo._url import MONGO_DB_ARG_FORM, client_address, parse_mongo_db_arg
from sacred.observers.mongo._values import bson_text, bsonify, force_bson_encodeable
from sacred.observers.queue import QueueObserver
from sacred.observers.run_files._layout import file_md5
from sacred.serializer import flatten
from sacred.utils import ObserverError

__all__ = [
    "DEFAULT_MONGO_PRIORITY",
    "MongoObserver",
    "QueuedMongoObserver",
    "force_bson_encodeable",
    "DEFAULT_FAILURE_DIR",
    "MONGO_DB_ARG_FORM",
    "parse_mongo_db_arg",
    "is_oversized",
    "read_captured_out",
    "read_metric",
    "read_oversized",
    "restore_oversized",
]

logger = logging.getLogger("sacred.observers.mongo")

DEFAULT_MONGO_PRIORITY = 30
"""The priority MongoObserver and QueuedMongoObserver get unless told otherwise (0.8.7)."""

_START_EVENTS = {"queued_event": ("QUEUED", "queue_time"), "started_event": ("RUNNING", "start_time")}
"""Status and time key of the run document for each event that creates it."""


def _import_pymongo():
    return import_backends(
        "pymongo", "gridfs", needed_by="MongoObserver", extra="mongo", packages=["pymongo"]
    )


class ReservedCollectionError(ValueError, KeyError):
    """A collection name is reserved (in ``COLLECTION_NAME_BLACKLIST``) or invalid."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class _AlternativeConstructors:
    """``create`` and ``from_cli_arg``, shared by both Mongo observers."""

    @classmethod
    def create(cls, *args: Any, **kwargs: Any) -> Any:
        """Deprecated alias of the constructor (kept for Sacred 0.8 code)."""
        return cls(*args, **kwargs)

    @classmethod
    def from_cli_arg(cls, value: str) -> Any:
        """Create the observer from a ``-m`` value (see :func:`parse_mongo_db_arg`)."""
        return cls(**parse_mongo_db_arg(value))


class MongoObserver(_AlternativeConstructors, RunObserver):
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
    # As many points as surely fit in one 16 MB document (a numeric point takes
    # at most 48 bytes; the estimate counts 64), so that every series Sacred
    # 0.8.7 could store stays one document: incense keys metrics by name and
    # would show only the last continuation document of a split series.
    METRIC_POINTS_PER_DOCUMENT = 250_000
    METRIC_BYTES_PER_DOCUMENT = 16_000_000
    METRIC_POINTS_PER_UPDATE = 25_000
    FINAL_SAVE_ATTEMPTS = 10
    FINAL_SAVE_RETRY_SECONDS = 1.0
    MAX_RUN_DOCUMENT_BYTES = 16 * 1024 * 1024 - 16 * 1024

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
            _check_given_client(pymongo, client, url, kwargs)
        runs_name, metrics_name = _collection_names(collection, collection_prefix)
        self._validate_db_name(db_name)
        self._validate_collection_name(runs_name)
        if client is None:
            self.url = mask_text(url) if url else "mongodb://localhost:27017"
            client = _new_client(pymongo, url, self.url, kwargs)
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
        self.tolerate_outages = True
        self._lock = threading.RLock()
        self._reset_run_state()

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
            entry = self._new_entry(ex_info, command, host_info, config, meta_info, "QUEUED",
                                    queue_time=queue_time)
            return self._start(entry, _id)

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        """Store the new run with status RUNNING and return its id."""
        with self._lock:
            entry = self._new_entry(ex_info, command, host_info, config, meta_info, "RUNNING",
                                    start_time=start_time)
            return self._start(entry, _id)

    def heartbeat_event(self, info, captured_out, beat_time, result):
        """Update info, captured output, heartbeat time and result."""
        with self._lock:
            self._require_run()
            self._record_heartbeat(info, captured_out, beat_time, result)
            if self._outage_is_recent():
                return  # kept in run_entry for the next save: no second wait for a server
            self._tolerant("heartbeat", self._save_progress)

    def completed_event(self, stop_time, result):
        """Mark the run COMPLETED and save it (failure folder if the DB is gone)."""
        with self._lock:
            self._require_run()
            self._record_completed(stop_time, result)
            self.final_save(attempts=self.FINAL_SAVE_ATTEMPTS)

    def interrupted_event(self, interrupt_time, status):
        """Mark the run with ``status`` (INTERRUPTED, TIMEOUT, ...) and save it."""
        with self._lock:
            self._require_run()
            self._record_interrupted(interrupt_time, status)
            self.final_save(attempts=self.FINAL_SAVE_ATTEMPTS)

    def failed_event(self, fail_time, fail_trace):
        """Mark the run FAILED with its trace and save it."""
        with self._lock:
            self._require_run()
            self._record_failed(fail_time, fail_trace)
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
                put_file_once(self.fs, filename, filename, md5)
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
                file_id = put_file_once(
                    self.fs,
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
            self._record_metrics(metrics_by_name, info)
            # Never raised, even inside a queue: unsent points stay buffered here
            # and go out with the next heartbeat or the final save. Raising would
            # make a queue deliver the same points twice.
            try:
                self._flush_metrics()
            except Exception as exc:  # noqa: BLE001 - kept and retried, see above
                logger.warning(
                    "MongoObserver: could not write metrics of run %s to %s: %s; %d point(s) "
                    "kept for the next attempt",
                    self.run_entry.get("_id"), self._where(), mask_text(str(exc)),
                    self._run_metrics.pending_count(),
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
        # A config (or meta) over 16 MB goes to GridFS behind a pointer, as in save().
        document = self._oversized.fit(self.run_entry, self.fs, self.runs.name,
                                       self.MAX_RUN_DOCUMENT_BYTES)
        if self.overwrite is not None:
            run_id = overwrite_run(self.runs, self.metrics, document, self.overwrite, self._where())
        else:
            from sacred.queueing import claim_token

            token = claim_token(self.run_entry.get("meta"))
            if token is not None and take_over_claimed(self.runs, document, token):
                run_id = document["_id"]
                if document.get("queue_time") is not None:
                    self.run_entry.setdefault("queue_time", document["queue_time"])
            elif document.get("_id") is not None:
                run_id = insert_given_id(self.runs, document, self._where())
            else:
                run_id = insert_new_id(self.runs, document, self._where())
        self.run_entry["_id"] = run_id
        return run_id

    def save(self) -> None:
        """Write the current ``run_entry`` (whole document, idempotent).

        Values that would push it beyond ``MAX_RUN_DOCUMENT_BYTES`` are stored
        in GridFS behind a pointer (see :mod:`sacred.observers.mongo._oversized`);
        ``run_entry`` itself keeps them, e.g. for the failure dump.
        """
        document = self._oversized.fit(self.run_entry, self.fs, self.runs.name,
                                       self.MAX_RUN_DOCUMENT_BYTES)
        self.runs.replace_one({"_id": self.run_entry["_id"]}, document, upsert=True)
        self._oversized.delete_obsolete(self.fs)

    def final_save(self, attempts: int) -> None:
        """Save the finished run, retrying; dump it to ``failure_dir`` if that fails.

        When ``tolerate_outages`` is False (inside a queued observer) the last
        error is raised instead so that the queue retries the event.
        """
        attempts = max(1, int(attempts))
        last_error: Exception | None = None
        # Retries bridge a short blip. An attempt that waited for a server (half
        # the server-selection timeout or more) means an outage: no retry, so
        # the run ends within about one timeout instead of ``attempts`` of them.
        timeout = self._server_selection_seconds()
        deadline = time.monotonic() + timeout
        if self._outage_is_recent():
            attempts = 1  # the database was unreachable moments ago: one more try, then the dump
        for attempt in range(attempts):
            began = time.monotonic()
            try:
                self._save_progress()
                return
            except Exception as exc:  # noqa: BLE001 - retried, then reported
                last_error = exc
                if not self.tolerate_outages:
                    raise
                now = time.monotonic()
                waited_for_a_server = now - began >= timeout / 2
                if attempt + 1 >= attempts or waited_for_a_server or now >= deadline:
                    break
                time.sleep(self.FINAL_SAVE_RETRY_SECONDS)
        path = self.save_to_failure_dir()
        self._save_status_only(last_error)
        logger.warning(
            "MongoObserver: could not save run %s to %s (%s); the run entry was written to %s",
            self.run_entry.get("_id"),
            self._where(),
            mask_text(str(last_error)),
            path,
        )

    def _server_selection_seconds(self) -> float:
        """The client's server-selection timeout (30 s, pymongo's default, when unknown)."""
        try:
            return float(self.runs.database.client.options.server_selection_timeout)
        except (AttributeError, TypeError, ValueError):
            return 30.0
    def _save_status_only(self, error: Exception | None) -> None:
        """After a failed final save, at least record how the run ended (best effort).

        A value the server refuses must not leave the run RUNNING for ever: status,
        stop time and heartbeat are set with a small update, and ``save_error`` says
        why the rest is only in the failure dump.
        """
        fields = {key: self.run_entry.get(key) for key in ("status", "stop_time", "heartbeat")}
        fields["save_error"] = mask_text(f"{type(error).__name__}: {error}")[:1000]
        if self.saved_to_failure_dir:
            fields["failure_dump"] = self.saved_to_failure_dir
        try:
            self.runs.update_one({"_id": self.run_entry["_id"]}, {"$set": bsonify(fields)})
        except Exception as exc:  # noqa: BLE001 - the database is gone: the dump is the record
            logger.debug("MongoObserver: could not record the status of run %s either: %s",
                         self.run_entry.get("_id"), exc)

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
            file_id = put_file_once(self.fs, abs_path, abs_path, md5 or file_md5(abs_path))
            stored.append([source_name, file_id])
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
        unsaved = self._run_metrics.unsaved()
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

    # --------------------------------------------- the run in memory (shared by
    # the events and by the offline replay of events a queue gave up on)
    @property
    def _pending(self) -> dict[str, PendingPoints]:
        """Metric points not stored yet, by name."""
        return self._run_metrics.pending

    def _new_entry(self, ex_info, command, host_info, config, meta_info, status,
                   **times: Any) -> dict:
        self._reset_run_state()
        entry = {
            "experiment": dict(ex_info or {}),
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
        entry.update(times)
        if status == "RUNNING":
            entry["heartbeat"] = None
        return entry

    def _reset_run_state(self) -> None:
        self.saved_to_failure_dir: str | None = None
        self._run_metrics = RunMetrics()
        self._info: Any = {}
        self._captured_full = ""
        self._captured_segments = CapturedOutSegments()
        self._oversized = OversizedValues()
        self._outage_at: float | None = None

    def _outage_is_recent(self) -> bool:
        """True within one server-selection timeout after a write found the database unreachable."""
        return (self._outage_at is not None
                and time.monotonic() - self._outage_at < self._server_selection_seconds())

    def _record_heartbeat(self, info=None, captured_out=None, beat_time=None, result=None) -> None:
        self._info = info
        self.run_entry["heartbeat"] = beat_time
        self.run_entry["result"] = _json_value(result)
        self._captured_full = bson_text(captured_out or "")

    def _record_metrics(self, metrics_by_name=None, info=None) -> None:
        self._run_metrics.add(metrics_by_name)
        if info is not None:
            self._info = info

    def _record_completed(self, stop_time=None, result=None) -> None:
        self.run_entry.update(stop_time=stop_time, status="COMPLETED", result=_json_value(result))

    def _record_interrupted(self, interrupt_time=None, status=None) -> None:
        self.run_entry.update(stop_time=interrupt_time, status=status)

    def _record_failed(self, fail_time=None, fail_trace=None) -> None:
        self.run_entry.update(stop_time=fail_time, status="FAILED",
                              fail_trace=bsonify(list(fail_trace or [])))

    def _apply_offline(self, event_name: str, kwargs: dict) -> None:
        if event_name in _START_EVENTS:
            status, time_key = _START_EVENTS[event_name]
            self.run_entry = self._new_entry(
                kwargs.get("ex_info"), kwargs.get("command"), kwargs.get("host_info"),
                kwargs.get("config"), kwargs.get("meta_info"), status,
                **{time_key: kwargs.get(time_key)},
            )
            if kwargs.get("_id") is not None:
                self.run_entry["_id"] = kwargs["_id"]
            return
        entry = self.run_entry
        if entry is None:
            return
        recorders = {
            "heartbeat_event": self._record_heartbeat,
            "log_metrics": self._record_metrics,
            "completed_event": self._record_completed,
            "interrupted_event": self._record_interrupted,
            "failed_event": self._record_failed,
        }
        if event_name in recorders:
            recorders[event_name](**kwargs)
        elif event_name == "resource_event":
            filename = kwargs.get("filename")
            md5 = file_md5(filename) if filename and os.path.isfile(filename) else None
            entry["resources"].append([filename, md5])
        elif event_name == "artifact_event":
            entry["artifacts"].append(
                {"name": kwargs.get("name"), "file_id": None, "filename": kwargs.get("filename")}
            )

    def _info_document(self) -> dict:
        info = _json_value(self._info) if self._info is not None else {}
        if not isinstance(info, dict):
            info = {"value": info}
        if self._run_metrics.refs:
            info["metrics"] = list(self._run_metrics.refs)
        return info

    # ------------------------------------------------------------- storing
    def _require_run(self) -> None:
        if self.run_entry is None:
            raise ObserverError("MongoObserver received an event before started_event/queued_event.")

    def _tolerant(self, what: str, action) -> None:
        if not self.tolerate_outages:
            action()
            return
        try:
            action()
            self._outage_at = None
        except Exception as exc:  # noqa: BLE001 - a DB outage never kills the run
            self._outage_at = time.monotonic()
            logger.warning(
                "MongoObserver: could not write %s of run %s to %s: %s; will retry with the next "
                "event",
                what,
                self.run_entry.get("_id"),
                self._where(),
                mask_text(str(exc)),
            )

    #: indexes the run reader (:mod:`sacred.runs.mongo_store`) filters and sorts with
    RUN_INDEXES = ("status", "experiment.name", "start_time", "meta.sweep.id")

    def _ensure_indexes(self) -> None:
        """Create the reader's indexes once per observer (idempotent; failures only logged)."""
        if getattr(self, "_indexes_ready", False):
            return
        self._indexes_ready = True
        try:
            for key in self.RUN_INDEXES:
                self.runs.create_index(key)
            self.metrics.create_index([("run_id", 1), ("name", 1)])
        except Exception as exc:  # noqa: BLE001 - an index is an optimisation, never a reason to fail
            logger.debug("MongoObserver: could not create indexes in %s: %s", self._where(), exc)

    def _start(self, entry: dict, _id: Any) -> Any:
        self._ensure_indexes()
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
            self.run_entry = None  # not stored: later events must not overwrite a run with that id
            raise
        except Exception as exc:
            from pymongo.errors import PyMongoError

            self.run_entry = None
            if not isinstance(exc, PyMongoError):
                raise
            raise ObserverError(
                f"MongoObserver: cannot store the run in {self._where()}: "
                f"{mask_text(str(exc))}"
            ) from None

    def _save_progress(self) -> None:
        self._flush_metrics()
        self.run_entry["info"] = self._info_document()
        self._captured_segments.place(
            self._captured_full, self.run_entry, self.fs, self.runs.name,
            self.CAPTURED_OUT_INLINE_CHARS, self.CAPTURED_OUT_SEGMENT_CHARS,
        )
        self.save()

    def _flush_metrics(self) -> None:
        limits = MetricLimits(self.METRIC_POINTS_PER_DOCUMENT, self.METRIC_BYTES_PER_DOCUMENT,
                              self.METRIC_POINTS_PER_UPDATE)
        self._run_metrics.flush(self.metrics, self.run_entry["_id"], limits)


def _json_value(value: Any) -> Any:
    """``info``/``result`` as stored: JSON types only, as Sacred 0.8.7 stores them.

    Datetimes become ISO strings and bytes/sets jsonpickle tags (as in the
    FileStorage layout) rather than BSON dates and binaries, because readers
    such as incense decode ``info`` with ``jsonpickle.loads(json.dumps(info))``.
    """
    return bsonify(flatten(value))


def _check_given_client(pymongo: Any, client: Any, url: str | None, kwargs: dict) -> None:
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


def _collection_names(collection: str, collection_prefix: str) -> tuple[str, str]:
    """Names of the runs and metrics collections."""
    if not collection_prefix:
        return collection, "metrics"
    if collection != "runs":
        raise ValueError(
            "MongoObserver: pass either collection or collection_prefix, not both "
            f"(got collection={collection!r}, collection_prefix={collection_prefix!r})."
        )
    return f"{collection_prefix}_runs", f"{collection_prefix}_metrics"


def _new_client(pymongo: Any, url: str | None, masked_url: str, kwargs: dict) -> Any:
    try:
        return pymongo.MongoClient(url, **kwargs)
    except pymongo.errors.PyMongoError as exc:
        raise ValueError(
            f"MongoObserver: cannot use MongoDB URL {masked_url}: {mask_text(str(exc))}"
        ) from None
    except TypeError as exc:
        raise ValueError(f"MongoObserver: bad MongoClient arguments: {exc}") from None


class QueuedMongoObserver(_AlternativeConstructors, QueueObserver):
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
