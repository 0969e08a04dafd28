"""-k expressions: parser against Python's own evaluation, and clear errors."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.errors import UsageError
from sacred_runner.keywords import parse_keyword_expression

NAMES = ["alpha", "beta", "gamma", "delta"]


def expressions(depth: int = 3) -> st.SearchStrategy[str]:
    """Random well-formed expressions over NAMES, fully parenthesised where needed."""
    leaf = st.sampled_from(NAMES)
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda a: f"not {a}", inner),
            st.builds(lambda a: f"({a})", inner),
            st.builds(lambda a, b: f"{a} and {b}", inner, inner),
            st.builds(lambda a, b: f"{a} or {b}", inner, inner),
        ),
        max_leaves=8,
    )


@given(expressions(), st.sets(st.sampled_from(NAMES)))
def test_expression_agrees_with_python_boolean_semantics(text, present):
    python_text = text
    for name in NAMES:
        python_text = python_text.replace(name, str(name in present))
    expected = eval(python_text)  # only True/False/and/or/not/parentheses
    assert parse_keyword_expression(text).matches(present) is expected


@given(st.text(alphabet="abc", min_size=1, max_size=5), st.text(alphabet="xyzabc", max_size=8))
def test_identifier_is_a_case_insensitive_substring_match(word, name):
    assert parse_keyword_expression(word).matches([name.upper()]) is (word in name)


def test_empty_expression_matches_everything():
    assert parse_keyword_expression("   ").matches([])


def test_names_may_contain_node_id_characters():
    expression = parse_keyword_expression("exp_a.py::mnist::train")
    assert expression.matches(["exp_a.py::mnist::train"])
    assert not expression.matches(["exp_a.py::mnist::main"])


@pytest.mark.parametrize("text", ["a and", "(a", "a)", "and a", "a b", "not", "a or or b", "a $ b", "()"])
def test_malformed_expressions_are_usage_errors_naming_the_column(text):
    with pytest.raises(UsageError, match=r"Wrong expression passed to '-k'.*column \d+"):
        parse_keyword_expression(text)


@given(st.text(max_size=20))
def test_any_text_either_parses_or_raises_usage_error(text):
    try:
        parse_keyword_expression(text)
    except UsageError:
        pass
