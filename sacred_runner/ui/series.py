"""Metric series for charts: loaded once, cut to the visible step range, downsampled with LTTB.

The whole series is sent only when it has no more points than the chart asks
for; otherwise :func:`chart_data` picks that many points with LTTB, keeping
the first, the last, the lowest and the highest. Zooming in
asks again for the visible range only, so a zoomed chart shows every stored
point once few enough remain. Loaded series of finished runs are kept in a small
LRU cache (a 1M-point series is parsed once, not at every zoom); series of live
runs are read again each time.
"""

from __future__ import annotations

import bisect
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sacred_runner.ui.lttb import bucket_bounds, lttb_indices

__all__ = ["DEFAULT_POINTS", "MAX_POINTS", "Series", "SeriesCache", "chart_data", "downsample_indices", "finite_series",
           "series_key", "series_loader", "warm_up"]

DEFAULT_POINTS = 2000
MAX_POINTS = 20000


@dataclass(frozen=True)
class Series:
    """A metric's finite points in step order, and how many stored points were not finite."""

    name: str
    steps: Sequence[float]   # a list, or a numpy array when numpy is installed
    values: Sequence[float]
    dropped: int = 0
    #: chart data of the whole range by point count, computed once (see :func:`chart_data`)
    overviews: dict = field(default_factory=dict, compare=False, repr=False)


def finite_series(name: str, steps: list[Any], values: list[Any]) -> Series:
    """The points of a stored series that can be drawn (finite numbers), sorted by step.

    With numpy installed the points are kept as float arrays (a 1M-point series is
    filtered and cut in milliseconds), else as lists.
    """
    try:
        import numpy as np
    except ImportError:
        return _finite_series_python(name, steps, values)
    try:
        x = _steps_array(np, steps)
        y = np.asarray(values, dtype=float)
    except (TypeError, ValueError, OverflowError):  # text, None, an integer beyond float range
        return _finite_series_python(name, steps, values)
    length = min(len(x), len(y))
    x, y = x[:length], y[:length]
    keep = np.isfinite(x) & np.isfinite(y)
    dropped = int(length - keep.sum()) + abs(len(steps) - len(values))
    x, y = x[keep], y[keep]
    if len(x) > 1 and bool((x[1:] < x[:-1]).any()):
        order = np.argsort(x, kind="stable")
        x, y = x[order], y[order]
    return Series(name, x, y, dropped)


def _steps_array(np: Any, steps: Sequence[Any]) -> Any:
    """Steps as floats; the usual ``0, 1, 2, ...`` is recognised by one C-level comparison."""
    count = len(steps)
    if (isinstance(steps, list) and count and steps[0] == 0 and steps[-1] == count - 1
            and steps == list(range(count))):
        return np.arange(count, dtype=float)
    return np.asarray(steps, dtype=float)


def _finite_series_python(name: str, steps: list[Any], values: list[Any]) -> Series:
    pairs = []
    dropped = abs(len(steps) - len(values))
    for step, value in zip(steps, values, strict=False):
        try:
            x, y = float(step), float(value)
        except (TypeError, ValueError, OverflowError):
            dropped += 1
            continue
        if math.isfinite(x) and math.isfinite(y):
            pairs.append((x, y))
        else:
            dropped += 1
    if any(pairs[i][0] > pairs[i + 1][0] for i in range(len(pairs) - 1)):
        pairs.sort(key=lambda pair: pair[0])
    return Series(name, [x for x, _ in pairs], [y for _, y in pairs], dropped)


def warm_up() -> None:
    """Import now what the first chart needs (numpy, the JSON accelerator), so the first run page
    visited after the server started does not wait for those imports."""
    from sacred.runs._json import accelerator

    accelerator()
    try:
        import numpy  # noqa: F401
    except ImportError:
        pass


def series_key(sid: int, record: Any, name: str) -> tuple:
    """The cache key of metric ``name`` of run ``record`` in store number ``sid``."""
    return (sid, str(record.id), name)


def series_loader(record: Any, name: str) -> Callable[[], Series]:
    """A function loading metric ``name`` of ``record`` as a :class:`Series` (KeyError when absent)."""
    def load() -> Series:
        stored = record.metric(name)
        return finite_series(name, stored.steps, stored.values)

    return load


class _Pending:
    """A series being loaded by one thread while others wait for it."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.series: Series | None = None


class SeriesCache:
    """A thread-safe LRU of loaded series, keyed by (store, run, metric).

    Two requests for the same cacheable series load it once: the second waits
    for the first. :meth:`prefetch` starts loading in the background, so a run
    page's charts find their series ready (or on its way) when they ask.
    """

    def __init__(self, capacity: int = 8, wait_seconds: float = 300.0) -> None:
        self.capacity = capacity
        self.wait_seconds = wait_seconds
        self._items: OrderedDict[tuple, Series] = OrderedDict()
        self._pending: dict[tuple, _Pending] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple, load: Callable[[], Series], cacheable: bool) -> Series:
        """The cached series for ``key``, or ``load()`` (kept only when ``cacheable``)."""
        if not cacheable:
            return load()
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
            pending = self._pending.get(key)
            owner = pending is None
            if owner:
                pending = self._pending[key] = _Pending()
        if not owner:
            pending.done.wait(self.wait_seconds)
            return pending.series if pending.series is not None else load()
        try:
            series = load()
            pending.series = series
            with self._lock:
                self._items[key] = series
                self._items.move_to_end(key)
                while len(self._items) > self.capacity:
                    self._items.popitem(last=False)
            return series
        finally:
            with self._lock:
                self._pending.pop(key, None)
            pending.done.set()

    def prefetch(self, key: tuple, load: Callable[[], Series], points: int = DEFAULT_POINTS) -> None:
        """Load ``key`` and its whole-range chart data in a background thread (errors are left to
        the request that asks for it)."""
        with self._lock:
            if key in self._items or key in self._pending:
                return

        def work() -> None:
            try:
                chart_data(self.get(key, load, cacheable=True), points=points)
            except Exception:  # noqa: BLE001 - the chart's own request reports it
                pass

        threading.Thread(target=work, name=f"sacred-ui-prefetch-{key[-1]}", daemon=True).start()


def chart_data(series: Series, start: float | None = None, end: float | None = None,
               points: int = DEFAULT_POINTS) -> dict[str, Any]:
    """The points to draw for steps in ``[start, end]``: all of them, or ``points`` chosen by LTTB."""
    points = max(3, min(int(points), MAX_POINTS))
    if start is None and end is None:
        overview = series.overviews.get(points)
        if overview is None:
            overview = series.overviews[points] = _chart_data(series, None, None, points)
        return dict(overview)
    return _chart_data(series, start, end, points)


def _chart_data(series: Series, start: float | None, end: float | None, points: int) -> dict[str, Any]:
    lo = 0 if start is None else bisect.bisect_left(series.steps, start)
    hi = len(series.steps) if end is None else bisect.bisect_right(series.steps, end)
    steps = series.steps[lo:hi]
    values = series.values[lo:hi]
    in_range = len(steps)
    if in_range > points:
        kept = downsample_indices(steps, values, points)
        if isinstance(steps, list):
            steps = [steps[i] for i in kept]
            values = [values[i] for i in kept]
        else:
            steps, values = steps[kept], values[kept]
    steps = [_plain_number(x) for x in (steps if isinstance(steps, list) else steps.tolist())]
    values = values if isinstance(values, list) else values.tolist()
    return {
        "name": series.name,
        "total": len(series.steps),
        "in_range": in_range,
        "dropped": series.dropped,
        "downsampled": in_range > len(steps),
        "steps": steps,
        "values": values,
        "full_range": ([_plain_number(float(series.steps[0])), _plain_number(float(series.steps[-1]))]
                       if len(series.steps) else None),
    }


def downsample_indices(steps: Sequence[float], values: Sequence[float], points: int) -> list[int]:
    """The sorted indices of at most ``points`` points to draw: LTTB's, with the lowest and highest value.

    LTTB keeps the first and the last point and usually the extremes, but a
    bucket holding both a high and a deep point keeps one of them only. An
    extreme LTTB left out takes the place of the point LTTB chose in its
    bucket; when that point is the other extreme, and there is room for first,
    last, lowest and highest (``points >= 4``), LTTB runs again with fewer
    buckets and the extremes are added.
    """
    kept = lttb_indices(steps, values, points)
    if isinstance(values, list):
        low = min(range(len(values)), key=values.__getitem__)
        high = max(range(len(values)), key=values.__getitem__)
        chosen = {values[i] for i in kept}
    else:
        low, high = int(values.argmin()), int(values.argmax())
        chosen = set(values[kept].tolist())
    missing = sorted({i for i in (low, high) if values[i] not in chosen})
    if not missing:
        return kept
    bounds = bucket_bounds(len(values), points)
    buckets = [bisect.bisect_right(bounds, (index, len(values))) - 1 for index in missing]
    extremes = (values[low], values[high])
    if len(set(buckets)) == len(buckets) and all(values[kept[1 + b]] not in extremes for b in buckets):
        # one per bucket, and LTTB chose no extreme there: the extreme takes the place of its choice
        for index, bucket in zip(missing, buckets, strict=True):
            kept[1 + bucket] = index
        return kept
    extra = {low, high} - {0, len(values) - 1}
    if points - len(extra) >= 3:
        return sorted(set(lttb_indices(steps, values, points - len(extra))) | extra)
    if points >= 2 + len(extra):  # room for the four points that must stay, and no more
        return sorted({0, len(values) - 1} | extra)
    return kept


def _plain_number(value: float) -> float | int:
    """Whole steps as ints (``12``, not ``12.0``) for shorter JSON."""
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
