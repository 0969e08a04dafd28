"""Sacred 0.8.7's command-line helpers, kept for the scripts that import them.

``from sacred.arg_parser import get_config_updates`` appears in many training
scripts that parse ``with`` updates themselves. Both functions are thin
adapters over :mod:`sacred.commandline`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sacred.commandline.usage import ARGUMENTS_SECTION, format_options, short_usage
from sacred.commandline.values import split_updates

__all__ = ["get_config_updates", "format_usage"]


def get_config_updates(updates: Sequence[str] | None) -> tuple[dict, list[str]]:
    """Parse ``with`` arguments: ``(config_updates, named_configs)``.

    ``['a=1', 'b.c="x"', 'named']`` -> ``({'a': 1, 'b': {'c': 'x'}}, ['named'])``;
    values are Python literals (tuples become lists), else plain strings.
    """
    return split_updates(updates or [])


def _command_lines(commands: Mapping[str, Any]) -> str:
    if not commands:
        return ""
    width = max(len(name) for name in commands)
    lines = []
    for name, function in commands.items():
        doc = inspect.getdoc(function) or ""
        first = doc.strip().splitlines()[0] if doc.strip() else ""
        lines.append(f"  {name.ljust(width)}  {first}".rstrip())
    return "\n".join(lines)


def format_usage(
    program_name: str,
    description: str | None,
    commands: Mapping[str, Any] | None = None,
    options: Iterable[Any] = (),
) -> str:
    """The full usage text: usage lines, description, options, arguments and commands.

    ``commands`` maps command names to their functions (the first line of each
    docstring is shown); ``options`` are :class:`~sacred.commandline_options.CLIOption`.
    """
    sections = [short_usage(program_name), inspect.cleandoc(description or "")]
    sections.append("Options:\n" + format_options(list(options)))
    sections.append("\n" + ARGUMENTS_SECTION)
    text = "\n\n".join(sections) + "\n\n"
    if commands:
        text += "\nCommands:\n" + _command_lines(commands) + "\n"
    return text
