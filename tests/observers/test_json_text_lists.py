"""Lists in run files: indented_text gives json.dumps(indent=2, sort_keys=True)'s bytes at C speed for
flat lists, and compact_text json's compact bytes with or without orjson."""

from __future__ import annotations

import enum
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from layout_helpers import reference_dump

from sacred.observers.run_files import _json_text
from sacred.observers.run_files._json_text import compact_text, indented_text
from sacred.observers.run_files._layout import dump_json


class Flo(float):
    """A float subclass whose repr differs from float's."""

    def __repr__(self) -> str:
        return "Flo!"


class Int(int):
    """An int subclass whose repr differs from int's."""

    def __repr__(self) -> str:
        return "Int!"


class Str(str):
    """A str subclass."""


class Colour(enum.IntEnum):
    """An IntEnum (an int subclass with its own repr)."""

    RED = 1


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**30, max_value=10**60),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=6),
    st.sampled_from([1, 1.0, True, False, -0.0, 0.0, math.inf, -math.inf, math.nan, 1e16, 1e-5,
                     5e-324, "ü", "\u2028", '"', ",", "[", "{", "\\", "\x00", "😀"]),
    st.builds(Flo, st.floats(allow_nan=True)), st.builds(Int, st.integers()),
    st.builds(Str, st.text(max_size=4)), st.just(Colour.RED),
)
keys = st.one_of(st.text(max_size=4), st.integers(), st.floats(), st.booleans(), st.none())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.lists(inner, max_size=5).map(tuple),
    st.dictionaries(st.text(max_size=3), inner, max_size=3),
    st.dictionaries(keys, inner, max_size=3)), max_leaves=20)
flat_lists = st.one_of(
    st.lists(scalars, max_size=30), st.lists(st.floats(allow_nan=True), max_size=30),
    st.lists(st.text(max_size=5), max_size=30), st.lists(st.integers(), max_size=30).map(tuple),
)


@pytest.fixture(params=["orjson", "stdlib"], autouse=True)
def _accelerated(request, monkeypatch):
    """Every test runs with orjson (when installed, for lists of any length) and with the
    standard library only."""
    if request.param == "stdlib":
        monkeypatch.setenv("SACRED_NO_ORJSON", "1")
    else:
        monkeypatch.delenv("SACRED_NO_ORJSON", raising=False)
        monkeypatch.setattr(_json_text, "ORJSON_FROM_ITEMS", 1)


def indented(obj, compact=None):
    """indented_text of ``obj`` at the top level, without the memo."""
    return indented_text(obj, compact_text(obj) if compact is None else compact, 0, memo=False)


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except (TypeError, ValueError) as exc:
        return "error", type(exc)


@settings(max_examples=400)
@given(st.one_of(values, flat_lists))
def test_indented_text_is_json_dumps_indented(obj):
    assert _outcome(indented, obj) == _outcome(lambda o: json.dumps(o, indent=2, sort_keys=True), obj)


@settings(max_examples=200)
@given(flat_lists)
def test_the_callers_compact_text_gives_the_same_bytes(obj):
    expected = json.dumps(obj, indent=2, sort_keys=True)
    assert indented(obj, compact_text(obj)) == expected
    assert indented(obj) == expected


@settings(max_examples=300)
@given(st.one_of(values, flat_lists, st.dictionaries(st.text(max_size=3), flat_lists, max_size=4)))
def test_dump_json_keeps_its_bytes(obj):
    assert _outcome(dump_json, obj) == _outcome(reference_dump, obj)


def test_flat_lists_never_reach_the_pure_python_encoder(monkeypatch):
    def slow(*args, **kwargs):
        raise AssertionError("pure-Python encoder used")

    monkeypatch.setattr(json.encoder, "_make_iterencode", slow)
    floats = [k / 7 for k in range(1000)] + [math.nan, math.inf, -0.0, 1e300]
    assert indented(floats).startswith("[\n  0.0,\n  0.14285714285714285,\n")
    assert indented([1, True, None, 2.5, Int(3), 4, 5, 6]) == \
        "[\n  1,\n  true,\n  null,\n  2.5,\n  3,\n  4,\n  5,\n  6\n]"
    assert indented(["a", "ü,\"["] * 4) == "[\n" + ",\n".join(['  "a"', '  "\\u00fc,\\"["'] * 4) + "\n]"
    assert indented([{"a": [1.5] * 9}]).startswith('[\n  {\n    "a": [\n      1.5,\n')  # walked
    assert indented(()) == "[]"
    with pytest.raises(AssertionError):  # what the walk does not know goes through json.dumps
        indented([{1: "a"}])


number_lists = st.recursive(
    st.lists(st.one_of(
        st.floats(allow_nan=True), st.integers(), st.integers(min_value=2**62, max_value=2**66),
        st.booleans(), st.none(), st.builds(Flo, st.floats()), st.builds(Int, st.integers(-9, 9)),
        st.just(Colour.RED), st.floats(min_value=1e-6, max_value=1e-3),
        st.floats(min_value=1e14, max_value=1e18), st.sampled_from([5e-324, 1e-7, 1e16, 1e-05, -0.0]),
    ), min_size=1, max_size=40),
    lambda inner: st.lists(inner, min_size=1, max_size=3), max_leaves=60)


@settings(max_examples=500)
@given(st.one_of(number_lists, number_lists.map(tuple), flat_lists))
def test_compact_text_is_json_dumps_compact(obj):
    expected = _outcome(lambda o: json.dumps(o, sort_keys=True, separators=(",", ":"), allow_nan=True), obj)
    assert _outcome(compact_text, obj) == expected


def test_number_lists_use_orjson_when_installed(monkeypatch):
    orjson = pytest.importorskip("orjson")
    monkeypatch.delenv("SACRED_NO_ORJSON", raising=False)  # on in both parameters: this is about orjson
    monkeypatch.setattr(_json_text, "ORJSON_FROM_ITEMS", 1024)
    calls = []
    real = _json_text.c_make_encoder
    monkeypatch.setattr(_json_text, "c_make_encoder", lambda *a: calls.append(a) or real(*a))
    floats = [k + j / 7 for k in range(3) for j in range(400)]
    assert compact_text(floats) == orjson.dumps(floats).decode()
    assert calls == []
    assert compact_text([1e-05] * 2000) == "[" + ",".join(["1e-05"] * 2000) + "]"  # orjson's would differ
    assert len(calls) == 1
    assert compact_text([1.5] * 10) == "[" + ",".join(["1.5"] * 10) + "]" and len(calls) == 2  # short


def test_short_lists_never_import_orjson(monkeypatch):
    def refuse():
        raise AssertionError("orjson asked for a short list")

    monkeypatch.setattr(_json_text, "ORJSON_FROM_ITEMS", 1024)
    monkeypatch.setattr(_json_text, "_accelerator", refuse)
    assert compact_text([0.5] * 1023) == "[" + ",".join(["0.5"] * 1023) + "]"
