"""Fast, lock-free collection of metric points for a run.

``log_scalar`` extends a per-metric flat list by ``(step, value, time)``; the
heartbeat thread reads everything after its last read position. Lists only
grow during a run, so the reader never races with the writer and no point is
ever lost (``list += tuple`` is atomic under the GIL). No lock is taken: two
threads logging the same metric without a step may both read the same
previous step (each point is still recorded).
"""

from __future__ import annotations

import datetime as _dt
import numbers
import time
from collections.abc import Callable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["CheckedPoints", "MetricsLogger", "ScalarMetricLogEntry", "linearize_metrics"]

# float first: ``in`` compares by identity first, and floats are the common value
_FAST_TYPES = (float, int)
_UTC = _dt.UTC


class MetricsLogger:
    """Collects measurements and hands out those not yet delivered."""

    def __init__(self) -> None:
        # name -> its points, flat: step, value, time, step, ...: one atomic extend per
        # point, the heartbeat takes each column with one slice, and the previous step
        # (for an omitted one) is always points[-3]
        self._series: dict[str, list] = {}
        self._read_positions: dict[str, int] = {}
        self.log_scalar_metric = self._make_log_scalar()

    def stream_to(self, listener: Callable[[str, int, Any, float], None]) -> None:
        """Also call ``listener(name, step, value, unix_time)`` for each point as it is logged.

        Replaces :attr:`log_scalar_metric`; callers holding the old function
        must fetch it again. The ``--isolate`` worker streams points this way.
        """
        self.log_scalar_metric = self._make_log_scalar(listener)

    def _make_log_scalar(
        self, listener: Callable[[str, int, Any, float], None] | None = None
    ) -> Callable[..., None]:
        # every name below is a local or a closure cell: the call is the hot path
        # (callgrind: ~2,200 instructions a call, half of them the call and time.time())
        series = self._series
        now = time.time
        fast_types = _FAST_TYPES

        def log_scalar_metric(metric_name: str, value: Any, step: int | None = None) -> None:
            """Record one measurement; an omitted ``step`` is the metric's previous step + 1 (from 0)."""
            if type(value) not in fast_types:
                value = _check_value(metric_name, value)
            try:
                points = series[metric_name]
            except KeyError:
                points = _new_series(series, metric_name)
            if step is None:
                # as in sacred 0.8.7: one more than the previous step of this metric
                step = points[-3] + 1 if points else 0
            elif type(step) is not int:
                step = _check_step(metric_name, step)
            points += (step, value, now())

        if listener is None:
            return log_scalar_metric

        def log_scalar_and_stream(metric_name: str, value: Any, step: int | None = None) -> None:
            """Record one measurement and pass it to the listener."""
            if type(value) not in fast_types:
                value = _check_value(metric_name, value)
            try:
                points = series[metric_name]
            except KeyError:
                points = _new_series(series, metric_name)
            if step is None:
                step = points[-3] + 1 if points else 0
            elif type(step) is not int:
                step = _check_step(metric_name, step)
            stamp = now()
            points += (step, value, stamp)
            listener(metric_name, step, value, stamp)

        return log_scalar_and_stream

    def get_last_metrics(self) -> list[ScalarMetricLogEntry]:
        """Points logged since the previous read, one :class:`ScalarMetricLogEntry` each (0.8.7).

        The run itself reads :meth:`pending_metrics`, which skips the objects.
        """
        entries = []
        for name, series in self.pending_metrics().items():
            for step, value, stamp in zip(
                series["steps"], series["values"], series["timestamps"], strict=True
            ):
                entries.append(ScalarMetricLogEntry(name, step, stamp, value))
        return entries

    def pending_metrics(self) -> dict[str, dict[str, list]]:
        """Points logged since the previous read, as ``{name: {name, steps, values, timestamps}}``.

        Timestamps are naive UTC ``datetime`` objects (the observer contract).
        """
        return {
            name: {
                "name": name,
                "steps": steps,
                "values": values,
                "timestamps": [
                    _dt.datetime.fromtimestamp(t, _UTC).replace(tzinfo=None) for t in stamps
                ],
            }
            for name, (steps, values, stamps) in self.pending_points().items()
        }

    def pending_points(self) -> dict[str, tuple[list, list, list[float]]]:
        """Points logged since the previous read, as ``{name: (steps, values, unix times)}``.

        The result is a :class:`CheckedPoints`: encoders may skip type checks.
        """
        result = CheckedPoints()
        for name, points in list(self._series.items()):
            start = self._read_positions.get(name, 0)
            end = len(points)  # a multiple of 3: each point is one extend
            if end <= start:
                continue
            self._read_positions[name] = end
            result[name] = (points[start:end:3], points[start + 1:end:3], points[start + 2:end:3])
        return result

    def has_pending(self) -> bool:
        """True when points were logged since the previous read."""
        return any(
            len(points) > self._read_positions.get(name, 0)
            for name, points in self._series.items()
        )


class CheckedPoints(dict):
    """``{name: (steps, values, unix times)}`` as ``log_scalar`` recorded them.

    Every step is an exact ``int``, every value an exact ``int`` or ``float``
    (``log_scalar`` converts anything else or refuses it), every time a
    ``float``: the metrics encoder takes its bulk paths without checking.
    """


def _new_series(series: dict[str, list], metric_name: Any) -> list:
    """The empty points list of a metric logged for the first time."""
    if not isinstance(metric_name, str) or not metric_name:
        raise TypeError(f"Metric name must be a non-empty string, got {metric_name!r}")
    points: list = []
    series[metric_name] = points
    return points


def _check_value(metric_name: str, value: Any) -> float | int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, numbers.Number) and not isinstance(value, complex):
        return value.item() if hasattr(value, "item") else float(value)
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:
        try:
            item = value.item()
        except Exception:  # noqa: BLE001 - reported below
            item = None
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            return item
    raise TypeError(
        f'log_scalar("{metric_name}", ...) needs a number, got {type(value).__name__}: {value!r:.80}'
    )


def _check_step(metric_name: str, step: Any) -> int:
    try:
        if isinstance(step, bool) or int(step) != step:
            raise ValueError
        return int(step)
    except (TypeError, ValueError):
        raise TypeError(
            f'log_scalar("{metric_name}", ..., step={step!r}): step must be an integer'
        ) from None


class ScalarMetricLogEntry:
    """One measurement: ``name``, ``step``, ``timestamp`` (naive UTC) and ``value``."""

    def __init__(self, name: str, step: Any, timestamp: _dt.datetime, value: Any) -> None:
        self.name = name
        self.step = step
        self.timestamp = timestamp
        self.value = value

    def __repr__(self) -> str:
        return f"ScalarMetricLogEntry({self.name!r}, step={self.step!r}, value={self.value!r})"


def linearize_metrics(logged_metrics: list[ScalarMetricLogEntry]) -> dict[str, dict[str, Any]]:
    """Group entries by metric name: ``{name: {name, steps, values, timestamps}}`` (as 0.8.7)."""
    grouped: dict[str, dict[str, Any]] = {}
    for entry in logged_metrics:
        series = grouped.setdefault(
            entry.name, {"steps": [], "values": [], "timestamps": [], "name": entry.name}
        )
        series["steps"].append(entry.step)
        series["values"].append(entry.value)
        series["timestamps"].append(entry.timestamp)
    return grouped
