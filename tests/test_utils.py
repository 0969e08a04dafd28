"""sacred.utils helpers that Sacred 0.8.7 exposed (values probed on 0.8.7)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sacred.utils import (
    PATHCHANGE,
    NamedConfigNotFoundError,
    SacredError,
    convert_camel_case_to_snake_case,
    convert_to_nested_dict,
    format_filtered_stacktrace,
    format_sacred_error,
    get_by_dotted_path,
    get_inheritors,
    get_package_version,
    is_prefix,
    iter_prefixes,
    iterate_flattened,
    iterate_flattened_separately,
    join_paths,
    module_exists,
    module_is_in_cache,
    parse_version,
    recursive_update,
    rel_path,
    set_by_dotted_path,
)

PART = st.from_regex(r"[a-z]{1,4}", fullmatch=True)


def test_dotted_paths():
    assert get_by_dotted_path({"a": {"b": 1}}, "a.b") == 1
    assert get_by_dotted_path({"a": {"b": 1}}, "a.c", 5) == 5
    assert get_by_dotted_path({"a": 1}, "") == {"a": 1}
    d: dict = {}
    set_by_dotted_path(d, "a.b", 1)
    assert d == {"a": {"b": 1}}
    assert join_paths("a", "", "b.c", None) == "a.b.c" and join_paths() == ""


@given(st.lists(PART, min_size=1, max_size=4), st.integers())
def test_set_then_get_round_trips(parts, value):
    d: dict = {}
    path = ".".join(parts)
    set_by_dotted_path(d, path, value)
    assert get_by_dotted_path(d, path) == value
    assert list(iter_prefixes(path))[-1] == path
    assert all(is_prefix(p, path) for p in list(iter_prefixes(path))[:-1])


def test_prefixes_as_087():
    assert is_prefix("data", "data.sub") and is_prefix("", "x")
    assert not is_prefix("data", "database") and not is_prefix("a", "a")
    assert list(iter_prefixes("a.b.c")) == ["a", "a.b", "a.b.c"]
    assert list(iter_prefixes("")) == []
    assert rel_path("a", "a.b.c") == "b.c" and rel_path("", "a.b") == "a.b"
    with pytest.raises(AssertionError, match="x not a prefix of a.b"):
        rel_path("x", "a.b")


def test_flattening_and_nesting():
    assert list(iterate_flattened({"a": {"b": 1, "c": {}}, "d": 2})) == [("a.b", 1), ("a.c", {}), ("d", 2)]
    assert list(
        iterate_flattened_separately({"z": 1, "a": {"b": 1}, "c": 2, "e": {}}, manually_sorted_keys=["c"])
    ) == [("c", 2), ("e", {}), ("z", 1), ("a", PATHCHANGE), ("a.b", 1)]
    assert convert_to_nested_dict({"a.b": 1, "a": {"c": 2}}) == {"a": {"b": 1, "c": 2}}
    assert convert_to_nested_dict({"c": {"d.e": 2}}) == {"c": {"d": {"e": 2}}}
    assert recursive_update({"a": {"b": 1}, "c": 2}, {"a": {"d": 3}, "c": 5}) == {
        "a": {"b": 1, "d": 3},
        "c": 5,
    }


def test_names_classes_modules_versions():
    assert convert_camel_case_to_snake_case("CamelCaseHTTPServer") == "camel_case_http_server"
    assert convert_camel_case_to_snake_case("MyExperiment") == "my_experiment"

    class A:
        pass

    class B(A):
        pass

    class C(B):
        pass

    assert get_inheritors(A) == {B, C}
    assert parse_version("1.2.3") < parse_version("1.10")
    import numpy

    assert get_package_version("numpy") == parse_version(numpy.__version__)
    with pytest.raises(ModuleNotFoundError):
        get_package_version("sacred_no_such_module")
    assert module_exists("json") and module_exists("os.path") and not module_exists("sacred_nope")
    assert module_is_in_cache("sys") and not module_is_in_cache("sacred_nope")


def test_named_config_not_found_keeps_087_signature():
    err = NamedConfigNotFoundError("foo", available_named_configs=("bar", "fou"))
    assert isinstance(err, SacredError) and isinstance(err, KeyError)
    assert '"foo"' in str(err) and "bar, fou" in str(err)
    assert err.named_config == "foo" and err.available_named_configs == ("bar", "fou")
    custom = NamedConfigNotFoundError("x", "No such config:", ("y",), print_usage=True)
    assert str(custom).startswith('No such config: "x"') and custom.print_usage


def _raise(err: BaseException) -> str:
    try:
        raise err
    except BaseException as caught:  # noqa: BLE001
        return format_sacred_error(caught, "USAGE")


def test_format_sacred_error_as_087():
    assert _raise(SacredError("plain msg", print_usage=True)) == (
        "USAGE\nsacred.utils.SacredError: plain msg\n"
    )
    assert _raise(SacredError("plain msg")) == "sacred.utils.SacredError: plain msg\n"
    text = _raise(SacredError("tb msg", print_traceback=True))
    assert text.startswith("Traceback (most recent calls WITHOUT Sacred internals):\n")
    assert "in _raise" in text and text.endswith("sacred.utils.SacredError: tb msg\n")


def test_format_filtered_stacktrace_filters_sacred_frames():
    def inner():
        recursive_update({}, None)  # fails inside sacred.utils

    try:
        inner()
    except AttributeError:
        filtered = format_filtered_stacktrace()
        full = format_filtered_stacktrace("never")
    assert "in inner" in filtered and "AttributeError" in filtered
    assert "sacred/utils.py" not in filtered
    assert "Traceback (most recent call last)" in full and "sacred/utils.py" in full
    assert format_filtered_stacktrace() == ""  # nothing being handled
