"""The command line of an experiment file: grammar, values, usage, and the run flow.

This package turns ``argv`` into a run: it parses ``[COMMAND] [with UPDATES] [FLAGS]``,
prints usage and errors, and calls the command. The commands themselves live in
:mod:`sacred.commands`; the flags (built-in and ``@cli_option``) in
:mod:`sacred.commandline_options`.

``sacred.commandline.main.run_commandline(experiment, argv)`` is what
``Experiment.run_commandline`` and ``automain`` call.
"""

from sacred.commandline.errors import CommandLineError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CommandLineError", "run_commandline", "get_usage"]


def run_commandline(experiment: "Any", argv: "Any" = None) -> "Any":
    """Run the command-line interface of ``experiment`` (see ``main.run_commandline``)."""
    from sacred.commandline.main import run_commandline as _run_commandline

    return _run_commandline(experiment, argv)


def get_usage(experiment: "Any", program_name: str | None = None) -> tuple[str, str]:
    """``(short_usage, full_usage)`` of ``experiment`` (see ``usage.get_usage``)."""
    from sacred.commandline.usage import get_usage as _get_usage

    return _get_usage(experiment, program_name)
