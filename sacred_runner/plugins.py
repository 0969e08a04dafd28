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
    """A plugin manager with the hook specs and the built-in plugins not in ``blocked``."""
    manager = pluggy.PluginManager(hookspecs.PROJECT_NAME)
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
