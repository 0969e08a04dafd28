"""Capture what a run writes to stdout and stderr (modes ``no``, ``sys``, ``fd``).

API, as ``sacred/run.py`` uses it::

    with capture_output(mode) as captured:   # mode: "no" | "sys" | "fd"
        ...                                  # the run; prints still reach the terminal
        text = captured.read_new()           # from any thread: output since the last call
    rest = captured.read_new()               # after exit: everything not read yet

* ``capture_output(mode)`` checks the mode (``ValueError`` naming the mode and
  the allowed ones) and returns a :class:`CapturedOutput`, which is its own
  context manager: entering starts capturing, leaving stops it, restores the
  streams and drains what is left, also when the body raises. ``start()`` and
  ``close()`` do the same without ``with``; ``close()`` may be called twice.
* ``read_new()`` is thread-safe (the heartbeat thread calls it while the main
  thread prints). Before reading it flushes Python's ``sys.stdout`` and
  ``sys.stderr`` (in ``fd`` mode also C stdio, ``fflush(NULL)``), so text that
  was printed before the call is part of its result. Each piece of output is
  returned exactly once, in the order it was written; stdout and stderr are
  interleaved in one text (in ``fd`` mode with the streams led to different
  places: each stream in order, interleaved as the reader finds them).
* ``no``: nothing is captured, ``read_new()`` returns ``""``.
* ``sys``: ``sys.stdout`` and ``sys.stderr`` are replaced by tee streams that
  write to the original stream and into the capture (text and ``.buffer``
  bytes). Output of C code and child processes is not seen.
* ``fd``: file descriptors 1 and 2 are pointed at pipes; a reader thread
  copies what each wrote to where it pointed before (so the terminal still
  shows it, and ``2>/dev/null`` or ``> out.txt`` still split the streams) and
  decodes it as UTF-8 (``errors="replace"``) into the capture. When both
  led to the same place they share one pipe and their exact write order. C-level
  writes and child processes are captured too. On close, the descriptors are
  restored and the pipe is drained until end of file, waiting at most
  ``drain_timeout`` seconds for child processes that still hold it open.
  POSIX only (it needs ``select.poll``).

Nested captures work: an inner capture writes through to the streams that
were current when it started, which may belong to an outer capture.
"""

from __future__ import annotations

import codecs
import collections
import logging
import os
import sys
import threading
import time
from types import TracebackType

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CAPTURE_MODES", "CapturedOutput", "capture_output", "flush_standard_streams"]

CAPTURE_MODES = ("no", "sys", "fd")
"""The capture modes ``capture_output`` accepts."""

DEFAULT_DRAIN_TIMEOUT = 1.0
"""Seconds ``fd`` capture waits at close for child processes to release the pipe."""

logger = logging.getLogger("sacred.capture")


def capture_output(mode: str, *, drain_timeout: float = DEFAULT_DRAIN_TIMEOUT) -> CapturedOutput:
    """Return a context manager that captures stdout/stderr in ``mode``.

    ``mode`` is one of ``"no"``, ``"sys"``, ``"fd"``; anything else raises a
    ``ValueError`` naming it. ``drain_timeout`` only matters for ``fd``: how
    long closing waits for the pipe to reach end of file.
    """
    if mode == "no":
        return CapturedOutput()
    if mode == "sys":
        return _SysCapture()
    if mode == "fd":
        if not isinstance(drain_timeout, int | float) or drain_timeout < 0:
            raise ValueError(f"drain_timeout must be a number >= 0, got {drain_timeout!r}")
        return _FdCapture(float(drain_timeout))
    allowed = ", ".join(repr(m) for m in CAPTURE_MODES)
    raise ValueError(f"Unknown capture mode {mode!r}; allowed capture modes are {allowed}")


class CapturedOutput:
    """Output captured during a run; the ``no`` mode captures nothing.

    Subclasses implement the ``sys`` and ``fd`` modes. Pieces of text are kept
    in a deque (append and popleft are atomic), so writers never take a lock
    to hand text to ``read_new``.
    """

    mode = "no"

    def __init__(self) -> None:
        self._pieces: collections.deque[str] = collections.deque()
        self._started = False
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once the capture was stopped and the streams restored."""
        return self._closed

    def start(self) -> CapturedOutput:
        """Start capturing (what ``with`` does on entry); returns ``self``."""
        if self._started:
            raise RuntimeError(f"this {self.mode!r} capture was already started")
        self._started = True
        self._start()
        return self

    def close(self) -> None:
        """Stop capturing, restore the streams and keep what is left for ``read_new``."""
        if not self._started or self._closed:
            return
        self._closed = True
        self._stop()

    def read_new(self) -> str:
        """Return the text written since the previous call (thread-safe)."""
        return "".join(self.read_new_pieces())

    def read_new_pieces(self) -> list[str]:
        """:meth:`read_new` as the pieces of text written, not joined (thread-safe).

        A caller that joins the new text with what it has already (the run's
        captured output, at each heartbeat) copies it once instead of twice:
        a chatty run's beat has megabytes of new output.
        """
        if self._started and not self._closed:
            self._collect_pending()
        pieces = self._pieces
        return [pieces.popleft() for _ in range(len(pieces))]

    def __enter__(self) -> CapturedOutput:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _start(self) -> None:
        """Begin capturing; the ``no`` mode has nothing to do."""

    def _stop(self) -> None:
        """Stop capturing; the ``no`` mode has nothing to do."""

    def _collect_pending(self) -> None:
        """Move output that was written but not yet captured into the deque."""


# --------------------------------------------------------------------- sys mode


class _Tee:
    """What both tees share: answers come from the stream they write through to."""

    _original: Any

    def writelines(self, lines: Any) -> None:
        """Write each item of ``lines``."""
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        """Flush the original stream."""
        if self._original is not None:
            self._original.flush()

    def writable(self) -> bool:
        """A tee is always writable."""
        return True

    def __getattr__(self, name: str) -> Any:
        original = self.__dict__.get("_original")
        if original is None:
            raise AttributeError(name)
        return getattr(original, name)


class _TeeBinaryStream(_Tee):
    """``sys.stdout.buffer`` stand-in: bytes go to the original buffer and, decoded, to the capture."""

    def __init__(self, original: Any, append: Any, encoding: str) -> None:
        self._original = original
        self._append = append
        self._decoder = codecs.getincrementaldecoder(encoding)(errors="replace")

    def write(self, data: Any) -> int:
        """Write bytes to the original buffer and decode them into the capture."""
        data = bytes(data)
        text = self._decoder.decode(data)
        if text:
            self._append(text)
        if self._original is not None:
            self._original.write(data)
        return len(data)


class _TeeTextStream(_Tee):
    """Replacement for ``sys.stdout``/``sys.stderr`` in ``sys`` mode.

    Text goes into the capture first, then to the stream that was current
    when the capture started. Anything else (``fileno``, ``isatty``,
    ``encoding``, ...) is answered by that original stream.
    """

    def __init__(self, original: Any, append: Any) -> None:
        self._original = original
        self._append = append
        self._binary: _TeeBinaryStream | None = None

    @property
    def original(self) -> Any:
        """The stream this tee writes through to."""
        return self._original

    def write(self, text: str) -> int:
        """Capture ``text`` and write it to the original stream."""
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self._append(text)
        if self._original is not None:
            self._original.write(text)
        return len(text)

    @property
    def buffer(self) -> _TeeBinaryStream:
        """Binary view whose writes are captured as well."""
        if self._binary is None:
            original_buffer = getattr(self._original, "buffer", None)
            encoding = getattr(self._original, "encoding", None) or "utf-8"
            self._binary = _TeeBinaryStream(original_buffer, self._append, encoding)
        return self._binary


class _SysCapture(CapturedOutput):
    """``sys`` mode: tee ``sys.stdout`` and ``sys.stderr`` into the capture."""

    mode = "sys"

    def _start(self) -> None:
        self._saved_stdout = sys.stdout
        self._saved_stderr = sys.stderr
        append = self._pieces.append
        sys.stdout = _TeeTextStream(self._saved_stdout, append)
        sys.stderr = _TeeTextStream(self._saved_stderr, append)

    def _stop(self) -> None:
        try:
            flush_standard_streams()
        finally:
            sys.stdout = self._saved_stdout
            sys.stderr = self._saved_stderr

    def _collect_pending(self) -> None:
        flush_standard_streams()


# ---------------------------------------------------------------------- fd mode

_READ_SIZE = 1 << 20
_PIPE_SIZE = 1 << 20
_POLL_INTERVAL_MS = 200
_BATCH_SECONDS = 0.002
_BATCH_BELOW_BYTES = 1 << 15
_MAX_READS_PER_COLLECT = 64
_ECHO_WAIT_SECONDS = 10.0
_COLLECT_WAIT_SECONDS = 0.1  # read_new waits this long for the reader thread, then takes what it has
_FIRST_READ_DELAY = 0.005  # the reader's first look at a single pipe (a shorter capture drains it at close)


class _Channel:
    """One pipe of ``fd`` capture: what its descriptors wrote, echoed to where they pointed before."""

    __slots__ = ("read_fd", "echo_fd", "decoder", "at_eof", "partial_line")

    def __init__(self, read_fd: int, echo_fd: int | None) -> None:
        self.read_fd: int | None = read_fd
        self.echo_fd = echo_fd
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.at_eof = False
        self.partial_line = ""  # with two pipes: the unfinished last line, held back


class _FdCapture(CapturedOutput):
    """``fd`` mode: descriptors 1 and 2 write into pipes drained by a reader thread.

    When stdout and stderr lead to the same place (one terminal, one file, as
    with ``2>&1``), both descriptors share one pipe, so the capture keeps their
    exact write order and the echo lands where both went anyway. When they lead
    to different places (``2>/dev/null``, ``> out.txt``), each gets its own pipe
    echoed to its own original descriptor, as 0.8.7 keeps them apart; their
    lines then enter the capture in the order the reader finds them, each line
    whole (``print`` without buffering writes the text and its newline
    separately: an unfinished line waits for its end, or for ``read_new``).

    Reading the pipes (by the reader thread, or by ``read_new`` to pick up
    what was just flushed) always happens under ``_read_lock``, together with
    the echo and the decoding, so the order of each stream is kept.
    """

    mode = "fd"

    def __init__(self, drain_timeout: float) -> None:
        super().__init__()
        self._drain_timeout = drain_timeout
        self._read_lock = threading.Lock()
        self._channels: list[_Channel] = []
        self._saved_fds: dict[int, int | None] = {}
        self._bytes_last_read = 0
        self._give_up_at: float | None = None
        self._notes: list[str] = []
        self._pump_done = threading.Event()
        self._closing = threading.Event()
        self._pump_started = False
        self._pump_polling = False  # under _read_lock: the reader thread polls the read ends
        self._fds_left_to_pump: list[int] = []

    def _start(self) -> None:
        import select

        if not hasattr(select, "poll"):
            raise ValueError("capture mode 'fd' needs select.poll(); use 'sys' on this platform")
        flush_standard_streams(c_level=True)
        self._saved_fds = {fd: _dup_if_open(fd) for fd in (1, 2)}
        try:
            for fds, echo_fd in _pipe_groups(self._saved_fds):
                self._channels.append(_Channel(_redirect_into_pipe(fds), echo_fd))
            self._pump_started = True
            _reader_threads().run(self._pump_job)
        except BaseException:  # no pipe, or no thread to read it: leave the descriptors as they were
            self._pump_started = self._pump_polling = False
            self._restore_fds()
            self._close_saved_fds()
            self._close_read_ends()
            raise

    def _stop(self) -> None:
        try:
            flush_standard_streams(c_level=True)
        finally:
            self._restore_fds()
            # Nobody else holds the pipes in the common case: drain them to their end
            # here rather than wait for the reader thread to be scheduled and find it.
            with self._read_lock:
                drained = not self._read_available(_MAX_READS_PER_COLLECT)
            try:
                if not drained:  # a child process still writes: the reader waits for it
                    self._closing.set()  # (a reader still waiting for its first look starts now)
                    logger.debug("fd capture: the pipe is still open at close; waiting up to %gs "
                                 "for its end (a child process may hold it)", self._drain_timeout)
                    self._give_up_at = time.monotonic() + self._drain_timeout
                    if self._pump_started:
                        self._pump_done.wait(self._drain_timeout + _POLL_INTERVAL_MS / 1000 + 5)
            finally:
                self._release_pipe(drained)

    def _pump_job(self) -> None:
        try:
            self._pump()
        finally:
            with self._read_lock:
                self._pump_polling = False
                for fd in self._fds_left_to_pump:
                    os.close(fd)
                self._fds_left_to_pump = []
            self._pump_done.set()

    def _close_read_ends(self) -> None:
        """Stop reading and echoing (lock held); close the read ends the reader thread no longer polls.

        While the reader thread may still poll them, it closes them itself when
        it stops: closed here, their numbers could be taken at once by the
        next capture's pipe, its write end even, and a poll that holds that
        write end keeps the next pipe from reaching end of file until the poll
        times out: the next run's close stalled 200 ms (one run in 25 of a
        loop of short runs).
        """
        for channel in self._channels:
            if channel.read_fd is not None:
                if self._pump_polling:
                    self._fds_left_to_pump.append(channel.read_fd)
                else:
                    os.close(channel.read_fd)
                channel.read_fd = None
            channel.echo_fd = None

    def _release_pipe(self, drained: bool = False) -> None:
        """Close the read ends and the saved descriptors; log what went wrong on the way."""
        with self._read_lock:
            self._close_read_ends()
            self._finish_decoding()
        self._close_saved_fds()
        if not drained and self._pump_started and not self._pump_done.is_set():
            self._notes.append("the capture reader thread did not stop in time")
        for note in self._notes:
            logger.debug("fd capture: %s", note)

    def _collect_pending(self) -> None:
        flush_standard_streams(c_level=True)
        # The reader thread holds the lock while it reads and echoes. When the echo is
        # stuck (the original stdout is a pipe nobody reads), waiting for the lock would
        # stop the heartbeats, and with them metric deliveries and liveness, until the
        # reader of that pipe goes on; what the reader thread reads it hands over itself.
        if not self._read_lock.acquire(timeout=_COLLECT_WAIT_SECONDS):
            return
        try:
            self._read_available(_MAX_READS_PER_COLLECT)
            self._release_partial_lines()
        finally:
            self._read_lock.release()

    def _release_partial_lines(self) -> None:
        """Hand over the unfinished lines held back (lock held): everything written is asked for."""
        for channel in self._channels:
            if channel.partial_line:
                self._pieces.append(channel.partial_line)
                channel.partial_line = ""

    def _close_saved_fds(self) -> None:
        for saved in self._saved_fds.values():
            if saved is not None:
                os.close(saved)
        self._saved_fds = {}

    def _restore_fds(self) -> None:
        for fd, saved in self._saved_fds.items():
            if saved is not None:
                os.dup2(saved, fd)
            else:
                try:
                    os.close(fd)
                except OSError:
                    pass

    def _pump(self) -> None:
        """Reader thread: wait for data, copy it until end of file or the give-up time."""
        import select

        # With one pipe, a short capture (a short run) is drained by its close: the
        # reader thread then never takes the GIL from the run to read a line or two,
        # and is not woken by the close either (it finds the capture closed when it
        # looks). With two pipes it reads at once: the order it finds lines in is the
        # order the capture keeps across them, and a close drains one pipe, then the
        # other (a short run's log lines on stderr all came after its prints).
        if len(self._channels) == 1:
            self._closing.wait(_FIRST_READ_DELAY)
        with self._read_lock:
            if not any(channel.read_fd is not None for channel in self._channels):
                return  # closed before the first look: the close has read and closed the pipes
            poller = select.poll()
            for channel in self._channels:
                if channel.read_fd is not None:
                    poller.register(channel.read_fd, select.POLLIN)
            self._pump_polling = True  # from now on the read ends are closed by this thread
        while self._pump_once(poller):
            pass

    def _pump_once(self, poller: Any) -> bool:
        """Wait for data and copy it; False when the reader thread should stop."""
        try:
            poller.poll(_POLL_INTERVAL_MS)
            with self._read_lock:
                if not self._read_available(_MAX_READS_PER_COLLECT):
                    return False
                give_up_at = self._give_up_at
                if give_up_at is not None and time.monotonic() >= give_up_at:
                    self._read_available(_MAX_READS_PER_COLLECT)
                    self._notes.append(
                        f"stopped reading after {self._drain_timeout:g}s without end of "
                        "file; a child process probably still holds stdout/stderr "
                        "(its later output is not captured)"
                    )
                    return False
        except Exception as err:  # noqa: BLE001 - the pipe must keep draining
            # Stopping here would leave writers blocked on a full pipe.
            if len(self._notes) < 10:
                self._notes.append(f"reading the pipe failed: {type(err).__name__}: {err}")
            time.sleep(_POLL_INTERVAL_MS / 1000)
            return self._give_up_at is None or time.monotonic() < self._give_up_at
        if give_up_at is None and self._bytes_last_read < _BATCH_BELOW_BYTES:
            # Let small writes pile up: one large read costs far less
            # (GIL, syscalls, echo) than many small ones.
            time.sleep(_BATCH_SECONDS)
        return True

    def _read_available(self, max_reads: int) -> bool:
        """Read what the pipes hold now (lock held); False once all reached end of file."""
        self._bytes_last_read = 0
        open_left = False
        for channel in self._channels:
            if self._read_channel(channel, max_reads):
                open_left = True
        return open_left

    def _read_channel(self, channel: _Channel, max_reads: int) -> bool:
        """Read what one pipe holds now; False once it reached end of file."""
        if channel.read_fd is None or channel.at_eof:
            return False
        for _ in range(max_reads):
            try:
                data = os.read(channel.read_fd, _READ_SIZE)
            except BlockingIOError:
                return True
            if not data:
                channel.at_eof = True
                return False
            self._bytes_last_read += len(data)
            self._echo(channel, data)
            self._add_text(channel, channel.decoder.decode(data))
        return True

    def _add_text(self, channel: _Channel, text: str) -> None:
        """Put decoded text into the capture; with two pipes, whole lines only."""
        if len(self._channels) > 1:
            text = channel.partial_line + text
            end = text.rfind("\n") + 1
            text, channel.partial_line = text[:end], text[end:]
        if text:
            self._pieces.append(text)

    def _finish_decoding(self) -> None:
        for channel in self._channels:
            self._add_text(channel, channel.decoder.decode(b"", final=True))
        self._release_partial_lines()

    def _echo(self, channel: _Channel, data: bytes) -> None:
        """Write ``data`` to the channel's original descriptor; stop echoing if it is gone."""
        if channel.echo_fd is None:
            return
        try:
            _write_all(channel.echo_fd, data)
        except OSError as err:
            self._notes.append(f"stopped copying output to the original descriptor: {err}")
            channel.echo_fd = None


def _pipe_groups(saved: dict[int, int | None]) -> list[tuple[tuple[int, ...], int | None]]:
    """Which descriptors share a pipe, and where each pipe is echoed.

    ``saved`` maps 1 and 2 to copies of what they pointed at (None: closed).
    One pipe when both lead to the same file, terminal or pipe; else one each.
    """
    out, err = saved[1], saved[2]
    if out is not None and err is not None and os.path.samestat(os.fstat(out), os.fstat(err)):
        return [((1, 2), out)]
    return [((1,), out), ((2,), err)]


def _redirect_into_pipe(fds: tuple[int, ...]) -> int:
    """Point ``fds`` at the write end of a new pipe; return its non-blocking read end."""
    read_fd, write_fd = (_move_above_standard_fds(fd) for fd in os.pipe())
    try:
        _enlarge_pipe(write_fd)
        os.set_blocking(read_fd, False)
        for fd in fds:
            os.dup2(write_fd, fd)
    except OSError:
        os.close(read_fd)
        raise
    finally:
        os.close(write_fd)
    return read_fd


def _reader_threads() -> Any:
    """The process's capture reader threads (a finished one waits 1 s for the next capture)."""
    from sacred._threads import parked_threads

    return parked_threads("sacred-capture-fd")


def _dup_if_open(fd: int) -> int | None:
    """A close-on-exec copy of ``fd`` numbered above 2, or None when ``fd`` is closed."""
    import fcntl

    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    except OSError:
        return None


def _move_above_standard_fds(fd: int) -> int:
    """Renumber ``fd`` above 2 (it lands on 0-2 when those were closed at start)."""
    if fd > 2:
        return fd
    import fcntl

    try:
        return fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 3)
    finally:
        os.close(fd)


def _enlarge_pipe(fd: int) -> None:
    """Make the pipe hold more, so writers block less while the reader catches up."""
    try:
        import fcntl

        set_size = getattr(fcntl, "F_SETPIPE_SZ", None)
        if set_size is not None:
            fcntl.fcntl(fd, set_size, _PIPE_SIZE)
    except OSError:
        pass  # above /proc/sys/fs/pipe-max-size: the default size works too


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` to ``fd``, also when it is non-blocking."""
    import select

    view = memoryview(data)
    deadline = time.monotonic() + _ECHO_WAIT_SECONDS
    while view:
        try:
            written = os.write(fd, view)
        except BlockingIOError:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise OSError(
                    f"original stdout accepted no data for {_ECHO_WAIT_SECONDS:g}s"
                ) from None
            select.select([], [fd], [], remaining)
            continue
        view = view[written:]


# ------------------------------------------------------------------- flushing

def _flush_c_stdio() -> None:
    """Call ``fflush(NULL)`` so text buffered by C code reaches its descriptor."""
    from sacred._libc import libc_function

    fflush = libc_function("fflush", ("c_void_p",))
    if fflush is not None:
        fflush(None)


def flush_standard_streams(c_level: bool = False) -> None:
    """Flush ``sys.stdout``/``sys.stderr`` (and their originals); with ``c_level`` also C stdio."""
    seen: set[int] = set()
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        if stream is None or id(stream) in seen:
            continue
        seen.add(id(stream))
        try:
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass  # closed or exotic stream: nothing buffered we could deliver
    if c_level:
        _flush_c_stdio()
