"""The file channel: records written by a job arrive whole and in order."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sacred_runner.launch.base import RunEvent, TaskFinished
from sacred_runner.launch.filechannel import FileChannelReader, append_message


@settings(max_examples=30, deadline=None)
@given(st.lists(st.one_of(st.text(), st.integers(), st.dictionaries(st.text(max_size=3), st.floats(allow_nan=False))),
                max_size=8))
def test_messages_round_trip_in_order(tmp_path_factory, messages):
    path = str(tmp_path_factory.mktemp("channel") / "messages")
    reader = FileChannelReader(path)
    assert reader.read_new() == []
    for message in messages:
        append_message(path, message)
    assert reader.read_new() == messages
    assert reader.read_new() == []


def test_a_record_cut_short_waits_for_its_end(tmp_path):
    path = str(tmp_path / "messages")
    append_message(path, RunEvent("t1", "started_event", {"_id": 1}))
    append_message(path, TaskFinished("t1", "COMPLETED", "1", 1))
    data = open(path, "rb").read()
    with open(path, "wb") as stream:
        stream.write(data[:-5])
    reader = FileChannelReader(path)
    assert reader.read_new() == [RunEvent("t1", "started_event", {"_id": 1})]
    with open(path, "ab") as stream:
        stream.write(data[-5:])
    assert reader.read_new() == [TaskFinished("t1", "COMPLETED", "1", 1)]
