"""The ``--isolate`` protocol: typed messages between the runner and its worker process.

The runner (parent) starts ``python -u -m sacred_runner.worker FD POINTS PID``
(``PID``: the runner's, so the worker can die with it) with a socket (``FD``) for messages, a pipe for the child's stdout and
stderr, and a file (``POINTS``) the child appends metric points to.

    parent -> child   StartRun, then one Reply per start event
    child  -> parent  OutputSettings, EventMessage (every run event; start events
                      wait for a Reply with the run id), then RunEnded or RunError
    points file       one frame per metric point, written when it is logged
                      (:func:`encode_point`; the parent reads them with
                      :class:`PointReader`)

The parent owns the run's record: the store observers and the hook relay
live there. The child's output reaches the parent byte by byte through the
pipe and each metric point is in the kernel's hands (the file) the moment it
is logged, so a child that dies (``os._exit``, a signal) loses nothing it
produced: the parent stores it with a last heartbeat and a FAILED (or
INTERRUPTED) end. A file rather than the socket keeps ``log_scalar`` cheap:
the child never waits for the parent. Heartbeats from the
child carry no output; the parent puts in what it captured (filtered with the
experiment's ``captured_out_filter``) and sends the metric points gathered
since the previous heartbeat as ``log_metrics`` right before it.
"""

from __future__ import annotations

import os
import pickle
import struct
from dataclasses import dataclass
from typing import Any

from sacred.run_events import RunEvent
from sacred_runner.items import RunItem

__all__ = [
    "StartRun",
    "Reply",
    "OutputSettings",
    "EventMessage",
    "MetricPoint",
    "encode_point",
    "PointReader",
    "RunEnded",
    "RunError",
    "ChildMessage",
]


@dataclass
class StartRun:
    """Parent -> child, first message: run ``item``; the child's observer gets ``priority``."""

    item: RunItem
    priority: int


@dataclass
class Reply:
    """Parent -> child: the answer to a start event (the run id, or why an observer failed)."""

    run_id: Any = None
    error: str | None = None


@dataclass
class OutputSettings:
    """Child -> parent, before the run starts: how to store the output the parent captures.

    ``capture`` is False for ``--capture no``; ``output_filter`` is the
    pickled ``captured_out_filter`` of the experiment (None when it has none
    or it cannot be pickled; ``filter_name`` then names it for a warning).
    """

    capture: bool
    output_filter: bytes | None = None
    filter_name: str | None = None


@dataclass
class EventMessage:
    """Child -> parent: one run event; a start event waits for a :class:`Reply`."""

    event: RunEvent

    @property
    def awaits_reply(self) -> bool:
        """True for ``started_event``/``queued_event``."""
        return self.event.starts_run


@dataclass
class MetricPoint:
    """One metric point as the child logged it (``timestamp``: seconds since the epoch)."""

    name: str
    step: int
    value: Any
    timestamp: float


_FRAME_HEADER = struct.Struct("<I")


def encode_point(name: str, step: int, value: Any, timestamp: float) -> bytes:
    """One frame of the points file: a 4-byte length, then the pickled point."""
    body = pickle.dumps((name, step, value, timestamp), protocol=pickle.HIGHEST_PROTOCOL)
    return _FRAME_HEADER.pack(len(body)) + body


class PointReader:
    """Reads the frames the child appended to the points file ``fd`` since the last call.

    Uses its own offset (``pread``), so the child's appends are never disturbed;
    a frame still being written is kept for the next call.
    """

    CHUNK = 1 << 20

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.offset = 0
        self._pending = b""

    def read_new(self) -> list[MetricPoint]:
        """The complete points written since the previous call, in order."""
        chunks = [self._pending]
        while True:
            data = os.pread(self.fd, self.CHUNK, self.offset)
            if not data:
                break
            self.offset += len(data)
            chunks.append(data)
        buffer = b"".join(chunks)
        points, position = [], 0
        while len(buffer) - position >= _FRAME_HEADER.size:
            (length,) = _FRAME_HEADER.unpack_from(buffer, position)
            end = position + _FRAME_HEADER.size + length
            if end > len(buffer):
                break
            points.append(MetricPoint(*pickle.loads(buffer[position + _FRAME_HEADER.size:end])))  # noqa: S301 - our own child
            position = end
        self._pending = buffer[position:]
        return points


@dataclass
class RunEnded:
    """Child -> parent, last message: the run ended (whatever its status)."""

    status: str | None
    result: str | None
    run_id: Any


@dataclass
class RunError:
    """Child -> parent, last message: the run failed to start or ended with an error."""

    text: str
    interrupted: bool = False


ChildMessage = OutputSettings | EventMessage | RunEnded | RunError
"""Everything a worker sends."""
