"""The ``--isolate`` protocol: typed messages between the runner and its worker process.

The runner (parent) starts ``python -u -m sacred_runner.worker FD`` with a
socket (``FD``) for messages and one pipe for the child's stdout and stderr.

    parent -> child   StartRun, then one Reply per start event
    child  -> parent  OutputSettings, EventMessage (every run event; start events
                      wait for a Reply with the run id), MetricPoint (each point as
                      it is logged), then RunEnded or RunError

The parent owns the run's record: the store observers and the hook relay
live there. The child's output reaches the parent byte by byte through the
pipe and metric points one by one through the socket, so a child that dies
(``os._exit``, a signal) loses nothing it produced: the parent stores it
with a last heartbeat and a FAILED (or INTERRUPTED) end. Heartbeats from the
child carry no output; the parent puts in what it captured (filtered with the
experiment's ``captured_out_filter``) and sends the metric points gathered
since the previous heartbeat as ``log_metrics`` right before it.
"""

from __future__ import annotations

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
    """Child -> parent: one metric point, sent when ``log_scalar`` records it."""

    name: str
    step: int
    value: Any
    timestamp: float


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


ChildMessage = OutputSettings | EventMessage | MetricPoint | RunEnded | RunError
"""Everything a worker sends."""
