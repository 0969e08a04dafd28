"""The -n worker's spool: output and metric points of the running task, readable after its death."""

from __future__ import annotations

import io
import os
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from sacred_runner.launch.spool import TaskSpool, read_spool, spool_file


def _spool() -> TaskSpool:
    return TaskSpool(spool_file(), spool_file())


def _close(spool: TaskSpool) -> None:
    os.close(spool.output_fd)
    os.close(spool.points_fd)


def test_a_new_task_forgets_the_previous_ones_output_and_points(monkeypatch):
    spool = _spool()
    try:
        shown = io.StringIO()
        monkeypatch.setattr(sys, "stdout", shown)
        spool.begin()
        with spool.teeing():
            print("first task")
        spool.point("loss", 0, 1.0, 0.0)
        spool.begin()
        with spool.teeing():
            print("second task, é")
            sys.stdout.writelines(["a\n", "b\n"])
        spool.point("loss", 0, 2.0, 0.0)
        spool.point("loss", 1, 3.0, 0.0)
        spool.point("unpicklable", 0, lambda: None, 0.0)  # dropped, never raised into the run
        text, metrics = read_spool(spool.output_fd, spool.points_fd)
        assert text == "second task, é\na\nb\n"
        assert shown.getvalue() == "first task\nsecond task, é\na\nb\n"  # still written where it went before
        assert sys.stdout is shown
        assert metrics["loss"]["steps"] == [0, 1] and metrics["loss"]["values"] == [2.0, 3.0]
        assert "unpicklable" not in metrics
    finally:
        _close(spool)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["a", "b", "ü"]), st.integers(0, 10**6),
                          st.one_of(st.floats(allow_nan=False), st.integers(), st.none())), max_size=40))
def test_points_come_back_per_metric_in_logging_order(points):
    spool = _spool()
    try:
        spool.begin()
        for name, step, value in points:
            spool.point(name, step, value, 1_700_000_000.0)
        _, metrics = read_spool(spool.output_fd, spool.points_fd)
        for name in {p[0] for p in points}:
            assert metrics[name]["steps"] == [s for n, s, _ in points if n == name]
            assert metrics[name]["values"] == [v for n, _, v in points if n == name]
        assert set(metrics) == {p[0] for p in points}
    finally:
        _close(spool)
