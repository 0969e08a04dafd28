"""The metric encoder gives exactly the bytes ``json.dumps`` gives for the same data."""

from __future__ import annotations

import datetime as dt
import json
import math

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sacred.metrics_logger import CheckedPoints
from sacred.observers.run_files._metrics_store import (
    MetricSeries,
    _ints_text,
    _numbers_text,
    encode_list,
    iso_timestamps,
)


def reference_iso(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.UTC).replace(tzinfo=None).isoformat()


def reference_text(stamps: list[float]) -> str:
    return json.dumps([reference_iso(t) for t in stamps], separators=(",", ":"))[1:-1]


modern = st.floats(min_value=0.0, max_value=4_102_444_800.0, allow_nan=False)  # up to 2100
near_second = st.builds(
    lambda base, offset: base + offset,
    st.integers(min_value=1_000_000_000, max_value=2_000_000_000),
    st.sampled_from([0.0, 0.5e-6, 1.5e-6, 2.5e-6, 0.9999995, 0.9999996, 0.9999994, 1e-7, 0.5]),
)


@settings(max_examples=300)
@given(st.lists(st.one_of(modern, near_second), max_size=40))
@example([1_765_000_000.9999996, 1_765_000_001.25])
@example([0.0, 1e-6, 253_402_300_799.999])
@example([1_048_576.0000005, 1_048_576.9999995, 1_048_583.9999996])  # 2**20: the few-seconds path
@example([1_048_575.9999996, 1_048_576.0000004])  # just below it
def test_timestamps_match_datetime_isoformat(stamps):
    assert iso_timestamps(stamps) == reference_text(stamps)


@settings(max_examples=200)
@given(st.integers(min_value=1_000_000_000, max_value=2_000_000_000),
       st.lists(st.integers(min_value=1, max_value=999_999), min_size=1, max_size=50))
def test_timestamps_of_one_busy_second_take_the_fast_path_and_match(second, micros):
    stamps = sorted(second + m / 1e6 for m in micros)
    assert iso_timestamps(stamps) == reference_text(stamps)


@settings(max_examples=200)
@given(st.integers(min_value=1_000_000_000, max_value=2_000_000_000),
       st.lists(st.tuples(st.integers(min_value=0, max_value=3),
                          st.sampled_from([0, 1, 2, 499_999, 500_000, 999_999])
                          | st.integers(min_value=0, max_value=999_999),
                          st.sampled_from([0.0, 0.4e-7, 0.5e-6, 0.49e-6, 0.9999996])),
                min_size=1, max_size=60))
def test_timestamps_of_busy_seconds_with_whole_seconds_and_carries_inside(second, points):
    """Runs of one second split by points datetime formats itself (no fraction, a carry)."""
    stamps = sorted(second + s + m / 1e6 + extra for s, m, extra in points)
    assert iso_timestamps(stamps) == reference_text(stamps)
    assert iso_timestamps(stamps[::-1]) == reference_text(stamps[::-1])  # clock stepped back


def test_timestamps_outside_the_fast_range_behave_like_datetime():
    assert iso_timestamps([-1.5]) == reference_text([-1.5])
    with pytest.raises((ValueError, OverflowError, OSError)):
        reference_iso(math.nan)
    with pytest.raises((ValueError, OverflowError, OSError)):
        iso_timestamps([1.0, math.nan])


numbers = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([-0.0, 0.0, 1e16, 1e-7, 5e-324]),
)


@given(st.lists(numbers, max_size=30))
def test_number_lists_encode_like_json(values):
    assert encode_list(values) == json.dumps(values, separators=(",", ":"))[1:-1]


@given(st.lists(st.integers(min_value=-(10**30), max_value=10**30), max_size=30)
       | st.lists(numbers, max_size=30)
       | st.lists(st.one_of(st.integers(), st.booleans(), st.text(max_size=3)), max_size=5))
def test_plain_number_lists_take_the_bulk_path_and_encode_like_json(items):
    text = _numbers_text(items)
    if {type(i) for i in items} <= {int, float}:
        assert text == json.dumps(items, separators=(",", ":"))[1:-1]
    else:
        assert text is None  # bools, strings: flattened by the caller first


@given(st.integers(min_value=-(10**20), max_value=10**20), st.integers(min_value=0, max_value=400),
       st.lists(st.integers(min_value=0, max_value=400), max_size=2), st.integers(-3, 3))
def test_int_lists_and_step_ranges_encode_like_json(start, count, breaks, shift):
    """A consecutive range takes the ten-block path; a list with a break or a gap does not."""
    items = list(range(start, start + count))
    assert _ints_text(items) == json.dumps(items, separators=(",", ":"))[1:-1]
    for position in breaks:
        if position < len(items):
            items[position] += shift
    assert _ints_text(items) == json.dumps(items, separators=(",", ":"))[1:-1]


def documented(name_points: list[tuple[str, list[int], list, list[float]]]) -> dict:
    result: dict = {}
    for name, steps, values, stamps in name_points:
        series = result.setdefault(name, {"steps": [], "timestamps": [], "values": []})
        series["steps"] += steps
        series["values"] += values
        series["timestamps"] += [reference_iso(t) for t in stamps]
    return result


batch = st.integers(min_value=0, max_value=6).flatmap(
    lambda n: st.tuples(
        st.sampled_from(["loss", "acc", "a,b", "ü", 'q"uote']),
        st.lists(st.integers(min_value=0, max_value=10**6), min_size=n, max_size=n),
        st.lists(numbers, min_size=n, max_size=n),
        st.lists(modern, min_size=n, max_size=n),
    )
)


@settings(max_examples=150)
@given(st.lists(batch, max_size=8), st.sampled_from(["records", "points", "checked"]))
def test_metrics_file_is_json_dumps_of_the_series(batches, form):
    """Through log_metrics' records, unix points, and log_scalar's checked points (no type checks)."""
    as_records = form == "records"
    store = MetricSeries()
    for name, steps, values, stamps in batches:
        if not values and as_records:
            continue  # log_metrics ignores calls without values
        if as_records:
            times = [dt.datetime.fromtimestamp(t, dt.UTC).replace(tzinfo=None) for t in stamps]
            line = store.add_records({name: {"steps": steps, "values": values, "timestamps": times}})
        else:
            points = {name: (steps, values, stamps)}
            line = store.add_unix_points(CheckedPoints(points) if form == "checked" else points)
        expected_line = documented([(name, steps, values, stamps)])
        assert json.loads(line) == json.loads(json.dumps(expected_line))  # journal record
    kept = [b for b in batches if b[2] or not as_records]
    expected = documented(kept)
    compact = json.dumps(expected, sort_keys=True, separators=(",", ":"))
    assert store.compact() == compact
    assert store.file_bytes() == json.dumps(expected, indent=2, sort_keys=True).encode()
    finals = {name: s["values"][-1] for name, s in expected.items() if s["values"]}
    assert json.dumps(store.final_values(), sort_keys=True) == json.dumps(finals, sort_keys=True)


def test_records_with_non_numeric_values_and_commas_are_indented_like_json():
    store = MetricSeries()
    stamp = dt.datetime(2025, 1, 2, 3, 4, 5)
    store.add_records({"x": {"steps": [0, 1], "values": ["a,b", {"k": [1, 2]}],
                             "timestamps": [stamp, stamp]}})
    expected = {"x": {"steps": [0, 1], "timestamps": [stamp.isoformat()] * 2,
                      "values": ["a,b", {"k": [1, 2]}]}}
    assert store.file_bytes() == json.dumps(expected, indent=2, sort_keys=True).encode()


def test_large_series_are_compact():
    store = MetricSeries()
    count = 40_000
    store.add_unix_points({"m": (list(range(count)), [i / 7 for i in range(count)],
                                 [1_765_000_000.123 + i * 1e-3 for i in range(count)])})
    data = store.file_bytes()
    assert len(data) > 1 << 20 and b"\n" not in data
    assert json.loads(data)["m"]["steps"] == list(range(count))
