"""The documented observer interface: subclass :class:`RunObserver`.

The events and their arguments are declared once, in
:class:`sacred.run_events.RunEventSpec`; ``RunObserver`` is that declaration
with a ``priority`` and ``join``. A subclass may override any subset of the
events, and may even leave out parameters it does not care about (the
documentation's own ``MyObserver`` omits ``host_info`` from ``queued_event``):
the run passes each observer only the arguments its method accepts.
"""

from __future__ import annotations

from sacred.run_events import EVENT_NAMES, RunEventSpec

__all__ = ["RunObserver", "EVENT_NAMES"]


class RunObserver(RunEventSpec):
    """Defines the interface for all run observers.

    Observers run in order of descending ``priority``. The first observer
    whose ``started_event`` (or ``queued_event``) returns an id sets the
    run's ``_id``. The event methods and their arguments are those of
    :class:`sacred.run_events.RunEventSpec`; each default does nothing.
    """

    priority = 0

    def join(self) -> None:
        """Wait until everything this observer buffers has been delivered."""
