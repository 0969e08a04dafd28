"""Objectives: parsing, values from outcomes, best-first order."""

from __future__ import annotations

import pytest

from sacred_runner.errors import UsageError
from sacred_runner.items import RunOutcome
from sacred_runner.sweep.objective import Objective, parse_objective


def test_parse_result_and_metric_forms():
    assert parse_objective("result", None) == Objective("result")
    assert parse_objective("metric:loss", "maximize") == Objective("metric", "loss", "last", "maximize")
    assert parse_objective("metric:loss:min", None).label == "loss (min)"
    assert parse_objective(None, None) is None


@pytest.mark.parametrize("text, direction, message", [
    ("metric", None, "expected 'result' or 'metric:NAME"),
    ("metric:loss:median", None, "last, min or max"),
    ("loss", None, "expected 'result'"),
    ("result", "up", "--direction: expected minimize or maximize"),
])
def test_bad_objectives(text, direction, message):
    with pytest.raises(UsageError, match=message):
        parse_objective(text, direction)


def test_values_and_order():
    done = RunOutcome(status="COMPLETED", result_value=2.5, metric_stats={"loss": {"last": 1, "min": 0.5, "max": 3}})
    failed = RunOutcome(status="FAILED", result_value=None)
    text = RunOutcome(status="COMPLETED", result_value="not a number")
    assert Objective("result").value(done) == 2.5
    assert Objective("metric", "loss", "min").value(done) == 0.5
    assert Objective("metric", "acc").value(done) is None
    assert Objective("result").value(failed) is None and Objective("result").value(text) is None
    maximize = Objective("result", direction="maximize")
    assert sorted([1.0, None, 3.0], key=maximize.sort_key) == [3.0, 1.0, None]
    assert sorted([1.0, None, 3.0], key=Objective("result").sort_key) == [1.0, 3.0, None]
