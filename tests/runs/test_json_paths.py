"""The optional orjson path gives exactly the values of the standard library's, for every input."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sacred.runs import _json
from sacred.runs._json import accelerator, loads, loads_stdlib

orjson = pytest.importorskip("orjson", reason="orjson (the 'fast' extra) is not installed: one path only")

SCALARS = (st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(2**90), max_value=2**90)
           | st.none() | st.booleans() | st.text(max_size=8))
VALUES = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=5)
                      | st.dictionaries(st.text(max_size=4), inner, max_size=4), max_leaves=30)
NUMBER_TEXT = st.from_regex(r"\A-?(0|[1-9][0-9]{0,40})(\.[0-9]{1,40})?([eE][+-]?[0-9]{1,4})?\Z")


def same(a, b) -> bool:
    """Equal values of equal types (NaN equals NaN, -0.0 differs from 0.0, 1 from 1.0 and True)."""
    return repr(a) == repr(b)


def test_the_accelerator_is_used_when_installed(monkeypatch) -> None:
    assert accelerator() is orjson
    monkeypatch.setenv("SACRED_NO_ORJSON", "1")
    assert accelerator() is None


@given(VALUES, st.booleans())
@example([float("nan"), float("inf"), -float("inf"), -0.0, 0.0], False)
@example([2**63, -(2**63) - 1, 2**64, 2**64 - 1, -(2**64), 10**30, 9007199254740993], False)
@example(["\ud800", "a]b", "\\\"", "\u2028"], True)
@example([1e308, 5e-324, 2.2250738585072014e-308], True)
def test_both_paths_give_the_same_values(value, indent) -> None:
    text = json.dumps(value, indent=2 if indent else None)
    assert same(loads(text.encode()), loads_stdlib(text.encode()))
    assert same(loads(text), loads_stdlib(text))


@given(st.lists(NUMBER_TEXT, max_size=20))
@example(["1e400", "-1e400", "1e-400", "18446744073709551616", "-9223372036854775809", "0.1e1"])
@example(["1.00000000000000011102230246251565404236316680908203125", "123456789012345678901234567890.5"])
def test_number_texts_parse_alike(numbers) -> None:
    text = ("[" + ",".join(numbers) + "]").encode()
    assert same(loads(text), loads_stdlib(text))


@pytest.mark.parametrize("text", [b"[NaN, 1]", b"[Infinity]", b"[-Infinity]", b"[1e999]", b"[99999999999999999999]",
                                  b"\xef\xbb\xbf[1]", b'["\\udc00"]'])
def test_what_orjson_refuses_or_rounds_is_parsed_by_the_standard_library(text) -> None:
    assert same(loads(text), json.loads(text))


def test_a_huge_integer_is_exact_even_among_many_floats() -> None:
    values = [0.5] * 1000 + [2**70 + 1] + [None, "x"]
    assert same(loads(json.dumps(values).encode())[1000], 2**70 + 1)
    nested = {"a": {"b": [1, [2, -(2**65) - 1]]}}
    assert same(loads(json.dumps(nested).encode()), nested)


@pytest.mark.parametrize("text", [b"", b"[1,", b"[01]", b"{\"a\" 1}", b"\xff"])
def test_invalid_json_raises_what_the_standard_library_raises(text) -> None:
    with pytest.raises(ValueError):
        loads(text)
    with pytest.raises(ValueError):
        json.loads(text)


def test_rounding_check_sees_every_kind_of_container() -> None:
    assert not _json._may_be_rounded([1.0, 2, True, None, "s", [], {}])
    assert _json._may_be_rounded([[float(2**63)]])
    assert _json._may_be_rounded({"k": -float(2**64)})
    assert not _json._may_be_rounded(["a", "b"]) and not _json._may_be_rounded([math.pi] * 3)
