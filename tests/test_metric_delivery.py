"""Metric points reach every observer: FileStorage takes float times, everyone else datetimes."""

from __future__ import annotations

import datetime as dt
import json

from sacred import Experiment
from sacred.observers import FileStorageObserver, RunObserver


class Recorder(RunObserver):
    def __init__(self) -> None:
        self.batches: list[dict] = []

    def log_metrics(self, metrics_by_name, info):
        self.batches.append(metrics_by_name)


class OverridingFileStorage(FileStorageObserver):
    """A subclass that overrides log_metrics must receive the documented form."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.seen: list = []

    def log_metrics(self, metrics_by_name, info):
        self.seen.extend(t for series in metrics_by_name.values() for t in series["timestamps"])
        super().log_metrics(metrics_by_name, info)


def run_with(observers):
    ex = Experiment("delivery")
    ex.observers.extend(observers)

    @ex.main
    def main(_run):
        for i in range(5):
            _run.log_scalar("loss", i / 2)
        _run.log_scalar("acc", 1)

    ex.run(options={"--capture": "no"})


def test_other_observers_get_datetimes_and_file_storage_the_same_points(tmp_path):
    recorder = Recorder()
    run_with([FileStorageObserver(tmp_path / "a"), recorder])
    points = {name: s for batch in recorder.batches for name, s in batch.items()}
    assert points["loss"]["values"] == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert all(type(t) is dt.datetime and t.tzinfo is None for t in points["loss"]["timestamps"])
    stored = json.loads((tmp_path / "a" / "1" / "metrics.json").read_text())
    assert stored["loss"]["timestamps"] == [t.isoformat() for t in points["loss"]["timestamps"]]
    assert stored["acc"] == {"steps": [0], "values": [1],
                             "timestamps": [points["acc"]["timestamps"][0].isoformat()]}


def test_a_subclass_overriding_log_metrics_receives_datetimes(tmp_path):
    obs = OverridingFileStorage(tmp_path / "b")
    run_with([obs])
    assert len(obs.seen) == 6 and all(isinstance(t, dt.datetime) for t in obs.seen)
    stored = json.loads((tmp_path / "b" / "1" / "metrics.json").read_text())
    assert stored["loss"]["steps"] == [0, 1, 2, 3, 4]
