"""LTTB downsampling: shape-keeping choice of points, numpy and plain Python alike."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sacred_runner.ui.lttb import (
    _lttb_indices_numpy,
    bucket_bounds,
    lttb_indices,
    lttb_indices_python,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)
small_ints = st.integers(min_value=-1000, max_value=1000)


@st.composite
def curves(draw, values=finite, max_size=400):
    ys = draw(st.lists(values, min_size=0, max_size=max_size))
    xs = list(range(len(ys)))
    threshold = draw(st.integers(min_value=3, max_value=max(3, len(ys) + 5)))
    return xs, [float(y) for y in ys], threshold


def _area(a, b, c):
    return abs((a[0] - c[0]) * (b[1] - a[1]) - (a[0] - b[0]) * (c[1] - a[1]))


def _check_lttb_properties(xs, ys, threshold, kept):
    if len(xs) <= threshold:
        assert kept == list(range(len(xs)))
        return
    assert len(kept) == threshold
    assert kept[0] == 0 and kept[-1] == len(xs) - 1
    assert kept == sorted(set(kept))
    for chosen, (start, end) in zip(kept[1:-1], bucket_bounds(len(xs), threshold), strict=True):
        assert start <= chosen < end


@settings(deadline=None)  # the first call imports numpy
@given(curves())
def test_python_version_keeps_one_point_per_bucket_and_both_ends(case):
    xs, ys, threshold = case
    _check_lttb_properties(xs, ys, threshold, lttb_indices_python(xs, ys, threshold))


@settings(deadline=None)  # the first call imports numpy
@given(curves())
def test_numpy_version_keeps_one_point_per_bucket_and_both_ends(case):
    xs, ys, threshold = case
    kept = _lttb_indices_numpy(xs, ys, threshold) if len(xs) > threshold else lttb_indices(xs, ys, threshold)
    _check_lttb_properties(xs, ys, threshold, kept)


@settings(deadline=None)  # the first call imports numpy
@given(curves(values=small_ints))
def test_numpy_and_python_choose_the_same_points_when_sums_are_exact(case):
    xs, ys, threshold = case
    assert lttb_indices(xs, ys, threshold) == lttb_indices_python(xs, ys, threshold)


@settings(deadline=None)  # the first call imports numpy
@given(curves())
def test_each_chosen_point_forms_the_largest_triangle_in_its_bucket(case):
    xs, ys, threshold = case
    if len(xs) <= threshold:
        return
    kept = lttb_indices_python(xs, ys, threshold)
    bounds = bucket_bounds(len(xs), threshold)
    for number, (start, end) in enumerate(bounds):
        previous = kept[number]
        nxt = bounds[number + 1] if number + 1 < len(bounds) else (len(xs) - 1, len(xs))
        avg = (sum(xs[nxt[0]:nxt[1]]) / (nxt[1] - nxt[0]), sum(ys[nxt[0]:nxt[1]]) / (nxt[1] - nxt[0]))
        a = (xs[previous], ys[previous])
        best = max(_area(a, (xs[i], ys[i]), avg) for i in range(start, end))
        chosen = _area(a, (xs[kept[number + 1]], ys[kept[number + 1]]), avg)
        assert chosen == best


def test_a_spike_survives_downsampling():
    ys = [0.0] * 10_000
    ys[6_543] = 100.0
    kept = lttb_indices(list(range(10_000)), ys, 100)
    assert 6_543 in kept


def test_a_million_points_come_down_to_the_threshold():
    xs = list(range(1_000_000))
    ys = [math.sin(i / 5000) for i in xs]
    kept = lttb_indices(xs, ys, 2000)
    assert len(kept) == 2000 and kept[0] == 0 and kept[-1] == 999_999


@pytest.mark.parametrize("threshold", [0, 1, 2, -5])
def test_a_threshold_below_three_is_refused(threshold):
    with pytest.raises(ValueError, match="threshold must be at least 3"):
        lttb_indices([1, 2, 3, 4], [1, 2, 3, 4], threshold)


def test_lengths_must_match():
    with pytest.raises(ValueError, match="differ in length"):
        lttb_indices([1, 2, 3], [1, 2], 3)
