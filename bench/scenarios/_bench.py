"""Shared plumbing for scenario scripts: arguments, timing and the result file.

Scenario scripts run under both packages' interpreters, so this module uses
only the standard library and the documented public API of sacred.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from pathlib import Path

clock = time.perf_counter


class Result:
    """Measurements and completeness checks of one scenario invocation."""

    def __init__(self) -> None:
        self.metrics: dict[str, dict] = {}
        self.checks: dict[str, dict] = {}

    def metric(self, name: str, value: float, unit: str, better: str = "lower") -> None:
        """Record a figure; ``better`` is ``"lower"`` or ``"higher"``."""
        if better not in ("lower", "higher"):
            raise ValueError(f"better must be 'lower' or 'higher', got {better!r}")
        self.metrics[name] = {"value": float(value), "unit": unit, "better": better}

    def check(self, name: str, ok: bool, detail: str, lost: int = 0) -> None:
        """Record a completeness check; ``lost`` counts items missing from storage."""
        self.checks[name] = {"ok": bool(ok), "detail": detail, "lost": int(lost)}

    def write(self, path: str) -> None:
        """Write the result as JSON to ``path``."""
        Path(path).write_text(json.dumps({"metrics": self.metrics, "checks": self.checks}))


def parse_args(description: str, **extra: dict) -> argparse.Namespace:
    """Parse the arguments every scenario takes, plus ``extra`` name -> add_argument kwargs."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--out", required=True, help="where to write the result JSON")
    parser.add_argument("--workdir", required=True, help="scratch directory for stores")
    parser.add_argument("--quick", action="store_true", help="fewer repeats, smaller sizes")
    parser.add_argument("--rep", type=int, default=0, help="repetition number (alternates order)")
    for name, kwargs in extra.items():
        parser.add_argument(f"--{name}", **kwargs)
    return parser.parse_args()


def median(values: list[float]) -> float:
    """Median of a non-empty list."""
    return statistics.median(values)


def dir_size(path: str) -> int:
    """Total bytes of all files below ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for name in files:
            total += os.path.getsize(os.path.join(root, name))
    return total


def only_run_dir(basedir: str) -> str:
    """The single numbered run directory of a FileStorage ``basedir``."""
    runs = [d for d in os.listdir(basedir) if d.isdigit()]
    if len(runs) != 1:
        raise RuntimeError(f"expected exactly one run in {basedir}, found {sorted(runs)}")
    return os.path.join(basedir, runs[0])



class WarningCounter(logging.Handler):
    """Counts warnings and errors logged anywhere (e.g. an observer that failed).

    The "no observers" warning of unobserved runs is expected and not counted.
    """

    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Remember the message of every counted record."""
        message = record.getMessage()
        if "no observers" not in message.lower():
            self.messages.append(message)

    def __enter__(self) -> WarningCounter:
        logging.getLogger().addHandler(self)
        return self

    def __exit__(self, *exc_info) -> None:
        logging.getLogger().removeHandler(self)

    def report(self, result: Result, name: str = "no warnings logged") -> None:
        """Add a check ``name`` to ``result`` that fails when anything was counted."""
        first = self.messages[0][:200] if self.messages else ""
        result.check(name, not self.messages,
                     f"{len(self.messages)} warnings/errors" + (f", first: {first}" if first else ""))


def block_device_counts(path: str) -> dict[str, int] | None:
    """Writes and cache flushes completed so far by the block device that holds ``path``.

    Read from Linux's ``/sys/dev/block/MAJOR:MINOR/stat`` (fields 5 and 16);
    None where there is no such file (not Linux, tmpfs, an old kernel). The
    counts are the device's, so other processes' I/O lands in them too.
    """
    device = os.stat(path).st_dev
    try:
        with open(f"/sys/dev/block/{os.major(device)}:{os.minor(device)}/stat") as f:
            fields = f.read().split()
    except OSError:
        return None
    if len(fields) < 17:
        return None
    return {"writes": int(fields[4]), "flushes": int(fields[15])}


class BlockDeviceIO:
    """The block device's writes and flushes while the ``with`` body ran (None where unknown)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.counts: dict[str, int] | None = None

    def __enter__(self) -> BlockDeviceIO:
        self._before = block_device_counts(self.path)
        return self

    def __exit__(self, *exc_info) -> None:
        after = block_device_counts(self.path)
        if self._before is not None and after is not None:
            self.counts = {key: after[key] - self._before[key] for key in after}

    def record(self, result: Result, prefix: str, runs: int) -> None:
        """Add ``{prefix}_writes`` and ``{prefix}_flushes`` per run to ``result`` when known."""
        if self.counts is not None:
            for key, value in self.counts.items():
                result.metric(f"{prefix}_{key}", value / runs, "/run")


def stored_files(run_dir: str) -> list[tuple[str, bytes]]:
    """(name, bytes) of the files of a stored run folder, sorted by name."""
    files = []
    for name in sorted(os.listdir(run_dir)):
        path = os.path.join(run_dir, name)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                files.append((name, f.read()))
    return files


class BareRunWriter:
    """Stores the bytes of one run bare: the floor a FileStorage run cannot go below.

    ``write(folder)``: mkdir, per file open/write/rename of a temp file, then the
    fsync of every file and the folder, arranged so the file system commits
    them together: the durability FileStorage documents (atomic replace of each
    file, all of it fsynced before the run's end returns). Where
    ``sync_file_range`` exists (Linux), the fastest arrangement measured: every
    file's writeback started, the folder fsynced, then the files (as FileStorage
    does); elsewhere all fsyncs at once from a thread pool.
    """

    def __init__(self, files: list[tuple[str, bytes]]) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.files = files
        self.pool = ThreadPoolExecutor(len(files))
        try:
            import ctypes

            self.start_writeback = ctypes.CDLL(None).sync_file_range
            self.start_writeback.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
        except (OSError, AttributeError):  # not Linux
            self.start_writeback = None

    def write(self, folder: str) -> None:
        """Store the files in the new folder ``folder``."""
        os.mkdir(folder)
        for name, data in self.files:
            target = os.path.join(folder, name)
            with open(target + ".tmp", "wb") as f:
                f.write(data)
            os.replace(target + ".tmp", target)
        fds = [os.open(os.path.join(folder, name), os.O_RDONLY) for name in [*(n for n, _ in self.files), "."]]
        try:
            if self.start_writeback is not None:
                for fd in fds[:-1]:
                    self.start_writeback(fd, 0, 0, 2)  # SYNC_FILE_RANGE_WRITE
                for fd in fds[-1:] + fds[:-1]:  # the folder's fsync commits the journal for all
                    os.fsync(fd)
            else:
                list(self.pool.map(os.fsync, fds))  # all at once: one journal commit
        finally:
            for fd in fds:
                os.close(fd)

    def close(self) -> None:
        """Stop the helper threads."""
        self.pool.shutdown()

