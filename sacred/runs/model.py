"""The records the run reader returns: summaries, full records, metric series, stored files.

Everything here is read-only data; a store (:mod:`sacred.runs.stores`) builds
these objects from what it stored. Expensive parts of a :class:`RunRecord`
(captured output, metric series, file contents) are loaded only when asked for.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from typing import IO, Any

from sacred.runs._metrics_file import RawList

__all__ = [
    "RunSummary",
    "RunRecord",
    "MetricSeries",
    "StoredFile",
    "RunNotFound",
    "StoreError",
    "FilterError",
    "FINAL_STATUSES",
    "STATUSES",
]

#: Statuses after which a run's record no longer changes.
FINAL_STATUSES = frozenset({"COMPLETED", "FAILED", "INTERRUPTED", "TIMEOUT"})
#: Every status a listing shows (DEAD: a RUNNING run whose heartbeats stopped).
STATUSES = ("QUEUED", "RUNNING", "COMPLETED", "FAILED", "INTERRUPTED", "TIMEOUT", "DEAD")


class StoreError(Exception):
    """A store cannot be opened or read: it does not exist, is not a store, or its backend failed."""


class RunNotFound(KeyError):
    """No run with the given id; the message names the nearest existing ids."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "run not found"


class FilterError(ValueError):
    """A filter expression that does not parse: says where, and the grammar."""


@dataclass(frozen=True)
class RunSummary:
    """One run as a listing shows it; cheap to build (no large file is parsed)."""

    id: str
    experiment: str | None = None
    status: str | None = None
    stored_status: str | None = None
    start_time: dt.datetime | None = None
    stop_time: dt.datetime | None = None
    heartbeat: dt.datetime | None = None
    duration: float | None = None
    config: dict = field(default_factory=dict)
    result: Any = None
    final_metrics: dict = field(default_factory=dict)
    sweep: dict | None = None
    comment: str | None = None
    broken: str | None = None
    command: str | None = None


class MetricSeries:
    """One metric of a run: parallel lists of steps, values and timestamps.

    ``steps`` and ``values`` may be given unparsed, as a
    :class:`sacred.runs._metrics_file.RawList` (a stored file's JSON text):
    each is parsed on first access and copied, so a summary that reads only
    ``values`` never parses the steps. ``timestamps`` may be given as stored
    through ``raw_timestamps`` (ISO strings, the bytes of their JSON array, or
    a RawList); they become datetimes on first access, so a series that is
    only drawn never parses its times.
    """

    __slots__ = ("name", "_steps", "_values", "_timestamps", "_raw_timestamps")

    def __init__(self, name: str, steps: list[int] | RawList, values: list[float] | RawList,
                 timestamps: list[dt.datetime | None] | None = None,
                 raw_timestamps: list[Any] | bytes | RawList | None = None) -> None:
        self.name = name
        self._steps = steps
        self._values = values
        self._timestamps = timestamps
        self._raw_timestamps = raw_timestamps

    @property
    def steps(self) -> list[int]:
        """The step of each point."""
        if isinstance(self._steps, RawList):
            self._steps = list(self._steps.get())
        return self._steps

    @steps.setter
    def steps(self, steps: list[int]) -> None:
        self._steps = steps

    @property
    def values(self) -> list[float]:
        """The logged values."""
        if isinstance(self._values, RawList):
            self._values = list(self._values.get())
        return self._values

    @values.setter
    def values(self, values: list[float]) -> None:
        self._values = values

    @property
    def timestamps(self) -> list[dt.datetime | None]:
        """When each point was logged (naive UTC datetimes, None where unknown)."""
        if self._timestamps is None:
            from sacred.runs.base import parse_time

            raw = self._raw_timestamps
            if isinstance(raw, bytes):  # the stored JSON array, not parsed yet
                import json

                raw = json.loads(raw)
            elif isinstance(raw, RawList):
                raw = raw.get()
            self._timestamps = [parse_time(t) for t in raw or []]
            self._raw_timestamps = None
        return self._timestamps

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MetricSeries) and (self.name, self.steps, self.values, self.timestamps) == \
            (other.name, other.steps, other.values, other.timestamps)

    def __len__(self) -> int:
        return len(self.values)

    def __repr__(self) -> str:
        return f"MetricSeries({self.name!r}, {len(self.values)} points)"


class StoredFile:
    """A file stored with a run (artifact, resource or source); its content is read on demand.

    ``opener`` returns a binary file object; stores build it so that a name can
    never reach outside the store.
    """

    def __init__(self, name: str, opener: Callable[[], IO[bytes]], size: int | None = None,
                 md5: str | None = None) -> None:
        self.name = name
        self.size = size
        self.md5 = md5
        self._opener = opener

    def open(self) -> IO[bytes]:
        """A binary file object with the content."""
        return self._opener()

    def read(self) -> bytes:
        """The whole content."""
        with self.open() as stream:
            return stream.read()

    def __repr__(self) -> str:
        return f"StoredFile({self.name!r}, size={self.size!r}, md5={self.md5!r})"


def bytes_file(name: str, data: bytes, md5: str | None = None) -> StoredFile:
    """A :class:`StoredFile` over bytes already in memory."""
    return StoredFile(name, lambda: io.BytesIO(data), len(data), md5)


class RunRecord:
    """A run with everything stored about it; big parts are loaded lazily through ``loader``.

    The summary's fields are plain attributes (``record.config``,
    ``record.status``...); see :class:`RunSummary`.
    """

    def __init__(self, summary: RunSummary, loader: RunLoader, *, config_modifications: dict | None = None,
                 meta: dict | None = None, host: dict | None = None, experiment_info: dict | None = None,
                 info: dict | None = None, fail_trace: list[str] | None = None,
                 queue_time: dt.datetime | None = None) -> None:
        for f in fields(RunSummary):
            setattr(self, f.name, getattr(summary, f.name))
        self.summary = summary
        self.config_modifications = config_modifications or {}
        self.meta = meta or {}
        self.host = host or {}
        self.experiment_info = experiment_info or {}
        self.info = info or {}
        self.fail_trace = fail_trace
        self.queue_time = queue_time
        self._loader = loader
        self._metric_cache: dict[str, MetricSeries] | None = None

    def __repr__(self) -> str:
        return f"RunRecord(id={self.id!r}, experiment={self.experiment!r}, status={self.status!r})"

    def captured_out(self) -> str:
        """The run's captured output (empty when none was stored)."""
        return self._loader.captured_out()

    def metric_names(self) -> list[str]:
        """Names of the logged metrics, sorted."""
        return sorted(self._loader.metric_names())

    def metrics_error(self) -> str | None:
        """Why the stored metrics cannot be read (``metrics.json is not valid JSON (...)``), None when they can."""
        return self._loader.metrics_error()

    def metric(self, name: str) -> MetricSeries:
        """The series of metric ``name``; KeyError naming the metrics there are."""
        series = self._loader.metric(name)
        if series is None:
            names = ", ".join(self.metric_names()) or "none"
            raise KeyError(f"run {self.id} has no metric {name!r}; its metrics: {names}")
        return series

    def metrics(self) -> dict[str, MetricSeries]:
        """Every metric series by name."""
        return {name: self.metric(name) for name in self.metric_names()}

    def metrics_frame(self) -> Any:
        """All metrics as a pandas DataFrame (columns name, step, value, timestamp)."""
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("metrics_frame() needs pandas: pip install 'sacred[pandas]' or pandas") from None
        rows: dict[str, list] = {"name": [], "step": [], "value": [], "timestamp": []}
        for name in self.metric_names():
            series = self.metric(name)
            rows["name"].extend([name] * len(series.values))
            rows["step"].extend(series.steps)
            rows["value"].extend(series.values)
            rows["timestamp"].extend(series.timestamps)
        return pd.DataFrame(rows)

    def artifacts(self) -> list[StoredFile]:
        """The artifacts stored with the run."""
        return self._loader.artifacts()

    def resources(self) -> list[StoredFile]:
        """The resources the run opened (as stored)."""
        return self._loader.resources()

    def sources(self) -> list[StoredFile]:
        """The source files of the experiment (as stored), named by their path relative to base_dir."""
        return self._loader.sources()

    def artifact(self, name: str) -> StoredFile:
        """The artifact called ``name``; KeyError naming the ones there are."""
        for stored in self.artifacts():
            if stored.name == name:
                return stored
        names = ", ".join(a.name for a in self.artifacts()) or "none"
        raise KeyError(f"run {self.id} has no artifact {name!r}; its artifacts: {names}")


class RunLoader:
    """What a store provides to load a record's expensive parts; stores subclass it."""

    def captured_out(self) -> str:
        """The captured output."""
        return ""

    def metric_names(self) -> list[str]:
        """Names of the metrics."""
        return []

    def metric(self, name: str) -> MetricSeries | None:
        """One metric series, None when there is no such metric."""
        return None

    def metrics_error(self) -> str | None:
        """Why the metrics cannot be read, None when they can (or there are none)."""
        return None

    def artifacts(self) -> list[StoredFile]:
        """The artifacts."""
        return []

    def resources(self) -> list[StoredFile]:
        """The resources."""
        return []

    def sources(self) -> list[StoredFile]:
        """The sources."""
        return []
