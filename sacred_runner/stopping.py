"""SIGTERM to ``sacred run``: stop like Ctrl+C, but say SIGTERM and exit 143 as a shell expects.

A scheduler or ``kill`` sends SIGTERM to the runner alone. For the length of
a session :class:`SigTermAsInterrupt` turns it into what Ctrl+C does (the
current SIGINT handler runs: a run in this process is interrupted and
recorded INTERRUPTED, ``-n`` pools and ``--isolate`` stop their children the
same way) and notes that SIGTERM did it, so that the session ends with
:data:`SIGTERM_EXIT_CODE` and its summary names the signal. Launchers that
take SIGTERM over themselves while children run (``--isolate``) call
:func:`note_signal` too. Ctrl+C stays exit 2, like pytest.
"""

from __future__ import annotations

import signal
import threading
from typing import Any

__all__ = ["SIGTERM_EXIT_CODE", "SigTermAsInterrupt", "note_signal", "stop_signal"]

#: 128 + SIGTERM: what a shell reports for a process ended by SIGTERM.
SIGTERM_EXIT_CODE = 128 + int(signal.SIGTERM)

_stopped_by: list[str] = []


def note_signal(name: str) -> None:
    """Remember that signal ``name`` (e.g. ``"SIGTERM"``) stopped the session (the first one counts)."""
    if not _stopped_by:
        _stopped_by.append(name)


def stop_signal() -> str | None:
    """The signal that stopped the current session (None: none, or Ctrl+C)."""
    return _stopped_by[0] if _stopped_by else None


class SigTermAsInterrupt:
    """Within the block (main thread only), SIGTERM is noted and handled as SIGINT is."""

    def __init__(self) -> None:
        self._previous: Any = None
        self._installed = False

    def __enter__(self) -> SigTermAsInterrupt:
        _stopped_by.clear()
        if threading.current_thread() is threading.main_thread():
            try:
                self._previous = signal.signal(signal.SIGTERM, self._on_sigterm)
                self._installed = True
            except (ValueError, OSError):
                pass
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if self._installed:
            signal.signal(signal.SIGTERM, self._previous if self._previous is not None else signal.SIG_DFL)
            self._installed = False

    @staticmethod
    def _on_sigterm(signum: int, frame: Any) -> None:
        note_signal("SIGTERM")
        handler = signal.getsignal(signal.SIGINT)
        if callable(handler):
            handler(signal.SIGINT, frame)
            return
        # SIGINT ignored (a background job of a script) or default: stop all the same
        raise KeyboardInterrupt
