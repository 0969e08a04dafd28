"""The FileStorage run layout, independent of where the bytes go.

``FileStorageObserver`` (local disk), ``S3Observer`` and
``GoogleCloudStorageObserver`` all write the same tree::

    basedir/
      1/  2/  3/ ...          one folder per run, numeric ids ascending
        run.json              the run entry (command, experiment, host, meta,
                              status, start/heartbeat/stop times, result,
                              fail_trace, artifacts, resources)
        config.json           the configuration
        cout.txt              the captured output
        info.json             the info dict (only once it is non-empty)
        metrics.json          {name: {"steps": [...], "values": [...], "timestamps": [...]}}
                              (written at the first delivery of points; a run
                              that logged none gets ``{}`` at its end)
        <artifact names>      the artifacts, by name
      _sources/name_<md5>.py  source snapshots, stored once per content
      _resources/name_<md5>.x resources, stored once per content

This module holds everything about that tree: file names, the id allocation
protocol, how ``run.json`` is built, how metrics are merged. A backend
(:class:`StorageBackend`) only knows how to put bytes somewhere.

Design, and why:

* **Ids.** A run folder is claimed with an exclusive create
  (:meth:`StorageBackend.make_dir_exclusive`: ``os.mkdir`` locally, a
  conditional put elsewhere). Whoever loses the race tries the next number,
  so many processes sharing one basedir never share or lose a run.
* **Atomic files.** Every JSON file is replaced as a whole
  (:meth:`StorageBackend.write_bytes_atomic`: temp file in the same folder,
  ``os.replace``), so a reader or a killed process sees the old or the new
  content, never half of it. The files are made durable (fsync) once, when
  the run ends (:meth:`StorageBackend.flush_to_disk`); syncing every
  heartbeat only protects against power loss mid-run and cost more than the
  rest of a short run.
* **Heartbeats cost what changed.** ``cout.txt`` gets only the new suffix of
  the captured output appended (it is rewritten only when a filter changed
  text already written). ``info.json`` is rewritten only when its content
  changed. ``run.json`` is small and bounded and is rewritten on each event,
  except a heartbeat less than ``RUN_JSON_BEAT_GAP`` (1 s) after its last
  write: a short run's final beat is followed at once by its end, which
  writes run.json anyway.
* **Files are created only when needed.** Creating a file costs the kernel
  about a millisecond on a busy ext4 disk, more than writing its bytes, so
  a run folder gets no placeholder files: during a run it holds
  ``run.json``, ``config.json`` and ``cout.txt`` (as with sacred 0.8.7);
  ``metrics.json`` appears with the first points (``{}`` at the end of a
  run without any), ``info.json`` with a non-empty info dict. A missing
  ``metrics.json`` in a live or crashed run means "no metrics yet".
* **Metrics are linear in the number of points.** ``metrics.json``, always
  valid JSON, is rewritten (atomically) only when the number of points has
  doubled since its last rewrite, and once more when the run ends. A
  delivery of points (``log_metrics``) that does not trigger a rewrite
  appends its points as one JSON line to a journal (``.metrics.journal`` in
  the run folder). The journal, when it exists, holds every delivered
  point: the line that creates it is a seed record holding the whole series
  so far (``metrics.json`` holds only the points of its last rewrite), each
  later delivery appends its new points before any rewrite, and the journal
  is removed at the run's end. A run whose deliveries all trigger a rewrite
  (a short run: one delivery at its end) never creates a journal. With N
  points the rewrites cost at most about 2N + N point writes and the
  journal about 2N, whatever the number of beats. While a run is alive (or
  after a crash) :func:`read_metrics` gives the complete series: the
  journal replayed when it holds a complete record, else ``metrics.json``.
"""

from __future__ import annotations

import json
import logging
import marshal
import math
import os
import posixpath
import threading
import time
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Iterator
from json.encoder import encode_basestring_ascii

from sacred.observers.base import RunObserver
from sacred.observers.run_files._json_text import (
    JSON_SCALARS,
    compact_text,
    indented_text,
    scalar_text,
    time_text,
)
from sacred.observers.run_files._metrics_store import INDENT_BELOW_BYTES, MetricSeries
from sacred.run_ids import check_run_id, is_numeric_run_id
from sacred.serializer import flatten

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "StorageBackend",
    "ObjectStoreBackend",
    "LayoutObserver",
    "RUN_FILES",
    "METRICS_JOURNAL",
    "read_metrics",
    "merge_metrics",
    "stored_name",
    "file_md5",
    "check_artifact_name",
    "check_run_id",
    "dump_json",
]

logger = logging.getLogger("sacred.observers")

RUN_JSON = "run.json"
CONFIG_JSON = "config.json"
COUT_TXT = "cout.txt"
INFO_JSON = "info.json"
METRICS_JSON = "metrics.json"
METRICS_JOURNAL = ".metrics.journal"
RUN_FILES = (RUN_JSON, CONFIG_JSON, COUT_TXT, INFO_JSON, METRICS_JSON, METRICS_JOURNAL)

#: A heartbeat rewrites run.json only when its last write is at least this old (seconds):
#: a beat right after the start or another beat leaves it to the next event (at the
#: latest the run's end, which always writes), so run.json's heartbeat lags at most this.
RUN_JSON_BEAT_GAP = 1.0

MAX_ID_ATTEMPTS = 100_000
RELIST_EVERY = 64


def utf8_bytes(text: str) -> bytes:
    """``text`` as UTF-8; characters UTF-8 cannot hold do not lose the rest.

    Captured output may hold lone surrogates: a stream with
    ``errors="surrogateescape"`` (``PYTHONIOENCODING=utf-8:surrogateescape``)
    passes undecodable bytes through as ``\\udc80``-``\\udcff``. Those are
    written back as the bytes they stand for. When other lone surrogates
    occur, every surrogate is written as its escape (``\\ud800``).
    """
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace")


class StorageBackend(ABC):
    """Where the layout's bytes go. Paths are backend paths built with :meth:`join`.

    ``bytes_written`` counts payload bytes per file name (the last path
    component), so the cost of heartbeats can be measured.
    """

    def __init__(self) -> None:
        self.bytes_written: Counter[str] = Counter()

    def _count(self, path: str, nbytes: int) -> None:
        self.bytes_written[self.basename(path)] += nbytes

    @abstractmethod
    def join(self, *parts: str) -> str:
        """Join path parts the way this backend spells paths."""

    @abstractmethod
    def basename(self, path: str) -> str:
        """The last component of ``path``."""

    @abstractmethod
    def make_dir_exclusive(self, path: str) -> bool:
        """Create folder ``path``; False if it already exists (another run owns it)."""

    @abstractmethod
    def list_dirs(self, path: str) -> list[str]:
        """Names of the folders directly inside ``path`` (empty if none)."""

    @abstractmethod
    def exists(self, path: str) -> bool:
        """True if a file exists at ``path``."""

    @abstractmethod
    def read_bytes(self, path: str) -> bytes | None:
        """The content of file ``path``, or None if it does not exist."""

    @abstractmethod
    def write_bytes_atomic(self, path: str, data: bytes) -> None:
        """Replace file ``path`` by ``data`` so readers see old or new, never half."""

    @abstractmethod
    def append_bytes(self, path: str, data: bytes) -> None:
        """Append ``data`` to file ``path`` (created when missing)."""

    def append_text(self, path: str, text: str, start: int = 0) -> None:
        """Append ``text[start:]`` to file ``path`` as UTF-8 (see :func:`utf8_bytes`)."""
        self.append_bytes(path, utf8_bytes(text[start:]))

    @abstractmethod
    def upload_file(self, local_filename: str, path: str) -> None:
        """Store the local file ``local_filename`` at ``path``."""

    @abstractmethod
    def remove(self, path: str) -> None:
        """Remove file ``path`` if it exists."""

    def journal_append(self, path: str, record: bytes) -> None:
        """Append one journal record (a line); backends may store records apart."""
        self.append_bytes(path, record)

    def journal_read(self, path: str) -> bytes:
        """All journal records at ``path`` concatenated (empty if none)."""
        return self.read_bytes(path) or b""

    def journal_remove(self, path: str) -> None:
        """Remove the journal at ``path``."""
        self.remove(path)

    def describe(self, path: str) -> str:
        """A human-readable location for messages."""
        return path

    def flush_to_disk(self, paths: list[str]) -> None:
        """Make the files at ``paths`` durable; object stores are durable already."""
        return None

    def index_append(self, path: str, line: bytes) -> None:
        """Append one line to the runs index at ``path``; backends without safe
        concurrent appends keep no index (readers then fall back to run.json)."""
        return None

    def create_file(self, path: str, data: bytes) -> None:
        """Create a new file in a freshly claimed run folder (nobody reads it yet)."""
        self.write_bytes_atomic(path, data)

    def folder_version(self, path: str) -> Any:
        """Something that changes whenever entries appear in folder ``path`` (None: unknown)."""
        return None


# --- helpers -------------------------------------------------------------------


_INDENT_BELOW_BYTES = INDENT_BELOW_BYTES


def dump_json(obj: Any, memo: bool = False) -> bytes:
    """The layout's JSON form: sorted keys, values flattened safely.

    Files up to 1 MiB are indented like sacred 0.8.7's; larger ones (a big
    info dict, long metric series) stay compact, as large files were when
    indenting meant python's pure-Python JSON encoder (the bytes stay the
    same; :mod:`._json_text` indents without it). Plain JSON data skips the
    flattening walk. ``memo``: see :func:`_indented_text`.
    """
    return _indented_text(obj, 0, memo).encode("utf-8")


def _indented_text(obj: Any, level: int, memo: bool) -> str:
    """``dump_json(obj)`` as text, indented as it sits ``level`` levels deep (0 or 1).

    Scalars are their compact text (indenting changes nothing). The indented
    text comes from :func:`sacred.observers.run_files._json_text.indented_text`,
    built without the pure-Python encoder and, with ``memo`` (run.json and
    config.json), looked up by the compact text; the same bytes either way.
    """
    kind = type(obj)
    if kind in JSON_SCALARS:
        return scalar_text(obj)
    if not obj and (kind is list or kind is dict):
        return "[]" if kind is list else "{}"
    text = time_text(obj)  # start, stop and heartbeat times: what flattening makes of them
    if text is not None:
        return text
    try:
        compact = compact_text(obj)
    except (TypeError, ValueError, RecursionError):
        obj = safe_flatten(obj)  # an object becomes its data
        compact = compact_text(obj)
        if type(obj) in JSON_SCALARS:
            return compact
    if len(compact) >= _INDENT_BELOW_BYTES:
        return compact
    try:
        return indented_text(obj, compact, level, memo)
    except RecursionError:
        pass
    text = json.dumps(obj, indent=2, sort_keys=True)
    return text.replace("\n", "\n" + "  " * level) if level else text


CLAIM_FILE = ".claim"
"""In a queued run's folder: created (atomically, once) by the worker that claimed the run."""


def _claimed_with(backend: StorageBackend, run_dir: str, token: str) -> bool:
    """True if the run folder ``run_dir`` was claimed by the worker holding ``token``."""
    data = backend.read_bytes(backend.join(run_dir, CLAIM_FILE))
    if not data:
        return False
    try:
        return json.loads(data).get("token") == token
    except (ValueError, AttributeError):
        return False


RUNS_INDEX = "runs.index.jsonl"
"""basedir's index: one JSON line per status change of a run (last line per id wins)."""

#: Index columns larger than this (encoded) are left out; readers then open the run's files.
INDEX_VALUE_LIMIT = 16 * 1024
FINAL_INDEX_STATUSES = frozenset({"COMPLETED", "FAILED", "INTERRUPTED", "TIMEOUT"})


def _small(value: Any) -> tuple[bool, Any, str]:
    """(fits in the index, flattened value, its compact text)."""
    flat = safe_flatten(value)
    try:
        text = compact_text(flat)
    except (TypeError, ValueError):
        return False, None, ""
    return len(text) <= INDEX_VALUE_LIMIT, flat, text


def index_record(run_id: str, run_entry: dict, config: Any, final_metrics: dict) -> dict:
    """The runs-index line of a finished run: every column a listing shows (``"full": true``).

    Readers answer listings and filters from these lines without opening the
    run's folder. A column too large for the index (over
    :data:`INDEX_VALUE_LIMIT` encoded) is left out and named in ``"omitted"``.
    Every value is flattened already (``index_line(record, flat=True)``).
    """
    return _index_record_and_texts(run_id, run_entry, config, final_metrics)[0]


def final_index_line(run_id: str, run_entry: dict, config: Any, final_metrics: dict) -> bytes:
    """``index_line(index_record(...))``, joined from the texts made while checking the
    columns' sizes, so the config is not encoded a second time."""
    record, texts = _index_record_and_texts(run_id, run_entry, config, final_metrics)
    parts = []
    for name in sorted(record):
        text = texts.get(name)
        if text is None:
            value = record[name]
            text = scalar_text(value) if type(value) in JSON_SCALARS else compact_text(value)
        parts.append(_key_text(name) + ":" + text)
    return ("{" + ",".join(parts) + "}\n").encode("utf-8")


def _index_record_and_texts(run_id: str, run_entry: dict, config: Any,
                            final_metrics: dict) -> tuple[dict, dict[str, str]]:
    meta = run_entry.get("meta") or {}
    record: dict = {
        "_id": run_id,
        "full": True,
        "status": run_entry.get("status"),
        "experiment": (run_entry.get("experiment") or {}).get("name"),
        "command": run_entry.get("command"),
        "start_time": run_entry.get("start_time"),
        "stop_time": run_entry.get("stop_time"),
        "heartbeat": run_entry.get("heartbeat"),
        "comment": meta.get("comment"),
        "sweep": meta.get("sweep"),
    }
    for name, value in record.items():
        if type(value) not in JSON_SCALARS:
            record[name] = safe_flatten(value)
    omitted = []
    texts = {}
    for name, value in (("config", config), ("result", run_entry.get("result")), ("final_metrics", final_metrics)):
        fits, flat, text = _small(value)
        if fits:
            record[name] = flat
            texts[name] = text
        else:
            omitted.append(name)
    if omitted:
        record["omitted"] = omitted
    return record, texts


def index_line(record: dict, flat: bool = False) -> bytes:
    """One runs-index line (``_id`` first: keys sorted), newline-terminated.

    ``flat``: the record's values are flattened already (as :func:`index_record`
    makes them), so the flattening walk is skipped.
    """
    data = record if flat else safe_flatten(record)
    return compact_text(data).encode("utf-8") + b"\n"


def index_records(data: bytes) -> Iterator[dict]:
    """The records of the runs-index lines in ``data``; a line that does not parse is skipped.

    The lines are parsed in one ``json.loads`` of them joined as a list (one C
    call instead of one per line: most of a listing's time). That parse is
    used only when it yields one record per line: a torn line (a writer killed
    mid-write) leaves brackets open, which no later line closes (each is
    complete), so the joined parse fails, and then every line is parsed on
    its own. (Only hand-made lines with more closing than opening brackets
    could join two lines into one record there.)
    """
    lines = [raw for raw in data.splitlines() if raw.strip()]
    try:
        parsed = json.loads(b"[" + b",".join(lines) + b"]")
    except (ValueError, RecursionError):
        parsed = None
    if parsed is None or len(parsed) != len(lines) or not all(type(r) is dict for r in parsed):
        parsed = []
        for raw in lines:
            try:
                parsed.append(json.loads(raw))
            except (ValueError, RecursionError):
                continue
    for record in parsed:
        if isinstance(record, dict) and "_id" in record:
            yield record


def final_values(metrics: dict) -> dict:
    """``{name: last value}`` of metrics stored as ``{name: {"values": [...]}}``."""
    finals = {}
    for name, series in metrics.items():
        values = series.get("values") if isinstance(series, dict) else None
        if values:
            finals[name] = values[-1]
    return finals


STATIC_RUN_KEYS = frozenset({"experiment", "host", "meta", "command", "start_time"})


def _key_text(key: str) -> str:
    """``json.dumps(key)`` of a key of run.json, the index or info.json (the encoder's own C escaping)."""
    return encode_basestring_ascii(key) if isinstance(key, str) else json.dumps(key)


def _encode_nested(value: Any, memo: bool = False) -> str:
    """One value of run.json, indented as it sits one level deep in the file."""
    return _indented_text(value, 1, memo)


def safe_flatten(obj: Any) -> Any:
    """``flatten(obj)``, never raising: a value that cannot be encoded is stored as its repr.

    Only the offending value is replaced, so a long run never dies at its end
    because one entry of its result or info dict is exotic.
    """
    try:
        return flatten(obj)
    except Exception as exc:  # noqa: BLE001 - never crash at the end of a run
        if isinstance(obj, dict):
            return {(k if isinstance(k, str) else str(k)): safe_flatten(v) for k, v in obj.items()}
        if isinstance(obj, (list, tuple)):
            return [safe_flatten(v) for v in obj]
        try:
            text = repr(obj)
        except Exception:  # noqa: BLE001
            text = f"<{type(obj).__name__} object>"
        logger.warning("Could not serialise a %s value (%s); storing its repr", type(obj).__name__, exc)
        return text


def file_md5(filename: str) -> str:
    """MD5 hex digest of a local file's content."""
    from sacred.dependencies import get_digest

    return get_digest(filename)


def stored_name(filename: str, md5: str) -> str:
    """``data/res.txt`` with md5 ``abc`` is stored as ``res_abc.txt``."""
    base = os.path.basename(filename)
    stem, ext = os.path.splitext(base)
    return f"{stem}_{md5}{ext}"


def check_artifact_name(name: Any) -> str:
    """Return ``name`` normalised to a relative path inside the run folder, or raise.

    Names may contain sub-folders (``plots/loss.png``) but cannot leave the run
    folder, be absolute, or replace one of the run's own files.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"Artifact name must be a non-empty string, got {name!r}")
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise ValueError(
            f"Artifact name {name!r} is an absolute path; use a name relative to the run "
            "folder such as 'model.pt' or 'plots/loss.png'"
        )
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if not parts or any(p == ".." for p in parts):
        raise ValueError(
            f"Artifact name {name!r} would leave the run folder; use a name without '..' "
            "such as 'model.pt' or 'plots/loss.png'"
        )
    if len(parts) == 1 and parts[0] in RUN_FILES:
        raise ValueError(
            f"Artifact name {name!r} would overwrite the run's own {parts[0]}; "
            f"choose another name (reserved: {', '.join(RUN_FILES)})"
        )
    return "/".join(parts)


def merge_metrics(into: dict, new_points: dict) -> int:
    """Append ``new_points`` (``{name: {steps, values, timestamps}}``) to ``into``.

    Returns the number of points added. Values are flattened (numpy scalars
    become numbers, datetimes ISO strings).
    """
    added = 0
    for name, record in new_points.items():
        series = into.setdefault(str(name), {"steps": [], "values": [], "timestamps": []})
        steps = list(record.get("steps", []))
        values = list(record.get("values", []))
        stamps = list(record.get("timestamps", []))
        series["steps"].extend(safe_flatten(steps))
        series["values"].extend(safe_flatten(values))
        series["timestamps"].extend(safe_flatten(stamps))
        added += len(values)
    return added


def _journal_records(data: bytes) -> list[dict]:
    records = []
    for line in data.split(b"\n"):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except ValueError:
            # a record cut short by a crash: every complete record before it counts
            continue
    return records


def read_metrics(backend: StorageBackend, run_dir: str) -> dict:
    """The complete metrics of a run, also while it runs or after a crash.

    Replays the journal when it holds a complete record (its first record
    holds every point delivered before it, each later one the points of a
    delivery), otherwise reads ``metrics.json``: a journal whose seed record
    was cut short by a crash holds nothing ``metrics.json`` lacks. A run
    without either file (alive or crashed before its first points) has no
    metrics: ``{}``.
    """
    journal = backend.journal_read(backend.join(run_dir, METRICS_JOURNAL))
    records = _journal_records(journal) if journal else []
    if records:
        merged: dict = {}
        for record in records:
            merge_metrics(merged, record)
        return merged
    data = backend.read_bytes(backend.join(run_dir, METRICS_JSON))
    return json.loads(data) if data else {}


# --- the observer ---------------------------------------------------------------


class LayoutObserver(RunObserver):
    """Writes runs in the FileStorage layout through a :class:`StorageBackend`.

    Subclasses set up the backend and the three folders (``basedir``,
    ``resource_dir``, ``source_dir``) and may override
    :meth:`resource_reference` / :meth:`source_reference` and :meth:`run_ended`.
    """

    def __init__(
        self,
        backend: StorageBackend,
        basedir: str,
        resource_dir: str,
        source_dir: str,
        priority: int = 20,
        copy_sources: bool = True,
        copy_artifacts: bool = True,
    ) -> None:
        self.backend = backend
        self.basedir = basedir
        self.resource_dir = resource_dir
        self.source_dir = source_dir
        self.priority = priority
        self.copy_sources = copy_sources
        self.copy_artifacts = copy_artifacts
        self._lock = threading.RLock()
        self._static_texts: dict[str, tuple[bytes, str]] = {}  # see _static_text
        self._reset()

    # -- state ------------------------------------------------------------------

    def _reset(self) -> None:
        self.run_dir: str | None = None
        self.run_entry: dict = {}
        self.config: dict = {}
        self.info: dict = {}
        self.cout = ""
        self._info_bytes: bytes | None = None
        self._info_parts: dict[str, list] = {}
        self._info_data: bytes | None = None
        self._metric_series = MetricSeries()
        self._points_total = 0
        self._points_at_rewrite = 0
        self._metrics_dirty = False
        self._metrics_written = False  # metrics.json exists (written by this run)
        self._journal_started = False  # the journal exists (its seed record was appended)
        self._encoded_static: dict[str, str] = {}
        self._run_json_written_at = -math.inf

    @property
    def metrics(self) -> dict:
        """The run's metrics so far, ``{name: {"steps", "timestamps", "values"}}`` (decoded)."""
        return self._metric_series.as_dict()

    @metrics.setter
    def metrics(self, value: dict) -> None:
        """Replace the run's metrics (e.g. by those read back from the store to finish a run)."""
        series = MetricSeries()
        if value:
            series.add_records(value)
        self._metric_series = series

    @property
    def dir(self) -> str | None:
        """The current run's folder (Sacred 0.8.7 name)."""
        return self.run_dir

    # -- paths ------------------------------------------------------------------

    def _path(self, *parts: str) -> str:
        assert self.run_dir is not None
        return self.backend.join(self.run_dir, *parts)

    def source_reference(self, stored_path: str) -> str:
        """How ``run.json`` names a stored source: relative to basedir."""
        prefix = self.basedir.rstrip("/") + "/" if self.basedir else ""
        if prefix and stored_path.startswith(prefix):
            return stored_path[len(prefix):]
        return stored_path

    def resource_reference(self, stored_path: str) -> str:
        """How ``run.json`` names a stored resource: its path in the store."""
        return stored_path

    # -- id allocation ----------------------------------------------------------------

    def _max_numeric_id(self) -> int:
        ids = [int(d) for d in self.backend.list_dirs(self.basedir) if is_numeric_run_id(d)]
        return max(ids, default=0)

    def _next_candidate(self) -> int:
        """The highest id in basedir + 1, without listing basedir when nothing changed.

        The backend reports a version of basedir (its mtime locally): when it
        is the one seen right after our own last claim, no other run folder
        appeared since, so ``last + 1`` is the answer and run creation stays
        flat however many runs the folder holds.
        """
        version = self.backend.folder_version(self.basedir)
        last = getattr(self, "_last_claimed", None)
        if last is not None and version is not None and version == self._seen_version:
            return last + 1
        return self._max_numeric_id() + 1

    def _remember_claim(self, run_id: Any) -> None:
        if isinstance(run_id, int) or (isinstance(run_id, str) and is_numeric_run_id(run_id)):
            last = getattr(self, "_last_claimed", None)
            if last is None or int(run_id) > last:
                self._last_claimed = int(run_id)
        self._seen_version = self.backend.folder_version(self.basedir)

    def _claim_run_dir(self, _id: Any, claim_token: str | None = None) -> Any:
        """Claim a run folder exclusively; returns the run id.

        A queued run's existing folder is taken over only by the worker that
        claimed it: its ``CLAIM_FILE`` holds ``claim_token``.
        """
        if _id is not None:
            name = check_run_id(_id)
            path = self.backend.join(self.basedir, name)
            if claim_token is not None and _claimed_with(self.backend, path, claim_token):
                self.run_dir = path
                return _id
            if not self.backend.make_dir_exclusive(path):
                raise FileExistsError(
                    f"Run id {_id!r} is already taken: {self.backend.describe(path)} exists. "
                    "Choose another --id or leave it out to get the next free number."
                )
            self.run_dir = path
            self._remember_claim(_id)
            return _id
        candidate = self._next_candidate()
        for attempt in range(1, MAX_ID_ATTEMPTS + 1):
            path = self.backend.join(self.basedir, str(candidate))
            if self.backend.make_dir_exclusive(path):
                self.run_dir = path
                self._remember_claim(candidate)
                return candidate
            candidate += 1
            if attempt % RELIST_EVERY == 0:
                candidate = max(candidate, self._max_numeric_id() + 1)
        raise RuntimeError(
            f"Could not claim a run folder in {self.backend.describe(self.basedir)} "
            f"after {MAX_ID_ATTEMPTS} attempts"
        )

    # -- writing helpers -----------------------------------------------------------------

    def _write_json(self, name: str, obj: Any) -> None:
        self.backend.write_bytes_atomic(self._path(name), dump_json(obj, memo=True))

    def save_run_entry(self) -> None:
        """Write ``run.json`` (atomically).

        The parts that never change during a run (experiment, host, meta,
        command, start time) are encoded once and reused by every later
        write; the result is byte for byte ``json.dumps(entry, indent=2,
        sort_keys=True)``.
        """
        cache = self._encoded_static
        parts = []
        for key in sorted(self.run_entry):
            value = self.run_entry[key]
            if key in STATIC_RUN_KEYS:
                encoded = cache.get(key)
                if encoded is None:
                    encoded = cache[key] = self._static_text(key, value)
            else:
                encoded = _encode_nested(value, memo=True)
            parts.append(f"  {_key_text(key)}: {encoded}")
        text = "{\n" + ",\n".join(parts) + "\n}" if parts else "{}"
        self.backend.write_bytes_atomic(self._path(RUN_JSON), text.encode("utf-8"))
        self._run_json_written_at = time.monotonic()

    def _static_text(self, key: str, value: Any) -> str:
        """run.json's text of ``value`` (experiment, host, meta ...), reused from the previous run
        when ``value`` is the same plain data.

        The fingerprint is ``marshal.dumps(value, 2)``: C, a few times cheaper than
        encoding the JSON, defined for exact built-in types only (anything else raises
        ValueError and is encoded afresh) and telling apart what JSON tells apart
        (``True``/``1``/``1.0``, ``str``/``bytes``): equal fingerprints mean equal texts.
        """
        try:
            fingerprint = marshal.dumps(value, 2)
        except (ValueError, TypeError, RecursionError):
            return _encode_nested(value, memo=True)
        known = self._static_texts.get(key)
        if known is not None and known[0] == fingerprint:
            return known[1]
        text = _encode_nested(value, memo=True)
        self._static_texts[key] = (fingerprint, text)
        return text

    def _store_once(self, local_filename: str, store_dir: str, md5: str | None = None) -> str:
        md5 = md5 or file_md5(local_filename)
        target = self.backend.join(store_dir, stored_name(local_filename, md5))
        if not self.backend.exists(target):
            self.backend.upload_file(local_filename, target)
        return target

    def _save_sources(self, ex_info: dict) -> list[list[str]]:
        base_dir = ex_info.get("base_dir") or ""
        references = []
        for rel_path, md5 in ex_info.get("sources", []):
            local = os.path.join(base_dir, rel_path)
            if self.copy_sources:
                stored = self._store_once(local, self.source_dir, md5)
                references.append([rel_path, self.source_reference(stored)])
            else:
                references.append([rel_path, self.uncopied_source_reference(local)])
        return references

    def uncopied_source_reference(self, local_filename: str) -> str:
        """How ``run.json`` names a source that was not copied (``copy_sources=False``)."""
        return os.path.abspath(local_filename)

    def _copy_sources_into_run_dir(self, ex_info: dict) -> None:
        base_dir = ex_info.get("base_dir") or ""
        for rel_path, _md5 in ex_info.get("sources", []):
            try:
                name = check_artifact_name(rel_path)
            except ValueError:
                logger.warning(
                    "Source %s lies outside the experiment's base_dir; not copied into "
                    "the queued run's folder",
                    rel_path,
                )
                continue
            self.backend.upload_file(os.path.join(base_dir, rel_path), self._path(name))

    # -- events -------------------------------------------------------------------------

    def queued_event(
        self,
        ex_info: dict,
        command: str,
        host_info: dict,
        queue_time: Any,
        config: dict,
        meta_info: dict,
        _id: Any,
    ) -> Any:
        """Store a QUEUED run: run.json, config.json and a copy of the sources."""
        with self._lock:
            self._reset()
            meta = dict(meta_info or {})
            meta.setdefault("queue_time", queue_time)
            experiment = dict(ex_info)
            experiment["sources"] = [list(s) for s in ex_info.get("sources", [])]
            self.run_entry = {
                "experiment": experiment,
                "command": command,
                "host": host_info,
                "meta": meta,
                "status": "QUEUED",
            }
            self.config = config
            run_id = self._claim_run_dir(_id)
            self.save_run_entry()
            self._write_json(CONFIG_JSON, config)
            self._copy_sources_into_run_dir(ex_info)
            queue = meta.get("queue") if isinstance(meta.get("queue"), dict) else {}
            self._index("QUEUED", queue_time=queue_time, priority=queue.get("priority", 0))
            return run_id

    def started_event(
        self,
        ex_info: dict,
        command: str,
        host_info: dict,
        start_time: Any,
        config: dict,
        meta_info: dict,
        _id: Any,
    ) -> Any:
        """Claim the run folder and write run.json, config.json and cout.txt.

        ``metrics.json`` comes with the first points (or as ``{}`` at the end).
        """
        with self._lock:
            self._reset()
            experiment = dict(ex_info)
            experiment["sources"] = self._save_sources(ex_info)
            self.run_entry = {
                "experiment": experiment,
                "command": command,
                "host": host_info,
                "start_time": start_time,
                "meta": meta_info,
                "status": "RUNNING",
                "resources": [],
                "artifacts": [],
                "heartbeat": None,
                "result": None,
            }
            self.config = config
            from sacred.queueing import claim_token

            run_id = self._claim_run_dir(_id, claim_token(meta_info))
            self.save_run_entry()
            self._write_json(CONFIG_JSON, config)
            self.backend.create_file(self._path(COUT_TXT), b"")
            self._index("RUNNING", start_time=start_time)
            return run_id

    def heartbeat_event(self, info: dict, captured_out: str, beat_time: Any, result: Any) -> None:
        """Write what changed: new output, a changed info dict, the run entry."""
        with self._lock:
            if self.run_dir is None:
                return
            self._save_info(info)
            self._save_cout(captured_out)
            self.run_entry["heartbeat"] = beat_time
            self.run_entry["result"] = result
            if time.monotonic() - self._run_json_written_at >= RUN_JSON_BEAT_GAP:
                self.save_run_entry()

    def _save_info(self, info: dict | None) -> None:
        self.info = info or {}
        if not self.info and self._info_bytes is None:
            return
        data = self._encode_info(self.info)
        if data != self._info_bytes:
            self.backend.write_bytes_atomic(self._path(INFO_JSON), data)
            self._info_bytes = data

    def _encode_info(self, info: dict) -> bytes:
        """``dump_json(info)``, re-encoding only the top-level entries that changed.

        A growing info dict (a list per epoch, say) is re-sent whole on every
        beat. Each entry ``(key, value)`` is pickled (plain data pickles in C,
        tens of times faster than JSON encodes floats; a heartbeat's copy of
        the info brings these pickles along) and compared with the pickle of
        the previous beat: equal bytes mean an equal value of equal types, so
        its JSON text from then is reused (compact, and indented once the
        file is small enough to be indented). When every entry is as it was,
        the previous beat's bytes are returned as they are; otherwise the
        compact file is one join of the entries' cached bytes. The result is
        byte for byte ``dump_json(info)``; anything unusual (non-string keys,
        values JSON or pickle cannot take) goes through ``dump_json`` itself.
        """
        import pickle

        previous = self._info_parts
        parts: dict[str, list] = {}
        # the heartbeat's copy comes with each entry's pickle (sacred.run.InfoCopy)
        known_pickles = getattr(info, "entry_pickles", None) or {}
        try:
            reused = len(info) == len(previous)
            for key in sorted(info):
                if type(key) is not str:
                    raise TypeError(key)
                value = info[key]
                fingerprint = known_pickles.get(key)
                if fingerprint is None:
                    fingerprint = pickle.dumps((key, value), protocol=pickle.HIGHEST_PROTOCOL)
                known = previous.get(key)
                if known is not None and known[0] == fingerprint:
                    parts[key] = known
                    continue
                reused = False
                compact = compact_text(value)
                # [fingerprint, compact entry (bytes), indented entry (made when needed), compact value]
                parts[key] = [fingerprint, (_key_text(key) + ":" + compact).encode("utf-8"), None, compact]
            self._info_parts = parts
            if reused and self._info_data is not None:
                return self._info_data
            self._info_data = self._info_from_parts(info, parts)
            return self._info_data
        except Exception:  # noqa: BLE001 - anything unusual: the general encoder decides
            self._info_parts = {}
            self._info_data = None
            return dump_json(info)

    @staticmethod
    def _info_from_parts(info: dict, parts: dict[str, list]) -> bytes:
        """info.json from the entries' texts: compact from 1 MiB up, indented below."""
        if not parts:
            return b"{}"
        entries = [part[1] for part in parts.values()]
        if sum(map(len, entries)) + len(entries) + 1 >= _INDENT_BELOW_BYTES:
            # one copy of the whole: the braces go onto the first and last entry
            entries[0] = b"{" + entries[0]
            entries[-1] = entries[-1] + b"}"
            return b",".join(entries)
        for key, part in parts.items():
            if part[2] is None:  # info[key] pickles as the fingerprint: its content now
                text = indented_text(info[key], part[3], 1, memo=False)
                part[2] = "  " + _key_text(key) + ": " + text
        return ("{\n" + ",\n".join(part[2] for part in parts.values()) + "\n}").encode("utf-8")

    def _save_cout(self, captured_out: str | None) -> None:
        text = captured_out or ""
        if text == self.cout:
            return
        if text.startswith(self.cout):
            self.backend.append_text(self._path(COUT_TXT), text, len(self.cout))
        else:
            self.backend.write_bytes_atomic(self._path(COUT_TXT), utf8_bytes(text))
        self.cout = text

    def log_metrics(self, metrics_by_name: dict, info: dict) -> None:
        """Store the new points: metrics.json is rewritten when the points have doubled, the
        journal gets them otherwise (see the module docstring)."""
        with self._lock:
            if self.run_dir is None or not metrics_by_name:
                return
            before = self._metric_series.points
            line = self._metric_series.add_records(metrics_by_name)
            self._journal_points(line, self._metric_series.points - before)

    def log_metric_points(self, points: dict, info: dict) -> None:
        """``log_metrics`` for ``{name: (steps, values, unix times)}`` straight from the run.

        The run calls this instead of :meth:`log_metrics` (as long as a
        subclass did not override that), so no ``datetime`` is made per point:
        the timestamps are formatted from the float times directly, with the
        same stored bytes.
        """
        with self._lock:
            if self.run_dir is None or not points:
                return
            before = self._metric_series.points
            line = self._metric_series.add_unix_points(points)
            self._journal_points(line, self._metric_series.points - before)

    log_metric_points.replaces = log_metrics  # type: ignore[attr-defined]

    def _journal_points(self, line: str, added: int) -> None:
        """Store a delivery whose points are in the series already (``line``: their journal record).

        Points doubled since the last rewrite: metrics.json is rewritten, and
        without a journal that is all (the new file holds every point).
        Otherwise the journal gets the line, and the line that creates the
        journal is the whole series instead (the seed: metrics.json lacks the
        points delivered since its last rewrite). Either way the journal, when
        it exists, holds every delivered point, and one append writes them.
        """
        if not line:
            return
        self._points_total += added
        self._metrics_dirty = True
        rewrite = self._points_total >= 2 * self._points_at_rewrite
        if not self._journal_started:
            if rewrite:
                self._rewrite_metrics()
                return
            line = self._metric_series.compact()
            self._journal_started = True
        self.backend.journal_append(self._path(METRICS_JOURNAL), line.encode("utf-8") + b"\n")
        if rewrite:
            self._rewrite_metrics()

    def _rewrite_metrics(self) -> None:
        self.backend.write_bytes_atomic(self._path(METRICS_JSON), self._metric_series.file_bytes())
        self._points_at_rewrite = self._points_total
        self._metrics_dirty = False
        self._metrics_written = True

    def _finish_metrics(self) -> None:
        """At the run's end: metrics.json holds every point (``{}`` for none); no journal remains."""
        if self._metrics_dirty or not self._metrics_written:
            self._rewrite_metrics()
        if self._journal_started:
            self.backend.journal_remove(self._path(METRICS_JOURNAL))
            self._journal_started = False

    def adopt_stored_metrics(self) -> None:
        """Continue the metrics stored in the current run folder (``run_dir``).

        For finishing a run another process started (``sacred_runner``'s
        salvage of a dead worker's run): later points and the run's end build
        on what is stored. A journal left behind is folded into
        ``metrics.json`` (written atomically first, the journal removed
        after), so its possibly torn last line is never appended to.
        """
        with self._lock:
            assert self.run_dir is not None
            self.metrics = read_metrics(self.backend, self.run_dir)
            self._points_total = self._points_at_rewrite = self._metric_series.points
            self._metrics_dirty = False
            self._journal_started = False
            journal = self._path(METRICS_JOURNAL)
            if self.backend.journal_read(journal):
                self._rewrite_metrics()
                self.backend.journal_remove(journal)
            else:
                self._metrics_written = self.backend.exists(self._path(METRICS_JSON))

    def _end_run(self, status: str, stop_time: Any, **fields: Any) -> None:
        if self.run_dir is None:
            return
        self._finish_metrics()
        self.run_entry["status"] = status
        self.run_entry["stop_time"] = stop_time
        self.run_entry.update(fields)
        self.save_run_entry()
        self.backend.flush_to_disk(
            [self._path(n) for n in (CONFIG_JSON, COUT_TXT, INFO_JSON, METRICS_JSON, RUN_JSON)]
            + [self.run_dir]
        )
        self._index_final()
        self.run_ended()

    def _index(self, status: str, **times: Any) -> None:
        """Record the run's status in basedir's runs index (one JSON line)."""
        assert self.run_dir is not None
        record = {
            "_id": self.backend.basename(self.run_dir),
            "status": status,
            "experiment": self.run_entry.get("experiment", {}).get("name"),
            "command": self.run_entry.get("command"),
            **times,
        }
        try:
            self.backend.index_append(self.backend.join(self.basedir, RUNS_INDEX), index_line(record))
        except OSError as exc:  # the index is a cache: run.json stays the record
            logger.warning("Could not update the runs index in %s: %s", self.basedir, exc)

    def _index_final(self) -> None:
        """Record the finished run with every listed column in basedir's runs index."""
        assert self.run_dir is not None
        line = final_index_line(self.backend.basename(self.run_dir), self.run_entry, self.config,
                                self._metric_series.final_values())
        try:
            self.backend.index_append(self.backend.join(self.basedir, RUNS_INDEX), line)
        except OSError as exc:  # the index is a cache: run.json stays the record
            logger.warning("Could not update the runs index in %s: %s", self.basedir, exc)

    def run_ended(self) -> None:
        """Hook called after the final run.json was written (e.g. to render a report)."""

    def completed_event(self, stop_time: Any, result: Any) -> None:
        """Status COMPLETED with the result."""
        with self._lock:
            self._end_run("COMPLETED", stop_time, result=result)

    def interrupted_event(self, interrupt_time: Any, status: str) -> None:
        """Status INTERRUPTED (or the custom interrupt's status)."""
        with self._lock:
            self._end_run(status, interrupt_time)

    def failed_event(self, fail_time: Any, fail_trace: list[str]) -> None:
        """Status FAILED with the formatted trace."""
        with self._lock:
            self._end_run("FAILED", fail_time, fail_trace=fail_trace)

    def resource_event(self, filename: str) -> None:
        """Store the resource once (by content hash) and list it in run.json."""
        with self._lock:
            if self.run_dir is None:
                return
            entry = [filename, self._resource_target(filename)]
            if entry not in self.run_entry.setdefault("resources", []):
                self.run_entry["resources"].append(entry)
            self.save_run_entry()

    def _resource_target(self, filename: str) -> str:
        return self.resource_reference(self._store_once(filename, self.resource_dir))

    def artifact_event(
        self,
        name: str,
        filename: str,
        metadata: dict | None = None,
        content_type: str | None = None,
    ) -> None:
        """Copy the artifact into the run folder under ``name`` and list it in run.json."""
        with self._lock:
            if self.run_dir is None:
                return
            safe_name = check_artifact_name(name)
            self.backend.upload_file(filename, self._path(*safe_name.split("/")))
            artifacts = self.run_entry.setdefault("artifacts", [])
            if safe_name not in artifacts:
                artifacts.append(safe_name)
            self.save_run_entry()

    def join(self) -> None:
        """Nothing is buffered: every event is written when it arrives."""


def posix_join(*parts: str) -> str:
    """Join object-store key parts with ``/``, dropping empty parts and stray slashes."""
    cleaned = [p.strip("/") for p in parts if p and p.strip("/")]
    return posixpath.join(*cleaned) if cleaned else ""


class ObjectStoreBackend(StorageBackend):
    """Common logic of bucket stores (S3, GCS): keys joined with ``/``.

    A folder exists when an object exists under its prefix. Claiming a run
    folder is an exclusive create of its ``run.json`` (a conditional put that
    fails if the object exists). Each single put is atomic on these stores.
    The metrics journal is a series of small objects (``.metrics.journal/N``),
    so appending a record never rewrites earlier ones.
    """

    def __init__(self) -> None:
        super().__init__()
        self._journal_seq: Counter[str] = Counter()

    @abstractmethod
    def put(self, key: str, data: bytes, if_absent: bool = False) -> bool:
        """Store ``data`` at ``key``; with ``if_absent`` only if no object exists (else False)."""

    @abstractmethod
    def get(self, key: str) -> bytes | None:
        """The object at ``key`` or None."""

    @abstractmethod
    def list_prefixes(self, prefix: str) -> list[str]:
        """Sub-prefixes directly under ``prefix`` (which ends with ``/`` or is empty)."""

    @abstractmethod
    def list_keys(self, prefix: str, limit: int | None = None) -> list[str]:
        """Keys starting with ``prefix`` (at most ``limit``)."""

    @abstractmethod
    def delete_keys(self, keys: list[str]) -> None:
        """Delete the given keys (missing keys are fine)."""

    def join(self, *parts: str) -> str:
        """Join key parts with ``/``."""
        return posix_join(*parts)

    def basename(self, path: str) -> str:
        """Last key component."""
        return posixpath.basename(path.rstrip("/"))

    def make_dir_exclusive(self, path: str) -> bool:
        """Claim ``path`` by creating ``path/run.json`` only if nothing is there yet."""
        if self.list_keys(path.rstrip("/") + "/", limit=1):
            return False
        return self.put(self.join(path, RUN_JSON), b"{}", if_absent=True)

    def list_dirs(self, path: str) -> list[str]:
        """Folder names directly under ``path``."""
        prefix = path.rstrip("/") + "/" if path.strip("/") else ""
        return [p[len(prefix):].strip("/") for p in self.list_prefixes(prefix)]

    def read_bytes(self, path: str) -> bytes | None:
        """The object at ``path`` or None."""
        return self.get(path)

    def write_bytes_atomic(self, path: str, data: bytes) -> None:
        """A single put (atomic on bucket stores)."""
        self.put(path, data)
        self._count(path, len(data))

    def remove(self, path: str) -> None:
        """Delete the object at ``path``."""
        self.delete_keys([path])

    def journal_append(self, path: str, record: bytes) -> None:
        """Store the record as the next object under ``path/``."""
        self._journal_seq[path] += 1
        key = self.join(path, f"{self._journal_seq[path]:010d}")
        self.put(key, record)
        self._count(path, len(record))

    def journal_read(self, path: str) -> bytes:
        """All records under ``path/`` in order."""
        keys = sorted(self.list_keys(path.rstrip("/") + "/"))
        return b"".join(self.get(k) or b"" for k in keys)

    def journal_remove(self, path: str) -> None:
        """Delete every record under ``path/``."""
        self.delete_keys(self.list_keys(path.rstrip("/") + "/"))
        self._journal_seq.pop(path, None)
