"""``--launcher dask [--scheduler tcp://HOST:PORT]``: runs as tasks on a Dask distributed cluster.

Without ``--scheduler`` a ``LocalCluster`` is started (``-n`` worker
processes, one thread each). Each task executes
:func:`sacred_runner.launch.remote.execute_task` on a worker, which writes
the stores from there; every message goes back through a
``distributed.Queue`` (in batches) that the runner drains into the one
report callback. Twice as many tasks as the cluster has worker threads are
submitted at a time (one in reserve per thread, so a worker never waits for
the runner); on Ctrl+C the reserves are cancelled. With ``-x`` there is no
reserve, so nothing starts after the first failure is known. Runs in one worker process are serialized (they share its
interpreter); start workers with ``--nthreads 1``.

Stores must be reachable from the workers: before submitting, every
worker checks that it sees a probe file the runner wrote into each
path-based store (FileStorage, the embedded default store, TinyDB,
SQLite); a worker that does not is a usage error naming the store.

Faults: a worker process killed mid-run makes Dask run the task again on
another worker (``distributed.scheduler.allowed-failures``, 1 for the
LocalCluster); the lost attempt's run is recorded FAILED naming the worker,
and the new attempt's run records ``meta_info["attempt_of"]`` (the lost run)
and ``meta_info["attempt"]``, as a requeued dead run does: each attempt notes
the run it started in a ``distributed.Variable`` that the next one reads.
When Dask gives up (``KilledWorker``) the run is recorded FAILED with
Dask's reason. Ctrl+C sets a ``distributed.Event`` on which each task
watches: the run is interrupted in its worker and records INTERRUPTED.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from sacred_runner.errors import UsageError
from sacred_runner.launch.base import (
    AttemptStarted,
    LaunchControl,
    Launcher,
    LaunchTask,
    Report,
    TaskCancelled,
    TaskFinished,
    TaskLost,
    cancel_unstarted,
)

__all__ = ["DaskLauncher", "execute_dask_task", "path_of_store", "visible_paths"]

INTERRUPT_GRACE_SECONDS = 15.0
REPORT_WAIT_SECONDS = 30.0
POLL_SECONDS = 0.02
CANCEL_CONFIRM_SECONDS = 2.0  # a cancelled task's start message may still be in the queue


def _import_distributed() -> Any:
    from sacred.observers._backend_import import import_backend

    try:
        return import_backend("distributed", needed_by="--launcher dask", extra="dask",
                              packages=("dask[distributed]",))
    except ImportError as error:
        raise UsageError(str(error)) from None


def path_of_store(kind: str, value: str) -> str | None:
    """The folder a path-based store lives in (None for network stores)."""
    if kind in ("file_storage", "tiny_db"):
        return value
    if kind == "sql" and value.startswith("sqlite:///"):
        path = value[len("sqlite:///"):]
        return os.path.dirname(path) if path and path != ":memory:" else None
    return None


def visible_paths(paths: list[str]) -> list[str]:
    """On a worker: which of ``paths`` this process cannot see."""
    return [path for path in paths if not os.path.exists(path)]


def _interrupt_thread(ident: int) -> None:
    import ctypes

    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(KeyboardInterrupt))


class _VariableLedger:
    """The attempts of one task in a ``distributed.Variable`` on the scheduler (it outlives lost workers)."""

    def __init__(self, name: str) -> None:
        import distributed

        self.variable = distributed.Variable(name)
        self.used = False

    def previous(self) -> dict | None:
        """The run the lost attempt started (None for the first attempt)."""
        try:
            value = self.variable.get(timeout=0)
        except Exception:  # noqa: BLE001 - not set (TimeoutError): the first attempt
            return None
        self.used = True
        return value if isinstance(value, dict) else None

    def started(self, run_id: Any, meta: dict) -> None:
        """Note this attempt's run for the next attempt, should this worker be lost."""
        self.used = True
        self.variable.set({"run_id": run_id, "meta": {k: meta[k] for k in ("attempt",) if k in meta}})

    def forget(self) -> None:
        """The task ended here: nothing to link to any more."""
        if self.used:
            try:
                self.variable.delete()
            except Exception:  # noqa: BLE001 - the scheduler went away: nothing left to clean
                pass


def execute_dask_task(task: LaunchTask, queue_name: str, stop_name: str) -> None:
    """On a Dask worker: run ``task``, sending every message to the queue ``queue_name``."""
    import distributed

    from sacred_runner.launch.remote import BatchingReporter, execute_task

    worker = distributed.get_worker()
    queue = distributed.Queue(queue_name)
    stop = distributed.Event(stop_name)
    where = f"dask worker {worker.address} ({os.getpid()})"
    done = threading.Event()
    runner = threading.get_ident()

    def watch() -> None:
        while not done.is_set():
            try:
                if stop.wait(timeout=1.0):
                    if not done.is_set():
                        _interrupt_thread(runner)
                    return
            except Exception:  # noqa: BLE001 - the scheduler went away: nothing to watch
                return

    batches = BatchingReporter(queue.put)

    def report(message: Any) -> None:
        if isinstance(message, AttemptStarted):
            from dataclasses import replace

            message = replace(message, where=where)
        batches(message)

    watcher = threading.Thread(target=watch, name="sacred-dask-interrupt-watch", daemon=True)
    watcher.start()
    ledger = _VariableLedger(f"{queue_name}-{task.key}-attempt")
    try:
        execute_task(task, report, ledger=ledger)
        batches.flush()
    finally:
        done.set()
        ledger.forget()


class DaskLauncher(Launcher):
    """Submits tasks to a Dask cluster (an existing scheduler or a LocalCluster)."""

    name = "dask"

    def __init__(self, scheduler: str | None, workers: int | None, connect_timeout: float,
                 stores: list[tuple[str, str]], rootdir: str, default_store: bool = False,
                 reserve: int = 1) -> None:
        self.scheduler = scheduler
        self.workers = workers
        self.connect_timeout = connect_timeout
        self.stores = stores
        self.rootdir = rootdir
        self.default_store = default_store
        self.client: Any = None
        self.cluster: Any = None
        self.slots = 1
        self.reserve = reserve  # tasks submitted per worker thread beyond the running one
        self.session_id = uuid.uuid4().hex[:10]

    def describe(self) -> str:
        """``dask: tcp://... (N threads)``."""
        return f"dask: {self.scheduler or 'LocalCluster'} ({self.slots} worker threads)"

    def start(self) -> None:
        """Connect (or start a LocalCluster), then check that the workers reach the stores."""
        distributed = _import_distributed()
        import dask

        if self.scheduler:
            try:
                self.client = distributed.Client(self.scheduler, timeout=self.connect_timeout,
                                                 set_as_default=False)
            except (OSError, TimeoutError, ValueError) as error:
                raise UsageError(
                    f"cannot reach the dask scheduler {self.scheduler} within {self.connect_timeout:g}s "
                    f"(--connect-timeout): {error}"
                ) from None
        else:
            with dask.config.set({"distributed.scheduler.allowed-failures": 1}):
                self.cluster = distributed.LocalCluster(
                    n_workers=self.workers or max(1, os.cpu_count() or 1), threads_per_worker=1,
                    processes=True, dashboard_address=None, host="127.0.0.1",
                )
            self.client = distributed.Client(self.cluster, set_as_default=False)
        try:
            self.client.wait_for_workers(1, timeout=self.connect_timeout)
        except (TimeoutError, OSError):
            self.close()
            raise UsageError(f"the dask scheduler {self.scheduler} has no workers (waited {self.connect_timeout:g}s)") from None
        self.slots = max(1, sum(self.client.nthreads().values()))
        self._check_stores()

    def _check_stores(self) -> None:
        """A usage error when a worker cannot see a path-based store."""
        probes = []
        for kind, value in self.stores:
            folder = path_of_store(kind, value)
            if folder is None:
                continue
            folder_path = Path(folder if os.path.isabs(folder) else os.path.join(self.rootdir, folder))
            folder_path.mkdir(parents=True, exist_ok=True)
            probe = folder_path / f".sacred-probe-{self.session_id}"
            probe.write_text("the dask launcher checks that workers see this store\n")
            probes.append((kind, value, str(probe)))
        if not probes:
            return
        try:
            missing = self.client.run(visible_paths, [probe for _, _, probe in probes])
        finally:
            for _, _, probe in probes:
                Path(probe).unlink(missing_ok=True)
        for worker, paths in sorted(missing.items()):
            for kind, value, probe in probes:
                if probe in paths:
                    what = "the embedded default store" if self.default_store else f"the store {kind}:{value}"
                    self.close()
                    raise UsageError(
                        f"{what} ({os.path.dirname(probe)}) is not reachable from the dask worker {worker}: "
                        "workers write the runs themselves, so use a folder they share with this machine "
                        "(--file_storage /shared/path) or an SQL or MongoDB URL (see docs/runner.md)"
                    )

    def run(self, tasks: list[LaunchTask], report: Report, control: LaunchControl) -> None:
        """Submit ``tasks`` (a window of ``slots`` plus reserves) and relay their messages until each is reported."""
        distributed = _import_distributed()
        queue_name = f"sacred-{self.session_id}-{uuid.uuid4().hex[:6]}"
        stop_name = f"{queue_name}-stop"
        queue = distributed.Queue(queue_name, client=self.client)
        stop = distributed.Event(stop_name, client=self.client)
        pending = list(tasks)
        inflight: dict[str, tuple[Any, LaunchTask]] = {}
        reported: set[str] = set()
        started: set[str] = set()
        finished_at: dict[str, float] = {}
        cancelling: dict[str, float] = {}
        interrupted_at: float | None = None
        window = self.slots * (1 + self.reserve)

        def relay(message: Any) -> None:
            if isinstance(message, (TaskFinished, TaskLost)):
                reported.add(message.key)
            elif isinstance(message, AttemptStarted):
                started.add(message.key)
            report(message)

        try:
            while pending or inflight:
                try:
                    if cancel_unstarted(control, pending, report):
                        if control.interrupted:
                            for key, (future, _task) in inflight.items():
                                if key not in started and key not in cancelling:
                                    # not begun (as far as we know): cancel; _settle says how it ended
                                    cancelling[key] = time.monotonic()
                                    future.cancel()
                    while pending and len(inflight) < window:
                        task = pending.pop(0)
                        future = self.client.submit(execute_dask_task, task, queue_name, stop_name,
                                                    key=f"{queue_name}-{task.key}", pure=False)
                        inflight[task.key] = (future, task)
                    self._drain(queue, relay)
                    self._settle(inflight, reported, started, finished_at, cancelling, relay, control)
                    if interrupted_at is not None and time.monotonic() - interrupted_at > INTERRUPT_GRACE_SECONDS:
                        for key, (future, _task) in list(inflight.items()):
                            future.cancel()
                            relay(TaskLost(key, "it did not stop within the grace period after Ctrl+C", interrupted=True))
                            inflight.pop(key)
                except KeyboardInterrupt:
                    if interrupted_at is None:
                        interrupted_at = time.monotonic()
                        control.interrupted = True
                        stop.set()
        finally:
            try:
                queue.close()
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass

    def _drain(self, queue: Any, relay: Any) -> None:
        """Relay what the queue holds (non-blocking gets: a blocking one times out noisily on the scheduler)."""
        messages = queue.get(batch=True)
        if not messages:
            time.sleep(POLL_SECONDS)
            return
        for batch in messages:
            for message in batch:
                relay(message)

    def _settle(self, inflight: dict, reported: set, started: set, finished_at: dict, cancelling: dict,
                relay: Any, control: LaunchControl) -> None:
        """Conclude the futures that are done: their report arrived, or they ended without one."""
        now = time.monotonic()
        for key, (future, _task) in list(inflight.items()):
            if key in reported:
                inflight.pop(key)
                continue
            if key in cancelling and key not in started:
                # cancelled before it began, unless its start is still on its way through the queue
                if future.status == "cancelled" and now - cancelling[key] > CANCEL_CONFIRM_SECONDS:
                    relay(TaskCancelled(key, "cancelled: interrupted by the user"))
                    reported.add(key)
                    inflight.pop(key)
                continue
            if future.status in ("finished", "cancelled"):
                # the result is back (or a started task was cancelled): its report may still be
                # on its way through the queue; the Ctrl+C grace period bounds the wait too
                waited = finished_at.setdefault(key, now)
                if now - waited > REPORT_WAIT_SECONDS:
                    relay(TaskLost(key, "the task ended but its report never arrived", interrupted=control.interrupted))
                    inflight.pop(key)
            elif future.status in ("error", "lost"):
                try:
                    error = future.exception(timeout=5)
                except Exception as problem:  # noqa: BLE001
                    error = problem
                relay(TaskLost(key, f"{type(error).__name__}: {error}" if error else future.status,
                               interrupted=control.interrupted))
                inflight.pop(key)

    def close(self) -> None:
        """Disconnect; stop the LocalCluster if this launcher started one."""
        if self.client is not None:
            try:
                self.client.close()
            except Exception:  # noqa: BLE001
                pass
            self.client = None
        if self.cluster is not None:
            try:
                self.cluster.close()
            except Exception:  # noqa: BLE001
                pass
            self.cluster = None
