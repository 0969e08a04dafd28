"""Run a ``sacred`` store command in-process and capture what it prints."""

from __future__ import annotations

import contextlib
import io
from dataclasses import dataclass


@dataclass
class Result:
    """Exit code, stdout and stderr of one command."""

    ret: int
    out: str
    err: str


def sacred(*argv: str) -> Result:
    """``sacred ARGV...`` in this process."""
    from sacred_runner.main import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(list(argv), stdout=out)
    return Result(int(code), out.getvalue(), err.getvalue())
