"""Worker threads that wait a moment for more work before they end.

A run needs a few short-lived helper threads (reading the ``fd`` capture pipe,
syncing its files to disk concurrently). Starting and joining a thread costs
a context switch or two each, which under load is a good part of a short
run; :class:`ParkedThreads` keeps a finished thread waiting ``idle_exit``
seconds for the next job, so runs that follow each other reuse it, and no
thread outlives a second of idleness.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

__all__ = ["ParkedThreads", "parked_threads"]

logger = logging.getLogger(__name__)

_ALL: list[ParkedThreads] = []


class _Slot:
    """Where a waiting thread gets its next job; woken alone (not all waiting threads)."""

    __slots__ = ("job", "wake")

    def __init__(self, lock: threading.Lock) -> None:
        self.job: Callable[[], None] | None = None
        self.wake = threading.Condition(lock)


class ParkedThreads:
    """Runs jobs in threads named ``name``: a waiting one when there is, else a new one."""

    def __init__(self, name: str, idle_exit: float = 1.0) -> None:
        self.name = name
        self.idle_exit = idle_exit
        self._lock = threading.Lock()
        self._idle: list[_Slot] = []  # the job slot of each waiting thread, last parked last
        _ALL.append(self)

    def run(self, job: Callable[[], None]) -> None:
        """Run ``job()`` in a waiting thread, or in a new daemon thread; do not wait for it."""
        with self._lock:
            if self._idle:
                slot = self._idle.pop()  # the one parked last: the others may time out and end
                slot.job = job
                slot.wake.notify()
                return
        threading.Thread(target=self._work, args=(job,), name=self.name, daemon=True).start()

    def _work(self, job: Callable[[], None] | None) -> None:
        while job is not None:
            try:
                job()
            except Exception:  # noqa: BLE001 - jobs report their own problems; keep serving
                logger.debug("%s job failed", self.name, exc_info=True)
            slot = _Slot(self._lock)
            with self._lock:
                self._idle.append(slot)
                deadline = time.monotonic() + self.idle_exit
                while slot.job is None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._idle.remove(slot)  # by identity: slots do not compare equal
                        break
                    slot.wake.wait(remaining)
                job = slot.job

    def _after_fork_in_child(self) -> None:
        # the child has none of the parent's threads, and the lock may have been held
        self._lock = threading.Lock()
        self._idle = []


_BY_NAME: dict[str, ParkedThreads] = {}


def parked_threads(name: str) -> ParkedThreads:
    """The process's :class:`ParkedThreads` named ``name`` (created on first use)."""
    pool = _BY_NAME.get(name)
    if pool is None:
        pool = _BY_NAME.setdefault(name, ParkedThreads(name))
    return pool


def _reset_all_after_fork() -> None:
    for pool in _ALL:
        pool._after_fork_in_child()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_all_after_fork)
