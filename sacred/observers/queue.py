"""``QueueObserver``: deliver another observer's events from a background thread.

Events are put on an in-memory queue and a worker thread delivers them, in
order, every ``interval`` seconds (20 by default, as documented). When the
wrapped observer raises (e.g. its database is unreachable), the event stays at
the head of the queue and is retried after ``retry_interval`` seconds; later
events wait behind it, so the order is kept.

The run's id
------------
``started_event`` / ``queued_event`` must return the run id. They are
delivered **synchronously** (one attempt, in the caller's thread) so that
normally the wrapped observer allocates the id exactly as without a queue.
If that attempt fails, the run still starts: the id is the ``_id`` the run
already has (``--id`` or an earlier observer), else the wrapped observer's
``provisional_id()`` if it has one (MongoObserver: a fresh ObjectId string),
else a random hex string; the start event is queued with that ``_id`` and
delivered later like every other event.

The end of the run
------------------
``join()`` (called by the run at its very end) wakes the worker and waits at
most ``max_wait`` seconds (default 120) for the queue to drain. Events still
undelivered then are given up: an error is logged naming each of them, and if
the wrapped observer has ``save_undelivered_events(events)`` (MongoObserver
does: it writes the run to its failure folder) that is called and the path is
logged. An attempt already in flight when the deadline passes is not
interrupted (it is bounded by the wrapped observer's own timeouts); it is then
handled by the worker thread when that attempt returns.

Heartbeats describe the whole state of a run, so an undelivered heartbeat is
replaced by a newer one instead of both being sent.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from sacred.observers.base import RunObserver
from sacred.observers.forwarding import ForwardingObserver
from sacred.run_events import RunEvent, deliver

__all__ = ["QueueObserver", "DEFAULT_MAX_WAIT"]

logger = logging.getLogger("sacred.observers.queue")

DEFAULT_MAX_WAIT = 120.0
_JOIN_GRACE_SECONDS = 5.0


@dataclass(eq=False)
class _Event:
    name: str
    kwargs: dict
    failures: int = 0


def _snapshot(value: Any) -> Any:
    """Copy mutable event data so later changes by the run do not leak in."""
    try:
        return copy.deepcopy(value)
    except Exception:  # noqa: BLE001 - some user objects cannot be copied
        return value


_NOT_COPIED = frozenset({"filename", "captured_out"})


def _snapshot_arguments(kwargs: dict) -> dict:
    """The event's arguments with mutable values copied (strings and paths as they are)."""
    return {k: (v if k in _NOT_COPIED else _snapshot(v)) for k, v in kwargs.items()}


def _check_seconds(name: str, value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"QueueObserver: {name} must be a number of seconds, got {value!r}") from None
    if seconds < 0 or seconds != seconds:
        raise ValueError(f"QueueObserver: {name} must be >= 0 seconds, got {value!r}")
    return seconds


class QueueObserver(ForwardingObserver):
    """Wrap ``observer`` so its events are buffered and retried by a background thread.

    Its event methods are those of :class:`ForwardingObserver` (0.8.7's
    positional order or keywords); :meth:`forward` queues each event.

    ``interval``: seconds between deliveries; ``retry_interval``: seconds
    before retrying after a failure; ``max_wait``: longest time ``join()``
    waits for the queue to drain at the end of the run.
    """

    def __init__(
        self,
        observer: RunObserver,
        interval: float = 20.0,
        retry_interval: float = 10.0,
        max_wait: float = DEFAULT_MAX_WAIT,
    ) -> None:
        if observer is None or not hasattr(observer, "started_event"):
            raise ValueError(
                f"QueueObserver needs an observer to wrap (a RunObserver), got {observer!r}"
            )
        self._observer = observer
        self.interval = _check_seconds("interval", interval)
        self.retry_interval = _check_seconds("retry_interval", retry_interval)
        self.max_wait = _check_seconds("max_wait", max_wait)
        self._queue: deque[_Event] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._abandon = threading.Event()
        self._worker: threading.Thread | None = None
        self._in_flight: _Event | None = None
        self._last_delivered: _Event | None = None
        self._given_up_events: list[_Event] = []
        self._dump_in_worker = False
        self._run_id: Any = None
        self.given_up: list[tuple[str, dict]] = []
        self.failure_dump: str | None = None

    @property
    def observer(self) -> RunObserver:
        """The wrapped observer."""
        return self._observer

    @property
    def priority(self) -> int:  # type: ignore[override]
        """The wrapped observer's priority."""
        return getattr(self._observer, "priority", 0)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._observer, name)

    def __repr__(self) -> str:
        return f"QueueObserver({self._observer!r}, interval={self.interval}, max_wait={self.max_wait})"

    # ------------------------------------------------------------------ events
    def forward(self, event: RunEvent) -> Any:
        """Start events go through at once (for the id); the rest is queued for the worker."""
        if event.starts_run:
            return self._start_event(event.name, dict(event.kwargs))
        if event.name == "heartbeat_event":
            self._queue_heartbeat(event.kwargs)
        else:
            self._put(event.name, _snapshot_arguments(event.kwargs), wake=event.ends_run)
        return None

    def _start_event(self, name: str, kwargs: dict) -> Any:
        self._reset()
        try:
            run_id = deliver(self._observer, name, kwargs)
        except Exception as exc:  # noqa: BLE001 - retried from the queue
            run_id = kwargs["_id"]
            if run_id is None:
                provisional = getattr(self._observer, "provisional_id", None)
                run_id = provisional() if callable(provisional) else uuid.uuid4().hex
            logger.warning(
                "QueueObserver: %s of %s failed (%s); the run continues with id %r and the "
                "event will be retried in the background",
                name, type(self._observer).__name__, exc, run_id,
            )
            kwargs = dict(kwargs, _id=run_id)
            self._queue.append(_Event(name, _snapshot(kwargs), failures=1))
            self._start_worker(first_wait=self.retry_interval)
        else:
            self._start_worker(first_wait=self.interval)
        self._run_id = run_id
        return run_id

    def _reset(self) -> None:
        self._stop_worker()
        self._queue.clear()
        self._closing.clear()
        self._abandon.clear()
        self._wake.clear()
        self.given_up = []
        self.failure_dump = None

    def _queue_heartbeat(self, kwargs: dict) -> None:
        """Queue a heartbeat, replacing an older undelivered one (it describes the whole state)."""
        event = _Event("heartbeat_event", _snapshot_arguments(kwargs))
        with self._lock:
            stale = [e for e in self._queue if e.name == "heartbeat_event" and e is not self._in_flight]
            for old in stale:
                self._queue.remove(old)
            self._queue.append(event)
        if self._worker is None:
            self._start_worker(first_wait=self.interval)

    def _put(self, event_name: str, kwargs: dict, wake: bool = False) -> None:
        """Queue an event; ``wake`` delivers it now instead of at the next interval (run ends)."""
        with self._lock:
            self._queue.append(_Event(event_name, kwargs))
        if self._worker is None:
            self._start_worker(first_wait=self.interval)
        if wake:
            self._wake.set()

    # ------------------------------------------------------------------ end
    def join(self) -> None:
        """Wait (at most ``max_wait`` seconds) until every event is delivered."""
        self._closing.set()
        self._wake.set()
        worker = self._worker
        if worker is not None:
            worker.join(timeout=self.max_wait)
        if self._give_up_after_deadline(worker):
            return  # the busy worker finishes the job when its attempt returns
        self._worker = None
        joiner = getattr(self._observer, "join", None)
        if callable(joiner):
            try:
                joiner()
            except Exception as exc:  # noqa: BLE001 - the run is over; report only
                logger.error("QueueObserver: join of %s failed: %s", type(self._observer).__name__, exc)

    def _give_up_after_deadline(self, worker: threading.Thread | None) -> bool:
        """Stop the worker and give up on what is still queued; True if an attempt is still in flight."""
        with self._lock:
            pending = list(self._queue)
        if not pending and (worker is None or not worker.is_alive()):
            return False
        self._abandon.set()
        self._wake.set()
        if worker is not None:
            worker.join(timeout=_JOIN_GRACE_SECONDS)
        worker_busy = worker is not None and worker.is_alive()
        with self._lock:
            pending = list(self._queue)
        if pending:
            self._announce_given_up(pending)
            if worker_busy:
                self._defer_save_to_worker()
            else:
                self._save_given_up(pending)
        return worker_busy

    def _announce_given_up(self, events: list[_Event]) -> None:
        """Take ``events`` off the queue and log an error naming each of them."""
        with self._lock:
            for event in events:
                if event in self._queue:
                    self._queue.remove(event)
        self._given_up_events = list(events)
        self.given_up = [(e.name, e.kwargs) for e in events]
        logger.error(
            "QueueObserver: giving up on %d undelivered event(s) of run %r after waiting "
            "%.1fs for %s: %s",
            len(events), self._run_id, self.max_wait, type(self._observer).__name__,
            ", ".join(e.name for e in events),
        )

    def _defer_save_to_worker(self) -> None:
        """A delivery attempt is in flight: the worker saves what is left when it returns."""
        logger.error(
            "QueueObserver: a delivery attempt is still in progress; the undelivered events "
            "are saved when it returns"
        )
        with self._lock:
            self._dump_in_worker = True
        worker = self._worker
        if worker is None or not worker.is_alive():
            self._dump_if_flagged()

    def _save_given_up(self, events: list[_Event]) -> None:
        """Hand ``events`` to the wrapped observer's ``save_undelivered_events``, if it has one."""
        saver = getattr(self._observer, "save_undelivered_events", None)
        if not callable(saver):
            return
        try:
            self.failure_dump = saver([(e.name, e.kwargs) for e in events])
        except Exception as exc:  # noqa: BLE001 - last resort, report only
            logger.error("QueueObserver: could not save the undelivered events: %s", exc)
            return
        if self.failure_dump:
            logger.error("QueueObserver: undelivered events of run %r were saved to %s",
                         self._run_id, self.failure_dump)

    # --------------------------------------------------------------- worker
    def _start_worker(self, first_wait: float) -> None:
        if self._worker is not None and self._worker.is_alive():
            return
        self._dump_in_worker = False
        self._worker = threading.Thread(
            target=self._work, args=(first_wait,), name="sacred-queue-observer", daemon=True
        )
        self._worker.start()

    def _stop_worker(self) -> None:
        worker = self._worker
        if worker is not None and worker.is_alive():
            self._abandon.set()
            self._wake.set()
            worker.join(timeout=_JOIN_GRACE_SECONDS)
        self._worker = None

    def _work(self, first_wait: float) -> None:
        wait = first_wait
        while True:
            if not self._closing.is_set():
                self._wake.wait(timeout=wait)
            self._wake.clear()
            if self._abandon.is_set():
                break
            delivered_all = self._drain()
            if self._abandon.is_set():
                break
            if delivered_all and self._closing.is_set():
                return
            wait = self.interval if delivered_all else self.retry_interval
            if not delivered_all and self._closing.is_set():
                # At the end of the run retry at retry_interval until join gives up.
                if self._abandon.wait(timeout=self.retry_interval):
                    break
        self._dump_if_flagged()

    def _dump_if_flagged(self) -> None:
        with self._lock:
            flagged, self._dump_in_worker = self._dump_in_worker, False
        if flagged:
            events = [e for e in self._given_up_events if e is not self._last_delivered]
            self.given_up = [(e.name, e.kwargs) for e in events]
            if events:
                self._save_given_up(events)

    def _drain(self) -> bool:
        while not self._abandon.is_set():
            with self._lock:
                if not self._queue:
                    return True
                event = self._queue[0]
                self._in_flight = event
            try:
                deliver(self._observer, event.name, event.kwargs)
            except Exception as exc:  # noqa: BLE001 - retried later, logged
                event.failures += 1
                log = logger.warning if event.failures == 1 else logger.debug
                log("QueueObserver: delivering %s to %s failed (attempt %d): %s; retrying in %.1fs",
                    event.name, type(self._observer).__name__, event.failures, exc,
                    self.retry_interval)
                return False
            finally:
                with self._lock:
                    self._in_flight = None
            with self._lock:
                self._last_delivered = event
                if self._queue and self._queue[0] is event:
                    self._queue.popleft()
            if event.failures:
                logger.info("QueueObserver: delivered %s after %d failed attempt(s)",
                            event.name, event.failures)
        return False

    @property
    def pending_events(self) -> int:
        """Number of events not delivered yet."""
        with self._lock:
            return len(self._queue)


def wait_until_delivered(observer: QueueObserver, timeout: float) -> bool:
    """Wake ``observer``'s worker and wait up to ``timeout`` s for an empty queue (tests, tools)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        observer._wake.set()
        if observer.pending_events == 0:
            return True
        time.sleep(0.02)
    return observer.pending_events == 0
