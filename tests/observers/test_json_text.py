"""The layout's cheaper JSON paths give json.dumps's bytes, and no memo ever serves stale text."""

from __future__ import annotations

import datetime
import enum
import json
import math
import os

from hypothesis import given, settings
from hypothesis import strategies as st
from layout_helpers import reference_dump, start, utcnow

from sacred.observers.file_storage import FileStorageObserver
from sacred.observers.run_files import _json_text
from sacred.observers.run_files._layout import (
    INDEX_VALUE_LIMIT,
    _encode_nested,
    dump_json,
    final_index_line,
    index_line,
    index_record,
    safe_flatten,
)


class Color(enum.IntEnum):
    """An int subclass: encoded by json's own code path, not the direct walk."""

    RED = 1


class Half(float):
    """A float subclass."""


scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=6),
    st.sampled_from([1, 1.0, True, -0.0, math.inf, -math.inf, 10**30, "é\n\"\\", Color.RED, Half(0.5),
                     datetime.datetime(2026, 1, 2, 3, 4, 5), datetime.date(2026, 1, 2)]),
)
keys = st.one_of(st.text(max_size=4), st.sampled_from([1, 2.5, True, None, Color.RED]))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(st.text(max_size=3), inner, max_size=4),
        st.dictionaries(keys, inner, max_size=3),
    ),
    max_leaves=16,
)


@settings(max_examples=300)
@given(values, st.booleans())
def test_dump_json_and_nested_values_give_json_dumps_bytes(value, memo):
    expected = reference_dump(value)
    for _ in range(2):  # the second time from the memo
        assert dump_json(value, memo=memo) == expected
        assert _encode_nested(value, memo) == expected.decode("utf-8").replace("\n", "\n  ")


@settings(max_examples=200)
@given(values)
def test_compact_text_is_json_dumps_sorted_compact(value):
    try:
        expected = json.dumps(value, sort_keys=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        try:
            _json_text.compact_text(value)
        except type(exc):
            return
        raise AssertionError("compact_text accepted what json.dumps refused") from None
    assert _json_text.compact_text(value) == expected


def test_a_changed_value_is_never_served_from_the_memo():
    config = {"lr": 0.1, "layers": [1, 2], "flag": True}
    first = dump_json(config, memo=True)
    for changed in ({"lr": 0.1, "layers": [1, 2], "flag": 1},  # equal in Python, not in JSON
                    {"lr": 0.1, "layers": [1, 2, 3], "flag": True},
                    {"lr": 1, "layers": [1, 2], "flag": True}):
        assert dump_json(changed, memo=True) == reference_dump(changed) != first
    assert dump_json(config, memo=True) == first


def test_the_memo_stays_bounded():
    for i in range(_json_text.MEMO_MAX_ENTRIES * 3):
        dump_json({"i": i}, memo=True)
    assert len(_json_text._MEMO) <= _json_text.MEMO_MAX_ENTRIES
    big = {"x": "a" * (_json_text.MEMO_MAX_CHARS + 1)}
    dump_json(big, memo=True)
    assert all(len(key[0]) <= _json_text.MEMO_MAX_CHARS for key in _json_text._MEMO)


def test_runs_of_one_process_store_their_own_experiment_host_and_config(tmp_path):
    """run.json's parts are remembered across runs, but a run whose parts changed stores the new ones."""
    obs = FileStorageObserver(tmp_path / "runs")
    src = str(tmp_path / "src")
    hosts = ["a", "a", "b", "a", 1, True, 1.0, 1, b"a", "a", Color.RED, [1], (1,), [1.0]]
    for run, host in enumerate(hosts, start=1):  # equal in Python is not equal in JSON
        seed = run % 3
        ex_info = {"name": "exp", "base_dir": src, "sources": [], "dependencies": [], "repositories": []}
        obs.started_event(ex_info, "main", {"hostname": host}, utcnow(), {"seed": seed, "x": [1, 2]},
                          {"comment": f"run {run}"}, None)
        obs.completed_event(utcnow(), {"r": run})
        stored_text = (tmp_path / "runs" / str(run) / "run.json").read_text()
        stored = json.loads(stored_text)
        assert stored["host"] == {"hostname": safe_flatten(host)}
        assert '"hostname": ' + json.dumps(safe_flatten(host), indent=2).replace("\n", "\n    ") in stored_text
        assert stored["meta"] == {"comment": f"run {run}"}
        assert stored["result"] == {"r": run}
        config_bytes = (tmp_path / "runs" / str(run) / "config.json").read_bytes()
        assert config_bytes == reference_dump({"seed": seed, "x": [1, 2]})
        entry = obs.run_entry
        expected = json.dumps(safe_flatten(entry), indent=2, sort_keys=True).encode("utf-8")
        assert (tmp_path / "runs" / str(run) / "run.json").read_bytes() == expected


@settings(max_examples=150)
@given(st.dictionaries(keys, values, max_size=5), values, st.booleans())
def test_the_observers_index_line_is_index_line_of_index_record(config, result, oversized):
    if oversized:  # a column left out of the index
        config = {**config, "big": "x" * INDEX_VALUE_LIMIT}
    entry = {"status": "COMPLETED", "experiment": {"name": "e"}, "command": "main",
             "start_time": datetime.datetime(2026, 1, 1), "stop_time": datetime.datetime(2026, 1, 2),
             "heartbeat": None, "meta": {"comment": None, "sweep": {"i": 1}}, "result": result}
    record = index_record("7", entry, config, {"loss": 0.5})
    line = final_index_line("7", entry, config, {"loss": 0.5})
    assert line == index_line(record, flat=True) == index_line(record)
    assert line == (json.dumps(safe_flatten(record), sort_keys=True, separators=(",", ":")) + "\n").encode()
    assert ("omitted" in record) == oversized


def test_temporary_names_are_unique_and_follow_the_pid_after_a_fork(tmp_path):
    from sacred.observers import file_storage

    names = {file_storage.LocalBackend()._temp_path(str(tmp_path / "run.json")) for _ in range(1000)}
    assert len(names) == 1000
    assert all(os.path.basename(n).startswith(f".run.json.{os.getpid()}.") for n in names)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child reports through the pipe
        os.write(write, file_storage.LocalBackend()._temp_path("x").encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child_name = os.read(read, 200).decode()
    os.close(read)
    assert child_name.startswith(f".x.{pid}.")


def test_a_leftover_temporary_file_with_the_next_name_is_skipped(tmp_path, monkeypatch):
    from sacred.observers import file_storage

    backend = file_storage.LocalBackend()
    target = str(tmp_path / "run.json")
    names = iter(["1.00000001", "1.00000001", "1.00000002"])
    monkeypatch.setattr(file_storage._TEMP, "name", lambda: next(names))
    (tmp_path / ".run.json.1.00000001.tmp").write_text("someone else's")
    backend.write_bytes_atomic(target, b"{}")
    assert (tmp_path / "run.json").read_bytes() == b"{}"
    assert (tmp_path / ".run.json.1.00000001.tmp").read_text() == "someone else's"


def test_an_index_owned_by_another_user_is_not_appended_to(tmp_path, caplog, monkeypatch):
    import logging

    runs = tmp_path / "runs"
    runs.mkdir()
    index = runs / "runs.index.jsonl"
    index.write_text("")
    real_fstat = os.fstat

    def foreign_fstat(fd):
        st = real_fstat(fd)
        if os.path.samestat(st, os.stat(index)):
            return os.stat_result((st.st_mode, st.st_ino, st.st_dev, st.st_nlink, 65534, 65534,
                                   st.st_size, st.st_atime, st.st_mtime, st.st_ctime))
        return st

    monkeypatch.setattr(os, "fstat", foreign_fstat)
    obs = FileStorageObserver(runs)
    with caplog.at_level(logging.WARNING, logger="sacred.observers"):
        start(obs, str(tmp_path / "src"))
        obs.completed_event(utcnow(), None)
    assert index.read_text() == ""
    assert "owned by uid 65534" in caplog.text and "SACRED_ALLOW_FOREIGN_FILES=1" in caplog.text
    monkeypatch.setenv("SACRED_ALLOW_FOREIGN_FILES", "1")
    obs = FileStorageObserver(runs)
    start(obs, str(tmp_path / "src"))
    obs.completed_event(utcnow(), None)
    assert '"_id":"2"' in index.read_text()
