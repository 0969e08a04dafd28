"""Read a FileStorage folder (also the runner's embedded default store).

Listing uses ``runs.index.jsonl`` (see :mod:`sacred.observers.run_files._layout`):
the last line per run id wins, and a finished run's line carries every column a
listing shows, so N runs are listed without opening N folders. The index is a
cache, never trusted over the folders:

* run folders the index does not know (written by sacred 0.8.7, before the
  index existed, or the index was deleted) are read from their ``run.json``;
* a line that does not parse (a torn write, a corrupted file) counts as absent;
* a run whose last line is not final (RUNNING, QUEUED) is read from its
  ``run.json``, which has the current status and heartbeat;
* index lines of folders that no longer exist are ignored;
* a listing of at most :data:`CHECKED_LISTING_LIMIT` runs (a page of ``sacred runs``
  or of the web view) checks each run's ``run.json`` against its index line
  (:meth:`FileStore.checked`): a ``run.json`` torn or changed after the line was
  written (its status differs) is read from the folder, so ``sacred runs`` lists it
  as broken as ``sacred show`` does. The check is one ``stat`` per run once the
  ``run.json`` was parsed (a parse is kept per store object while the file's size and
  mtime stay the same), so a 50-run page costs 50 ``stat`` calls; a longer listing
  (``--limit 0`` of 100,000 runs) trusts the index.

Finished runs read from their folder are appended to the index (one
``O_APPEND`` write per run, safe with concurrent writers; a finished run never
changes, so such a line cannot be stale). This is the only write a reader
makes and it only touches the index; pass ``repair_index=False`` to forbid it.
A read-only store is read all the same.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterable
from typing import IO, Any

from sacred.observers.run_files._layout import (
    CONFIG_JSON,
    COUT_TXT,
    INFO_JSON,
    METRICS_JOURNAL,
    METRICS_JSON,
    RUN_JSON,
    RUNS_INDEX,
    final_values,
    index_line,
    index_record,
    read_metrics,
)
from sacred.run_ids import is_numeric_run_id
from sacred.runs._json import loads
from sacred.runs._metrics_file import RawList, split_metrics
from sacred.runs.base import (
    RunStore,
    duration_of,
    modifications_from_meta,
    parse_time,
    summary_status,
)
from sacred.runs.model import (
    FINAL_STATUSES,
    MetricSeries,
    RunLoader,
    RunRecord,
    RunSummary,
    StoredFile,
    StoreError,
)
from sacred.runs.query import Query, apply_query, id_order

__all__ = ["FileStore", "looks_like_file_store", "safe_open", "inside"]

#: listings of at most this many runs are checked against each run's run.json (see the module docs)
CHECKED_LISTING_LIMIT = 1000
#: metrics.json files larger than this are not parsed for a listing's final values.
LISTING_METRICS_LIMIT = 2 * 1024 * 1024
_MD5_IN_NAME = re.compile(r"_([0-9a-f]{32})(\.[^./]*)?$")


def inside(path: str, root: str) -> bool:
    """Whether ``path`` (symlinks resolved) lies inside ``root``."""
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    try:
        return os.path.commonpath([real, real_root]) == real_root
    except ValueError:
        return False


def safe_open(root: str, name: str) -> IO[bytes]:
    """Open ``root/name`` for reading; PermissionError when ``name`` would leave ``root``."""
    text = name.replace("\\", "/")
    if os.path.isabs(name) or text.startswith("/") or ".." in text.split("/"):
        raise PermissionError(f"refusing to open {name!r}: the name leaves the store")
    path = os.path.join(root, *[p for p in text.split("/") if p])
    if not inside(path, root):
        raise PermissionError(f"refusing to open {name!r}: it points outside the store")
    return open(path, "rb")


def _stored_file(root: str, name: str, relative: str, md5: str | None = None) -> StoredFile:
    path = os.path.join(root, relative)
    try:
        size = os.path.getsize(path) if inside(path, root) else None
    except OSError:
        size = None
    return StoredFile(name, lambda: safe_open(root, relative), size, md5)


def _read_json(path: str) -> tuple[Any, str | None]:
    """(content, None) or (None, why it cannot be read)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return None, f"{os.path.basename(path)} is missing"
    except OSError as exc:
        return None, f"{os.path.basename(path)} cannot be read: {exc.strerror}"
    return parse_json(os.path.basename(path), data)


def parse_json(name: str, data: bytes | None) -> tuple[Any, str | None]:
    """The JSON content of file ``name`` (``data`` None: it is missing) as ``_read_json`` gives it."""
    if data is None:
        return None, f"{name} is missing"
    try:
        return json.loads(data), None
    except ValueError as exc:
        return None, f"{name} is not valid JSON ({exc.msg} at byte {exc.pos})"


def looks_like_file_store(path: str) -> bool:
    """Whether folder ``path`` is a FileStorage basedir (an index, _sources, a run folder, or empty)."""
    if any(os.path.exists(os.path.join(path, name)) for name in (RUNS_INDEX, "_sources", "_resources")):
        return True
    try:
        entries = os.scandir(path)
    except OSError:
        return False
    with entries:
        checked = 0
        empty = True
        for entry in entries:  # stops early: a store of many runs is not listed here
            empty = False
            if entry.is_dir() and not entry.name.startswith((".", "_")):
                if os.path.exists(os.path.join(entry.path, RUN_JSON)):
                    return True
                if is_numeric_run_id(entry.name) and _run_being_created(entry.path):
                    return True
                checked += 1
                if checked >= 50:
                    break
    return empty


#: what a run folder holds before its first run.json is in place
_FILES_BEFORE_RUN_JSON = frozenset({CONFIG_JSON, COUT_TXT, INFO_JSON, METRICS_JSON, METRICS_JOURNAL})


def _run_being_created(path: str) -> bool:
    """Whether ``path`` (a numeric folder) is a run an observer has claimed but not yet written:
    empty, or only files that come before run.json and temporary files (``.NAME.*.tmp``)."""
    try:
        names = os.listdir(path)
    except OSError:
        return False
    return all(name in _FILES_BEFORE_RUN_JSON or (name.startswith(".") and name.endswith(".tmp"))
               for name in names)


def _line_id(raw: bytes) -> str | None:
    """The run id of an index line (None for a line that does not parse: that run is read from its folder)."""
    if raw.startswith(b'{"_id":"'):  # the observer's lines: keys sorted, compact
        end = raw.find(b'"', 8)
        if end > 8:
            return raw[8:end].decode("utf-8", "replace")
    try:
        return str(json.loads(raw)["_id"])
    except (ValueError, KeyError, TypeError):
        return None


def _parse_index(data: bytes, records: dict[str, Any]) -> None:
    """Add the records of complete index lines ``data`` to ``records`` (the last line per id wins)."""
    data = re.sub(rb"\n{2,}", b"\n", data).lstrip(b"\n")  # empty lines (a torn line was ended by a reader)
    if not data:
        return
    try:
        parsed = json.loads(b"[" + data[:-1].replace(b"\n", b",") + b"]")
    except ValueError:
        parsed = None
    if parsed is not None:
        for record in parsed:
            if isinstance(record, dict) and "_id" in record:
                records[str(record["_id"])] = record
        return
    for raw in data.split(b"\n"):  # a corrupt or empty line somewhere: one by one
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
        except ValueError:
            run_id = _line_id(raw)  # a torn line of a known run: read that run from its folder
            if run_id is not None:
                records[run_id] = None
            continue
        if isinstance(record, dict) and "_id" in record:
            records[str(record["_id"])] = record


def last_lines(f: IO[bytes], wanted: set[str], chunk: int = 1 << 20) -> dict[str, bytes]:
    """The last complete index line of each run in ``wanted`` in the seekable index ``f``, read
    backwards from its end in blocks of ``chunk`` bytes until every wanted run was found."""
    lines: dict[str, bytes] = {}
    end = f.seek(0, os.SEEK_END)
    carry = b""
    first = True
    while end > 0 and len(lines) < len(wanted):
        start = max(0, end - chunk)
        f.seek(start)
        block = f.read(end - start) + carry
        end = start
        parts = block.split(b"\n")
        carry = parts[0] if start > 0 else b""
        complete = parts[1:] if start > 0 else parts
        if first:
            complete = complete[:-1]  # no newline after it: empty, or a line being written
            first = False
        for raw in reversed(complete):
            run_id = _line_id(raw)
            if run_id in wanted and run_id not in lines:
                lines[run_id] = raw
    return lines


class _IndexView:
    """A finished run's index record seen as a summary, for filtering before a summary is built."""

    __slots__ = ("id", "record", "config", "final_metrics", "sweep", "status", "stored_status", "experiment",
                 "comment", "command", "result", "broken")

    def __init__(self, run_id: str, record: dict) -> None:
        self.id = run_id
        self.record = record
        self.config = record.get("config") or {}
        self.final_metrics = record.get("final_metrics") or {}
        sweep = record.get("sweep")
        self.sweep = sweep if isinstance(sweep, dict) else None
        self.status = self.stored_status = record.get("status")
        self.experiment = record.get("experiment")
        self.comment = record.get("comment")
        self.command = record.get("command")
        self.result = record.get("result")
        self.broken = None

    @property
    def start_time(self) -> Any:
        return parse_time(self.record.get("start_time"))

    @property
    def stop_time(self) -> Any:
        return parse_time(self.record.get("stop_time"))

    @property
    def heartbeat(self) -> Any:
        return parse_time(self.record.get("heartbeat"))

    @property
    def duration(self) -> float | None:
        return duration_of(self.start_time, self.stop_time, self.heartbeat)


class FileStore(RunStore):
    """A FileStorage basedir opened for reading."""

    kind = "file_storage"

    def __init__(self, basedir: str | os.PathLike, description: str | None = None,
                 repair_index: bool = True) -> None:
        self.basedir = os.path.abspath(os.fspath(basedir))
        if not os.path.isdir(self.basedir):
            raise StoreError(f"no FileStorage folder at {self.basedir}")
        self.description = description or f"FileStorage {self.basedir}"
        self.repair_index = repair_index
        self._index_cache: tuple | None = None  # (file identity, parsed size, mtime, records)
        self._ids_cache: tuple[int, list[str]] | None = None  # (folder mtime, ids)
        self._checked: dict[str, tuple] = {}  # run id -> (run.json size, mtime, its status) found intact

    # -- file access (the local folder; sacred.runs.bucket_store reads a bucket instead) --------

    def _json(self, run_id: str, name: str) -> tuple[Any, str | None]:
        """The JSON content of a run's file ``name``, or (None, why not)."""
        return _read_json(os.path.join(self.basedir, run_id, name))

    def _size(self, run_id: str, name: str) -> int | None:
        """The size of a run's file ``name`` (None: it cannot be read)."""
        try:
            return os.path.getsize(os.path.join(self.basedir, run_id, name))
        except OSError:
            return None

    def _read_bytes(self, run_id: str, name: str) -> bytes | None:
        """A run's file ``name`` (None: missing or unreadable)."""
        try:
            with open(os.path.join(self.basedir, run_id, name), "rb") as f:
                return f.read()
        except OSError:
            return None

    def _metrics_source(self, run_id: str) -> tuple[Any, str, bool]:
        """(storage backend, run folder, whether a metrics journal exists) for ``read_metrics``."""
        from sacred.observers.file_storage import LocalBackend

        folder = os.path.join(self.basedir, run_id)
        return LocalBackend(), folder, os.path.exists(os.path.join(folder, METRICS_JOURNAL))

    def _is_run(self, run_id: str) -> bool:
        """Whether run folder ``run_id`` exists."""
        return os.path.isdir(os.path.join(self.basedir, run_id))

    def _artifact(self, run_id: str, name: str) -> StoredFile:
        """Artifact ``name`` of a run (it cannot reach outside the run's folder)."""
        return _stored_file(os.path.join(self.basedir, run_id), name, name)

    def _referenced(self, name: str, stored: str, md5: str | None) -> StoredFile:
        """A source or resource a run.json names as stored at ``stored`` (inside the store only)."""
        relative = os.path.relpath(stored, self.basedir) if os.path.isabs(stored) else stored
        return _stored_file(self.basedir, name, relative, md5)

    # -- folders and index -----------------------------------------------------------

    def observer_target(self) -> tuple[str, str]:
        """An observer adding runs to this store."""
        return "file_storage", self.basedir

    def ids(self) -> list[str]:
        """Run folder names, in id order (listed again only when the folder changed)."""
        try:
            version = os.stat(self.basedir).st_mtime_ns
            if self._ids_cache is not None and self._ids_cache[0] == version:
                return list(self._ids_cache[1])
            names = [e.name for e in os.scandir(self.basedir)
                     if not e.name.startswith(("_", ".")) and e.is_dir()]
        except OSError as exc:
            raise StoreError(f"cannot list {self.basedir}: {exc.strerror}") from None
        ordered = sorted(names, key=int) if all(name.isdigit() for name in names) else sorted(names, key=id_order)
        self._ids_cache = (version, ordered)
        return list(ordered)

    def _index_records(self) -> dict[str, Any]:
        """run id -> its last index record (None: the line is corrupt, read the folder).

        The whole index is parsed as one JSON array (line by line only when a
        line is corrupt). The result is kept per store object: a later call
        parses only the lines appended since (the index is append-only), so a
        long-lived reader such as the web view pays for new runs only.
        """
        path = os.path.join(self.basedir, RUNS_INDEX)
        try:
            stat = os.stat(path)
        except OSError:
            self._index_cache = None
            return {}
        identity = (stat.st_dev, stat.st_ino)
        cache = self._index_cache
        if cache and cache[0] == identity and cache[2] == stat.st_mtime_ns and cache[1] == stat.st_size:
            return cache[3]
        if cache and cache[0] == identity and stat.st_size >= cache[1]:
            offset, records = cache[1], dict(cache[3])
        else:
            offset, records = 0, {}
        try:
            with open(path, "rb") as f:
                f.seek(offset)
                data = f.read()
        except OSError:
            return {}
        complete = data[: data.rfind(b"\n") + 1]  # after the last newline: a line being written
        _parse_index(complete, records)
        self._index_cache = (identity, offset + len(complete), stat.st_mtime_ns, records)
        return records

    def _tail_lines(self, wanted: set[str], chunk: int = 1 << 20) -> dict[str, bytes]:
        """The last index line of each run in ``wanted``, read backwards from the end of the index.

        A page of the newest runs finds its lines in the index's last block
        instead of reading all of it; older runs read further back.
        """
        try:
            f = open(os.path.join(self.basedir, RUNS_INDEX), "rb")
        except OSError:
            return {}
        with f:
            return last_lines(f, wanted, chunk)

    def _parse_lines(self, raws: list[bytes]) -> list[Any]:
        """Index lines parsed in one go (one JSON array); line by line when one of them is corrupt."""
        if not raws:
            return []
        try:
            parsed = json.loads(b"[" + b",".join(raws) + b"]")
            if len(parsed) == len(raws):
                return parsed
        except ValueError:
            pass
        records = []
        for raw in raws:
            try:
                records.append(json.loads(raw))
            except ValueError:
                records.append(None)
        return records

    def _from_line(self, run_id: str, raw: bytes | None, record: Any = None) -> RunSummary | None:
        """The summary an index line gives, None when the folder must be read instead."""
        if record is None:
            if raw is None:
                return None
            try:
                record = json.loads(raw)
            except ValueError:
                return None
        if not isinstance(record, dict) or not record.get("full") or record.get("status") not in FINAL_STATUSES:
            return None
        omitted = set(record.get("omitted") or ())
        config = record.get("config") if "config" not in omitted else self._config(run_id)[0]
        result = record.get("result")
        finals = record.get("final_metrics") or {}
        if "result" in omitted or "final_metrics" in omitted:
            entry, _ = self._json(run_id, RUN_JSON)
            result = (entry or {}).get("result")
            finals = self._final_metrics(run_id) if "final_metrics" in omitted else finals
        start, stop = parse_time(record.get("start_time")), parse_time(record.get("stop_time"))
        heartbeat = parse_time(record.get("heartbeat"))
        return RunSummary(
            id=run_id, experiment=record.get("experiment"), status=record.get("status"),
            stored_status=record.get("status"), start_time=start, stop_time=stop, heartbeat=heartbeat,
            duration=duration_of(start, stop, heartbeat), config=config if isinstance(config, dict) else {},
            result=result, final_metrics=finals if isinstance(finals, dict) else {},
            sweep=record.get("sweep") if isinstance(record.get("sweep"), dict) else None,
            comment=record.get("comment"), command=record.get("command"),
        )

    def _config(self, run_id: str) -> tuple[dict, str | None]:
        config, problem = self._json(run_id, CONFIG_JSON)
        return (config if isinstance(config, dict) else {}), problem

    def _final_metrics(self, run_id: str) -> dict:
        folder = os.path.join(self.basedir, run_id)
        path = os.path.join(folder, METRICS_JSON)
        try:
            journal = os.path.exists(os.path.join(folder, METRICS_JOURNAL))
            if not journal and os.path.getsize(path) > LISTING_METRICS_LIMIT:
                return {}
            from sacred.observers.file_storage import LocalBackend

            metrics = read_metrics(LocalBackend(), folder)
            return final_values(metrics) if isinstance(metrics, dict) else {}  # a hand-edited file: no finals
        except (OSError, ValueError):
            return {}

    def _with_indexed_finals(self, summary: RunSummary) -> RunSummary:
        """``summary`` with the final metric values of its index line, when its metrics file was too big
        to read for them (a finished run's line never changes). One run's record only: the index is read
        backwards from its end until that run's line."""
        size = self._size(summary.id, METRICS_JSON)
        if size is None or size <= LISTING_METRICS_LIMIT:
            return summary
        raw = self._tail_lines({summary.id}).get(summary.id)
        if raw is None:
            return summary
        try:
            record = json.loads(raw)
        except ValueError:
            return summary
        finals = record.get("final_metrics") if isinstance(record, dict) else None
        if not record.get("full") or record.get("status") != summary.stored_status or not isinstance(finals, dict) \
                or "final_metrics" in (record.get("omitted") or ()):
            return summary
        return dataclasses.replace(summary, final_metrics=finals)

    def _from_folder(self, run_id: str) -> tuple[RunSummary, dict | None]:
        """The summary read from the run's files, and its run.json entry (None when broken)."""
        entry, problem = self._json(run_id, RUN_JSON)
        if problem or not isinstance(entry, dict):
            return RunSummary(id=run_id, broken=problem or "run.json is not an object"), None
        config, config_problem = self._config(run_id)
        meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
        start, stop = parse_time(entry.get("start_time")), parse_time(entry.get("stop_time"))
        heartbeat = parse_time(entry.get("heartbeat"))
        stored = entry.get("status")
        sweep = meta.get("sweep")
        summary = RunSummary(
            id=run_id, experiment=(entry.get("experiment") or {}).get("name"),
            status=summary_status(stored, heartbeat, start, meta), stored_status=stored,
            start_time=start, stop_time=stop, heartbeat=heartbeat, duration=duration_of(start, stop, heartbeat),
            config=config, result=entry.get("result"), final_metrics=self._final_metrics(run_id),
            sweep=sweep if isinstance(sweep, dict) else None, comment=meta.get("comment"),
            command=entry.get("command"),
            broken=config_problem if stored in FINAL_STATUSES or stored == "RUNNING" else None,
        )
        return summary, entry

    def _summaries(self, ids: Iterable[str], records: dict[str, Any], query: Query | None = None) -> list[RunSummary]:
        """Summaries of ``ids`` from their index ``records`` (or folders); with ``query``, only of
        runs that may match it (complete index records are filtered before a summary is built)."""
        summaries, repairs = [], []
        for run_id in ids:
            record = records.get(run_id)
            if query is not None and isinstance(record, dict) and record.get("full") and \
                    record.get("status") in FINAL_STATUSES and not record.get("omitted") and \
                    not query.matches(_IndexView(run_id, record)):
                continue
            summary = self._from_line(run_id, None, record) if record is not None else None
            if summary is None:
                summary, entry = self._from_folder(run_id)
                if entry is not None and summary.stored_status in FINAL_STATUSES and not summary.broken:
                    repairs.append(index_record(run_id, entry, summary.config, summary.final_metrics))
            summaries.append(summary)
        self._repair(repairs)
        return summaries

    def _repair(self, records: list[dict]) -> None:
        if not records or not self.repair_index:
            return
        data = b"".join(index_line(record) for record in records)
        path = os.path.join(self.basedir, RUNS_INDEX)
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o666)
        except OSError:
            return  # a read-only store is read from its folders every time
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                data = b"\n" + data  # end a torn line first, or our first line would continue it
            os.write(fd, data)
        except OSError:
            pass
        finally:
            os.close(fd)

    # -- RunStore ----------------------------------------------------------------------

    def _candidates(self, query: Query) -> list[RunSummary]:
        return self._summaries(self.ids(), self._index_records(), query)

    def checked(self, runs: list[RunSummary]) -> list[RunSummary]:
        """``runs`` with each one whose ``run.json`` is torn, or holds another status than the summary
        (from an index line), replaced by the summary read from its folder (which says broken)."""
        result = []
        for run in runs:
            if run.broken is None and not self._intact(run):
                run = self._from_folder(run.id)[0]
            result.append(run)
        return result

    def _intact(self, run: RunSummary) -> bool:
        path = os.path.join(self.basedir, run.id, RUN_JSON)
        try:
            stat = os.stat(path)
        except OSError:
            return False
        known = self._checked.get(run.id)
        if known is None or known[:2] != (stat.st_size, stat.st_mtime_ns):
            entry, problem = _read_json(path)
            if problem or not isinstance(entry, dict):
                self._checked.pop(run.id, None)
                return False
            known = (stat.st_size, stat.st_mtime_ns, entry.get("status"))
            self._checked[run.id] = known
        return known[2] == run.stored_status

    def _run_query(self, query: Query) -> list[RunSummary]:
        runs = self._listed(query)
        if len(runs) > CHECKED_LISTING_LIMIT:
            return runs
        # a run re-read from its folder is kept only if it still matches (a torn run.json has no status)
        return [new for old, new in zip(runs, self.checked(runs), strict=True) if new is old or query.matches(new)]

    def _listed(self, query: Query) -> list[RunSummary]:
        if query.filters_anything or query.sort not in (None, "id"):
            return apply_query(self._candidates(query), query)
        ids = self.ids()  # a page in id order: only the page's runs are read
        if query.descending:
            ids.reverse()
        end = None if query.limit is None else query.offset + query.limit
        page = ids[query.offset:end]
        lines = self._tail_lines(set(page))
        parsed = self._parse_lines(list(lines.values()))
        return self._summaries(page, dict(zip(lines, parsed, strict=True)))

    def _count(self, query: Query) -> int:
        if not query.filters_anything:
            return len(self.ids())
        return super()._count(query)

    def _load(self, run_id: str) -> RunRecord | None:
        if run_id.startswith(("_", ".")) or "/" in run_id or "\\" in run_id or run_id in ("", ".."):
            return None
        if not self._is_run(run_id):
            return None
        summary, entry = self._from_folder(run_id)
        if not summary.final_metrics and summary.stored_status in FINAL_STATUSES and not summary.broken:
            summary = self._with_indexed_finals(summary)
        entry = entry or {}
        meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
        info, _ = self._json(run_id, INFO_JSON)
        return RunRecord(
            summary, _FolderLoader(self, run_id, entry),
            config_modifications=modifications_from_meta(meta),
            meta=meta, host=entry.get("host") or {}, experiment_info=entry.get("experiment") or {},
            info=info if isinstance(info, dict) else {}, fail_trace=entry.get("fail_trace"),
            queue_time=parse_time(meta.get("queue_time") or entry.get("queue_time")),
        )


def _read_metrics_lazily(store: FileStore, run_id: str) -> Any:
    """A run's metrics: from the journal while it runs (or after a crash), else ``metrics.json``
    with each list left unparsed until used (see :mod:`sacred.runs._metrics_file`)."""
    backend, folder, journal = store._metrics_source(run_id)
    if journal:
        return read_metrics(backend, folder)
    data = backend.read_bytes(backend.join(folder, METRICS_JSON))
    if not data:
        return {}
    split = split_metrics(data)
    return split if split is not None else loads(data)


class _FolderLoader(RunLoader):
    def __init__(self, store: FileStore, run_id: str, entry: dict) -> None:
        self.store = store
        self.run_id = run_id
        self.entry = entry
        self._metrics: dict | None = None
        self._metrics_error: str | None = None

    def captured_out(self) -> str:
        data = self.store._read_bytes(self.run_id, COUT_TXT)
        return data.decode("utf-8", "replace") if data is not None else ""

    def _all_metrics(self) -> dict:
        """The run's metrics; a finished run's lists are parsed only when a series is used."""
        if self._metrics is None:
            try:
                metrics = _read_metrics_lazily(self.store, self.run_id)
            except OSError as exc:
                metrics, self._metrics_error = {}, f"{METRICS_JSON} cannot be read: {exc.strerror or exc}"
            except (ValueError, RecursionError) as exc:
                why = f"{exc.msg} at byte {exc.pos}" if isinstance(exc, json.JSONDecodeError) else str(exc)
                metrics, self._metrics_error = {}, f"{METRICS_JSON} is not valid JSON ({why})"
            if not isinstance(metrics, dict):
                metrics, self._metrics_error = {}, f"{METRICS_JSON} is not a JSON object"
            self._metrics = metrics
        return self._metrics

    def metrics_error(self) -> str | None:
        self._all_metrics()
        return self._metrics_error

    def metric_names(self) -> list[str]:
        return list(self._all_metrics())

    def metric(self, name: str) -> MetricSeries | None:
        series = self._all_metrics().get(name)
        if not isinstance(series, dict):
            return None
        steps, values, stamps = (series.get(key) for key in ("steps", "values", "timestamps"))
        return MetricSeries(name, steps if isinstance(steps, RawList) else list(steps or []),
                            values if isinstance(values, RawList) else list(values or []),
                            raw_timestamps=stamps if isinstance(stamps, RawList) else list(stamps or []))

    def artifacts(self) -> list[StoredFile]:
        names = self.entry.get("artifacts") or []
        return [self.store._artifact(self.run_id, name) for name in names if isinstance(name, str)]

    def _referenced(self, pairs: Any) -> list[StoredFile]:
        files = []
        for pair in pairs or []:
            if not isinstance(pair, list | tuple) or len(pair) != 2:
                continue
            name, stored = str(pair[0]), str(pair[1])
            match = _MD5_IN_NAME.search(os.path.basename(stored))
            files.append(self.store._referenced(name, stored, match.group(1) if match else None))
        return files

    def resources(self) -> list[StoredFile]:
        return self._referenced(self.entry.get("resources"))

    def sources(self) -> list[StoredFile]:
        return self._referenced((self.entry.get("experiment") or {}).get("sources"))
