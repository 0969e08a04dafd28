"""The --isolate protocol (sacred_runner/isolation.py): messages pickle; the points file loses nothing."""

from __future__ import annotations

import os
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from sacred.run_events import RunEvent
from sacred_runner.isolation import (
    EventMessage,
    MetricPoint,
    OutputSettings,
    PointReader,
    Reply,
    RunEnded,
    RunError,
    StartRun,
    encode_point,
)
from sacred_runner.items import RunItem

points = st.lists(
    st.tuples(
        st.text(min_size=1, max_size=20),
        st.integers(min_value=-(2**40), max_value=2**40),
        st.one_of(st.integers(), st.floats(allow_nan=False)),
        st.floats(min_value=0, max_value=4e9, allow_nan=False),
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(points=points, cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=8))
def test_points_written_in_any_pieces_are_read_back_in_order(tmp_path_factory, points, cuts):
    """Frames may be read half-written (the child is mid-write): nothing is lost or doubled."""
    path = tmp_path_factory.mktemp("points") / "points.bin"
    data = b"".join(encode_point(*point) for point in points)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND)
    try:
        reader = PointReader(fd)
        got: list[MetricPoint] = []
        position = 0
        for cut in sorted(cuts) + [len(data)]:
            cut = min(cut, len(data))
            if cut > position:
                os.write(fd, data[position:cut])
                position = cut
            got += reader.read_new()
        assert [(p.name, p.step, p.value, p.timestamp) for p in got] == points
    finally:
        os.close(fd)


def test_every_message_pickles():
    item = RunItem("/x/exp_a.py", "exp_a.py", "ex", "a", "a", "main", {"lr": 0.1}, (), {})
    messages = [
        StartRun(item, 3), Reply(run_id=5), Reply(error="Observer X failed"),
        OutputSettings(True, pickle.dumps(len)), EventMessage(RunEvent.from_call("resource_event", "/f")),
        RunEnded("COMPLETED", "3", 1), RunError("boom", interrupted=True),
    ]
    for message in messages:
        assert pickle.loads(pickle.dumps(message)) == message
    assert EventMessage(RunEvent.from_call("started_event", {}, "main", {}, None, {}, {}, None)).awaits_reply
    assert not EventMessage(RunEvent.from_call("resource_event", "/f")).awaits_reply
