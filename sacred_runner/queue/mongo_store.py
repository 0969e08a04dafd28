"""Queued runs in MongoDB, claimed with an atomic find-and-modify.

A worker reads the queued runs' queue records in claim order (``meta.queue.priority``
descending, ``queue_time`` ascending), picks the first it accepts, and claims it
with ``find_one_and_update({"_id": id, "status": "QUEUED"}, {"$set": ...})``:
MongoDB applies that to a single document atomically, so of several workers
racing for one run exactly one sees it come back; the others move on to the
next run. Marking a dead run is the same compare-and-set on its heartbeat.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sacred_runner.queue.base import (
    Claim,
    QueueStore,
    RunningRun,
    StoreUnavailable,
    WorkerIdentity,
    new_claim,
    utcnow,
)
from sacred_runner.queue.dead import attempt_meta, beat_interval_of

__all__ = ["MongoQueueStore"]

CANDIDATES_PER_CLAIM = 8
MAX_CANDIDATE_PAGES = 256
SERVER_SELECTION_MS = 2000
_DROPPED_ON_REQUEUE = ("_id", "start_time", "heartbeat", "stop_time", "result", "fail_trace",
                       "captured_out", "captured_out_segments", "info", "artifacts", "resources")


def _short(error: BaseException) -> str:
    """The first sentence of a pymongo error (without its topology description)."""
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    for cut in (" (configured timeouts", ", Timeout:"):
        text = text.split(cut, 1)[0]
    return text


class MongoQueueStore(QueueStore):
    """The runs collection of a MongoDB database as a queue."""

    def __init__(self, url: str, db_name: str, collection: str = "runs") -> None:
        import pymongo

        from sacred.masking import mask_text

        self.url = url
        self.db_name = db_name
        self.collection = collection
        self.description = f"{mask_text(url)} (database {db_name!r}, collection {collection!r})"
        self.client = pymongo.MongoClient(url, serverSelectionTimeoutMS=SERVER_SELECTION_MS)
        self.runs = self.client[db_name][collection]
        self._observer: Any = None

    def ping(self) -> None:
        """Raise :class:`StoreUnavailable` unless the server answers."""
        try:
            self.client.admin.command("ping")
        except Exception as error:  # noqa: BLE001 - any driver error: unreachable
            raise StoreUnavailable(_short(error)) from None

    def _guard(self, action: Callable[[], Any]) -> Any:
        from pymongo.errors import AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError

        try:
            return action()
        except (AutoReconnect, ConnectionFailure, ServerSelectionTimeoutError) as error:
            raise StoreUnavailable(_short(error)) from None

    def claim(self, worker: WorkerIdentity, accept: Callable[[Any, dict], bool]) -> Claim | None:
        """Claim the first acceptable queued run by a conditional find-and-modify."""
        return self._guard(lambda: self._claim(worker, accept))

    def _claim(self, worker: WorkerIdentity, accept: Callable[[Any, dict], bool]) -> Claim | None:
        from pymongo import ReturnDocument

        for page in range(MAX_CANDIDATE_PAGES):
            candidates = list(self.runs.find(
                {"status": "QUEUED"}, projection={"meta": 1},
                sort=[("meta.queue.priority", -1), ("queue_time", 1), ("_id", 1)],
                skip=page * CANDIDATES_PER_CLAIM, limit=CANDIDATES_PER_CLAIM,
            ))
            for document in candidates:
                meta = document.get("meta") or {}
                if not accept(document["_id"], meta.get("queue")):
                    continue
                meta, token = new_claim(meta, worker)
                claimed = self.runs.find_one_and_update(
                    {"_id": document["_id"], "status": "QUEUED"},
                    {"$set": {"status": "RUNNING", "heartbeat": utcnow(),
                              "meta.queue.claim": meta["queue"]["claim"]}},
                    projection={"meta": 1}, return_document=ReturnDocument.AFTER,
                )
                if claimed is not None:
                    return Claim(claimed["_id"], claimed.get("meta") or meta, token)
            if len(candidates) < CANDIDATES_PER_CLAIM:
                break
        return None

    def make_observer(self) -> Any:
        """A MongoObserver sharing this store's client."""
        if self._observer is None:
            from sacred.observers.mongo import MongoObserver

            self._observer = MongoObserver(client=self.client, db_name=self.db_name, collection=self.collection)
        return self._observer

    def end_claimed(self, claim: Claim, status: str, reason: str) -> None:
        """``status``, with the reason as the trace."""
        self._guard(lambda: self.runs.update_one(
            {"_id": claim.run_id, "meta.queue.claim.token": claim.token},
            {"$set": {"status": status, "stop_time": utcnow(), "fail_trace": [reason.rstrip("\n") + "\n"]}},
        ))

    def stored_sources(self, claim: Claim) -> dict[str, bytes]:
        """The sources in GridFS that the run document lists."""
        import gridfs

        def read() -> dict[str, bytes]:
            document = self.runs.find_one({"_id": claim.run_id}, projection={"experiment": 1}) or {}
            fs = gridfs.GridFS(self.client[self.db_name])
            found = {}
            for rel, file_id, *_ in (document.get("experiment") or {}).get("sources") or []:
                if file_id is None:
                    continue
                try:
                    found[rel] = fs.get(file_id).read()
                except gridfs.errors.NoFile:
                    continue
            return found

        return self._guard(read)

    def running_runs(self) -> list[RunningRun]:
        """RUNNING runs with their heartbeats."""
        def read() -> list[RunningRun]:
            found = []
            for doc in self.runs.find({"status": "RUNNING"}, projection={"heartbeat": 1, "start_time": 1, "meta": 1}):
                meta = doc.get("meta") or {}
                stamp = doc.get("heartbeat") or doc.get("start_time")
                found.append(RunningRun(doc["_id"], stamp, beat_interval_of(meta), meta, stamp))
            return found

        return self._guard(read)

    def stored_run(self, run_id: Any) -> tuple[dict, dict] | None:
        """The run document's experiment (sources with the md5 of their GridFS files) and config."""
        def read() -> tuple[dict, dict] | None:
            document = self.runs.find_one({"_id": run_id}, projection={"experiment": 1, "config": 1})
            if document is None:
                return None
            experiment = dict(document.get("experiment") or {})
            files = self.client[self.db_name]["fs.files"]
            sources = []
            for rel, file_id, *_ in experiment.get("sources") or []:
                stored = files.find_one({"_id": file_id}, projection={"md5": 1}) if file_id is not None else None
                sources.append([rel, (stored or {}).get("md5")])
            experiment["sources"] = sources
            config = document.get("config")
            return experiment, config if isinstance(config, dict) else {}

        return self._guard(read)

    def requeue_dead(self, run: RunningRun, record: dict | None, reason: str = "") -> Any:
        """Compare-and-set RUNNING -> DEAD on the heartbeat read; insert the next attempt."""
        return self._guard(lambda: self._requeue_dead(run, record, reason))

    def _requeue_dead(self, run: RunningRun, record: dict | None, reason: str) -> Any:
        from pymongo import ReturnDocument

        from sacred.observers.mongo._run_ids import insert_new_id

        query: dict = {"_id": run.run_id, "status": "RUNNING"}
        if run.stamp is not None:
            query["$or"] = [{"heartbeat": run.stamp}, {"heartbeat": None, "start_time": run.stamp}]
        now = utcnow()
        marker: dict = {"time": now, "last_beat": run.stamp}
        if record is None and reason:
            marker["reason"] = reason
        dead = self.runs.find_one_and_update(
            query, {"$set": {"status": "DEAD", "meta.dead": marker}},
            return_document=ReturnDocument.AFTER,
        )
        if dead is None:
            return None
        if record is None:
            return True
        entry = {key: value for key, value in dead.items() if key not in _DROPPED_ON_REQUEUE}
        entry.update(status="QUEUED", queue_time=now, meta=attempt_meta(dead.get("meta") or {}, run.run_id, record),
                     resources=[], artifacts=[], captured_out="", info={})
        entry["meta"]["queue_time"] = now
        new_id = insert_new_id(self.runs, entry, self.description)
        self.runs.update_one({"_id": run.run_id}, {"$set": {"meta.requeued_as": new_id}})
        return new_id

    def close(self) -> None:
        """Close the client."""
        self.client.close()
