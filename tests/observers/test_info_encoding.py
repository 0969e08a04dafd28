"""info.json is re-encoded only where the info dict changed, with the bytes of a full encoding."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st
from layout_helpers import start, utcnow

from sacred.observers.file_storage import FileStorageObserver
from sacred.observers.run_files._layout import dump_json

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=5),
    st.sampled_from([1, 1.0, True, -0.0, 0.0, math.inf]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=3), inner, max_size=3)), max_leaves=12)
infos = st.dictionaries(st.sampled_from(["a", "b", "c", "step1", "ü"]), values, max_size=4)


@settings(max_examples=80)
@given(st.lists(infos, min_size=1, max_size=6), st.booleans())
def test_each_beat_stores_exactly_what_a_full_encoding_gives(tmp_path_factory, beats, large):
    tmp = tmp_path_factory.mktemp("info")
    obs = FileStorageObserver(tmp / "runs")
    start(obs, str(tmp / "src"))
    big = {"big": list(range(200_000))} if large else {}  # over 1 MiB: the compact form
    for info in beats:
        info = {**info, **big}
        obs.heartbeat_event(info, "", utcnow(), None)
        stored = (tmp / "runs" / "1" / "info.json").read_bytes() if (tmp / "runs" / "1" / "info.json").exists() else None
        if info or stored is not None:
            assert stored == dump_json(info)


def test_a_value_changed_in_place_is_rewritten(tmp_path):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    info = {"losses": [1.0] * 200_000, "n": 1}
    obs.heartbeat_event(info, "", utcnow(), None)
    info["losses"][-1] = 2.0  # same list object, new content
    info["n"] = 1.0  # equal in python, different in JSON
    obs.heartbeat_event(info, "", utcnow(), None)
    assert (tmp_path / "runs" / "1" / "info.json").read_bytes() == dump_json(info)
    info["odd"] = object()  # not JSON: the general encoder stores its flattened form
    obs.heartbeat_event(info, "", utcnow(), None)
    assert (tmp_path / "runs" / "1" / "info.json").read_bytes() == dump_json(info)


def test_an_info_dict_shrinking_below_the_indent_limit_is_indented_from_current_values(tmp_path):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    info = {"big": list(range(300_000)), "small": [1.5, 2]}
    obs.heartbeat_event(info, "", utcnow(), None)  # compact: over 1 MiB
    info.pop("big")
    obs.heartbeat_event(info, "", utcnow(), None)  # indented, "small" reused from the cache
    assert (tmp_path / "runs" / "1" / "info.json").read_bytes() == dump_json(info)
    assert b"\n" in dump_json(info)


def test_an_unchanged_info_dict_gives_the_previous_bytes_without_joining(tmp_path, monkeypatch):
    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    info = {"a": [0.5] * 100_000, "b": list(range(100_000))}  # over 1 MiB: compact
    obs.heartbeat_event(info, "", utcnow(), None)
    first = obs._info_bytes
    assert first == dump_json(info)
    assert obs._encode_info(dict(info)) is first  # equal entries: the same bytes object
    info["c"] = "new"
    obs.heartbeat_event(info, "", utcnow(), None)
    assert (tmp_path / "runs" / "1" / "info.json").read_bytes() == dump_json(info)


@settings(max_examples=40)
@given(st.lists(infos, min_size=1, max_size=5))
def test_the_compact_file_joined_from_entry_bytes_is_dump_json(tmp_path_factory, beats):
    tmp = tmp_path_factory.mktemp("info")
    obs = FileStorageObserver(tmp / "runs")
    start(obs, str(tmp / "src"))
    for info in beats:
        info = {**info, "zz_big": ["x" * 1024] * 1030}  # the file is compact
        obs.heartbeat_event(info, "", utcnow(), None)
        assert (tmp / "runs" / "1" / "info.json").read_bytes() == dump_json(info)


def test_file_storage_uses_the_copys_pickles_instead_of_pickling_again(tmp_path, monkeypatch):
    import pickle

    from sacred.run import _InfoSnapshot

    obs = FileStorageObserver(tmp_path / "runs")
    start(obs, str(tmp_path / "src"))
    snapshot = _InfoSnapshot()
    info = {"a": [0.5] * 10, "b": "x"}
    taken = snapshot.take(info)
    dumps = []
    real = pickle.dumps
    monkeypatch.setattr(pickle, "dumps", lambda *a, **k: dumps.append(a) or real(*a, **k))
    obs.heartbeat_event(taken, "", utcnow(), None)
    assert dumps == []
    assert (tmp_path / "runs" / "1" / "info.json").read_bytes() == b'{\n  "a": [\n    0.5,\n    0.5,\n    0.5,\n    0.5,\n    0.5,\n    0.5,\n    0.5,\n    0.5,\n    0.5,\n    0.5\n  ],\n  "b": "x"\n}'
    obs.heartbeat_event(info, "", utcnow(), None)  # the live dict (final beat): pickled, same bytes
    assert len(dumps) == 2
