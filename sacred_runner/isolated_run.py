"""Parent side of ``--isolate``: run one item in a worker process and record it here.

:func:`execute_isolated` reads top to bottom: start the worker, relay its
messages (:mod:`sacred_runner.isolation`) to the observers until it is done,
close it, and record the end it could not report itself. SIGINT and SIGTERM
meanwhile are forwarded to the worker, which gets a bounded time to record
its run as INTERRUPTED before it is killed; the worker is never left running.
"""

from __future__ import annotations

import codecs
import logging
import os
import pickle
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from sacred.events import EventBus
from sacred.run_events import RunEvent
from sacred_runner.isolation import (
    EventMessage,
    MetricPoint,
    OutputSettings,
    PointReader,
    Reply,
    RunEnded,
    RunError,
    StartRun,
)
from sacred_runner.items import RunItem, RunOutcome
from sacred_runner.tracking import HookRelayObserver, utc_now

__all__ = ["execute_isolated", "INTERRUPT_GRACE_SECONDS"]

INTERRUPT_GRACE_SECONDS = 10.0
"""How long an interrupted worker may take to record its run before it is killed."""

OUTPUT_DRAIN_SECONDS = 1.0
"""How long to wait, once the worker exited, for processes it started to release its output pipe."""

logger = logging.getLogger("sacred_runner")


def execute_isolated(item: RunItem, observers: list, hook: Any) -> RunOutcome:
    """Run ``item`` in a fresh ``python -m sacred_runner.worker`` process; record it here."""
    from sacred_runner.execute import SessionInterrupted, finish_outcome

    relay = HookRelayObserver(item, hook)
    worker = _Worker.start(StartRun(item, max((getattr(o, "priority", 0) for o in observers), default=0)))
    try:
        record = _ParentRecord(EventBus(list(observers) + [relay], None, logger), relay, worker.output,
                               worker.points)
        with _SignalForwarding(worker.process) as signals:
            for message in worker.messages(signals):
                reply = record.handle(message)
                if reply is not None:
                    worker.send(reply)
            returncode = worker.close(INTERRUPT_GRACE_SECONDS)
        interrupted = signals.interrupted or record.interrupted_by_child
        error = record.end_unreported(returncode, interrupted)
    finally:
        worker.release()
    outcome = finish_outcome(relay, observers, error=error)
    if record.ended is not None and not relay.started:
        outcome.status = record.ended.status or "COMPLETED"
        outcome.run_id = record.ended.run_id
        outcome.result = record.ended.result
    if interrupted:
        if outcome.status in ("ERROR", "RUNNING", "PENDING"):
            outcome.status = "INTERRUPTED"
        raise SessionInterrupted(outcome)
    return outcome


# --------------------------------------------------------------------- the worker process


class _OutputPipe:
    """The read end of the worker's stdout+stderr: echoed to this terminal and kept as text."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        os.set_blocking(fd, False)
        self.open = True
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._parts: list[str] = []
        self._taken = 0

    def read_available(self) -> None:
        """Read what the pipe holds now (without waiting); echo it."""
        while self.open:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return
            except OSError:
                data = b""
            if not data:
                self._add(self._decoder.decode(b"", final=True))
                self.open = False
                os.close(self.fd)
                return
            self._add(self._decoder.decode(data))

    def read_to_end(self, timeout: float) -> None:
        """Read until end of file, waiting at most ``timeout`` seconds for it."""
        deadline = time.monotonic() + timeout
        while self.open and time.monotonic() < deadline:
            select.select([self.fd], [], [], max(0.0, deadline - time.monotonic()))
            self.read_available()
        if self.open:
            self.open = False
            os.close(self.fd)

    def _add(self, text: str) -> None:
        if not text:
            return
        self._parts.append(text)
        try:
            sys.stdout.write(text)
            sys.stdout.flush()
        except (OSError, ValueError):
            pass

    @property
    def text(self) -> str:
        """Everything read so far."""
        if len(self._parts) > 1:
            self._parts[:] = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""


class _Worker:
    """The worker process, its message socket and its output pipe."""

    def __init__(self, process: subprocess.Popen, connection: Connection, output: _OutputPipe,
                 points_fd: int) -> None:
        self.process = process
        self.connection = connection
        self.output = output
        self.points_fd = points_fd
        self.points = PointReader(points_fd)

    @classmethod
    def start(cls, request: StartRun) -> _Worker:
        """Start ``python -u -m sacred_runner.worker`` and send it ``request``."""
        parent_socket, child_socket = socket.socketpair()
        output_read, output_write = os.pipe()
        points_fd = _points_file()
        try:
            process = subprocess.Popen(
                [sys.executable, "-u", "-m", "sacred_runner.worker", str(child_socket.fileno()), str(points_fd),
                 str(os.getpid())],
                pass_fds=[child_socket.fileno(), points_fd],
                stdout=output_write,
                stderr=output_write,
                env=child_env(),
            )
        except BaseException:
            os.close(points_fd)
            raise
        finally:
            child_socket.close()
            os.close(output_write)
        worker = cls(process, Connection(parent_socket.detach()), _OutputPipe(output_read), points_fd)
        worker.send(request)
        return worker

    def send(self, message: Any) -> None:
        """Send ``message`` (a child that is gone is noticed by :meth:`messages`)."""
        try:
            self.connection.send(message)
        except OSError:
            pass

    def messages(self, signals: _SignalForwarding) -> Iterator[Any]:
        """Yield the worker's messages until it closes the socket (or ignores an interrupt too long).

        Output is read before each message, so a message finds all output
        written before it was sent.
        """
        while not signals.expired():
            signals.forward_if_ignored()
            sources: list[Any] = [self.connection] + ([self.output.fd] if self.output.open else [])
            ready = wait(sources, timeout=signals.poll_timeout())
            self.output.read_available()
            if self.connection not in ready:
                continue
            try:
                message = self.connection.recv()
            except (EOFError, OSError):
                return
            yield message

    def close(self, grace: float) -> int:
        """Close the socket, wait at most ``grace`` seconds for the exit (then kill); read the rest of the output."""
        self.connection.close()
        try:
            returncode = self.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.process.kill()
            returncode = self.process.wait()
        self.output.read_to_end(OUTPUT_DRAIN_SECONDS)
        return returncode

    def release(self) -> None:
        """Free everything: kill the process if it still runs, close the socket, the pipe, the points file."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.connection.close()
        if self.output.open:
            self.output.open = False
            os.close(self.output.fd)
        if self.points_fd >= 0:
            os.close(self.points_fd)
            self.points_fd = -1


def _points_file() -> int:
    """An anonymous (already deleted) file opened for appending: the child's metric points."""
    import fcntl
    import tempfile

    fd, path = tempfile.mkstemp(prefix="sacred-points-")
    os.unlink(path)
    fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) | os.O_APPEND)
    return fd


def child_env() -> dict[str, str]:
    """The environment of a runner child process: ours, with this package importable first."""
    env = dict(os.environ)
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    return env


def describe_exit(returncode: int | None) -> str:
    """``it exited with code 3`` / ``it was killed by SIGKILL``."""
    if returncode is None:
        return "it did not exit"
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"it was killed by {name}"
    return f"it exited with code {returncode}"


# --------------------------------------------------------------------- signals


class _SignalForwarding:
    """SIGINT and SIGTERM while a worker runs, without exceptions in the parent.

    SIGTERM is forwarded at once (it was meant for the whole run). Ctrl+C
    reaches the worker through the terminal's process group; SIGINT is
    forwarded only if the worker ignores it for ``FORWARD_AFTER_SECONDS``.
    The worker then has ``INTERRUPT_GRACE_SECONDS`` to record its run; after
    that :meth:`expired` is True and the parent stops waiting (and kills it).
    """

    FORWARD_AFTER_SECONDS = 2.0
    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, process: subprocess.Popen) -> None:
        self.process = process
        self.interrupted_at: float | None = None
        self.signal_name: str | None = None
        self.forwarded = False
        self._previous: dict[int, Any] = {}

    def __enter__(self) -> _SignalForwarding:
        if threading.current_thread() is threading.main_thread():
            for signum in self.SIGNALS:
                self._previous[signum] = signal.signal(signum, self._note)
        return self

    def __exit__(self, *exc_info: Any) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    @property
    def interrupted(self) -> bool:
        """True once SIGINT or SIGTERM arrived."""
        return self.interrupted_at is not None

    def _note(self, signum: int, frame: Any) -> None:
        if self.interrupted_at is None:
            self.interrupted_at = time.monotonic()
            self.signal_name = signal.Signals(signum).name
        if signum == signal.SIGTERM:
            from sacred_runner.stopping import note_signal

            note_signal("SIGTERM")
        if signum == signal.SIGTERM and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.forwarded = True

    def forward_if_ignored(self) -> None:
        """Send SIGINT to the worker if it did not react to the group's one."""
        if (
            self.interrupted_at is not None
            and not self.forwarded
            and time.monotonic() - self.interrupted_at > self.FORWARD_AFTER_SECONDS
            and self.process.poll() is None
        ):
            self.process.send_signal(signal.SIGINT)
            self.forwarded = True

    def poll_timeout(self) -> float:
        """How long to wait for the worker's next message before checking again."""
        return 0.2 if self.interrupted_at is not None else 1.0

    def expired(self) -> bool:
        """True when the worker had its grace period after an interrupt."""
        return (
            self.interrupted_at is not None
            and time.monotonic() - self.interrupted_at > INTERRUPT_GRACE_SECONDS
        )


# --------------------------------------------------------------------- the record


class _ParentRecord:
    """Turns the worker's messages into the run's events for the observers here."""

    def __init__(self, bus: EventBus, relay: HookRelayObserver, output: _OutputPipe,
                 points: PointReader) -> None:
        self.bus = bus
        self.relay = relay
        self.output = output
        self.point_reader = points
        self.capture = True
        self.output_filter: Any = None
        self.points: dict[str, dict[str, list]] = {}
        self.last_info: dict = {}
        self.last_result: Any = None
        self.ended: RunEnded | None = None
        self.error: str | None = None
        self.interrupted_by_child = False

    def handle(self, message: Any) -> Reply | None:
        """Act on one message from the worker; return the reply it waits for, if any."""
        if isinstance(message, EventMessage):
            return self._event(message.event)
        elif isinstance(message, OutputSettings):
            self._settings(message)
        elif isinstance(message, RunEnded):
            self.ended, self.error = message, None
        elif isinstance(message, RunError):
            self.error = message.text
            self.interrupted_by_child = self.interrupted_by_child or message.interrupted
        else:
            logger.warning("--isolate: ignored an unknown message from the worker: %r", message)
        return None

    def _settings(self, message: OutputSettings) -> None:
        self.capture = message.capture
        if message.output_filter is not None:
            try:
                self.output_filter = pickle.loads(message.output_filter)  # noqa: S301 - our own child
            except Exception as error:  # noqa: BLE001 - stored unfiltered
                logger.warning("--isolate: captured_out_filter could not be loaded (%s); output is stored unfiltered", error)
        elif message.filter_name:
            logger.warning("--isolate: captured_out_filter %s cannot be sent to the runner (it does not "
                           "pickle); output is stored unfiltered", message.filter_name)

    def _event(self, event: RunEvent) -> Reply | None:
        if event.starts_run:
            run_id, errors = self.bus.start(event.name, dict(event.kwargs))
            return Reply(run_id, str(errors[0]) if errors else None)
        if event.name == "heartbeat_event":
            self._deliver_points()
            self.last_info = event.kwargs.get("info") or {}
            self.last_result = event.kwargs.get("result")
            event.kwargs["captured_out"] = self._captured_out()
        self.bus.emit(event.name, event.kwargs)
        return None

    def _add_point(self, point: MetricPoint) -> None:
        import datetime as dt

        series = self.points.setdefault(point.name, {"name": point.name, "steps": [], "values": [], "timestamps": []})
        series["steps"].append(point.step)
        series["values"].append(point.value)
        series["timestamps"].append(dt.datetime.fromtimestamp(point.timestamp, dt.UTC).replace(tzinfo=None))

    def _deliver_points(self) -> None:
        for point in self.point_reader.read_new():
            self._add_point(point)
        if self.points:
            points, self.points = self.points, {}
            self.bus.emit("log_metrics", {"metrics_by_name": points, "info": self.last_info})

    def _captured_out(self) -> str:
        if not self.capture:
            return ""
        text = self.output.text
        if self.output_filter is None:
            return text
        try:
            return self.output_filter(text)
        except Exception as error:  # noqa: BLE001 - keep the raw text rather than lose it
            logger.warning("captured_out_filter failed: %s: %s", type(error).__name__, error)
            return text

    def end_unreported(self, returncode: int, interrupted: bool) -> str | None:
        """Record the end of a run the worker could not report; return the error the outcome shows."""
        if self.relay.started and not self.relay.finished:
            reason = f"The run's process died before the run ended: {describe_exit(returncode)}."
            self._deliver_points()
            self.bus.emit("heartbeat_event", {"info": self.last_info, "captured_out": self._captured_out(),
                                              "beat_time": utc_now(), "result": self.last_result})
            if interrupted:
                self.bus.emit("interrupted_event", {"interrupt_time": utc_now(), "status": "INTERRUPTED"})
            else:
                self.bus.emit("failed_event", {"fail_time": utc_now(), "fail_trace": [reason + "\n"]})
            return self.error or reason
        if not self.relay.started and self.ended is None and self.error is None:
            return f"The run's process ended without reporting: {describe_exit(returncode)}."
        return self.error
