"""The one interface every queue store implements, and the records it exchanges.

A :class:`QueueStore` wraps one store (MongoDB, SQL, a FileStorage folder) and
does only what a worker needs:

* :meth:`~QueueStore.claim` the highest-priority, oldest ``QUEUED`` run that
  ``accept`` takes, atomically (with the store's own primitive), turning it
  ``RUNNING`` with a heartbeat and a claim token in ``meta.queue.claim``;
* :meth:`~QueueStore.make_observer` the observer that then records the run as
  that same run (it accepts the existing id because of the claim token);
* :meth:`~QueueStore.end_claimed` a claimed run that cannot start (file
  missing, config error, a stop request) with its status and reason;
* :meth:`~QueueStore.stored_sources` the sources stored with a run;
* :meth:`~QueueStore.running_runs` / :meth:`~QueueStore.requeue_dead` for
  dead-run recovery (see :mod:`sacred_runner.queue.dead`), and
  :meth:`~QueueStore.stored_run` for a dead run that was started directly
  (without a queue record): what the store holds to run it again.
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Claim",
    "QueueStore",
    "RunningRun",
    "StoreUnavailable",
    "WorkerIdentity",
    "new_claim",
    "sort_key",
    "utcnow",
]


class StoreUnavailable(Exception):
    """The store cannot be reached right now (a worker waits and tries again)."""


def utcnow() -> dt.datetime:
    """Naive UTC now, as runs are stored."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class WorkerIdentity:
    """Who claims runs: written into each claim."""

    host: str = field(default_factory=socket.gethostname)
    pid: int = field(default_factory=os.getpid)
    name: str = ""

    def as_dict(self) -> dict:
        """The ``worker`` entry of a claim."""
        return {"host": self.host, "pid": self.pid, "name": self.name or f"{self.host}:{self.pid}"}


@dataclass
class Claim:
    """A run this worker claimed: its id, its stored meta info (with the claim) and the token."""

    run_id: Any
    meta: dict
    token: str

    @property
    def record(self) -> dict:
        """The run's queue record (``meta["queue"]``)."""
        return self.meta["queue"]


@dataclass(frozen=True)
class RunningRun:
    """A stored RUNNING run as dead-run detection needs it."""

    run_id: Any
    last_beat: dt.datetime | None
    beat_interval: float | None
    meta: dict
    stamp: Any = None  # what the store compares to make sure nothing changed since (its heartbeat)


def new_claim(meta: dict, worker: WorkerIdentity) -> tuple[dict, str]:
    """``(meta with meta["queue"]["claim"] set, token)`` for a run being claimed now."""
    token = uuid.uuid4().hex
    meta = dict(meta)
    record = dict(meta.get("queue") or {})
    record["claim"] = {"token": token, "worker": worker.as_dict(), "time": utcnow().isoformat()}
    meta["queue"] = record
    return meta, token


def sort_key(priority: Any, queue_time: Any, run_id: Any) -> tuple:
    """Claim order: higher priority first, then older queue time, then smaller id."""
    try:
        prio = -float(priority) if priority is not None else 0.0
    except (TypeError, ValueError):
        prio = 0.0
    stamp = str(queue_time.isoformat() if hasattr(queue_time, "isoformat") else queue_time or "")
    text = str(run_id)
    return (prio, stamp, (0, int(text), "") if text.isdigit() else (1, 0, text))


class QueueStore(ABC):
    """One store as the workers see it (see the module docstring)."""

    #: human-readable, secrets masked
    description: str = ""

    @abstractmethod
    def claim(self, worker: WorkerIdentity, accept: Callable[[Any, dict], bool]) -> Claim | None:
        """Atomically claim the first queued run (priority, then age) that ``accept(run_id, record)`` takes."""

    @abstractmethod
    def make_observer(self) -> Any:
        """The observer writing to this store (one per store, reused run after run as ``sacred run`` does)."""

    @abstractmethod
    def end_claimed(self, claim: Claim, status: str, reason: str) -> None:
        """Record the claimed run with ``status`` (FAILED, INTERRUPTED) and ``reason``: it did not start."""

    @abstractmethod
    def stored_sources(self, claim: Claim) -> dict[str, bytes]:
        """The sources stored with the run: ``{path relative to base_dir: content}``."""

    @abstractmethod
    def running_runs(self) -> list[RunningRun]:
        """Every run stored as RUNNING."""

    @abstractmethod
    def stored_run(self, run_id: Any) -> tuple[dict, dict] | None:
        """``(experiment_info, config)`` as stored for the run (None if it is gone).

        ``experiment_info`` has ``name``, ``base_dir``, ``mainfile`` and
        ``sources`` as ``[path relative to base_dir, md5]`` pairs, whatever
        the store keeps in their place.
        """

    @abstractmethod
    def requeue_dead(self, run: RunningRun, record: dict | None, reason: str = "") -> Any:
        """Mark ``run`` DEAD if it is unchanged since it was read; queue a new attempt run with ``record``.

        ``record`` None: no new attempt; ``reason`` (why not) is stored in
        ``meta["dead"]["reason"]``. Returns the new attempt's id, ``True`` when
        marked DEAD without a new attempt, or None when another worker got
        there first (or it beat again).
        """

    def close(self) -> None:  # noqa: B027 - optional: stores without connections keep it
        """Release connections."""
