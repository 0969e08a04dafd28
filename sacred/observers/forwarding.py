"""``ForwardingObserver``: every run event as a :class:`~sacred.run_events.RunEvent`, handed on.

The one generic forwarder of run events. The runner's ``--isolate`` pipe,
``QueueObserver``, the runner's hook relay and launchers that stream events
from other processes subclass it or give it a ``send`` callable::

    events = []
    observer = ForwardingObserver(send=events.append)   # or a queue's put, a socket's send
    ex.observers.append(observer)

On the receiving side ``record.deliver(observer)`` calls the matching method
of any observer with the arguments it accepts. For ``started_event`` and
``queued_event`` the value ``send``/``forward`` returns is the run id this
observer reports (None lets another observer choose it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sacred.observers.base import RunObserver
from sacred.run_events import EVENT_NAMES, RunEvent, forwarding_method

__all__ = ["ForwardingObserver", "RunEvent"]


class ForwardingObserver(RunObserver):
    """An observer that hands every event on as a :class:`RunEvent`.

    Give it ``send`` (a callable taking the event) or subclass it and
    override :meth:`forward`. Its event methods accept 0.8.7's positional
    order as well as keywords and check the arguments against the contract.
    """

    def __init__(self, send: Callable[[RunEvent], Any] | None = None, priority: int = 0) -> None:
        self.send = send
        self.priority = priority

    def forward(self, event: RunEvent) -> Any:
        """Hand ``event`` on (default: ``self.send(event)``); the return value of a start event is the run id."""
        if self.send is None:
            raise NotImplementedError(f"{type(self).__name__}: pass send= or override forward(event)")
        return self.send(event)


for _event in EVENT_NAMES:
    setattr(ForwardingObserver, _event, forwarding_method(_event))
del _event
