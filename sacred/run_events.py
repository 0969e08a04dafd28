"""The run-event contract: the nine events a run emits, declared once.

:class:`RunEventSpec` lists every event with its typed, documented
arguments in Sacred 0.8.7's positional order. Everything that carries run
events derives from this one declaration:

* :class:`sacred.observers.RunObserver` subclasses it (each method a no-op);
* the pluggy run-event hooks (``sacred.events``, and the ``sacred`` command's
  plugin manager) are generated from it, each hook taking ``run`` first;
* :class:`RunEvent` is one event as a small, picklable record (name plus
  keyword arguments), checked against the declaration;
* :class:`sacred.observers.forwarding.ForwardingObserver` turns each call
  into a :class:`RunEvent` and hands it on: the ``--isolate`` pipe,
  ``QueueObserver``, the runner's hook relay and launchers that stream events
  from other processes use it.

Event order of one run: ``started_event`` (or only ``queued_event``), then any
number of ``heartbeat_event`` (each right after a ``log_metrics`` when new
metric points exist), ``resource_event`` and ``artifact_event``, then a final
``log_metrics``/``heartbeat_event`` and exactly one of ``completed_event``,
``interrupted_event``, ``failed_event``. Times are naive UTC ``datetime``.
This module imports nothing optional (pluggy is imported when hooks are built).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from sacred import introspection

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "EVENT_NAMES",
    "START_EVENTS",
    "STOP_EVENTS",
    "PROJECT_NAME",
    "RunEventSpec",
    "RunEvent",
    "forwarding_method",
    "event_arguments",
    "event_defaults",
    "accepted_arguments",
    "deliver",
    "plugin_hookspecs",
]

PROJECT_NAME = "sacred"
"""The one pluggy project name of run-event hooks and of the ``sacred`` command's hooks."""


class RunEventSpec:
    """The nine run events and their arguments (the observer interface).

    A method's parameters are the event's arguments, in the positional order
    of Sacred 0.8.7. Observers receive them as keyword arguments, each only
    those its method accepts; plugins receive ``run`` plus any subset.
    """

    def queued_event(
        self,
        ex_info: dict,
        command: str,
        host_info: dict,
        queue_time: datetime.datetime,
        config: dict,
        meta_info: dict,
        _id: Any,
    ) -> Any:
        """A run was only queued (``-q``): store it with status QUEUED; may return its id.

        ``ex_info``: ``{"name", "base_dir", "sources", "dependencies",
        "repositories", "mainfile", "doc"}``; ``meta_info``: ``{"command",
        "options", "comment"?, "priority"?, "queue_time"}``. ``_id`` is the
        id an earlier observer (or ``--id``) chose, else None.
        """
        return None

    def started_event(
        self,
        ex_info: dict,
        command: str,
        host_info: dict,
        start_time: datetime.datetime,
        config: dict,
        meta_info: dict,
        _id: Any,
    ) -> Any:
        """A run started; return its id if this observer assigns ids.

        The first observer (by descending priority) returning an id sets the
        run's ``_id``; later observers receive it as ``_id``.
        """
        return None

    def heartbeat_event(
        self, info: dict, captured_out: str, beat_time: datetime.datetime, result: Any
    ) -> None:
        """Periodic update: the info dict, the whole (filtered) captured output so far, the current result."""

    def completed_event(self, stop_time: datetime.datetime, result: Any) -> None:
        """The run completed successfully with ``result``."""

    def interrupted_event(self, interrupt_time: datetime.datetime, status: str) -> None:
        """The run was interrupted (``status`` is INTERRUPTED, TIMEOUT or a custom one)."""

    def failed_event(self, fail_time: datetime.datetime, fail_trace: list[str]) -> None:
        """The run failed with an exception; ``fail_trace`` is its formatted trace."""

    def resource_event(self, filename: str) -> None:
        """The run opened or added ``filename`` (an absolute path) as a resource."""

    def artifact_event(
        self,
        name: str,
        filename: str,
        metadata: dict | None = None,
        content_type: str | None = None,
    ) -> None:
        """The run added the file ``filename`` (absolute path) as an artifact called ``name``."""

    def log_metrics(self, metrics_by_name: dict, info: dict) -> None:
        """New metric points since the previous call.

        ``{name: {"name": name, "steps": [int], "values": [number],
        "timestamps": [datetime]}}``; comes right before a heartbeat.
        """


EVENT_NAMES: tuple[str, ...] = (
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
"""Every run event, in the order :class:`RunEventSpec` declares them."""

START_EVENTS: tuple[str, ...] = ("queued_event", "started_event")
"""The events that may return the run id."""

STOP_EVENTS: tuple[str, ...] = ("completed_event", "interrupted_event", "failed_event")
"""The events that end a run (exactly one of them per started run)."""


def _parameters(event: str) -> list[introspection.Parameter]:
    return introspection.parameters(getattr(RunEventSpec, event))[1:]


_ARGUMENTS: dict[str, tuple[str, ...]] = {
    name: tuple(p.name for p in _parameters(name)) for name in EVENT_NAMES
}
_DEFAULTS: dict[str, dict[str, Any]] = {
    name: {p.name: p.default for p in _parameters(name) if p.default is not introspection.EMPTY}
    for name in EVENT_NAMES
}
_SIGNATURES: dict[str, Any] = {}  # event -> inspect.Signature without self, built on first use


def _signature(event: str) -> Any:
    """The ``inspect.Signature`` of ``event`` without ``self`` (inspect is imported only here)."""
    signature = _SIGNATURES.get(event)
    if signature is None:
        import inspect

        full = inspect.signature(getattr(RunEventSpec, event))
        signature = _SIGNATURES[event] = full.replace(
            parameters=tuple(full.parameters.values())[1:],
            return_annotation=inspect.Signature.empty,
        )
    return signature


def _check_name(event: str) -> None:
    if event not in _ARGUMENTS:
        raise ValueError(f"unknown run event {event!r}: expected one of {', '.join(EVENT_NAMES)}")


def event_arguments(event: str) -> tuple[str, ...]:
    """The argument names of ``event`` in positional order (``ValueError`` for an unknown event)."""
    _check_name(event)
    return _ARGUMENTS[event]


def event_defaults(event: str) -> dict[str, Any]:
    """The arguments of ``event`` that may be left out, with their defaults."""
    _check_name(event)
    return dict(_DEFAULTS[event])


class RunEvent:
    """One run event as a record: its ``name`` and its keyword arguments.

    Picklable when the argument values are (the ``--isolate`` pipe falls back
    to JSON-ready values for those that are not). Build one from a call with
    :meth:`from_call`, which checks the arguments against the contract.
    Compares, prints and matches like the dataclass it was (``dataclasses``
    is not imported by runs).
    """

    __match_args__ = ("name", "kwargs")
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, name: str, kwargs: dict[str, Any] | None = None) -> None:
        self.name = name
        self.kwargs: dict[str, Any] = {} if kwargs is None else kwargs

    def __repr__(self) -> str:
        return f"{type(self).__qualname__}(name={self.name!r}, kwargs={self.kwargs!r})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return (self.name, self.kwargs) == (other.name, other.kwargs)  # type: ignore[attr-defined]

    @classmethod
    def from_call(cls, name: str, /, *args: Any, **kwargs: Any) -> RunEvent:
        """The event ``name`` called with ``args``/``kwargs`` as an observer method would be.

        Positional arguments follow 0.8.7's order; left-out optional arguments
        get their defaults. A wrong call raises ``TypeError`` naming the event.
        """
        _check_name(name)
        try:
            bound = _signature(name).bind(*args, **kwargs)
        except TypeError as error:
            raise TypeError(f"{name}: {error}") from None
        bound.apply_defaults()
        return cls(name, dict(bound.arguments))

    @property
    def starts_run(self) -> bool:
        """True for ``started_event`` and ``queued_event`` (they return the run id)."""
        return self.name in START_EVENTS

    @property
    def ends_run(self) -> bool:
        """True for the completed, interrupted and failed events."""
        return self.name in STOP_EVENTS

    def deliver(self, observer: Any) -> Any:
        """Call ``observer``'s method for this event (see :func:`deliver`)."""
        return deliver(observer, self.name, self.kwargs)


def accepted_arguments(method: Callable) -> tuple[frozenset[str] | None, frozenset[str]]:
    """``(accepted names or None when it takes **kwargs, required names)`` of an event method."""
    names: set[str] = set()
    required: set[str] = set()
    takes_any = False
    for param in introspection.parameters(method):
        if param.kind == introspection.VAR_KEYWORD:
            takes_any = True
            continue
        if param.kind == introspection.VAR_POSITIONAL:
            continue
        names.add(param.name)
        if param.default is introspection.EMPTY:
            required.add(param.name)
    return (None if takes_any else frozenset(names)), frozenset(required)


def deliver(observer: Any, event: str, kwargs: dict) -> Any:
    """Call ``observer.<event>`` with the subset of ``kwargs`` it accepts; None if it lacks the method."""
    method = getattr(observer, event, None)
    if method is None:
        return None
    try:
        accepted, _ = accepted_arguments(method)
    except (TypeError, ValueError):
        accepted = None
    if accepted is not None:
        kwargs = {k: v for k, v in kwargs.items() if k in accepted}
    return method(**kwargs)


# ---------------------------------------------------------------- forwarding


def forwarding_method(event: str) -> Callable[..., Any]:
    """An observer method for ``event`` that packs its call into a :class:`RunEvent`.

    The method calls ``self.forward(record)``; for a start event it returns
    what ``forward`` returned (the run id). It has the contract's signature,
    so callers may pass 0.8.7's positional order or keywords.
    """
    _check_name(event)
    signature = _signature(event)

    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        returned = self.forward(RunEvent.from_call(event, *args, **kwargs))
        return returned if event in START_EVENTS else None

    method.__name__ = method.__qualname__ = event
    method.__doc__ = getattr(RunEventSpec, event).__doc__
    import inspect

    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)
    method.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=(self_param, *signature.parameters.values())
    )
    return method


# ---------------------------------------------------------------- pluggy hooks

_PLUGIN_HOOKSPECS: type | None = None


def _plugin_hook(event: str) -> Callable[..., None]:
    """A plain function ``event(run, <event arguments>)`` for pluggy (which reads ``__code__``)."""
    names = ("run", *_ARGUMENTS[event])
    namespace: dict[str, Any] = {}
    exec(f"def {event}({', '.join(names)}):\n    pass\n", namespace)  # noqa: S102 - names from the contract
    function = namespace[event]
    function.__doc__ = (
        f"Plugin hook: ``run`` (the Run, or None when it executes in another process) "
        f"plus the arguments of :meth:`RunEventSpec.{event}`.\n\n"
        + (getattr(RunEventSpec, event).__doc__ or "")
    )
    function.__module__ = __name__
    return function


def plugin_hookspecs() -> type:
    """The run events as pluggy hook specifications of :data:`PROJECT_NAME` (built once)."""
    global _PLUGIN_HOOKSPECS
    if _PLUGIN_HOOKSPECS is None:
        import pluggy

        marker = pluggy.HookspecMarker(PROJECT_NAME)
        specs = type("RunEventHookspecs", (), {"__doc__": "Run events as pluggy hooks."})
        for name in EVENT_NAMES:
            setattr(specs, name, staticmethod(marker(_plugin_hook(name))))
        _PLUGIN_HOOKSPECS = specs
    return _PLUGIN_HOOKSPECS
