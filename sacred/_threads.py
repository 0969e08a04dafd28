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


class ParkedThreads:
    """Runs jobs in threads named ``name``: a waiting one when there is, else a new one."""

    def __init__(self, name: str, idle_exit: float = 1.0) -> None:
        self.name = name
        self.idle_exit = idle_exit
        self._cond = threading.Condition(threading.Lock())
        self._idle: list[list[Callable[[], None] | None]] = []  # job slot of each waiting thread
        _ALL.append(self)

    def run(self, job: Callable[[], None]) -> None:
        """Run ``job()`` in a waiting thread, or in a new daemon thread; do not wait for it."""
        with self._cond:
            if self._idle:
                slot = self._idle.pop()
                slot[0] = job
                self._cond.notify_all()
                return
        threading.Thread(target=self._work, args=(job,), name=self.name, daemon=True).start()

    def _work(self, job: Callable[[], None] | None) -> None:
        while job is not None:
            try:
                job()
            except Exception:  # noqa: BLE001 - jobs report their own problems; keep serving
                logger.debug("%s job failed", self.name, exc_info=True)
            slot: list[Callable[[], None] | None] = [None]
            with self._cond:
                self._idle.append(slot)
                deadline = time.monotonic() + self.idle_exit
                while slot[0] is None:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        # by identity: list.remove would take any equal ([None]) slot,
                        # leaving this one to receive a job nobody runs
                        self._idle[:] = [other for other in self._idle if other is not slot]
                        break
                    self._cond.wait(remaining)
                job = slot[0]

    def _after_fork_in_child(self) -> None:
        # the child has none of the parent's threads, and the lock may have been held
        self._cond = threading.Condition(threading.Lock())
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
