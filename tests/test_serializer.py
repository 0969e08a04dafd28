"""flatten/restore: anything becomes JSON-ready; stored data never executes code."""

import datetime
import json

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from sacred.serializer import dumps, flatten, loads, restore

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_plain_json_round_trips(value):
    assert restore(json.loads(json.dumps(flatten(value)))) == value


def test_numpy_pandas_datetime_and_objects_flatten():
    class Custom:
        def __init__(self):
            self.x = 1

    flat = flatten(
        {
            "arr": np.arange(3),
            "f": np.float32(1.5),
            "s": pd.Series([1, 2]),
            "t": (1, 2),
            "when": datetime.datetime(2020, 1, 2, 3, 4, 5),
            "obj": Custom(),
        }
    )
    json.dumps(flat)
    assert flat["arr"] == [0, 1, 2] and flat["f"] == 1.5 and flat["t"] == [1, 2]
    assert flat["when"] == "2020-01-02T03:04:05"
    assert flat["obj"]["x"] == 1 and flat["obj"]["py/object"].endswith("Custom")


def test_restore_never_executes_code(tmp_path):
    marker = tmp_path / "pwned"
    payload = {
        "a": {
            "py/reduce": [
                {"py/function": "os.system"},
                {"py/tuple": [f"touch {marker}"]},
            ]
        },
        "b": {"py/object": "subprocess.Popen"},
        "c": {"py/repr": "os/os.system('true')"},
    }
    restored = loads(json.dumps(payload))
    assert not marker.exists()
    assert restored["b"] == {"py/object": "subprocess.Popen"}


def test_data_tags_are_decoded():
    assert restore({"py/tuple": [1, {"py/set": [2]}]}) == (1, {2})
    assert loads(dumps({"k": [1]})) == {"k": [1]}


def test_087_names_json_flatten_restore():
    import json as stdlib_json

    from sacred import serializer

    assert serializer.json is stdlib_json
    flat = serializer.flatten({"a": (1, 2), "s": {1}})
    assert flat == {"a": [1, 2], "s": {"py/set": [1]}}  # stays plain JSON
    assert serializer.restore({"py/tuple": [1, 2]}) == (1, 2)
def _reference_flatten(obj):
    """flatten as it was written before the list fast path: one call per item."""
    if isinstance(obj, (str, int, bool, type(None), float)):
        return obj
    if isinstance(obj, dict):
        return {(k if isinstance(k, str) else str(k)): _reference_flatten(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_reference_flatten(v) for v in obj]
    if isinstance(obj, (datetime.datetime, datetime.date)):
        return obj.isoformat()
    return flatten(obj)


_ITEMS = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=5)
    | st.datetimes() | st.dates() | st.builds(np.float64, st.floats())
    | st.builds(np.int64, st.integers(-(2**63), 2**63 - 1)),
    lambda inner: st.lists(inner, max_size=5) | st.tuples(inner, inner)
    | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=20,
)


@given(st.lists(_ITEMS, max_size=20))
def test_flatten_of_lists_is_item_by_item_flatten(items):
    """The fast path for lists (metrics) gives what flattening every item gives, same bytes."""
    fast, slow = flatten(items), _reference_flatten(items)
    assert json.dumps(fast) == json.dumps(slow)
    assert [type(v) for v in fast] == [type(v) for v in slow]
