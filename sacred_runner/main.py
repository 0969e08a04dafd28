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
from typing import TextIO

from sacred_runner.cmdline import (
    SUBCOMMANDS,
    OptionParser,
    build_parser,
    short_flag_hint,
    split_off_unknown_flags,
)
from sacred_runner.config import Config
from sacred_runner.errors import ExitCode, UsageError

__all__ = ["Config", "main", "console_main"]  # Config lives in sacred_runner.config

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
    except BrokenPipeError:  # the reader went away (sacred show 2 | head -1): quietly, as git log | head
        from sacred.commandline._pipes import BROKEN_PIPE_EXIT, discard_stdout

        discard_stdout()
        return BROKEN_PIPE_EXIT  # type: ignore[return-value]
    except KeyboardInterrupt:
        from sacred_runner.stopping import stop_signal

        if stop_signal() == "SIGTERM":
            print("Interrupted by SIGTERM.", file=sys.stderr)
            return ExitCode.TERMINATED
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
    except BrokenPipeError:  # what was still buffered found no reader
        from sacred.commandline._pipes import BROKEN_PIPE_EXIT, discard_stdout

        discard_stdout()
        return BROKEN_PIPE_EXIT
    except ValueError:  # closed
        pass
    return code


if __name__ == "__main__":
    sys.exit(console_main())
