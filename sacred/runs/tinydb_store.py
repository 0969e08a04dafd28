"""Read a TinyDbObserver folder (``metadata.json`` + ``hashfs/``), as sacred 0.8.7 or we wrote it.

Documents are read with the observer package's own loader
(:func:`~sacred.observers.tinydb_hashfs._store.load_documents`), which decodes
dates; files stay ``{TinyFile}`` references until opened, and only
hash-named files inside the folder's ``hashfs`` can be opened.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from sacred.runs.base import (
    RunStore,
    duration_of,
    modifications_from_meta,
    parse_time,
    summary_status,
)
from sacred.runs.model import MetricSeries, RunLoader, RunRecord, RunSummary, StoredFile, StoreError
from sacred.runs.query import Query

__all__ = ["TinyDbStore"]

_FILE_TAG = "{TinyFile}:"
_HEX = re.compile(r"^[0-9a-f]{16,128}$")


def _final_metrics(metrics: Any) -> dict:
    if not isinstance(metrics, dict):
        return {}
    return {name: series["values"][-1] for name, series in metrics.items()
            if isinstance(series, dict) and series.get("values")}


def document_summary(doc: dict) -> RunSummary:
    """The summary of one run document (TinyDB, also MongoDB's layout)."""
    meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
    start, stop = parse_time(doc.get("start_time")), parse_time(doc.get("stop_time"))
    heartbeat = parse_time(doc.get("heartbeat"))
    stored = doc.get("status")
    sweep = meta.get("sweep")
    return RunSummary(
        id=str(doc.get("_id")), experiment=(doc.get("experiment") or {}).get("name"),
        status=summary_status(stored, heartbeat, start, meta), stored_status=stored, start_time=start,
        stop_time=stop, heartbeat=heartbeat, duration=duration_of(start, stop, heartbeat),
        config=doc.get("config") if isinstance(doc.get("config"), dict) else {}, result=doc.get("result"),
        final_metrics=_final_metrics(doc.get("metrics")), sweep=sweep if isinstance(sweep, dict) else None,
        comment=meta.get("comment"), command=doc.get("command"),
    )


class TinyDbStore(RunStore):
    """A TinyDbObserver folder opened for reading."""

    kind = "tinydb"

    def __init__(self, root: str | os.PathLike) -> None:
        from sacred.observers.tinydb_hashfs._files import import_tinydb_backend

        self.root = os.path.abspath(os.fspath(root))
        self.path = os.path.join(self.root, "metadata.json")
        if not os.path.isfile(self.path):
            raise StoreError(f"no TinyDB store at {self.root}: metadata.json is missing")
        try:
            import_tinydb_backend()
        except ImportError as exc:
            raise StoreError(str(exc)) from None
        self.description = f"TinyDB {self.root}"

    def _documents(self) -> list[dict]:
        from sacred.observers.tinydb_hashfs._store import load_documents

        try:
            return [dict(doc) for doc in load_documents(self.path)]
        except (OSError, ValueError) as exc:
            raise StoreError(f"cannot read {self.path}: {exc}") from None

    def observer_target(self) -> tuple[str, str]:
        """An observer adding runs to this store."""
        return "tiny_db", self.root

    def ids(self) -> list[str]:
        """Run ids in the order they were stored."""
        return [str(doc.get("_id")) for doc in self._documents()]

    def _candidates(self, query: Query) -> list[RunSummary]:
        return [document_summary(doc) for doc in self._documents()]

    def _load(self, run_id: str) -> RunRecord | None:
        doc = next((d for d in self._documents() if str(d.get("_id")) == run_id), None)
        if doc is None:
            return None
        meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
        return RunRecord(
            document_summary(doc), _DocumentLoader(doc, self._hashfs_opener()),
            config_modifications=modifications_from_meta(meta), meta=meta, host=doc.get("host") or {},
            experiment_info=doc.get("experiment") or {}, info=doc.get("info") or {},
            fail_trace=doc.get("fail_trace"), queue_time=parse_time(doc.get("queue_time")),
        )

    def _hashfs_opener(self) -> Any:
        from sacred.observers.tinydb_hashfs._files import make_hashfs
        from sacred.runs.file_store import inside

        fs = make_hashfs(self.root)
        hash_root = os.path.join(self.root, "hashfs")

        def stored(name: str, tag: str, md5: str | None) -> StoredFile | None:
            try:
                hash_id = json.loads(tag[len(_FILE_TAG):])
            except ValueError:
                return None
            if not isinstance(hash_id, str) or not _HEX.match(hash_id):
                return None
            address = fs.get(hash_id)
            if address is None or not inside(address.abspath, hash_root):
                return None
            path = address.abspath

            def opener() -> Any:
                if not inside(path, hash_root):
                    raise PermissionError(f"refusing to open {name!r}: it points outside the store")
                return open(path, "rb")

            return StoredFile(name, opener, os.path.getsize(path), md5 or hash_id)

        return stored


class _DocumentLoader(RunLoader):
    """Loads a run document's parts (TinyDB: everything is in the document)."""

    def __init__(self, doc: dict, stored_file: Any) -> None:
        self.doc = doc
        self.stored_file = stored_file

    def captured_out(self) -> str:
        return self.doc.get("captured_out") or ""

    def metric_names(self) -> list[str]:
        metrics = self.doc.get("metrics")
        return list(metrics) if isinstance(metrics, dict) else []

    def metric(self, name: str) -> MetricSeries | None:
        series = (self.doc.get("metrics") or {}).get(name)
        if not isinstance(series, dict):
            return None
        return MetricSeries(name, list(series.get("steps") or []), list(series.get("values") or []),
                            raw_timestamps=list(series.get("timestamps") or []))

    def _files(self, entries: Any) -> list[StoredFile]:
        files = []
        for entry in entries or []:
            if not isinstance(entry, list) or not entry:
                continue
            tag = entry[-1]
            md5 = next((e for e in entry[1:-1] if isinstance(e, str) and re.fullmatch(r"[0-9a-f]{32}", e)), None)
            if isinstance(tag, str) and tag.startswith(_FILE_TAG):
                stored = self.stored_file(str(entry[0]), tag, md5)
                if stored is not None:
                    files.append(stored)
        return files

    def artifacts(self) -> list[StoredFile]:
        return self._files(self.doc.get("artifacts"))

    def resources(self) -> list[StoredFile]:
        return self._files(self.doc.get("resources"))

    def sources(self) -> list[StoredFile]:
        return self._files((self.doc.get("experiment") or {}).get("sources"))
