"""What a ``-n`` worker's run printed and logged, kept where it survives the worker's death.

The worker's stores are written from the worker, at each heartbeat: a
worker that dies (``os._exit``, a segfault, ``kill -9``) would take with it
the output and metric points since the last one. So, as ``--isolate`` does,
each is handed out of the process the moment it is produced: the run's
Python-level stdout/stderr writes and every metric point are appended (one
``write`` each, no buffering) to two files the runner shares with the
worker. The worker empties them when a task begins; the runner reads them
only when the worker died in the middle of a run, and records them with the
run's end (:func:`sacred_runner.launch.salvage.record_lost_run`).
Output written below Python (C extensions, subprocesses) is not spooled.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
from collections.abc import Iterator
from typing import Any

__all__ = ["SpoolTee", "TaskSpool", "read_spool", "spool_file"]


def spool_file() -> int:
    """An anonymous (already deleted) file opened for appending, to pass to a worker."""
    from sacred_runner.isolated_run import _points_file

    return _points_file()


class SpoolTee:
    """A text stream that appends every write to the spool ``fd``, then passes it to ``stream``."""

    def __init__(self, stream: Any, fd: int) -> None:
        self._stream = stream
        self._fd = fd

    def write(self, text: str) -> int:
        """Spool ``text`` at once, then write it to the wrapped stream."""
        if text:
            try:
                os.write(self._fd, text.encode("utf-8", "replace"))
            except (OSError, TypeError, AttributeError):
                pass
        return self._stream.write(text)

    def writelines(self, lines: Any) -> None:
        """Write each line."""
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class TaskSpool:
    """Worker side: the output and points files of the task being run."""

    def __init__(self, output_fd: int, points_fd: int) -> None:
        from sacred_runner.isolation import encode_point

        self.output_fd = output_fd
        self.points_fd = points_fd
        self._encode = encode_point

    def begin(self) -> None:
        """A new task: forget the previous one's output and points."""
        for fd in (self.output_fd, self.points_fd):
            os.ftruncate(fd, 0)

    def point(self, name: str, step: int, value: Any, timestamp: float) -> None:
        """Append one metric point as it is logged (``Run.stream_metrics`` listener)."""
        try:
            os.write(self.points_fd, self._encode(name, step, value, timestamp))
        except Exception:  # noqa: BLE001 - spooling must never fail the run (e.g. a value that does not pickle)
            pass

    @contextlib.contextmanager
    def teeing(self) -> Iterator[None]:
        """While the task runs, spool what is written to ``sys.stdout`` / ``sys.stderr``."""
        saved = sys.stdout, sys.stderr
        sys.stdout, sys.stderr = SpoolTee(saved[0], self.output_fd), SpoolTee(saved[1], self.output_fd)
        try:
            yield
        finally:
            sys.stdout, sys.stderr = saved


def read_spool(output_fd: int, points_fd: int) -> tuple[str, dict[str, dict[str, list]]]:
    """Runner side, after the worker died: ``(output text, metrics_by_name)`` of its last task."""
    from sacred_runner.isolation import PointReader

    chunks, offset = [], 0
    while True:
        data = os.pread(output_fd, 1 << 20, offset)
        if not data:
            break
        chunks.append(data)
        offset += len(data)
    text = b"".join(chunks).decode("utf-8", "replace")
    metrics: dict[str, dict[str, list]] = {}
    for point in PointReader(points_fd).read_new():
        series = metrics.setdefault(point.name, {"name": point.name, "steps": [], "values": [], "timestamps": []})
        series["steps"].append(point.step)
        series["values"].append(point.value)
        series["timestamps"].append(dt.datetime.fromtimestamp(point.timestamp, dt.UTC).replace(tzinfo=None))
    return text, metrics
