"""The whole plugin contract of the ``sacred`` command, as pluggy hook specifications.

A plugin is a module or object with functions named like these hooks and
marked with :data:`hookimpl`. Plugins come from the entry-point group
``sacred_runner``, from ``-p NAME`` (``-p no:NAME`` blocks one), from the
``plugins`` ini key and from a ``sacred_plugins.py`` file in the rootdir.
The built-in terminal reporter, observer setup and last-failed memory are
plugins on these same hooks.

One plugin system: these hooks and the nine run events of
:mod:`sacred.run_events` (``started_event(run, ...)``, ``log_metrics(run,
...)``, ...) share one pluggy project (:data:`PROJECT_NAME`, ``"sacred"``)
and one marker, so a plugin may implement both side by side; the run events
reach a session's plugins for every run, in-process or ``--isolate``
(``run`` is None when the run executes in another process).
``sacred.events.hookimpl`` is this same marker; implementations marked for the
former project ``"sacred_runner"`` are still accepted.

Call order of one ``sacred run``::

    sacred_addoption            (historic: once per plugin, also for late ones)
    sacred_configure
    sacred_sessionstart         (the terminal reporter prints its header and, for
        sacred_report_header     it, asks every plugin for extra header lines)
    sacred_collect_file         (per file, first result wins)
    sacred_collection_modifyitems
    sacred_collection_finish
    sacred_launch               (first result wins: a launcher plugin takes all items,
                                 -n / --launcher / --sweeper; sacred_make_launcher builds it)
    otherwise, per run item:
        sacred_make_observers
        sacred_run_item         (first result wins; the launch step)
            sacred_run_event + the run events, for every event of the run
        sacred_run_report
    sacred_terminal_summary     (each plugin guarded: one raising does not stop the others)
    sacred_sessionfinish        (always, also after a failing summary plugin)
    sacred_unconfigure

``sacred collect`` calls the same hooks without the per-item part.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

from sacred.run_events import PROJECT_NAME

if TYPE_CHECKING:
    from pathlib import Path

    from sacred.observers.base import RunObserver
    from sacred_runner.cmdline import OptionParser
    from sacred_runner.config import Config
    from sacred_runner.items import ExperimentNode, RunItem, RunOutcome
    from sacred_runner.session import Session

__all__ = ["PROJECT_NAME", "LEGACY_PROJECT_NAME", "hookimpl", "hookspec"]

LEGACY_PROJECT_NAME = "sacred_runner"
"""The runner's own pluggy project name before it merged with the run events."""

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


@hookspec(historic=True)
def sacred_addoption(parser: OptionParser) -> None:
    """Add command-line options and ini keys.

    ``parser.addoption(*flags, **argparse_kwargs)`` adds an option to
    ``sacred run`` and ``sacred collect``; ``parser.addini(name, help, kind,
    default)`` declares a key of ``[sacred]`` / ``[tool.sacred]``
    (``kind``: string, args, linelist, bool, float). Called once per plugin,
    also for plugins registered later.
    """


@hookspec
def sacred_configure(config: Config) -> None:
    """Command line and ini file are parsed; ``config.option`` and ``config.getini`` work."""


@hookspec
def sacred_sessionstart(session: Session) -> None:
    """The session starts, before collection (the terminal reporter prints its header here)."""


@hookspec
def sacred_report_header(config: Config) -> list[str] | str | None:
    """Return extra lines for the header printed above collection."""


@hookspec(firstresult=True)
def sacred_collect_file(path: Path, config: Config) -> list[ExperimentNode] | None:
    """Collect the experiment file ``path``.

    Return a list of :class:`sacred_runner.items.ExperimentNode` to take over
    collection of this file, or None to leave it to the next plugin (the
    built-in collector imports the file without running ``automain``).
    """


@hookspec
def sacred_collection_modifyitems(session: Session, config: Config, items: list[RunItem]) -> None:
    """Filter or reorder ``items`` in place.

    Use ``session.deselect(item, reason)`` to drop an item with a reason that
    the summary shows.
    """


@hookspec
def sacred_collection_finish(session: Session) -> None:
    """Collection and selection are done; ``session.items`` is what will run."""


@hookspec
def sacred_make_observers(item: RunItem, config: Config) -> list[RunObserver] | None:
    """Return RunObserver instances that shall record the run of ``item``.

    Results of all plugins are combined. The built-in ``observers`` plugin
    returns the observers named by the ``observers`` ini key or, when it
    names none, the embedded default store in the rootdir.
    """


@hookspec(firstresult=True)
def sacred_run_item(item: RunItem, observers: list[RunObserver], session: Session) -> RunOutcome | None:
    """Execute one run item and return its :class:`RunOutcome` (the launch step).

    The built-in launcher runs in this process, or in a fresh subprocess with
    ``--isolate``. A plugin returning an outcome replaces it (e.g. a process
    pool or a cluster launcher); it streams the run's events back with a
    :class:`sacred.observers.forwarding.ForwardingObserver` and replays each
    :class:`sacred.run_events.RunEvent` here with ``record.deliver(observer)``.
    """


@hookspec
def sacred_run_event(item: RunItem, event: str, payload: dict[str, Any]) -> None:
    """A run of ``item`` emitted an observer event.

    ``event`` is one of :data:`sacred.run_events.EVENT_NAMES`; ``payload`` holds
    that event's keyword arguments as :class:`sacred.run_events.RunEventSpec`
    declares them (``started_event`` / ``queued_event`` payloads carry the
    final ``_id``).
    """


@hookspec
def sacred_run_report(item: RunItem, outcome: RunOutcome) -> None:
    """One item finished (completed, failed, interrupted or errored before start)."""


@hookspec
def sacred_terminal_summary(reporter: Any, exitstatus: int, config: Config) -> None:
    """Add a section to the terminal summary; ``reporter.write_line(text)`` prints.

    ``reporter`` is the terminal reporter, or a plain-text stand-in with the
    same ``write_line``/``section`` methods when it is blocked (``-p no:terminal``).
    """


@hookspec
def sacred_sessionfinish(session: Session, exitstatus: int) -> None:
    """The session is over with ``exitstatus`` (see :class:`sacred_runner.ExitCode`)."""


@hookspec
def sacred_unconfigure(config: Config) -> None:
    """Last call before the process exits; release what ``sacred_configure`` acquired."""


@hookspec(firstresult=True)
def sacred_launch(session: Session, items: list[RunItem]) -> bool | None:
    """Run ``items`` some other way than one by one in this process; return True if done.

    Implementations record each finished item with ``session.record(item,
    outcome)`` (which calls ``sacred_run_report``). The built-in ``launch``
    plugin does this for ``-n`` and ``--launcher``; the ``sweep`` plugin for
    ``--sweeper``. Returning None leaves the items to ``sacred_run_item``.
    """


@hookspec(firstresult=True)
def sacred_make_launcher(name: str, config: Config) -> Any | None:
    """Return a :class:`sacred_runner.launch.base.Launcher` for ``--launcher NAME`` (None: not yours).

    A launcher receives picklable :class:`~sacred_runner.launch.base.LaunchTask`
    records and reports what happens to them through one callback.
    """
