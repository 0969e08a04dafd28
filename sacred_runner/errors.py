"""Exit codes (as pytest's) and the error type for user mistakes."""

from __future__ import annotations

import enum

__all__ = ["ExitCode", "UsageError"]


class ExitCode(enum.IntEnum):
    """Process exit codes of the ``sacred`` command, numbered as pytest numbers them."""

    OK = 0
    RUNS_FAILED = 1
    INTERRUPTED = 2
    INTERNAL_ERROR = 3
    USAGE_ERROR = 4
    NO_RUNS_COLLECTED = 5
    TERMINATED = 143  # SIGTERM stopped the session (128 + 15, as a shell reports it)


class UsageError(Exception):
    """The user asked for something invalid; reported as one clear message, exit code 4."""
