"""Child side of ``--isolate``: ``python -u -m sacred_runner.worker FD POINTS PARENT_PID``.

Receives a :class:`~sacred_runner.isolation.StartRun` over the socket ``FD``
and runs the experiment with one observer, a :class:`PipeObserver` that
sends every run event to the parent (start events wait for the run id).
The run does not capture its own output: stdout and stderr go straight
(unbuffered) to the parent, which captures them; metric points are appended
to the file ``POINTS`` as they are logged. The worker ends with ``RunEnded`` or ``RunError``, and
dies with its parent (``PR_SET_PDEATHSIG`` on Linux).
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import traceback
from typing import Any

from sacred.observers.forwarding import ForwardingObserver
from sacred.run_events import RunEvent
from sacred.utils import ObserverError
from sacred_runner.isolation import (
    EventMessage,
    OutputSettings,
    Reply,
    RunEnded,
    RunError,
    StartRun,
    encode_point,
)

__all__ = ["PipeObserver", "main"]


class PipeObserver(ForwardingObserver):
    """Sends each run event to the parent; start events return the parent's run id.

    ``log_metrics`` is not sent: every point already went to the parent when
    it was logged (:meth:`send_point`, into the points file ``points_fd``).
    """

    def __init__(self, connection: Any, priority: int, points_fd: int) -> None:
        super().__init__(priority=priority)
        self.connection = connection
        self.points_fd = points_fd
        self._lock = threading.Lock()  # the heartbeat thread and the main thread both send

    def send_message(self, message: Any) -> None:
        """Send one message (values that do not pickle are sent as JSON-ready data)."""
        with self._lock:
            _send(self.connection, message)

    def send_point(self, name: str, step: int, value: Any, timestamp: float) -> None:
        """Append one metric point to the points file as it is logged (one ``write``, no waiting)."""
        os.write(self.points_fd, encode_point(name, step, value, timestamp))

    def forward(self, event: RunEvent) -> Any:
        """Send ``event``; for a start event wait for the parent's :class:`Reply`."""
        if event.name == "log_metrics":
            return None
        with self._lock:
            _send(self.connection, EventMessage(event))
            if not event.starts_run:
                return None
            reply = self.connection.recv()
        if not isinstance(reply, Reply):
            raise ObserverError(f"the runner answered {event.name} with {reply!r}")
        if reply.error is not None:
            raise ObserverError(reply.error)
        return reply.run_id


def _send(connection: Any, message: Any) -> None:
    try:
        connection.send(message)
    except (pickle.PicklingError, TypeError, AttributeError):
        if not isinstance(message, EventMessage):
            raise
        from sacred.serializer import flatten

        event = message.event
        connection.send(EventMessage(RunEvent(event.name, {k: flatten(v) for k, v in event.kwargs.items()})))


def _output_settings(run: Any) -> OutputSettings:
    """How the parent shall store the output of ``run`` (whose own capture is then turned off)."""
    from sacred.settings import SETTINGS

    capture = (run.capture_mode or SETTINGS.CAPTURE_MODE) != "no"
    output_filter = run.captured_out_filter
    if output_filter is None:
        return OutputSettings(capture)
    try:
        return OutputSettings(capture, pickle.dumps(output_filter))
    except Exception:  # noqa: BLE001 - a lambda or a closure: stored unfiltered, with a warning
        return OutputSettings(capture, None, getattr(output_filter, "__qualname__", repr(output_filter)))


def run_item(request: StartRun, proxy: PipeObserver) -> Any:
    """Create the run of ``request.item`` with ``proxy`` as its observer, wire it to the parent, run it."""
    from sacred_runner.execute import load_run_experiment, run_as_current

    experiment, run = load_run_experiment(request.item, [proxy])
    proxy.send_message(_output_settings(run))
    run.capture_mode = "no"  # the parent captures stdout and stderr of this process
    run.stream_metrics(proxy.send_point)
    return run_as_current(experiment, run)


def _die_with_parent(parent_pid: int) -> None:
    """Ask Linux to SIGTERM this process when the runner ``parent_pid`` dies (never an orphaned run)."""
    if not sys.platform.startswith("linux"):
        return
    from sacred._libc import libc_function

    prctl = libc_function("prctl", ("c_int", "c_ulong", "c_ulong", "c_ulong", "c_ulong"))
    if prctl is None:
        return
    pr_set_pdeathsig = 1
    prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def main(argv: list[str]) -> int:
    """Run the item received on the socket ``argv[1]`` (points file ``argv[2]``, runner pid ``argv[3]``)."""
    from multiprocessing.connection import Connection

    from sacred_runner.execute import error_text

    _die_with_parent(int(argv[3]))
    connection = Connection(int(argv[1]))
    request = connection.recv()
    proxy = PipeObserver(connection, request.priority, int(argv[2]))
    try:
        run = run_item(request, proxy)
    except KeyboardInterrupt:
        proxy.send_message(RunError("interrupted", interrupted=True))
        return 130
    except BaseException as error:  # noqa: BLE001 - reported to the parent
        try:
            text = error_text(error)
        except Exception:  # noqa: BLE001
            text = traceback.format_exc()
        proxy.send_message(RunError(text))
        return 1
    result = getattr(run, "result", None)
    proxy.send_message(RunEnded(getattr(run, "status", None),
                                None if result is None else repr(result)[:60], getattr(run, "_id", None)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
