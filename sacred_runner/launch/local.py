"""``-n N`` / ``-n auto``: N long-lived local worker processes, like pytest-xdist's.

Each worker (:mod:`sacred_runner.launch.pool_worker`) runs one task at a
time and restores the interpreter's global state between runs
(:mod:`sacred_runner.launch.isolation`). Workers are started when the
first batch needs them and reused for the whole session. Each holds one
task in reserve so that its next run starts without a round trip to the
runner; Ctrl+C cancels the reserves (one the worker has already begun is
interrupted like any started run). With ``-x`` workers hold no reserve, so
nothing starts after the first failure is known.

Faults: a worker that dies (``kill -9``, a segfault, ``os._exit``) is
reported :class:`TaskLost` with how it died (its run is then recorded
FAILED) and replaced while tasks remain. Ctrl+C: nothing new starts, the
tasks not started are cancelled, running runs get SIGINT (the terminal
already sent it to the whole process group; the pool sends it itself if a
worker has not reacted after 2 s, at once after SIGTERM to the runner) and record INTERRUPTED; a worker still
busy after the grace period is killed and its run recorded INTERRUPTED.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Any

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
from sacred_runner.launch.pool_worker import CANCEL, RETIRED

__all__ = ["LocalPoolLauncher", "parse_process_count"]

FORWARD_SIGINT_AFTER = 2.0
RESERVE = 1  # tasks a worker holds beyond the one it runs
INTERRUPT_GRACE_SECONDS = 10.0
STOP_TIMEOUT = 5.0


def parse_process_count(text: str) -> int:
    """``-n`` value: a positive integer or ``auto`` (the number of CPUs); ValueError otherwise."""
    if text.strip().lower() == "auto":
        return max(1, os.cpu_count() or 1)
    try:
        count = int(text)
    except ValueError:
        raise ValueError(f"-n: expected a positive number of worker processes or 'auto', got {text!r}") from None
    if count < 1:
        raise ValueError(f"-n: expected a positive number of worker processes or 'auto', got {text!r}")
    return count


class _Worker:
    """One worker process and its socket."""

    def __init__(self) -> None:
        from multiprocessing.connection import Connection

        from sacred_runner.isolated_run import child_env
        from sacred_runner.launch.spool import spool_file

        parent_socket, child_socket = socket.socketpair()
        self.spool = (spool_file(), spool_file())  # the running task's output and metric points
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sacred_runner.launch.pool_worker", str(child_socket.fileno()),
                 *map(str, self.spool)],
                pass_fds=[child_socket.fileno(), *self.spool], env=child_env(),
            )
        except BaseException:
            self.close_spool()
            raise
        finally:
            child_socket.close()
        self.connection = Connection(parent_socket.detach())
        self.tasks: deque[LaunchTask] = deque()  # the running one first, then one in reserve
        self.sigint_sent = False
        self.cancel_sent = False
        self.alive = True

    def salvage(self) -> tuple[str | None, dict | None]:
        """After the worker died: what its last task printed and logged (``(None, None)`` if unreadable)."""
        from sacred_runner.launch.spool import read_spool

        try:
            return read_spool(*self.spool)
        except Exception:  # noqa: BLE001 - the run is still recorded, without them
            return None, None

    def close_spool(self) -> None:
        """Release the spool files."""
        for fd in self.spool:
            with contextlib.suppress(OSError):
                os.close(fd)
        self.spool = (-1, -1)

    def exit_description(self) -> str:
        from sacred_runner.isolated_run import describe_exit

        try:
            returncode = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            returncode = self.process.wait()
        return f"worker pid {self.process.pid}: {describe_exit(returncode)}"

    def stop(self) -> None:
        if self.alive:
            try:
                self.connection.send(None)
            except OSError:
                pass
        self.connection.close()
        try:
            self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.alive = False
        self.close_spool()


class _CtrlC:
    """Notes SIGINT in the runner (main thread only) instead of raising in the middle of a message."""

    def __init__(self) -> None:
        self.at: float | None = None
        self._previous: Any = None
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._note)

    def _note(self, signum: int, frame: Any) -> None:
        if self.at is None:
            self.at = time.monotonic()

    def restore(self) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None


class LocalPoolLauncher(Launcher):
    """Runs tasks on ``processes`` long-lived local worker processes."""

    name = "local"

    def __init__(self, processes: int, reserve: int = RESERVE) -> None:
        self.slots = processes
        self.reserve = reserve
        self.workers: list[_Worker] = []
        self._pending: deque = deque()
        self._started: set[str] = set()  # tasks a worker began (AttemptStarted seen)
        self._requeued: set[str] = set()

    def describe(self) -> str:
        """``local: N worker processes``."""
        return f"local: {self.slots} worker process{'es' if self.slots != 1 else ''}"

    def _spawn(self) -> _Worker:
        worker = _Worker()
        self.workers.append(worker)
        return worker

    def run(self, tasks: list[LaunchTask], report: Report, control: LaunchControl) -> None:
        """Distribute ``tasks`` over the workers until each one is reported."""
        from multiprocessing.connection import wait

        pending = deque(tasks)
        self._pending = pending
        self._started: set[str] = set()
        self._requeued: set[str] = set()
        ctrl_c = _CtrlC()
        try:
            while True:
                if ctrl_c.at is not None:
                    control.interrupted = True
                if cancel_unstarted(control, pending, report):
                    self._cancel_reserves()
                else:
                    self._assign(pending)
                busy = [w for w in self.workers if w.tasks]
                if not busy and not pending:
                    return
                if ctrl_c.at is not None:
                    self._press(busy, ctrl_c.at, report)
                connections = [w.connection for w in self.workers if w.alive]
                for connection in wait(connections, timeout=0.2 if ctrl_c.at is not None else 1.0):
                    worker = next(w for w in self.workers if w.connection is connection)
                    self._receive(worker, report, control)
        finally:
            ctrl_c.restore()

    def _cancel_reserves(self) -> None:
        for worker in self.workers:
            if worker.alive and len(worker.tasks) > 1 and not worker.cancel_sent:
                worker.cancel_sent = True
                try:
                    worker.connection.send(CANCEL)
                except OSError:
                    pass

    def _assign(self, pending: deque) -> None:
        """Give every worker a task to run and one in reserve (idle workers, then new ones, first)."""
        self.workers = [w for w in self.workers if w.alive]
        for depth in range(1, self.reserve + 2):
            while pending:
                worker = next((w for w in self.workers if len(w.tasks) < depth), None)
                if worker is None:
                    if depth > 1 or len(self.workers) >= self.slots:
                        break
                    worker = self._spawn()
                task = pending.popleft()
                try:
                    worker.connection.send(task)
                except OSError:
                    worker.alive = False
                    self.workers.remove(worker)
                    pending.appendleft(task)
                    continue
                worker.tasks.append(task)

    def _receive(self, worker: _Worker, report: Report, control: LaunchControl) -> None:
        try:
            batch = worker.connection.recv()
        except (EOFError, OSError):
            worker.alive = False
            how = worker.exit_description()
            worker.connection.close()
            held, worker.tasks = list(worker.tasks), deque()
            output, metrics = worker.salvage() if any(t.key in self._started for t in held) else (None, None)
            worker.close_spool()
            for task in reversed(held):
                if task.key not in self._started and task.key not in self._requeued and not control.interrupted:
                    # the worker ended before it began this task (it retired, or died running the
                    # one before): the task goes to another worker, once
                    self._requeued.add(task.key)
                    self._pending.appendleft(task)
                elif task.key in self._started:  # it was running: keep what it printed and logged
                    report(TaskLost(task.key, how, interrupted=control.interrupted,
                                    captured_out=output, metrics=metrics))
                elif not control.interrupted:
                    report(TaskLost(task.key, how, interrupted=control.interrupted))
                else:
                    report(TaskCancelled(task.key, "cancelled: interrupted by the user"))
            return
        for message in batch:
            if isinstance(message, AttemptStarted):
                self._started.add(message.key)
            if isinstance(message, TaskCancelled) and message.reason == RETIRED:
                self._pending.appendleft(next(t for t in worker.tasks if t.key == message.key))
                self._forget(worker, message.key)
                continue
            report(message)
            if isinstance(message, (TaskFinished, TaskCancelled)):
                self._forget(worker, message.key)

    @staticmethod
    def _forget(worker: _Worker, key: str) -> None:
        worker.tasks = deque(t for t in worker.tasks if t.key != key)

    def _press(self, busy: list[_Worker], since: float, report: Report) -> None:
        """After Ctrl+C: SIGINT to workers that ignore it, kill those past the grace period.

        After SIGTERM (which reached the runner alone, not the terminal's
        process group) the workers get SIGINT at once.
        """
        from sacred_runner.stopping import stop_signal

        waited = time.monotonic() - since
        forward_after = 0.0 if stop_signal() == "SIGTERM" else FORWARD_SIGINT_AFTER
        for worker in busy:
            if waited >= forward_after and not worker.sigint_sent and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGINT)
                worker.sigint_sent = True
            if waited > INTERRUPT_GRACE_SECONDS and worker.process.poll() is None:
                worker.process.kill()

    def close(self) -> None:
        """Stop every worker."""
        for worker in self.workers:
            worker.stop()
        self.workers = []
