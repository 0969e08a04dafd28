"""D4: sorting by a metric is total and stable for any stored values (huge integers, NaN, inf, None, text)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sacred.runs.model import RunSummary
from sacred.runs.query import Query, apply_query

VALUES = st.one_of(st.integers(min_value=-10**500, max_value=10**500), st.floats(), st.none(),
                   st.text(max_size=3), st.booleans())


def _run(run_id: int, value) -> RunSummary:
    return RunSummary(id=str(run_id), status="COMPLETED", final_metrics={"m": value})


@given(st.lists(VALUES, max_size=10))
def test_sort_by_metric_is_total(values) -> None:
    runs = [_run(i, v) for i, v in enumerate(values)]
    ordered = apply_query(runs, Query.build(sort="metric:m"))
    assert sorted(r.id for r in ordered) == sorted(r.id for r in runs)
    numbers = [r.final_metrics["m"] for r in ordered
               if isinstance(r.final_metrics["m"], int | float) and r.final_metrics["m"] == r.final_metrics["m"]]
    assert numbers == sorted(numbers)
    assert apply_query(list(reversed(runs)), Query.build(sort="metric:m")) == ordered  # ties broken by id
