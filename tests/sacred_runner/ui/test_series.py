"""Chart data: finite points in step order, cut to a range, downsampled past the limit."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sacred_runner.ui.series import (
    MAX_POINTS,
    SeriesCache,
    _finite_series_python,
    chart_data,
    finite_series,
)


@settings(deadline=None)
@given(st.lists(st.tuples(st.integers(-1000, 1000), st.floats(allow_nan=True, allow_infinity=True)),
                max_size=60))
def test_numpy_and_python_agree_on_the_drawable_points(pairs):
    steps = [s for s, _ in pairs]
    values = [v for _, v in pairs]
    fast, slow = finite_series("m", steps, values), _finite_series_python("m", steps, values)
    assert list(fast.steps) == slow.steps and list(fast.values) == slow.values
    assert fast.dropped == slow.dropped == sum(1 for v in values if not math.isfinite(v))
    assert list(fast.steps) == sorted(fast.steps)


def test_non_numbers_and_unequal_lengths_are_dropped_and_counted():
    series = finite_series("m", [0, 1, 2, 3], [1.0, "x", None])
    assert list(series.steps) == [0.0] and series.dropped == 3


def test_range_and_downsampling():
    series = finite_series("m", list(range(10_000)), [math.sin(i) for i in range(10_000)])
    whole = chart_data(series)
    assert whole["downsampled"] and len(whole["steps"]) == 2000 and whole["total"] == 10_000
    part = chart_data(series, 10, 19)
    assert part["steps"] == list(range(10, 20)) and part["in_range"] == 10 and not part["downsampled"]
    assert chart_data(series, points=10**9)["steps"] == list(range(10_000))  # under the cap: all
    big = finite_series("b", list(range(MAX_POINTS + 5000)), [float(i % 3) for i in range(MAX_POINTS + 5000)])
    assert len(chart_data(big, points=10**9)["steps"]) == MAX_POINTS
    assert len(chart_data(series, points=1)["steps"]) == 3
    assert chart_data(finite_series("e", [], []))["full_range"] is None


def test_cache_keeps_cacheable_series_only_and_evicts_the_oldest():
    cache = SeriesCache(capacity=2)
    loads = []

    def loader(name):
        def load():
            loads.append(name)
            return finite_series(name, [0], [1.0])
        return load

    for name in ("a", "b", "a", "c", "a", "b"):
        cache.get((name,), loader(name), cacheable=True)
    assert loads == ["a", "b", "c", "b"]
    cache.get(("live",), loader("live"), cacheable=False)
    cache.get(("live",), loader("live"), cacheable=False)
    assert loads[-2:] == ["live", "live"]


@pytest.mark.parametrize("points", [3, 100, 2000])
def test_requested_point_counts_are_honoured(points):
    series = finite_series("m", list(range(5000)), [float(i % 7) for i in range(5000)])
    assert len(chart_data(series, points=points)["steps"]) == points


def test_concurrent_requests_for_one_series_load_it_once():
    import threading

    cache = SeriesCache()
    started, release = threading.Event(), threading.Event()
    loads = []

    def slow_load():
        loads.append(1)
        started.set()
        release.wait(10)
        return finite_series("m", [0, 1], [1.0, 2.0])

    results = []
    first = threading.Thread(target=lambda: results.append(cache.get(("k",), slow_load, True)))
    first.start()
    assert started.wait(10)
    second = threading.Thread(target=lambda: results.append(cache.get(("k",), slow_load, True)))
    second.start()
    release.set()
    first.join(10)
    second.join(10)
    assert len(loads) == 1 and len(results) == 2 and results[0] is results[1]


def test_prefetch_loads_the_series_and_its_overview_in_the_background():
    import time

    cache = SeriesCache()
    cache.prefetch(("k",), lambda: finite_series("m", list(range(5000)), [float(i) for i in range(5000)]))
    deadline = time.monotonic() + 10
    series = None
    while time.monotonic() < deadline:
        series = cache._items.get(("k",))
        if series is not None and series.overviews:
            break
        time.sleep(0.01)
    assert series is not None and len(series.overviews[2000]["steps"]) == 2000
    assert cache.get(("k",), lambda: pytest.fail("loaded twice"), True) is series
    cache.prefetch(("missing",), lambda: (_ for _ in ()).throw(KeyError("no such metric")))
    with pytest.raises(KeyError):  # a failed prefetch leaves the error to the request
        cache.get(("missing",), lambda: (_ for _ in ()).throw(KeyError("no such metric")), True)


def _extremes_kept(series, data) -> bool:
    values = list(series.values)
    return (data["steps"][0] == series.steps[0] and data["steps"][-1] == series.steps[-1]
            and min(data["values"]) == min(values) and max(data["values"]) == max(values))


def test_a_bucket_with_both_a_peak_and_a_deeper_dip_keeps_both():
    from sacred_runner.ui.lttb import lttb_indices

    values = [0.0] * 1000
    values[500], values[501] = 1.0, -5.0  # one bucket: LTTB alone keeps the dip only
    assert 500 not in lttb_indices(list(range(1000)), values, 10)
    for series in (finite_series("m", list(range(1000)), values),
                   _finite_series_python("m", list(range(1000)), values)):
        data = chart_data(series, points=10)
        assert len(data["steps"]) <= 10 and data["downsampled"]
        assert 500 in data["steps"] and 501 in data["steps"] and _extremes_kept(series, data)


@settings(deadline=None, max_examples=60)
@given(st.lists(st.floats(-1e6, 1e6), min_size=5, max_size=400), st.integers(4, 60))
def test_downsampling_keeps_first_last_lowest_and_highest(values, points):
    steps = list(range(len(values)))
    for series in (finite_series("m", steps, values), _finite_series_python("m", steps, values)):
        data = chart_data(series, points=points)
        assert len(data["steps"]) <= points and _extremes_kept(series, data)
        assert data["steps"] == sorted(set(data["steps"]))
        assert all(values[int(s)] == v for s, v in zip(data["steps"], data["values"], strict=True))


def test_zooming_in_gives_every_stored_point_of_a_long_series():
    count = 300_000
    values = [math.sin(i / 700.0) + (3.0 if i == 123_457 else 0.0) for i in range(count)]
    series = finite_series("m", list(range(count)), values)
    whole = chart_data(series)
    assert whole["downsampled"] and len(whole["steps"]) <= 2000 and _extremes_kept(series, whole)
    assert 123_457 in whole["steps"]
    zoomed = chart_data(series, 123_000, 124_999)
    assert not zoomed["downsampled"] and zoomed["in_range"] == 2000
    assert zoomed["steps"] == list(range(123_000, 125_000)) and zoomed["values"] == values[123_000:125_000]
