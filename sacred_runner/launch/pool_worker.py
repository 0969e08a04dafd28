"""A long-lived local worker of ``-n N``: ``python -m sacred_runner.launch.pool_worker FD``.

Receives :class:`~sacred_runner.launch.base.LaunchTask` s (``None`` ends it)
over the socket ``FD`` and runs each with
:func:`~sacred_runner.launch.remote.execute_task`, sending every message
back over the same socket. Between runs the interpreter's global state is
restored (:mod:`sacred_runner.launch.isolation`); when that is impossible
the worker exits after reporting the run and the pool starts a fresh one.
SIGINT is ignored while idle and interrupts the run while one executes
(the run records itself INTERRUPTED).
"""

from __future__ import annotations

import pickle
import signal
import sys
from typing import Any

__all__ = ["main"]


def _sender(connection: Any) -> Any:
    def send(message: Any) -> None:
        try:
            connection.send(message)
        except (pickle.PicklingError, TypeError, AttributeError):
            from dataclasses import replace

            from sacred.serializer import flatten

            payload = getattr(message, "payload", None)
            if payload is None:
                raise
            connection.send(replace(message, payload={k: flatten(v) for k, v in payload.items()}))

    return send


def main(argv: list[str]) -> int:
    """Serve tasks from the socket ``argv[1]`` until told to stop."""
    from multiprocessing.connection import Connection

    import sacred  # noqa: F401 - loaded once, before the first run's snapshot
    from sacred_runner.launch.remote import execute_task

    connection = Connection(int(argv[1]))
    send = _sender(connection)
    while True:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            task = connection.recv()
        except (EOFError, OSError):
            return 0
        if task is None:
            return 0
        signal.signal(signal.SIGINT, signal.default_int_handler)
        try:
            reusable = execute_task(task, send)
        except (EOFError, OSError, BrokenPipeError):
            return 1  # the runner went away
        if not reusable:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
