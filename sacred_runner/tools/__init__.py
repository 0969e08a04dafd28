"""Subcommands of ``sacred`` that work on stores and runs rather than on collected files.

``sacred run`` and ``sacred collect`` go through collection (:mod:`sacred_runner.session`).
The commands here do not collect: each lives in its own module of this package,
named in :data:`TOOL_COMMANDS`, and exposes

* ``SUMMARY``: one line for ``sacred --help``;
* ``main(argv: list[str], stdout: TextIO) -> int``: run the command with the
  arguments after its name and return an exit code (:class:`ExitCode`); user
  mistakes raise :class:`~sacred_runner.errors.UsageError` (one ``ERROR:`` line,
  exit 4), never a traceback.

A module is imported only when its command is used, so ``sacred run`` pays nothing
for them. A name listed here whose module does not exist yet is not offered.
"""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

__all__ = ["TOOL_COMMANDS", "available_tools", "load_tool"]

#: command name -> module (in this package) that implements it, in help order.
TOOL_COMMANDS: dict[str, str] = {
    "runs": "runs",
    "show": "show",
    "compare": "compare",
    "rerun": "rerun",
    "worker": "worker",
    "ui": "ui",
}


def _module_name(command: str) -> str:
    return f"{__name__}.{TOOL_COMMANDS[command]}"


def available_tools() -> list[str]:
    """The tool commands whose module is installed, in help order."""
    return [name for name in TOOL_COMMANDS if importlib.util.find_spec(_module_name(name)) is not None]


def load_tool(command: str) -> ModuleType:
    """Import the module implementing ``command`` (a name from :func:`available_tools`)."""
    return importlib.import_module(_module_name(command))
