"""Metric documents of a MongoObserver run, continued past MongoDB's size limit.

One document per metric name per run, ``{_id, name, run_id, steps, values,
timestamps}``, as Sacred 0.7+ stores it. A document holds at most
``MetricLimits.points_per_document`` points (and roughly
``bytes_per_document`` bytes); further points go to *continuation documents*
with the same ``name`` and ``run_id`` and an integer ``part`` (1, 2, ...; the
first document has no ``part``). :func:`read_metric` rebuilds the series.

Writes are idempotent so that a retry after a lost reply never stores a point
twice: a new document is inserted with a known ``_id`` (a duplicate key means
the earlier attempt arrived), and an append only matches while the document
still has the expected number of points.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sacred.observers.mongo._values import bson_text, metric_value
from sacred.utils import ObserverError

__all__ = ["MetricLimits", "PendingPoints", "RunMetrics", "read_metric"]

UPDATE_BYTES = 4 * 1024 * 1024
"""Largest approximate size of the points one ``$push`` appends."""
POINT_BYTES = 64
"""Approximate BSON size of one numeric point: 3 array elements (type byte, index key, 8 bytes) with slack."""


def point_bytes(value: Any) -> int:
    """BSON size of one point whose value is ``value``, rounded up (never under)."""
    if isinstance(value, (int, float)):
        return POINT_BYTES
    import bson

    try:
        return POINT_BYTES + len(bson.encode({"v": value}))
    except Exception:  # noqa: BLE001 - not encodable: the server will say why
        return POINT_BYTES + len(str(value).encode("utf-8", "replace"))


@dataclass(frozen=True)
class MetricLimits:
    """How many points (and bytes) go into one metric document and into one update."""

    points_per_document: int
    bytes_per_document: int
    points_per_update: int


@dataclass
class MetricPart:
    """The metric document currently receiving points for one name."""

    doc_id: Any
    index: int
    count: int = 0
    approx_bytes: int = 0
    exists: bool = False

    def has_room(self, limits: MetricLimits) -> bool:
        """True if at least one more numeric point fits."""
        return (
            self.count < limits.points_per_document
            and self.approx_bytes + POINT_BYTES <= limits.bytes_per_document
        )


@dataclass
class PendingPoints:
    """Points of one metric logged but not stored yet."""

    steps: list = field(default_factory=list)
    values: list = field(default_factory=list)
    timestamps: list = field(default_factory=list)

    all_numeric: bool = True

    def __len__(self) -> int:
        return len(self.steps)

    def add(self, steps: list, values: list, timestamps: list) -> None:
        """Append points, converting numpy scalars and noting non-numeric values."""
        self.steps.extend(int(s) for s in steps)
        converted = [metric_value(v) for v in values]
        if self.all_numeric and not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in converted
        ):
            self.all_numeric = False
        self.values.extend(converted)
        self.timestamps.extend(timestamps)

    def drop_first(self, count: int) -> None:
        """Forget the first ``count`` points (they are stored)."""
        del self.steps[:count], self.values[:count], self.timestamps[:count]
        if not self.steps:
            self.all_numeric = True

    def as_series(self) -> dict:
        """``{"steps", "values", "timestamps"}`` of the pending points."""
        return {"steps": self.steps, "values": self.values, "timestamps": self.timestamps}


class RunMetrics:
    """The metric state of one run: pending points, the document each name fills, references."""

    def __init__(self) -> None:
        self.pending: dict[str, PendingPoints] = {}
        self.parts: dict[str, MetricPart] = {}
        self.refs: list[dict] = []
        """``{"id": str(first document id), "name": name}`` per stored name, for ``info["metrics"]``."""

    def add(self, metrics_by_name: dict | None) -> None:
        """Buffer the points of a ``log_metrics`` call."""
        for name, series in (metrics_by_name or {}).items():
            pending = self.pending.setdefault(bson_text(str(name)), PendingPoints())
            pending.add(series.get("steps", []), series.get("values", []),
                        series.get("timestamps", []))

    def pending_count(self) -> int:
        """Number of points not stored yet."""
        return sum(len(p) for p in self.pending.values())

    def unsaved(self) -> dict:
        """``{name: series}`` of the points not stored yet (for the failure dump)."""
        return {name: p.as_series() for name, p in self.pending.items() if len(p)}

    def flush(self, collection: Any, run_id: Any, limits: MetricLimits) -> None:
        """Store every pending point; points stored before an error are not sent again."""
        for name, pending in self.pending.items():
            if len(pending):
                self._flush_one(collection, run_id, name, pending, limits)

    def _flush_one(self, collection, run_id, name: str, pending: PendingPoints,
                   limits: MetricLimits) -> None:
        written = 0
        try:
            while written < len(pending):
                part = self._part_with_room(name, limits)
                end, size = _batch_end(pending, written, part, limits)
                self._write_points(collection, run_id, name, part, pending, written, end)
                part.count += end - written
                part.approx_bytes += size
                written = end
        finally:
            if written:
                pending.drop_first(written)

    def _part_with_room(self, name: str, limits: MetricLimits) -> MetricPart:
        part = self.parts.get(name)
        if part is None or not part.has_room(limits):
            from bson import ObjectId

            part = MetricPart(doc_id=ObjectId(), index=0 if part is None else part.index + 1)
            self.parts[name] = part
        return part

    def _write_points(self, collection, run_id, name: str, part: MetricPart,
                      pending: PendingPoints, start: int, end: int) -> None:
        steps = pending.steps[start:end]
        values = pending.values[start:end]
        stamps = pending.timestamps[start:end]
        if part.exists:
            _append_points(collection, name, part, steps, values, stamps)
            return
        from pymongo.errors import DuplicateKeyError

        doc = {"_id": part.doc_id, "name": name, "run_id": run_id}
        if part.index:
            doc["part"] = part.index
        doc.update(steps=steps, values=values, timestamps=stamps)
        try:
            collection.insert_one(doc)
        except DuplicateKeyError:
            pass  # an earlier attempt reached the server; the points are there
        part.exists = True
        if part.index == 0:
            self.refs.append({"id": str(part.doc_id), "name": name})


def _batch_end(pending: PendingPoints, start: int, part: MetricPart,
               limits: MetricLimits) -> tuple[int, int]:
    """End index and approximate bytes of the next batch of points for ``part``.

    A new document is inserted with as many points as it may hold (one round
    trip); appends to an existing one go in smaller batches.
    """
    room = limits.points_per_document - part.count
    point_limit = room if not part.exists else min(limits.points_per_update, room)
    byte_room = limits.bytes_per_document - part.approx_bytes
    byte_limit = byte_room if not part.exists else min(byte_room, UPDATE_BYTES)
    if pending.all_numeric:
        count = max(1, min(point_limit, len(pending) - start, byte_limit // POINT_BYTES))
        return start + count, count * POINT_BYTES
    end, size = start, 0
    while end < len(pending) and end - start < point_limit:
        cost = point_bytes(pending.values[end])
        if end > start and size + cost > byte_limit:
            break
        size += cost
        end += 1
    return end, size


def _append_points(collection, name: str, part: MetricPart, steps, values, stamps) -> None:
    # Matching on the current array size makes the append idempotent: if a
    # previous attempt was applied but its reply was lost, it matches nothing.
    result = collection.update_one(
        {"_id": part.doc_id, "steps": {"$size": part.count}},
        {"$push": {
            "steps": {"$each": steps},
            "values": {"$each": values},
            "timestamps": {"$each": stamps},
        }},
    )
    if result.matched_count:
        return
    applied = collection.find_one(
        {"_id": part.doc_id, "steps": {"$size": part.count + len(steps)}},
        projection={"_id": 1},
    )
    if applied is None:
        raise ObserverError(
            f"MongoObserver: metric document {part.doc_id} of {name!r} changed underneath "
            f"the observer (expected {part.count} points); refusing to append."
        )


def read_metric(metrics_collection: Any, run_id: Any, name: str) -> dict:
    """Return ``{"steps", "values", "timestamps"}`` of a metric across continuation documents."""
    docs = list(metrics_collection.find({"run_id": run_id, "name": name}))
    docs.sort(key=lambda d: d.get("part", 0))
    series: dict[str, list] = {"steps": [], "values": [], "timestamps": []}
    for doc in docs:
        for key in series:
            series[key].extend(doc.get(key, []))
    return series
