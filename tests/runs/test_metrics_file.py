"""``metrics.json`` read lazily: the lists are cut out exactly or not at all, and parse to what json.loads gives."""

from __future__ import annotations

import json

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sacred.observers.run_files._layout import dump_json
from sacred.runs._metrics_file import RawList, split_metrics

ITEMS = (st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(2**70), max_value=2**70)
         | st.none() | st.booleans() | st.text(max_size=6) | st.lists(st.integers(), max_size=2)
         | st.dictionaries(st.text(max_size=2), st.integers(), max_size=1))
SERIES = st.fixed_dictionaries({"steps": st.lists(st.integers(0, 10**6), max_size=6),
                                "values": st.lists(ITEMS, max_size=6),
                                "timestamps": st.lists(st.text(max_size=12), max_size=6)})
METRICS = st.dictionaries(st.text(max_size=12), SERIES | st.dictionaries(st.text(max_size=6), ITEMS, max_size=3),
                          max_size=4)


def materialised(split: dict) -> dict:
    return {name: {key: (value.get() if isinstance(value, RawList) else value) for key, value in series.items()}
            if isinstance(series, dict) else series for name, series in split.items()}


@given(METRICS, st.sampled_from(["compact", "indented", "layout"]))
@example({"values": {"steps": [0], "values": [1.5], "timestamps": ["2024-01-01T00:00:00"]},
          'a"steps": [': {"steps": [], "values": ["]", "\\"], "timestamps": []}}, "compact")
@example({"m": {"steps": [1], "values": [float("nan"), -0.0, 2**64, float("-inf")], "timestamps": ["a]"]}}, "indented")
@example({"m": {"values": [[1, 2], {"a": 1}], "steps": [0, 1]}}, "compact")
@example({"steps": {"steps": [1, 2]}}, "layout")
def test_a_split_file_reads_as_json_loads_reads_it(metrics, form) -> None:
    data = (json.dumps(metrics).encode() if form == "compact" else
            json.dumps(metrics, indent=2).encode() if form == "indented" else dump_json(metrics))
    split = split_metrics(data)
    if split is not None:
        assert repr(materialised(split)) == repr(json.loads(data))


PLAIN = st.dictionaries(st.text(max_size=12), st.fixed_dictionaries({
    "steps": st.lists(st.integers(0, 10**6), max_size=6),
    "values": st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(2**70), 2**70) | st.none(),
                       max_size=6),
    "timestamps": st.lists(st.datetimes().map(lambda t: t.isoformat()), max_size=6)}), max_size=4)


@given(PLAIN, st.sampled_from(["compact", "indented", "layout"]))
def test_what_observers_write_is_always_split(metrics, form) -> None:
    data = (json.dumps(metrics).encode() if form == "compact" else
            json.dumps(metrics, indent=2).encode() if form == "indented" else dump_json(metrics))
    split = split_metrics(data)
    if metrics:
        assert split is not None
        assert repr(materialised(split)) == repr(json.loads(data))


def test_plain_series_are_split_and_their_lists_stay_unparsed_until_used() -> None:
    metrics = {"loss": {"steps": list(range(5)), "values": [0.5, 0.25, float("nan"), 1e300, -0.0],
                        "timestamps": ["2024-01-01T00:00:0%d" % i for i in range(5)]},
               "acc": {"steps": [0], "values": [1], "timestamps": ["2024-01-01T00:00:00"]}}
    for data in (json.dumps(metrics).encode(), json.dumps(metrics, indent=2).encode(), dump_json(metrics)):
        split = split_metrics(data)
        assert split is not None and sorted(split) == sorted(metrics)
        assert all(isinstance(v, RawList) and v.text is not None for s in split.values() for v in s.values())
        assert repr(split["loss"]["values"].get()) == repr(metrics["loss"]["values"])
        assert split["loss"]["steps"].text is not None  # reading values parsed nothing else


@pytest.mark.parametrize("data", [
    b'{"m": {"steps": [1, [2]], "values": []}}',     # nested list: its first ] does not close it
    b'{"m": {"steps": [1], "values": ["a]", 1]}}',    # a ] inside a string
    b'{"m": {"steps": [1], "values": ["\\"]", 1]}}',  # an escaped quote
    b'{"m": {"steps": [1, 2',                         # torn
    b'[{"steps": [1]}]',                              # not an object
    b'{"m": 1}',                                      # nothing to cut
    b'{"m": {"x\\"steps": [1]}}',                     # a key that ends like one
    b'{"m": {"steps": [1], "steps": [2]}}',           # a duplicate key (json.loads keeps the last)
])
def test_what_cannot_be_cut_exactly_is_left_to_a_whole_parse(data) -> None:
    assert split_metrics(data) is None


def test_an_unparsable_list_raises_one_clear_error() -> None:
    split = split_metrics(b'{"m": {"steps": [1,,2], "values": [1]}}')
    assert split is not None and split["m"]["values"].get() == [1]
    with pytest.raises(ValueError, match="stored metric list is not valid JSON"):
        split["m"]["steps"].get()
