"""Queued runs in a FileStorage folder, claimed with an atomic hard link.

Queued runs are the folders whose latest line in ``runs.index.jsonl`` says
``QUEUED`` (the index line carries the priority); a worker reads only the
lines appended since its previous look. A worker claims one by
writing its claim (token, worker, time) to a temporary file and hard-linking
it to ``<run>/.claim``: ``link(2)`` fails when the name exists, atomically,
also on NFS (unlike ``O_EXCL`` on old NFS clients), so exactly one worker wins
even when the folder is shared between machines. The winner then rewrites
``run.json`` (status ``RUNNING``, a heartbeat, ``meta.queue.claim``) and the
FileStorageObserver takes the folder over because its ``.claim`` holds the
run's token.

Marking a dead run works the same way with ``<run>/.dead``: one worker wins.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from typing import Any

from sacred.observers.file_storage import LocalBackend
from sacred.observers.run_files._layout import (
    CLAIM_FILE,
    CONFIG_JSON,
    RUN_JSON,
    RUNS_INDEX,
    check_artifact_name,
    dump_json,
    index_records,
    stored_name,
)
from sacred_runner.queue.base import (
    Claim,
    QueueStore,
    RunningRun,
    WorkerIdentity,
    new_claim,
    sort_key,
    utcnow,
)
from sacred_runner.queue.dead import attempt_meta, beat_interval_of

__all__ = ["FileQueueStore", "DEAD_FILE"]

DEAD_FILE = ".dead"


def _parse_time(value: Any) -> Any:
    import datetime as dt

    if isinstance(value, str):
        try:
            return dt.datetime.fromisoformat(value)
        except ValueError:
            return None
    return value


def _source_md5(rel: str, reference: Any) -> Any:
    """The md5 of a source as ``run.json`` names it: itself when queued, ``_sources/<stem>_<md5><ext>`` when run."""
    if not isinstance(reference, str):
        return None
    stem = os.path.splitext(os.path.basename(reference))[0]
    own = os.path.splitext(os.path.basename(rel))[0]
    if stem.startswith(own + "_"):
        return stem[len(own) + 1:] or None
    return reference if len(reference) == 32 and all(c in "0123456789abcdef" for c in reference) else None


def _run_id(name: str) -> Any:
    return int(name) if name.isdigit() else name


class FileQueueStore(QueueStore):
    """A FileStorage ``basedir`` (local or a shared mount) as a queue."""

    def __init__(self, basedir: str) -> None:
        self.basedir = os.path.abspath(basedir)
        self.description = self.basedir
        self.backend = LocalBackend()
        self._observer: Any = None
        self._index_offset = 0
        self._index_runs: dict[str, dict] = {}

    # ------------------------------------------------------------------ files

    def _run_dir(self, run_id: Any) -> str:
        return os.path.join(self.basedir, str(run_id))

    def _read_entry(self, run_id: Any) -> dict | None:
        try:
            with open(os.path.join(self._run_dir(run_id), RUN_JSON), encoding="utf-8") as f:
                entry = json.load(f)
        except (OSError, ValueError):
            return None
        return entry if isinstance(entry, dict) else None

    def _write_entry(self, run_id: Any, entry: dict) -> None:
        self.backend.write_bytes_atomic(os.path.join(self._run_dir(run_id), RUN_JSON), dump_json(entry))

    def _index(self, run_id: Any, entry: dict, status: str, **fields: Any) -> None:
        record = {
            "_id": str(run_id), "status": status,
            "experiment": (entry.get("experiment") or {}).get("name"), "command": entry.get("command"),
            **fields,
        }
        line = json.dumps(record, sort_keys=True, separators=(",", ":"), default=str)
        self.backend.index_append(os.path.join(self.basedir, RUNS_INDEX), line.encode("utf-8") + b"\n")

    def _create_exclusive(self, path: str, content: dict) -> bool:
        """Create ``path`` with ``content`` unless it exists (atomic, NFS-safe: write + link)."""
        temporary = f"{path}.{os.getpid()}.{uuid.uuid4().hex[:8]}.tmp"
        with open(temporary, "w", encoding="utf-8") as f:
            json.dump(content, f)
        try:
            os.link(temporary, path)
        except FileExistsError:
            return False
        finally:
            os.remove(temporary)
        return True

    # ------------------------------------------------------------------ claims

    def _read_index(self) -> dict[str, dict]:
        """Every run's latest index record, reading only what was appended since the last call."""
        path = os.path.join(self.basedir, RUNS_INDEX)
        try:
            with open(path, "rb") as f:
                if os.fstat(f.fileno()).st_size < self._index_offset:  # replaced: start over
                    self._index_offset, self._index_runs = 0, {}
                f.seek(self._index_offset)
                data = f.read()
        except FileNotFoundError:
            return self._index_runs
        complete = data[: data.rfind(b"\n") + 1]  # a line being written is read next time
        self._index_offset += len(complete)
        for record in index_records(complete):
            self._index_runs.setdefault(str(record["_id"]), {}).update(record)
        return self._index_runs

    def _queued(self) -> list[tuple[str, dict]]:
        queued = [(run_id, info) for run_id, info in self._read_index().items() if info.get("status") == "QUEUED"]
        return sorted(queued, key=lambda pair: sort_key(pair[1].get("priority"), pair[1].get("queue_time"), pair[0]))

    def claim(self, worker: WorkerIdentity, accept: Callable[[Any, dict], bool]) -> Claim | None:
        """Claim the first acceptable queued run (see the module docstring)."""
        for name, _info in self._queued():
            run_dir = self._run_dir(name)
            claim_path = os.path.join(run_dir, CLAIM_FILE)
            if os.path.exists(claim_path):
                continue
            entry = self._read_entry(name)
            if entry is None or entry.get("status") != "QUEUED":
                continue
            meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
            if not accept(_run_id(name), meta.get("queue")):
                continue
            meta, token = new_claim(meta, worker)
            if not self._create_exclusive(claim_path, meta["queue"]["claim"]):
                continue
            now = utcnow()
            entry.update(status="RUNNING", heartbeat=now.isoformat(), meta=meta)
            self._write_entry(name, entry)
            self._index(name, entry, "RUNNING", heartbeat=now.isoformat())
            return Claim(_run_id(name), meta, token)
        return None

    def make_observer(self) -> Any:
        """A FileStorageObserver on the folder."""
        if self._observer is None:
            from sacred.observers.file_storage import FileStorageObserver

            self._observer = FileStorageObserver(self.basedir)
        return self._observer

    def end_claimed(self, claim: Claim, status: str, reason: str) -> None:
        """``status``, with the reason as the trace."""
        entry = self._read_entry(claim.run_id) or {}
        now = utcnow().isoformat()
        entry.update(status=status, stop_time=now, fail_trace=[reason.rstrip("\n") + "\n"])
        self._write_entry(claim.run_id, entry)
        self._index(claim.run_id, entry, status, stop_time=now)

    def stored_sources(self, claim: Claim) -> dict[str, bytes]:
        """The copies in the run folder (or ``_sources/``) of the sources listed in the queue record."""
        found: dict[str, bytes] = {}
        for rel, md5 in claim.record.get("sources") or []:
            candidates = [os.path.join(self.basedir, "_sources", stored_name(rel, md5))] if md5 else []
            try:
                candidates.insert(0, os.path.join(self._run_dir(claim.run_id), *check_artifact_name(rel).split("/")))
            except ValueError:
                pass
            for path in candidates:
                try:
                    with open(path, "rb") as f:
                        found[rel] = f.read()
                    break
                except OSError:
                    continue
        return found

    # ------------------------------------------------------------------ dead runs

    def running_runs(self) -> list[RunningRun]:
        """RUNNING runs according to the index, with their heartbeats from run.json.

        Also a QUEUED run that has a ``.claim`` (its worker died between the
        claim and rewriting ``run.json``): its claim time counts as its last
        beat, so it turns dead and is requeued like any other.
        """
        running = []
        for name, info in list(self._read_index().items()):
            if info.get("status") not in ("RUNNING", "QUEUED"):
                continue
            claim_time = None
            if info.get("status") == "QUEUED":
                claim_time = self._claim_time(name)
                if claim_time is None:
                    continue
            entry = self._read_entry(name)
            if entry is None or entry.get("status") != info.get("status"):
                continue
            meta = entry.get("meta") if isinstance(entry.get("meta"), dict) else {}
            stamp = entry.get("heartbeat") or entry.get("start_time") if claim_time is None else claim_time
            running.append(RunningRun(_run_id(name), _parse_time(stamp), beat_interval_of(meta), meta,
                                      stamp if claim_time is None else ("claimed", claim_time)))
        return running

    def _claim_time(self, run_id: Any) -> str | None:
        try:
            with open(os.path.join(self._run_dir(run_id), CLAIM_FILE), encoding="utf-8") as f:
                claim = json.load(f)
        except (OSError, ValueError):
            return None
        return claim.get("time") if isinstance(claim, dict) and isinstance(claim.get("time"), str) else None

    def _unchanged(self, run: RunningRun, entry: dict | None) -> bool:
        """True if ``entry`` (read now) is still the run that was judged dead."""
        if entry is None:
            return False
        if isinstance(run.stamp, tuple):  # claimed but never turned RUNNING
            return entry.get("status") == "QUEUED" and self._claim_time(run.run_id) == run.stamp[1]
        return entry.get("status") == "RUNNING" and (entry.get("heartbeat") or entry.get("start_time")) == run.stamp

    def stored_run(self, run_id: Any) -> tuple[dict, dict] | None:
        """``run.json``'s experiment (sources named back as ``[path, md5]``) and ``config.json``."""
        entry = self._read_entry(run_id)
        if entry is None:
            return None
        experiment = dict(entry.get("experiment") or {})
        experiment["sources"] = [[rel, _source_md5(rel, ref)] for rel, ref, *_ in experiment.get("sources") or []]
        try:
            with open(os.path.join(self._run_dir(run_id), CONFIG_JSON), encoding="utf-8") as f:
                config = json.load(f)
        except (OSError, ValueError):
            config = {}
        return experiment, config if isinstance(config, dict) else {}

    def requeue_dead(self, run: RunningRun, record: dict | None, reason: str = "") -> Any:
        """Mark DEAD (one worker wins through ``.dead``) and queue the next attempt."""
        now = utcnow().isoformat()
        dead_path = os.path.join(self._run_dir(run.run_id), DEAD_FILE)
        if not self._create_exclusive(dead_path, {"time": now, "worker": WorkerIdentity().as_dict()}):
            return None
        entry = self._read_entry(run.run_id)
        if not self._unchanged(run, entry):
            os.remove(dead_path)  # it beat again meanwhile: not dead
            return None
        assert entry is not None
        meta = dict(entry.get("meta") or {})
        meta["dead"] = {"time": now, "last_beat": run.stamp[1] if isinstance(run.stamp, tuple) else run.stamp}
        if record is None and reason:
            meta["dead"]["reason"] = reason
        entry.update(status="DEAD", meta=meta)
        self._write_entry(run.run_id, entry)
        self._index(run.run_id, entry, "DEAD")
        if record is None:
            return True
        new_id = self._queue_attempt(run.run_id, entry, record)
        meta["requeued_as"] = new_id
        entry["meta"] = meta
        self._write_entry(run.run_id, entry)
        return new_id

    def _queue_attempt(self, dead_id: Any, dead_entry: dict, record: dict) -> Any:
        from sacred.observers.file_storage import FileStorageObserver

        allocator = FileStorageObserver(self.basedir)
        new_id = allocator._claim_run_dir(None)  # the layout's own race-free id allocation
        meta = attempt_meta(dead_entry.get("meta") or {}, dead_id, record)
        now = utcnow().isoformat()
        meta["queue_time"] = now
        experiment = dict(dead_entry.get("experiment") or {})
        record = meta["queue"]
        experiment["sources"] = [list(s) for s in record.get("sources") or experiment.get("sources") or []]
        entry = {"experiment": experiment, "command": dead_entry.get("command"), "host": dead_entry.get("host"),
                 "meta": meta, "status": "QUEUED"}
        dead_dir, new_dir = self._run_dir(dead_id), self._run_dir(new_id)
        config = os.path.join(dead_dir, CONFIG_JSON)
        self.backend.write_bytes_atomic(os.path.join(new_dir, CONFIG_JSON),
                                        self.backend.read_bytes(config) or b"{}")
        for rel, _md5 in record.get("sources") or []:
            try:
                name = check_artifact_name(rel)
            except ValueError:
                continue
            source = os.path.join(dead_dir, *name.split("/"))
            if os.path.isfile(source):
                target = os.path.join(new_dir, *name.split("/"))
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(source, target)
        self._write_entry(new_id, entry)
        self._index(new_id, entry, "QUEUED", queue_time=now, priority=record.get("priority", 0))
        return new_id
