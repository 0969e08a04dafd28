"""Observers written by third parties against the documented RunObserver interface.

``NeptuneStyleObserver`` is written the way external integrations (such as
neptune-sacred's NeptuneObserver) are: it subclasses
``sacred.observers.RunObserver`` and overrides the events with the documented
signatures, nothing else. ``MyObserver`` is the spec's "Custom Observer"
example with its exact signatures (``queued_event`` without ``host_info``,
``artifact_event(name, filename)``). Both must plug in without changes.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest

from sacred.observer import RunObserver as RunObserverFromSingular
from sacred.observers import RunObserver
from sacred.utils import SacredInterrupt

experiment = pytest.importorskip("sacred.experiment")


class NeptuneStyleObserver(RunObserver):
    """Records every event with its arguments, like an external tracking service would."""

    def __init__(self, run_id=None, priority=0):
        self.events = []
        self.run_id = run_id
        self.priority = priority

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        self.events.append(
            (
                "started",
                dict(
                    ex_info=ex_info,
                    command=command,
                    host_info=host_info,
                    start_time=start_time,
                    config=config,
                    meta_info=meta_info,
                    _id=_id,
                ),
            )
        )
        return self.run_id

    def queued_event(self, ex_info, command, host_info, queue_time, config, meta_info, _id):
        self.events.append(
            (
                "queued",
                dict(
                    ex_info=ex_info,
                    command=command,
                    queue_time=queue_time,
                    config=config,
                    meta_info=meta_info,
                    _id=_id,
                ),
            )
        )
        return self.run_id

    def heartbeat_event(self, info, captured_out, beat_time, result):
        self.events.append(
            (
                "heartbeat",
                dict(
                    info=dict(info), captured_out=captured_out, beat_time=beat_time, result=result
                ),
            )
        )

    def log_metrics(self, metrics_by_name, info):
        self.events.append(("log_metrics", dict(metrics_by_name=metrics_by_name)))

    def artifact_event(self, name, filename, metadata=None, content_type=None):
        self.events.append(
            (
                "artifact",
                dict(name=name, filename=filename, metadata=metadata, content_type=content_type),
            )
        )

    def resource_event(self, filename):
        self.events.append(("resource", dict(filename=filename)))

    def completed_event(self, stop_time, result):
        self.events.append(("completed", dict(stop_time=stop_time, result=result)))

    def interrupted_event(self, interrupt_time, status):
        self.events.append(("interrupted", dict(interrupt_time=interrupt_time, status=status)))

    def failed_event(self, fail_time, fail_trace):
        self.events.append(("failed", dict(fail_time=fail_time, fail_trace=fail_trace)))

    def kinds(self):
        return [kind for kind, _ in self.events]

    def first(self, kind):
        return next(data for k, data in self.events if k == kind)


class MyObserver(RunObserver):
    """The spec's Custom Observer, with its exact signatures, recording the calls."""

    def __init__(self):
        self.calls = []

    def queued_event(self, ex_info, command, queue_time, config, meta_info, _id):
        self.calls.append("queued_event")

    def started_event(self, ex_info, command, host_info, start_time, config, meta_info, _id):
        self.calls.append("started_event")

    def heartbeat_event(self, info, captured_out, beat_time, result):
        self.calls.append("heartbeat_event")

    def completed_event(self, stop_time, result):
        self.calls.append("completed_event")

    def interrupted_event(self, interrupt_time, status):
        self.calls.append("interrupted_event")

    def failed_event(self, fail_time, fail_trace):
        self.calls.append("failed_event")

    def resource_event(self, filename):
        self.calls.append("resource_event")

    def artifact_event(self, name, filename):
        self.calls.append(("artifact_event", name, filename))


def make_experiment(tmp_path, body, name="third_party"):
    ex = experiment.Experiment(name, base_dir=str(tmp_path))

    @ex.config
    def cfg():
        lr = 0.1  # noqa: F841

    @ex.main
    def main(_run, lr):
        return body(_run, lr)

    return ex


def write(tmp_path, name, text="data"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_the_singular_import_path_is_the_same_class():
    assert RunObserverFromSingular is RunObserver


def test_a_completed_run_delivers_every_event(tmp_path):
    resource = write(tmp_path, "input.txt")
    artifact = write(tmp_path, "model.bin", "weights")

    def body(_run, lr):
        print("hello from the run")
        _run.info["stage"] = "training"
        with _run.open_resource(str(resource)) as f:
            assert f.read() == "data"
        for step in range(3):
            _run.log_scalar("loss", 1.0 / (step + 1))
        _run.log_scalar("acc", 0.9, step=10)
        _run.add_artifact(
            str(artifact),
            name="weights",
            metadata={"epoch": 3},
            content_type="application/octet-stream",
        )
        return lr * 10

    ex = make_experiment(tmp_path, body)
    obs = NeptuneStyleObserver(run_id="neptune-1")
    ex.observers.append(obs)
    run = ex.run(options={"--capture": "sys"})

    assert run.status == "COMPLETED" and run._id == "neptune-1"
    kinds = obs.kinds()
    assert kinds[0] == "started"
    assert kinds[-1] == "completed"
    assert kinds[-2] == "heartbeat"  # a final heartbeat precedes the stop event
    assert kinds.index("resource") < kinds.index("artifact")
    assert "log_metrics" in kinds and kinds.index("log_metrics") < len(kinds) - 2

    started = obs.first("started")
    assert started["ex_info"]["name"] == "third_party"
    assert started["command"] == "main"
    assert started["config"]["lr"] == 0.1 and "seed" in started["config"]
    assert "hostname" in started["host_info"]
    assert isinstance(started["start_time"], dt.datetime) and started["_id"] is None
    assert isinstance(started["meta_info"], dict)

    resource_event = obs.first("resource")
    assert os.path.isabs(resource_event["filename"])
    assert os.path.samefile(resource_event["filename"], resource)
    assert obs.first("artifact") == {
        "name": "weights",
        "filename": obs.first("artifact")["filename"],
        "metadata": {"epoch": 3},
        "content_type": "application/octet-stream",
    }
    assert os.path.samefile(obs.first("artifact")["filename"], artifact)

    metrics = {}
    for kind, data in obs.events:
        if kind == "log_metrics":
            for name, entry in data["metrics_by_name"].items():
                seen = metrics.setdefault(name, {"steps": [], "values": []})
                seen["steps"] += entry["steps"]
                seen["values"] += entry["values"]
                assert all(isinstance(t, dt.datetime) for t in entry["timestamps"])
    assert metrics == {
        "loss": {"steps": [0, 1, 2], "values": [1.0, 0.5, 1.0 / 3]},
        "acc": {"steps": [10], "values": [0.9]},
    }

    final_beat = obs.events[-2][1]
    assert "hello from the run" in final_beat["captured_out"]
    assert final_beat["info"]["stage"] == "training"
    assert isinstance(final_beat["beat_time"], dt.datetime)
    completed = obs.first("completed")
    assert completed["result"] == 1.0
    assert completed["stop_time"] >= started["start_time"]


def test_periodic_heartbeats_reach_the_observer(tmp_path):
    import time

    def body(_run, lr):
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and obs.kinds().count("heartbeat") < 2:
            time.sleep(0.01)
        return obs.kinds().count("heartbeat")

    ex = make_experiment(tmp_path, body)
    obs = NeptuneStyleObserver()
    ex.observers.append(obs)
    run = ex.run(options={"--beat_interval": 0.05})
    assert run.result >= 2  # beats arrived while the main function was still running


def test_a_failed_run_delivers_the_trace(tmp_path):
    def body(_run, lr):
        raise ZeroDivisionError("no luck")

    ex = make_experiment(tmp_path, body)
    obs = NeptuneStyleObserver()
    ex.observers.append(obs)
    with pytest.raises(ZeroDivisionError):
        ex.run()
    assert obs.kinds()[0] == "started" and obs.kinds()[-1] == "failed"
    trace = obs.first("failed")["fail_trace"]
    assert isinstance(trace, list) and all(isinstance(line, str) for line in trace)
    assert trace[-1].strip() == "ZeroDivisionError: no luck"
    assert isinstance(obs.first("failed")["fail_time"], dt.datetime)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (KeyboardInterrupt, "INTERRUPTED"),
        (type("Stopped", (SacredInterrupt,), {"STATUS": "STOPPED"}), "STOPPED"),
    ],
)
def test_an_interrupted_run_delivers_its_status(tmp_path, error, status):
    def body(_run, lr):
        raise error()

    ex = make_experiment(tmp_path, body)
    obs = NeptuneStyleObserver()
    ex.observers.append(obs)
    with pytest.raises(error):
        ex.run()
    assert obs.kinds()[-1] == "interrupted"
    assert obs.first("interrupted")["status"] == status


def test_the_first_observer_by_priority_sets_the_id(tmp_path):
    ex = make_experiment(tmp_path, lambda _run, lr: None)
    low = NeptuneStyleObserver(run_id="low", priority=1)
    high = NeptuneStyleObserver(run_id="high", priority=5)
    ex.observers.extend([low, high])
    run = ex.run()
    assert run._id == "high"
    assert high.first("started")["_id"] is None
    assert low.first("started")["_id"] == "high"


def test_the_spec_custom_observer_plugs_in_unchanged(tmp_path):
    artifact = write(tmp_path, "a.txt")
    resource = write(tmp_path, "r.txt")

    def body(_run, lr):
        _run.add_resource(str(resource))
        _run.add_artifact(str(artifact), name="art", metadata={"x": 1})
        return 1

    ex = make_experiment(tmp_path, body)
    obs = MyObserver()
    ex.observers.append(obs)
    run = ex.run()
    assert run.status == "COMPLETED"
    assert obs.calls[0] == "started_event"
    assert "resource_event" in obs.calls
    (artifact_call,) = [c for c in obs.calls if isinstance(c, tuple)]
    assert artifact_call[1] == "art" and os.path.samefile(artifact_call[2], artifact)
    assert obs.calls[-2:] == ["heartbeat_event", "completed_event"]


def test_the_spec_custom_observer_sees_queued_runs(tmp_path):
    ex = make_experiment(tmp_path, lambda _run, lr: pytest.fail("a queued run must not execute"))
    obs = MyObserver()
    neptune = NeptuneStyleObserver(run_id=17)
    ex.observers.extend([obs, neptune])
    run = ex.run(options={"--queue": True})
    assert obs.calls == ["queued_event"]
    assert neptune.kinds() == ["queued"]
    assert isinstance(neptune.first("queued")["queue_time"], dt.datetime)
    assert run._id == 17


def test_spec_custom_observer_failure_and_interrupt(tmp_path):
    for error, expected in ((ValueError, "failed_event"), (KeyboardInterrupt, "interrupted_event")):

        def body(_run, lr, error=error):
            raise error("x")

        ex = make_experiment(tmp_path, body)
        obs = MyObserver()
        ex.observers.append(obs)
        with pytest.raises(error):
            ex.run()
        assert obs.calls[0] == "started_event" and obs.calls[-1] == expected
