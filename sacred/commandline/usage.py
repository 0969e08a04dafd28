"""The usage text of an experiment, generated from its commands and options.

Nothing here is kept by hand: the option list comes from the experiment's
``CLIOption`` objects (their docstrings describe them) and the command list
from ``gather_commands()`` (first line of each docstring). The layout follows
Sacred 0.8.7 (sections Usage / Options / Arguments / Commands).
"""

from __future__ import annotations

import os
import sys
import textwrap
from collections.abc import Iterable

from sacred.commandline_options import CLIOption
from sacred.introspection import cleandoc

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["get_usage", "short_usage", "format_options", "format_commands", "first_line"]

OPTION_COLUMN = 28
DESCRIPTION_WIDTH = 47

ARGUMENTS_SECTION = """Arguments:
  COMMAND   Name of command to run (see below for list of commands)
  UPDATE    Configuration assignments of the form foo.bar=17"""


def first_line(doc: str | None) -> str:
    """The first non-empty line of a docstring ('' if there is none)."""
    for line in cleandoc(doc or "").splitlines():
        if line.strip():
            return line.strip()
    return ""


def short_usage(program_name: str) -> str:
    """The four-line ``Usage:`` block for ``program_name``."""
    return (
        "Usage:\n"
        f"  {program_name} [(with UPDATE...)] [options]\n"
        f"  {program_name} help [COMMAND]\n"
        f"  {program_name} (-h | --help)\n"
        f"  {program_name} COMMAND [(with UPDATE...)] [options]"
    )


def _option_signature(option: CLIOption) -> str:
    parts = []
    if option.short_flag:
        parts.append(option.short_flag if option.is_flag else f"{option.short_flag} {option.arg}")
    parts.append(option.long_flag if option.is_flag else f"{option.long_flag}={option.arg}")
    return " ".join(parts)


def _option_description(option: CLIOption) -> str:
    lines = option.get_description().splitlines()
    return " ".join(line.strip() for line in lines).strip()


def format_options(cli_options: Iterable[CLIOption]) -> str:
    """One entry per option: flags, then the wrapped description from its docstring."""
    entries = []
    indent = " " * (2 + OPTION_COLUMN + 2)
    for option in cli_options:
        signature = _option_signature(option)
        wrapped = textwrap.wrap(_option_description(option), width=DESCRIPTION_WIDTH) or [""]
        head = f"  {signature.ljust(OPTION_COLUMN)}  {wrapped[0]}".rstrip()
        entries.append("\n".join([head] + [indent + line for line in wrapped[1:]]))
    return "\n".join(entries)


def format_commands(commands: Iterable[tuple[str, Any]]) -> str:
    """One line per command: its dotted name and the first line of its docstring."""
    commands = list(commands)
    if not commands:
        return "  (none)"
    width = max(len(name) for name, _ in commands)
    return "\n".join(
        f"  {name.ljust(width)}  {first_line(getattr(function, '__doc__', None))}".rstrip()
        for name, function in commands
    )


def default_program_name(experiment: Any = None) -> str:
    """The script's file name (``sys.argv[0]``), else the experiment's name."""
    argv0 = sys.argv[0] if sys.argv and sys.argv[0] else ""
    if argv0 and argv0 not in ("-c", "-m"):
        return os.path.basename(argv0)
    return getattr(experiment, "path", None) or "experiment"


def get_usage(experiment: Any, program_name: str | None = None) -> tuple[str, str]:
    """``(short_usage, full_usage)`` for an experiment.

    The full text holds the experiment's docstring, every option with its
    description, the arguments, and every command with the first line of
    its docstring.
    """
    program_name = program_name or default_program_name(experiment)
    short = short_usage(program_name)
    sections = [short]
    doc = cleandoc(getattr(experiment, "doc", None) or "")
    if doc:
        sections.append(doc)
    sections.append("Options:\n" + format_options(experiment.all_cli_options))
    sections.append("\n" + ARGUMENTS_SECTION)
    sections.append("\nCommands:\n" + format_commands(experiment.gather_commands()))
    return short, "\n\n".join(sections) + "\n"
