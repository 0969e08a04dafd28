"""The filter language: parsing, errors that say where, evaluation, and a round trip under hypothesis."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sacred.runs.filters import (
    And,
    Compare,
    Field,
    ListValue,
    Literal,
    Not,
    Or,
    compile_filter,
    evaluate,
    parse_filter,
    to_text,
)
from sacred.runs.model import FilterError, RunSummary

RUN = RunSummary(
    id="7", experiment="mnist", status="COMPLETED", start_time=dt.datetime(2024, 5, 2, 10, 0),
    config={"lr": 0.05, "opt": {"name": "adam"}, "layers": [1, 2], "use_gpu": True, "tag": None},
    result=0.93, final_metrics={"loss": 0.12, "val.acc": 0.9}, sweep={"id": "sw1", "index": 3},
    comment="baseline with warmup", duration=12.5,
)


@pytest.mark.parametrize("text, expected", [
    ("config.lr > 0.01 and status == 'COMPLETED'", True),  # the brief's example
    ("config.lr > 0.1", False),
    ("config.opt.name == 'adam'", True),
    ("config.opt.name != \"adam\"", False),
    ("experiment == 'mnist' or config.lr < 0", True),
    ("not (status == 'FAILED')", True),
    ("status in ['COMPLETED', 'FAILED']", True),
    ("status not in ['COMPLETED']", False),
    ("config.use_gpu", True),
    ("config.missing", False),
    ("config.missing == null", True),
    ("config.tag == null", True),
    ("config.lr == '0.05'", False),  # different kinds never compare equal
    ("config.lr > 'a'", False),      # ... nor in order, and never raise
    ("metrics.loss <= 0.12", True),
    ("metric.loss < 0.1", False),
    ("metrics.val.acc >= 0.9", True),  # a metric name with a dot
    ("sweep.id == 'sw1' and sweep.index == 3", True),
    ("start_time > '2024-05-01'", True),
    ("start_time < '2024-05-01T00:00:00'", False),
    ("comment =~ 'warm.p'", True),
    ("'warmup' in comment", True),
    ("duration > 10 and result > 0.9", True),
    ("id == '7'", True),
    ("config.layers == [1, 2]", True),
    ("config.layers == [2, 1]", False),
    ("NOT status == 'FAILED' AND config.lr > 1e-3", True),
    ("config.use_gpu == true", True),
])
def test_filter_evaluates(text: str, expected: bool) -> None:
    assert evaluate(parse_filter(text), RUN) is expected
    assert compile_filter(parse_filter(text))(RUN) is expected


@pytest.mark.parametrize("text, column, fragment", [
    ("config.lr >", 12, "expected a field or a value"),
    ("config.lr = 1", 11, "'=' is not an operator"),
    ("lr > 1", 1, "unknown field 'lr'"),
    ("config > 1", 1, "'config' needs a key"),
    ("status == 'COMPLETED", 11, "string not closed"),
    ("(status == 'x'", 15, "expected ')'"),
    ("status == 'x' status", 15, "expected 'and', 'or' or the end"),
    ("comment =~ '('", 9, "bad regular expression"),
    ("", 1, "empty filter"),
    ("config.lr > 1 ;", 15, "unexpected character ';'"),
])
def test_bad_filter_says_where_and_gives_the_grammar(text: str, column: int, fragment: str) -> None:
    with pytest.raises(FilterError) as error:
        parse_filter(text)
    message = str(error.value)
    assert f"column {column}" in message
    assert fragment in message
    assert "filter grammar:" in message
    assert isinstance(error.value, ValueError)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    with pytest.raises(FilterError, match="nested more than"):
        parse_filter("(" * 500 + "status" + ")" * 500)


NAMES = st.from_regex(r"[a-z_][a-z0-9_]{0,6}", fullmatch=True).filter(
    lambda n: n not in {"and", "or", "not", "in", "true", "false", "null", "none"})
FIELDS = st.one_of(
    st.sampled_from(["id", "experiment", "status", "duration", "result", "comment", "start_time"]).map(
        lambda n: Field((n,))),
    st.tuples(st.sampled_from(["config", "metrics", "sweep"]), st.lists(NAMES, min_size=1, max_size=3)).map(
        lambda t: Field((t[0], *t[1]))),
)
LITERALS = st.one_of(
    st.integers(min_value=-10**12, max_value=10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.booleans(),
    st.none(),
).map(Literal)
VALUES = st.one_of(FIELDS, LITERALS, st.lists(LITERALS, max_size=3).map(lambda items: ListValue(tuple(items))))
COMPARES = st.builds(Compare, VALUES, st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"]),
                     VALUES)
EXPRESSIONS = st.recursive(
    st.one_of(COMPARES, FIELDS),
    lambda inner: st.one_of(
        inner.map(Not),
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: And(tuple(ops))),
        st.lists(inner, min_size=2, max_size=3).map(lambda ops: Or(tuple(ops))),
    ),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
def test_rendered_filters_parse_back_to_the_same_tree(expr) -> None:
    assert parse_filter(to_text(expr)) == expr


@settings(max_examples=300, deadline=None)
@given(EXPRESSIONS)
def test_evaluation_never_raises_and_compiled_filters_agree(expr) -> None:
    assert evaluate(expr, RUN) in (True, False)
    assert compile_filter(expr)(RUN) is evaluate(expr, RUN)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="config.lrstau =<>!~()[]',\"0123456789andorint -", max_size=40))
def test_any_text_either_parses_or_raises_filter_error(text: str) -> None:
    try:
        expr = parse_filter(text)
    except FilterError as error:
        assert "filter grammar:" in str(error)
    else:
        assert evaluate(expr, RUN) in (True, False)
