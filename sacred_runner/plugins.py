"""The plugin manager: built-in plugins, entry points, ``-p``, and ``sacred_plugins.py``."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

import pluggy

from sacred_runner import hookspecs
from sacred_runner.errors import UsageError

__all__ = ["ENTRY_POINT_GROUP", "LOCAL_PLUGIN_FILE", "create_plugin_manager", "load_plugins", "external_plugin_names"]

ENTRY_POINT_GROUP = "sacred_runner"
LOCAL_PLUGIN_FILE = "sacred_plugins.py"
BUILTIN_PLUGIN_NAMES = ("collector", "launcher", "observers", "lastfailed", "terminal", "launch", "sweep")


def _builtin_plugins() -> dict[str, Any]:
    from sacred_runner.builtin_plugins import BuiltinLauncher, LastFailedPlugin, ObserversPlugin
    from sacred_runner.collect import BuiltinCollector
    from sacred_runner.launch.plugin import LaunchPlugin
    from sacred_runner.reporter import TerminalReporter
    from sacred_runner.sweep.plugin import SweepPlugin

    return {
        "collector": BuiltinCollector(),
        "launcher": BuiltinLauncher(),
        "observers": ObserversPlugin(),
        "lastfailed": LastFailedPlugin(),
        "terminal": TerminalReporter(),
        "launch": LaunchPlugin(),
        "sweep": SweepPlugin(),
    }


def create_plugin_manager(blocked: list[str]) -> pluggy.PluginManager:
    """A plugin manager with the built-in plugins not in ``blocked``.

    It knows the runner's hooks (:mod:`sacred_runner.hookspecs`) and the run
    events (:mod:`sacred.run_events`) in one pluggy project, so a plugin may
    implement both; implementations marked for the former ``sacred_runner``
    project are accepted too.
    """
    from sacred.events import create_plugin_manager as create_event_plugin_manager

    manager = create_event_plugin_manager()
    manager.add_hookspecs(hookspecs)
    for name in blocked:
        manager.set_blocked(name)
    for name, plugin in _builtin_plugins().items():
        if not manager.is_blocked(name):
            manager.register(plugin, name=name)
    return manager


def _import_plugin(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as error:
        if error.name and (name == error.name or name.startswith(error.name + ".")):
            raise UsageError(
                f"unknown plugin {name!r}: no module and no '{ENTRY_POINT_GROUP}' entry point of "
                f"that name (built-in plugins: {', '.join(BUILTIN_PLUGIN_NAMES)})"
            ) from None
        raise UsageError(f"plugin {name!r} failed to import: {error}") from None
    except Exception as error:  # noqa: BLE001 - the plugin's own bug, told plainly
        raise UsageError(f"plugin {name!r} failed to import: {type(error).__name__}: {error}") from None


def _import_local_plugin(path: Path) -> Any:
    from sacred_runner.collect import collect_error_from

    spec = importlib.util.spec_from_file_location("sacred_plugins", path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot load local plugin file {path}")
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001 - user code, reported with its line
        problem = collect_error_from(error, path.resolve(), str(path))
        raise UsageError(f"{problem.location()}: local plugin file failed to import: {problem.message}") from None
    sys.modules.setdefault("sacred_plugins", module)
    return module


def load_plugins(manager: pluggy.PluginManager, requested: list[str], rootdir: Path) -> None:
    """Load entry-point plugins, then ``requested`` modules (``-p``, ini), then the local file."""
    try:
        manager.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    except Exception as error:  # noqa: BLE001 - a broken installed plugin
        raise UsageError(f"an installed '{ENTRY_POINT_GROUP}' plugin failed to load: {error}") from None
    for name in requested:
        if manager.is_blocked(name) or manager.has_plugin(name):
            continue
        manager.register(_import_plugin(name), name=name)
    local = rootdir / LOCAL_PLUGIN_FILE
    if local.is_file() and not manager.is_blocked("sacred_plugins") and not manager.has_plugin("sacred_plugins"):
        manager.register(_import_local_plugin(local), name="sacred_plugins")


def external_plugin_names(manager: pluggy.PluginManager) -> list[str]:
    """Names of the plugins that are not built in (for the header)."""
    names = []
    for name, plugin in manager.list_name_plugin():
        if name in BUILTIN_PLUGIN_NAMES or plugin is None:
            continue
        names.append(name)
    for plugin, dist in manager.list_plugin_distinfo():
        label = f"{dist.project_name}-{dist.version}"
        name = manager.get_name(plugin)
        if name in names:
            names[names.index(name)] = label
    return names


class PlainTextReporter:
    """What ``sacred_terminal_summary`` gets as ``reporter`` when the terminal reporter is blocked.

    Plain lines on the session's output, with the terminal reporter's
    ``write_line`` and ``section`` methods (``style`` is accepted and ignored).
    """

    width = 80

    def __init__(self, stream: Any) -> None:
        self.stream = stream

    def write_line(self, text: str = "", style: str | None = None) -> None:
        """Print ``text`` and a line break."""
        print(text, file=self.stream)

    def section(self, title: str, style: str | None = None) -> None:
        """A ``==== title ====`` separator line."""
        text = f" {title} "
        side = max(3, (self.width - len(text)) // 2)
        self.write_line("=" * side + text + "=" * max(3, self.width - side - len(text)))


def error_line(error: BaseException) -> str:
    """``Type: message (at file:line)`` for the innermost frame of ``error``."""
    import traceback

    frames = traceback.extract_tb(error.__traceback__)
    where = f" (at {frames[-1].filename}:{frames[-1].lineno})" if frames else ""
    return f"{type(error).__name__}: {error}{where}"


def call_each_guarded(manager: pluggy.PluginManager, hook_name: str, kwargs: dict[str, Any],
                      warn: Any) -> None:
    """Call every implementation of ``hook_name``, each on its own: one raising does not stop the rest.

    A failure is reported with ``warn(message)`` naming the plugin. Hooks
    with wrappers are called as one (a wrapper's failure is reported the same way).
    """
    caller = getattr(manager.hook, hook_name)
    implementations = caller.get_hookimpls()
    if any(impl.hookwrapper or impl.wrapper for impl in implementations):
        try:
            caller(**kwargs)
        except Exception as error:  # noqa: BLE001 - reported, the session goes on
            warn(f"a plugin failed in {hook_name}: {error_line(error)}")
        return
    for impl in reversed(implementations):  # pluggy's own order: last registered, tryfirst first
        try:
            impl.function(*(kwargs[name] for name in impl.argnames))
        except Exception as error:  # noqa: BLE001 - reported, the session goes on
            warn(f"plugin {impl.plugin_name!r} failed in {hook_name}: {error_line(error)}")
