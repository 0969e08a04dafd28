"""Plain-data records of collection and execution, picklable for a fresh process.

A :class:`RunItem` holds everything needed to execute one run anywhere:
the file path, the experiment's attribute name, the command, config updates,
named configs and options. Nothing in it refers to live objects.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "CommandInfo",
    "NamedConfigInfo",
    "FlagInfo",
    "ExperimentNode",
    "CollectError",
    "RunItem",
    "RunOutcome",
    "NOT_FAILED_STATUSES",
    "keywords_of",
]

# statuses that do not count as a failed run; every other one does (FAILED,
# ERROR, TIMEOUT, custom interrupt statuses)
NOT_FAILED_STATUSES = frozenset({"COMPLETED", "QUEUED", "INTERRUPTED"})


@dataclass(frozen=True)
class CommandInfo:
    """A command of an experiment (``builtin`` for print_config and friends)."""

    name: str
    doc: str | None = None
    is_default: bool = False
    builtin: bool = False


@dataclass(frozen=True)
class NamedConfigInfo:
    """A named config of an experiment and its documentation."""

    name: str
    doc: str | None = None


@dataclass(frozen=True)
class FlagInfo:
    """A command-line flag an experiment defines itself (``additional_cli_options``)."""

    long_flag: str  # e.g. --own-flag
    short_flag: str | None = None
    is_flag: bool = True  # False: the flag takes a value
    doc: str | None = None

    @property
    def key(self) -> str:
        """The flag's key in a run's options dict (``--own_flag``)."""
        from sacred.commandline_options import canonical_key

        return canonical_key(self.long_flag)


@dataclass
class ExperimentNode:
    """One experiment found in a file: what ``sacred collect`` shows."""

    path: str  # absolute path of the file
    relpath: str  # path relative to the rootdir, with '/' separators
    attribute: str  # module attribute holding the Experiment
    name: str  # the experiment's name (ex.path)
    node_name: str  # the name used in node ids (the name, made unique within the file)
    doc: str | None = None
    commands: list[CommandInfo] = field(default_factory=list)
    named_configs: list[NamedConfigInfo] = field(default_factory=list)
    ingredients: list[str] = field(default_factory=list)
    flags: list[FlagInfo] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)  # dotted key -> value (JSON-ready)
    config_docs: dict[str, str] = field(default_factory=dict)
    config_error: str | None = None
    store_dirs: list[str] = field(default_factory=list)  # local stores of the experiment's own observers

    @property
    def nodeid(self) -> str:
        """``file.py::experiment``."""
        return f"{self.relpath}::{self.node_name}"

    @property
    def default_command(self) -> str | None:
        """The name of the default command, if any."""
        for command in self.commands:
            if command.is_default:
                return command.name
        return None

    def has_command(self, name: str) -> bool:
        """True if ``name`` is one of this experiment's commands (built-ins included)."""
        return any(command.name == name for command in self.commands)

    def defines_flag(self, key: str) -> bool:
        """True if this experiment defines the flag with options key ``key`` itself."""
        return any(flag.key == key for flag in self.flags)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``sacred collect --json``)."""
        data = asdict(self)
        data["nodeid"] = self.nodeid
        data["default_command"] = self.default_command
        return data


@dataclass(frozen=True)
class CollectError:
    """A file that could not be collected: where and why."""

    path: str
    relpath: str
    line: int | None
    message: str
    traceback: str = ""

    def location(self) -> str:
        """``file:line`` (or the file alone)."""
        return f"{self.relpath}:{self.line}" if self.line else self.relpath


@dataclass
class RunItem:
    """One run to execute: plain, picklable data."""

    path: str
    relpath: str
    attribute: str
    experiment_name: str
    node_name: str
    command: str
    config_updates: dict[str, Any] = field(default_factory=dict)
    named_configs: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)
    unobserved: bool = False
    meta_info: dict[str, Any] = field(default_factory=dict)  # merged into the run's meta_info (e.g. "sweep")
    label: str = ""  # a sweep point's label, shown as ``nodeid[label]``

    @property
    def nodeid(self) -> str:
        """``file.py::experiment::command`` (``...::command[label]`` for a sweep point)."""
        base = f"{self.relpath}::{self.node_name}::{self.command}"
        return f"{base}[{self.label}]" if self.label else base

    def keywords(self) -> list[str]:
        """Names ``-k`` matches against."""
        return keywords_of(self.relpath, self.experiment_name, self.node_name, self.command)


def keywords_of(relpath: str, experiment_name: str, node_name: str, command: str) -> list[str]:
    """Names ``-k`` matches against for ``command`` of an experiment: node id, names, file name."""
    filename = relpath.rsplit("/", 1)[-1]
    return [f"{relpath}::{node_name}::{command}", experiment_name, node_name, command, filename]


@dataclass
class RunOutcome:
    """What happened to one run, assembled from its observer events.

    ``status`` is the run's status (COMPLETED, FAILED, INTERRUPTED, TIMEOUT,
    QUEUED, a custom interrupt status) or ERROR when the run never started
    (e.g. a config error).
    """

    status: str = "ERROR"
    run_id: Any = None
    start_time: Any = None
    stop_time: Any = None
    duration: float = 0.0
    result: str | None = None
    fail_trace: list[str] = field(default_factory=list)
    error_message: str | None = None
    stores: list[str] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    result_value: Any = None  # the result itself (``result`` is its shortened repr)
    metric_stats: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> {"last", "min", "max"}

    @property
    def failed(self) -> bool:
        """True unless the run COMPLETED, was QUEUED or was INTERRUPTED by the user."""
        return self.status not in NOT_FAILED_STATUSES
