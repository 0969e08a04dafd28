"""Keep runs that share a long-lived worker process apart.

Mechanism (documented in docs/runner.md): before each run the worker takes
a :class:`StateSnapshot`; afterwards it restores it. Restored are:

* ``sys.modules``: every module the run imported from outside the standard
  library, site-packages and sacred itself (the experiment file, its helper
  modules, the project's packages) is dropped, so the next run imports them
  fresh, with fresh module-level state; third-party libraries and C
  extensions stay loaded (re-importing an extension module is not safe);
* ``sys.path``, ``sys.argv``, ``os.environ``, the working directory;
* ``sacred.SETTINGS`` and the registered host-info gatherers;
* the root logger's handlers and level.

What cannot be restored this way (a run that leaves threads running) makes
:meth:`StateSnapshot.restore` return False: the worker then exits after
reporting the run and the pool replaces it with a fresh process.
"""

from __future__ import annotations

import copy
import logging
import os
import sys
import sysconfig
import threading
from pathlib import Path
from typing import Any

__all__ = ["StateSnapshot", "kept_module"]


def _library_roots() -> tuple[str, ...]:
    roots = {sysconfig.get_paths()[name] for name in ("stdlib", "platstdlib", "purelib", "platlib")}
    import sacred
    import sacred_runner

    roots.update(str(Path(package.__file__).resolve().parent) for package in (sacred, sacred_runner))
    return tuple(os.path.realpath(root) + os.sep for root in roots)


_ROOTS: tuple[str, ...] | None = None


def kept_module(module: Any) -> bool:
    """True for modules a run may leave loaded: built-ins, stdlib, site-packages, sacred, extensions."""
    global _ROOTS
    filename = getattr(module, "__file__", None)
    if not filename:
        return getattr(module, "__path__", None) is None  # built-in modules (namespace packages go)
    if filename.endswith((".so", ".pyd")):
        return True
    if _ROOTS is None:
        _ROOTS = _library_roots()
    return os.path.realpath(filename).startswith(_ROOTS)


def _settings_values(settings: dict) -> dict:
    return {key: _settings_values(value) if isinstance(value, dict) else copy.copy(value)
            for key, value in settings.items()}


def _restore_settings(settings: dict, values: dict) -> None:
    for key, value in values.items():
        if isinstance(value, dict) and isinstance(settings.get(key), dict):
            _restore_settings(settings[key], value)
        else:
            dict.__setitem__(settings, key, value)


class StateSnapshot:
    """Global interpreter state before a run, restorable afterwards."""

    def __init__(self) -> None:
        from sacred import host_info
        from sacred.settings import SETTINGS

        self.modules = set(sys.modules)
        self.path = list(sys.path)
        self.argv = list(sys.argv)
        self.environ = dict(os.environ)
        self.cwd = os.getcwd()
        self.settings = _settings_values(SETTINGS)
        self.gatherers = dict(getattr(host_info, "host_info_gatherers", {}))
        root = logging.getLogger()
        self.log_handlers = list(root.handlers)
        self.log_level = root.level
        self.threads = {thread.ident for thread in threading.enumerate()}

    def restore(self) -> bool:
        """Undo what the run changed; False when a fresh process is needed (threads left running)."""
        from sacred import host_info
        from sacred.settings import SETTINGS

        for name in set(sys.modules) - self.modules:
            module = sys.modules.get(name)
            if module is not None and not kept_module(module):
                del sys.modules[name]
        sys.path[:] = self.path
        sys.argv[:] = self.argv
        if dict(os.environ) != self.environ:
            os.environ.clear()
            os.environ.update(self.environ)
        try:
            os.chdir(self.cwd)
        except OSError:
            return False
        _restore_settings(SETTINGS, self.settings)
        gatherers = getattr(host_info, "host_info_gatherers", None)
        if isinstance(gatherers, dict):
            gatherers.clear()
            gatherers.update(self.gatherers)
        root = logging.getLogger()
        root.handlers[:] = self.log_handlers
        root.setLevel(self.log_level)
        leftover = [
            thread for thread in threading.enumerate()
            if thread.ident not in self.threads and thread.is_alive() and not thread.daemon
        ]
        return not leftover
