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
