"""Command-line options (flags) of experiments, built-in and custom.

This module declares *what* each flag is and does (``-m``, ``-F``, ``--beat-interval``,
``@cli_option``); :mod:`sacred.commandline` parses argv with them, and
:mod:`sacred.commands` holds the commands a flag may accompany.

A custom flag is a function decorated with :func:`cli_option`; it is called
with the flag's value (``True`` for a flag without a value) and the ``Run``
after the run is created and before it starts::

    @cli_option('-o', '--own-flag', is_flag=True)
    def my_option(args, run):
        run.info['some'] = 'prepopulation of the info dict'

Option keys in an ``options`` dict may be spelled as Sacred 0.8.7 spells them
(``--beat-interval``, ``--print-config``, ``--file_storage``) or with the other
separator (``--beat_interval``); :func:`canonical_key` maps both to one key.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable

from sacred.introspection import cleandoc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = [
    "CLIOption",
    "CommandLineOption",
    "cli_option",
    "canonical_key",
    "spelling_087",
    "BUILTIN_OPTIONS",
    "get_builtin_option",
    "MAX_BEAT_INTERVAL",
    "parse_beat_interval",
    "parse_priority",
    "check_option_value",
]


class CLIOption:
    """A command-line option: ``-s VALUE`` / ``--long=VALUE`` or a bare flag."""

    def __init__(
        self,
        apply_function: Callable[[Any, Any], None] | None,
        short_flag: str | None,
        long_flag: str,
        is_flag: bool,
        arg: str | None = None,
        arg_description: str | None = None,
    ) -> None:
        if short_flag is not None and not re.fullmatch(r"-[A-Za-z0-9]", short_flag):
            raise ValueError(f"Short flag must look like '-x', got {short_flag!r}")
        if not re.fullmatch(r"--[A-Za-z0-9][A-Za-z0-9_-]*", long_flag or ""):
            raise ValueError(f"Long flag must look like '--my-flag', got {long_flag!r}")
        self.apply_function = apply_function
        self.short_flag = short_flag
        self.long_flag = long_flag
        self.is_flag = is_flag
        self.arg = None if is_flag else (arg or "VALUE")
        self.arg_description = None if is_flag else (arg_description or "")
        if apply_function is not None:
            self.__doc__ = apply_function.__doc__
            self.__name__ = getattr(apply_function, "__name__", long_flag)

    def get_flag(self) -> str:
        """The long flag, e.g. ``--own-flag``."""
        return self.long_flag

    def get_short_flag(self) -> str | None:
        """The short flag, e.g. ``-o`` (may be None)."""
        return self.short_flag

    def get_flags(self) -> tuple[str, ...]:
        """All spellings of this flag."""
        return tuple(f for f in (self.short_flag, self.long_flag) if f)

    @property
    def key(self) -> str:
        """The canonical key of this option in an options dict."""
        return canonical_key(self.long_flag)

    def get_description(self) -> str:
        """The docstring of the apply function, dedented (used in the usage text)."""
        return cleandoc(self.__doc__ or "")

    def apply(self, args: Any, run: Any) -> None:
        """Apply the option to ``run`` with the given value."""
        if self.apply_function is not None:
            self.apply_function(args, run)

    def __repr__(self) -> str:
        return f"CLIOption({self.short_flag!r}, {self.long_flag!r}, is_flag={self.is_flag})"


CommandLineOption = CLIOption


def cli_option(short_flag: str | None, long_flag: str, is_flag: bool = False) -> Callable:
    """Decorator turning ``apply(args, run)`` into a custom command-line option."""

    def wrapper(function: Callable) -> CLIOption:
        return CLIOption(function, short_flag, long_flag, is_flag)

    return wrapper


def canonical_key(flag: str) -> str:
    """Map ``--beat_interval`` / ``--beat-interval`` / ``beat_interval`` to one key.

    The canonical spelling uses ``_`` throughout and keeps the leading ``--``.
    """
    name = flag.lstrip("-").replace("-", "_")
    return "--" + name


# Sacred 0.8.7 spells these two long flags with hyphens; option hooks written for
# it read ``options["--beat-interval"]`` and ``options["--print-config"]``.
_SPELLED_IN_087 = {"--beat_interval": "--beat-interval", "--print_config": "--print-config"}


def spelling_087(option: CLIOption) -> str:
    """The key under which Sacred 0.8.7 puts ``option`` in an options dict."""
    return _SPELLED_IN_087.get(option.long_flag, option.long_flag)


# --- built-in options -------------------------------------------------------
# Apply functions import what they need lazily so that importing sacred stays cheap.


def _parse_loglevel(value: Any) -> int:
    import logging

    if isinstance(value, int):
        return value
    text = str(value).strip()
    if text.removeprefix("-").isdecimal():  # not isdigit: "²" is a digit int() refuses
        return int(text)
    level = logging.getLevelName(text.upper())
    if not isinstance(level, int):
        raise ValueError(
            f"Unknown log level {value!r}; use a number (0-50) or one of "
            "CRITICAL, ERROR, WARNING, INFO, DEBUG, NOTSET"
        )
    return level


# The longest heartbeat interval accepted: a week. Longer waits overflow the platform's
# timers (``-b 1e10`` killed the heartbeat thread) and no liveness rule could use them.
MAX_BEAT_INTERVAL = 7 * 24 * 3600.0


def parse_beat_interval(value: Any) -> float:
    """The heartbeat interval ``value`` in seconds; ValueError unless 0 < value <= a week.

    The one rule for ``-b``/``--beat_interval``, the ``beat_interval`` ini key and the
    runner's up-front flag check: ``nan``, ``inf``, ``0``, negative numbers, ``1e10`` and
    non-numbers are refused with a message naming the value.
    """
    try:
        if isinstance(value, bool):
            raise TypeError(value)
        seconds = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"--beat_interval: expected a positive number of seconds, got {value!r}") from None
    if not 0 < seconds <= MAX_BEAT_INTERVAL:  # also refuses nan
        raise ValueError(
            f"--beat_interval: expected a positive number of seconds up to "
            f"{MAX_BEAT_INTERVAL:.0f} (a week), got {value!r}"
        )
    return seconds


def parse_priority(value: Any) -> int | float:
    """The ``-P``/``--priority`` value: a finite number (an int when it is whole)."""
    try:
        priority = math.nan if isinstance(value, bool) else float(value)
    except (TypeError, ValueError):
        priority = math.nan
    if not math.isfinite(priority):
        raise ValueError(f"--priority: expected a finite number, got {value!r}")
    return int(priority) if priority.is_integer() else priority


def check_option_value(key: str, value: Any) -> None:
    """Raise ValueError (naming flag and value) if the built-in option ``key`` would refuse ``value``.

    Lets a caller (the ``sacred`` runner) reject a bad flag before any run starts,
    with the same rule the run itself applies.
    """
    checks: dict[str, Callable[[Any], Any]] = {
        "--beat_interval": parse_beat_interval,
        "--priority": parse_priority,
        "--id": _check_id,
    }
    check = checks.get(canonical_key(key))
    if check is not None and value is not None:
        check(value)


def _check_id(value: Any) -> None:
    from sacred.run_ids import check_run_id

    check_run_id(value)


@cli_option("-b", "--beat_interval")
def beat_interval_option(args: Any, run: Any) -> None:
    """Set the heart-beat interval for this run.

    Time between two heartbeat events is measured in seconds.
    """
    run.beat_interval = parse_beat_interval(args)


@cli_option("-C", "--capture")
def capture_option(args: Any, run: Any) -> None:
    """Control the way stdout and stderr are captured.

    The argument value must be one of [no, sys, fd]
    """
    if args not in ("no", "sys", "fd"):
        raise ValueError(f"--capture must be one of no, sys, fd; got {args!r}")
    run.capture_mode = args


@cli_option("-c", "--comment")
def comment_option(args: Any, run: Any) -> None:
    """Add a comment to this run."""
    run.meta_info["comment"] = args


@cli_option("-d", "--debug", is_flag=True)
def debug_option(args: Any, run: Any) -> None:
    """Set this run to debug mode.

    Suppress warnings about missing observers and don't filter the stacktrace.
    """
    run.debug = True


@cli_option("-D", "--pdb", is_flag=True)
def pdb_option(args: Any, run: Any) -> None:
    """Automatically enter post-mortem debugging with pdb on failure."""
    run.pdb = True


@cli_option("-e", "--enforce_clean", is_flag=True)
def enforce_clean_option(args: Any, run: Any) -> None:
    """Fail if any version control repository is dirty."""
    repos = run.experiment_info.get("repositories", [])
    if not repos:
        raise RuntimeError(
            "No version control detected. Cannot enforce clean repository.\n"
            "Make sure that your sources under VCS and the corresponding python "
            "package is installed."
        )
    dirty = [r["url"] or "(no remote)" for r in repos if r.get("dirty")]
    if dirty:
        raise RuntimeError("EnforceClean: Uncommited changes in the repositories: " + ", ".join(dirty))


@cli_option("-f", "--force", is_flag=True)
def force_option(args: Any, run: Any) -> None:
    """Disable warnings about suspicious changes for this run."""
    run.force = True


@cli_option("-h", "--help", is_flag=True)
def help_option(args: Any, run: Any) -> None:
    """Print this help message and exit."""


@cli_option("-i", "--id")
def id_option(args: Any, run: Any) -> None:
    """Set the id for this run."""
    from sacred.run_ids import check_run_id

    check_run_id(args)
    run._id = args


@cli_option("-l", "--loglevel")
def loglevel_option(args: Any, run: Any) -> None:
    """Set the LogLevel.

    Loglevel either as 0 - 50 or as string: DEBUG(10), INFO(20), WARNING(30),
    ERROR(40), CRITICAL(50)
    """
    run.root_logger.setLevel(_parse_loglevel(args))


@cli_option("-n", "--name")
def name_option(args: Any, run: Any) -> None:
    """Set the name for this run."""
    run.experiment_info["name"] = args
    run.run_logger = run.root_logger.getChild(args)


@cli_option("-p", "--print_config", is_flag=True)
def print_config_option(args: Any, run: Any) -> None:
    """Always print the configuration first."""
    from sacred.commands import print_config

    print_config(run)
    print("-" * 79)


@cli_option("-P", "--priority")
def priority_option(args: Any, run: Any) -> None:
    """Sets the priority for a queued up experiment.

    `--priority=NUMBER`
    The number represent the priority for this run.
    """
    run.meta_info["priority"] = parse_priority(args)


@cli_option("-q", "--queue", is_flag=True)
def queue_option(args: Any, run: Any) -> None:
    """Only queue this run, do not start it."""
    run.queue_only = True


@cli_option("-u", "--unobserved", is_flag=True)
def unobserved_option(args: Any, run: Any) -> None:
    """Ignore all observers for this run."""
    run.unobserved = True


@cli_option("-m", "--mongo_db")
def mongo_db_option(args: Any, run: Any) -> None:
    """Add a MongoDB Observer to the experiment.

    The argument value is the database specification.
    Should be in the form:

    `[host:port:]db_name[.collection][!priority]` or a mongodb:// URL
    """
    from sacred.observers.mongo import MongoObserver

    run.observers.append(MongoObserver.from_cli_arg(args))


@cli_option("-F", "--file_storage")
def file_storage_option(args: Any, run: Any) -> None:
    """Add a file-storage observer to the experiment.

    The value of the argument should be the base-directory to write the runs to
    """
    from sacred.observers.file_storage import FileStorageObserver

    run.observers.append(FileStorageObserver(args))


@cli_option("-t", "--tiny_db")
def tiny_db_option(args: Any, run: Any) -> None:
    """Add a TinyDB Observer to the experiment.

    The argument is the path to be given to the TinyDbObserver.
    """
    from sacred.observers.tinydb_hashfs import TinyDbObserver

    run.observers.append(TinyDbObserver(args))


@cli_option("-s", "--sql")
def sql_option(args: Any, run: Any) -> None:
    """Add a SQL Observer to the experiment.

    The typical form is: dialect://username:password@host:port/database
    """
    from sacred.observers.sql import SqlObserver

    run.observers.append(SqlObserver(args))


@cli_option("-S", "--s3")
def s3_option(args: Any, run: Any) -> None:
    """Add a S3 File observer to the experiment.

    The argument value should be `s3://<bucket>/path/to/exp`.
    """
    from sacred.observers.s3_observer import S3Observer

    run.observers.append(S3Observer.from_cli_arg(args))


BUILTIN_OPTIONS: tuple[CLIOption, ...] = (
    beat_interval_option,
    capture_option,
    comment_option,
    debug_option,
    enforce_clean_option,
    file_storage_option,
    force_option,
    help_option,
    id_option,
    loglevel_option,
    mongo_db_option,
    name_option,
    pdb_option,
    print_config_option,
    priority_option,
    queue_option,
    s3_option,
    sql_option,
    tiny_db_option,
    unobserved_option,
)


def get_builtin_option(flag: str) -> CLIOption:
    """Return the built-in option for any spelling of its long flag."""
    key = canonical_key(flag)
    for option in BUILTIN_OPTIONS:
        if option.key == key:
            return option
    raise KeyError(flag)
