"""Entry point of the ``sacred`` command: parse, configure plugins, run the session.

``main(argv)`` returns an :class:`ExitCode`; ``console_main`` exits with it.
User mistakes end as one ``ERROR:`` line and exit code 4, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import platform
import shlex
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from sacred_runner.cmdline import (
    RUNNER_SHORT_FLAGS,
    SUBCOMMANDS,
    OptionParser,
    add_experiment_flags,
    build_parser,
    short_flag_hint,
    split_off_unknown_flags,
    split_positionals,
)
from sacred_runner.errors import ExitCode, UsageError
from sacred_runner.inifile import path_exists

__all__ = ["Config", "main", "console_main"]

TOP_LEVEL_HELP = """\
usage: sacred [--version] [-h] {run,collect} ...

Collect experiment files and run them, shaped like pytest.

commands:
  run       run every collected experiment's command as its own observed run:
            sacred run [PATHS|NODE_IDS] [COMMAND] [with UPDATES...] [OPTIONS]
  collect   list experiment files, experiments, commands, named configs

options:
  -h, --help  show this help message and exit
  --version   show the version and exit

'sacred run --help' and 'sacred collect --help' list every option.
Configuration is read from sacred.ini ([sacred]) or pyproject.toml ([tool.sacred]).
"""


def _top_level_help() -> str:
    """The ``sacred --help`` text: the built-in commands plus the installed tool commands."""
    from sacred_runner.tools import available_tools, load_tool

    tools = available_tools()
    if not tools:
        return TOP_LEVEL_HELP
    lines = [f"  {name:<9} {load_tool(name).SUMMARY}\n" for name in tools]
    head, tail = TOP_LEVEL_HELP.split("\noptions:", 1)
    usage = "{" + ",".join(("run", "collect", *tools)) + "}"
    return head.replace("{run,collect}", usage) + "".join(lines) + "\noptions:" + tail


class Config:
    """Everything a plugin needs about this invocation (passed to most hooks)."""

    def __init__(self, subcommand: str, option: argparse.Namespace, ini: Any,
                 pluginmanager: Any, invocation_dir: Path, stdout: TextIO,
                 parser: argparse.ArgumentParser | None = None, args: Sequence[str] = (),
                 unknown_flags: Sequence[str] = ()) -> None:
        self.subcommand = subcommand
        self.ini = ini
        self.pluginmanager = pluginmanager
        self.hook = pluginmanager.hook
        self.invocation_dir = invocation_dir
        self.stdout = stdout
        self.warnings: list[str] = []
        self.session: Any = None
        self.parser = parser
        self.args = list(args)
        # flags no parser option matched: an experiment's own (see accept_experiment_flags) or typos
        self.unknown_flags = list(unknown_flags)
        self.own_flag_values: dict[str, Any] = {}  # options key -> value of experiments' own flags
        self._use_option(option, tentative=bool(self.unknown_flags))
        for name in ini.unknown_keys():
            self.warnings.append(f"{ini.values[name].where()}: unknown config key {name!r} (ignored)")

    def _use_option(self, option: argparse.Namespace, tentative: bool = False) -> None:
        self.option = option
        if tentative:  # values of not-yet-known flags may sit among the positionals
            before_with = option.args[: option.args.index("with")] if "with" in option.args else option.args
            existing = [t for t in before_with if path_exists(self.invocation_dir / t.split("::", 1)[0])]
            self.parsed = split_positionals(existing, self.invocation_dir, allow_command=False)
            self.updates: tuple[dict, list[str]] = ({}, [])
        else:
            from sacred_runner.sweep import is_multirun

            self.parsed = split_positionals(option.args, self.invocation_dir,
                                            allow_command=self.subcommand == "run", argv=self.args,
                                            allow_with=self.subcommand == "run" or is_multirun(option))

            # in multirun mode the `with` arguments are a sweep's axes (the sweep plugin reads them)
            self.updates = ({}, []) if is_multirun(option) else self._split_updates(self.parsed.updates)
        isolate = getattr(option, "isolate", None)
        self.isolate = bool(self.getini("isolate") if isolate is None else isolate)

    def accept_experiment_flags(self, nodes: Sequence[Any]) -> bool:
        """Parse the command line again, knowing the flags ``nodes`` define; True if the targets changed.

        Only needed when the first parse met flags it did not know. Those
        that no collected experiment defines are a usage error.
        """
        if not self.unknown_flags or self.parser is None:
            return False
        flags = [flag for node in nodes for flag in node.flags]
        dests = add_experiment_flags(self.parser, flags)
        defined = ", ".join(sorted({flag.long_flag for flag in flags})) or "none"
        self.parser.hint = f"Flags defined by the collected experiments: {defined}."
        option = self.parser.parse_intermixed_args(self.args)
        self.own_flag_values = {
            key: getattr(option, dest) for dest, key in dests.items() if getattr(option, dest) is not None
        }
        for flag in {flag.long_flag: flag for flag in flags}.values():
            if flag.short_flag in RUNNER_SHORT_FLAGS and flag.short_flag in self.args:
                self.warn(f"{flag.short_flag} was taken as the runner's own flag; write {flag.long_flag} "
                          f"for the experiment flag {flag.short_flag}/{flag.long_flag}")
        targets_before = self.parsed.targets
        self._use_option(option)
        self.unknown_flags = []
        return self.parsed.targets != targets_before

    @staticmethod
    def _split_updates(texts: list[str]) -> tuple[dict, list[str]]:
        if not texts:
            return {}, []
        from sacred.commandline.values import split_updates
        from sacred.utils import SacredError

        try:
            return split_updates(texts)
        except (SacredError, ValueError) as error:
            raise UsageError(str(error)) from None

    @property
    def rootdir(self) -> Path:
        """The rootdir (where the config file, ``.sacred/`` and ``sacred_plugins.py`` live)."""
        return self.ini.rootdir

    @property
    def inipath(self) -> Path | None:
        """The config file in use, or None."""
        return self.ini.inipath

    def getini(self, name: str) -> Any:
        """The converted value of the ini key ``name`` (or its default)."""
        return self.ini.get(name)

    def warn(self, message: str) -> None:
        """Print a warning line (on stderr)."""
        print(f"WARNING: {message}", file=sys.stderr)


def _version_text() -> str:
    from sacred_runner import __version__

    return f"sacred {__version__} (sacred_runner) on Python {platform.python_version()}"


def _early_options(parser: argparse.ArgumentParser, args: list[str]) -> argparse.Namespace:
    """Parse what is needed before plugins load; unknown (plugin) options are ignored."""
    namespace, _unknown = parser.parse_known_intermixed_args(args)
    return namespace


def _environment_addopts() -> list[str]:
    """The options in ``SACRED_ADDOPTS``, split as a shell would (a usage error if it cannot be)."""
    text = os.environ.get("SACRED_ADDOPTS", "")
    try:
        return shlex.split(text)
    except ValueError as error:
        raise UsageError(f"SACRED_ADDOPTS={text!r} cannot be split into options: {error}") from None


def _blocked_and_requested(names: list[str]) -> tuple[list[str], list[str]]:
    blocked, requested = [], []
    for name in names:
        if name.startswith("no:"):
            if not name[3:]:
                raise UsageError("'-p no:' needs a plugin name, e.g. -p no:terminal")
            blocked.append(name[3:])
        else:
            requested.append(name)
    return blocked, requested


def _run(argv: list[str], stdout: TextIO) -> ExitCode:
    if not argv:
        raise UsageError("missing command: use 'sacred run' or 'sacred collect' (see 'sacred --help')")
    first = argv[0]
    if first in ("--version", "-V"):
        print(_version_text(), file=stdout)
        return ExitCode.OK
    if first in ("-h", "--help"):
        print(_top_level_help(), file=stdout, end="")
        return ExitCode.OK
    from sacred_runner.tools import available_tools, load_tool

    if first in available_tools():
        return ExitCode(load_tool(first).main(argv[1:], stdout))
    if first not in SUBCOMMANDS:
        known = ", ".join((*SUBCOMMANDS, *available_tools()))
        raise UsageError(f"unknown command {first!r}: use one of {known} (see 'sacred --help')")
    subcommand, args = first, argv[1:]
    invocation_dir = Path.cwd()
    from sacred_runner.inifile import locate_config
    from sacred_runner.plugins import create_plugin_manager, load_plugins

    parser = build_parser(subcommand)
    early = _early_options(parser, args)
    ini = locate_config(early.args, early.inifile, early.rootdir, invocation_dir)
    addopts = list(ini.get("addopts")) + _environment_addopts()
    full_args = addopts + args
    early = _early_options(parser, full_args)
    blocked, requested = _blocked_and_requested(list(early.plugins))
    manager = create_plugin_manager(blocked)
    try:
        load_plugins(manager, list(ini.get("plugins")) + requested, ini.rootdir)
    except UsageError as error:
        hints = [short_flag_hint(name, full_args) for name in requested if repr(name) in str(error)]
        raise UsageError(f"{error}{''.join(hints[:1])}") from None
    manager.hook.sacred_addoption.call_historic(kwargs={"parser": OptionParser({subcommand: parser}, ini)})
    if early.help:
        parser.print_help(stdout)
        return ExitCode.OK
    known_args, unknown_flags = (
        split_off_unknown_flags(parser, full_args) if subcommand == "run" else (full_args, [])
    )
    option = parser.parse_intermixed_args(known_args)
    config = Config(subcommand, option, ini, manager, invocation_dir, stdout,
                    parser=parser, args=full_args, unknown_flags=unknown_flags)
    from sacred_runner.session import Session

    session = Session(config)
    config.session = session
    manager.hook.sacred_configure(config=config)
    try:
        return session.main()
    finally:
        manager.hook.sacred_unconfigure(config=config)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> ExitCode:
    """Run the ``sacred`` command with ``argv`` (default: ``sys.argv[1:]``); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    stdout = stdout or sys.stdout
    try:
        return _run(argv, stdout)
    except UsageError as error:
        from sacred.masking import mask_text

        print(f"ERROR: {mask_text(str(error))}", file=sys.stderr)
        return ExitCode.USAGE_ERROR
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return ExitCode.INTERRUPTED
    except Exception:  # noqa: BLE001 - a bug of ours or of a plugin
        print("INTERNAL ERROR: the sacred runner itself failed; please report this:", file=sys.stderr)
        traceback.print_exc(file=sys.stderr)
        return ExitCode.INTERNAL_ERROR


def console_main() -> int:
    """The ``sacred`` console script."""
    code = int(main())
    try:
        sys.stdout.flush()
    except (BrokenPipeError, ValueError):
        pass
    return code


if __name__ == "__main__":
    sys.exit(console_main())
