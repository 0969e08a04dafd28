"""The documented observer interface: subclass :class:`RunObserver`.

Every event has the signature the Sacred documentation gives. A subclass may
override any subset of them, and may even leave out parameters it does not
care about (the documentation's own ``MyObserver`` omits ``host_info`` from
``queued_event``): the run passes each observer only the arguments its method
accepts.
"""

from __future__ import annotations

from typing import Any

__all__ = ["RunObserver", "EVENT_NAMES"]

EVENT_NAMES = (
    "queued_event",
    "started_event",
    "heartbeat_event",
    "completed_event",
    "interrupted_event",
    "failed_event",
    "resource_event",
    "artifact_event",
    "log_metrics",
)


class RunObserver:
    """Defines the interface for all run observers.

    Observers run in order of descending ``priority``. The first observer
    whose ``started_event`` (or ``queued_event``) returns an id sets the
    run's ``_id``.
    """

    priority = 0

    def queued_event(
        self,
        ex_info: dict,
        command: str,
        host_info: dict,
        queue_time: Any,
        config: dict,
        meta_info: dict,
        _id: Any,
    ) -> Any:
        """A run was only queued (``-q``): store it with status QUEUED."""
        return None

    def started_event(
        self,
        ex_info: dict,
        command: str,
        host_info: dict,
        start_time: Any,
        config: dict,
        meta_info: dict,
        _id: Any,
    ) -> Any:
        """A run started; return its id if this observer assigns ids."""
        return None

    def heartbeat_event(self, info: dict, captured_out: str, beat_time: Any, result: Any) -> None:
        """Periodic update with the info dict, captured output and current result."""

    def completed_event(self, stop_time: Any, result: Any) -> None:
        """The run completed successfully with ``result``."""

    def interrupted_event(self, interrupt_time: Any, status: str) -> None:
        """The run was interrupted (``status`` is INTERRUPTED, TIMEOUT or custom)."""

    def failed_event(self, fail_time: Any, fail_trace: list[str]) -> None:
        """The run failed with an exception; ``fail_trace`` is its formatted trace."""

    def resource_event(self, filename: str) -> None:
        """The run opened or added ``filename`` as a resource."""

    def artifact_event(
        self,
        name: str,
        filename: str,
        metadata: dict | None = None,
        content_type: str | None = None,
    ) -> None:
        """The run added ``filename`` as an artifact called ``name``."""

    def log_metrics(self, metrics_by_name: dict, info: dict) -> None:
        """New metric points, ``{name: {"steps": [...], "values": [...], "timestamps": [...]}}``."""

    def join(self) -> None:
        """Wait until everything this observer buffers has been delivered."""
