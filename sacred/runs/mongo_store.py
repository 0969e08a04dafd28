"""Read a MongoObserver database (``runs``, ``metrics``, GridFS), as sacred 0.8.7 or we wrote it.

Status, experiment, sweep, time and comment filters become a MongoDB query
(served by the indexes MongoObserver creates); config filters are applied to
the decoded documents. Long outputs, split metrics and oversized values are
read back with the observer package's readers (``read_captured_out``,
``read_metric``, ``restore_oversized``).
"""

from __future__ import annotations

import re
from typing import Any

from sacred.runs.base import RunStore, modifications_from_meta, parse_time
from sacred.runs.model import MetricSeries, RunLoader, RunRecord, RunSummary, StoredFile, StoreError
from sacred.runs.opening import mask_url
from sacred.runs.query import Query, apply_query, id_order
from sacred.runs.tinydb_store import document_summary

__all__ = ["MongoStore"]

#: the listed part of a run document (no captured output, no info, no host)
_LISTED = {"captured_out": 0, "captured_out_segments": 0, "info": 0, "host": 0, "artifacts": 0, "resources": 0,
           "fail_trace": 0}


def _native_id(run_id: str) -> Any:
    return int(run_id) if run_id.lstrip("-").isdigit() else run_id


class MongoStore(RunStore):
    """A MongoDB database written by MongoObserver, opened for reading."""

    kind = "mongodb"

    def __init__(self, url: str, collection: str = "runs", timeout_ms: int = 5000) -> None:
        try:
            import gridfs
            import pymongo
            from pymongo.uri_parser import parse_uri
        except ImportError:
            raise StoreError("reading MongoDB needs pymongo: pip install 'sacred[mongo]'") from None
        self.description = f"MongoDB {mask_url(url)}"
        self._url = url
        try:
            database = parse_uri(url).get("database") or "sacred"
        except Exception as exc:  # noqa: BLE001 - pymongo raises several types for a bad URI
            raise StoreError(f"cannot open {mask_url(url)}: {exc}") from None
        self.pymongo = pymongo
        self.client = pymongo.MongoClient(url, serverSelectionTimeoutMS=timeout_ms)
        self.db = self.client[database]
        self.runs = self.db[collection]
        self.metrics = self.db["metrics"]
        self.fs = gridfs.GridFS(self.db)
        try:
            names = self.db.list_collection_names()
        except pymongo.errors.PyMongoError as exc:
            self.client.close()
            raise StoreError(f"cannot open {mask_url(url)}: {str(exc).splitlines()[0]}") from None
        if collection not in names:
            self.client.close()
            raise StoreError(f"{mask_url(url)} is not a sacred store: database {database!r} has no "
                             f"{collection!r} collection")

    def close(self) -> None:
        """Close the client."""
        self.client.close()

    def _guard(self, action: Any) -> Any:
        try:
            return action()
        except self.pymongo.errors.PyMongoError as exc:
            raise StoreError(f"cannot read {self.description}: {str(exc).splitlines()[0]}") from None

    def _filter(self, query: Query) -> dict:
        conditions: dict[str, Any] = {}
        if query.statuses is not None:
            stored = {s for s in query.statuses if s != "DEAD"} | ({"RUNNING"} if "DEAD" in query.statuses else set())
            conditions["status"] = {"$in": sorted(stored)}
        if query.experiment is not None:
            conditions["experiment.name"] = query.experiment
        if query.sweep is not None:  # a prefix (apply_query keeps the one sweep it names)
            conditions["meta.sweep.id"] = {"$regex": "^" + re.escape(query.sweep)}
        times = {}
        if query.since is not None:
            times["$gte"] = query.since
        if query.until is not None:
            times["$lte"] = query.until
        if times:
            conditions["start_time"] = times
        if query.text is not None:
            conditions["meta.comment"] = {"$regex": re.escape(query.text), "$options": "i"}
        return conditions

    def _final_metrics(self, run_ids: list[Any] | None) -> dict[str, dict]:
        selector = {} if run_ids is None else {"run_id": {"$in": run_ids}}
        parts: dict[tuple[str, str], tuple[int, Any]] = {}
        try:  # only the last value of each document travels ([skip, limit] form: nx-27017 knows only it)
            docs = list(self.metrics.find(selector, {"run_id": 1, "name": 1, "part": 1,
                                                     "values": {"$slice": [-1, 1]}}))
        except self.pymongo.errors.OperationFailure:
            docs = self._guard(lambda: list(self.metrics.find(selector, {"run_id": 1, "name": 1, "part": 1,
                                                                         "values": 1})))
        for doc in docs:
            values = doc.get("values") or []
            if not values:  # servers that ignore the [skip, limit] slice (nx-27017) give []: read it all
                full = self._guard(lambda d=doc: self.metrics.find_one({"_id": d["_id"]}, {"values": 1}))
                values = (full or {}).get("values") or []
            if not values:
                continue
            key = (str(doc.get("run_id")), str(doc.get("name")))
            part = doc.get("part", 0) or 0
            if key not in parts or part >= parts[key][0]:
                parts[key] = (part, values[-1])
        finals: dict[str, dict] = {}
        for (run_id, name), (_, value) in parts.items():
            finals.setdefault(run_id, {})[name] = value
        return finals

    def _summaries(self, docs: list[dict], finals: dict[str, dict]) -> list[RunSummary]:
        from dataclasses import replace

        return [replace(document_summary(doc), final_metrics=finals.get(str(doc.get("_id")), {})) for doc in docs]

    def _candidates(self, query: Query) -> list[RunSummary]:
        docs = self._guard(lambda: list(self.runs.find(self._filter(query), _LISTED)))
        return self._summaries(docs, self._final_metrics(None))

    def _run_query(self, query: Query) -> list[RunSummary]:
        sort = query.sort or "id"
        if query.where is not None or sort != "id" or (query.statuses and "DEAD" in query.statuses) \
                or query.sweep is not None:
            return apply_query(self._candidates(query), query)

        def page() -> list[dict]:
            cursor = self.runs.find(self._filter(query), _LISTED).sort(
                "_id", self.pymongo.DESCENDING if query.descending else self.pymongo.ASCENDING)
            cursor = cursor.skip(query.offset)
            if query.limit is not None:
                cursor = cursor.limit(query.limit)
            return list(cursor)

        docs = self._guard(page)
        if any(not isinstance(doc.get("_id"), int) for doc in docs):  # mixed ids: order as everywhere else
            return apply_query(self._candidates(query), query)
        return self._summaries(docs, self._final_metrics([doc["_id"] for doc in docs]))

    def _count(self, query: Query) -> int:
        if query.where is None and query.sweep is None and not (query.statuses and "DEAD" in query.statuses):
            return int(self._guard(lambda: self.runs.count_documents(self._filter(query))))
        return super()._count(query)

    def observer_target(self) -> tuple[str, str]:
        """An observer adding runs to this store."""
        return "mongo_db", self._url

    def ids(self) -> list[str]:
        """Every run id (id order)."""
        docs = self._guard(lambda: list(self.runs.find({}, {"_id": 1})))
        return sorted((str(doc["_id"]) for doc in docs), key=id_order)

    def _load(self, run_id: str) -> RunRecord | None:
        from sacred.observers.mongo import restore_oversized

        doc = self._guard(lambda: self.runs.find_one({"_id": _native_id(run_id)})
                          or self.runs.find_one({"_id": run_id}))
        if doc is None:
            return None
        doc = self._guard(lambda: restore_oversized(self.fs, doc))
        native = doc["_id"]
        from dataclasses import replace

        summary = replace(document_summary(doc), final_metrics=self._final_metrics([native]).get(str(native), {}))
        meta = doc.get("meta") if isinstance(doc.get("meta"), dict) else {}
        trace = doc.get("fail_trace")
        return RunRecord(
            summary, _MongoLoader(self, doc),
            config_modifications=modifications_from_meta(meta), meta=meta, host=doc.get("host") or {},
            experiment_info=doc.get("experiment") or {}, info=doc.get("info") or {},
            fail_trace=trace if isinstance(trace, list) else ([trace] if trace else None),
            queue_time=parse_time(doc.get("queue_time")),
        )


class _MongoLoader(RunLoader):
    def __init__(self, store: MongoStore, doc: dict) -> None:
        self.store = store
        self.doc = doc

    def captured_out(self) -> str:
        from sacred.observers.mongo import read_captured_out

        return self.store._guard(lambda: read_captured_out(self.store.fs, self.doc))

    def metric_names(self) -> list[str]:
        names = self.store._guard(lambda: self.store.metrics.distinct("name", {"run_id": self.doc["_id"]}))
        return [str(n) for n in names]

    def metric(self, name: str) -> MetricSeries | None:
        from sacred.observers.mongo import read_metric

        series = self.store._guard(lambda: read_metric(self.store.metrics, self.doc["_id"], name))
        if not series["values"] and not series["steps"]:
            return None
        return MetricSeries(name, list(series["steps"]), list(series["values"]),
                            raw_timestamps=list(series["timestamps"]))

    def _gridfs_file(self, name: str, file_id: Any, md5: str | None = None,
                     hash_missing: bool = False) -> StoredFile | None:
        if file_id is None:
            return None
        fs = self.store.fs
        grid_out = self.store._guard(lambda: fs.find_one({"_id": file_id}))
        if grid_out is None:
            return None
        md5 = md5 or (getattr(grid_out, "_file", None) or {}).get("md5")
        if md5 is None and hash_missing:  # sacred 0.8.7 with pymongo 4 stored no md5: hash the content
            import hashlib

            md5 = hashlib.md5(self.store._guard(lambda: fs.get(file_id).read())).hexdigest()
        return StoredFile(name, lambda: fs.get(file_id), grid_out.length, md5)

    def artifacts(self) -> list[StoredFile]:
        files = []
        for artifact in self.doc.get("artifacts") or []:
            if isinstance(artifact, dict):
                stored = self._gridfs_file(str(artifact.get("name")), artifact.get("file_id"))
                if stored is not None:
                    files.append(stored)
        return files

    def resources(self) -> list[StoredFile]:
        files = []
        for entry in self.doc.get("resources") or []:
            if isinstance(entry, list | tuple) and len(entry) == 2:
                path, md5 = entry
                grid_out = self.store._guard(lambda p=path, m=md5: self.store.fs.find_one({"filename": p, "md5": m})
                                             or self.store.fs.find_one({"filename": p}))
                if grid_out is not None:
                    stored = self._gridfs_file(str(path), grid_out._id, md5)
                    if stored is not None:
                        files.append(stored)
        return files

    def sources(self) -> list[StoredFile]:
        files = []
        for entry in (self.doc.get("experiment") or {}).get("sources") or []:
            if isinstance(entry, list | tuple) and len(entry) == 2:
                stored = self._gridfs_file(str(entry[0]), entry[1], hash_missing=True)
                if stored is not None:
                    files.append(stored)
        return files
