"""A long-lived local worker of ``-n N``: ``python -m sacred_runner.launch.pool_worker FD OUTPUT POINTS``.

Receives :class:`~sacred_runner.launch.base.LaunchTask` s (``None`` ends it)
over the socket ``FD`` and runs each with
:func:`~sacred_runner.launch.remote.execute_task`, sending every message
back over the same socket, in batches (lists). Between runs the interpreter's global state is
restored (:mod:`sacred_runner.launch.isolation`); when that is impossible
the worker exits after reporting the run and the pool starts a fresh one.
SIGINT is ignored while idle and interrupts the run while one executes
(the run records itself INTERRUPTED; the tasks held in reserve are then
cancelled). The runner hands each worker one task in reserve, so the next
run starts without waiting for a round trip; ``"cancel"`` drops the reserve.
``OUTPUT`` and ``POINTS`` are the spool files (:mod:`sacred_runner.launch.spool`)
where each run's output and metric points survive this process's death.
"""

from __future__ import annotations

import signal
import sys
from collections import deque
from typing import Any

__all__ = ["CANCEL", "RETIRED", "main"]


CANCEL = "cancel"  # the runner's message: drop the tasks held in reserve


def _read(connection: Any, queue: deque, send: Any, block: bool) -> bool:
    """Take the runner's messages into ``queue``; False when told to stop (or the runner is gone)."""
    from sacred_runner.launch.base import TaskCancelled

    while block or connection.poll(0):
        block = False
        try:
            message = connection.recv()
        except (EOFError, OSError):
            return False
        if message is None:
            return False
        if message == CANCEL:
            while queue:
                send(TaskCancelled(queue.popleft().key, "not started: the session stopped"))
            send.flush()
        else:
            queue.append(message)
    return True


def main(argv: list[str]) -> int:
    """Serve tasks from the socket ``argv[1]`` until told to stop."""
    from multiprocessing.connection import Connection

    import sacred  # noqa: F401 - loaded once, before the first run's snapshot
    from sacred_runner.launch.base import TaskCancelled, TaskFinished
    from sacred_runner.launch.remote import BatchingReporter, execute_task
    from sacred_runner.launch.spool import TaskSpool

    connection = Connection(int(argv[1]))
    spool = TaskSpool(int(argv[2]), int(argv[3])) if len(argv) > 3 else None
    send = BatchingReporter(connection.send)  # payloads are already picklable (remote.portable)
    queue: deque = deque()
    interrupted: list[str] = []

    def forward(message: Any) -> None:
        if isinstance(message, TaskFinished) and message.interrupted:
            interrupted.append(message.key)
        send(message)

    while True:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if not _read(connection, queue, send, block=not queue):
            return 0
        if not queue:  # a "cancel" emptied the reserve: wait for the next task
            continue
        task = queue.popleft()
        interrupted.clear()
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            reusable = execute_task(task, forward, spool=spool)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            if interrupted:  # Ctrl+C: what this worker holds in reserve never starts
                while queue:
                    send(TaskCancelled(queue.popleft().key, "cancelled: interrupted by the user"))
            send.flush()
        except (EOFError, OSError, BrokenPipeError):
            return 1  # the runner went away
        if not reusable:
            while queue:  # handed back: the pool gives them to a fresh worker
                send(TaskCancelled(queue.popleft().key, RETIRED))
            send.flush()
            return 0


RETIRED = "worker retired"

if __name__ == "__main__":
    sys.exit(main(sys.argv))
