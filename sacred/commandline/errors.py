"""The error the command line raises for input it cannot accept."""

from __future__ import annotations

from sacred.utils import SacredError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CommandLineError"]


class CommandLineError(SacredError):
    """Bad command-line input: an unknown flag or command, a missing value, ...

    The message names the offending input and what would be accepted;
    ``print_usage`` asks the caller to show the short usage text with it.
    """

    def __init__(self, message: str, print_usage: bool = False, **kwargs: Any) -> None:
        super().__init__(message, print_usage=print_usage, **kwargs)
