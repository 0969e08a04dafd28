"""What runs print while the live display draws: routed above it, line by line.

While the live display is on, the terminal belongs to the reporter. The
process's standard output and error (file descriptors 1 and 2, so also what
``capture=fd``, subprocesses and C code write) go into a pipe instead; a
reader thread turns the bytes into clean lines and hands them to the
reporter, which prints them above the live region. The reporter itself
writes to a duplicate of the real terminal.

Turning bytes into lines works as a terminal would show them: ``\\r``
returns to the start of the line and later text overwrites it (progress
bars such as tqdm's end up as their final state), ``\\b`` steps back, and
``\\n`` ends the line. Escape sequences and other control characters are
dropped so that nothing a run prints can move the cursor or garble the
display; undecodable bytes show as U+FFFD. A line longer than
:data:`MAX_SHOWN_CHARACTERS` is cut, saying how much was left out (the
stored run keeps the whole output).
"""

from __future__ import annotations

import codecs
import os
import re
import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

__all__ = ["LineAssembler", "OutputRouter", "MAX_SHOWN_CHARACTERS", "SYNC_MARK", "fileno_of", "printable_lines",
           "printable_line"]

MAX_SHOWN_CHARACTERS = 2000
READ_SIZE = 65536
STOP_TIMEOUT_SECONDS = 5.0
SYNC_TIMEOUT_SECONDS = 2.0
# written by OutputRouter.sync (a private-use character no run prints): ends an unfinished line
SYNC_MARK = "\U0010fffd"


class LineAssembler:
    """Turn decoded text, fed in pieces of any size, into finished display lines.

    :meth:`feed` returns the lines finished by ``text``; :attr:`partial`
    is the unfinished line as a terminal would show it now.
    """

    def __init__(self, max_shown: int = MAX_SHOWN_CHARACTERS) -> None:
        self.max_shown = max_shown
        self._line: list[str] = []
        self._cursor = 0
        self._left_out = 0  # characters beyond max_shown on the current line
        self._escape = ""  # "" (text), "esc", "csi", "osc" or "osc-esc": inside an escape sequence
        self.syncs = 0  # sync marks seen

    @property
    def partial(self) -> str:
        """The current, unfinished line."""
        return self._finish_text()

    def _finish_text(self) -> str:
        text = "".join(self._line)
        if self._left_out:
            text += f" … [{self._left_out} more characters not shown]"
        return text

    def take_partial(self) -> str | None:
        """End the current line (output without a trailing newline); None if it is empty."""
        if not self._line and not self._left_out:
            return None
        text = self._finish_text()
        self._line, self._cursor, self._left_out = [], 0, 0
        return text

    def feed(self, text: str) -> list[str]:
        """Consume ``text``; return the lines it finished."""
        finished: list[str] = []
        for char in text:
            if char == SYNC_MARK:
                self.syncs += 1
                self._escape = ""
                rest = self.take_partial()
                if rest is not None:
                    finished.append(rest)
            elif self._escape:
                self._skip_escape(char)
            elif char == "\n":
                finished.append(self._finish_text())
                self._line, self._cursor, self._left_out = [], 0, 0
            elif char == "\r":
                self._cursor = 0
            elif char == "\b":
                self._cursor = max(0, self._cursor - 1)
            elif char == "\x1b":
                self._escape = "esc"
            elif char == "\t" or not _is_control(char):
                self._put(char)
        return finished

    def _put(self, char: str) -> None:
        if self._cursor < len(self._line):
            self._line[self._cursor] = char
        elif len(self._line) < self.max_shown:
            self._line.append(char)
        else:
            self._left_out += 1
            return
        self._cursor += 1

    def _skip_escape(self, char: str) -> None:
        state = self._escape
        if state == "esc":
            self._escape = {"[": "csi", "]": "osc"}.get(char, "")
        elif state == "csi":
            if "\x40" <= char <= "\x7e":  # the final byte ends a control sequence
                self._escape = ""
        elif state == "osc":
            if char == "\x07":
                self._escape = ""
            elif char == "\x1b":
                self._escape = "osc-esc"
        else:  # "osc-esc": ESC \ (string terminator) ends an OSC string
            self._escape = "" if char == "\\" else "osc"


def _is_control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code < 0xA0


#: what makes a text need the :class:`LineAssembler` (control characters but tab and newline; the sync mark)
_NEEDS_ASSEMBLY = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f" + SYNC_MARK + "]")


def printable_lines(text: str, max_shown: int | None = MAX_SHOWN_CHARACTERS) -> list[str]:
    """Stored ``text`` as the live display shows it: escape sequences and control characters dropped,
    ``\r`` and ``\b`` applied, each line cut at ``max_shown`` characters with a note (None: not cut).

    Text without control characters (the usual case) is split and cut without
    walking it character by character.
    """
    limit = sys.maxsize if max_shown is None else max_shown
    if _NEEDS_ASSEMBLY.search(text) is None:
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        return [line if len(line) <= limit else
                f"{line[:limit]} … [{len(line) - limit} more characters not shown]" for line in lines]
    assembler = LineAssembler(limit)
    lines = assembler.feed(text)
    rest = assembler.take_partial()
    return lines if rest is None else [*lines, rest]


def printable_line(text: str, max_shown: int | None = None) -> str:
    """``text`` on one line that cannot move the cursor or retitle the terminal (see :func:`printable_lines`):
    line breaks become spaces."""
    if _NEEDS_ASSEMBLY.search(text) is None and "\n" not in text:
        return text if max_shown is None or len(text) <= max_shown else printable_lines(text, max_shown)[0]
    return " ".join(printable_lines(text, max_shown))


class _Channel:
    """A pipe standing in for file descriptors: its reader thread and line assembler."""

    def __init__(self, fds: tuple[int, ...]) -> None:
        self.fds = fds
        self.assembler = LineAssembler()
        self.saved: dict[int, int] = {}
        self.read_fd: int | None = None
        self.thread: threading.Thread | None = None
        self.synced = threading.Event()


class OutputRouter:
    """Take over file descriptors 1 and 2 and hand what is written there, as lines, to ``emit``.

    Both descriptors share one pipe, so lines keep the order in which they
    were written, as on a terminal (and as ``capture=fd`` records them).
    ``emit(lines)`` is called from the reader thread with a batch of
    finished lines.
    """

    def __init__(self, emit: Callable[[list[str]], None]) -> None:
        self.emit = emit
        self._lock = threading.Lock()
        self._emit_lock = threading.Lock()
        self._channels: list[_Channel] = []
        self.terminal: TextIO | None = None

    @property
    def partial(self) -> list[str]:
        """The unfinished lines runs are printing (e.g. a progress bar), as shown now."""
        with self._lock:
            return [text for text in (c.assembler.partial for c in self._channels) if text]

    @property
    def active(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return bool(self._channels)

    def start(self, terminal_fd: int) -> TextIO:
        """Redirect fds 1 and 2 into one pipe; return a text stream writing to the real terminal."""
        _flush_std_streams()
        self.terminal = os.fdopen(os.dup(terminal_fd), "w", encoding="utf-8", errors="replace", closefd=True)
        channel = _Channel((1, 2))
        self._channels.append(channel)  # from here on stop() restores whatever was redirected
        read_fd, write_fd = os.pipe()
        channel.read_fd = read_fd
        try:
            for fd in channel.fds:
                channel.saved[fd] = os.dup(fd)
                os.dup2(write_fd, fd)
        finally:
            os.close(write_fd)
        channel.thread = threading.Thread(target=self._pump, args=(channel,), name="sacred-run-output", daemon=True)
        channel.thread.start()
        return self.terminal

    def sync(self) -> None:
        """Wait (bounded) until everything written so far is handed on; end unfinished lines."""
        if not self.active:
            return
        _flush_std_streams()
        for channel in self._channels:
            channel.synced.clear()
            try:
                os.write(channel.fds[0], SYNC_MARK.encode())
            except OSError:
                channel.synced.set()
        for channel in self._channels:
            channel.synced.wait(SYNC_TIMEOUT_SECONDS)

    def stop(self) -> None:
        """Give fds 1 and 2 back, hand on what is left (also unfinished last lines)."""
        if not self.active:
            return
        _flush_std_streams()
        for channel in self._channels:
            for fd, saved in channel.saved.items():
                os.dup2(saved, fd)
                os.close(saved)
            channel.saved.clear()
        for channel in self._channels:
            if channel.thread is not None:
                # ends at end of file, unless a leftover child process still holds the pipe open
                channel.thread.join(STOP_TIMEOUT_SECONDS)
            elif channel.read_fd is not None:  # start() failed before the reader began
                os.close(channel.read_fd)
        with self._lock:
            rest = [text for text in (c.assembler.take_partial() for c in self._channels) if text is not None]
        self._channels = []
        if rest:
            with self._emit_lock:
                self.emit(rest)

    def close_terminal(self) -> None:
        """Close the duplicate of the terminal :meth:`start` returned."""
        if self.terminal is not None:
            try:
                self.terminal.close()
            except OSError:
                pass
            self.terminal = None

    def _pump(self, channel: _Channel) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        read_fd = channel.read_fd
        assert read_fd is not None
        try:
            while True:
                data = os.read(read_fd, READ_SIZE)
                if not data:
                    break
                self._consume(channel, decoder.decode(data))
            self._consume(channel, decoder.decode(b"", final=True))
        except OSError:
            pass
        finally:
            os.close(read_fd)

    def _consume(self, channel: _Channel, text: str) -> None:
        with self._lock:
            syncs = channel.assembler.syncs
            lines = channel.assembler.feed(text)
            synced = channel.assembler.syncs != syncs
        if lines:
            with self._emit_lock:  # one batch at a time; not under _lock, which the display reads
                self.emit(lines)
        if synced:
            channel.synced.set()


def _flush_std_streams() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError, AttributeError):
            pass


def fileno_of(stream: Any) -> int | None:
    """The file descriptor behind ``stream`` (None if it has none)."""
    try:
        return int(stream.fileno())
    except (AttributeError, ValueError, OSError):
        return None
