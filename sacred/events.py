"""The event bus: delivers a run's events to observers and plugins.

Observers (``RunObserver`` subclasses, or any object with the documented event
methods) are called in order of descending ``priority``, each with only the
keyword arguments its method accepts; the documentation's own ``MyObserver``
leaves parameters out. Plugins join the same bus through pluggy: register an
object with :func:`register_plugin` and implement any of the hooks declared
in :class:`RunEventSpec` (each receives the ``run`` plus the event's
arguments, and, like every pluggy hook, may ask for a subset of them).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from typing import Any

from sacred.observers.base import EVENT_NAMES
from sacred.utils import ObserverError

__all__ = [
    "EventBus",
    "call_accepting",
    "ObserverSignatureError",
    "RunEventSpec",
    "hookimpl",
    "register_plugin",
    "unregister_plugin",
    "plugin_manager",
]

PROJECT = "sacred"
_plugin_manager = None
_hookimpl = None


class ObserverSignatureError(ObserverError):
    """An observer's event method cannot take the documented arguments."""


def plugin_manager() -> Any:
    """The process-wide pluggy PluginManager of run events (created on first use)."""
    global _plugin_manager
    if _plugin_manager is None:
        import pluggy

        _plugin_manager = pluggy.PluginManager(PROJECT)
        _plugin_manager.add_hookspecs(_spec_class())
    return _plugin_manager


def hookimpl(*args: Any, **kwargs: Any) -> Any:
    """Marker for plugin hook implementations (``@hookimpl def started_event(run, ...)``)."""
    global _hookimpl
    if _hookimpl is None:
        import pluggy

        _hookimpl = pluggy.HookimplMarker(PROJECT)
    return _hookimpl(*args, **kwargs)


def register_plugin(plugin: Any, name: str | None = None) -> None:
    """Let ``plugin`` receive every run's events (see :class:`RunEventSpec`)."""
    plugin_manager().register(plugin, name=name)


def unregister_plugin(plugin: Any) -> None:
    """Stop delivering events to ``plugin``."""
    if _plugin_manager is not None and _plugin_manager.is_registered(plugin):
        _plugin_manager.unregister(plugin)


class RunEventSpec:
    """Hook specifications for run events; every hook also receives ``run``."""

    def queued_event(self, run, ex_info, command, host_info, queue_time, config, meta_info, _id):
        """A run was queued instead of started."""

    def started_event(self, run, ex_info, command, host_info, start_time, config, meta_info, _id):
        """A run started (its ``_id`` is final by now)."""

    def heartbeat_event(self, run, info, captured_out, beat_time, result):
        """Periodic update of a running run."""

    def completed_event(self, run, stop_time, result):
        """The run completed."""

    def interrupted_event(self, run, interrupt_time, status):
        """The run was interrupted (status INTERRUPTED, TIMEOUT or custom)."""

    def failed_event(self, run, fail_time, fail_trace):
        """The run failed with an exception."""

    def resource_event(self, run, filename):
        """The run used a resource file."""

    def artifact_event(self, run, name, filename, metadata, content_type):
        """The run added an artifact."""

    def log_metrics(self, run, metrics_by_name, info):
        """New metric points of the run."""


_SPEC_CLASS = None


def _spec_class() -> type:
    global _SPEC_CLASS
    if _SPEC_CLASS is None:
        import pluggy

        marker = pluggy.HookspecMarker(PROJECT)

        class _Specs:
            pass

        for name in EVENT_NAMES:
            setattr(_Specs, name, marker(getattr(RunEventSpec, name)))
        _SPEC_CLASS = _Specs
    return _SPEC_CLASS


_SIGNATURE_CACHE: dict[tuple[type, str], tuple[frozenset[str] | None, frozenset[str]]] = {}


def _accepted_cached(observer: Any, event: str, method: Callable) -> tuple:
    """:func:`_accepted` for ``observer.event``, cached per class when it is a plain method."""
    func = getattr(type(observer), event, None)
    if func is None or getattr(method, "__func__", None) is not func:
        return _accepted(method)  # instance attribute or wrapped: no caching
    key = (type(observer), event)
    if key not in _SIGNATURE_CACHE:
        _SIGNATURE_CACHE[key] = _accepted(method)
    return _SIGNATURE_CACHE[key]


def _accepted(method: Callable) -> tuple[frozenset[str] | None, frozenset[str]]:
    """(accepted names or None for **kwargs, required names) of a bound method."""
    sig = inspect.signature(method)
    names = set()
    required = set()
    for param in sig.parameters.values():
        if param.kind is param.VAR_KEYWORD:
            return None, frozenset(
                p.name
                for p in sig.parameters.values()
                if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
            )
        if param.kind is param.VAR_POSITIONAL:
            continue
        names.add(param.name)
        if param.default is param.empty:
            required.add(param.name)
    return frozenset(names), frozenset(required)


def call_accepting(method: Callable, kwargs: dict) -> Any:
    """Call ``method`` with the subset of ``kwargs`` its signature accepts."""
    try:
        accepted, _ = _accepted(method)
    except (TypeError, ValueError):
        return method(**kwargs)
    if accepted is None:
        return method(**kwargs)
    return method(**{k: v for k, v in kwargs.items() if k in accepted})


def observer_name(observer: Any) -> str:
    """A readable name for an observer in logs and errors."""
    return type(observer).__name__


class EventBus:
    """Calls observers (by priority) and plugins for one run."""

    def __init__(self, observers: list, run: Any, logger: logging.Logger) -> None:
        self.observers = sorted(observers, key=lambda o: -getattr(o, "priority", 0))
        self.run = run
        self.logger = logger
        self._calls: dict[tuple[int, str], tuple[Callable, frozenset | None]] = {}
        for observer in self.observers:
            for event in EVENT_NAMES:
                self._prepare(observer, event)

    def _prepare(self, observer: Any, event: str) -> None:
        method = getattr(observer, event, None)
        if method is None:
            return
        if not callable(method):
            raise ObserverSignatureError(
                f"Observer {observer_name(observer)}.{event} is not callable"
            )
        try:
            accepted, required = _accepted_cached(observer, event, method)
        except (TypeError, ValueError):
            accepted, required = None, frozenset()
        provided = set(_event_arguments(event))
        missing = required - provided
        if missing:
            raise ObserverSignatureError(
                f"Observer {observer_name(observer)}.{event} has a wrong signature: it "
                f"requires {sorted(missing)}, but the event provides only {sorted(provided)}"
            )
        self._calls[(id(observer), event)] = (method, accepted)

    def call(self, observer: Any, event: str, kwargs: dict) -> Any:
        """Call one observer's event with the arguments it accepts."""
        entry = self._calls.get((id(observer), event))
        if entry is None:
            return None
        method, accepted = entry
        if accepted is not None:
            kwargs = {k: v for k, v in kwargs.items() if k in accepted}
        return method(**kwargs)

    def emit(self, event: str, kwargs: dict, fail_fast: bool = False) -> None:
        """Deliver ``event`` to every observer, then to plugins.

        With ``fail_fast`` the first observer error is raised (wrapped so that it
        names the observer); otherwise errors are logged and delivery goes on.
        """
        for observer in self.observers:
            try:
                self.call(observer, event, kwargs)
            except Exception as err:
                if fail_fast:
                    raise ObserverError(
                        f"Observer {observer_name(observer)} failed in {event}: "
                        f"{type(err).__name__}: {err}"
                    ) from err
                self.logger.warning(
                    "Observer %s failed in %s: %s: %s (it keeps receiving later events)",
                    observer_name(observer),
                    event,
                    type(err).__name__,
                    err,
                    exc_info=self.logger.isEnabledFor(logging.DEBUG),
                )
        self.emit_plugins(event, kwargs)

    def emit_plugins(self, event: str, kwargs: dict) -> None:
        """Deliver ``event`` to registered plugins (errors are logged)."""
        if _plugin_manager is None:
            return
        hook = getattr(_plugin_manager.hook, event)
        try:
            hook(run=self.run, **{**_defaults_for(event), **kwargs})
        except Exception as err:  # noqa: BLE001 - a plugin must not break the run
            self.logger.warning("Plugin failed in %s: %s: %s", event, type(err).__name__, err)


_EVENT_ARGUMENTS: dict[str, tuple[str, ...]] = {}


def _event_arguments(event: str) -> tuple[str, ...]:
    if event not in _EVENT_ARGUMENTS:
        params = inspect.signature(getattr(RunEventSpec, event)).parameters
        _EVENT_ARGUMENTS[event] = tuple(p for p in params if p not in ("self", "run"))
    return _EVENT_ARGUMENTS[event]


def _defaults_for(event: str) -> dict:
    if event == "artifact_event":
        return {"metadata": None, "content_type": None}
    return {}
