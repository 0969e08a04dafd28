"""Sacred 0.8.7's capture API: ``get_stdcapturer(mode) -> (mode, capturer)``.

A thin adapter over :func:`sacred.capture.capture_output`::

    mode, capturer = get_stdcapturer("sys")
    with capturer() as out:
        print("hello")
        text = out.get()          # output since the previous get()
    out.final                     # everything captured, once the block ended
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sacred.capture import CAPTURE_MODES, capture_output
from sacred.settings import SETTINGS

__all__ = ["CAPTURE_MODES", "CapturedStdout", "get_stdcapturer", "no_tee", "tee_output_python", "tee_output_fd"]


class CapturedStdout:
    """What a capturer yields: ``get()`` new output, ``final`` all of it after the block."""

    def __init__(self, captured: object) -> None:
        self._captured = captured
        self._seen: list[str] = []
        self.final: str | None = None

    @property
    def closed(self) -> bool:
        """True once capturing has stopped."""
        return self.final is not None

    def get(self) -> str:
        """The output written since the previous call."""
        text = self._captured.read_new()  # type: ignore[attr-defined]
        self._seen.append(text)
        return text

    def flush(self) -> None:
        """Nothing to do: output is collected when read."""

    def finalize(self) -> None:
        """Collect what is left and set :attr:`final` to the whole captured text."""
        if self.final is None:
            self.get()
            self.final = "".join(self._seen)


def _capturer(mode: str) -> Callable[[], Any]:
    @contextmanager
    def capture() -> Iterator[CapturedStdout]:
        captured = capture_output(mode)
        result = CapturedStdout(captured)
        with captured:
            yield result
        result.finalize()

    capture.__name__ = {"no": "no_tee", "sys": "tee_output_python", "fd": "tee_output_fd"}[mode]
    capture.__doc__ = f"Capture stdout and stderr in mode {mode!r}."
    return capture


no_tee = _capturer("no")
tee_output_python = _capturer("sys")
tee_output_fd = _capturer("fd")
_CAPTURERS = {"no": no_tee, "sys": tee_output_python, "fd": tee_output_fd}


def get_stdcapturer(mode: str | None = None) -> tuple[str, Callable]:
    """``(mode, capturer)`` for ``mode`` (default ``SETTINGS.CAPTURE_MODE``).

    The modes are ``"no"``, ``"sys"`` and ``"fd"``; any other raises a
    ``KeyError`` naming the available ones.
    """
    mode = mode if mode is not None else SETTINGS.CAPTURE_MODE
    if mode not in _CAPTURERS:
        raise KeyError(f"Unknown capture mode {mode!r}. Available options are {sorted(_CAPTURERS)}")
    return mode, _CAPTURERS[mode]
