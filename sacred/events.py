"""The event bus: delivers a run's events to observers and plugins.

The events and their arguments are declared once in :mod:`sacred.run_events`.
Observers (``RunObserver`` subclasses, or any object with the documented event
methods) are called in order of descending ``priority``, each with only the
keyword arguments its method accepts; the documentation's own ``MyObserver``
leaves parameters out. Plugins join the same bus through pluggy: register an
object with :func:`register_plugin` and implement any of the run events marked
with :func:`hookimpl` (each hook receives ``run`` plus any subset of the
event's arguments). The ``sacred`` command's plugin manager uses the same
pluggy project (:data:`sacred.run_events.PROJECT_NAME`) and marker, so one
plugin may implement runner hooks and run events side by side; the command
attaches its manager with :func:`attached_plugin_manager` for a session.

An observer whose ``started_event``/``queued_event`` raised receives no
further events of that run (:meth:`EventBus.start`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from sacred.run_events import (
    EVENT_NAMES,
    PROJECT_NAME,
    RunEventSpec,
    accepted_arguments,
    event_arguments,
    event_defaults,
)
from sacred.utils import ObserverError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "EventBus",
    "call_accepting",
    "ObserverSignatureError",
    "RunEventSpec",
    "PROJECT_NAME",
    "hookimpl",
    "register_plugin",
    "unregister_plugin",
    "plugin_manager",
    "attached_plugin_manager",
    "create_plugin_manager",
]

PROJECT = PROJECT_NAME  # the name this module exported before the contract moved
_plugin_manager: Any = None
_attached: list[Any] = []
_hookimpl: Any = None


class ObserverSignatureError(ObserverError):
    """An observer's event method cannot take the documented arguments."""


def create_plugin_manager() -> Any:
    """A new pluggy PluginManager of :data:`PROJECT_NAME` that knows the run-event hooks.

    It also accepts implementations marked for the former runner project
    ``"sacred_runner"`` (see :class:`sacred_runner.plugins`), so plugins
    written against either old marker keep working.
    """
    import pluggy

    from sacred.run_events import plugin_hookspecs

    class PluginManager(pluggy.PluginManager):
        """Accepts ``@hookimpl`` of ``sacred`` and, for old plugins, of ``sacred_runner``."""

        def parse_hookimpl_opts(self, plugin: Any, name: str) -> Any:
            opts = super().parse_hookimpl_opts(plugin, name)
            if opts is None and not name.startswith("_"):
                method = getattr(plugin, name, None)
                legacy = getattr(method, "sacred_runner_impl", None)
                if isinstance(legacy, dict):
                    return legacy  # type: ignore[return-value]
            return opts

    manager = PluginManager(PROJECT_NAME)
    manager.add_hookspecs(plugin_hookspecs())
    return manager


def plugin_manager() -> Any:
    """The process-wide pluggy PluginManager of run events (created on first use)."""
    global _plugin_manager
    if _plugin_manager is None:
        _plugin_manager = create_plugin_manager()
    return _plugin_manager


@contextlib.contextmanager
def attached_plugin_manager(manager: Any) -> Iterator[Any]:
    """Deliver run events also to ``manager``'s plugins while the block runs.

    ``manager`` must know the run-event hooks (:func:`create_plugin_manager`
    or ``manager.add_hookspecs(sacred.run_events.plugin_hookspecs())``).
    """
    _attached.append(manager)
    try:
        yield manager
    finally:
        _attached.remove(manager)


def _active_managers() -> list[Any]:
    managers = [_plugin_manager] if _plugin_manager is not None else []
    return managers + [m for m in _attached if m is not _plugin_manager]


def has_plugins() -> bool:
    """True when some plugin would receive run events."""
    return any(manager.get_plugins() for manager in _active_managers())


def hookimpl(*args: Any, **kwargs: Any) -> Any:
    """Marker for plugin hook implementations (``@hookimpl def started_event(run, ...)``).

    The same marker as ``sacred_runner.hookspecs.hookimpl`` (one pluggy project).
    """
    global _hookimpl
    if _hookimpl is None:
        import pluggy

        _hookimpl = pluggy.HookimplMarker(PROJECT_NAME)
    return _hookimpl(*args, **kwargs)


def register_plugin(plugin: Any, name: str | None = None) -> None:
    """Let ``plugin`` receive every run's events (see :class:`RunEventSpec`)."""
    plugin_manager().register(plugin, name=name)


def unregister_plugin(plugin: Any) -> None:
    """Stop delivering events to ``plugin``."""
    if _plugin_manager is not None and _plugin_manager.is_registered(plugin):
        _plugin_manager.unregister(plugin)


_SIGNATURE_CACHE: dict[tuple[type, str], tuple[frozenset[str] | None, frozenset[str]]] = {}


def _accepted_cached(observer: Any, event: str, method: Callable) -> tuple:
    """:func:`accepted_arguments` of ``observer.event``, cached per class when it is a plain method."""
    func = getattr(type(observer), event, None)
    if func is None or getattr(method, "__func__", None) is not func:
        return accepted_arguments(method)  # instance attribute or wrapped: no caching
    key = (type(observer), event)
    if key not in _SIGNATURE_CACHE:
        _SIGNATURE_CACHE[key] = accepted_arguments(method)
    return _SIGNATURE_CACHE[key]


def call_accepting(method: Callable, kwargs: dict) -> Any:
    """Call ``method`` with the subset of ``kwargs`` its signature accepts."""
    try:
        accepted, _ = accepted_arguments(method)
    except (TypeError, ValueError):
        return method(**kwargs)
    if accepted is None:
        return method(**kwargs)
    return method(**{k: v for k, v in kwargs.items() if k in accepted})


def observer_name(observer: Any) -> str:
    """A readable name for an observer in logs and errors."""
    return type(observer).__name__


class EventBus:
    """Calls observers (by priority) and plugins for one run.

    ``run`` is what plugins receive as their ``run`` argument (None when the
    run executes in another process and its events are forwarded here).
    """

    def __init__(self, observers: list, run: Any, logger: logging.Logger) -> None:
        self.observers = sorted(observers, key=lambda o: -getattr(o, "priority", 0))
        self.run = run
        self.logger = logger
        self.dropped: list[Any] = []
        """Observers that failed in the start event: they get no further events of the run."""
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
        provided = set(event_arguments(event))
        missing = required - provided
        if missing:
            raise ObserverSignatureError(
                f"Observer {observer_name(observer)}.{event} has a wrong signature: it "
                f"requires {sorted(missing)}, but the event provides only {sorted(provided)}"
            )
        self._calls[(id(observer), event)] = (method, accepted)

    @property
    def receiving(self) -> list[Any]:
        """The observers that still receive this run's events, by descending priority."""
        return [o for o in self.observers if not any(o is d for d in self.dropped)]

    def call(self, observer: Any, event: str, kwargs: dict) -> Any:
        """Call one observer's event with the arguments it accepts."""
        entry = self._calls.get((id(observer), event))
        if entry is None:
            return None
        method, accepted = entry
        if accepted is not None:
            kwargs = {k: v for k, v in kwargs.items() if k in accepted}
        return method(**kwargs)

    def start(self, event: str, kwargs: dict) -> tuple[Any, list[ObserverError]]:
        """Deliver a start event (``started_event``/``queued_event``) to every observer.

        The first observer returning an id sets ``_id``; later ones receive it.
        An observer that raises is named in the returned errors and dropped:
        it receives no further events of this run, while the observers after
        it still record the run. Plugins are called last, with the final id.
        Returns ``(run id, errors)``; ``kwargs["_id"]`` holds the id afterwards.
        """
        errors: list[ObserverError] = []
        for observer in self.receiving:
            try:
                returned = self.call(observer, event, kwargs)
            except Exception as err:  # noqa: BLE001 - named in the run's failure
                self.dropped.append(observer)
                error = ObserverError(
                    f"Observer {observer_name(observer)} failed in {event}: "
                    f"{type(err).__name__}: {err}"
                )
                error.__cause__ = err
                errors.append(error)
                continue
            if kwargs.get("_id") is None and returned is not None:
                kwargs["_id"] = returned
        self.emit_plugins(event, kwargs)
        return kwargs.get("_id"), errors

    def emit(self, event: str, kwargs: dict, fail_fast: bool = False) -> None:
        """Deliver ``event`` to every observer still receiving, then to plugins.

        With ``fail_fast`` the first observer error is raised (wrapped so that it
        names the observer); otherwise errors are logged and delivery goes on.
        """
        for observer in self.receiving:
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

    def emit_metric_points(self, points: dict, info: dict) -> None:
        """Deliver ``log_metrics`` for ``{name: (steps, values, unix times)}`` from a run.

        An observer whose class has a ``log_metric_points`` method marked as
        replacing its own ``log_metrics`` (``log_metric_points.replaces is
        type(observer).log_metrics``; FileStorage, S3 and GCS) receives the
        points as they are; everyone else, plugins included, receives the
        documented form with ``datetime`` timestamps, built once on first need.
        """
        documented: dict | None = None
        for observer in self.receiving:
            fast = getattr(type(observer), "log_metric_points", None)
            try:
                if fast is not None and getattr(fast, "replaces", None) is getattr(
                    type(observer), "log_metrics", None
                ):
                    observer.log_metric_points(points, info)
                    continue
                if documented is None:
                    documented = _documented_metrics(points)
                self.call(observer, "log_metrics", {"metrics_by_name": documented, "info": info})
            except Exception as err:  # noqa: BLE001 - logged; delivery goes on, as in emit()
                self.logger.warning(
                    "Observer %s failed in %s: %s: %s (it keeps receiving later events)",
                    observer_name(observer),
                    "log_metrics",
                    type(err).__name__,
                    err,
                    exc_info=self.logger.isEnabledFor(logging.DEBUG),
                )
        if _plugins_listen("log_metrics"):
            if documented is None:
                documented = _documented_metrics(points)
            self.emit_plugins("log_metrics", {"metrics_by_name": documented, "info": info})

    def emit_plugins(self, event: str, kwargs: dict) -> None:
        """Deliver ``event`` to registered plugins (errors are logged)."""
        for manager in _active_managers():
            hook = getattr(manager.hook, event, None)
            if hook is None or not hook.get_hookimpls():
                continue
            try:
                hook(run=self.run, **{**event_defaults(event), **kwargs})
            except Exception as err:  # noqa: BLE001 - a plugin must not break the run
                self.logger.warning("Plugin failed in %s: %s: %s", event, type(err).__name__, err)


def _plugins_listen(event: str) -> bool:
    """True when some plugin implements ``event``."""
    for manager in _active_managers():
        hook = getattr(manager.hook, event, None)
        if hook is not None and hook.get_hookimpls():
            return True
    return False


def _documented_metrics(points: dict) -> dict:
    """``{name: (steps, values, unix times)}`` as ``log_metrics`` documents it (datetimes)."""
    import datetime as dt

    utc = dt.UTC
    return {
        name: {
            "name": name,
            "steps": steps,
            "values": values,
            "timestamps": [dt.datetime.fromtimestamp(t, utc).replace(tzinfo=None) for t in stamps],
        }
        for name, (steps, values, stamps) in points.items()
    }
