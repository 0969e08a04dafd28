"""A reader of the standard output that went away (``sacred show 2 | head -1``): exit quietly.

When the reader of a pipe exits, the next write fails with BrokenPipeError.
As the Python documentation recommends, the standard output is then pointed
at ``os.devnull``, so the interpreter's final flush of what is still buffered
neither fails nor prints a second traceback; the command then ends quietly,
as ``git log | head`` does.
"""

from __future__ import annotations

import os
import sys

__all__ = ["BROKEN_PIPE_EXIT", "discard_stdout"]

#: the exit code after the reader went away: 128 + SIGPIPE, as a shell reports a process killed by it
BROKEN_PIPE_EXIT = 141


def discard_stdout() -> None:
    """Point file descriptor 1 (the standard output's) at ``os.devnull``."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, ValueError, OSError):  # replaced by an in-memory stream, or closed
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
    finally:
        os.close(devnull)
