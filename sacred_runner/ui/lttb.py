"""Largest-Triangle-Three-Buckets downsampling: keep a curve's shape with few points.

A chart of a million points cannot be drawn point by point in a browser, and
most of those points fall on the same pixel anyway. LTTB (Steinarsson, 2013)
keeps the first and the last point and, from each of ``threshold - 2`` equal
buckets in between, the point that forms the largest triangle with the point
kept before it and the average of the next bucket; peaks and dips survive.

:func:`lttb_indices` returns the *indices* kept, so the caller can pick steps,
values and timestamps alike. It uses numpy when it is installed (a loop over
buckets, vectorised inside each) and plain Python otherwise; both choose the
same points up to floating-point rounding of the bucket averages.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

__all__ = ["bucket_bounds", "lttb_indices", "lttb_indices_python"]


def bucket_bounds(length: int, threshold: int) -> list[tuple[int, int]]:
    """The ``threshold - 2`` half-open index ranges that partition ``1 .. length - 2``."""
    inner = length - 2
    buckets = threshold - 2
    every = inner / buckets
    bounds = []
    for i in range(buckets):
        start = 1 + int(math.floor(i * every))
        end = 1 + int(math.floor((i + 1) * every)) if i < buckets - 1 else length - 1
        bounds.append((start, end))
    return bounds


def _check(xs: Sequence[float], ys: Sequence[float], threshold: int) -> bool:
    """Validate arguments; True when every point is kept anyway."""
    if len(xs) != len(ys):
        raise ValueError(f"x and y differ in length: {len(xs)} and {len(ys)}")
    if threshold < 3:
        raise ValueError(f"threshold must be at least 3 points, got {threshold}")
    return len(xs) <= threshold


def lttb_indices_python(xs: Sequence[float], ys: Sequence[float], threshold: int) -> list[int]:
    """LTTB in plain Python: the sorted indices of at most ``threshold`` points to keep."""
    if _check(xs, ys, threshold):
        return list(range(len(xs)))
    length = len(xs)
    bounds = bucket_bounds(length, threshold)
    kept = [0]
    previous = 0
    for number, (start, end) in enumerate(bounds):
        if number + 1 < len(bounds):
            next_start, next_end = bounds[number + 1]
        else:
            next_start, next_end = length - 1, length
        count = next_end - next_start
        avg_x = sum(xs[next_start:next_end]) / count
        avg_y = sum(ys[next_start:next_end]) / count
        ax, ay = xs[previous], ys[previous]
        best, best_area = start, -1.0
        for index in range(start, end):
            area = abs((ax - avg_x) * (ys[index] - ay) - (ax - xs[index]) * (avg_y - ay))
            if area > best_area:
                best, best_area = index, area
        kept.append(best)
        previous = best
    kept.append(length - 1)
    return kept


def _lttb_indices_numpy(xs: Sequence[float], ys: Sequence[float], threshold: int) -> list[int]:
    import numpy as np

    x = np.asarray(xs, dtype=float)
    y = np.asarray(ys, dtype=float)
    length = len(x)
    bounds = bucket_bounds(length, threshold)
    # Sums of every bucket at once (sequentially, as the Python version adds them up).
    starts = np.array([start for start, _ in bounds] + [length - 1])
    ends = np.array([end for _, end in bounds] + [length])
    csum_x = np.concatenate(([0.0], np.cumsum(x)))
    csum_y = np.concatenate(([0.0], np.cumsum(y)))
    counts = ends - starts
    avg_x = (csum_x[ends] - csum_x[starts]) / counts
    avg_y = (csum_y[ends] - csum_y[starts]) / counts
    kept = [0]
    previous = 0
    for number, (start, end) in enumerate(bounds):
        ax, ay = x[previous], y[previous]
        cx, cy = avg_x[number + 1], avg_y[number + 1]
        area = np.abs((ax - cx) * (y[start:end] - ay) - (ax - x[start:end]) * (cy - ay))
        best = start + int(np.argmax(area))
        kept.append(best)
        previous = best
    kept.append(length - 1)
    return kept


def lttb_indices(xs: Sequence[float], ys: Sequence[float], threshold: int) -> list[int]:
    """The sorted indices of at most ``threshold`` points that keep the curve's shape.

    Every index is kept when there are no more than ``threshold`` points. Values
    must be finite (drop NaN and infinities first).
    """
    if _check(xs, ys, threshold):
        return list(range(len(xs)))
    try:
        import numpy  # noqa: F401
    except ImportError:
        return lttb_indices_python(xs, ys, threshold)
    return _lttb_indices_numpy(xs, ys, threshold)
