"""Parsing of `with` arguments: literals, string fallback, strict mode, updates."""

from __future__ import annotations

import ast
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sacred.commandline.errors import CommandLineError
from sacred.commandline.values import parse_update, parse_value, split_updates
from sacred.settings import SETTINGS


@pytest.fixture
def strict_parsing():
    SETTINGS.COMMAND_LINE.STRICT_PARSING = True
    try:
        yield
    finally:
        SETTINGS.COMMAND_LINE.STRICT_PARSING = False


@pytest.mark.parametrize(
    "text, expected",
    [
        ("10", 10),
        ("2.3", 2.3),
        ("-1", -1),
        ("-.3e-7", -0.3e-7),
        ("0b111000", 56),
        ("0x1F", 31),
        ("1_000", 1000),
        ("True", True),
        ("False", False),
        ("None", None),
        ('"FooBar"', "FooBar"),
        ("'3'", "3"),
        ('"Hello Bob!"', "Hello Bob!"),
        ("[1, 2, 3]", [1, 2, 3]),
        ('[["a", "b"], [2, 3], False]', [["a", "b"], [2, 3], False]),
        ('{"a":1, "b":[-.2, "two"]}', {"a": 1, "b": [-0.2, "two"]}),
        ("(1, (2, 3))", [1, [2, 3]]),
        ("  5 ", 5),
    ],
)
def test_python_literals_are_parsed(text, expected):
    assert parse_value(text) == expected
    assert type(parse_value(text)) is type(expected)


@pytest.mark.parametrize("text", ["Bob", "hello world", "[1,", "true", "null", "nan", "", "1=2"])
def test_non_literals_fall_back_to_the_plain_string(text):
    assert parse_value(text) == text


@pytest.mark.parametrize("text", ["{1, 2}", "1+2j", "b'x'", "[1, {2}]"])
def test_literals_a_config_cannot_store_are_refused_by_name(text):
    with pytest.raises(CommandLineError, match="cannot be stored in a config") as info:
        parse_value(text)
    assert repr(text) in str(info.value)


def test_strict_parsing_refuses_non_literals_naming_value_and_key(strict_parsing):
    with pytest.raises(CommandLineError) as info:
        parse_update("name=Bob")
    message = str(info.value)
    assert "'Bob'" in message and '"name"' in message and "STRICT_PARSING" in message
    assert parse_update('name="Bob"') == ("name", "Bob")


def test_value_parsing_never_evaluates_code(tmp_path):
    marker = tmp_path / "marker"
    text = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    assert parse_value(text) == text
    assert not marker.exists()


def test_update_splits_at_the_first_equals_sign():
    assert parse_update("a=1=2") == ("a", "1=2")
    assert parse_update("d.foo=100") == ("d.foo", 100)
    assert parse_update(" a =5") == ("a", 5)


@pytest.mark.parametrize("text", ["=3", "a..b=1", ".a=1", "a.=1", "a b=1", "noequals"])
def test_malformed_updates_are_refused_naming_the_update(text):
    with pytest.raises(CommandLineError) as info:
        parse_update(text)
    assert repr(text) in str(info.value)


def test_split_updates_builds_nested_updates_and_keeps_named_configs_in_order():
    updates, named = split_updates(
        ["variant1", "a=23", "d.foo=100", "my_variant.json", "d.bar='x'", "variant2"]
    )
    assert updates == {"a": 23, "d": {"foo": 100, "bar": "x"}}
    assert named == ["variant1", "my_variant.json", "variant2"]


def test_a_later_update_to_the_same_key_wins():
    assert split_updates(["a=1", "a=2"])[0] == {"a": 2}
    assert split_updates(["a.b=1", "a=3"])[0] == {"a": 3}


literals = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(literals)
def test_repr_of_any_literal_round_trips(value):
    assert parse_value(repr(value)) == value


def _as_lists(value):
    if isinstance(value, (list, tuple)):
        return [_as_lists(v) for v in value]
    if isinstance(value, dict):
        return {k: _as_lists(v) for k, v in value.items()}
    return value


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_text_gives_its_literal_or_itself_or_the_documented_error(text):
    try:
        value = parse_value(text)
    except CommandLineError as err:
        assert "cannot be stored" in str(err)
        return
    try:
        literal = ast.literal_eval(text.strip())
    except Exception:
        assert value == text
        return
    assert value == _as_lists(literal) or (isinstance(value, float) and math.isnan(value))


@settings(max_examples=200, deadline=None)
@given(
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}(\.[A-Za-z_][A-Za-z0-9_]{0,8}){0,3}", fullmatch=True),
    literals,
)
def test_generated_updates_round_trip(key, value):
    assert parse_update(f"{key}={value!r}") == (key, value)
