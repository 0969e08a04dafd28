"""D4: integer metrics beyond float range (``10**400``) crashed show, compare, runs --sort and the UI."""

from __future__ import annotations

import math

from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.tools.common import finite_numbers, sparkline
from sacred_runner.tools.compare import plot
from tests.sacred_runner.tools.helpers import sacred
from tests.sacred_runner.tools.trial_runs import run_experiment

# no booleans: finite_numbers keeps a list of numbers as it is without looking at each item's type
METRIC_VALUES = st.one_of(st.integers(min_value=-10**500, max_value=10**500), st.floats(), st.none(),
                          st.text(max_size=3),
                          st.sampled_from([10**400, -10**400, 10**308 * 2, float("nan"), float("inf")]))


def _as_finite(value):
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, int) and abs(value) > 1.7976931348623157e308:
        return None
    return float(value) if math.isfinite(value) else None


def _log_big(run):
    for step, value in enumerate([1, 10**400, 3, -10**400, float("nan"), 2]):
        run.log_scalar("big", value, step)
    run.log_scalar("small", 0.5)


def _store(tmp_path):
    store = tmp_path / "runs"
    first = run_experiment(store, _log_big)
    second = run_experiment(store, lambda run: run.log_scalar("big", 7), {"x": 2})
    return store, first, second


def test_show_compare_and_sort_survive_huge_integers(tmp_path) -> None:
    store, first, second = _store(tmp_path)
    shown = sacred("show", first, "--store", str(store))
    assert shown.ret == 0, shown.err
    big = next(line for line in shown.out.splitlines() if line.strip().startswith("big"))
    assert big.split()[1:5] == ["3", "2", "1", "3"]  # the finite points: 1, 3, 2
    compared = sacred("compare", first, second, "--store", str(store), "--plot", "big")
    assert compared.ret == 0, compared.err
    assert "* run 1" in compared.out
    for order in ("metric:big", "-metric:big"):
        listed = sacred("runs", "--store", str(store), f"--sort={order}")
        assert listed.ret == 0, listed.err
        ids = [line.split()[0] for line in listed.out.splitlines()[2:4]]
        assert ids == ([first, second] if order == "metric:big" else [second, first])  # final 2 vs 7


def test_ui_metric_and_sort_survive_huge_integers(tmp_path) -> None:
    from sacred_runner.ui.series import finite_series

    series = finite_series("big", [0, 1, 2, 3], [1, 10**400, 3, -10**400])
    assert list(series.values) == [1.0, 3.0] and series.dropped == 2


@given(st.lists(METRIC_VALUES, max_size=12))
def test_finite_numbers_keeps_exactly_the_finite_numbers(values) -> None:
    numbers = finite_numbers(values)
    expected = [_as_finite(v) for v in values]
    assert [float(n) for n in numbers] == [v for v in expected if v is not None]
    assert all(math.isfinite(n) for n in numbers)
    assert isinstance(sparkline(values), str)
    assert plot([("a", list(range(len(values))), values)])


@given(st.lists(METRIC_VALUES, max_size=12), st.lists(METRIC_VALUES, max_size=12))
def test_finite_series_never_raises(steps, values) -> None:
    from sacred_runner.ui.series import _finite_series_python, finite_series

    for build in (finite_series, _finite_series_python):
        series = build("m", steps, values)
        assert len(series.steps) == len(series.values)
        assert all(math.isfinite(v) for v in series.values) and all(math.isfinite(s) for s in series.steps)
        assert list(series.steps) == sorted(series.steps)
        assert len(series.steps) + series.dropped == max(len(steps), len(values))
