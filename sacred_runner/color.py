"""``--color=yes|no|auto``: one definition for every ``sacred`` command that prints.

``sacred run`` and ``sacred worker`` hand the choice to the terminal reporter
(rich: a live display on a terminal); the store commands (``runs``, ``show``,
``compare``, ``rerun``, ``ui``) color run statuses and verdicts with plain
ANSI codes. ``auto`` colors only a terminal and honours ``NO_COLOR``; ``yes``
colors into a pipe or file too; ``no`` never colors.
"""

from __future__ import annotations

import os
from typing import Any

__all__ = ["COLOR_CHOICES", "STATUS_STYLES", "add_color_option", "paint", "paint_status", "wants_color"]

COLOR_CHOICES = ("yes", "no", "auto")

#: The color of each run status (as the terminal reporter shows them).
STATUS_STYLES = {
    "COMPLETED": "green", "RUNNING": "cyan", "QUEUED": "blue", "INTERRUPTED": "yellow",
    "FAILED": "red", "DEAD": "red", "BROKEN": "red", "TIMEOUT": "red",
}
_CODES = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "cyan": "36", "bold": "1"}


def add_color_option(container: Any, what: str = "colored terminal output") -> None:
    """Add ``--color {yes,no,auto}`` (default ``auto``) to a parser or argument group."""
    container.add_argument("--color", choices=COLOR_CHOICES, default="auto",
                           help=f"{what}: yes, no, auto (default: auto: only on a terminal, not with NO_COLOR)")


def wants_color(choice: str | None, stream: Any) -> bool:
    """Whether to color what goes to ``stream`` for ``--color=choice``."""
    if choice == "yes":
        return True
    if choice == "no":
        return False
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


def paint(text: str, style: str | None, enabled: bool) -> str:
    """``text`` in ``style`` (a name of :data:`_CODES`) when ``enabled``, else unchanged."""
    code = _CODES.get(style or "")
    if not enabled or not code or not text:
        return text
    return f"\x1b[{code}m{text}\x1b[0m"


def paint_status(text: str, status: str | None, enabled: bool) -> str:
    """``text`` (a cell holding ``status``, maybe padded) in the status's color."""
    return paint(text, STATUS_STYLES.get(str(status or "").strip()), enabled)
