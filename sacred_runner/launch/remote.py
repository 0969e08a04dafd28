"""Execute a :class:`LaunchTask` where it runs: stores' observers built here, events forwarded.

The stores named by the task's specs are constructed in the executing
process and written from there (so they must be reachable from it: a shared
path, an SQL or MongoDB URL). A :class:`ForwardingObserver` with the lowest
priority sends every event (with the final run id) through the ``report``
callback, which the launcher connects to the runner.
"""

from __future__ import annotations

import os
import socket
import threading
import traceback
from pathlib import Path
from typing import Any, Protocol

from sacred.observers.base import RunObserver
from sacred_runner.launch.base import AttemptStarted, LaunchTask, Report, RunEvent, TaskFinished

__all__ = ["AttemptLedger", "BatchingReporter", "ForwardingObserver", "build_store_observers", "execute_task", "portable", "short_repr", "where_am_i"]

LOWEST_PRIORITY = -(2**31)
RESULT_REPR_LIMIT = 60

# one run at a time per process: runs share sys.modules, stdout capture and the cwd
_RUN_LOCK = threading.Lock()


def where_am_i() -> str:
    """``pid N on HOST``: names the executing process in messages."""
    return f"pid {os.getpid()} on {socket.gethostname()}"


def short_repr(value: Any, limit: int = RESULT_REPR_LIMIT) -> str:
    """``repr(value)`` cut to ``limit`` characters (as the summary shows results)."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - display only
        text = f"<{type(value).__name__}>"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def portable(payload: dict) -> dict:
    """``payload`` if it pickles, else its JSON-ready form (what a store would keep anyway)."""
    import pickle

    try:
        pickle.dumps(payload)
        return payload
    except Exception:  # noqa: BLE001 - user objects in info / results
        from sacred.serializer import flatten

        return {key: flatten(value) for key, value in payload.items()}


class ForwardingObserver(RunObserver):
    """Sends each event of one run as a :class:`RunEvent` through ``report``."""

    priority = LOWEST_PRIORITY

    def __init__(self, key: str, report: Report) -> None:
        self.key = key
        self.report = report

    def _send(self, event: str, **payload: Any) -> None:
        try:
            self.report(RunEvent(self.key, event, portable(payload)))
        except Exception:  # noqa: BLE001 - the display channel must never fail the run
            pass

    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):  # noqa: D102
        self._send("queued_event", ex_info=ex_info, command=command, host_info=host_info,
                   queue_time=queue_time, config=config, meta_info=meta_info, _id=_id)

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):  # noqa: D102
        self._send("started_event", ex_info=ex_info, command=command, host_info=host_info,
                   start_time=start_time, config=config, meta_info=meta_info, _id=_id)

    def heartbeat_event(self, info, captured_out, beat_time, result):  # noqa: D102
        self._send("heartbeat_event", info=info, captured_out=captured_out, beat_time=beat_time, result=result)

    def log_metrics(self, metrics_by_name, info):  # noqa: D102
        self._send("log_metrics", metrics_by_name=metrics_by_name, info=info)

    def completed_event(self, stop_time, result):  # noqa: D102
        self._send("completed_event", stop_time=stop_time, result=result)

    def interrupted_event(self, interrupt_time, status):  # noqa: D102
        self._send("interrupted_event", interrupt_time=interrupt_time, status=status)

    def failed_event(self, fail_time, fail_trace):  # noqa: D102
        self._send("failed_event", fail_time=fail_time, fail_trace=fail_trace)

    def resource_event(self, filename):  # noqa: D102
        self._send("resource_event", filename=filename)

    def artifact_event(self, name, filename, metadata=None, content_type=None):  # noqa: D102
        self._send("artifact_event", name=name, filename=filename, metadata=metadata, content_type=content_type)


class BatchingReporter:
    """A report callback that sends messages in batches (lists): fewer wake-ups / round trips per run.

    A batch goes out at once when it holds a run's ``started_event`` /
    ``queued_event`` (the runner needs the run id to record the run should
    the worker die), the end of a task, or when it is older than
    ``flush_after`` seconds; what may wait is display-only (heartbeats,
    metrics), already written to the stores by the executing process.
    Call :meth:`flush` after each task.
    """

    def __init__(self, send_batch: Any, flush_after: float = 0.2) -> None:
        self.send_batch = send_batch
        self.flush_after = flush_after
        self.batch: list = []
        self.since = 0.0
        self._lock = threading.Lock()  # the run's heartbeat thread reports too

    def __call__(self, message: Any) -> None:
        import time

        with self._lock:
            if not self.batch:
                self.since = time.monotonic()
            self.batch.append(message)
            urgent = isinstance(message, TaskFinished) or (
                isinstance(message, RunEvent) and message.event in ("started_event", "queued_event"))
            if not (urgent or time.monotonic() - self.since > self.flush_after):
                return
            batch, self.batch = self.batch, []
        self.send_batch(batch)

    def flush(self) -> None:
        """Send what waits."""
        with self._lock:
            batch, self.batch = self.batch, []
        if batch:
            self.send_batch(batch)


def build_store_observers(task: LaunchTask) -> list:
    """The observers of the task's store specs, constructed in this process."""
    from sacred_runner.builtin_plugins import build_observer

    if task.item.unobserved:
        return []
    return [build_observer(kind, value, Path(task.rootdir)) for kind, value in task.stores]


def _error_text(error: BaseException) -> str:
    from sacred_runner.execute import error_text

    try:
        return error_text(error)
    except Exception:  # noqa: BLE001
        return traceback.format_exc()


class AttemptLedger(Protocol):
    """Where a launcher that may run a task again (Dask) keeps which run each attempt started.

    It outlives the process executing the task (Dask: a ``distributed.Variable``
    on the scheduler), so an attempt started after its worker was lost finds
    the lost attempt's run and links to it (:func:`link_attempt`).
    """

    def previous(self) -> dict | None:
        """``{"run_id", "meta"}`` of the run the previous attempt of this task started (None: first)."""

    def started(self, run_id: Any, meta: dict) -> None:
        """Note that this attempt started run ``run_id`` with ``meta`` (its ``attempt`` keys)."""


def _attempt_item(item: Any, ledger: AttemptLedger | None) -> Any:
    """``item``, linked to the run of the previous attempt if the ledger knows one."""
    from dataclasses import replace

    from sacred_runner.queue.dead import link_attempt

    previous = ledger.previous() if ledger is not None else None
    if not previous:
        return item
    meta = link_attempt(dict(item.meta_info), previous.get("run_id"), previous.get("meta"))
    return replace(item, meta_info=meta)


def _noting_starts(report: Report, ledger: AttemptLedger, meta: dict) -> Report:
    """``report``, which also tells ``ledger`` the id of the run when it starts."""
    def noting(message: Any) -> None:
        if isinstance(message, RunEvent) and message.event == "started_event":
            try:
                ledger.started(message.payload.get("_id"), meta)
            except Exception:  # noqa: BLE001 - linking a later attempt must never fail this run
                pass
        report(message)

    return noting


def _run_spooled(item: Any, observers: list, spool: Any) -> Any:
    """Run ``item`` with its output and metric points also appended to ``spool`` as they are produced."""
    from sacred_runner.execute import load_run_experiment, run_as_current

    spool.begin()
    with spool.teeing():
        experiment, run = load_run_experiment(item, observers)
        run.stream_metrics(spool.point)
        return run_as_current(experiment, run)


def execute_task(task: LaunchTask, report: Report, isolate: bool = True,
                 ledger: AttemptLedger | None = None, spool: Any = None) -> bool:
    """Run ``task`` here, reporting through ``report``; True if this process may run more tasks.

    With ``isolate`` the interpreter's global state is restored afterwards
    (:mod:`sacred_runner.launch.isolation`); False is returned when that was
    not possible and the process should be replaced. With a ``ledger``, an
    attempt that follows a lost one records ``meta_info["attempt_of"]``. With
    a ``spool`` (:class:`~sacred_runner.launch.spool.TaskSpool`) the run's
    output and metric points also go where the runner finds them should this
    process die.
    """
    from sacred_runner.execute import run_experiment
    from sacred_runner.launch.isolation import StateSnapshot

    with _RUN_LOCK:
        report(AttemptStarted(task.key, where_am_i()))
        snapshot = StateSnapshot() if isolate else None
        finished: TaskFinished
        try:
            if task.cwd and os.path.isdir(task.cwd):
                os.chdir(task.cwd)
            item = _attempt_item(task.item, ledger)
            forward = report if ledger is None else _noting_starts(report, ledger, item.meta_info)
            observers = build_store_observers(task) + [ForwardingObserver(task.key, forward)]
            run = run_experiment(item, observers) if spool is None else _run_spooled(item, observers, spool)
        except KeyboardInterrupt:
            finished = TaskFinished(task.key, error="interrupted by the user", interrupted=True)
        except BaseException as error:  # noqa: BLE001 - this run's failure, reported
            finished = TaskFinished(task.key, error=_error_text(error))
        else:
            result = getattr(run, "result", None)
            finished = TaskFinished(
                task.key, status=getattr(run, "status", None),
                result=None if result is None else short_repr(result), run_id=getattr(run, "_id", None),
            )
        reusable = snapshot.restore() if snapshot is not None else True
        report(finished)
        return reusable
