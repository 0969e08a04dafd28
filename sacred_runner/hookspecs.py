"""The whole plugin contract of the ``sacred`` command, as pluggy hook specifications.

A plugin is a module or object with functions named like these hooks and
marked with :data:`hookimpl`. Plugins come from the entry-point group
``sacred_runner``, from ``-p NAME`` (``-p no:NAME`` blocks one), from the
``plugins`` ini key and from a ``sacred_plugins.py`` file in the rootdir.
The built-in terminal reporter, observer setup and last-failed memory are
plugins on these same hooks.

Hooks are called in this order: ``sacred_addoption`` -> ``sacred_configure``
-> ``sacred_report_header`` -> (``sacred_collect_file`` per file)
-> ``sacred_collection_modifyitems`` -> ``sacred_collection_finish``
-> ``sacred_launch`` (a launcher plugin taking all items; ``sacred_make_launcher``
builds it) or else per item: ``sacred_make_observers``, ``sacred_run_item`` (which
emits ``sacred_run_event`` for every observer event) and ``sacred_run_report``
-> ``sacred_terminal_summary`` -> ``sacred_sessionfinish`` -> ``sacred_unconfigure``.
"""

from __future__ import annotations

from typing import Any

import pluggy

__all__ = ["PROJECT_NAME", "hookimpl", "hookspec"]

PROJECT_NAME = "sacred_runner"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec(historic=True)
def sacred_addoption(parser: Any) -> None:
    """Add command-line options and ini keys.

    ``parser.addoption(*flags, **argparse_kwargs)`` adds an option to
    ``sacred run`` and ``sacred collect``; ``parser.addini(name, help, kind,
    default)`` declares a key of ``[sacred]`` / ``[tool.sacred]``
    (``kind``: string, args, linelist, bool, float). Called once per plugin,
    also for plugins registered later.
    """


@hookspec
def sacred_configure(config: Any) -> None:
    """Command line and ini file are parsed; ``config.option`` and ``config.getini`` work."""


@hookspec
def sacred_report_header(config: Any) -> list[str] | str | None:
    """Return extra lines for the header printed above collection."""


@hookspec(firstresult=True)
def sacred_collect_file(path: Any, config: Any) -> list[Any] | None:
    """Collect the experiment file ``path`` (a ``pathlib.Path``).

    Return a list of :class:`sacred_runner.items.ExperimentNode` to take over
    collection of this file, or None to leave it to the next plugin (the
    built-in collector imports the file without running ``automain``).
    """


@hookspec
def sacred_collection_modifyitems(session: Any, config: Any, items: list[Any]) -> None:
    """Filter or reorder ``items`` (a list of :class:`RunItem`) in place.

    Use ``session.deselect(item, reason)`` to drop an item with a reason that
    the summary shows.
    """


@hookspec
def sacred_collection_finish(session: Any) -> None:
    """Collection and selection are done; ``session.items`` is what will run."""


@hookspec
def sacred_make_observers(item: Any, config: Any) -> list[Any] | None:
    """Return RunObserver instances that shall record the run of ``item``.

    Results of all plugins are combined. The built-in ``observers`` plugin
    returns the observers named by the ``observers`` ini key or, when it
    names none, the embedded default store in the rootdir.
    """


@hookspec(firstresult=True)
def sacred_run_item(item: Any, observers: list[Any], session: Any) -> Any | None:
    """Execute one run item and return its :class:`RunOutcome` (the launch step).

    The built-in launcher runs in this process, or in a fresh subprocess with
    ``--isolate``. A plugin returning an outcome replaces it (e.g. a process
    pool or a cluster launcher).
    """


@hookspec
def sacred_run_event(item: Any, event: str, payload: dict) -> None:
    """A run emitted an observer event.

    ``event`` is a :data:`sacred.observers.base.EVENT_NAMES` entry
    (``started_event``, ``heartbeat_event``, ``log_metrics``, ``completed_event``,
    ``failed_event``, ...); ``payload`` holds that event's keyword arguments
    (``started_event`` / ``queued_event`` payloads carry the final ``_id``).
    """


@hookspec
def sacred_run_report(item: Any, outcome: Any) -> None:
    """One item finished (completed, failed, interrupted or errored before start)."""


@hookspec
def sacred_terminal_summary(reporter: Any, exitstatus: int, config: Any) -> None:
    """Add a section to the terminal summary; ``reporter.write_line(text)`` prints."""


@hookspec
def sacred_sessionfinish(session: Any, exitstatus: int) -> None:
    """The session is over with ``exitstatus`` (see :class:`sacred_runner.ExitCode`)."""


@hookspec
def sacred_unconfigure(config: Any) -> None:
    """Last call before the process exits; release what ``sacred_configure`` acquired."""


@hookspec
def sacred_sessionstart(session: Any) -> None:
    """The session starts, before collection (the terminal reporter prints its header here)."""


@hookspec(firstresult=True)
def sacred_launch(session: Any, items: list[Any]) -> bool | None:
    """Run ``items`` some other way than one by one in this process; return True if done.

    Implementations record each finished item with ``session.record(item,
    outcome)`` (which calls ``sacred_run_report``). The built-in ``launch``
    plugin does this for ``-n`` and ``--launcher``; the ``sweep`` plugin for
    ``--sweeper``. Returning None leaves the items to ``sacred_run_item``.
    """


@hookspec(firstresult=True)
def sacred_make_launcher(name: str, config: Any) -> Any | None:
    """Return a :class:`sacred_runner.launch.base.Launcher` for ``--launcher NAME`` (None: not yours).

    A launcher receives picklable :class:`~sacred_runner.launch.base.LaunchTask`
    records and reports what happens to them through one callback.
    """
