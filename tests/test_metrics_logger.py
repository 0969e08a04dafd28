"""sacred.metrics_logger: 0.8.7's MetricsLogger, ScalarMetricLogEntry and linearize_metrics."""

from __future__ import annotations

import datetime

from sacred.metrics_logger import MetricsLogger, ScalarMetricLogEntry, linearize_metrics


def test_entries_and_linearize_as_087():
    logger = MetricsLogger()
    logger.log_scalar_metric("loss", 0.5, 1)
    logger.log_scalar_metric("acc", 0.9)
    logger.log_scalar_metric("loss", 0.4)
    entries = logger.get_last_metrics()
    assert all(isinstance(e, ScalarMetricLogEntry) for e in entries)
    assert [(e.name, e.step, e.value) for e in entries] == [("loss", 1, 0.5), ("loss", 2, 0.4), ("acc", 0, 0.9)]
    assert all(isinstance(e.timestamp, datetime.datetime) and e.timestamp.tzinfo is None for e in entries)
    grouped = linearize_metrics(entries)
    assert grouped["loss"]["steps"] == [1, 2] and grouped["loss"]["values"] == [0.5, 0.4]
    assert grouped["loss"]["name"] == "loss" and len(grouped["loss"]["timestamps"]) == 2
    assert grouped["acc"] == {
        "steps": [0],
        "values": [0.9],
        "timestamps": [entries[2].timestamp],
        "name": "acc",
    }
    assert logger.get_last_metrics() == []  # each point is handed out once


def test_scalar_metric_log_entry_fields():
    stamp = datetime.datetime(2020, 1, 1)
    entry = ScalarMetricLogEntry("loss", 3, stamp, 0.25)
    assert (entry.name, entry.step, entry.timestamp, entry.value) == ("loss", 3, stamp, 0.25)
    assert linearize_metrics([]) == {}


def test_omitted_steps_follow_the_previous_step_of_the_same_metric_across_reads():
    logger = MetricsLogger()
    log = logger.log_scalar_metric
    log("a", 1.0)
    log("a", 2.0, 10)
    log("b", 3)
    first = logger.pending_points()
    log("a", 4.0)  # after a read: still one more than the previous step of "a"
    log("a", 5.0, 3)
    log("a", 6.0)
    log("b", True)
    second = logger.pending_points()
    assert first["a"][:2] == ([0, 10], [1.0, 2.0]) and first["b"][:2] == ([0], [3])
    assert second["a"][:2] == ([11, 3, 4], [4.0, 5.0, 6.0])
    assert second["b"][:2] == ([1], [1]) and type(second["b"][1][0]) is int
    assert logger.pending_points() == {} and not logger.has_pending()


def test_streaming_passes_each_point_with_its_step_and_time():
    import pytest

    logger = MetricsLogger()
    seen = []
    logger.stream_to(lambda *point: seen.append(point))
    log = logger.log_scalar_metric
    log("loss", 0.5)
    log("loss", 0.25, 7)
    log("loss", 0.125)
    with pytest.raises(TypeError, match="non-empty string"):
        log("", 1.0)
    with pytest.raises(TypeError, match="step must be an integer"):
        log("loss", 1.0, 1.5)
    steps, values, stamps = logger.pending_points()["loss"]
    assert [(name, step, value) for name, step, value, _ in seen] == [
        ("loss", 0, 0.5), ("loss", 7, 0.25), ("loss", 8, 0.125)]
    assert (steps, values, stamps) == ([0, 7, 8], [0.5, 0.25, 0.125], [p[3] for p in seen])
