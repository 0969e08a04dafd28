"""Values as the pages show them: flattened configs, short texts, JSON safe inside <script>."""

import json
import math

from hypothesis import given
from hypothesis import strategies as st

from sacred_runner.ui.values import (
    config_differences,
    flatten,
    format_duration,
    format_value,
    json_for_script,
    modified_keys,
)

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_json_for_script_never_holds_markup_and_parses_back(value):
    text = json_for_script(value)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    json.loads(text)  # what JSON.parse in the page will accept


def test_json_for_script_keeps_strings_and_turns_non_finite_floats_into_text():
    assert json.loads(json_for_script({"a": "</script><b>", "n": math.nan, "i": -math.inf})) == \
        {"a": "</script><b>", "n": "nan", "i": "-inf"}


def test_flatten_dotted_keys_keeps_empty_dicts_as_leaves():
    assert flatten({"a": 1, "b": {"c": {"d": 2}, "e": {}}}) == {"a": 1, "b.c.d": 2, "b.e": {}}


def test_modified_keys_from_stored_modifications_and_command_line_updates():
    marks = modified_keys({"added": ["new"], "modified": ["lr"], "typechanged": {"n": "int->float"}},
                          {"config_updates": {"opt": {"name": "adam"}}})
    assert marks == {"new": "added", "lr": "modified", "n": "typechanged", "opt.name": "updated"}


def test_config_differences_splits_equal_and_differing_keys():
    differ, same = config_differences([{"a": 1, "b": {"c": 2}}, {"a": 1, "b": {"c": 3}, "d": 4}])
    assert differ == ["b.c", "d"] and same == ["a"]


def test_short_texts():
    assert format_value(0.123456789) == "0.123457"
    assert format_value("x" * 300, limit=10) == "x" * 9 + "…"
    assert format_value({"b": 1, "a": [1, 2]}) == '{"a": [1, 2], "b": 1}'
    assert (format_duration(4.25), format_duration(185), format_duration(3725)) == ("4.2s", "3m 05s", "1h 02m")
    assert format_duration(None) == ""
