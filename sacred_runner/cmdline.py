"""Parse ``sacred collect|run [ARGS] [with UPDATES...] [OPTIONS]``.

Each subcommand has its own argparse parser, parsed with intermixed
positionals so that options may stand anywhere, also after ``with``.
Experiment flags (``--capture``, ``--beat_interval``, ``--loglevel``,
``--file_storage``, ...) are generated from
:data:`sacred.commandline_options.BUILTIN_OPTIONS`; where their short form
clashes with a runner flag (``-c``, ``-p``, ``-q``) only the long form is
accepted.

Flags an experiment defines itself (``additional_cli_options``) are only
known after collection: :func:`split_off_unknown_flags` sets them aside for
a first parse, and :func:`add_experiment_flags` registers the collected
experiments' flags before the final parse.
"""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sacred_runner.errors import UsageError

__all__ = [
    "SUBCOMMANDS",
    "OptionParser",
    "ParsedArgs",
    "build_parser",
    "short_flag_hint",
    "split_positionals",
    "EXPERIMENT_FLAG_PREFIX",
    "OWN_FLAG_PREFIX",
    "RUNNER_SHORT_FLAGS_HINT",
    "add_experiment_flags",
    "experiment_flag",
    "split_off_unknown_flags",
]

SUBCOMMANDS = ("run", "collect")
EXPERIMENT_FLAG_PREFIX = "exp_"
OWN_FLAG_PREFIX = "own_flag_"
RUNNER_SHORT_FLAGS = {"-c", "-p", "-q", "-h", "-k", "-v", "-x", "-n", "-M"}
RUNNER_SHORT_FLAGS_HINT = (
    "-c, -p, -q, -n (and -h, -k, -v, -x, -M) are the runner's own flags, so an experiment flag with one of "
    "these short forms is given in its long form: --comment, --print_config, --queue, --name, and e.g. "
    "--quick for cli_option('-q', '--quick')"
)


def experiment_flag(option: argparse.Namespace, name: str) -> Any:
    """The value of the built-in experiment flag ``--NAME`` (None when not given)."""
    return getattr(option, EXPERIMENT_FLAG_PREFIX + name, None)


class _ArgumentParser(argparse.ArgumentParser):
    """argparse that raises :class:`UsageError` instead of exiting with code 2."""

    hint = ""  # an extra line for error messages, e.g. the flags experiments define

    def error(self, message: str) -> Any:  # noqa: D401 - argparse API
        hint = f"\n{self.hint}" if self.hint else ""
        raise UsageError(f"{self.prog}: {message}{hint}\nTry '{self.prog} --help' for the list of options.")


class OptionParser:
    """What ``sacred_addoption`` receives: add options to both subcommands, or ini keys."""

    def __init__(self, parsers: dict[str, argparse.ArgumentParser], ini: Any) -> None:
        self._parsers = parsers
        self._ini = ini
        self._plugin_group: dict[str, Any] = {}

    def addoption(self, *flags: str, **kwargs: Any) -> None:
        """Add an option to ``sacred run`` and ``sacred collect`` (argparse keywords)."""
        for name, parser in self._parsers.items():
            group = self._plugin_group.get(name)
            if group is None:
                group = parser.add_argument_group("options added by plugins")
                self._plugin_group[name] = group
            try:
                group.add_argument(*flags, **kwargs)
            except argparse.ArgumentError as error:
                raise UsageError(f"a plugin added a conflicting option {flags}: {error}") from None

    def addini(self, name: str, help: str, kind: str = "string", default: Any = None) -> None:
        """Declare an ini key (``kind``: string, args, linelist, bool, float)."""
        from sacred_runner.inifile import IniKey

        if kind not in ("string", "args", "linelist", "bool", "float"):
            raise ValueError(f"ini key kind must be string, args, linelist, bool or float; got {kind!r}")
        self._ini.add_key(IniKey(name, help, kind, default))


def _add_common_options(parser: argparse.ArgumentParser) -> None:
    general = parser.add_argument_group("general")
    # help is handled after plugins added their options, so it lists them too
    general.add_argument("-h", "--help", action="store_true", help="show this help message and exit")
    general.add_argument("-c", "--config-file", dest="inifile", metavar="FILE",
                         help="read configuration from FILE instead of finding sacred.ini / pyproject.toml")
    general.add_argument("--rootdir", metavar="DIR",
                         help="use DIR as the rootdir (where .sacred/ and sacred_plugins.py live)")
    general.add_argument("-p", dest="plugins", action="append", default=[], metavar="NAME",
                         help="load plugin module NAME early; '-p no:NAME' disables a plugin")
    general.add_argument("-k", dest="keyword", default="", metavar="EXPR",
                         help="select by names matching EXPR: substrings combined with and/or/not "
                              "and parentheses, e.g. -k 'mnist and not slow'")
    general.add_argument("-q", "--quiet", action="count", default=0, help="less output")
    general.add_argument("-v", "--verbose", action="count", default=0, help="more output")
    from sacred_runner.color import add_color_option

    add_color_option(general, "colored, live terminal output")


def _add_experiment_flags(parser: argparse.ArgumentParser) -> None:
    from sacred.commandline_options import BUILTIN_OPTIONS

    group = parser.add_argument_group(
        "experiment flags",
        "Passed to every run, as in 'python file.py COMMAND --flag'. --comment, --print_config, "
        "--queue and --name work in their long form only: their short forms -c, -p, -q, -n are "
        "the runner's.",
    )
    for option in BUILTIN_OPTIONS:
        if option.key == "--help":
            continue
        name = option.key[2:]
        flags = []
        if option.short_flag and option.short_flag not in RUNNER_SHORT_FLAGS:
            flags.append(option.short_flag)
        flags.append("--" + name)
        if "_" in name:
            flags.append("--" + name.replace("_", "-"))
        help_text = option.get_description().split("\n")[0] or name
        if option.is_flag:
            group.add_argument(*flags, dest=EXPERIMENT_FLAG_PREFIX + name, action="store_true",
                               default=None, help=help_text)
        else:
            group.add_argument(*flags, dest=EXPERIMENT_FLAG_PREFIX + name, metavar=option.arg,
                               default=None, help=help_text)


def split_off_unknown_flags(parser: argparse.ArgumentParser, args: Sequence[str]) -> tuple[list[str], list[str]]:
    """``(args without the flags parser does not know, those flags)``.

    The unknown flags may be an experiment's own (known after collection)
    or typos. A value given after such a flag stays among the positionals
    until the experiments' definitions say whether it is one.
    """
    _namespace, extras = parser.parse_known_intermixed_args(list(args))
    unknown = [token for token in extras if token.startswith("-") and token != "-" and not _is_number(token)]
    pending = Counter(unknown)
    known = []
    for token in args:
        if pending[token] > 0:
            pending[token] -= 1
            continue
        known.append(token)
    return known, unknown


def _is_number(token: str) -> bool:
    try:
        float(token)
    except ValueError:
        return False
    return True


def add_experiment_flags(parser: argparse.ArgumentParser, flags: Sequence[Any]) -> dict[str, str]:
    """Register the collected experiments' own flags (:class:`FlagInfo`) on ``parser``.

    Returns ``{argparse dest: options key}``. A short form that the runner
    already uses is left out (only the long form works); a long form that
    already exists (a built-in flag) is not added again. Two experiments
    that define one flag differently (with and without a value) are a
    usage error.
    """
    by_long: dict[str, Any] = {}
    for flag in flags:
        seen = by_long.setdefault(flag.long_flag, flag)
        if seen.is_flag != flag.is_flag:
            raise UsageError(
                f"two collected experiments define {flag.long_flag} differently (one as a flag, one "
                "taking a value); select one of them with a node id or -k"
            )
    group = parser.add_argument_group("flags defined by the collected experiments (long form always works)")
    dests: dict[str, str] = {}
    for flag in by_long.values():
        dest = OWN_FLAG_PREFIX + flag.key[2:]
        kwargs: dict[str, Any] = (
            {"action": "store_true", "default": None} if flag.is_flag else {"metavar": "VALUE", "default": None}
        )
        spellings = [flag.long_flag] + ([flag.short_flag] if flag.short_flag else [])
        while spellings:
            try:
                group.add_argument(*spellings, dest=dest, help=flag.doc, **kwargs)
            except argparse.ArgumentError:
                spellings.pop()  # first drop the clashing short form, then give up
                continue
            dests[dest] = flag.key
            break
    return dests


def build_parser(subcommand: str) -> argparse.ArgumentParser:
    """The argparse parser of ``sacred SUBCOMMAND`` (built-in options only)."""
    if subcommand == "collect":
        parser = _ArgumentParser(
            prog="sacred collect", add_help=False,
            description="List experiment files, experiments, their commands (default marked), "
                        "named configs with their docs, config entries and ingredients.",
        )
        parser.add_argument("args", nargs="*", metavar="PATH|NODE_ID",
                            help="files, directories or node ids (file.py::experiment)")
        _add_common_options(parser)
        parser.add_argument("--json", action="store_true", help="print the collected tree as JSON")
        return parser
    if subcommand == "run":
        parser = _ArgumentParser(
            prog="sacred run", add_help=False,
            description="Run the command of every collected experiment as its own observed run: "
                        "sacred run [PATHS|NODE_IDS] [COMMAND] [with UPDATES...] [OPTIONS]",
            epilog="Flags an experiment defines itself (cli_option / additional_cli_options) are "
                   "accepted too and go to the experiments that define them; the others are "
                   "deselected. " + RUNNER_SHORT_FLAGS_HINT + ".",
        )
        parser.add_argument("args", nargs="*", metavar="ARG",
                            help="paths or node ids, then optionally a COMMAND, then "
                                 "'with' followed by config updates (key=value) and named configs")
        _add_common_options(parser)
        session = parser.add_argument_group("session")
        session.add_argument("-x", "--exitfirst", action="store_true",
                             help="stop the session at the first failed run")
        session.add_argument("--lf", "--last-failed", dest="last_failed", action="store_true",
                             help="rerun only what failed last time (all if nothing failed)")
        session.add_argument("--isolate", dest="isolate", action="store_true", default=None,
                             help="run each experiment in its own subprocess")
        session.add_argument("--no-isolate", dest="isolate", action="store_false",
                             help="run experiments in this process (overrides the ini key)")
        _add_experiment_flags(parser)
        return parser
    raise UsageError(f"unknown command {subcommand!r}; use one of: {', '.join(SUBCOMMANDS)}")


@dataclass
class ParsedArgs:
    """The positionals of ``sacred run`` split into targets, command and updates."""

    targets: list[str] = field(default_factory=list)
    command: str | None = None
    updates: list[str] = field(default_factory=list)


def _is_target(token: str, invocation_dir: Any) -> bool:
    from pathlib import Path

    from sacred_runner.inifile import path_exists

    return path_exists(Path(invocation_dir) / token.split("::", 1)[0])


def short_flag_hint(value: str, argv: Sequence[str]) -> str:
    """A hint when ``value`` follows one of the runner's short flags in ``argv`` (else ``''``).

    ``sacred run -q 5`` most likely meant an experiment flag ``-q VALUE``.
    """
    for index, token in enumerate(argv[1:], start=1):
        previous = argv[index - 1]
        if token == value and previous in RUNNER_SHORT_FLAGS:
            return f"\n({value!r} follows {previous}: {RUNNER_SHORT_FLAGS_HINT}.)"
    return ""


def split_positionals(
    tokens: Sequence[str], invocation_dir: Any, allow_command: bool = True, argv: Sequence[str] = (),
    allow_with: bool | None = None,
) -> ParsedArgs:
    """Split positionals at ``with``; before it, existing paths / node ids and one COMMAND.

    A token that is neither an existing path nor a valid command name is a
    usage error naming it (with a hint when it follows one of the runner's
    short flags in ``argv``, the whole command line).
    """
    tokens = list(tokens)
    updates: list[str] = []
    if "with" in tokens:
        index = tokens.index("with")
        tokens, updates = tokens[:index], tokens[index + 1:]
        if not updates:
            raise UsageError("'with' must be followed by config updates (key=value) or named configs")
        if not (allow_command if allow_with is None else allow_with):
            raise UsageError("'with' is only accepted by 'sacred run' (and by 'sacred collect --multirun')")
    parsed = ParsedArgs(updates=updates)
    for token in tokens:
        if _is_target(token, invocation_dir):
            parsed.targets.append(token)
            continue
        looks_like_path = "/" in token or "\\" in token or token.endswith(".py") or "::" in token
        if looks_like_path or not allow_command or not _is_command_name(token):
            raise UsageError(f"file or directory not found: {token}{short_flag_hint(token, argv)}")
        if parsed.command is not None:
            raise UsageError(
                f"file or directory not found: {token} (and {parsed.command!r} was already "
                f"taken as the command; give at most one COMMAND){short_flag_hint(token, argv)}"
            )
        parsed.command = token
    return parsed


def _is_command_name(token: str) -> bool:
    return all(part.isidentifier() for part in token.split("."))
