"""The multirun ``with`` grammar: value axes, range(), named-config axes, bad input."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.errors import UsageError
from sacred_runner.sweep.axes import (
    Axis,
    parse_multirun_updates,
    parse_range,
    range_length,
    split_top_level,
)


def test_values_ranges_named_configs_and_dotted_keys():
    axes = parse_multirun_updates(["lr=0.1,0.01", "bs=range(16, 65, 16)", "small,large", "opt.name=adam"])
    assert axes == [
        Axis("lr", (0.1, 0.01)),
        Axis("bs", range(16, 65, 16)),
        Axis("named_configs", (("small",), ("large",)), named=True),
        Axis("opt.name", ("adam",)),
    ]


def test_brackets_and_quotes_keep_their_commas():
    (shape, name, mixed) = parse_multirun_updates(["shape=[1,2],[3,4]", "name='a,b',c", "m={'x': 1, 'y': 2}"])
    assert shape.values == ([1, 2], [3, 4])
    assert name.values == ("a,b", "c")
    assert mixed.values == ({"x": 1, "y": 2},)


def test_a_later_update_of_a_key_wins():
    assert parse_multirun_updates(["a=1,2", "a=3"]) == [Axis("a", (3,))]


@pytest.mark.parametrize("token, message", [
    ("lr=", "the sweep axis 'lr' has no values"),
    ("lr=0.1,,0.2", "has an empty value"),
    ("bs=range(5, 1)", "has no values: range(5, 1) is empty"),
    ("bs=range(1,)", "malformed range"),
    ("bs=range(a, b)", "malformed range"),
    ("bs=range(1, 2, 3, 4)", "malformed range"),
    ("bs=range(0, 10, 0)", "the step must not be 0"),
    ("bs=range(1.5, 3)", "malformed range"),
    ("bs=range 1 3", "malformed range"),
    ("small,,large", "empty name"),
    ("a.=1,2", "Invalid config update"),
])
def test_bad_axes_are_usage_errors_naming_the_input(token, message):
    with pytest.raises(UsageError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_multirun_updates([token])


def test_range_matches_python_range():
    assert tuple(parse_range("range(3, 10, 3)", "k")) == (3, 6, 9)
    assert tuple(parse_range("range(-2, 2)", "k")) == (-2, -1, 0, 1)
    assert parse_range("0.5", "k") is None


@given(st.integers(-50, 50), st.integers(-50, 50), st.integers(-7, 7).filter(bool))
def test_range_length_is_len_of_the_range(start, stop, step):
    assert range_length(range(start, stop, step)) == len(range(start, stop, step))


def test_a_huge_range_axis_is_sized_without_listing_its_values():
    # 10**12 integers (8 TB as a tuple) and 10**21 (past sys.maxsize, where len() of a range overflows)
    (axis,) = parse_multirun_updates(["steps=range(0, 1000000000000)"])
    assert axis.size == 10**12
    (axis,) = parse_multirun_updates(["steps=range(1, 1000000000000000000001, 1)"])
    assert axis.size == 10**21
    (axis,) = parse_multirun_updates(["steps=range(1000000000000, 0, -3)"])
    assert axis.size == len(range(10**12, 0, -3))


@given(st.lists(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                          st.text(alphabet="abc,xyz '", max_size=6)), min_size=1, max_size=5))
def test_any_list_of_literals_round_trips_through_the_axis_grammar(values):
    text = ",".join(repr(v) for v in values)
    (axis,) = parse_multirun_updates([f"k={text}"])
    assert list(axis.values) == values


@given(st.lists(st.text(alphabet="ab[](){}'\",", max_size=8), max_size=5))
def test_split_top_level_never_loses_characters(parts):
    text = ",".join(parts)
    assert ",".join(split_top_level(text)) == text


def test_the_issues_example_is_a_four_point_grid():
    # "sacred run PATHS --multirun with lr=0.1,0.01 bs=32,64 runs the grid (4 points per selected experiment)"
    from sacred_runner.sweep.space import Grid

    grid = Grid(parse_multirun_updates(["lr=0.1,0.01", "bs=32,64"]))
    assert grid.size == 4
    assert [p.updates for p in grid.points()] == [
        {"lr": 0.1, "bs": 32}, {"lr": 0.1, "bs": 64}, {"lr": 0.01, "bs": 32}, {"lr": 0.01, "bs": 64}]
