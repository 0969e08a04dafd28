"""The launch contract: tasks in, messages out through one callback.

A launcher receives :class:`LaunchTask` records (plain, picklable: the run
item, the stores as ``(kind, value)`` specs and the rootdir; never a live
``Experiment`` or observer) and makes each one execute
:func:`sacred_runner.launch.remote.execute_task` somewhere. Everything that
happens to a task comes back as one of the messages below, passed to the
:data:`Report` callback the runner gives the launcher; launchers never call
plugin hooks or touch stores themselves. This module is the one place that
defines how events travel back, so moving them onto another event contract
means changing these messages and :mod:`sacred_runner.launch.driver` only.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from sacred_runner.items import RunItem

__all__ = [
    "AttemptStarted",
    "LaunchControl",
    "LaunchTask",
    "Launcher",
    "Message",
    "Report",
    "RunEvent",
    "TaskCancelled",
    "TaskFinished",
    "TaskLost",
]


@dataclass(frozen=True)
class LaunchTask:
    """One run to execute anywhere: plain data only."""

    key: str  # unique within the session
    item: RunItem
    stores: tuple[tuple[str, str], ...] = ()  # observer specs (kind, value), built where the run executes
    rootdir: str = ""  # relative store paths are taken from here
    cwd: str = ""  # the runner's working directory: runs execute there when the worker can see it


@dataclass(frozen=True)
class AttemptStarted:
    """A worker began executing ``key`` (a second one means the first attempt's worker was lost)."""

    key: str
    where: str  # e.g. "pid 1234 on host" or a Dask worker address


@dataclass(frozen=True)
class RunEvent:
    """One observer event of the run of ``key`` (``payload``: the event's keyword arguments)."""

    key: str
    event: str
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TaskFinished:
    """The task returned: how its run ended, as far as the executing side knows."""

    key: str
    status: str | None = None  # the Run's status, None if no Run was made
    result: str | None = None  # repr of the result, shortened
    run_id: Any = None
    error: str | None = None  # why the run could not start or run (text)
    interrupted: bool = False  # Ctrl+C / SIGINT reached the run


@dataclass(frozen=True)
class TaskLost:
    """The task's worker died (or the launcher gave up on it): ``reason`` says how."""

    key: str
    reason: str
    interrupted: bool = False  # lost while the session was being interrupted
    captured_out: str | None = None  # what the run printed before its worker died, when the launcher kept it
    metrics: dict | None = None  # its metric points (``metrics_by_name``), when the launcher kept them


@dataclass(frozen=True)
class TaskCancelled:
    """The task never started (Ctrl+C, ``-x``)."""

    key: str
    reason: str


Message = AttemptStarted | RunEvent | TaskFinished | TaskLost | TaskCancelled

#: the one callback through which a launcher reports everything (called in the runner's process)
Report = Callable[[Message], None]


@dataclass
class LaunchControl:
    """What the runner tells a launcher while it runs: stop scheduling (``-x``) / interrupted."""

    stop_scheduling: bool = False
    interrupted: bool = False


class Launcher(abc.ABC):
    """Executes :class:`LaunchTask` s; subclasses register through ``sacred_make_launcher``.

    The runner calls :meth:`start` once, then :meth:`run` one or more times
    (a sweeper asks for points batch by batch), then :meth:`close`.
    """

    name: ClassVar[str] = ""

    #: how many tasks run at once (sweepers ask for that many points at a time)
    slots: int = 1

    def start(self) -> None:  # noqa: B027 - optional
        """Acquire workers / connect to the cluster."""

    @abc.abstractmethod
    def run(self, tasks: list[LaunchTask], report: Report, control: LaunchControl) -> None:
        """Execute ``tasks``; return once each one was reported finished, lost or cancelled.

        Honour ``control.stop_scheduling`` (start nothing new, report the
        rest :class:`TaskCancelled`). On Ctrl+C set ``control.interrupted``,
        cancel what has not started, let running runs record INTERRUPTED
        (or report them :class:`TaskLost`), and return.
        """

    def close(self) -> None:  # noqa: B027 - optional
        """Release workers / the cluster connection."""

    def describe(self) -> str:
        """One line for the header: what executes the runs."""
        return self.name


def cancel_unstarted(control: LaunchControl, pending: Any, report: Report) -> bool:
    """If ``control`` says stop (``-x`` or Ctrl+C), report every task still in ``pending``
    as :class:`TaskCancelled`, empty ``pending`` (a list or deque) and return True."""
    if not (control.interrupted or control.stop_scheduling):
        return False
    reason = ("cancelled: interrupted by the user" if control.interrupted
              else "not started: the session stopped (-x)")
    for task in pending:
        report(TaskCancelled(task.key, reason))
    pending.clear()
    return True
