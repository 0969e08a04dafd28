"""``-n N`` / ``-n auto``: N long-lived local worker processes, like pytest-xdist's.

Each worker (:mod:`sacred_runner.launch.pool_worker`) runs one task at a
time and restores the interpreter's global state between runs
(:mod:`sacred_runner.launch.isolation`). Workers are started when the
first batch needs them and reused for the whole session.

Faults: a worker that dies (``kill -9``, a segfault, ``os._exit``) is
reported :class:`TaskLost` with how it died (its run is then recorded
FAILED) and replaced while tasks remain. Ctrl+C: nothing new starts, the
tasks not started are cancelled, running runs get SIGINT (the terminal
already sent it to the whole process group; the pool sends it itself if a
worker has not reacted after 2 s) and record INTERRUPTED; a worker still
busy after the grace period is killed and its run recorded INTERRUPTED.
"""

from __future__ import annotations

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
)

__all__ = ["LocalPoolLauncher", "parse_process_count"]

FORWARD_SIGINT_AFTER = 2.0
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

        from sacred_runner.execute import _child_env

        parent_socket, child_socket = socket.socketpair()
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "sacred_runner.launch.pool_worker", str(child_socket.fileno())],
                pass_fds=[child_socket.fileno()], env=_child_env(),
            )
        finally:
            child_socket.close()
        self.connection = Connection(parent_socket.detach())
        self.task: LaunchTask | None = None
        self.sigint_sent = False
        self.alive = True

    def exit_description(self) -> str:
        from sacred_runner.execute import _describe_exit

        try:
            returncode = self.process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            returncode = self.process.wait()
        return f"worker pid {self.process.pid}: {_describe_exit(returncode)}"

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

    def __init__(self, processes: int) -> None:
        self.slots = processes
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
                if control.interrupted or control.stop_scheduling:
                    reason = "cancelled: interrupted by the user" if control.interrupted else "not started: the session stopped (-x)"
                    while pending:
                        report(TaskCancelled(pending.popleft().key, reason))
                self._assign(pending, report)
                busy = [w for w in self.workers if w.task is not None]
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

    def _assign(self, pending: deque, report: Report) -> None:
        self.workers = [w for w in self.workers if w.alive]
        while pending:
            idle = next((w for w in self.workers if w.task is None), None)
            if idle is None:
                if len(self.workers) >= self.slots:
                    return
                idle = self._spawn()
            task = pending.popleft()
            try:
                idle.connection.send(task)
            except OSError:
                idle.alive = False
                self.workers.remove(idle)
                pending.appendleft(task)
                continue
            idle.task = task

    def _receive(self, worker: _Worker, report: Report, control: LaunchControl) -> None:
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            worker.alive = False
            how = worker.exit_description()
            worker.connection.close()
            if worker.task is not None:
                task, worker.task = worker.task, None
                if task.key not in self._started and task.key not in self._requeued and not control.interrupted:
                    # the worker ended before it began this task (e.g. it retired after a run that
                    # left threads behind): the task goes to another worker, once
                    self._requeued.add(task.key)
                    self._pending.appendleft(task)
                    return
                report(TaskLost(task.key, how, interrupted=control.interrupted))
            return
        if isinstance(message, AttemptStarted):
            self._started.add(message.key)
        if isinstance(message, AttemptStarted) or worker.task is None:
            report(message)
            return
        report(message)
        if isinstance(message, TaskFinished) and message.key == worker.task.key:
            worker.task = None

    def _press(self, busy: list[_Worker], since: float, report: Report) -> None:
        """After Ctrl+C: SIGINT to workers that ignore it, kill those past the grace period."""
        waited = time.monotonic() - since
        for worker in busy:
            if waited > FORWARD_SIGINT_AFTER and not worker.sigint_sent and worker.process.poll() is None:
                worker.process.send_signal(signal.SIGINT)
                worker.sigint_sent = True
            if waited > INTERRUPT_GRACE_SECONDS and worker.process.poll() is None:
                worker.process.kill()

    def close(self) -> None:
        """Stop every worker."""
        for worker in self.workers:
            worker.stop()
        self.workers = []
