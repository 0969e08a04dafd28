"""D5: ``sacred runs "id == 2"`` and ``"id > 3"`` compare numeric ids as numbers (they matched nothing)."""

from __future__ import annotations

import pytest

from sacred.runs.filters import compile_filter, evaluate, parse_filter
from sacred.runs.model import RunSummary
from tests.sacred_runner.tools.helpers import sacred


def _ids(spec: str, where: str) -> list[str]:
    result = sacred("runs", "--store", spec, where)
    assert result.ret == 0, result.err
    return sorted((line.split()[0] for line in result.out.splitlines()[2:] if line.split() and line.split()[0].isdigit()),
                  key=int)


@pytest.mark.parametrize("any_store", ["file_storage", "sqlite", "mongodb"], indirect=True)
def test_numeric_ids_compare_as_numbers(any_store) -> None:
    assert _ids(any_store.spec, "id == 2") == ["2"]
    assert _ids(any_store.spec, "id > 3") == ["4", "5"]
    assert _ids(any_store.spec, "id in [1, 5]") == ["1", "5"]
    assert _ids(any_store.spec, "id == '2'") == ["2"]  # as text still works
    assert _ids(any_store.spec, "2 == id") == ["2"]


@pytest.mark.parametrize("where, expected", [
    ("id == 25", ["25"]), ("id > 9", ["10", "25"]), ("id != 25", ["3", "10", "ab12"]),
    ("id == '25'", ["25"]), ("id >= '3'", ["3", "ab12"]), ("id == 'ab12'", ["ab12"]),
    ("id in [3, 'ab12']", ["3", "ab12"]), ("id not in [3, 10]", ["25", "ab12"]), ("id < 4", ["3"]),
])
def test_id_filter_rules(where, expected) -> None:
    runs = [RunSummary(id=run_id) for run_id in ("3", "10", "25", "ab12")]
    expr = parse_filter(where)
    assert [r.id for r in runs if evaluate(expr, r)] == expected
    assert [r.id for r in runs if compile_filter(expr)(r)] == expected
